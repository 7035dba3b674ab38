# SPDX-License-Identifier: GPL-2.0
# run_vmtests.sh: get_user_pages_fast() benchmark
exec /selftests/gup_test -u
