# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job (run by hand: make run KERNEL=... or run-guest.sh, not part of
# the report): where pin and unpin spend their time. perf record samples
# cpu-clock, which under TCG icount ticks with guest instructions, so the
# profile is an instruction profile of gup_bench pin_fast and pin_longterm.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
echo 200000 >/proc/sys/kernel/perf_event_max_sample_rate
for mode in pin_fast pin_longterm; do
	echo "== profile $mode"
	perf record -q -e cpu-clock -F 100000 -a -o /tmp/perf.data /bench/gup_bench "$size" "$mode" >/dev/null
	perf report -i /tmp/perf.data --stdio --sort sym 2>/dev/null | grep -v '^#' | sed '/^$/d' | head -n 45
done
