#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Export the committed state of the assembled tree back into the repository:
# files that do not exist in the pristine base go to shadow-pte/ or kunit/
# (KUnit suites: to kunit/), commits after tag "overlay" become
# kernel-patches/NNNN-*.patch (restricted to files of the base) plus "series".
#
# Environment: EXPORT_TO (default: this repository), WB_TREE (default build/tree).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
EXPORT_TO=${EXPORT_TO:-$TOP}

[ -d "$TREE/.git" ] || die "no assembled tree at $TREE: run 'make assemble'"
[ -z "$(tree_edits "$TREE")" ] ||
	die "$TREE has uncommitted edits ($(tree_edits "$TREE" | head -n 3 | tr '\n' ' ')): commit them there first (git -C $TREE commit -a; new files need 'git add -f' because Debian's .gitignore ignores /*), then 'make export'"
git -C "$TREE" rev-parse -q --verify overlay >/dev/null || die "$TREE has no 'overlay' tag: re-run 'make assemble'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/shadow-pte" "$tmp/kunit" "$tmp/kernel-patches"

# 1. New files, at their overlay place (an existing one keeps its folder).
mapfile -t added < <(git -C "$TREE" diff --name-only --no-renames --diff-filter=A base HEAD)
for f in "${added[@]}"; do
	if [ -f "$EXPORT_TO/kunit/$f" ]; then
		d=kunit
	elif [ -f "$EXPORT_TO/shadow-pte/$f" ]; then
		d=shadow-pte
	elif [[ $f == *kunit* ]] || grep -q kunit_test_suite "$TREE/$f"; then
		d=kunit
	else
		d=shadow-pte
	fi
	mkdir -p "$tmp/$d/$(dirname "$f")"
	git -C "$TREE" show "HEAD:$f" >"$tmp/$d/$f"
	[ -x "$TREE/$f" ] && chmod +x "$tmp/$d/$f"
done

# 2. Changes to files of the base, one patch per commit after "overlay".
excl=()
for f in "${added[@]}"; do excl+=(":(exclude)$f"); done
git -C "$TREE" -c core.abbrev=12 -c diff.noprefix=false -c diff.mnemonicPrefix=false -c format.signature= \
	format-patch -q --zero-commit --no-signature --no-renames -o "$tmp/kernel-patches" \
	overlay..HEAD -- . "${excl[@]}"
# Blank context lines become empty lines, which git am accepts: inside a git
# work tree checkpatch takes a tracked .patch for a source file, and would
# report each " " line as trailing whitespace.
sed -i 's/^ $//' "$tmp/kernel-patches"/*.patch 2>/dev/null || true
(cd "$tmp/kernel-patches" && find . -name '*.patch' -printf '%f\n' | LC_ALL=C sort) >"$tmp/kernel-patches/series"

# 3. Replace the repository's copies. Top-level project files of shadow-pte/
#    and kunit/ (README.md, .kunitconfig) are kept.
for d in shadow-pte kunit; do
	mkdir -p "$EXPORT_TO/$d"
	find "$EXPORT_TO/$d" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
	cp -a "$tmp/$d/." "$EXPORT_TO/$d/"
done
mkdir -p "$EXPORT_TO/kernel-patches"
find "$EXPORT_TO/kernel-patches" -maxdepth 1 \( -name '*.patch' -o -name series \) -delete
cp -a "$tmp/kernel-patches/." "$EXPORT_TO/kernel-patches/"
if [ ! -s "$EXPORT_TO/kernel-patches/series" ]; then
	echo "# (no patches yet)" >"$EXPORT_TO/kernel-patches/series"
fi
git -C "$TREE" rev-parse HEAD >"$TREE/.git/workbench-assembled"
note "exported ${#added[@]} new files and $(grep -vc '^#' "$EXPORT_TO/kernel-patches/series" || true) patches to $EXPORT_TO"
