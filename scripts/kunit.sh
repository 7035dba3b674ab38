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
counts=$(kunit_counts "$log")
if [ -z "$counts" ]; then
	tail -n 40 "$log" >&2
	die "kunit.py did not complete (status $rc); full log: $log"
fi
read -r p f s <<<"$counts"
grep -E '^\[[0-9:]+\] +(\[FAILED\]|\[CRASHED\])' "$log" >&2 || true
echo "kunit: $p passed, $f failed, $s skipped"
[ "$rc" = 0 ] && [ "$f" = 0 ]
