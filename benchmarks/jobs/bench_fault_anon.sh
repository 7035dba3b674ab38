# SPDX-License-Identifier: GPL-2.0
# Guest job: fault_anon under perf stat (software events), wb.reps=N runs of wb.size=MiB (default 5 x 64).
set -eu
reps=$(tr " " "\n" </proc/cmdline | sed -n "s/^wb.reps=//p")
reps=${reps:-5}
size=$(tr " " "\n" </proc/cmdline | sed -n "s/^wb.size=//p")
size=${size:-64}
i=0
while [ "$i" -lt "$reps" ]; do
	echo "RUN $i"
	perf stat -x, -e page-faults,minor-faults,task-clock,context-switches \
		/bench/fault_anon "$size" 1 2>/tmp/perf.csv
	sed 's/^/PERF /' /tmp/perf.csv
	i=$((i + 1))
done
