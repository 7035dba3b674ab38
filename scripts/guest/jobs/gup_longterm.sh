# SPDX-License-Identifier: GPL-2.0
# mainline tools/testing/selftests/mm/gup_longterm
exec /selftests/gup_longterm
