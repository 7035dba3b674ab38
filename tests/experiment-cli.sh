#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make experiment's input checks, without building anything: each bad
# argument must stop scripts/experiment.sh with its own message before it
# clones or builds; and each docs/evidence/*-experiment.diff must pass the
# script's CHECK_ONLY=1 run: its jobs named and known, and applying to the
# assembled tree (skipped, with the reason, when the series has moved on
# since the experiment was made).
# Ends with "N passed, N failed, N skipped".
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
P=0 F=0 S=0
ok() { echo "ok - $1"; P=$((P + 1)); }
bad() { echo "not ok - $1"; F=$((F + 1)); }

# expect_error DESC PATTERN [VAR=VALUE...] -- ARGS...: experiment.sh must
# fail, print PATTERN, and not create build/experiments/<anything new>.
expect_error() {
	local desc=$1 pat=$2 out rc=0
	shift 2
	local env=()
	while [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	out=$(env "${env[@]}" bash "$TOP/scripts/experiment.sh" "$@" 2>&1) || rc=$?
	if [ "$rc" != 0 ] && grep -q -- "$pat" <<<"$out"; then
		ok "$desc"
	else
		bad "$desc (status $rc, output: $out)"
	fi
}

expect_error "no name" "usage: experiment.sh NAME" -- ''
expect_error "name with a slash" "lower-case letters" -- '../x'
expect_error "unknown experiment lists the known ones" "experiments: .*pageword" -- nosuch
expect_error "REPS not a number" "REPS='x'" REPS=x -- pageword
expect_error "REPS zero" "REPS='0'" REPS=0 -- pageword
expect_error "EXP_APPEND with a shell character" "EXP_APPEND=" 'EXP_APPEND=a;b' -- pageword
expect_error "unknown job" "no benchmark job 'nosuch'" EXP_JOBS=nosuch -- pageword
expect_error "job name with a slash" "job name '../x'" EXP_JOBS=../x -- pageword

# Each kept experiment, through the script's own checks (CHECK_ONLY=1:
# its jobs, then git apply --check on the assembled tree; status 3 when
# only the latter fails).
for d in "$TOP"/docs/evidence/*-experiment.diff; do
	n=$(basename "$d" -experiment.diff)
	if [ ! -d "$TREE/.git" ]; then
		echo "ok - $n: applies # SKIP no assembled tree"
		S=$((S + 1))
		continue
	fi
	rc=0
	out=$(CHECK_ONLY=1 bash "$TOP/scripts/experiment.sh" "$n" 2>&1) || rc=$?
	case $rc in
	0) ok "$n: names its jobs and applies to the assembled tree" ;;
	3)
		echo "ok - $n: applies # SKIP made on an older series; it no longer applies"
		S=$((S + 1))
		;;
	*) bad "$n: $out" ;;
	esac
done
echo "$P passed, $F failed, $S skipped"
[ "$F" = 0 ]
