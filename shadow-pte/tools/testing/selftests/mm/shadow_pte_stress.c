// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow-PTE race stress: a seeded, time-bounded attempt to make the kernel
 * lose, or leave stale, the exact per-PTE FOLL_PIN count that fork consults.
 *
 * Worker threads race page-level operations on a few 4 MiB arenas (two PTE
 * tables each, MADV_NOHUGEPAGE, living in a reserved PROT_NONE window; with
 * -L the odd-numbered arenas take large folios instead, for whichever mTHP
 * sizes the system has enabled, so that the per-subpage pin records of
 * large folios race the same operations):
 * GUP-fast/slow pins through gup_test, io_uring fixed buffers (long-term
 * R/W pins, sometimes held across an mremap or munmap of the arena), O_DIRECT
 * reads (unpinned by bio completion), MADV_DONTNEED, faults, mprotect, mremap
 * of the whole arena (to non-2 MiB-congruent addresses half of the time),
 * munmap + mmap, THP collapse and split on a THP arena, KSM, and, where
 * test_hmm provides /dev/hmm_dmirror0, device-exclusive entries.
 *
 * Two dedicated threads run the integrity oracle meanwhile: write P1 into a
 * page Q, pin Q with an io_uring fixed buffer, fork; the child must keep
 * seeing P1, and after the parent writes P2 through its mapping the pinned
 * page (read back with IORING_OP_WRITE_FIXED into a memfd) must hold P2. If
 * fork shared the pinned page, the parent's write goes to a COW copy and the
 * pin still sees P1. In a large-folio arena the buffer is, half of the
 * time, the four pages around Q, which io_uring coalesces into one pin of
 * the folio that names no page. The "slotrace" oracle has a helper thread fault, GUP-fast
 * and MADV_DONTNEED Q's slot in a tight loop until the oracle pins Q, and
 * GUP-fast it while Q is pinned and the process forks.
 *
 * Every ~2 s and at the end all threads pause and the quiesce oracles run:
 * every shadow entry of every arena PTE table at ro 0 / rw 0, the
 * nr_foll_pin_acquired/released vmstat counters equal, no live pin records;
 * at the very end, with every arena unmapped, nr_shadow_pte_tables is no
 * higher than at the start. The summary ("stress: " lines) and any
 * violation ("stress: VIOLATION") are printed unprefixed. On a
 * kernel without /sys/kernel/debug/shadow_pte only the pin balance and the
 * integrity oracles run.
 *
 * Reproduce: each iteration of each thread draws from a PRNG seeded with the
 * printed seed, the thread's index and the iteration number, so
 * "shadow_pte_stress -s SEED -j N" replays the same operations with the same
 * arguments in every thread (violations name the thread and iteration); the
 * interleaving between threads is up to the scheduler: rerun a failing seed a
 * few times, with the same -j.
 *
 * Moves: a quarter of the fork oracle's runs move the arena with mremap once
 * or twice between the pin and the fork, so that fork finds Q's pins through
 * a moved PTE (a back reference, or a word that a second move took over).
 * Where test_hmm is there, a quarter of them first make Q device-exclusive,
 * so that the moves carry, and fork restores, an entry that is not a PTE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "../../../../mm/gup_test.h"
#include "../kselftest.h"
#include "shadow_pte_util.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

#define PROG		"shadow_pte_stress"
#define GUP_TEST	"/sys/kernel/debug/gup_test"
#define GUP_FOLL_WRITE	0x01		/* the kernel's FOLL_WRITE */
#define KSM_RUN		"/sys/kernel/mm/ksm/run"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define PMD_SZ		(2UL << 20)
#define ARENA_SZ	(4UL << 20)	/* two PTE tables */
#define REGION_SZ	(10UL << 20)	/* home 4 MiB + scratch 4 MiB + 2 MiB slack */
#define NR_ARENAS	4
#define MAX_WORKERS	64
#define QUIESCE_MS	2000
#define PAUSE_MS	10000		/* threads must pause within this */
#define ACK_WARN_MS	10000
#define CHILD_MS	20000
#define GRACE_MS	30000		/* after the deadline, for threads to end */
#define FAULT_TIMES	1000000000L	/* fault_attr times: counts down per fault */
#define CLAIM_EXCL	0x80000000u

enum {
	OP_GUPFAST, OP_URING, OP_ODIRECT, OP_DONTNEED, OP_TOUCH, OP_MREMAP, OP_REMAP,
	OP_MPROTECT, OP_THP, OP_KSM, OP_DEVX, OP_FORK, OP_SLOTRACE, NR_OPS
};

static const char *const op_name[NR_OPS] = {
	"gupfast", "uring", "odirect", "dontneed", "touch", "mremap", "remap",
	"mprotect", "thp", "ksm", "devx", "fork", "slotrace",
};

static const unsigned int op_weight[NR_OPS] = { 16, 12, 8, 16, 16, 3, 2, 8, 5, 3, 4 };

enum { CMD_IDLE, CMD_RACE, CMD_PIN_NOW, CMD_STOP, CMD_EXIT };
enum { TK_WORKER, TK_FORK, TK_SLOT, TK_HELPER };

/* Set up before the threads start, read-only afterwards. */
static struct {
	uint64_t seed;
	long seconds, threads, min_cpus, cpus, fail_pct, pagesize, npages;
	bool quiet, shadow, records, faults, ksm_old_valid, dev_given, large;
	const char *dev;
	int gup_fd, dio_fd, dio_lbs, hmm_fd;
	unsigned long long dio_size;
	bool enabled[NR_OPS];
	unsigned int total_weight;
	long start_ms, deadline_ms;
	char ksm_old[16];
} cfg = { .gup_fd = -1, .dio_fd = -1, .hmm_fd = -1 };

struct arena {
	pthread_rwlock_t lock;	/* write: whole-arena moves; read: the rest */
	char *home, *scratch;	/* fixed slots in the reserved window */
	char *base;		/* where the arena is now (under lock) */
	bool dead, no_moves;	/* under lock */
	int ksm;		/* atomic: MADV_MERGEABLE last */
	unsigned int *claim;	/* atomic per-page claims, see claim_*() */
};

struct ring {
	int fd;
	void *sq, *cq;
	struct io_uring_sqe *sqes;
	size_t sq_len, cq_len, sqes_len;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

struct thr {
	pthread_t tid;
	int idx, kind;
	uint64_t rng;
	unsigned long iter;
	int cur_op, done;	/* atomic */
	long op_since;		/* atomic */
	struct ring ring;	/* oracle threads */
	int memfd;
	char *p1, *p2, *snap, *rb;
};

static struct arena arenas[NR_ARENAS];
static struct { pthread_mutex_t lock; char *addr; bool broken; } thp = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static struct { char *q, *gaddr; unsigned long gn; int cmd, ack; } slot;
static struct thr thrs[MAX_WORKERS + 3];
static int nthrs, nparticipants;
static int go, stop_flag, pause_req, paused_cnt, dontunmap_broken;	/* atomic */
static unsigned long op_iters[NR_OPS], op_errs[NR_OPS];		/* atomic */
static unsigned long checks[2], viol[2], stuck_events, unexpected;	/* atomic */
/* Fork checks whose buffer was four pages of a large-folio arena (atomic). */
static unsigned long range_checks, moved_checks;
/* ... whose pinned page had been made device-exclusive (atomic). */
static unsigned long devx_checks, devx_moved_checks;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

#define LOAD(p)		__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define INC(p)		__atomic_fetch_add(p, 1, __ATOMIC_RELAXED)

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char buf[640];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	pthread_mutex_lock(&log_lock);
	fputs(prefix, stdout);
	fputs(buf, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&log_lock);
}

/* A TAP diagnostic line, from any thread. */
static __printf(1, 2) void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("# ", fmt, ap);
	va_end(ap);
}

/* A "stress: " line for scripts/stress.sh's summary (grep '^stress: '). */
static __printf(1, 2) void report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("stress: ", fmt, ap);
	va_end(ap);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * xorshift64*, reseeded before every iteration from (seed, thread, iteration):
 * what an iteration does never depends on how earlier ones went.
 */
static void reseed(struct thr *t)
{
	uint64_t x = cfg.seed + (t->idx + 1) * 0xd1b54a32d192ed03ULL +
		     t->iter * 0x8cb92ba72f3d8dd7ULL;

	splitmix64(&x);
	t->rng = splitmix64(&x) | 1;
}

static uint64_t rnd(struct thr *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

static unsigned long below(struct thr *t, unsigned long n)
{
	return n ? rnd(t) % n : 0;
}

/*
 * A page index for a run of @n pages. Three times in four the run starts
 * in a hot window of HOT_PAGES pages around the boundary of the arena's two
 * PTE tables, so that pins, zaps, moves and forks meet on the same slots
 * often, not once in thousands of operations.
 */
#define HOT_PAGES	16

static unsigned long pick_pg(struct thr *t, unsigned long n)
{
	unsigned long hot0 = cfg.npages / 2 - HOT_PAGES / 2;

	if (n <= HOT_PAGES && below(t, 4))
		return hot0 + below(t, HOT_PAGES - n + 1);
	return below(t, cfg.npages - n + 1);
}

/* Count an error of @op; errnos a racing unmap or fault injection explains are quiet. */
static int op_err(int op, int err)
{
	INC(&op_errs[op]);
	if (err == -EFAULT || err == -ENOMEM || err == -EBUSY || err == -EAGAIN ||
	    err == -EINTR || err == -ETIMEDOUT)
		return err;
	if (INC(&unexpected) < 20 && !cfg.quiet)
		msg("unexpected: op %s: %s\n", op_name[op], strerror(-err));
	return err;
}

static bool read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

static bool read_long(const char *path, long *val)
{
	char buf[64], *end;

	if (!read_file(path, buf, sizeof(buf)))
		return false;
	*val = strtol(buf, &end, 10);
	return end != buf;
}

/*
 * Per-page claims keep the oracle's page and mprotect's read-only pages away
 * from ops that write into or zap a page. Shared claims (touch, dontneed,
 * O_DIRECT) count up in the low bits; an exclusive claim (oracle, mprotect)
 * sets CLAIM_EXCL, refusing new shared claims, and waits for the old ones.
 * Pins (gupfast, uring) take no claim: they never change a page's contents
 * or its mapping. Claims are only held under the arena's read lock.
 */
static bool claim_shared(struct arena *a, unsigned long pg)
{
	if (__atomic_fetch_add(&a->claim[pg], 1, __ATOMIC_SEQ_CST) & CLAIM_EXCL) {
		__atomic_fetch_sub(&a->claim[pg], 1, __ATOMIC_SEQ_CST);
		return false;
	}
	return true;
}

static bool claim_excl(struct arena *a, unsigned long pg)
{
	long until = now_ms() + 500;

	if (__atomic_fetch_or(&a->claim[pg], CLAIM_EXCL, __ATOMIC_SEQ_CST) & CLAIM_EXCL)
		return false;
	while (LOAD(&a->claim[pg]) & ~CLAIM_EXCL) {
		if (now_ms() > until) {
			__atomic_fetch_and(&a->claim[pg], ~CLAIM_EXCL, __ATOMIC_SEQ_CST);
			return false;
		}
		sched_yield();
	}
	return true;
}

static void unclaim(struct arena *a, unsigned long pg, unsigned long n, bool excl)
{
	for (; n; n--, pg++) {
		if (excl)
			__atomic_fetch_and(&a->claim[pg], ~CLAIM_EXCL, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_sub(&a->claim[pg], 1, __ATOMIC_SEQ_CST);
	}
}

/* Claim up to @n pages from @pg; returns how many (a prefix) were claimed. */
static unsigned long claim_range(struct arena *a, unsigned long pg, unsigned long n,
				 bool excl)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (!(excl ? claim_excl(a, pg + i) : claim_shared(a, pg + i)))
			break;
	return i;
}

static int timed_lock(struct arena *a, bool write)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	return write ? pthread_rwlock_timedwrlock(&a->lock, &ts) :
		       pthread_rwlock_timedrdlock(&a->lock, &ts);
}

/* Read-lock a random live arena; NULL if it is dead or the lock timed out. */
static struct arena *get_arena(struct thr *t, int *err)
{
	struct arena *a = &arenas[below(t, NR_ARENAS)];
	int ret = timed_lock(a, false);

	*err = -ret;
	if (ret)
		return NULL;
	if (a->dead) {
		pthread_rwlock_unlock(&a->lock);
		return NULL;
	}
	return a;
}

static int gup_pin(char *addr, unsigned long n, bool write, unsigned long cmd,
		   unsigned int per_call)
{
	struct gup_test g;

	memset(&g, 0, sizeof(g));
	g.addr = (uintptr_t)addr;
	g.size = n * cfg.pagesize;
	g.nr_pages_per_call = per_call ? per_call : 1;
	g.gup_flags = write ? GUP_FOLL_WRITE : 0;
	if (ioctl(cfg.gup_fd, cmd, &g))
		return -errno;
	return g.size == n * cfg.pagesize ? 0 : -EFAULT;	/* partial: raced */
}

static int uring_setup(void)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 4, &p);
	return fd < 0 ? -errno : fd;
}

static int uring_register(int fd, struct iovec *iov, unsigned int nr)
{
	return syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, iov, nr) ?
	       -errno : 0;
}

static int uring_unregister(int fd)
{
	return syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0) ?
	       -errno : 0;
}

static int op_gupfast(struct thr *t)
{
	unsigned long n = 1 + below(t, 64), pg, r = below(t, 100), cmd;
	struct arena *a;
	int ret;

	a = get_arena(t, &ret);
	if (!a)
		return ret;
	pg = pick_pg(t, n);
	cmd = r < 70 ? PIN_FAST_BENCHMARK : r < 85 ? PIN_BASIC_TEST : PIN_LONGTERM_BENCHMARK;
	/*
	 * Always FOLL_WRITE: an R/O gup_test pin of a range that a racing
	 * MADV_DONTNEED left unpopulated maps the shared zero page, which
	 * gup_test's verify_dma_pinned() reports with a WARN on every kernel.
	 * R/O pins come from O_DIRECT writes and from op_mprotect().
	 */
	ret = gup_pin(a->base + pg * cfg.pagesize, n, true, cmd, 1 + below(t, n));
	pthread_rwlock_unlock(&a->lock);
	return ret;
}

/* Long-term R/W pins, held (for 0-2 ms) outside the lock: mremap/munmap may move them. */
static int op_uring(struct thr *t)
{
	unsigned int i, nr = 1 + below(t, 16);
	unsigned long pg = 0;
	struct iovec iov[16];
	struct arena *a;
	int fd, ret;

	fd = uring_setup();
	if (fd < 0)
		return fd;
	a = get_arena(t, &ret);
	if (!a) {
		close(fd);
		return ret;
	}
	for (i = 0; i < nr; i++) {
		if (!i || below(t, 4))
			pg = pick_pg(t, 1);
		iov[i].iov_base = a->base + pg * cfg.pagesize;
		iov[i].iov_len = cfg.pagesize;
	}
	ret = uring_register(fd, iov, nr);
	pthread_rwlock_unlock(&a->lock);
	if (!ret) {
		usleep(below(t, 2001));
		ret = uring_unregister(fd);
		if (ret)
			msg("uring: unregister: %s\n", strerror(-ret));
	}
	close(fd);
	return ret;
}

static int op_odirect(struct thr *t)
{
	unsigned long lbs = cfg.dio_lbs, size = lbs * (1 + below(t, 4096 / lbs));
	unsigned long off = lbs * below(t, cfg.pagesize / lbs), pg, n, k;
	unsigned long long dev_off = lbs * below(t, cfg.dio_size / lbs - 8);
	struct arena *a;
	ssize_t got;
	int ret;

	a = get_arena(t, &ret);
	if (!a)
		return ret;
	pg = pick_pg(t, 1);
	if (pg == (unsigned long)cfg.npages - 1 && off + size > (unsigned long)cfg.pagesize)
		off = 0;
	n = off + size > (unsigned long)cfg.pagesize ? 2 : 1;
	k = claim_range(a, pg, n, false);
	if (k == n) {
		/* A read pins R/W; a write from memory pins R/O. */
		if (rnd(t) & 1)
			got = pread(cfg.dio_fd, a->base + pg * cfg.pagesize + off, size, dev_off);
		else
			got = pwrite(cfg.dio_fd, a->base + pg * cfg.pagesize + off, size, dev_off);
		ret = got < 0 ? -errno : (size_t)got == size ? 0 : -EIO;
	}
	unclaim(a, pg, k, false);
	pthread_rwlock_unlock(&a->lock);
	return ret;
}

/* MADV_DONTNEED (@zap) or a write of a pattern into a run of pages. */
static int op_pages(struct thr *t, bool zap)
{
	unsigned long n = below(t, 4) ? 1 : 1 + below(t, zap ? 64 : 16), pg, i;
	uint64_t v = rnd(t);
	struct arena *a;
	char *p;
	int ret;

	a = get_arena(t, &ret);
	if (!a)
		return ret;
	pg = pick_pg(t, n);
	n = claim_range(a, pg, n, false);
	p = a->base + pg * cfg.pagesize;
	if (zap && n && madvise(p, n * cfg.pagesize, MADV_DONTNEED))
		ret = -errno;
	for (i = 0; !zap && i < n; i++, p += cfg.pagesize) {
		if (v & 1)
			memset(p, (int)(v >> 8), cfg.pagesize);
		((uint64_t *)p)[below(t, cfg.pagesize / 8)] = v;
		((uint64_t *)p)[0] = v + i;
	}
	unclaim(a, pg, n, false);
	pthread_rwlock_unlock(&a->lock);
	return ret;
}

static int op_mprotect(struct thr *t)
{
	unsigned long n = 1 + below(t, 32), pg, i;
	unsigned long long off;
	struct arena *a;
	char *p;
	int ret;

	a = get_arena(t, &ret);
	if (!a)
		return ret;
	pg = pick_pg(t, n);
	n = claim_range(a, pg, n, true);
	p = a->base + pg * cfg.pagesize;
	/* Populated (claimed: nobody zaps them) before they turn read-only. */
	for (i = 0; i < n; i++)
		__atomic_store_n((uint64_t *)(p + i * cfg.pagesize), rnd(t), __ATOMIC_RELAXED);
	if (n && mprotect(p, n * cfg.pagesize, PROT_READ)) {
		ret = -errno;
	} else if (n) {
		/*
		 * An R/O pin of the read-only range: an O_DIRECT write from it
		 * (a gup_test R/O pin would WARN in gup_test if a page were
		 * the shared zero page; these are populated, but KSM may merge
		 * them into it).
		 */
		off = cfg.dio_lbs * below(t, cfg.dio_size / cfg.dio_lbs - 8);
		if (cfg.dio_fd >= 0 && (rnd(t) & 1))
			pwrite(cfg.dio_fd, p, cfg.pagesize, off);
		else
			usleep(below(t, 200));
		for (i = 0; i < 3 && mprotect(p, n * cfg.pagesize, PROT_READ | PROT_WRITE); i++)
			ret = -errno;
		if (i == 3) {
			/* Keep the claims: nobody may write these pages. */
			msg("mprotect: cannot restore PROT_WRITE at %p: %s\n", p, strerror(-ret));
			pthread_rwlock_unlock(&a->lock);
			return ret;
		}
		ret = 0;
	}
	unclaim(a, pg, n, true);
	pthread_rwlock_unlock(&a->lock);
	return ret;
}

/* Move @a between its home and scratch slots (its write lock held). */
static int arena_move(struct thr *t, struct arena *a)
{
	bool dontunmap = !LOAD(&dontunmap_broken);
	unsigned long pmd_pages = PMD_SZ / cfg.pagesize;
	char *src, *dst, *p;
	int ret = 0;

	src = a->base;
	dst = src != a->home ? a->home :
	      a->scratch + ((rnd(t) & 1) ? 0 : (1 + below(t, pmd_pages - 1)) * cfg.pagesize);
	if (a->dead || a->no_moves)
		goto out;
	p = mremap(src, ARENA_SZ, ARENA_SZ, MREMAP_MAYMOVE | MREMAP_FIXED |
		   (dontunmap ? MREMAP_DONTUNMAP : 0), dst);
	if (p == MAP_FAILED && dontunmap && errno == EINVAL) {
		STORE(&dontunmap_broken, 1);
		dontunmap = false;
		p = mremap(src, ARENA_SZ, ARENA_SZ, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	}
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	a->base = dst;
	/* Give the old slot back to the reservation, leaving no hole for strangers. */
	p = mmap(src, ARENA_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		 (dontunmap ? MAP_FIXED : MAP_FIXED_NOREPLACE), -1, 0);
	if (p != src) {
		if (p != MAP_FAILED)
			munmap(p, ARENA_SZ);
		a->no_moves = !dontunmap;
		msg("mremap: cannot reserve %p again, no more moves\n", src);
	}
out:
	return ret;
}

static int op_mremap(struct thr *t)
{
	struct arena *a = &arenas[below(t, NR_ARENAS)];
	int ret = timed_lock(a, true);

	if (ret)
		return -ret;
	ret = arena_move(t, a);
	pthread_rwlock_unlock(&a->lock);
	return ret;
}

/* Order-0 pages only, unless -L and @a is an odd-numbered arena. */
static void arena_thp_policy(struct arena *a, char *p)
{
	if (!cfg.large || !((a - arenas) & 1))
		madvise(p, ARENA_SZ, MADV_NOHUGEPAGE);
}

/*
 * io_uring fixed buffers on up to 8 pages of @a (write-locked), or -1:
 * pins the remap holds across the munmap, so that the PTE tables it frees
 * still have pins on them (their shadow tables are orphaned) and the
 * unregister afterwards unpins through the orphans.
 */
static int remap_pin(struct thr *t, struct arena *a)
{
	unsigned int i, nr = 1 + below(t, 8);
	struct iovec iov[8];
	int fd = uring_setup();

	if (fd < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		iov[i].iov_base = a->base + pick_pg(t, 1) * cfg.pagesize;
		iov[i].iov_len = cfg.pagesize;
	}
	if (uring_register(fd, iov, nr)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * munmap + mmap(MAP_FIXED) of a whole arena: its PTE tables are freed;
 * half the time with io_uring pins held across it (remap_pin()).
 */
static int op_remap(struct thr *t)
{
	struct arena *a = &arenas[below(t, NR_ARENAS)];
	int flags = MAP_PRIVATE | MAP_ANONYMOUS, ret = timed_lock(a, true);
	unsigned long i;
	int pin_fd = -1;
	char *p;

	if (ret)
		return -ret;
	if (a->dead)
		goto out;
	if (rnd(t) & 1)
		pin_fd = remap_pin(t, a);
	if (rnd(t) & 1) {
		p = mmap(a->base, ARENA_SZ, PROT_READ | PROT_WRITE, flags | MAP_FIXED, -1, 0);
	} else {
		munmap(a->base, ARENA_SZ);
		p = mmap(a->base, ARENA_SZ, PROT_READ | PROT_WRITE,
			 flags | MAP_FIXED_NOREPLACE, -1, 0);
	}
	if (p != a->base) {
		ret = p == MAP_FAILED ? -errno : -EEXIST;
		if (p != MAP_FAILED)
			munmap(p, ARENA_SZ);
		a->dead = true;
		msg("remap: arena at %p lost: %s\n", a->base, strerror(-ret));
		goto out;
	}
	arena_thp_policy(a, p);
	STORE(&a->ksm, 0);
	/* Under the write lock only "keep read-only" claims can be left: all gone now. */
	for (i = 0; i < (unsigned long)cfg.npages; i++)
		STORE(&a->claim[i], 0);
out:
	pthread_rwlock_unlock(&a->lock);
	if (pin_fd >= 0) {
		if (uring_unregister(pin_fd))
			msg("remap: unregister failed\n");
		close(pin_fd);
	}
	return ret;
}

/* Touch the THP arena, collapse it, split the PMD, sometimes with a pin held. */
static int op_thp(struct thr *t)
{
	unsigned long pmd_pages = PMD_SZ / cfg.pagesize, k = below(t, pmd_pages);
	char *sub = thp.addr + k * cfg.pagesize;
	struct iovec iov = { sub, cfg.pagesize };
	int fd = -1, ret = 0, i;

	if (pthread_mutex_trylock(&thp.lock))
		return 0;
	if (thp.broken)
		goto out;
	memset(thp.addr, (int)rnd(t), PMD_SZ);
	if (rnd(t) & 1) {
		fd = uring_setup();
		if (fd >= 0 && uring_register(fd, &iov, 1)) {
			close(fd);
			fd = -1;
		}
	}
	if (madvise(thp.addr, PMD_SZ, MADV_COLLAPSE) && errno != EINVAL &&
	    errno != EAGAIN && errno != ENOMEM)
		ret = -errno;
	if (rnd(t) & 1) {
		if (madvise(sub, cfg.pagesize, MADV_DONTNEED))
			ret = -errno;
	} else if (!mprotect(sub, cfg.pagesize, PROT_READ)) {
		for (i = 0; i < 3 && mprotect(sub, cfg.pagesize, PROT_READ | PROT_WRITE); i++)
			ret = -errno;
		thp.broken = i == 3;
	}
	if (cfg.enabled[OP_GUPFAST] && (rnd(t) & 1))
		gup_pin(thp.addr + (k & ~15UL) * cfg.pagesize, 16, true,
			PIN_FAST_BENCHMARK, 1 + below(t, 16));
	if (fd >= 0) {
		uring_unregister(fd);
		close(fd);
	}
	if (!below(t, 4))
		madvise(thp.addr, PMD_SZ, MADV_DONTNEED);
out:
	pthread_mutex_unlock(&thp.lock);
	return ret;
}

/* Duplicate content, then MADV_MERGEABLE / MADV_UNMERGEABLE the whole arena. */
static int op_ksm(struct thr *t)
{
	unsigned long n = 8 + below(t, 24), pg, i;
	int c = (int)rnd(t), ret;
	struct arena *a;

	a = get_arena(t, &ret);
	if (!a)
		return ret;
	pg = pick_pg(t, n);
	n = claim_range(a, pg, n, false);
	for (i = 0; i < n; i++)
		memset(a->base + (pg + i) * cfg.pagesize, c, cfg.pagesize);
	unclaim(a, pg, n, false);
	if (madvise(a->base, ARENA_SZ, __atomic_fetch_xor(&a->ksm, 1, __ATOMIC_RELAXED) ?
		    MADV_UNMERGEABLE : MADV_MERGEABLE))
		ret = -errno;
	pthread_rwlock_unlock(&a->lock);
	return ret;
}

/*
 * Device-exclusive entries (test_hmm): a run of pages, pinned or not, has
 * its PTEs replaced by entries that only the device may use until a CPU
 * access, fork or GUP restores them. Their pins must survive mremap and be
 * detached by zap like a present PTE's.
 */
/* Make @n pages from @p device-exclusive: 0 or -errno. */
static int devx_range(char *p, unsigned long n)
{
	int ret = spte_hmm_cmd(cfg.hmm_fd, HMM_DMIRROR_EXCLUSIVE, p, n);

	/* The device's copy was invalidated before it was read back: raced. */
	if (ret == -ENOENT)
		return -EBUSY;
	return ret < 0 ? ret : 0;
}

static int op_devx(struct thr *t)
{
	unsigned long n = 1 + below(t, 16), pg;
	struct arena *a;
	int ret;

	a = get_arena(t, &ret);
	if (!a)
		return ret;
	pg = pick_pg(t, n);
	ret = devx_range(a->base + pg * cfg.pagesize, n);
	pthread_rwlock_unlock(&a->lock);
	return ret;
}

/* The oracle's own io_uring instance, with rings: IORING_OP_WRITE_FIXED. */
static int ring_init(struct ring *r)
{
	struct io_uring_params p;
	int prot = PROT_READ | PROT_WRITE, fl = MAP_SHARED | MAP_POPULATE, ret;

	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	r->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq = mmap(NULL, r->sq_len, prot, fl, r->fd, IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, prot, fl, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, prot, fl, r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED) {
		ret = -errno;
		close(r->fd);
		return ret;
	}
	r->sq_tail = (unsigned int *)((char *)r->sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq + p.sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq + p.cq_off.cqes);
	return 0;
}

static void ring_exit(struct ring *r)
{
	munmap(r->sq, r->sq_len);
	munmap(r->cq, r->cq_len);
	munmap(r->sqes, r->sqes_len);
	close(r->fd);
}

/* Write fixed buffer 0 (@len bytes at @addr) to offset 0 of @fd; returns res. */
static int ring_write_fixed(struct ring *r, int fd, void *addr, unsigned int len)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	long until = now_ms() + ACK_WARN_MS;
	int res;
	long ret;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_WRITE_FIXED;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)addr;
	sqe->len = len;
	sqe->buf_index = 0;
	r->sq_array[idx] = idx;
	STORE(r->sq_tail, tail + 1);
	ret = syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0);
	if (ret != 1)
		return ret < 0 ? -errno : -EIO;
	while (now_ms() < until) {
		head = *r->cq_head;
		if (head != LOAD(r->cq_tail)) {
			res = r->cqes[head & *r->cq_mask].res;
			STORE(r->cq_head, head + 1);
			return res;
		}
		syscall(__NR_io_uring_enter, r->fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0);
		usleep(20);
	}
	return -ETIMEDOUT;
}

/* What the pinned page holds: buffer 0, through the kernel, into the memfd. */
static int read_pinned(struct thr *t, char *q)
{
	int ret = ring_write_fixed(&t->ring, t->memfd, q, cfg.pagesize);

	if (ret != cfg.pagesize)
		return ret < 0 ? ret : -EIO;
	return pread(t->memfd, t->rb, cfg.pagesize, 0) == cfg.pagesize ? 0 : -EIO;
}

static void violation(struct thr *t, int which, int ai, unsigned long pg, char *q,
		      const char *what)
{
	INC(&viol[which]);
	report("VIOLATION %s: %s: seed=%llu thread=%d iter=%lu arena=%d page=%lu pfn=%#llx\n",
	       op_name[OP_FORK + which], what, (unsigned long long)cfg.seed, t->idx, t->iter,
	       ai, pg, spte_pfn_of(q));
}

/* Wait for @pid up to @ms, then kill it; false if it never came back. */
static bool reap(pid_t pid, int *status, long ms)
{
	long until = now_ms() + ms;
	bool killed = false;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return r == pid && !killed;
		if (now_ms() > until) {
			if (killed)
				return false;
			kill(pid, SIGKILL);
			killed = true;
			until = now_ms() + 5000;
		}
		usleep(200);
	}
}

/* Child: snapshot Q, say so, wait for the parent's write, Q must not change. */
static __noreturn void fork_child(struct thr *t, char *q, int c2p, int p2c)
{
	struct pollfd pfd = { .fd = p2c, .events = POLLIN };
	bool at_fork;
	char c = 'r';

	memcpy(t->snap, q, cfg.pagesize);
	at_fork = !memcmp(t->snap, t->p1, cfg.pagesize);
	if (write(c2p, &c, 1) != 1 || poll(&pfd, 1, CHILD_MS) != 1 || read(p2c, &c, 1) != 1)
		_exit(2);
	if (!at_fork)
		_exit(3);
	_exit(memcmp(t->snap, q, cfg.pagesize) ? 1 : 0);
}

/*
 * Q is written with P1 and pinned as buffer 0 of the oracle's ring, which
 * reads it at @qpin, the address it was registered at: fork and check. @q
 * is where Q is mapped now (another address if the arena moved since).
 */
static int fork_check(struct thr *t, int which, int ai, unsigned long pg, char *q,
		      char *qpin)
{
	int c2p[2], p2c[2], status = 0, ret;
	struct pollfd pfd;
	char c = 'w', why[64];
	pid_t pid;

	if (memcmp(q, t->p1, cfg.pagesize))
		violation(t, which, ai, pg, q, "the page lost its contents before fork");
	ret = read_pinned(t, qpin);
	if (ret)
		return ret;
	if (memcmp(t->rb, t->p1, cfg.pagesize))
		violation(t, which, ai, pg, q, "the pinned page is not the mapped one before fork");
	if (pipe(c2p))
		return -errno;
	if (pipe(p2c)) {
		ret = -errno;
		goto out_c2p;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (!pid) {
		close(c2p[0]);
		close(p2c[1]);
		fork_child(t, q, c2p[1], p2c[0]);
	}
	pfd.fd = c2p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, CHILD_MS) != 1 || read(c2p[0], &c, 1) != 1) {
		msg("%s: the child did not report within %d ms\n", op_name[OP_FORK + which],
		    CHILD_MS);
		INC(&stuck_events);
		reap(pid, &status, 0);
		ret = -ETIMEDOUT;
		goto out;
	}
	memcpy(q, t->p2, cfg.pagesize);
	ret = read_pinned(t, qpin);
	if (!ret && memcmp(t->rb, t->p2, cfg.pagesize))
		violation(t, which, ai, pg, q,
			  "the pinned page missed the parent's post-fork write (fork shared it)");
	c = 'w';
	if (write(p2c[1], &c, 1) != 1)
		ret = -errno;
	if (!reap(pid, &status, CHILD_MS)) {
		msg("%s: the child did not exit within %d ms\n", op_name[OP_FORK + which],
		    CHILD_MS);
		INC(&stuck_events);
		ret = -ETIMEDOUT;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		violation(t, which, ai, pg, q, "the child saw the parent's post-fork write");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		violation(t, which, ai, pg, q, "the child's page differs from the page at fork");
	} else if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "the child died of signal %d", WTERMSIG(status));
		violation(t, which, ai, pg, q, why);
	} else if (WEXITSTATUS(status)) {
		msg("%s: child status %#x\n", op_name[OP_FORK + which], status);
		ret = -EIO;
	}
	if (!ret)
		INC(&checks[which]);
out:
	close(p2c[0]);
	close(p2c[1]);
out_c2p:
	close(c2p[0]);
	close(c2p[1]);
	return ret;
}

/* Wait for the slotrace helper to acknowledge @cmd; false past the hard deadline. */
static bool wait_ack(int cmd)
{
	long start = now_ms(), hard = cfg.deadline_ms + GRACE_MS - 2000;
	bool warned = false;

	while (LOAD(&slot.ack) != cmd) {
		if (!warned && now_ms() - start > ACK_WARN_MS) {
			msg("slotrace: the helper has not stopped for %d ms\n", ACK_WARN_MS);
			INC(&stuck_events);
			warned = true;
		}
		if (now_ms() > hard)
			return false;
		usleep(10);
	}
	return true;
}

static void fill(char *p, uint64_t x)
{
	long i;

	for (i = 0; i < cfg.pagesize / 8; i++)
		((uint64_t *)p)[i] = splitmix64(&x);
}

/* One oracle iteration; @which: 0 fork, 1 slotrace. false: stuck, give up. */
static bool oracle_iter(struct thr *t, int which, int *err)
{
	int ai = below(t, NR_ARENAS), ret, tries;
	struct arena *a = &arenas[ai];
	unsigned long pg = 0, gpg;
	struct iovec iov[4];
	unsigned int i, nr, moves;
	char *q, *qpin;
	long spin, s;
	bool range, devx;

	*err = 0;
	/*
	 * A quarter of the fork oracle's runs move the arena once or twice
	 * with Q pinned (write lock): fork must then find Q's pins through
	 * the moved PTE.
	 */
	moves = !which && !(rnd(t) & 3) ? 1 + below(t, 2) : 0;
	ret = timed_lock(a, moves);
	if (ret) {
		*err = -ret;
		return true;
	}
	if (a->dead)
		goto unlock;
	for (tries = 0; tries < 8; tries++) {
		pg = pick_pg(t, 1);
		if (claim_excl(a, pg))
			break;
	}
	if (tries == 8) {
		*err = -EBUSY;
		goto unlock;
	}
	q = a->base + pg * cfg.pagesize;
	fill(t->p1, rnd(t));
	fill(t->p2, rnd(t));
	if (which) {
		/* The report's race: fault, GUP-fast, zap Q's slot until we pin. */
		gpg = pg ? pg - 1 : 0;
		__atomic_store_n(&slot.q, q, __ATOMIC_RELAXED);
		__atomic_store_n(&slot.gaddr, a->base + gpg * cfg.pagesize, __ATOMIC_RELAXED);
		__atomic_store_n(&slot.gn, gpg + 3 <= (unsigned long)cfg.npages ? 3UL : 2UL,
				 __ATOMIC_RELAXED);
		STORE(&slot.cmd, CMD_RACE);
		spin = below(t, 300);
		for (s = 0; s < spin; s++)
			sched_yield();
		STORE(&slot.cmd, CMD_PIN_NOW);
		/* Fault Q in, racing the helper's last zap (atomic: it may touch Q too). */
		__atomic_store_n((uint64_t *)q, t->iter, __ATOMIC_RELAXED);
		if (!wait_ack(CMD_PIN_NOW))
			return false;
	}
	memcpy(q, t->p1, cfg.pagesize);
	nr = which ? 1 + below(t, 3) : 1 + below(t, 4);
	for (i = 0; i < nr; i++) {
		iov[i].iov_base = (which || !i) ? q : a->base + pick_pg(t, 1) * cfg.pagesize;
		iov[i].iov_len = cfg.pagesize;
	}
	/*
	 * In a large-folio arena, half of the time buffer 0 is the four pages
	 * around Q: inside one mTHP, io_uring coalesces it into one pin of the
	 * folio, which names no page (patch 0022), and fork must still copy Q.
	 */
	range = !which && cfg.large && (ai & 1) && (rnd(t) & 1);
	if (range) {
		iov[0].iov_base = a->base + (pg & ~3UL) * cfg.pagesize;
		iov[0].iov_len = 4 * cfg.pagesize;
	}
	ret = uring_register(t->ring.fd, iov, nr);
	if (!ret) {
		if (!which)
			usleep(below(t, 100));
		qpin = q;
		/* A quarter of the time the device takes Q over before the moves. */
		devx = cfg.hmm_fd >= 0 && !below(t, 4) && !devx_range(q, 1);
		for (i = 0; i < moves && !a->no_moves; i++) {
			*err = arena_move(t, a);
			if (*err)
				break;
			q = a->base + pg * cfg.pagesize;
		}
		if (!*err)
			*err = fork_check(t, which, ai, pg, q, qpin);
		if (moves && i == moves && !*err)
			INC(&moved_checks);
		if (devx && !*err)
			INC(moves && i == moves ? &devx_moved_checks : &devx_checks);
		if (range && !*err)
			INC(&range_checks);
		ret = uring_unregister(t->ring.fd);
		if (ret) {
			msg("%s: unregister: %s\n", op_name[OP_FORK + which], strerror(-ret));
			*err = ret;
		}
	} else {
		*err = ret;
	}
	if (which) {
		STORE(&slot.cmd, CMD_STOP);
		if (!wait_ack(CMD_STOP))
			return false;
		STORE(&slot.cmd, CMD_IDLE);
	}
	unclaim(a, pg, 1, true);
unlock:
	pthread_rwlock_unlock(&a->lock);
	return true;
}

static void maybe_pause(void)
{
	if (!LOAD(&pause_req))
		return;
	__atomic_fetch_add(&paused_cnt, 1, __ATOMIC_SEQ_CST);
	while (LOAD(&pause_req) && !LOAD(&stop_flag))
		usleep(500);
	__atomic_fetch_sub(&paused_cnt, 1, __ATOMIC_SEQ_CST);
}

static int pick_op(struct thr *t)
{
	unsigned int r = below(t, cfg.total_weight);
	int op;

	for (op = 0; op < OP_FORK; op++) {
		if (!cfg.enabled[op])
			continue;
		if (r < op_weight[op])
			return op;
		r -= op_weight[op];
	}
	return OP_TOUCH;
}

static int op_dontneed(struct thr *t)
{
	return op_pages(t, true);
}

static int op_touch(struct thr *t)
{
	return op_pages(t, false);
}

static int (*const ops[OP_FORK])(struct thr *t) = {
	op_gupfast, op_uring, op_odirect, op_dontneed, op_touch, op_mremap, op_remap,
	op_mprotect, op_thp, op_ksm, op_devx,
};

/*
 * Threads start together, once all exist: a thread stack mmap()ed while a
 * remap has an arena's slot unmapped would land in the hole.
 */
static void wait_go(void)
{
	while (!LOAD(&go))
		usleep(100);
}

static void *worker_main(void *arg)
{
	struct thr *t = arg;
	int op, ret = 0;

	wait_go();
	while (!LOAD(&stop_flag) && now_ms() < cfg.deadline_ms) {
		maybe_pause();
		reseed(t);
		if (t->kind == TK_WORKER)
			op = pick_op(t);
		else
			op = t->kind == TK_FORK ? OP_FORK : OP_SLOTRACE;
		STORE(&t->op_since, now_ms());
		STORE(&t->cur_op, op);
		if (op < OP_FORK) {
			ret = ops[op](t);
		} else {
			if (!oracle_iter(t, op - OP_FORK, &ret)) {
				if (t->kind == TK_SLOT)
					STORE(&slot.cmd, CMD_EXIT);
				return NULL;	/* stuck: never "done" */
			}
			if (!below(t, 4))
				usleep(below(t, 500));
		}
		INC(&op_iters[op]);
		if (ret)
			op_err(op, ret);
		STORE(&t->cur_op, -1);
		t->iter++;
	}
	if (t->kind == TK_SLOT)
		STORE(&slot.cmd, CMD_EXIT);
	STORE(&t->done, 1);
	return NULL;
}

/*
 * The slotrace helper: only acts on the slot the oracle hands it, and
 * leaves when the oracle's thread says so (CMD_EXIT), not at stop_flag: an
 * iteration that began before stop_flag still needs its acknowledgements.
 */
static void *helper_main(void *arg)
{
	struct thr *t = arg;
	unsigned long gn;
	char *q, *g;
	int cmd;

	wait_go();
	for (;;) {
		cmd = LOAD(&slot.cmd);
		if (cmd == CMD_EXIT)
			break;
		if (cmd == CMD_IDLE) {
			usleep(50);
			continue;
		}
		if (cmd == CMD_STOP) {
			STORE(&slot.ack, CMD_STOP);
			usleep(20);
			continue;
		}
		q = __atomic_load_n(&slot.q, __ATOMIC_RELAXED);
		g = __atomic_load_n(&slot.gaddr, __ATOMIC_RELAXED);
		gn = __atomic_load_n(&slot.gn, __ATOMIC_RELAXED);
		t->iter++;
		reseed(t);
		if (cmd == CMD_PIN_NOW) {
			/* Stopped zapping: only GUP-fast on Q while it is pinned and forked. */
			STORE(&slot.ack, CMD_PIN_NOW);
			if (cfg.enabled[OP_GUPFAST] && (rnd(t) & 1))
				gup_pin(q, 1, true, PIN_FAST_BENCHMARK, 1);
			else if (cfg.enabled[OP_GUPFAST])
				gup_pin(g, gn, true, PIN_FAST_BENCHMARK, 1);
			else
				usleep(20);
			continue;
		}
		switch (below(t, 4)) {
		case 0:
			__atomic_store_n((uint64_t *)q, t->iter, __ATOMIC_RELAXED);
			break;
		case 1:
			if (cfg.enabled[OP_GUPFAST])
				gup_pin(q, 1, true, PIN_FAST_BENCHMARK, 1);
			break;
		case 2:
			madvise(q, cfg.pagesize, MADV_DONTNEED);
			break;
		default:
			if (cfg.enabled[OP_GUPFAST])
				gup_pin(g, gn, true, PIN_FAST_BENCHMARK, gn);
			madvise(q, cfg.pagesize, MADV_DONTNEED);
		}
	}
	STORE(&t->done, 1);
	return NULL;
}

/*
 * (a) Every entry of the shadow table of the PTE table mapping @addr at
 * ro 0 / rw 0. Returns the number of pinned entries (their lines in @bad).
 */
static int table_pins(const char *addr, char *buf, size_t len, char *bad, size_t badlen)
{
	unsigned int idx, ro, rw, sp;
	int fd, n = 0;
	size_t got = 0;
	char req[64], *line;
	ssize_t r;

	fd = open(SPTE_DIR "/table", O_RDWR);
	if (fd < 0)
		return 0;
	snprintf(req, sizeof(req), "%d %p", getpid(), addr);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return 0;	/* no VMA there */
	}
	while (got < len - 1 && (r = read(fd, buf + got, len - 1 - got)) > 0)
		got += r;
	close(fd);
	buf[got] = '\0';
	line = strchr(buf, '\n');
	if (!line || !strstr(buf, ": entry\n"))
		return 0;	/* no page table, no shadow table, or PMD-mapped */
	for (line = strchr(line + 1, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		if (sscanf(line + 1, "%u %u %u %u", &idx, &ro, &rw, &sp) == 4 && (ro || rw)) {
			n++;
			snprintf(bad + strlen(bad), badlen - strlen(bad),
				 " [%p: index %u ro %u rw %u]", addr, idx, ro, rw);
		}
	}
	return n;
}

static int check_entries(char *buf, size_t len, char *bad, size_t badlen)
{
	unsigned long off;
	int i, n = 0;
	char *base;

	bad[0] = '\0';
	for (i = 0; i <= NR_ARENAS; i++) {
		if (i == NR_ARENAS) {
			n += table_pins(thp.addr, buf, len, bad, badlen);
			break;
		}
		if (timed_lock(&arenas[i], false))
			continue;
		base = arenas[i].base;
		for (off = 0; !arenas[i].dead && off < ARENA_SZ;
		     off = ((uintptr_t)(base + off + PMD_SZ) & ~(PMD_SZ - 1)) - (uintptr_t)base)
			n += table_pins(base + off, buf, len, bad, badlen);
		pthread_rwlock_unlock(&arenas[i].lock);
	}
	return n;
}

static struct { int runs, skipped, a_bad, b_bad, c_bad; bool b_na; long b_base; } qs;

/* The quiesce oracles; the caller has stopped every thread. */
static void quiesce_checks(void)
{
	char *buf = malloc(65536), bad[512];
	long acq = 0, rel = 0, rec = 0, until;
	int n = 0;

	qs.runs++;
	if (cfg.shadow && buf) {
		for (until = now_ms() + 1000;; usleep(20000)) {
			n = check_entries(buf, 65536, bad, sizeof(bad));
			if (!n || now_ms() > until)
				break;
		}
		if (n && qs.a_bad++ < 5)
			msg("quiesce: %d shadow entries pinned with no pin held:%s\n", n, bad);
	}
	free(buf);
	for (until = now_ms() + 1000;; usleep(20000)) {
		acq = spte_vmstat("nr_foll_pin_acquired");
		rel = spte_vmstat("nr_foll_pin_released");
		if (acq - rel == qs.b_base || now_ms() > until)
			break;
	}
	qs.b_na |= acq < 0 || rel < 0;
	/* Relative to the start: the counters need not be equal at boot. */
	if (acq - rel != qs.b_base && qs.b_bad++ < 5)
		msg("quiesce: nr_foll_pin_acquired - released = %ld, %ld at the start\n",
		    acq - rel, qs.b_base);
	if (!cfg.records)
		return;
	for (until = now_ms() + 1000;; usleep(20000)) {
		if (!read_long(SPTE_DIR "/records", &rec) || !rec || now_ms() > until)
			break;
	}
	if (rec && qs.c_bad++ < 5)
		msg("quiesce: %ld live pin records with no pin outstanding\n", rec);
}

static void quiesce(void)
{
	long until = now_ms() + PAUSE_MS;
	int i, done;

	STORE(&pause_req, 1);
	for (;;) {
		for (i = 0, done = 0; i < nthrs; i++)
			done += thrs[i].kind != TK_HELPER && LOAD(&thrs[i].done);
		if (LOAD(&paused_cnt) + done >= nparticipants)
			break;
		if (now_ms() > until) {
			qs.skipped++;
			if (!cfg.quiet)
				msg("threads did not pause within %d ms: no checks\n", PAUSE_MS);
			STORE(&pause_req, 0);
			return;
		}
		usleep(1000);
	}
	quiesce_checks();
	STORE(&pause_req, 0);
}

static const char *const fail_dirs[] = { SPTE_DIR "/fail_table", SPTE_DIR "/fail_record" };

/*
 * fault_attr: "times" counts down per injected fault, so it starts high
 * (FAULT_TIMES, in effect unlimited) instead of -1 and tells how many were.
 */
static void faults_set(long pct)
{
	char path[128], val[32];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (pct) {
			snprintf(path, sizeof(path), "%s/interval", fail_dirs[i]);
			spte_write_file(path, "1");
			snprintf(path, sizeof(path), "%s/times", fail_dirs[i]);
			snprintf(val, sizeof(val), "%ld", FAULT_TIMES);
			spte_write_file(path, val);
			snprintf(path, sizeof(path), "%s/verbose", fail_dirs[i]);
			spte_write_file(path, "0");
		}
		snprintf(path, sizeof(path), "%s/probability", fail_dirs[i]);
		snprintf(val, sizeof(val), "%ld", pct);
		spte_write_file(path, val);
	}
}

/* Killed: leave the system as found (open/write/_exit are async-signal-safe). */
static void on_signal(int sig)
{
	if (cfg.faults) {
		spte_write_file(SPTE_DIR "/fail_table/probability", "0");
		spte_write_file(SPTE_DIR "/fail_record/probability", "0");
	}
	if (cfg.ksm_old_valid)
		spte_write_file(KSM_RUN, cfg.ksm_old);
	_exit(128 + sig);
}

static long faults_injected(void)
{
	long t1, t2;

	if (!cfg.faults || !read_long(SPTE_DIR "/fail_table/times", &t1) ||
	    !read_long(SPTE_DIR "/fail_record/times", &t2))
		return -1;
	return 2 * FAULT_TIMES - t1 - t2;
}

static __noreturn void die_usage(const char *why, const char *arg)
{
	if (why)
		fprintf(stderr, "%s: %s%s%s\n", PROG, why, arg ? ": " : "", arg ? arg : "");
	fprintf(why ? stderr : stdout,
		"usage: %s [-s SEED] [-t SECONDS] [-j THREADS] [-c MIN_CPUS]\n"
		"       [-d BLOCKDEV] [-f PERCENT] [-L] [-q]\n"
		"  -s  PRNG seed (default: time-based, printed)\n"
		"  -t  duration in seconds, 1..86400 (default 60)\n"
		"  -j  worker threads, 1..%d (default 2 * online CPUs)\n"
		"  -c  fail unless at least this many CPUs are online\n"
		"  -d  block device for O_DIRECT reads (default /dev/vdb if present)\n"
		"  -f  shadow-pte allocation fault injection percent, 0..100 (default 0)\n"
		"  -L  large folios (enabled mTHP sizes) in the odd-numbered arenas\n"
		"  -q  quiet: no progress or unexpected-errno diagnostics\n", PROG, MAX_WORKERS);
	exit(why ? 2 : 0);
}

static long num_arg(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		die_usage(what, s);
	return v;
}

static void parse_args(int argc, char **argv)
{
	bool have_seed = false;
	struct timespec ts;
	struct stat st;
	char *end;
	int c;

	cfg.seconds = 60;
	while ((c = getopt(argc, argv, "s:t:j:c:d:f:Lqh")) != -1) {
		switch (c) {
		case 's':
			errno = 0;
			cfg.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-')
				die_usage("bad seed", optarg);
			have_seed = true;
			break;
		case 't':
			cfg.seconds = num_arg(optarg, 1, 86400, "bad duration");
			break;
		case 'j':
			cfg.threads = num_arg(optarg, 1, MAX_WORKERS, "bad thread count");
			break;
		case 'c':
			cfg.min_cpus = num_arg(optarg, 1, 65536, "bad CPU count");
			break;
		case 'f':
			cfg.fail_pct = num_arg(optarg, 0, 100, "bad fault percent");
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'L':
			cfg.large = true;
			break;
		case 'd':
			if (stat(optarg, &st) || !S_ISBLK(st.st_mode))
				die_usage("not a block device", optarg);
			cfg.dev = optarg;
			cfg.dev_given = true;
			break;
		case 'h':
			die_usage(NULL, NULL);
		default:
			die_usage("bad option", NULL);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument", argv[optind]);
	if (!have_seed) {
		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = ((uint64_t)ts.tv_sec << 20) ^ ts.tv_nsec ^ ((uint64_t)getpid() << 40);
	}
	cfg.cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (!cfg.threads)
		cfg.threads = cfg.cpus < 1 ? 2 : cfg.cpus > MAX_WORKERS / 2 ? MAX_WORKERS :
			      cfg.cpus * 2;
}

static void skip_op(int op, const char *why, const char *detail)
{
	cfg.enabled[op] = false;
	msg("op %s skipped: %s%s%s\n", op_name[op], why, detail ? ": " : "", detail ? detail : "");
}

static void probe(void)
{
	char buf[128];
	int fd, op;

	for (op = 0; op < NR_OPS; op++)
		cfg.enabled[op] = true;
	cfg.gup_fd = open(GUP_TEST, O_RDWR);
	if (cfg.gup_fd < 0)
		skip_op(OP_GUPFAST, GUP_TEST " (CONFIG_GUP_TEST, debugfs)", strerror(errno));
	if (!cfg.dev && !access("/dev/vdb", F_OK))
		cfg.dev = "/dev/vdb";
	if (!cfg.dev) {
		skip_op(OP_ODIRECT, "no /dev/vdb and no -d", NULL);
	} else {
		cfg.dio_fd = open(cfg.dev, O_RDWR | O_DIRECT);
		if (cfg.dio_fd < 0 || ioctl(cfg.dio_fd, BLKSSZGET, &cfg.dio_lbs) ||
		    ioctl(cfg.dio_fd, BLKGETSIZE64, &cfg.dio_size)) {
			if (cfg.dev_given) {
				fprintf(stderr, "%s: %s: %s\n", PROG, cfg.dev, strerror(errno));
				exit(2);
			}
			skip_op(OP_ODIRECT, cfg.dev, strerror(errno));
		} else if (cfg.dio_lbs < 512 || cfg.dio_lbs > 4096 ||
			   cfg.pagesize % cfg.dio_lbs || cfg.dio_size < 64 * 1024) {
			skip_op(OP_ODIRECT, cfg.dev, "unusable block size or device size");
		}
	}
	if (access(KSM_RUN, F_OK)) {
		skip_op(OP_KSM, KSM_RUN, strerror(errno));
	} else {
		cfg.ksm_old_valid = read_file(KSM_RUN, cfg.ksm_old, sizeof(cfg.ksm_old));
		if (!spte_write_file(KSM_RUN, "1"))
			msg("cannot start ksmd: %s\n", strerror(errno));
	}
	fd = open(SPTE_HMM_DEV, O_RDWR);
	if (fd < 0)
		skip_op(OP_DEVX, SPTE_HMM_DEV " (CONFIG_TEST_HMM)", strerror(errno));
	else
		close(fd);
	if (!read_file(THP_ENABLED, buf, sizeof(buf)) ||
	    !(strstr(buf, "[always]") || strstr(buf, "[madvise]")))
		skip_op(OP_THP, "THP is disabled", NULL);
	fd = uring_setup();
	if (fd < 0) {
		skip_op(OP_URING, "io_uring_setup", strerror(-fd));
		skip_op(OP_FORK, "io_uring_setup", strerror(-fd));
		skip_op(OP_SLOTRACE, "io_uring_setup", strerror(-fd));
	} else {
		close(fd);
	}
	for (op = 0; op < OP_FORK; op++)
		cfg.total_weight += cfg.enabled[op] ? op_weight[op] : 0;
	cfg.shadow = !access(SPTE_DIR, F_OK);
	cfg.records = cfg.shadow && !access(SPTE_DIR "/records", R_OK);
	if (!cfg.shadow)
		msg("SKIP no shadow_pte debugfs: only the pin balance and integrity oracles run\n");
	if (cfg.fail_pct) {
		cfg.faults = !access(SPTE_DIR "/fail_table", F_OK) &&
			     !access(SPTE_DIR "/fail_record", F_OK);
		if (!cfg.faults)
			msg("fault injection not available\n");
	}
}

/* The reserved window, the arenas in it, and the THP arena. */
static void setup_memory(void)
{
	pthread_rwlockattr_t attr;
	char *w, *p;
	int i;

	w = mmap(NULL, NR_ARENAS * REGION_SZ + PMD_SZ, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p = mmap(NULL, 2 * PMD_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED || p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	w = (char *)(((uintptr_t)w + PMD_SZ - 1) & ~(PMD_SZ - 1));
	thp.addr = (char *)(((uintptr_t)p + PMD_SZ - 1) & ~(PMD_SZ - 1));
	madvise(thp.addr, PMD_SZ, MADV_HUGEPAGE);
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (i = 0; i < NR_ARENAS; i++) {
		struct arena *a = &arenas[i];

		pthread_rwlock_init(&a->lock, &attr);
		a->home = w + i * REGION_SZ;
		a->base = a->home;
		a->scratch = a->home + ARENA_SZ;
		a->claim = calloc(cfg.npages, sizeof(*a->claim));
		if (!a->claim || mmap(a->home, ARENA_SZ, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != a->home)
			ksft_exit_fail_msg("arena %d: %s\n", i, strerror(errno));
		arena_thp_policy(a, a->home);
	}
	pthread_rwlockattr_destroy(&attr);
}

static bool start_thread(int kind, void *(*fn)(void *))
{
	struct thr *t = &thrs[nthrs];
	pthread_attr_t attr;
	int ret;

	t->idx = nthrs;
	t->kind = kind;
	t->cur_op = -1;
	if (kind == TK_FORK || kind == TK_SLOT) {
		t->p1 = malloc(cfg.pagesize);
		t->p2 = malloc(cfg.pagesize);
		t->snap = malloc(cfg.pagesize);
		t->rb = malloc(cfg.pagesize);
		t->memfd = memfd_create("shadow_pte_stress", MFD_CLOEXEC);
		ret = ring_init(&t->ring);
		if (!t->p1 || !t->p2 || !t->snap || !t->rb || t->memfd < 0 || ret) {
			msg("oracle %s not started: %s\n", op_name[OP_FORK + kind - TK_FORK],
			    strerror(ret ? -ret : errno));
			return false;
		}
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	ret = pthread_create(&t->tid, &attr, fn, t);
	pthread_attr_destroy(&attr);
	if (ret)
		ksft_exit_fail_msg("pthread_create: %s\n", strerror(ret));
	nthrs++;
	if (kind != TK_HELPER)
		nparticipants++;
	return true;
}

/* Stop everyone; false if some thread did not finish within the grace period. */
static bool stop_threads(void)
{
	long until = cfg.deadline_ms + GRACE_MS;
	int i, left;

	STORE(&stop_flag, 1);
	STORE(&pause_req, 0);
	do {
		for (i = 0, left = 0; i < nthrs; i++)
			left += !LOAD(&thrs[i].done);
		if (left)
			usleep(10000);
	} while (left && now_ms() < until);
	for (i = 0; i < nthrs; i++) {
		struct thr *t = &thrs[i];
		int op = LOAD(&t->cur_op);

		if (LOAD(&t->done)) {
			pthread_join(t->tid, NULL);
			if (t->kind == TK_FORK || t->kind == TK_SLOT)
				ring_exit(&t->ring);
			continue;
		}
		report("thread %d stuck in op %s for %ld ms (seed=%llu)\n", i,
		       op < 0 ? "-" : op_name[op], now_ms() - LOAD(&t->op_since),
		       (unsigned long long)cfg.seed);
	}
	return !left;
}

/*
 * The parent of the stress: once the child (and its address space) is
 * gone, the system's shadow tables must come back to no more than before,
 * after the RCU frees (docs/protocol.md, finding 7). Prints TAP result 6.
 */
static __noreturn void check_tables_after(pid_t pid, long tables0)
{
	int status = 0;
	long tables;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	tables = spte_settle_tables(tables0);
	printf("%s 6 shadow tables back at the start once the stress exited (%ld, now %ld)\n",
	       tables <= tables0 ? "ok" : "not ok", tables0, tables);
	fflush(stdout);
	if (!WIFEXITED(status) || tables > tables0)
		exit(KSFT_FAIL);
	exit(WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
	long tables0, fails0, orphans0, detaches0, injected, next_q, t;
	pid_t tables_pid;
	bool finished;
	int i;

	cfg.pagesize = sysconf(_SC_PAGESIZE);
	cfg.npages = ARENA_SZ / cfg.pagesize;
	parse_args(argc, argv);
	ksft_print_header();
	msg("seed %llu: reproduce with -s %llu -j %ld\n", (unsigned long long)cfg.seed,
	    (unsigned long long)cfg.seed, cfg.threads);
	msg("online CPUs: %ld\n", cfg.cpus);
	if (cfg.min_cpus && cfg.cpus < cfg.min_cpus)
		ksft_exit_fail_msg("%ld CPUs online, -c wants %ld\n", cfg.cpus, cfg.min_cpus);
	if (geteuid())
		ksft_exit_skip("needs root (debugfs, /proc/sys/vm/stat_refresh)\n");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	probe();
	ksft_set_plan(7);
	qs.b_base = spte_vmstat("nr_foll_pin_acquired") - spte_vmstat("nr_foll_pin_released");
	/*
	 * Shadow tables are counted system-wide, and this process's own
	 * memory (thread stacks, zero-page reads with the special bit) gets
	 * some too: the stress runs in a child, and the parent checks the
	 * count after the child's whole address space is gone.
	 */
	if (cfg.shadow) {
		tables0 = spte_stable_tables();
		fflush(stdout);
		tables_pid = fork();
		if (tables_pid < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (tables_pid)
			check_tables_after(tables_pid, tables0);
	}
	fails0 = spte_vmstat("shadow_pte_alloc_fail");
	orphans0 = spte_vmstat("shadow_pte_table_orphan");
	detaches0 = spte_vmstat("shadow_pte_pin_detach");
	/* test_hmm mirrors the mm of the process that opens it: this one. */
	if (cfg.enabled[OP_DEVX]) {
		cfg.hmm_fd = open(SPTE_HMM_DEV, O_RDWR);
		if (cfg.hmm_fd < 0)
			ksft_exit_fail_msg("%s: %s\n", SPTE_HMM_DEV, strerror(errno));
	}
	setup_memory();
	if (cfg.faults)
		faults_set(cfg.fail_pct);
	cfg.start_ms = now_ms();
	cfg.deadline_ms = cfg.start_ms + cfg.seconds * 1000;

	for (i = 0; i < cfg.threads; i++)
		start_thread(TK_WORKER, worker_main);
	if (cfg.enabled[OP_FORK] && !start_thread(TK_FORK, worker_main))
		cfg.enabled[OP_FORK] = false;
	if (cfg.enabled[OP_SLOTRACE] && start_thread(TK_SLOT, worker_main))
		start_thread(TK_HELPER, helper_main);
	else
		cfg.enabled[OP_SLOTRACE] = false;
	STORE(&go, 1);

	for (next_q = now_ms() + QUIESCE_MS; (t = now_ms()) < cfg.deadline_ms;) {
		if (t >= next_q) {
			quiesce();
			next_q = now_ms() + QUIESCE_MS;
			if (!cfg.quiet)
				msg("progress: %lds, %lu fork + %lu slotrace checks\n",
				    (now_ms() - cfg.start_ms) / 1000, LOAD(&checks[0]),
				    LOAD(&checks[1]));
		}
		usleep(20000);
	}
	finished = stop_threads();
	injected = faults_injected();
	if (cfg.faults)
		faults_set(0);
	if (finished) {
		quiesce_checks();
		for (i = 0; i < NR_ARENAS; i++)
			if (!arenas[i].dead)
				munmap(arenas[i].base, ARENA_SZ);
		munmap(arenas[0].home, NR_ARENAS * REGION_SZ);
		munmap(thp.addr, PMD_SZ);
	}
	if (cfg.ksm_old_valid)
		spte_write_file(KSM_RUN, cfg.ksm_old);
	if (injected < 0)
		injected = fails0 < 0 ? 0 : spte_vmstat("shadow_pte_alloc_fail") - fails0;

	report("seed=%llu seconds=%ld cpus=%ld\n", (unsigned long long)cfg.seed,
	       cfg.seconds, cfg.cpus);
	for (i = 0; i < NR_OPS; i++)
		report("op %s iterations=%lu errors=%lu\n", op_name[i], LOAD(&op_iters[i]),
		       LOAD(&op_errs[i]));
	report("faults injected=%ld\n", injected);
	/* How often munmap left pins to an orphan, and zap detached a word. */
	report("shadow tables orphaned=%ld, pin words detached=%ld\n",
	       spte_vmstat("shadow_pte_table_orphan") - orphans0,
	       spte_vmstat("shadow_pte_pin_detach") - detaches0);
	report("fork checks with a 4-page buffer in a large-folio arena=%lu\n",
	       LOAD(&range_checks));
	report("fork checks after moving the pinned page with mremap=%lu\n",
	       LOAD(&moved_checks));
	if (cfg.hmm_fd >= 0)
		report("fork checks with the pinned page device-exclusive=%lu, after a move=%lu\n",
		       LOAD(&devx_checks) + LOAD(&devx_moved_checks),
		       LOAD(&devx_moved_checks));
	report("quiesce runs=%d skipped=%d unexpected errnos=%lu\n", qs.runs, qs.skipped,
	       LOAD(&unexpected));

	for (i = 0; i < 2; i++) {
		if (!LOAD(&checks[i]) && !LOAD(&viol[i]))
			ksft_test_result_skip("integrity (%s): no check completed\n",
					      op_name[OP_FORK + i]);
		else
			ksft_test_result(!LOAD(&viol[i]),
					 "integrity (%s): the pinned page kept the parent's writes (%lu checks, %lu violations)\n",
					 op_name[OP_FORK + i], LOAD(&checks[i]), LOAD(&viol[i]));
	}
	if (!cfg.shadow)
		ksft_test_result_skip("no shadow_pte debugfs: shadow entries\n");
	else
		ksft_test_result(!qs.a_bad,
				 "quiesce: every shadow entry at ro 0 rw 0 (%d of %d runs bad)\n",
				 qs.a_bad, qs.runs);
	if (qs.b_na)
		ksft_test_result_skip("no nr_foll_pin_acquired/released in /proc/vmstat\n");
	else
		ksft_test_result(!qs.b_bad,
				 "quiesce: FOLL_PIN acquired == released (%d of %d runs bad)\n",
				 qs.b_bad, qs.runs);
	if (!cfg.records)
		ksft_test_result_skip("no shadow_pte debugfs records file: live pin records\n");
	else
		ksft_test_result(!qs.c_bad, "quiesce: no live pin records (%d of %d runs bad)\n",
				 qs.c_bad, qs.runs);
	/* Result 6 comes from the parent (check_tables_after()). */
	if (!cfg.shadow)
		ksft_test_result_skip("no shadow_pte debugfs: shadow tables back at the start\n");
	else
		ksft_inc_pass_cnt();
	ksft_test_result(finished && !LOAD(&stuck_events),
			 "no thread or child stuck (%lu stuck events, threads %s)\n",
			 LOAD(&stuck_events), finished ? "finished" : "STUCK");
	ksft_finished();
}
