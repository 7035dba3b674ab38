# SPDX-License-Identifier: GPL-2.0
# shadow-pte/tools/testing/selftests/mm/shadow_pte_pins.c: pin counts per PTE
# (shadow kernel) and the fork answers of both schemes
exec /selftests/shadow_pte_pins
