// SPDX-License-Identifier: GPL-2.0
/*
 * anon_cow: several processes write the whole of an anonymous area their
 * parent wrote before forking them, so every child write is a COW copy
 * fault (do_wp_page copy) while the parent and the other children still
 * map the page.
 *
 * Modelled on vm-scalability's case-anon-cow-seq (parent populates, N
 * forked tasks write the shared area sequentially), written here with THP
 * off, one byte per 4 KiB page and N = NCHILD (default 2, one per guest
 * vCPU). Children start together on a pipe and each times its own loop.
 *
 * usage: anon_cow [SIZE_MIB]        environment: NCHILD (1..64)
 * output: RESULT anon_cow size_mib=N children=N pages=N ns_per_fault=X
 *         ns_total=X        (ns_per_fault: mean over the children)
 */
#include <sys/wait.h>
#include "bench.h"

int main(int argc, char **argv)
{
	const char *mode, *nc = getenv("NCHILD");
	size_t len = bench_args(argc, argv, 64, NULL, &mode);
	long n = nc ? bench_parse(nc, 1, 64, "NCHILD") : 2, i;
	size_t ps = page_size(), pages = len / ps;
	char *p = bench_map_anon(len);
	int go[2], back[2];
	double sum = 0, t0, t1, d;
	char c;

	touch_write(p, len);
	if (pipe(go) || pipe(back))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			double a, b;
			size_t off;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(1);
			a = now_ns();
			for (off = 0; off < len; off += ps)
				p[off] = 3;
			b = now_ns();
			d = b - a;
			_exit(write(back[1], &d, sizeof(d)) == sizeof(d) ? 0 : 1);
		}
	}
	close(go[0]);
	t0 = now_ns();
	close(go[1]);	/* EOF releases every child at once */
	for (i = 0; i < n; i++) {
		if (read(back[0], &d, sizeof(d)) != sizeof(d))
			die("a child did not report");
		sum += d;
	}
	t1 = now_ns();
	for (i = 0; i < n; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			die("a child failed");
	}
	printf("RESULT anon_cow size_mib=%zu children=%ld pages=%zu ns_per_fault=%.1f ns_total=%.0f\n",
	       len / MIB, n, pages, sum / n / (double)pages, t1 - t0);
	munmap(p, len);
	return 0;
}
