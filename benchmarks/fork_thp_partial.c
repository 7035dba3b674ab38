// SPDX-License-Identifier: GPL-2.0
/*
 * fork_thp_partial: fork() of a process whose large anonymous folios are
 * only partly pinned. SIZE_MIB of memory, 2 MiB aligned, is faulted in as
 * large folios of one size, then the first k 4 KiB subpages of every folio
 * are pinned (io_uring fixed buffers of one page each, so every pinned
 * subpage holds its own pin):
 *   thp1 thp8 thpall      2 MiB THPs (PMD-mapped), k = 1, 8, 512
 *   mthp1 mthp8 mthpall   64 KiB mTHPs (PTE-mapped), k = 1, 8, 16
 *   thp8co mthp8co        k = 8 as one 8-page buffer per folio: io_uring
 *                         coalesces it into one pin that it uses for all
 *                         eight pages, a pin that stands for the folio
 * The page-bit scheme decides "maybe pinned" once per folio, so fork copies
 * every subpage of a pinned folio (a THP's PMD is split first); per-subpage
 * pin records copy exactly the pinned subpages and share the rest.
 *
 * The THP sizes are set through /sys/kernel/mm/transparent_hugepage/
 * hugepages-<size>kB/enabled for the run (the one size "always", every
 * other size "never") and restored at exit; whether the folios really were
 * large is checked from that size's stats/anon_fault_alloc and reported
 * (large_folios of folios).
 *
 * Reports the fork() time seen by the parent (ns_fork_task: its own CPU
 * time, which the child cannot add to; ns_fork: wall clock) and, from the
 * child's /proc/self/pagemap before it touches anything, how many pages it
 * got as its own copy. unneeded_bytes: copied beyond the pinned pages.
 *
 * usage: fork_thp_partial [SIZE_MIB [MODE|all]]   (default 64)
 * output: RESULT fork_thp_partial_<mode> size_mib=N folios=N large_folios=N
 *         pinned=N child_copied=N unneeded_bytes=N ns_fork=X ns_fork_task=X
 */
#include <dirent.h>
#include "bench.h"

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define MAX_SIZES 16

static const char *const modes[] = { "thp1", "thp8", "thpall", "thp8co", "mthp1", "mthp8",
				     "mthpall", "mthp8co", NULL };

/* io_uring takes at most this many fixed buffers per ring. */
#define MAX_BUFS	16384

/* Every hugepages-<size>kB/enabled and its setting before this program. */
static struct {
	char name[32];
	char mode[16];
} sizes[MAX_SIZES];
static int nr_sizes;

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	return ok ? 0 : -1;
}

static void write_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(val, f) < 0 || fclose(f))
		die("write '%s' to %s: %s", val, path, strerror(errno));
}

static void size_path(char *buf, size_t len, const char *name, const char *file)
{
	if (snprintf(buf, len, THP_DIR "/%s/%s", name, file) >= (int)len)
		die("path too long: %s/%s", name, file);
}

static void restore_sizes(void)
{
	char path[256];
	int i;

	for (i = 0; i < nr_sizes; i++) {
		size_path(path, sizeof(path), sizes[i].name, "enabled");
		write_str(path, sizes[i].mode);
	}
}

/* Remember every size's setting ("always [inherit] madvise never"). */
static void save_sizes(void)
{
	struct dirent *de;
	char path[256], line[128], *a, *b;
	DIR *d = opendir(THP_DIR);

	if (!d)
		die("%s: %s (needs CONFIG_TRANSPARENT_HUGEPAGE)", THP_DIR, strerror(errno));
	while ((de = readdir(d)) && nr_sizes < MAX_SIZES) {
		if (strncmp(de->d_name, "hugepages-", 10) ||
		    strlen(de->d_name) >= sizeof(sizes[0].name))
			continue;
		size_path(path, sizeof(path), de->d_name, "enabled");
		if (read_line(path, line, sizeof(line)))
			continue;
		a = strchr(line, '[');
		b = a ? strchr(a, ']') : NULL;
		if (!b || b - a - 1 >= (long)sizeof(sizes[0].mode))
			continue;
		*b = '\0';
		strcpy(sizes[nr_sizes].name, de->d_name);
		strcpy(sizes[nr_sizes].mode, a + 1);
		nr_sizes++;
	}
	closedir(d);
	if (!nr_sizes)
		die("%s has no hugepages-<size>kB/enabled", THP_DIR);
	atexit(restore_sizes);
}

/* Only hugepages-<kb>kB faults in large folios; returns its fault counter. */
static long long only_size(unsigned long kb)
{
	char want[32], path[256];
	long long v;
	int i, found = 0;

	snprintf(want, sizeof(want), "hugepages-%lukB", kb);
	for (i = 0; i < nr_sizes; i++) {
		size_path(path, sizeof(path), sizes[i].name, "enabled");
		found |= !strcmp(sizes[i].name, want);
		write_str(path, strcmp(sizes[i].name, want) ? "never" : "always");
	}
	if (!found)
		die("no %s/%s: this kernel has no %lu KiB THP size", THP_DIR, want, kb);
	size_path(path, sizeof(path), want, "stats/anon_fault_alloc");
	v = file_number(path);
	if (v < 0)
		die("%s: unreadable", path);
	return v;
}

static void run(size_t len, const char *mname)
{
	int mthp = mname[0] == 'm';
	size_t ps = page_size(), folio = mthp ? 64 * 1024 : PMD_SZ;
	size_t per = folio / ps, k, nfolios = len / folio, i, map = len + PMD_SZ;
	const char *kname = mname + (mthp ? 4 : 3);
	int co = strstr(kname, "co") != NULL;
	char path[256], *raw, *p;
	long long faults0, large, copied = -1;
	size_t nbuf, nrings, r, j;
	double wall, task;
	struct iovec *iov;
	int *rings;

	k = !strcmp(kname, "all") ? per : strtoul(kname, NULL, 10);
	if (!nfolios)
		die("SIZE_MIB %zu holds no %zu KiB folio", len / MIB, folio / 1024);
	faults0 = only_size(folio / 1024);
	raw = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap %zu MiB: %s", map / MIB, strerror(errno));
	p = (char *)(((unsigned long)raw + PMD_SZ - 1) & ~(PMD_SZ - 1));
	if (madvise(p, len, MADV_HUGEPAGE))
		die("MADV_HUGEPAGE: %s", strerror(errno));
	touch_write(p, len);
	size_path(path, sizeof(path), mthp ? "hugepages-64kB" : "hugepages-2048kB",
		  "stats/anon_fault_alloc");
	large = file_number(path) - faults0;

	nbuf = co ? nfolios : nfolios * k;
	nrings = (nbuf + MAX_BUFS - 1) / MAX_BUFS;
	iov = calloc(nbuf, sizeof(*iov));
	rings = calloc(nrings, sizeof(*rings));
	if (!iov || !rings)
		die("calloc");
	for (i = 0, r = 0; i < nfolios; i++) {
		for (j = 0; j < (co ? 1 : k); j++, r++) {
			iov[r].iov_base = p + i * folio + j * ps;
			iov[r].iov_len = co ? k * ps : ps;
		}
	}
	for (r = 0; r < nrings; r++)
		rings[r] = bench_pin_iov(iov + r * MAX_BUFS,
					 r + 1 < nrings ? MAX_BUFS : nbuf - r * MAX_BUFS);
	free(iov);

	copied = bench_timed_fork(p, len, &wall, &task);
	printf("RESULT fork_thp_partial_%s size_mib=%zu folios=%zu large_folios=%lld pinned=%zu child_copied=%lld unneeded_bytes=%lld ns_fork=%.0f ns_fork_task=%.0f\n",
	       mname, len / MIB, nfolios, large, k * nfolios, copied,
	       (copied - (long long)(k * nfolios)) * (long long)ps, wall, task);
	fflush(stdout);
	for (r = 0; r < nrings; r++)
		bench_unpin(rings[r]);
	free(rings);
	munmap(raw, map);
	restore_sizes();
}

int main(int argc, char **argv)
{
	const char *mode;
	size_t len = bench_args(argc, argv, 64, modes, &mode);
	int i;

	len &= ~(PMD_SZ - 1);
	save_sizes();
	for (i = 0; modes[i]; i++)
		if (bench_want(mode, modes[i]))
			run(len, modes[i]);
	return 0;
}
