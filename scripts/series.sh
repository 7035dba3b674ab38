#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series: the change as a patch series a reviewer can read.
#   series.sh          build/series/: git format-patch --cover-letter of the
#                      series, the cover letter filled in from the latest
#                      build/report/report.md and build/stress/shadow/results.txt
#                      (else the newest docs/report-*/ and docs/stress-*/;
#                      scripts/cover_letter.py). The series is not the
#                      assembled tree's history: that starts with the
#                      "overlay" commit holding every new file. build/series-gen
#                      replays the hook commits onto the base instead and adds
#                      each new file to the patch kernel-patches/new-files
#                      names, with its MAINTAINERS line; its tree must equal
#                      the assembled one. A new file that grows over several
#                      patches enters smaller: kernel-patches/split/*.diff
#                      each hold the part of the new files that one patch
#                      adds ("Into: <subject>": folded into that hook patch;
#                      "After: <subject>" + "Subject:" + changelog: a patch
#                      of its own after that one). The file a patch adds is
#                      the final file with every later split taken back out
#                      (git apply -R, last first).
#   series.sh check    also: checkpatch --strict on every patch; git am of the
#                      series onto the pristine tree in build/series-am, whose
#                      tree must equal the assembled one; every prefix builds
#                      the shadow kernel there (incremental, ccache; stops at
#                      the first that fails; SERIES_BUILD=0 skips) and boots
#                      it with mainline's GUP/COW selftests, compared case by
#                      case with the pristine kernel (SERIES_BOOT=0 skips),
#                      and KUnit passes on the last. Prints the time of each part and
#                      "N passed, N failed".
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
mode=${1:-write}
[ -d "$TREE/.git" ] || die "no assembled tree at $TREE: run 'make assemble'"
[ -z "$(tree_edits "$TREE")" ] || die "$TREE has uncommitted edits: commit and 'make export' first"
S=$BUILD/series
G=$BUILD/series-gen
t0=$(date +%s)

# 1. The series' history: the hook commits replayed onto the base, each new
#    file added to the patch that kernel-patches/new-files names.
map=$TOP/kernel-patches/new-files
[ -f "$map" ] || die "no $map"
git -C "$TREE" rev-parse -q --verify overlay >/dev/null || die "$TREE has no 'overlay' tag: re-run 'make assemble'"
[ "$(git -C "$TREE" rev-parse 'overlay^')" = "$(git -C "$TREE" rev-parse 'base^{commit}')" ] ||
	die "$TREE: the overlay commit must come right after base"
mapfile -t newfiles < <(git -C "$TREE" diff --name-only --no-renames --diff-filter=A base overlay)
declare -A file_patch=() used=()
for f in "${newfiles[@]}"; do
	hit=""
	while read -r glob subj; do
		# shellcheck disable=SC2053 # the first column is a glob
		[[ $f == $glob ]] || continue
		[ -z "$hit" ] || die "$map: $f matches more than one line"
		hit=$subj
		used[$glob]=1
	done < <(grep -v '^#' "$map" | grep -v '^[[:space:]]*$')
	[ -n "$hit" ] || die "$map: no line for the new file $f"
	file_patch[$f]=$hit
done
while read -r glob _; do
	[ -n "${used[$glob]:-}" ] || die "$map: $glob matches no new file"
done < <(grep -v '^#' "$map" | grep -v '^[[:space:]]*$')

# The splits, in the order the replay meets them (lib.sh).
SPL=$BUILD/series-split
rm -rf "$SPL"
mkdir -p "$SPL/files"
# Its own repository: git apply inside this one's work tree would skip the
# paths (they are outside the current directory's part of it).
git -C "$SPL/files" init -q
split_load "$SPL"
# Each new file as its introducing patch adds it: the final file, the
# splits taken back out, last first.
split_unwind "$SPL/files" : "${newfiles[@]}" ||
	die "${sp_name[split_failed]} does not come back out of the new files: refresh it (docs/design.md)"

if [ ! -d "$G/.git" ]; then
	git clone -q --shared --no-checkout "$PRISTINE" "$G"
	git -C "$G" config user.name "$(git -C "$TREE" config user.name || echo "Shadow-PTE prototype")"
	git -C "$G" config user.email "$(git -C "$TREE" config user.email || echo shadow-pte@localhost)"
	git -C "$G" config gc.auto 0
fi
git -C "$G" cherry-pick --abort >/dev/null 2>&1 || true
git -C "$G" fetch -q "$TREE" "+HEAD:refs/heads/assembled" "+refs/tags/*:refs/tags/*"
git -C "$G" checkout -q -f -B series base
git -C "$G" clean -q -fdx
entry=$TOP/shadow-pte/MAINTAINERS
export GIT_COMMITTER_DATE="2000-01-01T00:00:00Z"
declare -A added=()
author=$(git -C "$TREE" log -1 --format='%an <%ae>' overlay..HEAD)
apply_after() { # SUBJECT: the split patches that follow it, as commits
	local j
	for j in "${order[@]}"; do
		{ [ "${sp_kind[j]}" = After ] && [ "${sp_anchor[j]}" = "$1" ]; } || continue
		git -C "$G" apply --index "$SPL/$j.diff" || die "${sp_name[j]} does not apply after its patch"
		GIT_AUTHOR_DATE=$(git -C "$G" log -1 --format=%aI) \
			git -C "$G" commit -q --author "$author" -F "$SPL/$j.msg"
		apply_after "${sp_subj[j]}"
	done
}
while read -r c; do
	git -C "$G" cherry-pick --allow-empty --keep-redundant-commits "$c" >/dev/null 2>&1 ||
		die "series: $(git -C "$TREE" log -1 --format=%s "$c") does not apply without the overlay commit"
	subj=$(git -C "$G" log -1 --format=%s)
	here=() amend=0
	for f in "${newfiles[@]}"; do
		[ "${file_patch[$f]}" = "$subj" ] && here+=("$f")
	done
	for f in "${here[@]}"; do
		added[$f]=1
		amend=1
		mkdir -p "$G/$(dirname "$f")"
		cp "$SPL/files/$f" "$G/$f"
		git -C "$G" add -f -- "$f"
	done
	# The MAINTAINERS section, with the F: lines of the files added so far.
	if [ ${#here[@]} -gt 0 ] && [ -f "$entry" ]; then
		part=$(mktemp)
		while IFS= read -r line; do
			if [[ $line == F:* ]]; then
				pat=${line#F:}
				pat=${pat#"${pat%%[![:space:]]*}"}
				keep=0
				for f in "${!added[@]}"; do
					# shellcheck disable=SC2053 # F: patterns are globs
					[[ $f == $pat ]] && keep=1
				done
				[ "$keep" = 1 ] || continue
			fi
			printf '%s\n' "$line"
		done <"$entry" >"$part"
		git -C "$G" show base:MAINTAINERS >"$G/MAINTAINERS.base"
		maintainers_insert "$G/MAINTAINERS.base" "$part" >"$G/MAINTAINERS"
		rm -f "$part" "$G/MAINTAINERS.base"
		git -C "$G" add -- MAINTAINERS
	fi
	# This patch's part of the new files, then the patches that follow it.
	for j in "${order[@]}"; do
		{ [ "${sp_kind[j]}" = Into ] && [ "${sp_anchor[j]}" = "$subj" ]; } || continue
		git -C "$G" apply --index "$SPL/$j.diff" || die "${sp_name[j]} does not apply to its patch"
		amend=1
	done
	[ "$amend" = 0 ] || git -C "$G" commit -q --amend --no-edit
	apply_after "$subj"
done < <(git -C "$TREE" rev-list --reverse overlay..HEAD)
[ ${#added[@]} = ${#newfiles[@]} ] ||
	die "$map: a patch it names is not in the series (added ${#added[@]} of ${#newfiles[@]} new files)"
[ "$(git -C "$G" rev-parse 'HEAD^{tree}')" = "$(git -C "$TREE" rev-parse 'HEAD^{tree}')" ] ||
	die "series: the generated series does not end at the assembled tree (git -C $G diff assembled)"

rm -rf "$S"
git -C "$G" -c core.abbrev=12 format-patch -q --cover-letter --zero-commit --no-signature -o "$S" base..HEAD
# The latest report: this machine's, else the newest one kept in docs/.
report=$BUILD/report/report.md
if [ ! -f "$report" ]; then
	report=$(grep -H -m 1 '^Generated ' "$TOP"/docs/report-*/report.md 2>/dev/null |
		LC_ALL=C sort -t: -k2 | tail -n 1 | cut -d: -f1)
	[ -n "$report" ] && note "series: no build/report; the cover letter quotes ${report#"$TOP"/}"
fi
# The latest stress run: the same, from its summary (docs/stress-*/).
stress=$BUILD/stress/shadow/results.txt
if [ ! -f "$stress" ]; then
	# The summary committed last (folder names do not sort by time: two
	# runs of a day sort by their names), not a kept failing run.
	stress=$(find "$TOP"/docs -path '*/stress-*/summary*.txt' ! -name '*violation*' 2>/dev/null |
		while read -r f; do
			printf '%s %s\n' "$(git -C "$TOP" log -1 --format=%ct -- "$f" 2>/dev/null || echo 0)" "$f"
		done | LC_ALL=C sort -n -k1,1 -s | tail -n 1 | cut -d' ' -f2-)
	[ -n "$stress" ] && note "series: no build/stress; the cover letter quotes ${stress#"$TOP"/}"
fi
python3 "$TOP/scripts/cover_letter.py" "$S/0000-cover-letter.patch" \
	"${report:-$BUILD/report/report.md}" "${stress:-$BUILD/stress/shadow/results.txt}"
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
git -C "$A" clean -q -fdx -e '/.out-*' -e /.kunit-um
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

# 2b. The patches are what export makes of the assembled tree, byte for
# byte: a hand edit of a kernel-patches/*.patch applies and builds but
# leaves its "index" blob ids stale (make roundtrip's first check).
X=$BUILD/series-export
rm -rf "$X"
mkdir -p "$X/kernel-patches"
cp -a "$TOP/kernel-patches/." "$X/kernel-patches/"
rc=0
EXPORT_TO=$X bash "$TOP/scripts/export.sh" >/dev/null 2>&1 &&
	diff -r "$TOP/kernel-patches" "$X/kernel-patches" >"$X.diff" 2>&1 || rc=1
result "$rc" "kernel-patches/ is what make export writes (no hand edits)"
[ "$rc" = 0 ] || head -n 8 "$X.diff" | sed 's/^/    /'

# 3. Every prefix builds the shadow kernel (configs/shadow.config: every
# shadow-PTE option on, options a prefix does not have yet are let pass),
# boots, and passes mainline's GUP and COW selftests (SERIES_BOOT_JOBS)
# case by case against the pristine kernel (compare.py, as make test
# does), with no WARNING, BUG or Oops on its console (run-guest.sh); KUnit
# passes at the end. Incremental O= builds in build/series-am through
# ccache; SERIES_BUILD=0 skips this part, SERIES_BOOT=0 only the boots,
# SERIES_FROM=N the prefixes before N (for a series whose first N-1
# patches a full run has already built and booted unchanged).
from=${SERIES_FROM:-1}
[[ $from =~ ^[1-9][0-9]*$ ]] || die "SERIES_FROM='$from': the number of the first prefix to build (1..)"
boot_jobs=${SERIES_BOOT_JOBS:-cow,gup_longterm,gup_test_u,gup_test_a,gup_test_ct,gup_test_matrix}
B=$BUILD/series-boot
boot() { # KERNEL OUTDIR [TREE]: run-guest.sh's status, 3 (a job failed) as 0
	local rc=0
	WB_TREE=${3:-$TREE} bash "$TOP/scripts/run-guest.sh" "$1" "$boot_jobs" "$2" >"$2.log" 2>&1 || rc=$?
	[ "$rc" = 3 ] && rc=0
	return "$rc"
}
if [ "${SERIES_BUILD:-1}" = 1 ] && [ "$rc" = 0 ] && [ "${SERIES_BOOT:-1}" = 1 ]; then
	t1=$(date +%s)
	rm -rf "$B"
	mkdir -p "$B"
	rc=0
	{ bash "$TOP/scripts/build-kernel.sh" baseline && bash "$TOP/scripts/build-userspace.sh" &&
		boot baseline "$B/baseline"; } >"$B/baseline-setup.log" 2>&1 || rc=$?
	result "$rc" "the pristine kernel boots with $boot_jobs ($(($(date +%s) - t1)) s)"
	[ "$rc" = 0 ] || tail -n 5 "$B/baseline-setup.log" | sed 's/^/    /'
	[ "$rc" = 0 ] || SERIES_BOOT=0
fi
if [ "${SERIES_BUILD:-1}" = 1 ] && [ "$rc" = 0 ]; then
	t1=$(date +%s)
	tboot=0
	mapfile -t commits < <(git -C "$A" rev-list --reverse base..HEAD)
	[ "$from" -le "${#commits[@]}" ] || die "SERIES_FROM=$from: the series has ${#commits[@]} patches"
	i=0 built=1
	for c in "${commits[@]}"; do
		i=$((i + 1))
		if [ "$i" -lt "$from" ]; then
			note "series-check: prefix $i/${#commits[@]} skipped (SERIES_FROM=$from): $(git -C "$A" log -1 --format=%s "$c")"
			continue
		fi
		t2=$(date +%s)
		git -C "$A" checkout -q "$c"
		rc=0
		# Before the patch that lets SHADOW_PTE coexist with DEVICE_PRIVATE,
		# the shadow kernel builds without test_hmm.
		drop=$(awk '/^config SHADOW_PTE$/ { f = 1; next } f && /^config / { f = 0 }
			f && /depends on !DEVICE_PRIVATE/ { print "hmm.config"; exit }' "$A/mm/Kconfig")
		PREFIX_BUILD=1 PREFIX_DROP_FRAGS=$drop WB_TREE=$A \
			bash "$TOP/scripts/build-kernel.sh" shadow >"$BUILD/series-build-$i.log" 2>&1 || rc=$?
		result "$rc" "prefix $i/${#commits[@]} builds: $(git -C "$A" log -1 --format=%s "$c") ($(($(date +%s) - t2)) s)"
		if [ "$rc" != 0 ]; then
			grep -E 'error|Error' "$BUILD/series-build-$i.log" | head -n 5 | sed 's/^/    /'
			built=0
			break
		fi
		[ "${SERIES_BOOT:-1}" = 1 ] || continue
		t2=$(date +%s)
		rc=0
		boot shadow "$B/prefix-$i" "$A" || rc=$?
		if [ "$rc" = 0 ]; then
			python3 "$TOP/scripts/compare.py" "$B/baseline/results.txt" \
				"$B/prefix-$i/results.txt" "$B/prefix-$i.md" >"$B/prefix-$i.compare" 2>&1 || rc=$?
		fi
		line=$(grep -Eo '[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' "$B/prefix-$i.compare" 2>/dev/null | tail -n 1 || true)
		result "$rc" "prefix $i/${#commits[@]} boots: ${line:-$(cat "$B/prefix-$i/status" 2>/dev/null || echo "status $rc")} ($(($(date +%s) - t2)) s)"
		[ "$rc" = 0 ] || grep -h -E '^FAIL|WARNING|BUG|Oops' "$B/prefix-$i.compare" "$B/prefix-$i/console.log" 2>/dev/null |
			head -n 5 | sed 's/^/    /'
		tboot=$((tboot + $(date +%s) - t2))
	done
	note "series-check: prefix builds and boots $(($(date +%s) - t1)) s (boots $tboot s)"
	if [ "$built" = 1 ]; then
		t1=$(date +%s)
		rc=0
		out=$(WB_TREE=$A WB_RESULTS=$BUILD/series-kunit bash "$TOP/scripts/kunit.sh" 2>&1) || rc=$?
		result "$rc" "KUnit on the whole series: $(printf '%s\n' "$out" | tail -n 1)"
		note "series-check: KUnit $(($(date +%s) - t1)) s"
	fi
fi
echo "series-check: $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
