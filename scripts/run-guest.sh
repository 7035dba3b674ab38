#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot one kernel in QEMU with the workbench initramfs.
#   run-guest.sh KERNEL                 interactive shell on this terminal
#   run-guest.sh KERNEL JOBS OUTDIR     batch: run the comma-separated jobs,
#                                       write OUTDIR/{console.log,results.txt,status}
# Environment: ICOUNT=1 (TCG, -icount shift=0,sleep=off), TIMEOUT (s, default
# 1200), MEM (default 2G), SMP (default 2: N sockets of one CPU each, as the
# guests have no ACPI and SeaBIOS's MP table lists one CPU per package; the
# guest checks that it brought up all N), KVM=0 to refuse /dev/kvm,
# APPEND (extra kernel arguments).
# Batch status: 0 when the guest ran every job with status 0 and the console
# holds no Oops/BUG/WARNING/KASAN/lockdep report; otherwise non-zero.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
K=${1:?usage: run-guest.sh NAME (configs/kernels) [JOBS OUTDIR]}
JOBLIST=${2:-}
OUTDIR=${3:-}
out=$(kernel_out "$K")
img=$out/arch/x86/boot/bzImage
initrd=$USERSPACE/initramfs.cpio
[ -f "$img" ] || die "no $K kernel at $img: run 'make kernels'"
[ -f "$initrd" ] || die "no initramfs at $initrd: run 'make userspace'"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run 'make setup'"

smp=${SMP:-2}
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "SMP='$smp': a number of CPUs"
# shellcheck disable=SC2054 # commas belong to qemu arguments
q=(qemu-system-x86_64 -m "${MEM:-2G}" -smp "$smp,sockets=$smp" -nographic -no-reboot
	-kernel "$img" -initrd "$initrd"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)
if [ "${ICOUNT:-0}" = 1 ]; then
	# shellcheck disable=SC2054
	q+=(-accel tcg -cpu qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt -icount shift=0,sleep=off)
	method="TCG icount shift=0,sleep=off"
	# qemu64 is not Intel and has no invariant TSC: with more than one
	# socket Linux marks the TSC unsynchronized and falls back to jiffies
	# (4 ms steps). Under icount every vCPU's TSC follows the one
	# instruction clock, so it is reliable.
	APPEND="tsc=reliable ${APPEND:-}"
elif [ "${KVM:-1}" = 1 ] && kvm_works "$img"; then
	# shellcheck disable=SC2054
	q+=(-accel kvm -cpu host,pdpe1gb=off)
	method="KVM -cpu host,pdpe1gb=off"
else
	# No 1 GiB pages: a kernel with memory hotplug (the shadow test kernel's
	# configs/hmm.config) can allocate them at run time and then registers
	# a 1 GiB hugetlb size, which adds cases to cow and gup_longterm (and
	# shifts their numbers) that the baseline kernel does not have.
	# shellcheck disable=SC2054
	q+=(-accel tcg -cpu max,pdpe1gb=off)
	method="TCG"
fi
append="console=ttyS0 panic=-1 oops=panic loglevel=7 wb.cpus=$smp ${APPEND:-}"

if [ -z "$JOBLIST" ]; then
	mkdir -p "$BUILD"
	truncate -s 512M "$BUILD/boot-swap.img"
	note "booting $K ($method); leave the guest with 'exit' or 'reboot -f'"
	rc=0
	"${q[@]}" -drive "file=$BUILD/boot-swap.img,format=raw,if=virtio,cache=unsafe" \
		-serial mon:stdio -append "$append" || rc=$?
	# 'exit' powers off through isa-debug-exit with status 0, which QEMU
	# reports as 1; 'reboot -f' with -no-reboot ends it with 0.
	case $rc in 0 | 1) exit 0 ;; *) exit "$rc" ;; esac
fi

[ -n "$OUTDIR" ] || die "batch mode needs an output folder"
[[ $JOBLIST =~ ^[A-Za-z0-9_,.-]+$ ]] || die "bad job list '$JOBLIST': comma-separated job names"
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"
swap=$OUTDIR/swap.img
truncate -s 512M "$swap"
# /dev/vdb: a scratch disk for O_DIRECT tests (shadow_pte_pins)
scratch=$OUTDIR/scratch.img
truncate -s 8M "$scratch"
# An NVMe namespace with 8 bytes of separate metadata per 512-byte block,
# throttled to 1 MiB/s so that a passthrough read stays in flight for a
# while (shadow_pte_pins: fork during bio_integrity_map_user()'s pins).
# Only for boots that run that test: the benchmarks boot without it.
nvme_args=()
nvme=$OUTDIR/nvme.img
if [[ ,$JOBLIST, == *,shadow_pte_pins,* ]]; then
	truncate -s 8M "$nvme"
	# shellcheck disable=SC2054 # commas belong to qemu arguments
	nvme_args=(-drive "file=$nvme,format=raw,if=none,id=nvm,cache=unsafe,throttling.bps-total=1048576"
		-device nvme,serial=shadowpte,id=nvme0
		-device nvme-ns,drive=nvm,bus=nvme0,nsid=1,logical_block_size=512,ms=8)
fi
echo "$method" >"$OUTDIR/method"
t0=$(date +%s)
rc=0
timeout --foreground -k 10 "${TIMEOUT:-1200}" "${q[@]}" \
	-drive "file=$swap,format=raw,if=virtio,cache=unsafe" \
	-drive "file=$scratch,format=raw,if=virtio,cache=unsafe" "${nvme_args[@]}" \
	-serial "file:$OUTDIR/console.log" -serial "file:$OUTDIR/results.raw" \
	-monitor none -append "$append wb.jobs=$JOBLIST" </dev/null >"$OUTDIR/qemu.log" 2>&1 || rc=$?
rm -f "$swap" "$scratch" "$nvme"
tr -d '\r' <"$OUTDIR/results.raw" >"$OUTDIR/results.txt" && rm -f "$OUTDIR/results.raw"
echo "$K: guest ran $(($(date +%s) - t0)) s ($method), qemu status $rc" >&2

fail=""
case $rc in
1) ;; # isa-debug-exit with 0: every job ran and returned 0
3) fail="a job returned non-zero (see $OUTDIR/results.txt)" ;;
124 | 137) fail="guest hung: no exit within ${TIMEOUT:-1200} s (last console lines below; raise TIMEOUT= if it was only slow)" ;;
0) fail="guest rebooted without reporting a status (panic or reboot; see console)" ;;
*) fail="qemu failed with status $rc: $(tail -n 3 "$OUTDIR/qemu.log")" ;;
esac
grep -q '^@@@ DONE' "$OUTDIR/results.txt" || fail="${fail:-guest did not finish its job list}"
# Not a bare "lockdep": a lockdep kernel prints "RCU lockdep checking is
# enabled" at every boot; its reports say "WARNING: possible ...",
# "INFO: lockdep is turned off" or "DEBUG_LOCKS_WARN_ON".
pat='Oops|BUG:|kernel BUG|WARNING:|KASAN|UBSAN|Kernel panic|general protection fault|possible recursive locking|possible circular locking|suspicious RCU usage|INFO: lockdep|DEBUG_LOCKS_WARN_ON|kmemleak: [0-9]+ new suspected|Call Trace:'
# QEMU's NVMe device (above) interrupts through a shared INTx line: the
# guests have no PCI_MSI. Under TCG that line has been seen to fire some
# 100000 times with no completion behind it, early in the boot, and the
# kernel then disables it with an "irq N: nobody cared" trace whose
# handlers are all nvme_irq (the NVMe tests passed in that boot). That
# block comes from the emulated device, not from the code under test:
# leave exactly such blocks out of the check, and say so.
checked=$OUTDIR/console.checked
awk -v note="$OUTDIR/console.nvme-intx" '
	/irq [0-9]+: nobody cared/ { blk = $0 "\n"; inb = 1; only = 1; nh = 0; next }
	inb {
		blk = blk $0 "\n"
		if ($0 ~ /\[<[0-9a-f]+>\]/) { nh++; if ($0 !~ /nvme_irq/) only = 0 }
		if ($0 ~ /Disabling IRQ #/) {
			inb = 0
			if (only && nh) printf "%s", blk > note
			else printf "%s", blk
		}
		next
	}
	{ print }
	END { if (inb) printf "%s", blk }
' "$OUTDIR/console.log" >"$checked"
if [ -s "$OUTDIR/console.nvme-intx" ]; then
	echo "$K: left out of the console check: an NVMe INTx line disabled as spurious ($OUTDIR/console.nvme-intx)" >&2
fi
if grep -Eq "$pat" "$checked"; then
	echo "$K: kernel reported a problem on the console:" >&2
	# (|| true: head closing the pipe early must not end this script)
	grep -En -B2 -A25 "$pat" "$checked" | head -n 80 >&2 || true
	echo "kernel-report" >"$OUTDIR/status"
	exit 2
fi
if [ -n "$fail" ]; then
	echo "$K: $fail" >&2
	tail -n 20 "$OUTDIR/console.log" >&2
	echo "$fail" >"$OUTDIR/status"
	[ "$rc" = 3 ] && exit 3
	exit 4
fi
echo ok >"$OUTDIR/status"
