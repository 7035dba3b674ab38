#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Edit which patch of `make series` adds which part of the new files
# (kernel-patches/split/*.diff, see lib.sh's split_load and docs/design.md).
#   split.sh unpack   build/split-work: a git repository holding the new files
#                     that the splits touch, as they are in shadow-pte/
#                     (commit "final"), then one commit per split, last patch
#                     first, that takes it back out ("remove: <file>"). The
#                     tree of each commit is those files as the patch before
#                     that split leaves them.
#   split.sh pack     write every split's diff back from build/split-work; the
#                     header lines of kernel-patches/split/*.diff are kept.
#   split.sh append NAME.diff
#                     fill in the series' last split, NAME.diff, whose header
#                     and "---" are written and whose diff is still empty:
#                     its diff is the new files (the assembled overlay)
#                     against the same files as HEAD commits them
#                     (SPLIT_BASE: a folder of them, by kernel path, instead),
#                     and the splits are then unpacked once to check them.
# SPLIT_WORK: another stage repository; SPLIT_DIR: another folder of splits.
# Moving code between patches: unpack, rewrite the "remove:" commits (git
# rebase -i there; "final" must stay equal to the new files), pack, then
# `make series-check`. A new split at the end of the series: write its
# file with the header and "---" only, edit shadow-pte/ and kunit/, then
# `make split-append SPLIT=NAME.diff`. A new split elsewhere: add its file
# the same way, unpack (its removal commit is empty), fill that commit in,
# pack.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
mode=${1:?usage: split.sh unpack|pack|append NAME.diff}
W=${SPLIT_WORK:-$BUILD/split-work}
[ -d "$TREE/.git" ] || die "no assembled tree at $TREE: run 'make assemble'"
git -C "$TREE" rev-parse -q --verify overlay >/dev/null || die "$TREE has no 'overlay' tag: re-run 'make assemble'"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SPLIT_ALLOW_EMPTY=1 split_load "$tmp"
# The new files the splits touch.
mapfile -t files < <(cat "$tmp"/*.diff | sed -n 's#^diff --git a/\([^ ]*\) b/.*#\1#p' | LC_ALL=C sort -u)

case $mode in
unpack)
	[ ! -e "$W" ] || die "$W exists: 'make split-pack' it first if it holds edits, then remove it"
	mkdir -p "$W"
	git -C "$W" init -q
	git -C "$W" config user.name workbench
	git -C "$W" config user.email workbench@localhost
	# "final", then one "remove: <split>" commit per split.
	commit() { # [INDEX]
		git -C "$W" add -A
		if [ $# = 0 ]; then
			git -C "$W" commit -q -m final
		else
			git -C "$W" commit -q --allow-empty -m "remove: $(basename "${sp_file[$1]}")"
		fi
	}
	split_unwind "$W" commit "${files[@]}" ||
		die "${sp_name[split_failed]} does not come back out of the new files: take it out by hand in $W, commit it as 'remove: $(basename "${sp_file[split_failed]}")', go on with the rest, then pack"
	note "split: $W, 'final' + ${#order[@]} removals (git -C $W log --stat)"
	;;
pack)
	[ -d "$W/.git" ] || die "no $W: run 'make split-unpack' first"
	final=$(git -C "$W" log --format=%H --grep='^final$' -1)
	[ -n "$final" ] || die "$W has no 'final' commit"
	for f in "${files[@]}"; do
		git -C "$TREE" show "overlay:$f" | cmp -s - <(git -C "$W" show "$final:$f") ||
			die "$W: 'final' holds another $f than the new files: the splits must add up to them"
	done
	for j in "${!sp_file[@]}"; do
		d=${sp_file[j]}
		c=$(git -C "$W" log --format=%H -F --grep="remove: $(basename "$d")" -1)
		[ -n "$c" ] || die "$W: no commit 'remove: $(basename "$d")'"
		{
			sed -n '1,/^---$/p' "$d" | sed '$d'
			echo ---
			git -C "$W" diff "$c" "$c~1" | grep -v '^index '
		} >"$tmp/out"
		cmp -s "$tmp/out" "$d" || { cp "$tmp/out" "$d" && note "split: wrote ${sp_name[j]}"; }
	done
	;;
append)
	sd=${SPLIT_DIR:-$TOP/kernel-patches/split}
	name=${2:?usage: split.sh append NAME.diff, the last split of the series with its header written}
	d=$sd/$(basename "$name")
	[ -f "$d" ] || die "no $d: write its header (After:, Subject:, changelog) and a line '---' first"
	grep -qx -- '---' "$d" || die "$d: no line '---' after its header"
	[ -z "$(sed '1,/^---$/d' "$d")" ] || die "$d already has a diff: append fills in an empty split only"
	last=${order[${#order[@]} - 1]}
	[ "${sp_file[last]}" -ef "$d" ] ||
		die "$(basename "$d") is not the series' last split (${sp_name[last]} is): append adds at the end only; elsewhere, unpack and rewrite the removal commits"
	r=$tmp/append
	git init -q "$r"
	git -C "$r" config user.name workbench
	git -C "$r" config user.email workbench@localhost
	mapfile -t ov < <(bash "$TOP/scripts/overlay-files.sh" "$TOP")
	# Before: the files as HEAD commits them, or as SPLIT_BASE holds them.
	for l in "${ov[@]}"; do
		rp=${l%% *} kp=${l#* }
		mkdir -p "$r/$(dirname "$kp")"
		if [ -n "${SPLIT_BASE:-}" ]; then
			[ -f "$SPLIT_BASE/$kp" ] || continue
			cp "$SPLIT_BASE/$kp" "$r/$kp"
		else
			git -C "$TOP" show "HEAD:$rp" >"$r/$kp" 2>/dev/null ||
				die "$rp is not in HEAD: a new file enters with the new-files patch, not with a split"
		fi
	done
	git -C "$r" add -A
	git -C "$r" commit -q -m before
	# After: the new files as the assembled tree has them.
	for l in "${ov[@]}"; do
		kp=${l#* }
		[ -f "$r/$kp" ] || continue
		git -C "$TREE" show "overlay:$kp" >"$r/$kp"
	done
	git -C "$r" diff | grep -v '^index ' >"$tmp/part" || true
	[ -s "$tmp/part" ] || die "the new files equal ${SPLIT_BASE:-HEAD}'s: nothing to append (edit shadow-pte/ or kunit/ and 'make assemble' first)"
	cp "$d" "$tmp/header"
	cat "$tmp/part" >>"$d"
	if ! out=$(SPLIT_WORK=$tmp/verify bash "$0" unpack 2>&1); then
		cp "$tmp/header" "$d"
		die "the splits no longer come back out with $(basename "$d") filled in, left empty again: $out"
	fi
	note "split: wrote $(basename "$d") ($(grep -c '^diff --git ' "$tmp/part") files)"
	;;
*) die "usage: split.sh unpack|pack|append NAME.diff" ;;
esac
