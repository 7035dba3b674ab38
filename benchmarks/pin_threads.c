// SPDX-License-Identifier: GPL-2.0
/*
 * pin_threads: pin and unpin from THREADS threads at once, each on its own
 * SIZE_MIB buffer of written private anonymous memory, through gup_test's
 * PIN_FAST_BENCHMARK (pin_user_pages_fast + unpin_user_pages, FOLL_WRITE,
 * one page per call), ROUNDS times per thread, after one untimed round.
 * Thread i runs on CPU i only (sched_setaffinity), so a run of one thread
 * does not migrate and each thread keeps its own per-CPU state. The
 * threads start together (a barrier); the result is the elapsed time from
 * the first thread's start to the last thread's end (each thread reads the
 * clock itself, so a main thread that is not scheduled cannot shorten the
 * interval) divided by the pages all threads pinned, i.e. the aggregate
 * cost per page.
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
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include "mm/gup_test.h"
#include "bench.h"

#define GUP_FOLL_WRITE 0x01	/* FOLL_WRITE of include/linux/mm_types.h */

static int gup_fd;
static size_t len;
static long rounds;
static pthread_barrier_t start;

struct worker {
	pthread_t tid;
	int cpu;
	char *buf;
	double t0, t1;
};

static void pin_once(char *p)
{
	struct gup_test g;

	memset(&g, 0, sizeof(g));
	g.addr = (unsigned long)p;
	g.size = len;
	g.nr_pages_per_call = 1;
	g.gup_flags = GUP_FOLL_WRITE;
	if (ioctl(gup_fd, PIN_FAST_BENCHMARK, &g))
		die("gup_test PIN_FAST_BENCHMARK: %s", strerror(errno));
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	long r;

	/* Each thread on a CPU of its own, the same one every run. */
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(CPU %d): %s", w->cpu, strerror(errno));
	/*
	 * One untimed round first: the kernel's first pins after boot take
	 * their pin records from the slab, later ones from the per-CPU free
	 * lists (the steady state of a program that pins repeatedly).
	 */
	pin_once(w->buf);
	pthread_barrier_wait(&start);
	w->t0 = now_ns();
	for (r = 0; r < rounds; r++)
		pin_once(w->buf);
	w->t1 = now_ns();
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker w[64];
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
		w[i].cpu = i;
		w[i].buf = bench_map_anon(len);
		touch_write(w[i].buf, len);
	}
	if (pthread_barrier_init(&start, NULL, threads))
		die("pthread_barrier_init");
	for (i = 0; i < threads; i++)
		if (pthread_create(&w[i].tid, NULL, worker, &w[i]))
			die("pthread_create");
	for (i = 0; i < threads; i++)
		pthread_join(w[i].tid, NULL);
	t0 = w[0].t0;
	t1 = w[0].t1;
	for (i = 1; i < threads; i++) {
		t0 = w[i].t0 < t0 ? w[i].t0 : t0;
		t1 = w[i].t1 > t1 ? w[i].t1 : t1;
	}
	pages = threads * rounds * (len / page_size());
	printf("RESULT pinthreads_%ld threads=%ld cpus=%ld pages=%zu ns_per_pin=%.1f\n",
	       threads, threads, cpus, pages, (t1 - t0) / (double)pages);
	for (i = 0; i < threads; i++)
		munmap(w[i].buf, len);
	close(gup_fd);
	return 0;
}
