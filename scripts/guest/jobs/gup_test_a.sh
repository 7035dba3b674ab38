# SPDX-License-Identifier: GPL-2.0
# run_vmtests.sh: pin_user_pages_fast() benchmark
exec /selftests/gup_test -a
