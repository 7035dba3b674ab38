// SPDX-License-Identifier: GPL-2.0
/*
 * fork_pinned: fork() of a process with SIZE_MIB of written private
 * anonymous memory (THP off), with
 *   none    no pins
 *   sparse  one pinned 4 KiB page per 2 MiB, i.e. one pin per PTE table
 *   dense   every page pinned
 * Pins are io_uring fixed buffers (FOLL_PIN | FOLL_LONGTERM). A pinned
 * anonymous page cannot be shared with the child: fork copies it
 * (copy_present_page), on both kernels; the shadow kernel decides from the
 * exact per-PTE pin count instead of the folio refcount heuristic.
 *
 * Reports the fork() latency seen by the parent (ns_fork: wall clock;
 * ns_fork_task: the parent's own CPU time, which a child or kernel thread
 * scheduled before fork() returns cannot add to) and, from the child's
 * /proc/self/pagemap, how many pages the child got as its own copy
 * (mapped exclusively right after fork, before it touches anything).
 * Same measurement on both kernels; no kernel counter needed.
 *
 * Modelled on the fork-latency measurements in the Copy-on-Pin / "mm: COW
 * fixes" discussions (fork with and without pinned pages), written here.
 *
 * usage: fork_pinned [SIZE_MIB [none|sparse|dense|all]]   (default 256)
 * output: RESULT fork_<mode> size_mib=N pinned=N ns_fork=X ns_per_page=X
 *         child_copied=N ns_fork_task=X
 */
#include "bench.h"

static const char *const modes[] = { "none", "sparse", "dense", NULL };

static void run(size_t len, const char *mname)
{
	enum pin_mode m = pin_mode_of(mname);
	size_t ps = page_size();
	char *p = bench_map_anon(len);
	double wall, task;
	long long copied;
	int ring;

	touch_write(p, len);
	ring = bench_pin(p, len, m);
	copied = bench_timed_fork(p, len, &wall, &task);
	printf("RESULT fork_%s size_mib=%zu pinned=%zu ns_fork=%.0f ns_per_page=%.2f child_copied=%lld ns_fork_task=%.0f\n",
	       mname, len / MIB, pin_pages(m, len), wall, wall / (double)(len / ps),
	       copied, task);
	fflush(stdout);
	bench_unpin(ring);
	munmap(p, len);
}

int main(int argc, char **argv)
{
	const char *mode;
	size_t len = bench_args(argc, argv, 256, modes, &mode);
	int i;

	for (i = 0; modes[i]; i++)
		if (bench_want(mode, modes[i]))
			run(len, modes[i]);
	return 0;
}
