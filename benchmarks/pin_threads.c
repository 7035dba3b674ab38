// SPDX-License-Identifier: GPL-2.0
/*
 * pin_threads: pin and unpin from THREADS threads at once, each on its own
 * SIZE_MIB buffer of written private anonymous memory, through gup_test's
 * PIN_FAST_BENCHMARK (pin_user_pages_fast + unpin_user_pages, FOLL_WRITE,
 * one page per call), ROUNDS times per thread. The threads start together
 * (a barrier); the result is the elapsed time of the whole run divided by
 * the pages all threads pinned, i.e. the aggregate cost per page.
 *
 * Under TCG icount all vCPUs share one instruction clock, so the elapsed
 * time is the sum of every vCPU's instructions: with perfect scaling the
 * aggregate cost per page equals the one-thread cost, and what a shared
 * lock or a contended cache line adds (spinning, retries) shows as more
 * instructions per page. Under KVM the same figure is wall-clock throughput.
 * Comparing the shadow/baseline ratio of THREADS=1 with THREADS=N on an
 * N-vCPU guest shows whether the shadow's pin path scales like mainline's.
 *
 * usage: pin_threads SIZE_MIB [ROUNDS [THREADS]]   (defaults: 1 round, 1 thread)
 * output: RESULT pinthreads_<THREADS> threads=N cpus=N pages=N ns_per_pin=X
 * (ns_per_pin: one pin plus its unpin)
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include "mm/gup_test.h"
#include "bench.h"

#define GUP_FOLL_WRITE 0x01	/* FOLL_WRITE of include/linux/mm_types.h */

static int gup_fd;
static size_t len;
static long rounds;
static pthread_barrier_t start;

static void *worker(void *arg)
{
	char *p = arg;
	struct gup_test g;
	long r;

	pthread_barrier_wait(&start);
	for (r = 0; r < rounds; r++) {
		memset(&g, 0, sizeof(g));
		g.addr = (unsigned long)p;
		g.size = len;
		g.nr_pages_per_call = 1;
		g.gup_flags = GUP_FOLL_WRITE;
		if (ioctl(gup_fd, PIN_FAST_BENCHMARK, &g))
			die("gup_test PIN_FAST_BENCHMARK: %s", strerror(errno));
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid[64];
	char *buf[64];
	long threads, i, cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double t0, t1;
	size_t pages;

	if (argc < 2 || argc > 4)
		die("usage: pin_threads SIZE_MIB [ROUNDS [THREADS]]");
	len = (size_t)bench_parse(argv[1], 1, 1 << 14, "SIZE_MIB") * MIB;
	rounds = argc > 2 ? bench_parse(argv[2], 1, 1000, "ROUNDS") : 1;
	threads = argc > 3 ? bench_parse(argv[3], 1, 64, "THREADS") : 1;
	if (threads > cpus)
		die("THREADS=%ld but only %ld CPUs are online: the threads would not run at once",
		    threads, cpus);
	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (gup_fd < 0)
		die("/sys/kernel/debug/gup_test: %s (CONFIG_GUP_TEST, debugfs mounted?)",
		    strerror(errno));
	for (i = 0; i < threads; i++) {
		buf[i] = bench_map_anon(len);
		touch_write(buf[i], len);
	}
	if (pthread_barrier_init(&start, NULL, threads + 1))
		die("pthread_barrier_init");
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, worker, buf[i]))
			die("pthread_create");
	pthread_barrier_wait(&start);
	t0 = now_ns();
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	t1 = now_ns();
	pages = threads * rounds * (len / page_size());
	printf("RESULT pinthreads_%ld threads=%ld cpus=%ld pages=%zu ns_per_pin=%.1f\n",
	       threads, threads, cpus, pages, (t1 - t0) / (double)pages);
	for (i = 0; i < threads; i++)
		munmap(buf[i], len);
	close(gup_fd);
	return 0;
}
