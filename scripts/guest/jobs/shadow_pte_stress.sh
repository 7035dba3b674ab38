# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shadow-pte/tools/testing/selftests/mm/shadow_pte_stress.c: the seeded race
# stress. Kernel command line (set by scripts/stress.sh and scripts/test.sh):
#   wb.stress_seconds=N   how long (default 60)
#   wb.stress_seed=S      the seed (default: the program picks and prints one)
#   wb.stress_faults=P    fault-injection percent for the shadow allocations
#                         (default 0: off)
# The CPU count was checked at boot (job "cpus"); the stress asks for 2.
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
secs=$(arg wb.stress_seconds)
seed=$(arg wb.stress_seed)
faults=$(arg wb.stress_faults)
set -- -t "${secs:-60}" -c 2
[ -n "$seed" ] && set -- "$@" -s "$seed"
[ -n "$faults" ] && [ "$faults" != 0 ] && set -- "$@" -f "$faults"
# Large folios in half of the arenas (-L): 16 KiB and 64 KiB mTHPs on for
# the run, restored after; how many were faulted in is printed.
thp=/sys/kernel/mm/transparent_hugepage
mthp_sizes="16kB 64kB"
mthp_faults() {
	n=0
	for sz in $mthp_sizes; do
		f=$thp/hugepages-$sz/stats/anon_fault_alloc
		[ -r "$f" ] && n=$((n + $(cat "$f")))
	done
	echo "$n"
}
saved=
for sz in $mthp_sizes; do
	f=$thp/hugepages-$sz/enabled
	[ -w "$f" ] || continue
	saved="$saved $sz:$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$f")"
	echo always >"$f"
done
if [ -n "$saved" ]; then
	set -- "$@" -L
	before=$(mthp_faults)
else
	echo "# no mTHP sizes in $thp: the arenas keep order-0 pages"
fi
rc=0
/selftests/shadow_pte_stress "$@" || rc=$?
# How often the rare paths ran: table releases that had to read every pin
# word, retargets, detaches, GUP-fast pins left to the slow path.
echo "stress: vmstat: $(grep -E '^shadow_pte_(detach_scan|pin_detach|retarget|gup_fast_pin|gup_fast_fallback) ' /proc/vmstat | tr '\n' ' ')" \
	"word_overflows $(cat /sys/kernel/debug/shadow_pte/word_overflows 2>/dev/null || echo -)" \
	"back_entries $(cat /sys/kernel/debug/shadow_pte/back_entries 2>/dev/null || echo -)"
if [ -n "$saved" ]; then
	echo "stress: large folios: $(($(mthp_faults) - before)) mTHPs ($mthp_sizes) faulted in; vmstat:" \
		"$(grep -E '^shadow_pte_large_' /proc/vmstat | tr '\n' ' ')"
	for e in $saved; do
		echo "${e#*:}" >"$thp/hugepages-${e%%:*}/enabled"
	done
fi
# kmemleak, where the kernel has it: a scan after the stress must find nothing.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak || true)
	echo "# kmemleak: $leaks suspected leaks"
	if [ "$leaks" != 0 ]; then
		sed 's/^/# /' /sys/kernel/debug/kmemleak | head -n 60
		rc=1
	fi
fi
exit "$rc"
