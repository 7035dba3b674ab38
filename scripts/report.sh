#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make report: build the kernels (if stale), boot each, run every benchmark
# job (benchmarks/jobs/bench_*.sh) and write build/report/ (raw.csv, raw.json,
# report.md, ratios.svg, memory.svg).
# Kernels: every configs/kernels variant with a report column (baseline;
# shadow = shadow-bench, =y without debug checks or KUnit; shadow-special;
# shadow-off, =n, which must match baseline). The test kernel (shadow, with
# CONFIG_DEBUG_SHADOW_PTE) has none: it is not measured.
# Method: TCG with -icount shift=0,sleep=off for every kernel; where /dev/kvm
# boots a guest (probed), a second pass under KVM (REPORT_TIMED).
# Environment: REPS (runs per benchmark and mode, default 5), SIZE_MIB (fault,
# munmap, mremap, anon-cow and gup_test benchmarks, default 64), BIG_MIB (fork
# and memory benchmarks, default 256).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
t0=$(date +%s)
rm -f "$BUILD/step-times.txt"
R=$BUILD/report
step setup bash "$TOP/scripts/setup.sh"
step source bash "$TOP/scripts/source.sh"
step assemble make -s -C "$TOP" assemble
# Report column -> kernel variant: configs/kernels.
declare -A build
cols=()
while read -r col name; do
	cols+=("$col")
	build[$col]=$name
	step "kernel-$name" bash "$TOP/scripts/build-kernel.sh" "$name"
done < <(report_columns)
[ -n "${build[baseline]:-}" ] || die "configs/kernels has no report column 'baseline'"
build_of() { echo "${build[$1]}"; }
step userspace bash "$TOP/scripts/build-userspace.sh"

# Every bench_* job: those build-userspace.sh generated from
# benchmarks/benchmarks and the hand-written ones in benchmarks/jobs/.
jobs=$({ grep -v '^[[:space:]]*\(#\|$\)' "$TOP/benchmarks/benchmarks" | awk '{ print "bench_" $1 }'
	find "$TOP/benchmarks/jobs" -name 'bench_*.sh' -printf '%f\n' | sed 's/\.sh$//'; } |
	LC_ALL=C sort | paste -sd,)
# mem_shadow first: the pin words and the record hash are boot totals
# (allocated on demand, never freed), so in the first job they hold only
# what its own pins allocated, not what earlier jobs' pins left behind.
case ",$jobs," in *,bench_mem_shadow,*) jobs=bench_mem_shadow,$(echo "$jobs" | tr ',' '\n' | grep -vx bench_mem_shadow | paste -sd,) ;; esac
[ -n "$jobs" ] || die "no benchmark job (benchmarks/benchmarks, benchmarks/jobs/bench_*.sh)"
note "report: $(echo "$jobs" | tr ',' '\n' | wc -l) benchmark jobs, ${REPS:-5} runs each, sizes ${SIZE_MIB:-64}/${BIG_MIB:-256} MiB"
# Two methods. Always TCG icount: instruction counts, exact and repeatable.
# Then, where a KVM guest boots, the same jobs again under KVM: wall-clock
# time and the PMU counters the guest has (report.py's KVM columns).
# REPORT_TIMED=auto (default: KVM if it works), no, or tcg (plain TCG wall
# clock instead of KVM: only to exercise the second pass on a host without KVM).
timed=${REPORT_TIMED:-auto}
case $timed in
auto) if kvm_works "$(kernel_out baseline)/arch/x86/boot/bzImage"; then timed=kvm; else timed=no; fi ;;
kvm | tcg | no) ;;
*) die "REPORT_TIMED='$timed': auto, kvm, tcg or no" ;;
esac
icount=1
# CPUs per guest (SMP=N overrides). Under icount QEMU runs every vCPU in one
# host thread, so a second vCPU adds interleaving, not parallelism: a job
# whose children may land on either vCPU (anon_cow) then measures 1x or 2x
# its work from run to run. The icount pass uses one vCPU, the KVM pass two.
smp=${SMP:-1}
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "SMP='$smp': a number of CPUs"
export WB_REPORT_SMP=$smp
rm -rf "$R.tmp"
mkdir -p "$R.tmp"
# 6 GiB: pin_scale holds up to 1 Mi pages (4 GiB) pinned while it measures.
mem=${MEM:-6G}
export WB_REPORT_MEM=$mem
for k in "${cols[@]}"; do
	MEM=$mem SMP=$smp ICOUNT=$icount APPEND="wb.reps=${REPS:-5} wb.size=${SIZE_MIB:-64} wb.bigsize=${BIG_MIB:-256}" \
		step "bench-$k" bash "$TOP/scripts/run-guest.sh" "$(build_of "$k")" "$jobs" "$R.tmp/$k" ||
		die "benchmark run on $k failed: $(cat "$R.tmp/$k/status" 2>/dev/null) (console: $R.tmp/$k/console.log)"
done
# The timed pass: every kernel again, same jobs, into kvm/<column>.
if [ "$timed" != no ]; then
	export WB_REPORT_TIMED=$timed
	for k in "${cols[@]}"; do
		# shellcheck disable=SC2097,SC2098 # KVM applies to run-guest.sh only
		MEM=$mem SMP=${SMP_KVM:-2} ICOUNT=0 KVM=$([ "$timed" = kvm ] && echo 1 || echo 0) \
			APPEND="wb.reps=${REPS:-5} wb.size=${SIZE_MIB:-64} wb.bigsize=${BIG_MIB:-256}" \
			step "bench-$k-$timed" bash "$TOP/scripts/run-guest.sh" "$(build_of "$k")" "$jobs" "$R.tmp/kvm/$k" ||
			die "timed benchmark run on $k failed: $(cat "$R.tmp/kvm/$k/status" 2>/dev/null) (console: $R.tmp/kvm/$k/console.log)"
	done
fi
# Pins from several CPUs at once: its own boot with SMP_CPUS vCPUs (default
# 4), baseline and shadow only; benchmarks/jobs/smp_pin_threads.sh.
smp_cpus=${SMP_CPUS:-4}
[[ $smp_cpus =~ ^[1-9][0-9]*$ ]] || die "SMP_CPUS='$smp_cpus': a number of CPUs"
export WB_REPORT_SMP_CPUS=$smp_cpus
for k in baseline shadow; do
	SMP=$smp_cpus ICOUNT=$icount APPEND="wb.reps=${REPS:-5} wb.size=${SIZE_MIB:-64}" \
		step "bench-$k-smp$smp_cpus" bash "$TOP/scripts/run-guest.sh" "$(build_of "$k")" \
		smp_pin_threads "$R.tmp/$k/smp" ||
		die "multi-CPU benchmark run on $k failed: $(cat "$R.tmp/$k/smp/status" 2>/dev/null) (console: $R.tmp/$k/smp/console.log)"
done
for k in "${cols[@]}"; do
	o=$(kernel_out "$(build_of "$k")")
	cp "$o/.config" "$R.tmp/$k/config"
	size "$o/vmlinux" | tail -n 1 >"$R.tmp/$k/vmlinux.size"
	# vmlinux pads .text to an alignment boundary; vmlinux.o shows real growth.
	size "$o/vmlinux.o" | tail -n 1 >"$R.tmp/$k/vmlinux.o.size"
	# Text symbols and their sizes: report.py compares pristine and =n by function.
	nm -S --defined-only "$o/vmlinux.o" |
		awk '$3 ~ /^[tTwW]$/ { print $4, $2 }' | sort >"$R.tmp/$k/vmlinux.o.syms"
done
git -C "$TOP" describe --always --dirty >"$R.tmp/commit" 2>/dev/null || echo unknown >"$R.tmp/commit"
git -C "$TREE" rev-parse HEAD >"$R.tmp/tree-commit"
rc=0
step generate python3 "$TOP/benchmarks/report.py" "$R.tmp" || rc=$?
rm -rf "$R"
mv "$R.tmp" "$R"
echo "report: $R/report.md (total $(($(date +%s) - t0)) s)"
[ "$rc" = 0 ] || die "report: the shadow-off kernel differs from pristine or a run failed (see $R/report.md)"
