# SPDX-License-Identifier: GPL-2.0
# perf from the same tree works in the guest: count software events of a run.
# TAP so the host counts it like the selftests.
echo "TAP version 13"
echo "1..1"
out=$(perf stat -x, -e page-faults,minor-faults,task-clock /selftests/gup_test -u 2>&1 >/dev/null)
printf '%s\n' "$out" | while IFS= read -r l; do echo "# $l"; done
if echo "$out" | grep -q ',page-faults,'; then
	echo "ok 1 perf stat counts page-faults in the guest"
else
	echo "not ok 1 perf stat counts page-faults in the guest"
fi
