# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Sourced by the benchmark guest jobs (bench_*.sh); not a job itself.
# Kernel command line: wb.reps=N runs per benchmark and mode (default 5),
# wb.size=MiB for the fault/munmap/mremap/gup benchmarks (default 64),
# wb.bigsize=MiB for fork and memory (default 256).
# Output per run: "RUN <i> <label>", the benchmark's RESULT lines, and perf
# stat's CSV lines prefixed "PERF " (benchmarks/report.py names them
# <label>.perf.<event>); instructions, cycles, dTLB-load-misses and
# cache-misses only where a PMU counts them.
wb_arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
reps=$(wb_arg wb.reps)
reps=${reps:-5}
size=$(wb_arg wb.size)
size=${size:-64}
bigsize=$(wb_arg wb.bigsize)
bigsize=${bigsize:-256}
export reps size bigsize
# Software events always; hardware ones when the guest has a PMU (KVM),
# each group only if perf counts it here.
events=page-faults,minor-faults,task-clock,context-switches
for hw in instructions,cycles dTLB-load-misses,cache-misses; do
	if perf stat -x, -e "$hw" -o /tmp/pmu.csv true 2>/dev/null &&
		grep -q '^[0-9][0-9]*,' /tmp/pmu.csv; then
		events=$events,$hw
	fi
done

# bench_run PREFIX BINARY SIZE_MIB [MODE...]: reps runs of /bench/BINARY
# SIZE_MIB MODE under perf stat for each MODE (label PREFIX_MODE, the name
# the benchmark prints), or of /bench/BINARY SIZE_MIB (label PREFIX).
bench_run() {
	prefix=$1 bin=$2 sz=$3
	shift 3
	[ $# -gt 0 ] || set -- ""
	for mode in "$@"; do
		label=$prefix${mode:+_$mode}
		i=0
		while [ "$i" -lt "$reps" ]; do
			echo "RUN $i $label"
			# shellcheck disable=SC2086 # an empty $mode must vanish
			perf stat -x, -o /tmp/perf.csv -e "$events" "/bench/$bin" "$sz" $mode
			grep -v '^#' /tmp/perf.csv | sed '/^$/d; s/^/PERF /'
			i=$((i + 1))
		done
	done
}
