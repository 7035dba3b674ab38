// SPDX-License-Identifier: GPL-2.0
/*
 * mem_shadow: memory cost of the shadow arrays next to the page tables and
 * the resident set they describe, for SIZE_MIB (default 256) of private
 * anonymous memory (THP off) in four scenarios:
 *   none    written, no pins
 *   sparse  written, one pinned page per 2 MiB (one pin per PTE table)
 *   dense   written, every page pinned
 *   zero    only read: every PTE maps the shared zero page
 * Pins are io_uring fixed buffers. Everything is read from kernel counters
 * (after "echo 1 > /proc/sys/vm/stat_refresh" folds the per-CPU deltas),
 * before and after the mapping is set up; nothing is computed from the
 * design. Shadow tables are freed after an RCU grace period, so the "before"
 * reading waits until nr_shadow_pte_tables has stopped moving (the tables
 * of an earlier run going away would otherwise cancel this run's).
 *   shadow_tables        /proc/vmstat nr_shadow_pte_tables delta
 *   shadow_table_bytes   shadow_tables x /sys/kernel/slab/shadow_pte_table/object_size
 *   shadow_slab_bytes    shadow_tables x .../slab_size (object plus slab padding)
 *   pin_records          pin records in use: the delta of debugfs
 *                        shadow_pte/record_objects where the kernel has it
 *                        (pin words: a record only for a page pinned more
 *                        often than its word counts); on older series,
 *                        counted pins (vmstat shadow_pte_pin +
 *                        shadow_pte_gup_fast_pin) minus shadow_pte_unpin:
 *                        every scenario pins each page once, so that
 *                        equals their records
 *   pin_record_bytes     pin_records x /sys/kernel/slab/shadow_pte_record/object_size
 *                        (shadow_pte_pin on older series; pin_cache_merged=1:
 *                        SLUB merged that cache with another one, so
 *                        /proc/slabinfo cannot show it apart)
 *   record_hash_bytes    size of the pin record hash (debugfs
 *                        shadow_pte/record_hash_bytes), a boot total: sized
 *                        to RAM, allocated at the first recorded pin of a
 *                        large folio (at the first counted pin before
 *                        series patch 29); 0 where absent
 *   pin_word_bytes       size of the pin words (debugfs shadow_pte/pin_word_bytes),
 *                        a boot total: their directory and the pages of
 *                        words that pins have allocated so far (one word
 *                        per page frame, allocated at the first counted
 *                        pin, before series patch 28); 0 where absent
 *   shadow_bytes         shadow_table_bytes + pin_record_bytes
 *   pagetable_bytes      /proc/meminfo PageTables delta
 *   vmpte_bytes          /proc/self/status VmPTE delta (this process's page tables)
 *   sunreclaim_bytes     /proc/meminfo SUnreclaim delta (all unreclaimable slab)
 *   rss_bytes            /proc/self/status VmRSS delta
 * The baseline kernel has no shadow counters or caches: those read 0.
 *
 * Not modelled on an existing benchmark: the memory half of the overhead
 * report, in the spirit of the page-table overhead figures quoted in the
 * LKML discussions of per-page metadata.
 *
 * usage: mem_shadow [SIZE_MIB [none|sparse|dense|zero|all]]
 * output: RESULT mem_<mode> size_mib=N pinned=N shadow_tables=N ... (above)
 */
#include <sys/stat.h>
#include "bench.h"

static const char *const modes[] = { "none", "sparse", "dense", "zero", NULL };

struct snap {
	long long tables, pin, unpin, recs, pt, vmpte, sunr, rss;
};

/* A number from a debugfs file of the shadow-PTE kernel, or -1. */
static long long debugfs_num(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/kernel/debug/shadow_pte/%s", name);
	return file_number(path);
}

static void refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			fprintf(stderr, "%s: stat_refresh: %s\n", bench_prog, strerror(errno));
		close(fd);
	}
}

/*
 * Live pin records since @a, or 0 on a kernel without shadow-PTE counters.
 * The event counters are raw totals (unpins can outnumber pins since boot),
 * so only their deltas mean something.
 */
static long long pin_records(const struct snap *a, const struct snap *b)
{
	if (a->recs >= 0 && b->recs >= 0)
		return b->recs - a->recs;
	if (a->pin < 0 || a->unpin < 0 || b->pin < 0 || b->unpin < 0)
		return 0;
	return (b->pin - a->pin) - (b->unpin - a->unpin);
}

/* Wait (up to ~3 s) until nr_shadow_pte_tables is unchanged for 100 ms. */
static void settle(void)
{
	long long last, v;
	int i, same = 0;

	refresh();
	last = vmstat("nr_shadow_pte_tables");
	if (last < 0)
		return;
	for (i = 0; i < 150 && same < 5; i++) {
		usleep(20000);
		refresh();
		v = vmstat("nr_shadow_pte_tables");
		same = v == last ? same + 1 : 0;
		last = v;
	}
}

static void take(struct snap *s)
{
	long long kb = proc_field("/proc/self/status", "VmPTE");

	refresh();
	s->tables = vmstat("nr_shadow_pte_tables");
	s->pin = vmstat("shadow_pte_pin");
	/* pins GUP-fast counted itself (0013); absent before it */
	if (s->pin >= 0 && vmstat("shadow_pte_gup_fast_pin") > 0)
		s->pin += vmstat("shadow_pte_gup_fast_pin");
	s->unpin = vmstat("shadow_pte_unpin");
	s->recs = debugfs_num("record_objects");
	s->pt = meminfo_bytes("PageTables");
	s->vmpte = kb < 0 ? -1 : kb * 1024;
	s->sunr = meminfo_bytes("SUnreclaim");
	s->rss = rss_bytes();
}

static long long nonneg(long long v)
{
	return v < 0 ? 0 : v;
}

static void run(size_t len, const char *mname)
{
	enum pin_mode m = pin_mode_of(mname);
	long long tsz = nonneg(slab_attr("shadow_pte_table", "object_size"));
	long long tslab = nonneg(slab_attr("shadow_pte_table", "slab_size"));
	const char *pcache = slab_attr("shadow_pte_record", "object_size") > 0 ?
			     "shadow_pte_record" : "shadow_pte_pin";
	long long psz = nonneg(slab_attr(pcache, "object_size"));
	long long hash, words, tables, pins;
	struct snap a, b;
	struct stat st;
	char path[64];
	int merged;
	char *p;
	int ring;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s", pcache);
	merged = !lstat(path, &st) && S_ISLNK(st.st_mode);
	settle();
	take(&a);
	p = bench_map_anon(len);
	if (!strcmp(mname, "zero")) {
		if (touch_read(p, len))
			die("the zero page is not zero");
	} else {
		touch_write(p, len);
	}
	ring = bench_pin(p, len, m);
	take(&b);
	hash = debugfs_num("record_hash_bytes");
	words = debugfs_num("pin_word_bytes");
	tables = delta(b.tables, a.tables);
	pins = pin_records(&a, &b);
	printf("RESULT mem_%s size_mib=%zu pinned=%zu shadow_tables=%lld shadow_table_bytes=%lld "
	       "shadow_slab_bytes=%lld pin_records=%lld pin_record_bytes=%lld shadow_bytes=%lld "
	       "pagetable_bytes=%lld vmpte_bytes=%lld sunreclaim_bytes=%lld rss_bytes=%lld "
	       "record_hash_bytes=%lld pin_word_bytes=%lld pin_cache_merged=%d\n",
	       mname, len / MIB, pin_pages(m, len), tables, tables * tsz, tables * tslab, pins,
	       pins * psz, tables * tsz + pins * psz, delta(b.pt, a.pt), delta(b.vmpte, a.vmpte),
	       delta(b.sunr, a.sunr), delta(b.rss, a.rss), nonneg(hash), nonneg(words),
	       merged);
	fflush(stdout);
	bench_unpin(ring);
	munmap(p, len);
}

int main(int argc, char **argv)
{
	const char *mode;
	size_t len = bench_args(argc, argv, 256, modes, &mode);
	int i;

	for (i = 0; modes[i]; i++)
		if (bench_want(mode, modes[i]))
			run(len, modes[i]);
	return 0;
}
