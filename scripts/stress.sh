#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make stress: boot the debug shadow kernel (configs/shadow.config plus
# configs/debug.config: KASAN, lockdep, DEBUG_VM, PAGE_TABLE_CHECK, kmemleak,
# PREEMPT, fault injection, CONFIG_DEBUG_SHADOW_PTE) on SMP CPUs with
# panic_on_warn, run the seeded race stress for DURATION seconds and then
# every shadow-PTE and mm selftest, and fail on any oracle, selftest failure
# or kernel splat.
# Environment: DURATION (s, default 600), SEED (default: derived from the
# time, printed), FAULTS (fault-injection percent, default 2; 0 turns it
# off), SMP (default 2), KERNEL (default shadow; baseline runs the same jobs
# on the page-bit kernel with the same debug options).
# Ends with "N passed, N failed".
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
DURATION=${DURATION:-600}
SEED=${SEED:-$(date +%s)}
FAULTS=${FAULTS:-2}
K=${KERNEL:-shadow}
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION='$DURATION': whole seconds"
[[ $SEED =~ ^[0-9]+$ ]] || die "SEED='$SEED': a decimal number"
if ! [[ $FAULTS =~ ^[0-9]+$ ]] || [ "$FAULTS" -gt 100 ]; then
	die "FAULTS='$FAULTS': a percentage, 0..100"
fi
export DEBUG=1
JOBS_LIST=shadow_pte_stress,shadow_pte_pins,shadow_pte_special,shadow_pte_debugfs,cow,gup_longterm,gup_test_u,gup_test_a
out=$BUILD/stress
mkdir -p "$out"

step setup bash "$TOP/scripts/setup.sh"
step source bash "$TOP/scripts/source.sh"
step assemble make -s -C "$TOP" assemble
step "kernel-$K-debug" bash "$TOP/scripts/build-kernel.sh" "$K" >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "debug kernel build failed (log: $out/build.log)"; }
step userspace bash "$TOP/scripts/build-userspace.sh" >"$out/userspace.log" 2>&1 ||
	{ tail -n 30 "$out/userspace.log" >&2; die "userspace build failed (log: $out/userspace.log)"; }

note "stress: kernel $K (debug), seed $SEED, $DURATION s, faults $FAULTS%, ${SMP:-2} CPUs"
rc=0
TIMEOUT=$((DURATION + 1800)) \
	APPEND="panic_on_warn=1 kmemleak=on wb.stress_seconds=$DURATION wb.stress_seed=$SEED wb.stress_faults=$FAULTS" \
	step "boot-$K-debug" bash "$TOP/scripts/run-guest.sh" "$K" "$JOBS_LIST" "$out/$K" || rc=$?

res=$out/$K/results.txt
P=0 F=0
if [ -f "$res" ]; then
	P=$(grep -cE '^ok [0-9]+' "$res" || true)
	F=$(grep -cE '^not ok [0-9]+' "$res" || true)
	echo "stress summary (seed $SEED):"
	grep -E '^stress: |^# kmemleak' "$res" | sed 's/^/  /' || true
	grep -E '^not ok [0-9]+' "$res" | sed 's/^/  FAIL /' | head -n 40 || true
	grep -E '^@@@ END ' "$res" | sed 's/^@@@ END /  job /' || true
	# What the cover letter of make series quotes; keep a copy in docs/
	# (docs/stress-<date>/) for machines that have no stress run.
	{
		echo "# make stress of $(date -u +%F), kernel $K (debug), tree $(git -C "$TREE" rev-parse --short 'HEAD^{tree}'), faults $FAULTS%"
		echo "# tap: $P passed, $F failed"
		grep -E '^stress: |^# kmemleak' "$res" || true
	} >"$out/$K/summary.txt"
fi
# A splat, a hung guest or a job that could not run is one more failure.
if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
	echo "stress: the guest failed: $(cat "$out/$K/status" 2>/dev/null || echo "status $rc")"
	F=$((F + 1))
fi
echo "console: $out/$K/console.log, results: $res"
echo "$P passed, $F failed"
[ "$F" = 0 ]
