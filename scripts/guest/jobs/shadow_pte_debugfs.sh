# SPDX-License-Identifier: GPL-2.0
# shadow-pte/tools/testing/selftests/mm/shadow_pte_debugfs.c (skips on a
# kernel without CONFIG_SHADOW_PTE)
exec /selftests/shadow_pte_debugfs
