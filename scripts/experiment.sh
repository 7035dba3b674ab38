#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Rebuild and re-measure a kernel experiment kept as a diff:
#   experiment.sh NAME
# docs/evidence/NAME-experiment.diff is applied to a clone of the assembled
# tree (build/exp-NAME, left in place), the shadow-bench kernel is built
# there (ccache shares the objects with build/tree), and the jobs its
# header names ("Jobs: gup munmap_pinned ...", may start with "# ", before
# the first "diff --git" line, which git apply skips) run under TCG icount on that kernel
# and on the baseline kernel of make report. Output: build/experiments/
# NAME[-EXP_APPEND]/{results.txt,summary.txt}: the RESULT lines, then per key the median
# of each kernel and their ratio. REPS= (3) runs per job, MEM= (6G),
# EXP_JOBS= (instead of the header's jobs), EXP_APPEND= (more kernel
# arguments for the experiment kernel only, e.g. the diff's spte_exp=N).
# CHECK_ONLY=1 stops after the argument checks and a git apply --check on
# the assembled tree (status 3 if only that fails), cloning and building
# nothing: tests/experiment-cli.sh.
# The experiments are measurements, not candidate patches: their kernels
# run only the jobs they name (docs/pin-records.md).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
NAME=${1:?usage: experiment.sh NAME (docs/evidence/NAME-experiment.diff)}
[[ $NAME =~ ^[a-z0-9-]+$ ]] || die "experiment name '$NAME': lower-case letters, digits and '-' only"
diff=$TOP/docs/evidence/$NAME-experiment.diff
[ -f "$diff" ] || die "no $diff; experiments: $(find "$TOP/docs/evidence" -name '*-experiment.diff' -printf '%f\n' | sed 's/-experiment\.diff$//' | sort | tr '\n' ' ')"
reps=${REPS:-3}
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "REPS='$reps': a positive number"
read -r -a jobs < <(sed -n 's/^#\{0,1\} *Jobs: \([a-z0-9_ ]*\).*/\1/p;/^diff --git/q' "$diff") || true
[ -z "${EXP_JOBS:-}" ] || read -r -a jobs <<<"$EXP_JOBS"
[[ ${EXP_APPEND:-} =~ ^[a-z0-9_.=,\ -]*$ ]] || die "EXP_APPEND='$EXP_APPEND': kernel arguments (letters, digits, _ . = , -)"
[ "${#jobs[@]}" -gt 0 ] || die "$diff names no jobs (a 'Jobs: ...' line before the first 'diff --git')"
for j in "${jobs[@]}"; do
	[[ $j =~ ^[a-z0-9_]+$ ]] || die "job name '$j': lower-case letters, digits and '_' (benchmarks/benchmarks)"
	[ -f "$USERSPACE/jobs/bench_$j.sh" ] || [ -f "$TOP/benchmarks/jobs/bench_$j.sh" ] ||
		grep -q "^$j " "$TOP/benchmarks/benchmarks" ||
		die "no benchmark job '$j' (benchmarks/benchmarks, benchmarks/jobs/bench_*.sh)"
done
[ -d "$TREE/.git" ] || die "no assembled tree at $TREE: run 'make assemble'"
if [ "${CHECK_ONLY:-0}" = 1 ]; then
	git -C "$TREE" apply --check "$diff" 2>/dev/null || {
		echo "error: $diff does not apply to the assembled tree: the experiment was made on an older series" >&2
		exit 3
	}
	note "experiment $NAME: jobs ${jobs[*]}; applies to the assembled tree"
	exit 0
fi
[ -f "$USERSPACE/initramfs.cpio" ] || die "no initramfs: run 'make userspace'"

wt=$BUILD/exp-$NAME
exp_append=${EXP_APPEND:-}
out=$BUILD/experiments/$NAME${exp_append:+-${exp_append//[ =,.]/_}}
head=$(git -C "$TREE" rev-parse HEAD)
if [ ! -d "$wt/.git" ]; then
	note "cloning $TREE to $wt"
	git clone -q --no-checkout "$TREE" "$wt"
fi
git -C "$wt" fetch -q "$TREE" "$head"
git -C "$wt" checkout -q -f --detach "$head"
git -C "$wt" apply --check "$diff" ||
	die "$diff does not apply to the assembled tree ($head): the experiment was made on an older series"
git -C "$wt" apply "$diff"

rm -rf "$out"
mkdir -p "$out"
WB_TREE=$wt bash "$TOP/scripts/build-kernel.sh" shadow-bench
bash "$TOP/scripts/build-kernel.sh" baseline

for k in baseline experiment; do
	for j in "${jobs[@]}"; do
		extra=
		if [ "$k" = experiment ]; then ktree=$wt extra=${EXP_APPEND:-}; else ktree=$TREE; fi
		kname=shadow-bench
		[ "$k" = baseline ] && kname=baseline
		cmd=$(printf 'sh /jobs/bench_%s.sh' "$j" | base64 -w0)
		WB_TREE=$ktree APPEND="wb.cmd=$cmd wb.reps=$reps $extra" ICOUNT=1 SMP=1 MEM=${MEM:-6G} \
			bash "$TOP/scripts/run-guest.sh" "$kname" run_cmd "$out/$k-$j" >"$out/$k-$j.log" 2>&1 ||
			die "$k: job $j failed: $out/$k-$j.log"
	done
done
# benchmarks/report.py's reader: a job that failed, never ended or printed
# nothing stops the experiment, as it would fail make report.
python3 - "$TOP/benchmarks" "$out" "${jobs[@]}" >"$out/summary.txt" <<'EOF'
import os, statistics, sys
sys.path.insert(0, sys.argv[1])
import report
out, jobs = sys.argv[2], sys.argv[3:]
runs, bad = {}, []
for kernel in ('baseline', 'experiment'):
    for job in jobs:
        path = f'{out}/{kernel}-{job}/results.txt'
        if not os.path.exists(path):
            bad.append(f'{kernel} {job}: no {path}')
            continue
        rows, failed = report.parse(path, kernel)
        bad += [f'{kernel} {job}: {x}' for x in failed]
        per_page = [r for r in rows if r[3].endswith('per_page')]
        if not per_page:
            bad.append(f'{kernel} {job}: no per-page RESULT ({path})')
        for _, _, _, metric, v in per_page:
            runs.setdefault(metric, {}).setdefault(kernel, []).append(v)
if bad:
    sys.exit('error: ' + '; '.join(bad))
print(f"{'key':45} {'baseline':>10} {'experiment':>11} {'ratio':>7}")
for key, d in sorted(runs.items()):
    if 'baseline' not in d or 'experiment' not in d:
        continue
    b, e = statistics.median(d['baseline']), statistics.median(d['experiment'])
    print(f"{key:45} {b:10.1f} {e:11.1f} {e / b if b else float('nan'):7.3f}")
EOF
for k in baseline experiment; do
	for j in "${jobs[@]}"; do
		grep -h '^RESULT ' "$out/$k-$j/results.txt" | sed "s/^/$k /" >>"$out/results.txt"
	done
done
cat "$out/summary.txt"
note "experiment $NAME${EXP_APPEND:+ ($EXP_APPEND)}: $out/summary.txt (medians of $reps runs, TCG icount, guest instructions per page)"
