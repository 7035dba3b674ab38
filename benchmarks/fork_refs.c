// SPDX-License-Identifier: GPL-2.0
/*
 * fork_refs: fork() of a process that has pinned once (MMF_HAS_PINNED) and
 * holds PAGES written anonymous 4 KiB pages, none of them pinned, each with
 * more than 1024 extra plain references: every page is vmspliced into each
 * of 1025 pipes (FOLL_GET references, as a pipe-based zero-copy sender
 * holds them).
 *
 * The page-bit scheme cannot tell such a page from a pinned one
 * (folio_maybe_dma_pinned(): refcount >= GUP_PIN_COUNTING_BIAS for an
 * order-0 folio), so fork copies it; an exact per-PTE pin count shares it.
 *
 * Reports the fork() time seen by the parent (ns_fork_task: its own CPU
 * time; ns_fork: wall clock), the median of NR_FORKS forks (such a fork is
 * short: one timer tick inside it would move a single timing by several
 * percent), and from the first child's /proc/self/pagemap how many of the
 * pages it got as its own copy (copied_bytes: their size).
 *
 * usage: fork_refs [PAGES]   (default 64; at most 1024)
 * output: RESULT fork_refs pages=N refs=N child_copied=N copied_bytes=N
 *         ns_fork=X ns_fork_task=X
 */
#define _GNU_SOURCE
#include "bench.h"

#define NR_PIPES 1025	/* references per page: one more than the bias */
#define NR_FORKS 9	/* forks per run: the median is reported */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t ps = page_size(), pages, i, len;
	long long copied = -1;
	int (*pfd)[2];
	double task[NR_FORKS], wall[NR_FORKS];
	struct iovec *iov;
	char *p;

	bench_prog = argv[0];
	if (argc > 2) {
		fprintf(stderr, "usage: %s [PAGES]\n", bench_prog);
		return 2;
	}
	pages = argc > 1 ? bench_parse(argv[1], 1, 1024, "number of pages") : 64;
	len = pages * ps;
	bench_nofile(2 * NR_PIPES + 64);
	bench_pinned_once();
	p = bench_map_anon(len);
	touch_write(p, len);

	pfd = calloc(NR_PIPES, sizeof(*pfd));
	iov = calloc(pages, sizeof(*iov));
	if (!pfd || !iov)
		die("calloc");
	for (i = 0; i < pages; i++) {
		iov[i].iov_base = p + i * ps;
		iov[i].iov_len = ps;
	}
	for (i = 0; i < NR_PIPES; i++) {
		ssize_t n;

		if (pipe(pfd[i]))
			die("pipe %zu: %s", i, strerror(errno));
		/* One pipe buffer per page: room for all of them. */
		if (fcntl(pfd[i][1], F_SETPIPE_SZ, (int)(pages < 16 ? 16 : pages) * (int)ps) < 0)
			die("F_SETPIPE_SZ %zu pages: %s", pages, strerror(errno));
		n = vmsplice(pfd[i][1], iov, pages, 0);
		if (n != (ssize_t)len)
			die("vmsplice into pipe %zu: %zd of %zu bytes: %s", i, n, len,
			    strerror(errno));
	}

	/* The copies are the same every time: the first fork's count is kept. */
	for (i = 0; i < NR_FORKS; i++) {
		long long n = bench_timed_fork(p, len, &wall[i], &task[i]);

		if (!i)
			copied = n;
	}
	qsort(task, NR_FORKS, sizeof(double), cmp_double);
	qsort(wall, NR_FORKS, sizeof(double), cmp_double);
	printf("RESULT fork_refs pages=%zu refs=%d child_copied=%lld copied_bytes=%lld ns_fork=%.0f ns_fork_task=%.0f\n",
	       pages, NR_PIPES, copied, copied * (long long)ps, wall[NR_FORKS / 2],
	       task[NR_FORKS / 2]);
	fflush(stdout);
	for (i = 0; i < NR_PIPES; i++) {
		close(pfd[i][0]);
		close(pfd[i][1]);
	}
	free(pfd);
	free(iov);
	munmap(p, len);
	return 0;
}
