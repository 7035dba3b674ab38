# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job (make report's multi-CPU boot, not the main list): pin and
# unpin from 1 thread and from one thread per CPU, each on its own
# wb.size/4 MiB buffer (pin_threads), wb.reps runs each.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
cpus=$(grep -c '^processor' /proc/cpuinfo)
for t in 1 "$cpus"; do
	i=0
	while [ "$i" -lt "$reps" ]; do
		echo "RUN $i pinthreads_$t"
		/bench/pin_threads "$((size / 4))" 2 "$t"
		i=$((i + 1))
	done
	[ "$cpus" -gt 1 ] || break
done
