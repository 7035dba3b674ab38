# SPDX-License-Identifier: GPL-2.0
# mainline tools/testing/selftests/mm/cow
exec /selftests/cow
