// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow special bit, read back through debugfs, and the R/O pin rule
 * of seed 001, checked through /proc/self/pagemap:
 *   - a read fault maps the shared zero page, and its shadow entry has the
 *     special bit (shadow kernel); a write fault replaces the zero page and
 *     the bit goes; fork copies the bit to the child; mremap moves it;
 *   - what zero-page read faults cost in shadow memory: the first special
 *     PTE of each PTE table allocates its shadow table;
 *   - a R/O long-term pin of an anonymous page shared with a child after
 *     fork unshares the page first: the parent's PTE maps a new page that
 *     holds the pin and sees the parent's writes, and the child keeps the
 *     old page (both kernels).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "../../../../mm/gup_test.h"
#include "shadow_pte_util.h"

#define GUP_TEST	"/sys/kernel/debug/gup_test"
#define PMD_SZ		(2UL << 20)
#define ZERO_MIB	64UL

static long pagesize;
static bool shadow;
static int gup_fd = -1;

/* A private anonymous window of @len at a PMD boundary, never THP-backed. */
static char *window(size_t len)
{
	char *area = mmap(NULL, len + PMD_SZ, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *w;

	if (area == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	w = (char *)(((uintptr_t)area + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (w != area)
		munmap(area, w - area);
	munmap(w + len, area + PMD_SZ - w);
	if (madvise(w, len, MADV_NOHUGEPAGE))
		ksft_print_msg("MADV_NOHUGEPAGE: %s\n", strerror(errno));
	return w;
}

static char read_byte(const char *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void expect_special(const char *what, pid_t pid, const void *addr,
			   unsigned int want)
{
	struct spte_entry e;
	bool ok = spte_query(pid, addr, &e) && e.special == want;

	ksft_test_result(ok, "%s: special %u (want %u)\n", what, e.special, want);
}

static void test_zero_page(void)
{
	char *w = window(PMD_SZ);
	unsigned long long zero;

	read_byte(w);
	read_byte(w + 3 * pagesize);
	zero = spte_pfn_of(w);
	ksft_test_result(zero && zero == spte_pfn_of(w + 3 * pagesize) && !read_byte(w),
			 "read faults map one shared zero page\n");
	if (shadow) {
		expect_special("zero page: read fault sets the bit", getpid(), w, 1);
		expect_special("zero page: a PTE never faulted has no bit", getpid(),
			       w + pagesize, 0);
	}
	w[0] = 1;
	ksft_test_result(spte_pfn_of(w) != zero, "a write fault replaces the zero page\n");
	if (shadow)
		expect_special("zero page: the write fault clears the bit", getpid(), w, 0);
	munmap(w, PMD_SZ);
}

static void test_fork_copies_bit(void)
{
	char *w = window(PMD_SZ);
	int status, pfd[2];
	char c = 0;
	pid_t pid;

	read_byte(w + pagesize);
	w[0] = 1;
	if (pipe(pfd))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	pid = fork();
	if (!pid)
		_exit(read(pfd[0], &c, 1) == 1 && !read_byte(w + pagesize) ? 0 : 1);
	expect_special("fork: the child's zero-page PTE has the bit", pid, w + pagesize, 1);
	expect_special("fork: the child's normal PTE has none", pid, w, 0);
	if (write(pfd[1], &c, 1) != 1)
		ksft_print_msg("pipe: %s\n", strerror(errno));
	waitpid(pid, &status, 0);
	ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status),
			 "fork: the child reads zeroes through its zero-page PTE\n");
	close(pfd[0]);
	close(pfd[1]);
	munmap(w, PMD_SZ);
}

/* A destination one page off PMD congruence: move_ptes() moves PTE by PTE. */
static void test_mremap_moves_bit(void)
{
	char *w = window(PMD_SZ), *dst = window(2 * PMD_SZ), *n;

	read_byte(w);
	n = mremap(w, 4 * pagesize, 4 * pagesize, MREMAP_MAYMOVE | MREMAP_FIXED,
		   dst + pagesize);
	if (n == MAP_FAILED) {
		ksft_test_result_fail("mremap: %s\n", strerror(errno));
	} else {
		expect_special("mremap: the bit moves with the PTE", getpid(), n, 1);
		ksft_test_result(!read_byte(n), "mremap: the moved PTE still reads zeroes\n");
	}
	munmap(w, PMD_SZ);
	munmap(dst, 2 * PMD_SZ);
}

/* Shadow memory of a read-faulted range: one shadow table per PTE table. */
static void test_zero_page_memory(void)
{
	size_t len = ZERO_MIB << 20, off;
	/* Tables of the cases before go through RCU first. */
	long before = spte_stable_tables(), after, want;
	long allocs = spte_vmstat("shadow_pte_alloc");
	char *w = window(len);

	for (off = 0; off < len; off += pagesize)
		read_byte(w + off);
	/* Allocations, which no RCU free of an earlier case can move. */
	allocs = spte_vmstat("shadow_pte_alloc") - allocs;
	want = len / PMD_SZ;
	ksft_print_msg("zero-page read faults over %lu MiB: %ld shadow tables\n",
		       ZERO_MIB, allocs);
	ksft_test_result(allocs == want,
			 "zero-page memory: %lu MiB read-faulted take %ld shadow tables (want %ld)\n",
			 ZERO_MIB, allocs, want);
	munmap(w, len);
	after = spte_settle_tables(before);
	ksft_test_result(after <= before,
			 "zero-page memory: munmap frees them (%ld before, %ld after)\n",
			 before, after);
}

/*
 * Seed 001: a R/O pin must not be taken on an anonymous page that another
 * process may still write through COW; GUP unshares first. Both kernels.
 */
static void test_ro_pin_unshares(void)
{
	struct pin_longterm_test args = { .size = 0, .flags = 0 };
	char *w = window(PMD_SZ), *buf = malloc(pagesize);
	unsigned long long shared, pinned;
	int status, pfd[2], qfd[2];
	char c = 0;
	pid_t pid;

	memset(w, 0x5a, pagesize);
	if (!buf || pipe(pfd) || pipe(qfd))
		ksft_exit_fail_msg("setup: %s\n", strerror(errno));
	shared = spte_pfn_of(w);
	pid = fork();
	if (!pid) {
		/* Wait for the pin, write our copy, report whether we kept the page. */
		if (read(pfd[0], &c, 1) != 1)
			_exit(2);
		w[0] = 0x77;
		c = spte_pfn_of(w) == shared;
		if (write(qfd[1], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	args.addr = (uintptr_t)w;
	args.size = pagesize;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args)) {
		ksft_test_result_fail("R/O pin: PIN_LONGTERM_TEST_START: %s\n", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		goto out;
	}
	pinned = spte_pfn_of(w);
	ksft_test_result(pinned && pinned != shared,
			 "R/O pin of a shared anonymous page unshares it first\n");
	if (shadow) {
		struct spte_entry e;

		spte_query(getpid(), w, &e);
		ksft_test_result(e.ro == 1 && e.rw == 0,
				 "R/O pin: counted in the parent's new PTE (ro %u rw %u)\n",
				 e.ro, e.rw);
	}
	if (write(pfd[1], &c, 1) != 1 || read(qfd[0], &c, 1) != 1)
		c = 0;
	waitpid(pid, &status, 0);
	ksft_test_result(c == 1 && w[0] == 0x5a,
			 "R/O pin: the child writes its own page, the parent's is untouched\n");
	w[0] = 0x33;
	args.addr = (uintptr_t)buf;
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_READ, &args.addr))
		ksft_test_result_fail("R/O pin: PIN_LONGTERM_TEST_READ: %s\n", strerror(errno));
	else
		ksft_test_result(buf[0] == 0x33 && spte_pfn_of(w) == pinned,
				 "R/O pin: the pin sees the parent's later write (%#x)\n",
				 (unsigned char)buf[0]);
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		ksft_print_msg("PIN_LONGTERM_TEST_STOP: %s\n", strerror(errno));
out:
	close(pfd[0]);
	close(pfd[1]);
	close(qfd[0]);
	close(qfd[1]);
	free(buf);
	munmap(w, PMD_SZ);
}

int main(void)
{
	long tables = 0, now;

	pagesize = sysconf(_SC_PAGESIZE);
	ksft_print_header();
	gup_fd = open(GUP_TEST, O_RDWR);
	if (gup_fd < 0)
		ksft_exit_skip("%s: %s (needs CONFIG_GUP_TEST and debugfs)\n", GUP_TEST,
			       strerror(errno));
	shadow = !access(SPTE_DIR, F_OK) && spte_vmstat("nr_shadow_pte_tables") >= 0;
	if (shadow) {
		/* Is the special bit kept at all (CONFIG_SHADOW_PTE_SPECIAL)? */
		char *w = window(PMD_SZ);
		struct spte_entry e;

		read_byte(w);
		shadow = spte_query(getpid(), w, &e) && e.special;
		munmap(w, PMD_SZ);
		if (!shadow)
			ksft_print_msg("no special bits kept: page-bit expectations\n");
	}
	ksft_print_msg("scheme: %s\n", shadow ? "shadow PTEs with special bits" : "page bits");
	ksft_set_plan(shadow ? 17 : 5);
	if (shadow)
		tables = spte_stable_tables();
	test_zero_page();
	if (shadow) {
		test_fork_copies_bit();
		test_mremap_moves_bit();
		test_zero_page_memory();
	}
	test_ro_pin_unshares();
	if (shadow) {
		now = spte_settle_tables(tables);
		ksft_test_result(now <= tables,
				 "all shadow tables gone again (%ld at start, %ld now)\n",
				 tables, now);
	}
	ksft_finished();
}
