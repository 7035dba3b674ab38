// SPDX-License-Identifier: GPL-2.0
/*
 * munmap_pinned: munmap() of SIZE_MIB of written private anonymous memory
 * (THP off) with no pins, one pin per PTE table (sparse) or every page
 * pinned (dense). The pins (io_uring fixed buffers) outlive the mapping;
 * on the shadow kernel zap must detach every pinned PTE's pin record, the
 * extra work this measures.
 *
 * Modelled on will-it-scale's munmap-style teardown loops (map, touch,
 * unmap, time the unmap), written here with pins added.
 *
 * usage: munmap_pinned [SIZE_MIB [none|sparse|dense|all]]
 * output: RESULT munmap_<mode> size_mib=N pinned=N ns_munmap=X ns_per_page=X
 */
#include "bench.h"

static const char *const modes[] = { "none", "sparse", "dense", NULL };

static void run(size_t len, const char *mname)
{
	enum pin_mode m = pin_mode_of(mname);
	size_t ps = page_size();
	char *p = bench_map_anon(len);
	double t0, t1;
	int ring;

	touch_write(p, len);
	ring = bench_pin(p, len, m);
	t0 = now_ns();
	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
	t1 = now_ns();
	bench_unpin(ring);
	printf("RESULT munmap_%s size_mib=%zu pinned=%zu ns_munmap=%.0f ns_per_page=%.2f\n",
	       mname, len / MIB, pin_pages(m, len), t1 - t0, (t1 - t0) / (double)(len / ps));
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
