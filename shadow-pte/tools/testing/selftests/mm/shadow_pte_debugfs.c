// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow-PTE introspection through debugfs (/sys/kernel/debug/shadow_pte/):
 * the answers for each state an address can be in, every bad request
 * rejected with its own errno, the fault-injection knob, and the memory
 * counters in /proc/vmstat. Nothing here takes a pin or maps a special
 * PTE, so no shadow table may appear.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "../kselftest.h"
#include "shadow_pte_util.h"

#define PMD_SZ		(2UL << 20)

static long pagesize;

/* Write @req to @file, then read the answer into @out. Returns 0 or -errno. */
static int ask(const char *file, const char *req, char *out, size_t len)
{
	char path[128];
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), SPTE_DIR "/%s", file);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (write(fd, req, strlen(req)) < 0) {
		ret = -errno;
		goto out;
	}
	n = read(fd, out, len - 1);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	out[n] = '\0';
out:
	close(fd);
	return ret;
}

static int ask_addr(const char *file, pid_t pid, const void *addr, char *out,
		    size_t len)
{
	char req[64];

	snprintf(req, sizeof(req), "%d %p", pid, addr);
	return ask(file, req, out, len);
}

static void expect_errno(const char *what, const char *req, int want)
{
	char out[256];
	int ret = ask("entry", req, out, sizeof(out));

	ksft_test_result(ret == -want, "%s: \"%s\" -> %s (got %s)\n", what, req,
			 strerror(want), ret ? strerror(-ret) : "success");
}

static void expect_answer(const char *what, const char *file, const void *addr,
			  const char *want)
{
	char out[32768];
	int ret = ask_addr(file, getpid(), addr, out, sizeof(out));

	if (ret) {
		ksft_test_result_fail("%s: %s\n", what, strerror(-ret));
		return;
	}
	out[strcspn(out, "\n")] = '\0';
	ksft_test_result(!!strstr(out, want), "%s: \"%s\" has \"%s\"\n",
			 what, out, want);
}

static void test_read_first(void)
{
	char buf[64];
	ssize_t n;
	int fd = open(SPTE_DIR "/entry", O_RDONLY);

	if (fd < 0) {
		ksft_test_result_fail("open entry: %s\n", strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf));
	ksft_test_result(n < 0 && errno == ENODATA,
			 "read before any request -> ENODATA\n");
	close(fd);
}

static void test_no_permission(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		ksft_test_result_fail("fork: %s\n", strerror(errno));
		return;
	}
	if (!pid) {
		char out[64];

		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(ask_addr("entry", 1, (void *)0x1000, out, sizeof(out)) == -EACCES ?
		      0 : 1);
	}
	waitpid(pid, &status, 0);
	ksft_test_result(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			 "unprivileged user -> EACCES\n");
}

/* debugfs attribute files are not seekable: one open per access. */
static int knob(const char *val, char *out, size_t len)
{
	int fd = open(SPTE_DIR "/fail_alloc", val ? O_WRONLY : O_RDONLY);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (val) {
		if (write(fd, val, strlen(val)) < 0)
			ret = -errno;
	} else {
		n = read(fd, out, len - 1);
		if (n < 0)
			ret = -errno;
		else
			out[n] = '\0';
	}
	close(fd);
	return ret;
}

static void test_fail_alloc_knob(void)
{
	char out[32] = "";
	int bad, set, get, reset;

	bad = knob("abc", NULL, 0);
	set = knob("3", NULL, 0);
	get = knob(NULL, out, sizeof(out));
	reset = knob("0", NULL, 0);
	ksft_test_result(bad == -EINVAL && !set && !get && atoi(out) == 3 && !reset,
			 "fail_alloc: \"abc\" -> %s, \"3\" -> %s, reads back %d, reset -> %s\n",
			 strerror(-bad), strerror(-set), atoi(out), strerror(-reset));
}

static void test_slabinfo(void)
{
	char line[512];
	unsigned long active, num, objsize, perslab, pages;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f) {
		ksft_test_result_skip("/proc/slabinfo: %s (needs CONFIG_SLUB_DEBUG)\n",
				      strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "shadow_pte_table %lu %lu %lu %lu %lu", &active, &num,
			   &objsize, &perslab, &pages) == 5) {
			fclose(f);
			ksft_print_msg("shadow_pte_table: objsize %lu, %lu per %lu-page slab\n",
				       objsize, perslab, pages);
			ksft_print_msg("shadow_pte_table: %lu bytes of slab per table\n",
				       pages * pagesize / perslab);
			ksft_test_result(objsize >= 2048 + 16,
					 "/proc/slabinfo lists shadow_pte_table (objsize %lu)\n",
					 objsize);
			return;
		}
	}
	fclose(f);
	ksft_test_result_fail("/proc/slabinfo has no shadow_pte_table cache\n");
}

int main(void)
{
	char req[128], *area, *aligned, *hole;
	long tables, allocs;
	int ret;

	pagesize = sysconf(_SC_PAGESIZE);
	ksft_print_header();
	if (access(SPTE_DIR, F_OK))
		ksft_exit_skip("%s missing: no CONFIG_SHADOW_PTE, or no debugfs\n", SPTE_DIR);
	ksft_set_plan(20);

	tables = spte_vmstat("nr_shadow_pte_tables");
	allocs = spte_vmstat("shadow_pte_alloc");
	ksft_test_result(tables >= 0, "/proc/vmstat has nr_shadow_pte_tables (%ld)\n", tables);
	ksft_test_result(spte_vmstat("shadow_pte_alloc") >= 0 &&
			 spte_vmstat("shadow_pte_alloc_fail") >= 0,
			 "/proc/vmstat has shadow_pte_alloc and shadow_pte_alloc_fail\n");

	test_read_first();
	expect_errno("malformed", "hello", EINVAL);
	expect_errno("no address", "1", EINVAL);
	expect_errno("negative pid", "-5 0x1000", EINVAL);
	expect_errno("bad address", "1 0xzz", EINVAL);
	memset(req, '1', sizeof(req) - 1);
	req[sizeof(req) - 1] = '\0';
	expect_errno("overlong request", req, EINVAL);
	expect_errno("no such process", "4194304 0x1000", ESRCH);
	expect_errno("kernel thread", "2 0x1000", EINVAL);

	/* A 2 MiB-aligned window of its own, never THP-backed. */
	area = mmap(NULL, 3 * PMD_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	madvise(area, 3 * PMD_SZ, MADV_NOHUGEPAGE);
	aligned = (char *)(((unsigned long)area + PMD_SZ - 1) & ~(PMD_SZ - 1));
	hole = aligned + PMD_SZ - pagesize;
	munmap(hole, pagesize);

	snprintf(req, sizeof(req), "%d %p", getpid(), hole);
	expect_errno("unmapped address", req, EFAULT);
	snprintf(req, sizeof(req), "%d 0xffffffffffff0000", getpid());
	expect_errno("kernel address", req, EFAULT);

	expect_answer("untouched 2 MiB window", "entry", aligned, "no page table");
	aligned[0] = 1;
	expect_answer("touched page", "entry", aligned, "no shadow table");
	expect_answer("neighbour in the same table", "entry", aligned + pagesize,
		      "no shadow table");
	expect_answer("table dump", "table", aligned, "no shadow table");

	test_no_permission();
	test_fail_alloc_knob();
	test_slabinfo();

	/*
	 * The allocation event, not nr_shadow_pte_tables: that one also drops
	 * when an earlier job's tables finish their RCU grace period, and moves
	 * when per-CPU vmstat deltas are folded.
	 */
	ret = spte_vmstat("shadow_pte_alloc") == allocs;
	ksft_test_result(ret, "nothing pinned: no shadow table was allocated (%ld -> %ld)\n",
			 allocs, spte_vmstat("shadow_pte_alloc"));
	munmap(area, 3 * PMD_SZ);
	ksft_finished();
}
