/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shadow-PTE selftests: /proc/vmstat counters, the
 * debugfs entry query and /proc/self/pagemap PFNs.
 */
#ifndef SHADOW_PTE_UTIL_H
#define SHADOW_PTE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "../kselftest.h"
#include "../../../../lib/test_hmm_uapi.h"

#define SPTE_DIR	"/sys/kernel/debug/shadow_pte"
#define SPTE_HMM_DEV	"/dev/hmm_dmirror0"	/* lib/test_hmm.c */

struct spte_entry {
	bool present;	/* the PTE table has a shadow table */
	unsigned int ro, rw, special;
};

/*
 * Write @s to the sysfs, debugfs or tracefs file @path (no O_TRUNC: that
 * would clear tracefs' uprobe_events); false if it did not take all of it.
 */
static inline bool spte_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok;
}

/* A /proc/vmstat counter, after folding the per-CPU deltas; -1 if absent. */
static inline long spte_vmstat(const char *name)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	char key[64];
	long val;
	FILE *f;

	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			ksft_print_msg("stat_refresh: %s\n", strerror(errno));
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

/*
 * nr_shadow_pte_tables moves under a test: per-CPU vmstat deltas (folded by
 * spte_vmstat()) and tables of earlier cases still waiting for their RCU
 * grace period. A baseline is taken once the count has stopped moving; a
 * check after a free waits (up to 5 s) for the count to come down to the
 * baseline, and asserts "no more than before", which a leaked table fails.
 */
static inline long spte_stable_tables(void)
{
	long prev = -2, now = -1;
	int i;

	for (i = 0; i < 50; i++) {
		now = spte_vmstat("nr_shadow_pte_tables");
		if (now == prev)
			break;
		prev = now;
		usleep(100000);
	}
	return now;
}

static inline long spte_settle_tables(long want)
{
	long now = spte_vmstat("nr_shadow_pte_tables");
	int i;

	for (i = 0; i < 500 && now > want; i++) {
		usleep(10000);
		now = spte_vmstat("nr_shadow_pte_tables");
	}
	return now;
}

/* The number a one-value file (sysfs) starts with; -1 if unreadable. */
static inline long spte_file_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The shadow entry of @addr in process @pid; false if the query failed. */
static inline bool spte_query(pid_t pid, const void *addr, struct spte_entry *e)
{
	char req[64], out[512], *p;
	ssize_t n;
	int fd;

	memset(e, 0, sizeof(*e));
	fd = open(SPTE_DIR "/entry", O_RDWR);
	if (fd < 0)
		return false;
	snprintf(req, sizeof(req), "%d %p", pid, addr);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return false;
	}
	n = read(fd, out, sizeof(out) - 1);
	close(fd);
	if (n < 0)
		return false;
	out[n] = '\0';
	p = strstr(out, " ro ");
	if (p) {
		e->present = true;
		if (sscanf(p, " ro %u rw %u special %u", &e->ro, &e->rw,
			   &e->special) != 3)
			return false;
	}
	return true;
}

/* The /proc/self/pagemap entry of @addr (0 if unreadable). */
static inline unsigned long long spte_pagemap(const void *addr)
{
	long pagesize = sysconf(_SC_PAGESIZE);
	unsigned long long ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent),
		  (uintptr_t)addr / pagesize * sizeof(ent)) != sizeof(ent))
		ent = 0;
	close(fd);
	return ent;
}

/* The PFN /proc/self/pagemap gives for @addr (0 if none or unreadable). */
static inline unsigned long long spte_pfn_of(const void *addr)
{
	return spte_pagemap(addr) & ((1ULL << 55) - 1);
}

/*
 * A test_hmm (lib/test_hmm.c) request on the open /dev/hmm_dmirror* @fd
 * for @npages pages from @addr, with a bounce buffer for what the device
 * reads back: the number of pages it handled, or -errno.
 */
static inline int spte_hmm_cmd(int fd, unsigned long req, void *addr,
			       unsigned long npages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr,
		.npages = npages,
	};
	void *buf = malloc(npages * sysconf(_SC_PAGESIZE));
	int ret;

	if (!buf)
		return -ENOMEM;
	cmd.ptr = (uintptr_t)buf;
	ret = ioctl(fd, req, &cmd) ? -errno : (int)cmd.cpages;
	free(buf);
	return ret;
}

#endif /* SHADOW_PTE_UTIL_H */
