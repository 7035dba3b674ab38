#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Assemble the shadow kernel tree: pristine base + overlay commit (files of
# shadow-pte/ and kunit/ at their kernel paths, tag "overlay") + one commit per
# patch of kernel-patches/series (git am). Resets the tree in place so that
# unchanged files keep their mtimes and kernel builds stay incremental.
#
# Environment: SRC_REPO (default: this repository), WB_TREE (default build/tree),
# FORCE=1 to throw away unexported edits in the tree.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
SRC_REPO=${SRC_REPO:-$TOP}
STAMP=${WB_STAMP:-$TREE.stamp}

[ -d "$PRISTINE/.git" ] || die "no pristine tree: run 'make source' first"

if [ -d "$TREE/.git" ]; then
	if [ "${FORCE:-0}" != 1 ]; then
		[ -z "$(tree_edits "$TREE")" ] ||
			die "$TREE has uncommitted edits ($(tree_edits "$TREE" | head -n 3 | tr '\n' ' ')). Commit them there (new files: git add -f) and run 'make export', or re-run with FORCE=1 to discard them"
		last=$(cat "$TREE/.git/workbench-assembled" 2>/dev/null || true)
		[ "$(git -C "$TREE" rev-parse HEAD)" = "$last" ] ||
			die "$TREE has commits that were never exported. Run 'make export' first, or re-run with FORCE=1 to discard them"
	fi
	git -C "$TREE" am --abort >/dev/null 2>&1 || true
else
	rm -rf "$TREE"
	git clone -q --shared --no-checkout "$PRISTINE" "$TREE"
	# the author of the series: its Signed-off-by lines name the same
	git -C "$TREE" config user.name "Shadow-PTE prototype"
	git -C "$TREE" config user.email "shadow-pte@localhost"
	git -C "$TREE" config gc.auto 0
fi
rm -f "$STAMP"
git -C "$TREE" fetch -q --tags "$PRISTINE"
git -C "$TREE" checkout -q -f -B shadow base
git -C "$TREE" clean -q -fdx -e '/.out-shadow*' -e /.kunit-um

export GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
n=0
while read -r src dst; do
	mkdir -p "$(dirname "$TREE/$dst")"
	cp "$SRC_REPO/$src" "$TREE/$dst"
	git -C "$TREE" add -f -- "$dst"
	n=$((n + 1))
done < <(bash "$TOP/scripts/overlay-files.sh" "$SRC_REPO")
# The MAINTAINERS entry for those files (shadow-pte/MAINTAINERS, a project
# file) goes into the same commit, before the first section that sorts
# after it, as checkpatch asks of a patch that adds files.
entry=$SRC_REPO/shadow-pte/MAINTAINERS
if [ -f "$entry" ]; then
	maintainers_insert "$TREE/MAINTAINERS" "$entry" >"$TREE/MAINTAINERS.new"
	mv "$TREE/MAINTAINERS.new" "$TREE/MAINTAINERS"
	git -C "$TREE" add -- MAINTAINERS
fi
git -C "$TREE" commit -q --allow-empty -s -F - <<EOF
mm: add the shadow-PTE core, its KUnit suite, selftests and documentation

The files the series adds, whole: include/linux/shadow_pte.h,
mm/shadow_pte.c, mm/shadow_pte_kunit.c, the shadow_pte_* selftests and
Documentation/mm/shadow_pte.rst ($n files, from the workbench's shadow-pte/
and kunit/), and their MAINTAINERS entry. Nothing builds them until the
Kconfig and Makefile hooks of the following patches exist.
EOF
git -C "$TREE" tag -f overlay >/dev/null
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE

series=$SRC_REPO/kernel-patches/series
np=0
if [ -f "$series" ]; then
	while read -r p; do
		case "$p" in "" | \#*) continue ;; esac
		[ -f "$SRC_REPO/kernel-patches/$p" ] || die "kernel-patches/series names $p, which does not exist"
		if ! out=$(git -C "$TREE" am -q --committer-date-is-author-date "$SRC_REPO/kernel-patches/$p" 2>&1); then
			git -C "$TREE" am --abort >/dev/null 2>&1 || true
			echo "$out" >&2
			die "kernel-patches/$p no longer applies to $DEB_PKG $DEB_VERSION. Fix it in the tree ('git -C $TREE am' by hand, resolve, 'make export') or rebase the series"
		fi
		np=$((np + 1))
	done <"$series"
fi
git -C "$TREE" rev-parse HEAD >"$TREE/.git/workbench-assembled"
git -C "$TREE" rev-parse HEAD >"$STAMP"
note "assembled $TREE: $n overlay files, $np patches"
