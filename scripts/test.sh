#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make test: KUnit on UML, the assemble/export round trip, three kernels booted
# with the mm selftests (baseline = pristine, shadow, and the assembled tree
# with CONFIG_SHADOW_PTE=n), and the per-case comparisons of shadow and of
# shadow-off against baseline.
# Ends with "N passed, N failed, N skipped" over every step's cases.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
TEST_JOBS=${TEST_JOBS:-cow,gup_longterm,gup_test_u,gup_test_a,gup_test_ct,gup_test_matrix,shadow_pte_debugfs,shadow_pte_pins,shadow_pte_special,shadow_pte_stress,perf_smoke,bench_smoke}
# The short race stress (make stress runs the long one on the debug kernel).
STRESS_SECONDS=${STRESS_SECONDS:-60}
[[ $STRESS_SECONDS =~ ^[1-9][0-9]*$ ]] || die "STRESS_SECONDS='$STRESS_SECONDS': whole seconds"
t_start=$(date +%s)
rm -f "$BUILD/step-times.txt"
mkdir -p "$RESULTS"
P=0 F=0 S=0
failed_steps=()
tally() { # step-name, output-file-with-"N passed, N failed[, N skipped]"-line
	local line
	line=$(grep -Eo '[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' "$2" | tail -n 1 || true)
	if [ -z "$line" ]; then
		F=$((F + 1))
		failed_steps+=("$1 (no result line)")
		return
	fi
	read -r p _ f _ s _ <<<"${line//,/}"
	P=$((P + p)) F=$((F + f)) S=$((S + ${s:-0}))
	[ "$f" = 0 ] || failed_steps+=("$1")
}
runstep() { # name, log, cmd... : a build step; a failure counts as one failed case
	local name=$1 log=$2
	shift 2
	if step "$name" "$@" >"$log" 2>&1; then
		P=$((P + 1))
	else
		tail -n 30 "$log" >&2
		F=$((F + 1))
		failed_steps+=("$name")
		return 1
	fi
}
finish() {
	echo
	echo "step times (s):"
	sed 's/^/  /' "$BUILD/step-times.txt" 2>/dev/null || true
	echo "total: $(($(date +%s) - t_start)) s"
	[ ${#failed_steps[@]} -eq 0 ] || echo "failed: ${failed_steps[*]}"
	echo "$P passed, $F failed, $S skipped"
	[ "$F" = 0 ]
	exit $?
}

step setup bash "$TOP/scripts/setup.sh"
step source bash "$TOP/scripts/source.sh"
step assemble make -s -C "$TOP" assemble
step roundtrip bash "$TOP/tests/roundtrip.sh" | tee "$RESULTS/roundtrip.log" || true
tally roundtrip "$RESULTS/roundtrip.log"
step experiment-cli bash "$TOP/tests/experiment-cli.sh" | tee "$RESULTS/experiment-cli.log" || true
tally experiment-cli "$RESULTS/experiment-cli.log"
step kunit-um bash "$TOP/scripts/kunit.sh" | tee "$RESULTS/kunit.summary" || true
tally kunit "$RESULTS/kunit.summary"
runstep kernel-baseline "$RESULTS/build-baseline.log" bash "$TOP/scripts/build-kernel.sh" baseline || finish
runstep kernel-shadow "$RESULTS/build-shadow.log" bash "$TOP/scripts/build-kernel.sh" shadow || finish
runstep kernel-shadow-off "$RESULTS/build-shadow-off.log" bash "$TOP/scripts/build-kernel.sh" shadow-off || finish
runstep userspace "$RESULTS/build-userspace.log" bash "$TOP/scripts/build-userspace.sh" || finish
for k in baseline shadow shadow-off; do
	rc=0
	APPEND="wb.stress_seconds=$STRESS_SECONDS ${APPEND:-}" \
		step "boot-$k" bash "$TOP/scripts/run-guest.sh" "$k" "$TEST_JOBS" "$RESULTS/$k" || rc=$?
	# 3: some job returned non-zero; the comparison judges the cases.
	if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then
		P=$((P + 1))
	else
		F=$((F + 1))
		failed_steps+=("boot-$k: $(cat "$RESULTS/$k/status" 2>/dev/null || echo "status $rc")")
	fi
done
# KUnit suites built into the shadow kernel ran at boot: parse their KTAP.
if grep -q '# Subtest:' "$RESULTS/shadow/console.log" 2>/dev/null; then
	kp=0
	python3 "$TREE/tools/testing/kunit/kunit.py" parse "$RESULTS/shadow/console.log" \
		>"$RESULTS/kunit-guest.log" 2>&1 || kp=$?
	counts=$(kunit_counts "$RESULTS/kunit-guest.log")
	read -r p f s <<<"${counts:-0 1 0}"
	[ "$kp" = 0 ] || f=$((f + 1))
	echo "kunit (shadow guest): $p passed, $f failed, $s skipped" | tee "$RESULTS/kunit-guest.summary"
	tally kunit-guest "$RESULTS/kunit-guest.summary"
fi
step compare python3 "$TOP/scripts/compare.py" "$RESULTS/baseline/results.txt" \
	"$RESULTS/shadow/results.txt" "$RESULTS/comparison.md" | tee "$RESULTS/compare.log" || true
tally selftests "$RESULTS/compare.log"
echo "comparison table: $RESULTS/comparison.md"
# The assembled tree with CONFIG_SHADOW_PTE=n must behave exactly like pristine.
step compare-off python3 "$TOP/scripts/compare.py" "$RESULTS/baseline/results.txt" \
	"$RESULTS/shadow-off/results.txt" "$RESULTS/comparison-off.md" | tee "$RESULTS/compare-off.log" || true
tally selftests-shadow-off "$RESULTS/compare-off.log"
echo "comparison table (CONFIG_SHADOW_PTE=n): $RESULTS/comparison-off.md"
finish
