#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Guest userspace, built from the assembled tree so that every kernel runs the
# very same binaries: 6.12 UAPI headers, static mm selftests (cow,
# gup_longterm, gup_test, with liburing), static perf, the benchmarks, and a
# busybox initramfs holding all of it plus scripts/guest/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
src=$TREE
[ -d "$src/.git" ] || die "no assembled tree: run 'make assemble'"
U=$USERSPACE
mkdir -p "$U"
stamp_of() { git -C "$src" rev-parse HEAD; }

# 1. UAPI headers of this tree (Debian's linux-libc-dev is 6.1: no PAGEMAP_SCAN).
if [ "$(cat "$U/hdr.stamp" 2>/dev/null)" != "$(stamp_of)" ]; then
	rm -rf "$U/khdr" "$U/hdr.stamp"
	make -s -C "$src" O="$U/hdr-build" ARCH=x86_64 headers_install INSTALL_HDR_PATH="$U/khdr"
	stamp_of >"$U/hdr.stamp"
fi

# 2. Static selftests. Built from inside their folder with bare file names:
#    gup_longterm's "local tmpfile" cases mkstemp() next to __FILE__, which
#    must then be a name relative to the guest's working directory.
S=tools/testing/selftests/mm
mkdir -p "$U/selftests" "$U/uring-config"
(cd "$U/uring-config" && sh "$src/$S/check_config.sh" gcc >/dev/null)
grep -q 'LOCAL_CONFIG_HAVE_LIBURING 1' "$U/uring-config/local_config.h" ||
	die "liburing-dev not found: run 'make setup' (the io_uring cases of cow and gup_longterm need it)"
cflags=(-static -Wall -O2 -U_FORTIFY_SOURCE -I"$U/uring-config" -I"$src" -isystem "$U/khdr/include"
	-I"$src/tools/testing/selftests")
build_st() { # name, extra libs...
	local t=$1 bin=$U/selftests/$1 d stale=0
	shift
	local deps=("$t.c" vm_util.c thp_settings.c)
	[ -x "$bin" ] || stale=1
	for d in "${deps[@]}"; do [ "$src/$S/$d" -nt "$bin" ] && stale=1; done
	# headers the shadow-PTE selftests share
	for d in "$src/$S"/shadow_pte_*.h; do [ "$d" -nt "$bin" ] && stale=1; done
	[ "$U/hdr.stamp" -nt "$bin" ] && stale=1
	[ "$stale" = 1 ] || return 0
	(cd "$src/$S" && gcc "${cflags[@]}" -o "$bin.tmp" "${deps[@]}" -lrt -lpthread -lm "$@")
	mv "$bin.tmp" "$bin"
}
build_st cow -luring
build_st gup_longterm -luring
build_st gup_test
# Extra selftests a later series adds under tools/testing/selftests/mm/shadow_*.c
for f in "$src/$S"/shadow_*.c; do
	[ -f "$f" ] || continue
	t=$(basename "$f" .c)
	build_st "$t" -luring
done

# 3. perf from this tree, static, software events only (no libelf/libtraceevent).
if [ "$(cat "$U/perf.stamp" 2>/dev/null)" != "$(git -C "$src" rev-parse HEAD:tools/perf)" ] || [ ! -x "$U/perf/perf" ]; then
	rm -f "$U/perf.stamp"
	mkdir -p "$U/perf"
	make -s -C "$src/tools/perf" O="$U/perf" -j"$JOBS" LDFLAGS=-static CC="ccache gcc" \
		NO_LIBELF=1 NO_LIBTRACEEVENT=1 NO_LIBPYTHON=1 NO_LIBPERL=1 NO_JVMTI=1 NO_SLANG=1 \
		NO_GTK2=1 NO_LIBNUMA=1 NO_LIBUNWIND=1 NO_LIBDW_DWARF_UNWIND=1 NO_DEMANGLE=1 \
		NO_LIBCAP=1 NO_LIBBPF=1 NO_BPF_SKEL=1 NO_LIBZSTD=1 NO_LZMA=1 NO_ZLIB=1 NO_AUXTRACE=1 \
		NO_LIBCRYPTO=1 NO_LIBBABELTRACE=1 NO_LIBPFM4=1 NO_SDT=1 NO_LIBLLVM=1 NO_CAPSTONE=1 \
		NO_LIBDEBUGINFOD=1 NO_JEVENTS=1 NO_SHELLCHECK=1 WERROR=0 perf >"$U/perf-build.log" 2>&1 ||
		{ tail -n 30 "$U/perf-build.log" >&2; die "static perf build failed (log: $U/perf-build.log)"; }
	file "$U/perf/perf" | grep -q 'statically linked' || die "perf is not static: $(file "$U/perf/perf")"
	git -C "$src" rev-parse HEAD:tools/perf >"$U/perf.stamp"
fi

# 4. Benchmarks (benchmarks/*.c with the shared benchmarks/bench.h), static.
mkdir -p "$U/bench"
# A program whose source went (renamed, removed) must not stay in /bench.
for b in "$U"/bench/*; do
	[ -e "$b" ] && [ ! -f "$TOP/benchmarks/$(basename "$b").c" ] && rm -f "$b"
done
for f in "$TOP"/benchmarks/*.c; do
	[ -f "$f" ] || continue
	b=$(basename "$f" .c)
	[ "$U/bench/$b" -nt "$f" ] && [ "$U/bench/$b" -nt "$TOP/benchmarks/bench.h" ] && continue
	gcc -static -O2 -pthread -Wall -Wextra -Werror -isystem "$U/khdr/include" -I"$src" -o "$U/bench/$b" "$f"
done

# 5. initramfs (uncompressed newc cpio).
root=$U/initramfs.d
rm -rf "$root" "$U/initramfs.cpio.tmp"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,jobs,selftests,bench,etc}
cp /bin/busybox "$root/bin/busybox"
file "$root/bin/busybox" | grep -q 'statically linked' || die "/bin/busybox is not static: install busybox-static ('make setup')"
cp "$TOP/scripts/guest/init" "$root/init"
chmod +x "$root/init"
cp "$TOP"/scripts/guest/jobs/*.sh "$root/jobs/"
cp "$TOP"/benchmarks/jobs/*.sh "$root/jobs/" 2>/dev/null || true
# One job per line of benchmarks/benchmarks (job program prefix size modes).
while read -r job prog prefix size modes; do
	[ -f "$TOP/benchmarks/$prog.c" ] || die "benchmarks/benchmarks: $job: no benchmarks/$prog.c"
	case $size in size | bigsize) size="\"\$$size\"" ;; *[!0-9]* | "") die "benchmarks/benchmarks: $job: size '$size'" ;; esac
	[ "$modes" = - ] && modes="" || modes=" ${modes//,/ }"
	printf '# Generated from benchmarks/benchmarks by build-userspace.sh.\nset -eu\n. /jobs/lib.sh\nbench_run %s %s %s%s\n' \
		"$prefix" "$prog" "$size" "$modes" >"$root/jobs/bench_$job.sh"
done < <(grep -v '^[[:space:]]*\(#\|$\)' "$TOP/benchmarks/benchmarks")
cp "$U"/selftests/* "$root/selftests/"
cp "$U"/bench/* "$root/bench/" 2>/dev/null || true
cp "$U/perf/perf" "$root/bin/perf"
echo "root:x:0:0:root:/tmp:/bin/sh" >"$root/etc/passwd"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet >"$U/initramfs.cpio.tmp")
mv "$U/initramfs.cpio.tmp" "$U/initramfs.cpio"
note "initramfs: $U/initramfs.cpio ($(stat -c %s "$U/initramfs.cpio") bytes)"
