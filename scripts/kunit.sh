#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the KUnit suites of kunit/.kunitconfig on ARCH=um in the assembled tree.
# Writes build/results/kunit.log; prints "kunit: N passed, N failed, N skipped".
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
[ -d "$TREE/.git" ] || die "no assembled tree: run 'make assemble'"
mkdir -p "$RESULTS"
log=$RESULTS/kunit.log
rc=0
# The build dir is a direct child of the tree (relative srctree, shared ccache).
(cd "$TREE" && python3 tools/testing/kunit/kunit.py run --arch=um --build_dir=.kunit-um \
	--kunitconfig="$TOP/kunit/.kunitconfig" --jobs="$JOBS" --timeout=600 \
	--make_options CC="ccache gcc") >"$log" 2>&1 || rc=$?
line=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$log" | tail -n 1 || true)
if [ -z "$line" ]; then
	tail -n 40 "$log" >&2
	die "kunit.py did not complete (status $rc); full log: $log"
fi
p=$(echo "$line" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
f=$(echo "$line" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
s=$(echo "$line" | sed -n 's/.*skipped: \([0-9]*\).*/\1/p')
e=$(echo "$line" | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
f=$((${f:-0} + ${e:-0}))
grep -E '^\[[0-9:]+\] +(\[FAILED\]|\[CRASHED\])' "$log" >&2 || true
echo "kunit: ${p:-0} passed, $f failed, ${s:-0} skipped"
[ "$rc" = 0 ] && [ "$f" = 0 ]
