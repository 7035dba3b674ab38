# SPDX-License-Identifier: GPL-2.0
# shadow-pte/tools/testing/selftests/mm/shadow_pte_special.c: the shadow
# special bit (shadow kernel) and seed 001's R/O pin unshare rule (all kernels)
exec /selftests/shadow_pte_special
