// SPDX-License-Identifier: GPL-2.0
/*
 * fault_zero: read faults on untouched private anonymous memory, each of
 * which maps the shared zero page (do_anonymous_page's read path).
 *
 * The read twin of will-it-scale's page_fault1 (which writes), written here
 * single-threaded with THP off so that every fault installs one PTE. Whether
 * a zero-page PTE costs shadow memory is measured by mem_shadow (mode zero),
 * not assumed here.
 *
 * usage: fault_zero [SIZE_MIB]
 * output: RESULT fault_zero size_mib=N pages=N ns_per_fault=X
 */
#include "bench.h"

int main(int argc, char **argv)
{
	const char *mode;
	size_t len = bench_args(argc, argv, 64, NULL, &mode);
	size_t ps = page_size();
	char *p = bench_map_anon(len);
	unsigned long sum;
	double t0, t1;

	t0 = now_ns();
	sum = touch_read(p, len);
	t1 = now_ns();
	if (sum)
		die("the zero page is not zero");
	printf("RESULT fault_zero size_mib=%zu pages=%zu ns_per_fault=%.1f\n",
	       len / MIB, len / ps, (t1 - t0) / (double)(len / ps));
	munmap(p, len);
	return 0;
}
