// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow-PTE pin counts, read back through debugfs: pins taken with
 * gup_test's long-term ioctls and with io_uring fixed buffers show up in the
 * entry of the PTE they went through (R/O and R/W apart), go away on unpin,
 * follow the PTE through mremap, detach on munmap and stay with the parent
 * at fork. GUP-fast counts by itself once a table has its shadow table;
 * O_DIRECT pins on the scratch disk are counted and released by bio
 * completion, also the ones legacy direct I/O adds with folio_add_pin()
 * (an msdos file system on that disk); a pinned THP whose PMD is split keeps its pin in the folio's
 * _pincount. The fork cases also run on the page-bit kernel, each with the
 * answer that scheme gives:
 *   - a pinned page is copied for the child in both schemes;
 *   - an unpinned page with more than GUP_PIN_COUNTING_BIAS references
 *     (vmsplice into many pipes) in a process that has pinned before is
 *     copied by the page-bit scheme (refcount guess) and shared by shadow;
 *   - a 2 MiB THP and a 64 KiB mTHP with one pinned subpage: the pin keeps
 *     its data in the parent; the page-bit scheme copies every subpage, the
 *     shadow exactly the pinned one, also after io_uring and O_DIRECT
 *     pinned and unpinned other subpages by page, and all of them again
 *     once an unpin that names no page made it forget, or while io_uring
 *     holds a coalesced buffer (one pin for many pages).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/nvme_ioctl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "../../../../mm/gup_test.h"
#include "../kselftest.h"
#include "shadow_pte_util.h"

#define GUP_TEST	"/sys/kernel/debug/gup_test"
#define PMD_SZ		(2UL << 20)
#define SCRATCH_DISK	"/dev/vdb"	/* run-guest.sh: a scratch virtio disk */
#define NR_PIPES	1100	/* > GUP_PIN_COUNTING_BIAS (1024) references */

static long pagesize;
static bool shadow;
static int gup_fd = -1;

static bool expect_entry(const char *what, pid_t pid, const void *addr,
			 unsigned int ro, unsigned int rw)
{
	struct spte_entry e;
	bool ok = spte_query(pid, addr, &e) && e.ro == ro && e.rw == rw;

	ksft_test_result(ok, "%s: ro %u rw %u (want ro %u rw %u)\n", what, e.ro,
			 e.rw, ro, rw);
	return ok;
}

static int longterm_start(void *addr, unsigned long size, bool write, bool fast)
{
	struct pin_longterm_test args = {
		.addr = (uintptr_t)addr,
		.size = size,
		.flags = (write ? PIN_LONGTERM_TEST_FLAG_USE_WRITE : 0) |
			 (fast ? PIN_LONGTERM_TEST_FLAG_USE_FAST : 0),
	};

	return ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args) ? -errno : 0;
}

static void longterm_stop(void)
{
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		ksft_print_msg("PIN_LONGTERM_TEST_STOP: %s\n", strerror(errno));
}

/*
 * An io_uring instance with @nr fixed buffers, each @pages pages from
 * @addr (io_uring keeps one pin per folio of a buffer that lies in large
 * folios: it coalesces it).
 */
static int uring_pin_len(void *addr, unsigned int nr, unsigned int pages)
{
	struct io_uring_params p = { 0 };
	struct iovec iov[64];
	unsigned int i;
	int fd;

	if (nr > 64)
		return -EINVAL;
	fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return -errno;
	for (i = 0; i < nr; i++) {
		iov[i].iov_base = addr;
		iov[i].iov_len = (size_t)pages * pagesize;
	}
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, iov, nr)) {
		i = errno;
		close(fd);
		return -i;
	}
	return fd;
}

/* An io_uring instance with @nr fixed buffers, all the page at @addr. */
static int uring_pin(void *addr, unsigned int nr)
{
	return uring_pin_len(addr, nr, 1);
}

static void uring_unpin(int fd)
{
	if (syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0))
		ksft_print_msg("IORING_UNREGISTER_BUFFERS: %s\n", strerror(errno));
	close(fd);
}

/* A private anonymous 2 MiB window at a PMD boundary, never THP-backed. */
static char *window(void)
{
	char *area = mmap(NULL, 2 * PMD_SZ, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *w;

	if (area == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	w = (char *)(((uintptr_t)area + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (w != area)
		munmap(area, w - area);
	munmap(w + PMD_SZ, area + PMD_SZ - w);
	madvise(w, PMD_SZ, MADV_NOHUGEPAGE);
	memset(w, 0x5a, PMD_SZ);
	return w;
}

static void test_gup_test_pins(char *w)
{
	long fb, fp;
	int ret;

	ret = longterm_start(w, pagesize, false, false);
	if (ret) {
		ksft_test_result_fail("PIN_LONGTERM_TEST_START r/o: %s\n", strerror(-ret));
		return;
	}
	expect_entry("gup_test long-term R/O pin", getpid(), w, 1, 0);
	expect_entry("neighbour PTE untouched", getpid(), w + pagesize, 0, 0);
	longterm_stop();
	expect_entry("R/O unpin", getpid(), w, 0, 0);

	/*
	 * The table has its shadow table now: GUP-fast counts by itself, where
	 * the page frame's pin words exist (the slow path allocates them, 2 MiB
	 * of frames at a time): a slow-path pin and unpin of pages 1 and 2
	 * first, so that the count does not depend on where their frames are.
	 */
	ret = longterm_start(w + pagesize, 2 * pagesize, true, false);
	if (ret) {
		ksft_test_result_fail("PIN_LONGTERM_TEST_START r/w: %s\n", strerror(-ret));
		return;
	}
	longterm_stop();
	fb = spte_vmstat("shadow_pte_gup_fast_fallback");
	fp = spte_vmstat("shadow_pte_gup_fast_pin");
	ret = longterm_start(w + pagesize, 2 * pagesize, true, true);
	if (ret) {
		ksft_test_result_fail("PIN_LONGTERM_TEST_START r/w fast: %s\n", strerror(-ret));
		return;
	}
	expect_entry("pin_user_pages_fast R/W pin, page 1", getpid(), w + pagesize, 0, 1);
	expect_entry("pin_user_pages_fast R/W pin, page 2", getpid(), w + 2 * pagesize, 0, 1);
	fb = spte_vmstat("shadow_pte_gup_fast_fallback") - fb;
	fp = spte_vmstat("shadow_pte_gup_fast_pin") - fp;
	ksft_test_result(fp == 2 && fb == 0,
			 "GUP-fast counted both pins itself (%ld counted, %ld fallbacks)\n",
			 fp, fb);
	longterm_stop();
	expect_entry("R/W unpin", getpid(), w + pagesize, 0, 0);
}

/*
 * A table without a shadow table: GUP-fast leaves the first pin to the slow
 * path, which attaches one; a later pin in that table is counted fast.
 */
/*
 * A page of the window at @w, after its first, whose frame shares the first
 * one's 2 MiB of pin words (512 frames), so a pin of the first made them
 * exist; the second page if none does.
 */
static char *same_chunk_page(char *w)
{
	unsigned long long first = spte_pfn_of(w) >> 9;
	long i;

	for (i = 1; i < (long)(PMD_SZ / pagesize); i++)
		if (spte_pfn_of(w + i * pagesize) >> 9 == first)
			return w + i * pagesize;
	return w + pagesize;
}

static void test_gup_fast_first_pin(void)
{
	long fb = spte_vmstat("shadow_pte_gup_fast_fallback");
	long fp = spte_vmstat("shadow_pte_gup_fast_pin");
	char *w = window();
	int ret, fd;

	ret = longterm_start(w, pagesize, true, true);
	if (ret) {
		ksft_test_result_fail("PIN_LONGTERM_TEST_START r/w fast: %s\n", strerror(-ret));
		munmap(w, PMD_SZ);
		return;
	}
	expect_entry("first fast pin in a table: counted", getpid(), w, 0, 1);
	/* pin_user_pages_fast too, on a page whose pin words exist already. */
	fd = uring_pin(same_chunk_page(w), 1);
	if (fd < 0)
		ksft_print_msg("io_uring register: %s\n", strerror(-fd));
	fb = spte_vmstat("shadow_pte_gup_fast_fallback") - fb;
	fp = spte_vmstat("shadow_pte_gup_fast_pin") - fp;
	ksft_test_result(fd >= 0 && fb == 1 && fp == 1,
			 "GUP-fast: first pin of the table via the slow path, the next one fast (%ld fallbacks, %ld counted)\n",
			 fb, fp);
	if (fd >= 0)
		uring_unpin(fd);
	longterm_stop();
	munmap(w, PMD_SZ);
}

/* Poll a vmstat counter up to 2 s until it reaches @want. */
static long wait_vmstat(const char *name, long want)
{
	long now = spte_vmstat(name);
	int i;

	for (i = 0; i < 200 && now < want; i++) {
		usleep(10000);
		now = spte_vmstat(name);
	}
	return now;
}

static long counted_pins(void)
{
	return spte_vmstat("shadow_pte_pin") + spte_vmstat("shadow_pte_gup_fast_pin");
}

/*
 * O_DIRECT on the scratch disk with a whole 2 MiB window: the block layer
 * pins every page through iov_iter_extract_pages() and unpins in bio
 * completion. A 2 MiB write needs more than one bio (BIO_MAX_VECS is 256
 * pages), so blkdev_bio_end_io() releases the pages in completion (IRQ)
 * context; the read dirties its pages and releases them there or from a
 * workqueue. Every pin must be counted and released, entries end at zero.
 */
static void test_odirect(void)
{
	long pages = PMD_SZ / pagesize, pin, unp;
	int fd = open(SCRATCH_DISK, O_RDWR | O_DIRECT);
	bool same = true;
	char *w;
	long i;

	if (fd < 0) {
		for (i = 0; i < 4; i++)
			ksft_test_result_skip("O_DIRECT: %s: %s (run-guest.sh attaches it)\n",
					      SCRATCH_DISK, strerror(errno));
		return;
	}
	w = window();
	for (i = 0; i < pages; i++)
		w[i * pagesize] = (char)i;
	pin = counted_pins();
	unp = spte_vmstat("shadow_pte_unpin");
	if (pwrite(fd, w, PMD_SZ, 0) != (ssize_t)PMD_SZ) {
		ksft_test_result_fail("O_DIRECT write: %s\n", strerror(errno));
		goto out;
	}
	pin = counted_pins() - pin;
	unp = wait_vmstat("shadow_pte_unpin", unp + pages) - unp;
	ksft_test_result(pin == pages && unp == pages,
			 "O_DIRECT write of %ld pages: %ld pins counted, %ld released by bio completion\n",
			 pages, pin, unp);
	memset(w, 0, PMD_SZ);
	pin = counted_pins();
	unp = spte_vmstat("shadow_pte_unpin");
	if (pread(fd, w, PMD_SZ, 0) != (ssize_t)PMD_SZ) {
		ksft_test_result_fail("O_DIRECT read: %s\n", strerror(errno));
		goto out;
	}
	pin = counted_pins() - pin;
	unp = wait_vmstat("shadow_pte_unpin", unp + pages) - unp;
	ksft_test_result(pin == pages && unp == pages,
			 "O_DIRECT read of %ld pages: %ld pins counted, %ld released\n",
			 pages, pin, unp);
	for (i = 0; i < pages; i++)
		same &= w[i * pagesize] == (char)i;
	ksft_test_result(same, "O_DIRECT read: the data came back into the pinned pages\n");
	for (i = 0; i < pages; i++) {
		struct spte_entry e;

		if (!spte_query(getpid(), w + i * pagesize, &e) || e.ro || e.rw)
			break;
	}
	ksft_test_result(i == pages, "O_DIRECT: every entry back at zero (%ld of %ld)\n",
			 i, pages);
out:
	close(fd);
	munmap(w, PMD_SZ);
}

#define FAT_MNT		"/tmp/shadow_pte_fat"
#define FAT_CLUSTER	512	/* busybox mkdosfs on 8 MiB: one sector */
#define FAT_PAGES	16
#define LEGACY_DIO_CASES	5
#define FAIL_RECORD	SPTE_DIR "/fail_record"

/* Every entry of @n pages at @w at zero, polled for up to 2 s. */
static long wait_entries_zero(const char *w, long n)
{
	struct spte_entry e;
	long i = 0;
	int tries;

	for (tries = 0; tries < 200; tries++) {
		for (i = 0; i < n; i++)
			if (!spte_query(getpid(), w + i * pagesize, &e) || e.ro || e.rw)
				break;
		if (i == n)
			break;
		usleep(10000);
	}
	return i;
}

/*
 * The same read again with every pin record allocation failing (the debug
 * kernels' fault injection, whose pin words hold two pins of a kind): the
 * pins folio_add_pin() cannot put in a full word must not be left out, or
 * the other unpins would take the entry to 0 while the bios still write
 * into the page. They saturate the entry instead, which reads pinned until
 * the PTE is zapped: an over-count, only slower at fork.
 */
static void legacy_dio_no_records(int fd, char *w, long overflows)
{
	long clusters = FAT_PAGES * pagesize / FAT_CLUSTER, pinned, i;
	struct spte_entry e;
	bool same = true;
	ssize_t got;

	if (access(FAIL_RECORD, F_OK) || overflows <= 0) {
		ksft_test_result_skip("legacy O_DIRECT without records: %s\n",
				      overflows <= 0 ?
				      "no pin word overflowed (not a debug kernel)" :
				      "no " FAIL_RECORD " (make stress has it)");
		return;
	}
	memset(w, 0, FAT_PAGES * pagesize);
	spte_write_file(FAIL_RECORD "/interval", "1");
	spte_write_file(FAIL_RECORD "/times", "1000000000");
	spte_write_file(FAIL_RECORD "/verbose", "0");
	spte_write_file(FAIL_RECORD "/probability", "100");
	got = pread(fd, w, FAT_PAGES * pagesize, 0);
	spte_write_file(FAIL_RECORD "/probability", "0");
	for (i = 0; i < clusters; i++)
		same &= w[i * FAT_CLUSTER] == (char)(i + 1);
	for (i = pinned = 0; i < FAT_PAGES; i++)
		pinned += spte_query(getpid(), w + i * pagesize, &e) && e.rw;
	ksft_test_result(got == FAT_PAGES * pagesize && same && pinned == FAT_PAGES,
			 "legacy O_DIRECT without records: read %zd, data %s, %ld of %d entries read pinned (saturated: rw %u)\n",
			 got, same ? "right" : "wrong", pinned, FAT_PAGES, e.rw);
}

/*
 * Legacy direct I/O (fs/direct-io.c; here an msdos file system on the
 * scratch disk) pins each user page once through iov_iter_extract_pages()
 * and then takes one more pin with folio_add_pin() for every further
 * section of the page it submits. Two files written a cluster at a time in
 * turn get every other cluster, so a page of one of them is read in
 * pagesize / 512 sections: more pins per page than a debug kernel's pin
 * word holds (2), which moves the page's pins into a record. Every pin
 * folio_add_pin() adds must be counted (the unpins then outnumber the
 * GUP pins), and all must be gone, with their records, when the read
 * returns and its bios are released.
 */
static void test_legacy_dio(void)
{
	long clusters = FAT_PAGES * pagesize / FAT_CLUSTER;
	long pin, unp, recs, ovf, zero, i;
	char buf[FAT_CLUSTER], *w = NULL;
	const char *why = NULL;
	int fa = -1, fb = -1;
	bool same = true;

	if (system("busybox mkdosfs " SCRATCH_DISK " >/dev/null 2>&1"))
		why = "busybox mkdosfs " SCRATCH_DISK " failed (run-guest.sh attaches it)";
	else if (mkdir(FAT_MNT, 0700) && errno != EEXIST)
		why = "mkdir " FAT_MNT;
	else if (mount(SCRATCH_DISK, FAT_MNT, "msdos", 0, NULL))
		why = "mount -t msdos failed (CONFIG_MSDOS_FS, configs/guest.config)";
	if (why) {
		for (i = 0; i < LEGACY_DIO_CASES; i++)
			ksft_test_result_skip("legacy O_DIRECT: %s\n", why);
		return;
	}
	fa = open(FAT_MNT "/a", O_RDWR | O_CREAT | O_TRUNC, 0600);
	fb = open(FAT_MNT "/b", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fa < 0 || fb < 0) {
		ksft_test_result_fail("legacy O_DIRECT: create: %s\n", strerror(errno));
		goto skip_rest;
	}
	for (i = 0; i < clusters; i++) {
		memset(buf, (int)(i + 1), sizeof(buf));
		if (write(fa, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    write(fb, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			ksft_test_result_fail("legacy O_DIRECT: write: %s\n", strerror(errno));
			goto skip_rest;
		}
	}
	close(fa);
	fa = open(FAT_MNT "/a", O_RDONLY | O_DIRECT);
	if (fa < 0 || fsync(fb)) {
		ksft_test_result_fail("legacy O_DIRECT: reopen: %s\n", strerror(errno));
		goto skip_rest;
	}
	w = window();
	memset(w, 0, FAT_PAGES * pagesize);
	pin = counted_pins();
	unp = spte_vmstat("shadow_pte_unpin");
	recs = spte_file_number(SPTE_DIR "/record_objects");
	ovf = spte_file_number(SPTE_DIR "/word_overflows");
	if (pread(fa, w, FAT_PAGES * pagesize, 0) != FAT_PAGES * pagesize) {
		ksft_test_result_fail("legacy O_DIRECT read: %s\n", strerror(errno));
		goto skip_rest;
	}
	pin = counted_pins() - pin;
	zero = wait_entries_zero(w, FAT_PAGES);
	unp = spte_vmstat("shadow_pte_unpin") - unp;
	ovf = spte_file_number(SPTE_DIR "/word_overflows") - ovf;
	for (i = 0; i < clusters; i++)
		same &= w[i * FAT_CLUSTER] == (char)(i + 1) &&
			w[i * FAT_CLUSTER + FAT_CLUSTER - 1] == (char)(i + 1);
	ksft_test_result(same,
			 "legacy O_DIRECT read of %d pages in %ld clusters: the data came back\n",
			 FAT_PAGES, clusters);
	ksft_test_result(pin == FAT_PAGES && unp > pin,
			 "legacy O_DIRECT: %ld GUP pins counted, %ld unpins (folio_add_pin() counted %ld more; %ld word overflows)\n",
			 pin, unp, unp - pin, ovf);
	ksft_test_result(zero == FAT_PAGES,
			 "legacy O_DIRECT: every entry back at zero (%ld of %d)\n",
			 zero, FAT_PAGES);
	i = spte_file_number(SPTE_DIR "/record_objects");
	ksft_test_result(i == recs, "legacy O_DIRECT: pin records in use back to %ld (%ld)\n",
			 recs, i);
	legacy_dio_no_records(fa, w, ovf);
	goto out;
skip_rest:
	for (i = 0; i < LEGACY_DIO_CASES - 1; i++)
		ksft_test_result_skip("legacy O_DIRECT: the file set-up failed\n");
out:
	if (w)
		munmap(w, PMD_SZ);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	if (umount(FAT_MNT))
		ksft_print_msg("umount %s: %s\n", FAT_MNT, strerror(errno));
}

/* Is THP available for MADV_HUGEPAGE areas? */
static bool thp_usable(void)
{
	char buf[128] = "";
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);

	if (fd < 0)
		return false;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return strstr(buf, "[always]") || strstr(buf, "[madvise]");
}

/*
 * A pinned PMD-mapped THP whose PMD is split into a PTE table (mprotect of
 * half of it). Pins of large folios are recorded per subpage, not in
 * entries: the new PTEs' entries hold nothing, and fork still keeps the
 * pinned page with the parent.
 */
static void test_thp_split_pinned(void)
{
	char *area, *w;
	long splits, thp;
	unsigned long long pfn;
	int ret, status;
	pid_t pid;

	if (!thp_usable()) {
		ksft_test_result_skip("pinned THP split: THP disabled in this kernel\n");
		ksft_test_result_skip("pinned THP split: THP disabled in this kernel\n");
		ksft_test_result_skip("pinned THP split: THP disabled in this kernel\n");
		return;
	}
	area = mmap(NULL, 2 * PMD_SZ, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	w = (char *)(((uintptr_t)area + PMD_SZ - 1) & ~(PMD_SZ - 1));
	madvise(w, PMD_SZ, MADV_HUGEPAGE);
	thp = spte_vmstat("thp_fault_alloc");
	memset(w, 0x33, PMD_SZ);
	thp = spte_vmstat("thp_fault_alloc") - thp;
	ret = longterm_start(w + 5 * pagesize, pagesize, true, false);
	splits = spte_vmstat("thp_split_pmd");
	if (!ret && mprotect(w + PMD_SZ / 2, PMD_SZ / 2, PROT_READ))
		ksft_print_msg("mprotect: %s\n", strerror(errno));
	splits = spte_vmstat("thp_split_pmd") - splits;
	ksft_test_result(!ret && thp == 1 && splits == 1,
			 "pinned THP: PMD split into a PTE table (%ld THP, %ld split, pin %s)\n",
			 thp, splits, ret ? strerror(-ret) : "ok");
	expect_entry("pinned THP after the split: the folio's _pincount counts, not the entry",
		     getpid(), w + 5 * pagesize, 0, 0);
	pfn = spte_pfn_of(w + 5 * pagesize);
	pid = fork();
	if (!pid)
		_exit(spte_pfn_of(w + 5 * pagesize) != pfn ? 0 : 1);
	waitpid(pid, &status, 0);
	w[5 * pagesize] = 0x44;
	ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status) &&
			 spte_pfn_of(w + 5 * pagesize) == pfn,
			 "pinned THP subpage: copied for the child, kept by the parent after a write\n");
	if (!ret)
		longterm_stop();
	munmap(area, 2 * PMD_SZ);
}

static void test_uring_pins(char *w)
{
	int ret, fd;

	fd = uring_pin(w, 5);
	if (fd < 0) {
		ksft_test_result_fail("io_uring register: %s\n", strerror(-fd));
		return;
	}
	ret = longterm_start(w, pagesize, false, false);
	expect_entry("io_uring: 5 fixed buffers on one page", getpid(), w, ret ? 0 : 1, 5);
	if (!ret)
		longterm_stop();
	uring_unpin(fd);
	expect_entry("io_uring unregister", getpid(), w, 0, 0);
}

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"
#define KML_CASE	"kmemleak sees a word's record"

/* Lines of kmemleak's report that name a shadow-PTE function (@print: show the report), or -1. */
static long kmemleak_spte_lines(bool print)
{
	char line[512];
	long n = 0;
	FILE *f = fopen(KMEMLEAK, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (print)
			ksft_print_msg("%s", line);
		if (strstr(line, "spte_") || strstr(line, "shadow_pte"))
			n++;
	}
	fclose(f);
	return n;
}

/*
 * Pins of a page beyond its word's inline counts live in a record that
 * only the word points to, in a chunk of words. kmemleak must see that
 * reference: 5 io_uring pins of one page (a record where
 * CONFIG_DEBUG_SHADOW_PTE limits the word to 2 pins of a kind), held
 * past kmemleak's minimum object age (5 s), then two scans.
 */
static void test_kmemleak_record(void)
{
	long before, after, ovf;
	char *w;
	int fd;

	if (access(KMEMLEAK, W_OK)) {
		ksft_test_result_skip("%s: no %s (make stress's kernel has it)\n",
				      KML_CASE, KMEMLEAK);
		return;
	}
	w = window();
	before = kmemleak_spte_lines(false);
	ovf = spte_file_number(SPTE_DIR "/word_overflows");
	fd = uring_pin(w, 5);
	if (fd < 0) {
		ksft_test_result_fail("%s: io_uring register: %s\n", KML_CASE, strerror(-fd));
		munmap(w, PMD_SZ);
		return;
	}
	if (spte_file_number(SPTE_DIR "/word_overflows") == ovf) {
		uring_unpin(fd);
		munmap(w, PMD_SZ);
		ksft_test_result_skip("%s: 5 pins fit in the word (no CONFIG_DEBUG_SHADOW_PTE)\n",
				      KML_CASE);
		return;
	}
	/* The first scan notes the record's checksum; the second may report it. */
	sleep(6);
	spte_write_file(KMEMLEAK, "scan");
	spte_write_file(KMEMLEAK, "scan");
	after = kmemleak_spte_lines(false);
	if (after != before)
		kmemleak_spte_lines(true);
	uring_unpin(fd);
	munmap(w, PMD_SZ);
	ksft_test_result(before >= 0 && after == before,
			 "%s: %ld shadow-PTE report lines before a 6 s pin, %ld after\n",
			 KML_CASE, before, after);
}

#define TRACEFS		"/sys/kernel/tracing"
#define UPROBE_EVENT	"shadow_pte_test/target"
#define UPROBE_CASES	4

/* Disarm and delete the test's event; both writes fail if there is none. */
static void uprobe_remove(void)
{
	spte_write_file(TRACEFS "/events/" UPROBE_EVENT "/enable", "0");
	spte_write_file(TRACEFS "/uprobe_events", "-:" UPROBE_EVENT);
}

/* Where the probe goes: the page of text this function is on. */
static int uprobe_target(int x)
{
	asm volatile("" : "+r" (x));
	return x + 1;
}

/* The file and offset of the text at @addr, from /proc/self/maps. */
static bool text_offset(unsigned long addr, char *path, size_t len,
			unsigned long *off)
{
	unsigned long start, end, pgoff;
	char line[512], file[256];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &start, &end,
			   &pgoff, file) != 4 || addr < start || addr >= end)
			continue;
		snprintf(path, len, "%s", file);
		*off = addr - start + pgoff;
		found = true;
	}
	fclose(f);
	return found;
}

/*
 * uprobes: arming a probe gives the process an anon copy of the text page
 * (uprobe_write_opcode()); disarming it swaps the copy out again with
 * __replace_page(). A pin taken on the copy meanwhile stays with the copy:
 * the slot, which maps the file page again, must not keep counting it.
 */
static void test_uprobe_swap(void)
{
	unsigned long addr = (unsigned long)uprobe_target, off;
	char *page = (char *)(addr & ~(pagesize - 1));
	char path[256], ev[400], text[16];
	int i, ret;

	if (access(TRACEFS "/uprobe_events", W_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACEFS "/uprobe_events", W_OK)) {
		for (i = 0; i < UPROBE_CASES; i++)
			ksft_test_result_skip("uprobe swap: no %s (CONFIG_UPROBE_EVENTS=n)\n",
					      TRACEFS "/uprobe_events");
		return;
	}
	if (!text_offset(addr, path, sizeof(path), &off)) {
		for (i = 0; i < UPROBE_CASES; i++)
			ksft_test_result_fail("uprobe swap: %#lx not in /proc/self/maps\n", addr);
		return;
	}
	memcpy(text, (void *)addr, sizeof(text));
	uprobe_remove();	/* left by an earlier run that died armed */
	snprintf(ev, sizeof(ev), "p:" UPROBE_EVENT " %s:%#lx", path, off);
	if (!spte_write_file(TRACEFS "/uprobe_events", ev) ||
	    !spte_write_file(TRACEFS "/events/" UPROBE_EVENT "/enable", "1")) {
		for (i = 0; i < UPROBE_CASES; i++)
			ksft_test_result_fail("uprobe swap: arming '%s': %s\n", ev,
					      strerror(errno));
		uprobe_remove();
		return;
	}
	ret = longterm_start(page, pagesize, false, false);
	if (ret) {
		for (i = 0; i < UPROBE_CASES; i++)
			ksft_test_result_fail("uprobe swap: PIN_LONGTERM_TEST_START r/o: %s\n",
					      strerror(-ret));
	} else {
		expect_entry("uprobe swap: R/O pin of the probed text page's anon copy",
			     getpid(), page, 1, 0);
	}
	/* Disarm: __replace_page() puts the file page back in the slot. */
	spte_write_file(TRACEFS "/events/" UPROBE_EVENT "/enable", "0");
	if (ret)
		goto out;
	expect_entry("uprobe swap: the slot lets the swapped-out copy's pin go",
		     getpid(), page, 0, 0);
	ksft_test_result(!memcmp(text, (void *)addr, sizeof(text)),
			 "uprobe swap: the text reads as before the probe (the file page)\n");
	longterm_stop();
	expect_entry("uprobe swap: unpin of the copy leaves the slot at 0",
		     getpid(), page, 0, 0);
out:
	uprobe_remove();
}

/*
 * munmap while io_uring holds 3 pins of one page. Of one page only: zap
 * detaches the page's word from its slot. Of the whole PTE table: the
 * final unmap leaves the pins on the shadow table, which the PTE table's
 * release orphans; the unpin takes them off there and frees it.
 */
static void test_munmap_pinned(bool whole)
{
	const char *what = whole ? "munmap of the whole table" : "munmap of the pinned page";
	long tables = spte_stable_tables();
	long det = spte_vmstat("shadow_pte_pin_detach");
	long orph = spte_vmstat("shadow_pte_table_orphan");
	long unp = spte_vmstat("shadow_pte_unpin");
	char *w = window();
	int fd = uring_pin(w + 7 * pagesize, 3);

	if (fd < 0) {
		ksft_test_result_fail("io_uring register: %s\n", strerror(-fd));
		munmap(w, PMD_SZ);
		return;
	}
	expect_entry("munmap: pinned before", getpid(), w + 7 * pagesize, 0, 3);
	munmap(whole ? w : w + 7 * pagesize, whole ? PMD_SZ : pagesize);
	ksft_test_result(spte_vmstat("shadow_pte_pin_detach") == det + !whole &&
			 spte_vmstat("shadow_pte_table_orphan") == orph + whole,
			 "%s: %s (%ld detached, %ld orphaned)\n", what,
			 whole ? "the shadow table keeps the pins" : "the word is detached",
			 spte_vmstat("shadow_pte_pin_detach") - det,
			 spte_vmstat("shadow_pte_table_orphan") - orph);
	uring_unpin(fd);
	ksft_test_result(spte_vmstat("shadow_pte_unpin") == unp + 3,
			 "%s: unpin releases the 3 pins (%ld)\n", what,
			 spte_vmstat("shadow_pte_unpin") - unp);
	if (!whole)
		munmap(w, PMD_SZ);
	ksft_test_result(spte_settle_tables(tables) <= tables,
			 "%s: shadow table freed (%ld -> %ld)\n", what,
			 tables, spte_vmstat("nr_shadow_pte_tables"));
}

static void test_mremap_pinned(bool whole)
{
	char *w = window(), *dst, *n;
	unsigned long len = whole ? PMD_SZ : 4UL * pagesize;
	const char *what = whole ? "mremap of a PMD-aligned table" : "mremap of 4 pages";
	unsigned long long pfn;
	int fd, status = 0;
	char name[96];
	pid_t pid;

	/* A 2 MiB-aligned destination in a window of its own. */
	dst = window();
	munmap(dst, PMD_SZ);
	fd = uring_pin(w + pagesize, 2);
	if (fd < 0) {
		ksft_test_result_fail("%s: io_uring register: %s\n", what, strerror(-fd));
		munmap(w, PMD_SZ);
		return;
	}
	n = mremap(w, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst + (whole ? 0 : 8 * pagesize));
	if (n == MAP_FAILED) {
		ksft_test_result_fail("%s: %s\n", what, strerror(errno));
		uring_unpin(fd);
		munmap(w, PMD_SZ);
		return;
	}
	snprintf(name, sizeof(name), "%s: the count moved with the PTE", what);
	expect_entry(name, getpid(), n + pagesize, 0, 2);
	ksft_test_result(n[pagesize] == 0x5a, "%s: contents follow\n", what);
	/* What fork asks at the new slot: the moved pinned page is copied. */
	pfn = spte_pfn_of(n + pagesize);
	pid = fork();
	if (!pid)
		_exit(spte_pfn_of(n + pagesize) != pfn ? 0 : 1);
	waitpid(pid, &status, 0);
	ksft_test_result(pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status),
			 "%s: fork copies the moved pinned page for the child\n", what);
	uring_unpin(fd);
	snprintf(name, sizeof(name), "%s: unpin reaches the new slot", what);
	expect_entry(name, getpid(), n + pagesize, 0, 0);
	munmap(n, len);
	if (!whole)
		munmap(w + len, PMD_SZ - len);
}

/*
 * Device-exclusive entries (test_hmm's HMM_DMIRROR_EXCLUSIVE, that is
 * make_device_exclusive_range()) take a pinned page's PTE away while its
 * pins stay counted at the slot: mremap must carry them along and zap must
 * detach them, as for a present PTE. And a zero-page PTE that
 * migrate_vma moves to device memory must lose its special bit.
 */
#define DEVX_CASES	11
#define PM_PRESENT	0x8000000000000000ULL	/* pagemap bit 63 */
#define PM_SWAP		0x4000000000000000ULL	/* pagemap bit 62 */

/* A device-exclusive entry reads as a swap entry, not present. */
static bool device_exclusive(const void *addr)
{
	unsigned long long ent = spte_pagemap(addr);

	return !(ent & PM_PRESENT) && (ent & PM_SWAP);
}

/* A free 2 MiB-aligned stretch of address space. */
static char *free_window(void)
{
	char *w = window();

	munmap(w, PMD_SZ);
	return w;
}

static void test_device_exclusive_move(int dfd)
{
	char *w = window(), *n1, *n2 = MAP_FAILED;
	unsigned long len = 4UL * pagesize;
	unsigned long long pfn = spte_pfn_of(w + pagesize);
	int fd, ret, status = 0;
	pid_t pid = -1;

	fd = uring_pin(w + pagesize, 2);
	ret = fd < 0 ? fd : spte_hmm_cmd(dfd, HMM_DMIRROR_EXCLUSIVE, w, 4);
	ksft_test_result(ret >= 0 && device_exclusive(w + pagesize),
			 "device-exclusive: the pinned page's PTE is a device-exclusive entry (%d)\n",
			 ret);
	n1 = mremap(w, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, free_window() + 8 * pagesize);
	if (n1 != MAP_FAILED)
		n2 = mremap(n1, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			    free_window() + 24 * pagesize);
	if (n2 == MAP_FAILED) {
		ksft_print_msg("mremap: %s\n", strerror(errno));
		n2 = n1 == MAP_FAILED ? w : n1;
	}
	/* Two moves: the second takes the pins off the first's back reference. */
	expect_entry("device-exclusive: the count follows two mremaps", getpid(),
		     n2 + pagesize, 0, 2);
	if (device_exclusive(n2 + pagesize)) {
		pid = fork();
		if (!pid)
			_exit(spte_pfn_of(n2 + pagesize) != pfn ? 0 : 1);
		waitpid(pid, &status, 0);
	}
	ksft_test_result(pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status),
			 "device-exclusive: fork after the moves copies the pinned page for the child\n");
	ksft_test_result(n2[pagesize] == 0x5a && spte_pfn_of(n2 + pagesize) == pfn,
			 "device-exclusive: the parent keeps the pinned page and its contents\n");
	if (fd >= 0)
		uring_unpin(fd);
	expect_entry("device-exclusive: unpin reaches the moved entry", getpid(),
		     n2 + pagesize, 0, 0);
	munmap(n2, len);
	munmap(w + len, PMD_SZ - len);
}

static void test_device_exclusive_zap(int dfd)
{
	long det = spte_vmstat("shadow_pte_pin_detach");
	char *w = window();
	int fd, ret;

	fd = uring_pin(w, 2);
	ret = fd < 0 ? fd : spte_hmm_cmd(dfd, HMM_DMIRROR_EXCLUSIVE, w, 1);
	if (ret < 0 || !device_exclusive(w))
		ksft_print_msg("device-exclusive: setup failed (%d)\n", ret);
	/* Zap the entry while the pins are held; a new page takes the slot. */
	madvise(w, pagesize, MADV_DONTNEED);
	w[0] = 1;
	ksft_test_result(spte_vmstat("shadow_pte_pin_detach") == det + 1,
			 "device-exclusive: zap detaches the pinned page's word (%ld)\n",
			 spte_vmstat("shadow_pte_pin_detach") - det);
	expect_entry("device-exclusive: the page faulted in after the zap reads unpinned",
		     getpid(), w, 0, 0);
	if (fd >= 0)
		uring_unpin(fd);
	expect_entry("device-exclusive: unpin of the zapped page leaves the slot alone",
		     getpid(), w, 0, 0);
	munmap(w, PMD_SZ);
}

static void test_device_zero_page(int dfd)
{
	char *w = window();
	struct spte_entry e;
	int ret;
	char c;

	/* A read fault maps the shared zero page: a special PTE. */
	madvise(w, pagesize, MADV_DONTNEED);
	c = __atomic_load_n(w, __ATOMIC_RELAXED);
	spte_query(getpid(), w, &e);
	if (c || e.special != 1) {
		for (ret = 0; ret < 3; ret++)
			ksft_test_result_skip("device memory: %s\n",
					      "no special bit on the zero page (SHADOW_PTE_SPECIAL=n?)");
		munmap(w, PMD_SZ);
		return;
	}
	ret = spte_hmm_cmd(dfd, HMM_DMIRROR_MIGRATE_TO_DEV, w, 1);
	ksft_test_result(ret == 1 && !(spte_pagemap(w) & PM_PRESENT),
			 "device memory: the zero page migrated to the device (%d)\n", ret);
	spte_query(getpid(), w, &e);
	ksft_test_result(e.special == 0,
			 "device memory: its entry lost the special bit (special %u)\n",
			 e.special);
	/* A CPU access brings a normal page back; vm_normal_page() must see it. */
	c = __atomic_load_n(w, __ATOMIC_RELAXED);
	spte_query(getpid(), w, &e);
	ksft_test_result(c == 0 && (spte_pagemap(w) & PM_PRESENT) && e.special == 0,
			 "device memory: back in system memory as a normal page (special %u)\n",
			 e.special);
	munmap(w, PMD_SZ);
}

static void test_device_private(void)
{
	int dfd = open(SPTE_HMM_DEV, O_RDWR), i;

	if (dfd < 0) {
		for (i = 0; i < DEVX_CASES; i++)
			ksft_test_result_skip("device memory: %s: %s (needs CONFIG_TEST_HMM)\n",
					      SPTE_HMM_DEV, strerror(errno));
		return;
	}
	test_device_exclusive_move(dfd);
	test_device_exclusive_zap(dfd);
	test_device_zero_page(dfd);
	close(dfd);
}

static void test_fork_pinned(void)
{
	char *w = window();
	unsigned long long parent_pfn;
	int fd = uring_pin(w, 2), status, pfd[2];
	struct spte_entry e = { 0 };
	char c = 0;
	pid_t pid;

	if (fd < 0 || pipe(pfd)) {
		ksft_test_result_fail("fork: io_uring register: %s\n", strerror(-fd));
		munmap(w, PMD_SZ);
		return;
	}
	parent_pfn = spte_pfn_of(w);
	pid = fork();
	if (!pid) {
		/* Child: report whether it got a copy, then wait to be asked. */
		_exit(spte_pfn_of(w) != parent_pfn && read(pfd[0], &c, 1) == 1 ? 0 : 1);
	}
	if (shadow) {
		spte_query(pid, w, &e);
		ksft_test_result(e.ro == 0 && e.rw == 0,
				 "fork: the child's entry starts at zero (ro %u rw %u)\n",
				 e.ro, e.rw);
		expect_entry("fork: the parent keeps its counts", getpid(), w, 0, 2);
	}
	if (write(pfd[1], &c, 1) != 1)
		ksft_print_msg("pipe: %s\n", strerror(errno));
	waitpid(pid, &status, 0);
	ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status),
			 "fork: a pinned page is copied for the child\n");
	/* Coherence: the parent's later writes reach the pinned page. */
	w[0] = 0x11;
	ksft_test_result(spte_pfn_of(w) == parent_pfn,
			 "fork: the parent keeps the pinned page after a write\n");
	close(pfd[0]);
	close(pfd[1]);
	uring_unpin(fd);
	munmap(w, PMD_SZ);
}

/*
 * Precision: an unpinned page with more than 1024 references in a process
 * that pinned before. The page-bit scheme reads its refcount as "maybe
 * pinned" and copies it at fork; the shadow scheme knows it is not pinned.
 */
static void test_fork_precision(void)
{
	struct rlimit rl = { 2 * NR_PIPES + 64, 2 * NR_PIPES + 64 };
	char *w = window();
	int (*p)[2] = calloc(NR_PIPES, sizeof(*p));
	int i, n = 0, status, fd;
	unsigned long long pfn;
	pid_t pid;

	/* Set MMF_HAS_PINNED: pin and unpin some other page once. */
	fd = uring_pin(w + 64 * pagesize, 1);
	if (fd >= 0)
		uring_unpin(fd);
	if (!p || setrlimit(RLIMIT_NOFILE, &rl)) {
		ksft_test_result_skip("precision: %s\n",
				      p ? "setrlimit(RLIMIT_NOFILE) refused" : "no memory");
		free(p);
		munmap(w, PMD_SZ);
		return;
	}
	for (i = 0; i < NR_PIPES; i++) {
		struct iovec iov = { w, 1 };

		if (pipe(p[i]))
			break;
		n++;
		if (vmsplice(p[i][1], &iov, 1, 0) != 1)
			break;
	}
	if (i < NR_PIPES) {
		ksft_test_result_fail("precision: only %d of %d pipes took the page: %s\n",
				      i, NR_PIPES, strerror(errno));
		goto out;
	}
	pfn = spte_pfn_of(w);
	pid = fork();
	if (!pid)
		_exit(spte_pfn_of(w) == pfn ? 0 : 1);	/* 0: shared with the parent */
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status)) {
		ksft_test_result_fail("precision: the child died\n");
		goto out;
	}
	if (shadow)
		ksft_test_result(WEXITSTATUS(status) == 0,
				 "precision (shadow): a page with %d references but no pin is shared at fork\n",
				 NR_PIPES + 1);
	else
		ksft_test_result(WEXITSTATUS(status) == 1,
				 "precision (page-bit): a page with %d references is copied at fork as maybe pinned\n",
				 NR_PIPES + 1);
out:
	for (i = 0; i < n; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	free(p);
	munmap(w, PMD_SZ);
}

#define THP_SYSFS	"/sys/kernel/mm/transparent_hugepage"

/* The bracketed choice of a THP "enabled" file into @mode; false if none. */
static bool thp_mode(const char *path, char *mode, size_t len)
{
	char buf[128] = "", *a, *b;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	a = n > 0 ? strchr(buf, '[') : NULL;
	b = a ? strchr(a, ']') : NULL;
	if (!b || (size_t)(b - a) > len)
		return false;
	memcpy(mode, a + 1, b - a - 1);
	mode[b - a - 1] = '\0';
	return true;
}

/* One large folio size turned on for a test, the other off, and back. */
struct large_thp {
	const char *size, *other, *stat;
	char mode[32], omode[32];
};

/*
 * Turn the 64 KiB mTHP (@mthp) or the 2 MiB THP size on and the other off.
 * Returns 0, or -ENOENT if the sizes are not there (skip: nothing changed),
 * or -errno if they cannot be set (fail; large_thp_restore() still due).
 */
static int large_thp_only(struct large_thp *lt, bool mthp)
{
	lt->size = mthp ? THP_SYSFS "/hugepages-64kB/enabled" :
		   THP_SYSFS "/hugepages-2048kB/enabled";
	lt->other = mthp ? THP_SYSFS "/hugepages-2048kB/enabled" :
		    THP_SYSFS "/hugepages-64kB/enabled";
	lt->stat = mthp ? THP_SYSFS "/hugepages-64kB/stats/anon_fault_alloc" :
		   THP_SYSFS "/hugepages-2048kB/stats/anon_fault_alloc";
	if (!thp_mode(lt->size, lt->mode, sizeof(lt->mode)) ||
	    !thp_mode(lt->other, lt->omode, sizeof(lt->omode)))
		return -ENOENT;
	if (!spte_write_file(lt->size, "always") || !spte_write_file(lt->other, "never"))
		return errno && errno != ENOENT ? -errno : -EIO;
	return 0;
}

static void large_thp_restore(const struct large_thp *lt)
{
	spte_write_file(lt->size, lt->mode);
	spte_write_file(lt->other, lt->omode);
}

/*
 * Map 4 MiB at *@area and fault @folio bytes at its 2 MiB boundary with
 * 0x33; returns that address. *@large: how many folios of @lt's size the
 * fault allocated (1 if it made one large folio).
 */
static char *large_thp_fault(const struct large_thp *lt, size_t folio, char **area,
			     long *large)
{
	char *w;

	*area = mmap(NULL, 2 * PMD_SZ, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*area == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	w = (char *)(((uintptr_t)*area + PMD_SZ - 1) & ~(PMD_SZ - 1));
	madvise(w, PMD_SZ, MADV_HUGEPAGE);
	*large = spte_file_number(lt->stat);
	memset(w, 0x33, folio);
	*large = spte_file_number(lt->stat) - *large;
	return w;
}

/* Subpages of [@p, @p + @len) mapped by this process only (pagemap bit 56). */
static long exclusive_subpages(const char *p, size_t len)
{
	size_t n = len / pagesize, i;
	uint64_t *e = calloc(n, sizeof(*e));
	long cnt = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || !e ||
	    pread(fd, e, n * 8, (uintptr_t)p / pagesize * 8) != (ssize_t)(n * 8))
		cnt = -1;
	for (i = 0; cnt >= 0 && i < n; i++)
		if ((e[i] >> 63) & 1 && (e[i] >> 56) & 1)
			cnt++;
	if (fd >= 0)
		close(fd);
	free(e);
	return cnt;
}

/*
 * Fork of a large anonymous folio with one pinned subpage (5): a 2 MiB THP
 * (PMD-mapped until fork splits it) or a 64 KiB mTHP (PTE-mapped). Both
 * schemes must keep the pinned subpage with the parent: the parent's write
 * after fork reaches the pinned page (read back through the pin) and the
 * child keeps seeing the old data. How many subpages the child got as
 * copies is the price: the page-bit scheme decides "maybe pinned" once per
 * folio and copies all of them; the shadow scheme records pins per subpage
 * and copies exactly the pinned one.
 *
 * LARGE_NAMED: before the fork, pin subpage 7 through a one-page io_uring
 * fixed buffer and unregister it, and read 8 pages from the scratch disk
 * into subpages 7..14 with O_DIRECT (unpinned by bio completion). Both
 * unpin naming their pages, so the record of the pin on subpage 5 stays
 * exact: one subpage copied on the shadow kernel.
 *
 * LARGE_PAGELESS: before the fork, register an 8-page io_uring buffer over
 * subpages 7..14 and unregister it. io_uring coalesces it, dropping seven of
 * its pins and later the last one with unpin_user_folio(), which names no
 * page, so the shadow must forget what it recorded for the folio (the pin
 * on subpage 5 is then unrecorded) and fall back to the page-bit decision:
 * all subpages copied on both kernels, and never a lost pin.
 *
 * LARGE_COALESCED: an io_uring fixed buffer over subpages 7..14 is held
 * across the fork. io_uring coalesces it: it keeps the pin of subpage 7
 * alone and drops the others, yet reads and writes all eight pages through
 * that one pin. Its pin stands for the whole folio, so the shadow must not
 * believe that subpages 8..14 are unpinned: all subpages copied on both
 * kernels.
 */
enum large_mode { LARGE_ONE_PIN, LARGE_NAMED, LARGE_PAGELESS, LARGE_COALESCED };
static void test_fork_partial_large(bool mthp, enum large_mode lm)
{
	static const char *const how[] = {
		[LARGE_ONE_PIN] = "",
		[LARGE_NAMED] = " (after unpins that name their pages)",
		[LARGE_PAGELESS] = " (after a page-less unpin)",
		[LARGE_COALESCED] = " (and a coalesced io_uring buffer)",
	};
	char name[96];
	size_t folio = mthp ? 64 * 1024 : PMD_SZ, per = folio / pagesize;
	char *area, *w, *buf = malloc(pagesize), c = 0, seen[2];
	long large, copied = -1, want;
	int go[2], back[2], ret, status, ufd = -1;
	struct large_thp lt;
	pid_t pid;

	snprintf(name, sizeof(name), "%s%s", mthp ? "64 KiB mTHP" : "2 MiB THP", how[lm]);
	ret = buf ? large_thp_only(&lt, mthp) : -ENOENT;
	if (ret == -ENOENT) {
		ksft_test_result_skip("fork, %s with one pinned subpage: no %s\n", name,
				      buf ? lt.size : "buffer");
		free(buf);
		return;
	}
	if (ret) {
		ksft_test_result_fail("fork, %s: cannot set %s: %s\n", name, lt.size,
				      strerror(-ret));
		goto restore;
	}
	w = large_thp_fault(&lt, folio, &area, &large);
	if (large != 1) {
		ksft_test_result_skip("fork, %s, one subpage pinned: %ld folios faulted, not 1\n",
				      name, large);
		goto out;
	}
	ret = longterm_start(w + 5 * pagesize, pagesize, true, false);
	if (ret) {
		ksft_test_result_fail("fork, %s: PIN_LONGTERM_TEST_START: %s\n", name,
				      strerror(-ret));
		goto out;
	}
	if (lm == LARGE_NAMED) {
		int dfd = open(SCRATCH_DISK, O_RDONLY | O_DIRECT);

		if (dfd < 0 || pread(dfd, w + 7 * pagesize, 8 * pagesize, 0) !=
		    (ssize_t)(8 * pagesize))
			ksft_print_msg("O_DIRECT read from %s: %s (io_uring only)\n",
				       SCRATCH_DISK, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		/* The disk's bytes are not 0x33: put them back. */
		memset(w + 7 * pagesize, 0x33, 8 * pagesize);
	}
	if (lm != LARGE_ONE_PIN) {
		ufd = uring_pin_len(w + 7 * pagesize, 1, lm == LARGE_NAMED ? 1 : 8);
		if (ufd < 0) {
			ksft_test_result_fail("fork, %s: io_uring register: %s\n", name,
					      strerror(-ufd));
			longterm_stop();
			goto out;
		}
		if (lm != LARGE_COALESCED) {
			uring_unpin(ufd);
			ufd = -1;
		}
	}
	if (pipe(go) || pipe(back))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	pid = fork();
	if (!pid) {
		long n = exclusive_subpages(w, folio);

		if (write(back[1], &n, sizeof(n)) != sizeof(n) || read(go[0], &c, 1) != 1)
			_exit(1);
		seen[0] = w[5 * pagesize];
		seen[1] = w[6 * pagesize];
		_exit(write(back[1], seen, 2) == 2 ? 0 : 1);
	}
	if (read(back[0], &copied, sizeof(copied)) != sizeof(copied))
		copied = -1;
	/* After fork: the pinned subpage and an unpinned one. */
	w[5 * pagesize] = 0x55;
	w[6 * pagesize] = 0x66;
	memset(buf, 0, pagesize);
	{
		uint64_t dst = (uintptr_t)buf;

		if (ioctl(gup_fd, PIN_LONGTERM_TEST_READ, &dst))
			ksft_print_msg("PIN_LONGTERM_TEST_READ: %s\n", strerror(errno));
	}
	memset(seen, 0, sizeof(seen));
	if (write(go[1], &c, 1) != 1 || read(back[0], seen, 2) != 2)
		memset(seen, 0, sizeof(seen));
	waitpid(pid, &status, 0);
	longterm_stop();
	if (ufd >= 0)
		uring_unpin(ufd);
	ksft_print_msg("fork, %s with one pinned subpage: %ld of %zu subpages copied\n",
		       name, copied, per);
	want = shadow && (lm == LARGE_ONE_PIN || lm == LARGE_NAMED) ? 1 : (long)per;
	ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status) && buf[0] == 0x55 &&
			 seen[0] == 0x33 && seen[1] == 0x33 && copied == want,
			 "fork, %s with one pinned subpage (%s): %ld of %zu copied (want %ld); the parent's write %s the pin, the child saw %#x/%#x (want 0x33)\n",
			 name, shadow ? "shadow" : "page-bit", copied, per, want,
			 buf[0] == 0x55 ? "reached" : "did NOT reach", seen[0], seen[1]);
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);
out:
	munmap(area, 2 * PMD_SZ);
restore:
	large_thp_restore(&lt);
	free(buf);
}

#define NVME_NS		"/dev/ng0n1"	/* run-guest.sh: ms=8, separate metadata */
#define NVME_LBAS	1024		/* 512 KiB: the controller's MDTS */
#define NVME_MS		8		/* metadata bytes per block: 2 pages */

struct nvme_io {
	int fd;
	char *data, *meta;
	int ret;
	int done;
};

/* An NVMe read of NVME_LBAS blocks with their metadata, by passthrough. */
static int nvme_read(struct nvme_io *io)
{
	struct nvme_passthru_cmd64 cmd = {
		.opcode = 0x02,
		.nsid = 1,
		.addr = (uintptr_t)io->data,
		.data_len = NVME_LBAS * 512,
		.metadata = (uintptr_t)io->meta,
		.metadata_len = NVME_LBAS * NVME_MS,
		.cdw12 = NVME_LBAS - 1,
	};
	int ret = ioctl(io->fd, NVME_IOCTL_IO64_CMD, &cmd);

	return ret < 0 ? -errno : ret;
}

static void *nvme_read_thread(void *arg)
{
	struct nvme_io *io = arg;

	io->ret = nvme_read(io);
	__atomic_store_n(&io->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Fork while an NVMe passthrough read with a separate metadata buffer is in
 * flight, the metadata in the first two subpages of a 2 MiB THP. The block
 * layer pins both pages, then bvec_from_pages() merges them into one
 * segment and drops the second page's pin, though the device writes both
 * through the first one. That pin stands for the folio, as a coalesced
 * io_uring buffer's does: the shadow must not believe that the second page
 * is unpinned (before series patch 32 it dropped that pin by naming the
 * page, and fork shared it). All subpages copied on both kernels. The
 * namespace is throttled (run-guest.sh), so the read is still in flight at
 * the fork; if it is not, the case is skipped.
 */
static void test_fork_nvme_meta(void)
{
	const char *what = "fork during an NVMe read with separate metadata into a THP";
	size_t per = PMD_SZ / pagesize, dlen = NVME_LBAS * 512;
	struct nvme_io io = { .fd = open(NVME_NS, O_RDWR) };
	char *area = MAP_FAILED, *stack, c = 0;
	long large, acq, rel, copied = -1, i;
	pthread_attr_t attr;
	int go[2] = { -1, -1 }, back[2] = { -1, -1 }, status = 0, ret;
	struct large_thp lt;
	bool inflight;
	pthread_t th;
	pid_t pid;

	if (io.fd < 0) {
		ksft_test_result_skip("%s: %s: %s (run-guest.sh attaches it)\n",
				      what, NVME_NS, strerror(errno));
		return;
	}
	ret = large_thp_only(&lt, false);
	if (ret == -ENOENT) {
		ksft_test_result_skip("%s: no %s\n", what, lt.size);
		close(io.fd);
		return;
	}
	if (ret) {
		ksft_test_result_fail("%s: cannot set %s: %s\n", what, lt.size, strerror(-ret));
		goto restore;
	}
	/* Windows of their own, so that munmap frees their tables. */
	io.data = window();
	io.meta = large_thp_fault(&lt, PMD_SZ, &area, &large);
	if (large != 1) {
		ksft_test_result_skip("%s: %ld THPs faulted, not 1\n", what, large);
		goto out;
	}
	/* The first read passes the throttle at once and fills its bucket. */
	i = nvme_read(&io);
	if (i) {
		ksft_test_result_fail("%s: NVME_IOCTL_IO64_CMD: %s\n", what,
				      i < 0 ? strerror((int)-i) : "NVMe status");
		goto out;
	}
	acq = spte_vmstat("nr_foll_pin_acquired");
	rel = spte_vmstat("nr_foll_pin_released");
	/* A stack of its own, unmapped after: glibc would keep its tables. */
	stack = window();
	if (pipe(go) || pipe(back) || pthread_attr_init(&attr) ||
	    pthread_attr_setstack(&attr, stack, PMD_SZ) ||
	    pthread_create(&th, &attr, nvme_read_thread, &io))
		ksft_exit_fail_msg("stack/pipe/pthread_create: %s\n", strerror(errno));
	/* Data and metadata pinned, and the metadata run merged (one unpin). */
	for (i = 0; i < 2000; i++) {
		if (spte_vmstat("nr_foll_pin_acquired") >= acq + (long)(dlen / pagesize) + 2 &&
		    spte_vmstat("nr_foll_pin_released") > rel)
			break;
		usleep(1000);
	}
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!pid) {
		long n = exclusive_subpages(io.meta, PMD_SZ);

		_exit(write(back[1], &n, sizeof(n)) == sizeof(n) &&
		      read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	inflight = !__atomic_load_n(&io.done, __ATOMIC_ACQUIRE);
	if (read(back[0], &copied, sizeof(copied)) != sizeof(copied))
		copied = -1;
	if (write(go[1], &c, 1) != 1)
		ksft_print_msg("pipe: %s\n", strerror(errno));
	waitpid(pid, &status, 0);
	pthread_join(th, NULL);
	pthread_attr_destroy(&attr);
	munmap(stack, PMD_SZ);
	if (!inflight) {
		ksft_test_result_skip("%s: the read completed before the fork (throttle)\n", what);
		goto out;
	}
	ksft_test_result(!io.ret && WIFEXITED(status) && !WEXITSTATUS(status) &&
			 copied == (long)per,
			 "%s (%s): read %d, %ld of %zu subpages copied (want all)\n",
			 what, shadow ? "shadow" : "page-bit", io.ret, copied, per);
out:
	for (i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (back[i] >= 0)
			close(back[i]);
	}
	if (area != MAP_FAILED)
		munmap(area, 2 * PMD_SZ);
	if (io.data)
		munmap(io.data, PMD_SZ);
restore:
	large_thp_restore(&lt);
	close(io.fd);
}

int main(void)
{
	long tables = 0;
	char *w;

	pagesize = sysconf(_SC_PAGESIZE);
	ksft_print_header();
	gup_fd = open(GUP_TEST, O_RDWR);
	if (gup_fd < 0)
		ksft_exit_skip("%s: %s (needs CONFIG_GUP_TEST and debugfs)\n", GUP_TEST,
			       strerror(errno));
	shadow = !access(SPTE_DIR, F_OK);
	ksft_print_msg("scheme: %s\n", shadow ? "shadow PTEs" : "page bits (no " SPTE_DIR ")");
	ksft_set_plan(shadow ? 50 + UPROBE_CASES + LEGACY_DIO_CASES + DEVX_CASES : 12);

	if (shadow) {
		tables = spte_stable_tables();
		w = window();
		test_gup_test_pins(w);
		test_uring_pins(w);
		munmap(w, PMD_SZ);
		test_munmap_pinned(false);
		test_munmap_pinned(true);
		test_mremap_pinned(false);
		test_mremap_pinned(true);
		test_device_private();
		test_gup_fast_first_pin();
		test_odirect();
		test_legacy_dio();
		test_thp_split_pinned();
		test_uprobe_swap();
		test_kmemleak_record();
	}
	test_fork_pinned();
	test_fork_precision();
	test_fork_partial_large(false, LARGE_ONE_PIN);
	test_fork_partial_large(true, LARGE_ONE_PIN);
	test_fork_partial_large(false, LARGE_NAMED);
	test_fork_partial_large(true, LARGE_NAMED);
	test_fork_partial_large(false, LARGE_PAGELESS);
	test_fork_partial_large(true, LARGE_PAGELESS);
	test_fork_partial_large(false, LARGE_COALESCED);
	test_fork_partial_large(true, LARGE_COALESCED);
	test_fork_nvme_meta();
	if (shadow) {
		long now = spte_settle_tables(tables);

		ksft_test_result(now <= tables,
				 "all shadow tables gone again (%ld at start, %ld now)\n",
				 tables, now);
	}
	ksft_finished();
}
