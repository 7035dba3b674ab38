/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h: shared helpers of the benchmarks/ microbenchmarks (header only,
 * every benchmark is one static binary).
 *
 *  - argument parsing: bench_args() for "prog [SIZE_MIB [MODE]]"
 *  - time: now_ns() (CLOCK_MONOTONIC; under "qemu -icount shift=0,sleep=off"
 *    guest time counts guest instructions, so figures repeat exactly) and
 *    task_ns() (this thread's CPU time, for fork: the child's first steps
 *    do not land in the parent's interval)
 *  - memory: bench_map_anon() (private anonymous, THP off: the shadow tracks
 *    order-0 pages in PTE tables), touch_write(), touch_read()
 *  - pins: bench_pin() registers io_uring fixed buffers with raw syscalls
 *    (no liburing): IORING_REGISTER_BUFFERS pins every page of every iovec
 *    with FOLL_PIN | FOLL_LONGTERM until IORING_UNREGISTER_BUFFERS
 *  - counters: /proc/vmstat, /proc/meminfo, /proc/self/status and
 *    /sys/kernel/slab readers; a missing field reads as -1 (the baseline
 *    kernel has no shadow-PTE counters)
 *
 * Output convention: "RESULT <bench> key=value ..." with numeric values;
 * benchmarks/report.py turns each key into the metric "<bench>.<key>".
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1UL << 20)
#define PMD_SZ (2UL << 20)	/* one PTE table maps 2 MiB on x86-64 */

static const char *bench_prog = "bench";

static inline void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static inline long bench_parse(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < lo || v > hi) {
		fprintf(stderr, "%s: bad %s '%s' (want %ld..%ld)\n", bench_prog, what, s, lo, hi);
		exit(2);
	}
	return v;
}

/*
 * "prog [SIZE_MIB [MODE]]": returns the size in bytes, *mode is the MODE
 * argument or "all" (run every mode, which is what the smoke test does).
 * modes: NULL-terminated list of the accepted names.
 */
static inline size_t bench_args(int argc, char **argv, long def_mib,
				const char *const *modes, const char **mode)
{
	long mib = argc > 1 ? bench_parse(argv[1], 1, 16384, "size in MiB") : def_mib;
	int i;

	bench_prog = argv[0];
	if (strrchr(bench_prog, '/'))
		bench_prog = strrchr(bench_prog, '/') + 1;
	*mode = argc > 2 ? argv[2] : "all";
	if (argc > 3) {
		fprintf(stderr, "usage: %s [SIZE_MIB [MODE]]\n", bench_prog);
		exit(2);
	}
	if (strcmp(*mode, "all")) {
		for (i = 0; modes && modes[i]; i++)
			if (!strcmp(modes[i], *mode))
				break;
		if (!modes || !modes[i]) {
			fprintf(stderr, "%s: unknown mode '%s'; modes:", bench_prog, *mode);
			for (i = 0; modes && modes[i]; i++)
				fprintf(stderr, " %s", modes[i]);
			fprintf(stderr, " all\n");
			exit(2);
		}
	}
	return (size_t)mib * MIB;
}

/* Is mode m selected by the MODE argument? */
static inline int bench_want(const char *arg, const char *m)
{
	return !strcmp(arg, "all") || !strcmp(arg, m);
}

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID: the scheduler's
 * runtime of this task, to the nanosecond). For fork: unlike now_ns(), it
 * does not count the child, or a kernel thread, that the scheduler runs
 * before fork() returns to the parent.
 */
static inline double task_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Before a timed fork(): let the work that earlier runs left behind (RCU
 * callbacks freeing their pipes and page tables, vmstat folding) run now,
 * not as softirqs inside the parent's timed interval, where task_ns()
 * would count them.
 */
static inline void bench_settle(void)
{
	usleep(50000);
}

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Private anonymous memory, 2 MiB aligned, THP off (order-0 pages only). */
static inline char *bench_map_anon(size_t len)
{
	size_t map = len + PMD_SZ;
	char *p = mmap(NULL, map, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		die("mmap %zu MiB: %s", len / MIB, strerror(errno));
	a = (char *)(((unsigned long)p + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (a > p)
		munmap(p, a - p);
	if (p + map > a + len)
		munmap(a + len, p + map - (a + len));
	if (madvise(a, len, MADV_NOHUGEPAGE))
		die("MADV_NOHUGEPAGE: %s", strerror(errno));
	return a;
}

static inline void touch_write(char *p, size_t len)
{
	size_t off, ps = page_size();

	for (off = 0; off < len; off += ps)
		p[off] = 1;
}

static inline unsigned long touch_read(const char *p, size_t len)
{
	const volatile char *v = p;
	unsigned long sum = 0;
	size_t off, ps = page_size();

	for (off = 0; off < len; off += ps)
		sum += v[off];
	return sum;
}

/* ---- pins through io_uring fixed buffers (FOLL_PIN | FOLL_LONGTERM) ---- */

enum pin_mode { PIN_NONE, PIN_SPARSE, PIN_DENSE };

static inline enum pin_mode pin_mode_of(const char *m)
{
	if (!strcmp(m, "sparse"))
		return PIN_SPARSE;
	if (!strcmp(m, "dense"))
		return PIN_DENSE;
	return PIN_NONE;
}

/* Number of 4 KiB pages bench_pin() pins for this mode and length. */
static inline size_t pin_pages(enum pin_mode m, size_t len)
{
	if (m == PIN_SPARSE)
		return (len + PMD_SZ - 1) / PMD_SZ;
	if (m == PIN_DENSE)
		return len / page_size();
	return 0;
}

/*
 * Pin [p, p + len): PIN_SPARSE pins the first 4 KiB page of every 2 MiB
 * (one pin per PTE table), PIN_DENSE every page (iovecs of at most 1 GiB,
 * io_uring's limit). Returns the ring fd holding the pins, -1 for PIN_NONE.
 * io_uring allows 16384 buffers: sparse covers up to 32 GiB.
 * bench_pin_iov() registers any list of iovecs (one buffer each).
 */
static inline int bench_pin_iov(const struct iovec *iov, size_t n)
{
	struct io_uring_params par;
	int fd;

	memset(&par, 0, sizeof(par));
	fd = syscall(__NR_io_uring_setup, 1, &par);
	if (fd < 0)
		die("io_uring_setup: %s", strerror(errno));
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, iov, n))
		die("IORING_REGISTER_BUFFERS (%zu iovecs): %s", n, strerror(errno));
	return fd;
}

static inline int bench_pin(char *p, size_t len, enum pin_mode m)
{
	struct iovec *iov;
	size_t n = 0, off, step;
	int fd;

	if (m == PIN_NONE)
		return -1;
	step = m == PIN_SPARSE ? PMD_SZ : (1UL << 30);
	iov = calloc(len / step + 1, sizeof(*iov));
	if (!iov)
		die("calloc");
	for (off = 0; off < len; off += step) {
		iov[n].iov_base = p + off;
		iov[n].iov_len = m == PIN_SPARSE ? page_size() :
				 (len - off < step ? len - off : step);
		n++;
	}
	fd = bench_pin_iov(iov, n);
	free(iov);
	return fd;
}

/* Drop the pins of bench_pin() (synchronously) and the ring. */
static inline void bench_unpin(int fd)
{
	if (fd < 0)
		return;
	if (syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0))
		die("IORING_UNREGISTER_BUFFERS: %s", strerror(errno));
	close(fd);
}

/* ---- counters ---- */

/* "name value" line of a /proc file; -1 if absent. */
static inline long long proc_field(const char *file, const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && (line[n] == ' ' || line[n] == ':' || line[n] == '\t')) {
			v = strtoll(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static inline long long vmstat(const char *name)
{
	return proc_field("/proc/vmstat", name);
}

/* /proc/meminfo field in bytes (the file says kB); -1 if absent. */
static inline long long meminfo_bytes(const char *name)
{
	long long kb = proc_field("/proc/meminfo", name);

	return kb < 0 ? -1 : kb * 1024;
}

static inline long long rss_bytes(void)
{
	long long kb = proc_field("/proc/self/status", "VmRSS");

	return kb < 0 ? -1 : kb * 1024;
}

/* The number a one-value file (sysfs) starts with; -1 if unreadable. */
static inline long long file_number(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * First number in /sys/kernel/slab/<cache>/<attr> (SLUB sysfs, which the
 * guest config has through CONFIG_SLUB_DEBUG + CONFIG_SYSFS); -1 if absent.
 */
static inline long long slab_attr(const char *cache, const char *attr)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", cache, attr);
	return file_number(path);
}

/*
 * Pages of [p, p + len) that are present and mapped by this process only
 * (pagemap bit 56, PM_MMAP_EXCLUSIVE); -1 if pagemap cannot be read.
 */
static inline long long exclusive_pages(const char *p, size_t len)
{
	size_t ps = page_size(), n = len / ps, i, chunk = 4096;
	unsigned long long *e = malloc(chunk * sizeof(*e));
	long long cnt = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || !e) {
		free(e);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (i = 0; i < n; i += chunk) {
		size_t k = n - i < chunk ? n - i : chunk, j;
		off_t at = (off_t)(((unsigned long)p / ps) + i) * 8;

		if (pread(fd, e, k * 8, at) != (ssize_t)(k * 8)) {
			cnt = -1;
			break;
		}
		for (j = 0; j < k; j++)
			if ((e[j] >> 63) & 1 && (e[j] >> 56) & 1)
				cnt++;
	}
	free(e);
	close(fd);
	return cnt;
}

/*
 * Raise RLIMIT_NOFILE to at least @n descriptors (fork_refs holds a thousand
 * pipes); dies with the reason if the kernel refuses.
 */
static inline void bench_nofile(rlim_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= n)
		return;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE, %lu): %s", (unsigned long)n, strerror(errno));
}

/*
 * Set MMF_HAS_PINNED on this process, as any process that ever pinned has
 * it: pin one page of a scratch mapping through io_uring and unpin it.
 * From then on fork asks, for every exclusive anonymous page, whether it
 * may be pinned.
 */
static inline void bench_pinned_once(void)
{
	size_t ps = page_size();
	char *s = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	s[0] = 1;
	bench_unpin(bench_pin(s, ps, PIN_DENSE));
	munmap(s, ps);
}

/*
 * fork() as the parent sees it, after bench_settle(): *wall (now_ns()) and
 * *task (task_ns(): the parent's own CPU time, which the child cannot add
 * to). The child counts the pages of [p, p + len) that only it maps, the
 * copies fork gave it (before it touches anything), reports and exits.
 * Returns that count (-1: the child could not read its pagemap).
 */
static inline long long bench_timed_fork(const char *p, size_t len, double *wall,
					 double *task)
{
	long long copied = -1;
	double t0, t1, c0, c1;
	int back[2];
	pid_t pid;

	if (pipe(back))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	bench_settle();
	t0 = now_ns();
	c0 = task_ns();
	pid = fork();
	c1 = task_ns();
	t1 = now_ns();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		long long n = exclusive_pages(p, len);

		_exit(write(back[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
	}
	if (read(back[0], &copied, sizeof(copied)) != sizeof(copied))
		die("child did not report");
	if (waitpid(pid, NULL, 0) != pid)
		die("waitpid: %s", strerror(errno));
	close(back[0]);
	close(back[1]);
	*wall = t1 - t0;
	*task = c1 - c0;
	return copied;
}

/* Negative (absent) counters print as 0 deltas. */
static inline long long delta(long long after, long long before)
{
	return after < 0 || before < 0 ? 0 : after - before;
}

#endif /* BENCH_H */
