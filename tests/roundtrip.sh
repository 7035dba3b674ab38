#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Assemble -> export must be lossless.
#  1. Export the assembled build/tree into a scratch copy: no diff against the
#     repository's shadow-pte/, kunit/ and kernel-patches/.
#  2. In a scratch tree: add a commit that edits a base file and adds a plain
#     file and a KUnit file; export; re-assemble from that export; export
#     again: both exports and both trees must be identical, and the files must
#     land in the right folders.
#  3. Bad input: unexported commits, a stale patch.
#  4. kernel-patches/split unpacks from the new files and packs back
#     unchanged; a stale or unanchored split fails clearly; append writes
#     the last split back from the files before it.
# Prints "roundtrip: N passed, N failed".
set -euo pipefail
pass=0
fail=0
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"
check() { # name, command...
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $name"
		pass=$((pass + 1))
	else
		echo "not ok - $name"
		fail=$((fail + 1))
	fi
}
copy_repo() { # dest
	local d
	for d in shadow-pte kunit kernel-patches; do
		mkdir -p "$1/$d"
		[ -d "$TOP/$d" ] && cp -a "$TOP/$d/." "$1/$d/"
	done
}
same() { diff -r "$1/shadow-pte" "$2/shadow-pte" && diff -r "$1/kunit" "$2/kunit" &&
	diff -r "$1/kernel-patches" "$2/kernel-patches"; }

[ -f "$TREE.stamp" ] || die "no assembled tree: run 'make assemble'"
scratch=$BUILD/roundtrip
rm -rf "$scratch/a" "$scratch/b" "$scratch/c" "$scratch/log"
mkdir -p "$scratch"
trap '[ "$fail" = 0 ] || tail -n 20 "$scratch/log" >&2' EXIT

# 1. The repository itself.
copy_repo "$scratch/a"
EXPORT_TO=$scratch/a bash "$TOP/scripts/export.sh" 2>>"$scratch/log"
check "export of the assembled tree reproduces the repository" same "$TOP" "$scratch/a"

# 2. A synthetic edit in a scratch tree.
rt=$scratch/tree
SRC_REPO=$TOP WB_TREE=$rt WB_STAMP=$scratch/tree.stamp FORCE=1 bash "$TOP/scripts/assemble.sh" 2>>"$scratch/log"
echo "# roundtrip probe" >>"$rt/mm/Kconfig"
mkdir -p "$rt/mm"
printf '// SPDX-License-Identifier: GPL-2.0\n/* roundtrip probe */\n' >"$rt/mm/rt_probe.c"
printf '// SPDX-License-Identifier: GPL-2.0\n#include <kunit/test.h>\nkunit_test_suite(rt_probe);\n' >"$rt/mm/rt_probe_test.c"
git -C "$rt" add -f mm/Kconfig mm/rt_probe.c mm/rt_probe_test.c
git -C "$rt" commit -q -m "mm: roundtrip probe" -m "Edits a base file and adds two new ones."
head1=$(git -C "$rt" rev-parse 'HEAD^{tree}')
copy_repo "$scratch/b"
WB_TREE=$rt EXPORT_TO=$scratch/b bash "$TOP/scripts/export.sh" 2>>"$scratch/log"
check "new plain file goes to shadow-pte/" test -f "$scratch/b/shadow-pte/mm/rt_probe.c"
check "new KUnit file goes to kunit/" test -f "$scratch/b/kunit/mm/rt_probe_test.c"
check "edit of a base file becomes a patch" grep -q '^+# roundtrip probe' "$scratch/b"/kernel-patches/*roundtrip-probe.patch
check "the patch holds no new file" bash -c "! grep -q rt_probe $scratch/b/kernel-patches/*roundtrip-probe.patch"
check "series lists the patch" grep -q roundtrip-probe "$scratch/b/kernel-patches/series"
SRC_REPO=$scratch/b WB_TREE=$rt WB_STAMP=$scratch/tree.stamp bash "$TOP/scripts/assemble.sh" 2>>"$scratch/log"
check "re-assembled tree equals the edited tree" test "$(git -C "$rt" rev-parse 'HEAD^{tree}')" = "$head1"
copy_repo "$scratch/c"
# Empty the exported parts; project files (README.md, .kunitconfig,
# kernel-patches/new-files) stay.
rm -f "$scratch/c/kernel-patches"/*.patch "$scratch/c/kernel-patches/series"
find "$scratch/c/shadow-pte" "$scratch/c/kunit" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
WB_TREE=$rt EXPORT_TO=$scratch/c bash "$TOP/scripts/export.sh" 2>>"$scratch/log"
check "second export equals the first" same "$scratch/b" "$scratch/c"

# 3. Bad input: unexported commits are protected; a stale patch fails clearly.
git -C "$rt" commit -q --allow-empty -m "unexported"
msg=$(SRC_REPO=$scratch/b WB_TREE=$rt WB_STAMP=$scratch/tree.stamp bash "$TOP/scripts/assemble.sh" 2>&1) && st=0 || st=$?
check "assemble refuses to drop unexported commits" test "$st" != 0
check "... and says why" grep -q 'never exported' <<<"$msg"
check "... leaving the commit in place" test "$(git -C "$rt" log -1 --format=%s)" = unexported
sed -i 's/^ endmenu$/ endmenu-that-is-not-there/' "$scratch/c"/kernel-patches/*roundtrip-probe.patch
msg=$(SRC_REPO=$scratch/c WB_TREE=$rt WB_STAMP=$scratch/tree.stamp FORCE=1 bash "$TOP/scripts/assemble.sh" 2>&1) && st=0 || st=$?
check "a patch that no longer applies fails the assembly" test "$st" != 0
check "... naming the patch and the fix" grep -q 'roundtrip-probe.patch no longer applies' <<<"$msg"
check "... and leaves no stamp that looks valid" test ! -e "$scratch/tree.stamp"
# 4. kernel-patches/split: every split comes back out of the new files,
#    and packing them again rewrites nothing; a stale one fails by name.
if compgen -G "$TOP/kernel-patches/split/*.diff" >/dev/null; then
	rm -rf "$scratch/split" "$scratch/split-work" "$scratch/split-bad" "$scratch/split-work-bad"
	cp -a "$TOP/kernel-patches/split" "$scratch/split"
	rc=0
	SPLIT_DIR=$scratch/split SPLIT_WORK=$scratch/split-work bash "$TOP/scripts/split.sh" unpack 2>>"$scratch/log" || rc=$?
	check "every split comes back out of the new files" test "$rc" = 0
	n=$(find "$TOP/kernel-patches/split" -name '*.diff' | wc -l)
	check "... one removal commit each" test "$(git -C "$scratch/split-work" rev-list --count HEAD 2>/dev/null)" = $((n + 1))
	SPLIT_DIR=$scratch/split SPLIT_WORK=$scratch/split-work bash "$TOP/scripts/split.sh" pack 2>>"$scratch/log" || true
	check "packing them again rewrites nothing" diff -r "$TOP/kernel-patches/split" "$scratch/split"
	cp -a "$TOP/kernel-patches/split" "$scratch/split-bad"
	victim=$(find "$scratch/split-bad" -name '*.diff' | LC_ALL=C sort | head -n 1)
	# A removed line that the final files do not have.
	sed -i '0,/^+[^+]/s/^+\([^+]\)/+\/\* stale \*\/ \1/' "$victim"
	msg=$(SPLIT_DIR=$scratch/split-bad SPLIT_WORK=$scratch/split-work-bad bash "$TOP/scripts/split.sh" unpack 2>&1) && st=0 || st=$?
	check "a split that no longer fits fails the unpack" test "$st" != 0
	check "... naming it" grep -q "$(basename "$victim") does not come back out" <<<"$msg"
	sed -i '1s/^\(Into\|After\): .*/Into: no such patch/' "$victim"
	msg=$(SPLIT_DIR=$scratch/split-bad SPLIT_WORK=$scratch/split-work-bad2 bash "$TOP/scripts/split.sh" unpack 2>&1) && st=0 || st=$?
	check "a split anchored at no patch fails" grep -q 'anchored at a patch of the series' <<<"$msg"
	# append: the last split, emptied, is written again from the files
	# before it (the unpack's first removal commit) and the new files.
	lastname=$(git -C "$scratch/split-work" log --reverse --format=%s | sed -n '2s/^remove: //p')
	rm -rf "$scratch/split-app" "$scratch/split-base"
	cp -a "$TOP/kernel-patches/split" "$scratch/split-app"
	sed -i '/^---$/q' "$scratch/split-app/$lastname"
	mkdir -p "$scratch/split-base"
	git -C "$scratch/split-work" archive HEAD~$((n - 1)) | tar -x -C "$scratch/split-base" 2>>"$scratch/log" || true
	rc=0
	SPLIT_DIR=$scratch/split-app SPLIT_BASE=$scratch/split-base bash "$TOP/scripts/split.sh" append "$lastname" 2>>"$scratch/log" || rc=$?
	check "append writes the last split back as it was ($lastname)" test "$rc" = 0
	check "... byte for byte" cmp "$TOP/kernel-patches/split/$lastname" "$scratch/split-app/$lastname"
	msg=$(SPLIT_DIR=$scratch/split-app bash "$TOP/scripts/split.sh" append "$lastname" 2>&1) && st=0 || st=$?
	check "append refuses a split that has its diff" grep -q 'already has a diff' <<<"$msg"
	first=$(find "$scratch/split-app" -name '*.diff' | LC_ALL=C sort | head -n 1)
	sed -i '/^---$/q' "$first"
	msg=$(SPLIT_DIR=$scratch/split-app bash "$TOP/scripts/split.sh" append "$(basename "$first")" 2>&1) && st=0 || st=$?
	check "append refuses a split that is not the last" grep -q 'is not the series. last split' <<<"$msg"
fi
echo "roundtrip: $pass passed, $fail failed"
[ "$fail" = 0 ]
