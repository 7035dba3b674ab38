// SPDX-License-Identifier: GPL-2.0
/*
 * mremap_pinned: mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of SIZE_MIB of
 * written private anonymous memory (THP off) with no pins, one pin per PTE
 * table (sparse) or every page pinned (dense).
 *
 * The source is 2 MiB aligned and the destination is 2 MiB aligned plus
 * 4 KiB, so source and destination are NOT PMD-congruent: move_page_tables()
 * cannot move whole PTE tables (move_normal_pmd) and takes the per-PTE
 * move_ptes() path for every page, which on the shadow kernel also moves
 * each shadow entry and its pin record. (With congruent addresses the
 * kernel would move tables and their shadow arrays wholesale; that case is
 * not what this measures.)
 *
 * Modelled on the mremap move tests of selftests/mm/mremap_test (timing of
 * a large move), written here with pins added.
 *
 * usage: mremap_pinned [SIZE_MIB [none|sparse|dense|all]]
 * output: RESULT mremap_<mode> size_mib=N pinned=N pmd_congruent=0
 *         ns_mremap=X ns_per_page=X
 */
#define _GNU_SOURCE
#include "bench.h"

static const char *const modes[] = { "none", "sparse", "dense", NULL };

static void run(size_t len, const char *mname)
{
	enum pin_mode m = pin_mode_of(mname);
	size_t ps = page_size();
	char *p = bench_map_anon(len), *dst, *q;
	double t0, t1;
	int ring;

	/* Destination window: reserve len + 4 MiB, start 4 KiB past 2 MiB. */
	dst = mmap(NULL, len + 2 * PMD_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (dst == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	q = (char *)((((unsigned long)dst + PMD_SZ - 1) & ~(PMD_SZ - 1)) + ps);
	touch_write(p, len);
	ring = bench_pin(p, len, m);
	t0 = now_ns();
	if (mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, q) != q)
		die("mremap: %s", strerror(errno));
	t1 = now_ns();
	if (q[0] != 1 || q[len - ps] != 1)
		die("moved memory lost its contents");
	bench_unpin(ring);
	printf("RESULT mremap_%s size_mib=%zu pinned=%zu pmd_congruent=0 ns_mremap=%.0f ns_per_page=%.2f\n",
	       mname, len / MIB, pin_pages(m, len), t1 - t0, (t1 - t0) / (double)(len / ps));
	munmap(dst, len + 2 * PMD_SZ);
}

int main(int argc, char **argv)
{
	const char *mode;
	size_t len = bench_args(argc, argv, 64, modes, &mode);
	int i;

	for (i = 0; modes[i]; i++)
		if (bench_want(mode, modes[i]))
			run(len, modes[i]);
	return 0;
}
