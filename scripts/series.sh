#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series: the change as a patch series a reviewer can read.
#   series.sh          build/series/: git format-patch --cover-letter of the
#                      assembled tree (base..HEAD), the cover letter filled
#                      in from the latest build/report/report.md and
#                      build/stress/shadow/results.txt (scripts/cover_letter.py)
#   series.sh check    also: checkpatch --strict on every patch; git am of the
#                      series onto the pristine tree in build/series-am, whose
#                      tree must equal the assembled one; with SERIES_BUILD=1
#                      every prefix builds the shadow kernel there (incremental,
#                      ccache; stops at the first that fails). Prints the time
#                      of each part and "N passed, N failed".
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
mode=${1:-write}
[ -d "$TREE/.git" ] || die "no assembled tree at $TREE: run 'make assemble'"
[ -z "$(tree_edits "$TREE")" ] || die "$TREE has uncommitted edits: commit and 'make export' first"
S=$BUILD/series
t0=$(date +%s)
rm -rf "$S"
git -C "$TREE" format-patch -q --cover-letter --zero-commit --no-signature -o "$S" base..HEAD
python3 "$TOP/scripts/cover_letter.py" "$S/0000-cover-letter.patch" \
	"$BUILD/report/report.md" "$BUILD/stress/shadow/results.txt"
n=$(find "$S" -name '[0-9]*.patch' ! -name '0000-*' | wc -l)
note "series: $S, cover letter + $n patches ($(($(date +%s) - t0)) s)"
[ "$mode" = check ] || exit 0

pass=0 fail=0
result() { # OK MESSAGE
	if [ "$1" = 0 ]; then
		pass=$((pass + 1))
		echo "ok: $2"
	else
		fail=$((fail + 1))
		echo "FAIL: $2"
	fi
}

# 1. checkpatch, one verdict per patch (from the pristine tree: see check.sh).
t1=$(date +%s)
mapfile -t patches < <(find "$S" -name '[0-9]*.patch' ! -name '0000-*' | LC_ALL=C sort)
for p in "${patches[@]}"; do
	rc=0
	out=$(cd "$PRISTINE" && perl scripts/checkpatch.pl --no-tree --strict --terse "$p" 2>&1) || rc=$?
	result "$rc" "checkpatch $(basename "$p")"
	[ "$rc" = 0 ] || printf '%s\n' "$out" | head -n 8 | sed 's/^/    /'
done
note "series-check: checkpatch $(($(date +%s) - t1)) s"

# 2. git am onto pristine: the result must be the assembled tree.
t1=$(date +%s)
A=$BUILD/series-am
if [ ! -d "$A/.git" ]; then
	git clone -q --no-checkout "$PRISTINE" "$A"
fi
git -C "$A" am --abort >/dev/null 2>&1 || true
git -C "$A" checkout -q -f base
git -C "$A" clean -q -fdx -e '/.out-*'
rc=0
git -C "$A" -c user.name=series -c user.email=series@localhost am -q "${patches[@]}" || rc=$?
result "$rc" "git am of $n patches onto the pristine tree"
if [ "$rc" = 0 ]; then
	want=$(git -C "$TREE" rev-parse 'HEAD^{tree}')
	got=$(git -C "$A" rev-parse 'HEAD^{tree}')
	[ "$want" = "$got" ] && rc=0 || rc=1
	result "$rc" "the applied series equals the assembled tree (tree $got)"
fi
note "series-check: git am $(($(date +%s) - t1)) s"

# 3. Every prefix builds (opt-in: each prefix that touches a widely included
# header recompiles most of the kernel).
if [ "${SERIES_BUILD:-0}" = 1 ] && [ "$rc" = 0 ]; then
	mapfile -t commits < <(git -C "$A" rev-list --reverse base..HEAD)
	i=0
	for c in "${commits[@]}"; do
		i=$((i + 1))
		t1=$(date +%s)
		git -C "$A" checkout -q "$c"
		rc=0
		WB_TREE=$A bash "$TOP/scripts/build-kernel.sh" shadow >"$BUILD/series-build-$i.log" 2>&1 || rc=$?
		result "$rc" "prefix $i/${#commits[@]} builds: $(git -C "$A" log -1 --format=%s "$c") ($(($(date +%s) - t1)) s)"
		if [ "$rc" != 0 ]; then
			grep -E 'error|Error' "$BUILD/series-build-$i.log" | head -n 5 | sed 's/^/    /'
			break
		fi
	done
fi
echo "series-check: $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
