# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the workbench scripts. Sourced, not run.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source this

# The one place the kernel source is pinned. Bump both together.
DEB_PKG=linux-source-6.12
DEB_VERSION=6.12.117-1~deb12u1
KERNEL_VERSION=6.12.117

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
PRISTINE=$BUILD/pristine      # git repo: the Debian tarball, one commit, tag "base"
TREE=${WB_TREE:-$BUILD/tree}              # git clone of PRISTINE + overlay commit + series
# The kernel variants (name, tree, config fragments, report column): one
# table, configs/kernels; see kernel_* below. Each builds into
# <tree>/.out-<name>: inside its source tree, so that kbuild uses the
# relative srctree ".." and ccache hits are shared between the two trees and
# between clones of this repository.
KERNELS_FILE=$TOP/configs/kernels
USERSPACE=$BUILD/userspace    # static selftests, perf, initramfs
RESULTS=${WB_RESULTS:-$BUILD/results}

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
JOBS=${JOBS:-$(nproc)}

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo "==> $*" >&2
}

# step NAME CMD...: run one named step and print how long it took.
step() {
	local name=$1 t0 t1 rc=0
	shift
	t0=$(date +%s)
	note "[$name] start"
	"$@" || rc=$?
	t1=$(date +%s)
	local what="done"
	[ "$rc" = 0 ] || what="FAILED (status $rc)"
	note "[$name] $what in $((t1 - t0)) s"
	mkdir -p "$BUILD"
	echo "$name $((t1 - t0)) $rc" >>"$BUILD/step-times.txt"
	return "$rc"
}

# Edits in a kernel tree that are not committed, new files included (Debian's
# top-level .gitignore ignores "/*", so new files show up as ignored).
# Build outputs (.out-*, .kunit-um) and python caches are not edits.
tree_edits() {
	git -C "$1" status --porcelain --ignored=matching |
		grep -vE '^!! (\.out-[a-z-]+|\.kunit-um)/$|__pycache__/$' || true
}

# kunit_counts LOG: "passed failed skipped" from kunit.py's closing line, with
# crashed/errored tests counted as failed; nothing if there is no such line.
kunit_counts() {
	local line p f s e
	line=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$1" | tail -n 1 || true)
	[ -n "$line" ] || return 0
	p=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$line")
	f=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$line")
	s=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$line")
	e=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$line")
	echo "${p:-0} $((${f:-0} + ${e:-0})) ${s:-0}"
}

# kernel_field NAME N: field N of NAME's line in configs/kernels.
kernel_field() {
	local v
	v=$(awk -v k="$1" -v n="$2" '!/^#/ && NF && $1 == k { print $n; exit }' "$KERNELS_FILE")
	[ -n "$v" ] || die "unknown KERNEL='$1': one of $(kernel_names | paste -sd' ') (configs/kernels)"
	echo "$v"
}

# Every variant's name, in table order.
kernel_names() {
	awk '!/^#/ && NF { print $1 }' "$KERNELS_FILE"
}

kernel_src() {
	local t
	t=$(kernel_field "$1" 2) || exit 1
	case $t in
	pristine) echo "$PRISTINE" ;;
	tree) echo "$TREE" ;;
	*) die "configs/kernels: $1: tree must be 'pristine' or 'tree'" ;;
	esac
}

# DEBUG=1 kernels (configs/debug.config) build into their own folders.
kernel_out() {
	local sfx=""
	local src
	[ "${DEBUG:-0}" = 1 ] && sfx=-debug
	src=$(kernel_src "$1") || exit 1
	echo "$src/.out-$1$sfx"
}

# NAME's config fragments (paths), after configs/guest.config.
kernel_frags() {
	local f
	f=$(kernel_field "$1" 3) || exit 1
	[ "$f" = - ] && return 0
	tr ',' '\n' <<<"$f" | sed "s|^|$TOP/configs/|"
}

# "COLUMN NAME" per variant that make report measures, in table order.
report_columns() {
	awk '!/^#/ && NF && $4 != "-" { print $4, $1 }' "$KERNELS_FILE"
}

# /dev/kvm can exist without working (nested KVM on a VM host that cannot run
# the guest: QEMU aborts setting MSRs, or the guest never prints a line).
# Probe once per host boot: the kernel must print its banner under KVM within
# 20 s. The verdict is cached in $BUILD/kvm-probe.
kvm_works() { # bzImage
	local cache=$BUILD/kvm-probe boot log verdict=no
	[ -w /dev/kvm ] || return 1
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	if [ "$(head -n 1 "$cache" 2>/dev/null)" != "$boot" ]; then
		mkdir -p "$BUILD"
		log=$(mktemp)
		# The subshell keeps bash's "Aborted" notice for a crashing QEMU quiet.
		(timeout -k 5 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none \
			-no-reboot -monitor none -serial "file:$log" -kernel "$1" \
			-append "console=ttyS0 panic=-1 rdinit=/nonexistent" \
			</dev/null >/dev/null 2>&1 || true) 2>/dev/null
		grep -aq 'Linux version' "$log" && verdict=yes
		rm -f "$log"
		printf '%s\n%s\n' "$boot" "$verdict" >"$cache"
		[ "$verdict" = yes ] ||
			note "/dev/kvm is present but a KVM guest does not boot here: using TCG (probe cached in $cache)"
	fi
	[ "$(sed -n 2p "$cache")" = yes ]
}

# maintainers_insert MAINTAINERS ENTRY: MAINTAINERS with the section in the
# file ENTRY inserted before the first section that sorts after it, as
# checkpatch asks of a patch that adds files. Prints the result.
maintainers_insert() {
	LC_ALL=C awk -v entry="$2" '
		NR == 1 { while ((getline l < entry) > 0) block = block l "\n"; split(block, b, "\n"); title = b[1] }
		{ line[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) {
				if (!done && i > 1 && line[i - 1] == "" && line[i] ~ /^[A-Z0-9]/ &&
				    line[i + 1] ~ /^[A-Z]:\t/ && line[i] > title) {
					printf "%s\n", block
					done = 1
				}
				print line[i]
			}
			if (!done)
				exit 1
		}' "$1" || die "no place for the section of $2 in $1"
}

# kernel-patches/split/*.diff, each the part of the new files that one patch
# of `make series` adds: "Into: <subject>" (that hook patch) or "After:
# <subject>" + "Subject: <subject>" + changelog (a patch of its own), then
# "---" and the diff (SPLIT_DIR: another folder of them). split_load DIR
# fills sp_kind, sp_anchor, sp_subj (the patch it ends up in), sp_file (its
# path), sp_name (the same, for messages) and order (the indices in
# the order the series meets them), and writes DIR/<index>.diff and, for
# "After:", DIR/<index>.msg (sp_dir: DIR). SPLIT_ALLOW_EMPTY=1: a split may
# have no diff yet (split.sh).
split_load() {
	local d i kind j h
	sp_kind=() sp_anchor=() sp_subj=() sp_file=() sp_name=() order=()
	sp_dir=$1
	for d in "${SPLIT_DIR:-$TOP/kernel-patches/split}"/*.diff; do
		[ -f "$d" ] || continue
		i=${#sp_kind[@]}
		kind=$(sed -n '1s/^\(Into\|After\): .*/\1/p' "$d")
		[ -n "$kind" ] || die "$d: the first line must be 'Into: <subject>' or 'After: <subject>'"
		sp_kind[i]=$kind
		sp_anchor[i]=$(sed -n '1s/^[A-Za-z]*: //p' "$d")
		sp_file[i]=$d
		sp_name[i]=${d#"$TOP"/}
		sed -n '/^diff --git /,$p' "$d" >"$1/$i.diff"
		[ -s "$1/$i.diff" ] || [ "${SPLIT_ALLOW_EMPTY:-0}" = 1 ] || die "$d: no diff"
		if [ "$kind" = After ]; then
			sp_subj[i]=$(sed -n '2s/^Subject: //p' "$d")
			[ -n "${sp_subj[i]}" ] || die "$d: line 2 must be 'Subject: <subject>'"
			# The changelog: from line 3 to the "---" before the diff.
			{
				printf '%s\n\n' "${sp_subj[i]}"
				awk 'NR > 2 { if ($0 == "---") exit; print }' "$d" | sed '1{/^$/d}'
			} >"$1/$i.msg"
		else
			sp_subj[i]=${sp_anchor[i]}
		fi
	done
	_split_after() { # SUBJECT: the After splits anchored there, and theirs
		local k
		for k in "${!sp_kind[@]}"; do
			{ [ "${sp_kind[k]}" = After ] && [ "${sp_anchor[k]}" = "$1" ]; } || continue
			order+=("$k")
			_split_after "${sp_subj[k]}"
		done
	}
	while IFS= read -r h; do
		for j in "${!sp_kind[@]}"; do
			if [ "${sp_kind[j]}" = Into ] && [ "${sp_anchor[j]}" = "$h" ]; then
				order+=("$j")
			fi
		done
		_split_after "$h"
	done < <(git -C "$TREE" log --reverse --format=%s overlay..HEAD)
	[ ${#order[@]} = ${#sp_kind[@]} ] ||
		die "kernel-patches/split: ${#sp_kind[@]} diffs, ${#order[@]} anchored at a patch of the series"
}

# split_unwind WORKDIR HOOK FILE...: the stages of the new files, for
# series.sh and split.sh. Writes each FILE as the overlay commit has it (the
# end of the series) into WORKDIR, a git work tree of its own, then takes
# the splits that split_load read back out of them, last patch first
# (git apply -R). "HOOK" runs once the files are written (":" for
# nothing), then "HOOK INDEX" after each removal, when WORKDIR holds the
# files as the patch before that split left them. A split that does not
# come back out: split_failed=INDEX, return 1.
split_unwind() {
	local dir=$1 hook=$2 f k j
	shift 2
	split_failed=
	for f; do
		mkdir -p "$dir/$(dirname "$f")"
		git -C "$TREE" show "overlay:$f" >"$dir/$f"
	done
	"$hook"
	for ((k = ${#order[@]} - 1; k >= 0; k--)); do
		j=${order[k]}
		if [ -s "$sp_dir/$j.diff" ]; then
			(cd "$dir" && git apply -R "$sp_dir/$j.diff") || {
				split_failed=$j
				return 1
			}
		fi
		"$hook" "$j"
	done
}
