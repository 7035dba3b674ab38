# SPDX-License-Identifier: GPL-2.0
# run_vmtests.sh: dump pages 0, 19 and 0x1000 through pin_user_pages (-F 0x1 is FOLL_PIN dump), THP on
exec /selftests/gup_test -ct -F 0x1 0 19 0x1000
