// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow PTEs: entry operations, shadow-table lifetime, pin records and
 * introspection. The design: Documentation/mm/shadow_pte.rst.
 */
#define pr_fmt(fmt) "shadow_pte: " fmt

#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/fault-inject.h>
#include <linux/hash.h>
#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kmemleak.h>
#include <linux/lockdep.h>
#include <linux/memblock.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/shadow_pte.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>
/* After the headers it needs but does not include (cpu_relax()). */
#include <linux/bit_spinlock.h>

#include "shadow_pte_internal.h"

static struct kmem_cache *shadow_pte_cache __ro_after_init;
/* Live shadow tables, per CPU: nothing global is written on a fault. */
static DEFINE_PER_CPU(long, spte_nr_tables);
static atomic_long_t shadow_pte_alloc_fails = ATOMIC_LONG_INIT(0);
/* Fault injection: the next this many allocations fail. */
static atomic_t shadow_pte_fail_next = ATOMIC_INIT(0);
/* The same for pin records (KUnit: a pin word that cannot grow). */
static atomic_t spte_fail_next_recs = ATOMIC_INIT(0);
/*
 * Fault injection through the kernel's framework: debugfs
 * shadow_pte/fail_table and shadow_pte/fail_record (probability, interval,
 * times, ...; see Documentation/fault-injection/fault-injection.rst).
 */
static DECLARE_FAULT_ATTR(spte_fail_table);
static DECLARE_FAULT_ATTR(spte_fail_record);

static bool spte_should_fail(struct fault_attr *attr)
{
	return should_fail(attr, 1);
}

static_assert((SHADOW_PTE_RO_MASK & SHADOW_PTE_RW_MASK) == 0);
static_assert(((SHADOW_PTE_RO_MASK | SHADOW_PTE_RW_MASK) &
	       (SHADOW_PTE_SPECIAL | SHADOW_PTE_BACK)) == 0);
static_assert(sizeof(atomic_t) == sizeof(u32));
static_assert(offsetof(struct shadow_pte_table, rcu) == PTRS_PER_PTE * sizeof(u32));
/* The pointer lives in word 4 (page->index), never in words 1-2. */
static_assert(offsetof(struct ptdesc, pt_shadow) == offsetof(struct page, index));
static_assert(offsetof(struct ptdesc, pt_shadow) != offsetof(struct ptdesc, _pt_pad_1));
static_assert(offsetof(struct ptdesc, pt_shadow) != offsetof(struct ptdesc, pt_rcu_head));
static_assert(offsetof(struct ptdesc, pt_shadow) != offsetof(struct ptdesc, pmd_huge_pte));
static_assert(sizeof_field(struct ptdesc, pt_shadow) == sizeof_field(struct page, index));

/*
 * Pin records: the state of a counted folio's pins ("Which pins are
 * counted" in Documentation/mm/shadow_pte.rst), 32 bytes. An order-0
 * folio's is its pin word (below), which points to a record only when its
 * counts outgrow the word; a large folio's is in a hash keyed by the
 * folio. The counts are exact; an attached record contributes all of them
 * to its entry (a saturated entry ignores deltas, see spte_count_apply()),
 * a detached one nothing.
 */
#define SPTE_IDX_BITS		10
/* A shadow table's alignment: pin words name it in units of it. */
#define SPTE_TABLE_ALIGN	64
#define SPTE_RO_MAX		((1U << (32 - SPTE_IDX_BITS)) - 1)
/* The back references fit in what the cache's alignment leaves. */
static_assert(ALIGN(sizeof(struct shadow_pte_table), SPTE_TABLE_ALIGN) ==
	      ALIGN(offsetof(struct shadow_pte_table, back), SPTE_TABLE_ALIGN));
static_assert(PTRS_PER_PTE <= U16_MAX);

struct shadow_pte_record {
	struct shadow_pte_record *next;	/* bucket chain */
	struct folio *folio;		/* | SPTE_KEY_LARGE: a large folio's */
	union {
		struct {			/* an order-0 folio's record */
			struct shadow_pte_table *t; /* its table; NULL once detached */
			unsigned int idx : SPTE_IDX_BITS;	/* the PTE's index in it */
			unsigned int ro : 32 - SPTE_IDX_BITS;	/* outstanding R/O pins */
			unsigned int rw;			/* outstanding R/W pins */
		};
		/* a free record that heads a chain of the depot */
		struct shadow_pte_record *chain;
		struct {			/* a large folio's record */
			u32 *sub;		/* recorded pins, per subpage */
			unsigned int sum;	/* their sum */
			unsigned int nr;	/* subpages */
		};
	};
};

/*
 * A large folio's record has the folio's address with this bit set as its
 * key (folios are at least word aligned), in the folio's bucket: no lookup
 * of an order-0 folio can find it, and order-0 code never sees one.
 */
#define SPTE_KEY_LARGE		2UL

static_assert(sizeof(struct shadow_pte_record) == 4 * sizeof(void *));
static_assert(PTRS_PER_PTE <= 1U << SPTE_IDX_BITS);
/* A small folio holds fewer pins than this (refcount / GUP_PIN_COUNTING_BIAS). */
static_assert(INT_MAX / GUP_PIN_COUNTING_BIAS <= SPTE_RO_MAX);

/*
 * The record hash: one word per bucket, the chain's first record with bit
 * 0 as the bucket's lock (a bit spinlock, taken with IRQs off, as unpin
 * runs in any context; it nests inside the PTL, never around it). It
 * holds only large folios' records, each for at least 4 pages (16 KiB
 * mTHP). Sized to RAM, SPTE_PAGES_PER_BUCKET pages per bucket, when the
 * first pin is counted, so chains stay short (4 records with all of RAM
 * pinned in the smallest large folios) and a system that never pins pays
 * nothing. Never freed.
 */
#define SPTE_PAGES_PER_BUCKET	16
#define SPTE_MIN_BUCKETS	BIT(10)
#define SPTE_MAX_BUCKETS	BIT(26)
#define SPTE_LOCKED		1UL

struct shadow_pte_bucket {
	unsigned long first;
};

/*
 * The hash of large folios' records: NULL until the first pin of a large
 * anonymous folio is recorded (spte_hash_alloc()); read-mostly, written
 * once. Order-0 pins never use it: a word that outgrows its counts points
 * at its record directly.
 */
static struct shadow_pte_bucket *spte_records __read_mostly;
static unsigned int spte_hash_bits __read_mostly;
static DEFINE_MUTEX(spte_hash_mutex);

static struct kmem_cache *shadow_pte_record_cache __ro_after_init;
/*
 * Folios with counted pins (pin words in use and large folios' records),
 * and records allocated to them, per CPU (summed only for debugfs, tests
 * and benchmarks).
 */
static DEFINE_PER_CPU(long, spte_nr_records);
static DEFINE_PER_CPU(long, spte_nr_rec_objs);
/* Pin words whose pins moved into a record, since boot. */
static DEFINE_PER_CPU(long, spte_word_overflows);
/* Entries that mremap marked SHADOW_PTE_BACK (a statistic). */
static DEFINE_PER_CPU(long, spte_back_entries);

/* Free records move between a CPU's list and the depot this many at a time. */
#define SPTE_REC_CHAIN	64

static int spte_cpu_dead(unsigned int cpu);
static unsigned long spte_depot_count(struct shrinker *s,
				      struct shrink_control *sc);
static unsigned long spte_depot_scan(struct shrinker *s,
				     struct shrink_control *sc);

static int __init shadow_pte_init(void)
{
	struct shrinker *shrinker;

	/*
	 * Not SLAB_ACCOUNT: a record exists only while its page is pinned,
	 * 32 bytes per pinned 4 KiB page, and charging it would cost a memcg
	 * charge on every pin. SLAB_NO_MERGE keeps it visible in slabinfo.
	 */
	shadow_pte_record_cache = kmem_cache_create("shadow_pte_record",
						    sizeof(struct shadow_pte_record),
						    0, SLAB_NO_MERGE, NULL);
	if (!shadow_pte_record_cache)
		return -ENOMEM;
	/* Without it a dead CPU keeps its free records (8 KiB at most). */
	if (cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mm/shadow_pte:dead",
				      NULL, spte_cpu_dead) < 0)
		pr_warn("no CPU hotplug callback for the free record lists\n");
	/* Without it the depot keeps what it holds: not fatal either. */
	shrinker = shrinker_alloc(0, "shadow_pte-records");
	if (shrinker) {
		shrinker->count_objects = spte_depot_count;
		shrinker->scan_objects = spte_depot_scan;
		shrinker->batch = SPTE_REC_CHAIN;
		shrinker_register(shrinker);
	} else {
		pr_warn("no shrinker for the free record depot\n");
	}
	/*
	 * Own cache, so /proc/slabinfo shows the cost; SLAB_ACCOUNT charges the
	 * tables to the memcg of the allocating task, as page tables are.
	 */
	shadow_pte_cache = kmem_cache_create("shadow_pte_table",
					     sizeof(struct shadow_pte_table),
					     SPTE_TABLE_ALIGN,
					     SLAB_ACCOUNT | SLAB_HWCACHE_ALIGN,
					     NULL);
	return shadow_pte_cache ? 0 : -ENOMEM;
}
core_initcall(shadow_pte_init);

static long spte_sum(long __percpu *counter)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(*counter, cpu);
	return sum;
}

static void shadow_pte_account(struct shadow_pte_table *t, int delta)
{
	this_cpu_add(spte_nr_tables, delta);
	mod_node_page_state(page_pgdat(virt_to_page(t)), NR_SHADOW_PTE_TABLES,
			    delta);
}

static __always_inline bool spte_table_nameable(const struct shadow_pte_table *t);

/**
 * shadow_pte_table_alloc - allocate an all-zero shadow table
 * @gfp: allocation flags; GFP_KERNEL from callers that dropped the PTL
 *
 * Return: the table, or NULL (counted in shadow_pte_alloc_fail).
 */
struct shadow_pte_table *shadow_pte_table_alloc(gfp_t gfp)
{
	struct shadow_pte_table *t = NULL;

	if (likely(shadow_pte_cache) &&
	    !atomic_add_unless(&shadow_pte_fail_next, -1, 0) &&
	    !spte_should_fail(&spte_fail_table))
		t = kmem_cache_zalloc(shadow_pte_cache, gfp);
	/* Pin words name a table in 40 bits (spw_tname()). */
	if (t && WARN_ON_ONCE(!spte_table_nameable(t))) {
		kmem_cache_free(shadow_pte_cache, t);
		t = NULL;
	}
	if (!t) {
		atomic_long_inc(&shadow_pte_alloc_fails);
		count_vm_event(SHADOW_PTE_ALLOC_FAIL);
		return NULL;
	}
	shadow_pte_account(t, 1);
	count_vm_event(SHADOW_PTE_ALLOC);
	return t;
}

/**
 * shadow_pte_table_free - free a shadow table that was never attached
 * @t: the table, or NULL
 *
 * For a preallocated table that lost the race to attach. A table that was
 * ever visible through a ptdesc goes through shadow_pte_table_free_rcu().
 */
static void spte_back_release(struct shadow_pte_table *t);

void shadow_pte_table_free(struct shadow_pte_table *t)
{
	if (!t)
		return;
	spte_back_release(t);
	shadow_pte_account(t, -1);
	kmem_cache_free(shadow_pte_cache, t);
}

static void shadow_pte_table_free_cb(struct rcu_head *head)
{
	shadow_pte_table_free(container_of(head, struct shadow_pte_table, rcu));
}

/* Free @t once every lock-free (IRQs-off) reader that could see it is gone. */
static void shadow_pte_table_free_rcu(struct shadow_pte_table *t)
{
	call_rcu(&t->rcu, shadow_pte_table_free_cb);
}

/*
 * A shadow table's nrec counts its references: the pin words and records
 * that name one of its slots, plus SPTE_TABLE_LIVE for its PTE table (from
 * shadow_pte_attach() until a grace period after spte_table_release()). The last
 * reference to go frees it; until then a word may name it after its PTE
 * table is gone, so an unpin never needs the PTE table.
 */
#define SPTE_TABLE_LIVE		BIT(30)

/* Pin words and records naming a slot of @t. */
static __always_inline unsigned int spte_nrec(struct shadow_pte_table *t)
{
	return atomic_read(&t->nrec) & (SPTE_TABLE_LIVE - 1);
}

/* Is @t still its PTE table's shadow table (not orphaned)? */
static __always_inline bool spte_table_live(struct shadow_pte_table *t)
{
	return atomic_read(&t->nrec) & SPTE_TABLE_LIVE;
}

/*
 * A word or record no longer names a slot of @t (its lock held, any
 * context): free an orphaned table when that was its last reference.
 */
static __always_inline void spte_table_put(struct shadow_pte_table *t)
{
	if (unlikely(atomic_dec_and_test(&t->nrec)))
		shadow_pte_table_free_rcu(t);
}

/*
 * Back references (mremap). A PTE that mremap moves leaves the pins of its
 * page counted where they were: the page's pin word keeps naming the old
 * slot, and unpin keeps taking them from there. The new entry gets
 * SHADOW_PTE_BACK, and the new table a back reference to the old one that
 * covers it, so that what asks whether the page at the new slot is pinned
 * (fork, under the PTL) adds the old slot's counts. Whatever touches the
 * page's word under the new PTL (a pin, zap, a later mremap) takes it over
 * to the new slot or detaches it, and drops the bit.
 */

/* The back reference of @t that covers entry @idx, or NULL (@t's PTL held). */
static struct shadow_pte_back *spte_back_of(struct shadow_pte_table *t,
					    unsigned int idx)
{
	struct shadow_pte_back *b;

	for (b = t->back; b < t->back + SHADOW_PTE_NR_BACK; b++)
		if (READ_ONCE(b->src) && idx >= b->lo && idx < b->hi)
			return b;
	return NULL;
}

/* @b covers no SHADOW_PTE_BACK any more: drop it and its reference. */
static void spte_back_put(struct shadow_pte_back *b)
{
	struct shadow_pte_table *src = b->src;

	WRITE_ONCE(b->src, NULL);
	b->nback = 0;
	spte_table_put(src);
}

/* @t is freed or orphaned (its PTE table is gone): drop its references. */
static void spte_back_release(struct shadow_pte_table *t)
{
	struct shadow_pte_back *b;

	for (b = t->back; b < t->back + SHADOW_PTE_NR_BACK; b++)
		if (b->src)
			spte_back_put(b);
}

/* Clear SHADOW_PTE_BACK in [@lo, @hi) of @t (its PTL held). */
static void spte_back_clear(struct shadow_pte_table *t, unsigned int lo,
			    unsigned int hi)
{
	struct shadow_pte_back *b;
	unsigned int i;

	for (i = lo; i < hi; i++) {
		if (!(atomic_read(&t->ent[i]) & SHADOW_PTE_BACK))
			continue;
		atomic_andnot(SHADOW_PTE_BACK, &t->ent[i]);
		b = spte_back_of(t, i);
		if (WARN_ON_ONCE(!b || !b->nback))
			continue;
		if (!--b->nback)
			spte_back_put(b);
	}
}

/*
 * The counts that stand for the page at entry @idx of @t (its PTL held):
 * the entry's own, and, if it has SHADOW_PTE_BACK, those of the slot its
 * back reference names, where the page's word may still count its pins;
 * saturating, in an entry's format. The back reference cannot go while
 * the PTL is held, and it holds its source. Whatever that source slot
 * itself refers to is other pages' (their PTEs were moved there later):
 * not followed. A bit with no reference (a bug) reads saturated: an
 * over-count is safe, an under-count is not.
 */
static u32 spte_back_counts(struct shadow_pte_table *t, unsigned int idx)
{
	u32 e = atomic_read(&t->ent[idx]), s = 0;
	unsigned long ro, rw;
	struct shadow_pte_back *b;

	if (e & SHADOW_PTE_BACK) {
		b = spte_back_of(t, idx);
		if (WARN_ON_ONCE(!b))
			return SHADOW_PTE_RO_MASK | SHADOW_PTE_RW_MASK;
		s = atomic_read(&b->src->ent[idx + b->delta]);
	}
	ro = min_t(unsigned long, shadow_pte_ro(e) + shadow_pte_ro(s), SHADOW_PTE_COUNT_MAX);
	rw = min_t(unsigned long, shadow_pte_rw(e) + shadow_pte_rw(s), SHADOW_PTE_COUNT_MAX);
	return ro << SHADOW_PTE_RO_SHIFT | rw << SHADOW_PTE_RW_SHIFT;
}

/* shadow_pte_pinned_at() for an entry with SHADOW_PTE_BACK. */
bool __shadow_pte_back_pinned(struct shadow_pte_table *t, unsigned int idx)
{
	return shadow_pte_pinned(spte_back_counts(t, idx));
}

/* Entry @idx of @t as a reader sees it: back references followed. */
static u32 spte_entry_value(struct shadow_pte_table *t, unsigned int idx)
{
	u32 e = atomic_read(&t->ent[idx]);

	if (!(e & SHADOW_PTE_BACK))
		return e;
	return (e & SHADOW_PTE_SPECIAL) | spte_back_counts(t, idx);
}

/*
 * mremap: a back reference on @nt for [@lo, @hi), whose PTEs came from
 * index + @delta of @ot (both PTLs held), or NULL: none free, or one
 * already covering part of the range.
 */
static struct shadow_pte_back *spte_back_claim(struct shadow_pte_table *nt,
					       struct shadow_pte_table *ot,
					       unsigned int lo, unsigned int hi,
					       int delta)
{
	struct shadow_pte_back *b, *free = NULL;

	if (nt == ot)
		return NULL;
	for (b = nt->back; b < nt->back + SHADOW_PTE_NR_BACK; b++) {
		if (!b->src)
			free = free ?: b;
		else if (lo < b->hi && b->lo < hi)
			return NULL;
	}
	if (!free)
		return NULL;
	/* @ot is live (its PTL is held): its PTE table holds a reference. */
	atomic_inc(&ot->nrec);
	free->lo = lo;
	free->hi = hi;
	free->delta = delta;
	free->nback = 0;
	WRITE_ONCE(free->src, ot);
	return free;
}

/**
 * shadow_pte_nr_tables - number of live shadow tables
 *
 * Includes detached tables still waiting for their RCU grace period.
 */
long shadow_pte_nr_tables(void)
{
	return spte_sum(&spte_nr_tables);
}

/**
 * shadow_pte_nr_alloc_fail - number of failed shadow-table allocations
 */
long shadow_pte_nr_alloc_fail(void)
{
	return atomic_long_read(&shadow_pte_alloc_fails);
}

/**
 * shadow_pte_fail_next_allocs - fault injection: fail the next @n allocations
 * @n: how many; 0 turns injection off
 */
void shadow_pte_fail_next_allocs(unsigned int n)
{
	atomic_set(&shadow_pte_fail_next, min_t(unsigned int, n, INT_MAX));
}

/**
 * shadow_pte_fail_next_records - fault injection: fail the next @n records
 * @n: how many pin records spte_rec_get_nowait() refuses; 0 turns it off
 */
void shadow_pte_fail_next_records(unsigned int n)
{
	atomic_set(&spte_fail_next_recs, min_t(unsigned int, n, INT_MAX));
}

/**
 * shadow_pte_attach - the shadow table of a PTE table, attaching one if needed
 * @pt: the PTE table's ptdesc; its PTL is held (or the table is not
 *      installed anywhere yet)
 * @prealloc: a table from shadow_pte_table_alloc(), or NULL
 *
 * Returns the attached table. If there is none, attaches *@prealloc and
 * clears *@prealloc; the caller frees a *@prealloc left unused. Returns NULL
 * if there is no table and no preallocation: the caller drops the PTL,
 * allocates with GFP_KERNEL, retakes the PTL, revalidates the PTE and calls
 * again. Nothing here allocates, so nothing spins on GFP_ATOMIC.
 */
struct shadow_pte_table *shadow_pte_attach(struct ptdesc *pt,
					   struct shadow_pte_table **prealloc)
{
	struct shadow_pte_table *t = pt->pt_shadow;

	if (t || !prealloc || !*prealloc)
		return t;
	t = *prealloc;
	*prealloc = NULL;
	/* The PTE table's reference: see spte_table_release(). */
	atomic_set(&t->nrec, SPTE_TABLE_LIVE);
	/* Zeroed entries before the pointer, for lock-free readers. */
	smp_store_release(&pt->pt_shadow, t);
	return t;
}

/* Does any entry in [@lo, @hi) of @t hold a pin count? */
static __always_inline bool spte_range_has_pins(struct shadow_pte_table *t,
						unsigned int lo, unsigned int hi)
{
	unsigned int i;

	for (i = lo; i < hi; i++)
		if (shadow_pte_pinned(atomic_read(&t->ent[i])))
			return true;
	return false;
}

/*
 * A grace period after spte_table_release(): no GUP-fast walker that read
 * the table pointer before it was cleared is still running, so none can
 * take a reference any more. Drop the PTE table's: free the shadow table
 * if no word names it; otherwise the last word to let go frees it.
 */
static void spte_table_release_cb(struct rcu_head *head)
{
	struct shadow_pte_table *t = container_of(head, struct shadow_pte_table, rcu);

	/* Nothing asks an orphan whether a page is pinned: no back references. */
	spte_back_release(t);
	if (!atomic_sub_return(SPTE_TABLE_LIVE, &t->nrec))
		shadow_pte_table_free(t);
	else
		/* Only pin words name an orphan, and not by its address. */
		kmemleak_not_leak(t);
}

/*
 * pagetable_pte_dtor() and pgtable_trans_huge_deposit(): the PTE table is
 * unreachable from the page tables (a GUP-fast walker may still be in it,
 * with IRQs off). Clear the pointer, and drop the PTE table's reference
 * (SPTE_TABLE_LIVE) after a grace period. If pin words or records still
 * name the shadow table then (pins of PTEs that munmap's zap left to this
 * release, or stale ones: "Locking" in Documentation/mm/shadow_pte.rst),
 * it lives on, orphaned: nothing reads its entries any more, and the last
 * of them to go frees it (spte_table_put()), from any context.
 *
 * Keeping the reference through the grace period lets a GUP-fast walker
 * attach with a plain atomic_inc(): a walker that read the pointer before
 * it was cleared holds a live table until it enables IRQs.
 */
static void spte_table_release(struct ptdesc *pt)
{
	struct shadow_pte_table *t = pt->pt_shadow;

	WRITE_ONCE(pt->pt_shadow, NULL);
	/* A statistic: a walker backing out may still drop its word. */
	if (spte_nrec(t))
		count_vm_event(SHADOW_PTE_TABLE_ORPHAN);
	call_rcu(&t->rcu, spte_table_release_cb);
}

/* pagetable_pte_dtor(), inline, frees PTE tables in modules too: exported. */
void __shadow_pte_table_dtor(struct ptdesc *pt)
{
	spte_table_release(pt);
}
EXPORT_SYMBOL_GPL(__shadow_pte_table_dtor);

/*
 * khugepaged deposits the live table it collapsed: its PTEs were cleared
 * behind zap's back, and collapse refuses pinned pages, so records can only
 * be left by a GUP-fast walker that is backing out, or stale ones (see the
 * header). Detach them all and drop the shadow table: a later PMD split
 * must not hand stale counts to new PTEs.
 */
void __shadow_pte_table_deposit(struct ptdesc *pt)
{
	spte_table_release(pt);
}

/**
 * shadow_pte_table_empty - does the table hold neither pins nor special bits?
 * @t: the table
 *
 * Reads all entries (2 KiB on x86_64); meant for slow paths and tests.
 */
bool shadow_pte_table_empty(struct shadow_pte_table *t)
{
	unsigned int i;

	for (i = 0; i < PTRS_PER_PTE; i++)
		if (atomic_read(&t->ent[i]))
			return false;
	return true;
}

u32 shadow_pte_read(struct shadow_pte_table *t, unsigned int idx)
{
	if (idx >= PTRS_PER_PTE)
		return 0;
	return atomic_read(&t->ent[idx]);
}

/*
 * Apply @n units (@n > 0: add, < 0: remove) to the R/O or R/W count of @e.
 * A count at SHADOW_PTE_COUNT_MAX is saturated and ignores deltas; an add
 * that reaches it saturates the count. A removal of more than the count
 * holds is a protocol bug: warned once and not applied (an over-count is
 * safe, an under-count is not).
 *
 * Return: the number of units applied (0 .. |@n|), as a positive number.
 */
static __always_inline unsigned int spte_count_apply(atomic_t *e, bool write, long n)
{
	unsigned int shift = write ? SHADOW_PTE_RW_SHIFT : SHADOW_PTE_RO_SHIFT;
	unsigned long f, nf;
	int old = atomic_read(e);

	do {
		f = ((u32)old >> shift) & SHADOW_PTE_COUNT_MAX;
		if (f == SHADOW_PTE_COUNT_MAX || !n)
			return 0;
		if (n > 0) {
			nf = min_t(unsigned long, f + n, SHADOW_PTE_COUNT_MAX);
		} else {
			if (WARN_ONCE(f < -n,
				      "shadow_pte: removing %ld from a count of %lu (entry %#x)\n",
				      -n, f, old))
				return 0;
			nf = f + n;
		}
	} while (!atomic_try_cmpxchg(e, &old,
				     ((u32)old & ~(SHADOW_PTE_COUNT_MAX << shift)) |
				     (nf << shift)));
	return n > 0 ? nf - f : f - nf;
}

/*
 * spte_count_apply() for one unit, which the pin and unpin of a page's
 * only pin use: the same rules, a shorter loop. Return: units applied.
 */
static __always_inline unsigned int spte_count_add1(atomic_t *e, bool write)
{
	u32 one = write ? BIT(SHADOW_PTE_RW_SHIFT) : BIT(SHADOW_PTE_RO_SHIFT);
	u32 mask = write ? SHADOW_PTE_RW_MASK : SHADOW_PTE_RO_MASK;
	int old = atomic_read(e);

	do {
		if (((u32)old & mask) == mask)
			return 0;
	} while (!atomic_try_cmpxchg(e, &old, old + one));
	return 1;
}

static __always_inline void spte_count_sub1(atomic_t *e, bool write)
{
	u32 one = write ? BIT(SHADOW_PTE_RW_SHIFT) : BIT(SHADOW_PTE_RO_SHIFT);
	u32 mask = write ? SHADOW_PTE_RW_MASK : SHADOW_PTE_RO_MASK;
	int old = atomic_read(e);

	do {
		if (((u32)old & mask) == mask)
			return;
		if (WARN_ONCE(!((u32)old & mask),
			      "shadow_pte: removing 1 from a count of 0 (entry %#x)\n",
			      old))
			return;
	} while (!atomic_try_cmpxchg(e, &old, old - one));
}

/* A saturated count of @e that no record holds any more goes back to 0. */
static void spte_reset_saturated(atomic_t *e)
{
	int old = atomic_read(e);
	u32 new;

	do {
		new = old;
		if (shadow_pte_ro(old) == SHADOW_PTE_COUNT_MAX)
			new &= ~SHADOW_PTE_RO_MASK;
		if (shadow_pte_rw(old) == SHADOW_PTE_COUNT_MAX)
			new &= ~SHADOW_PTE_RW_MASK;
		if (new == (u32)old)
			return;
	} while (!atomic_try_cmpxchg(e, &old, new));
}

/**
 * shadow_pte_entry_inc - add one pin to the R/O or R/W count of entry @idx
 * @t: the table
 * @idx: the PTE's index in its table
 * @write: R/W (FOLL_WRITE) or R/O
 *
 * The entry primitive that the pin records build on; the kernel counts
 * pins through shadow_pte_gup_pin() and shadow_pte_gup_fast_pin().
 *
 * Return: 0; -EOVERFLOW when the count is saturated (the pin is not added:
 * the count already reads as pinned); -EINVAL for a bad index.
 */
int shadow_pte_entry_inc(struct shadow_pte_table *t, unsigned int idx, bool write)
{
	if (idx >= PTRS_PER_PTE)
		return -EINVAL;
	return spte_count_apply(&t->ent[idx], write, 1) ? 0 : -EOVERFLOW;
}

/**
 * shadow_pte_entry_dec - remove one pin from the R/O or R/W count of entry @idx
 * @t: the table
 * @idx: the PTE's index in its table
 * @write: which count
 *
 * Return: 0; -ENOENT when the count is zero (nothing changes); -EOVERFLOW
 * when it is saturated (nothing changes); -EINVAL for a bad index.
 */
int shadow_pte_entry_dec(struct shadow_pte_table *t, unsigned int idx, bool write)
{
	u32 v;

	if (idx >= PTRS_PER_PTE)
		return -EINVAL;
	v = atomic_read(&t->ent[idx]);
	if (!(write ? shadow_pte_rw(v) : shadow_pte_ro(v)))
		return -ENOENT;
	return spte_count_apply(&t->ent[idx], write, -1) ? 0 : -EOVERFLOW;
}

int shadow_pte_set_special(struct shadow_pte_table *t, unsigned int idx)
{
	if (idx >= PTRS_PER_PTE)
		return -EINVAL;
	atomic_or(SHADOW_PTE_SPECIAL, &t->ent[idx]);
	return 0;
}

int shadow_pte_clear_special(struct shadow_pte_table *t, unsigned int idx)
{
	if (idx >= PTRS_PER_PTE)
		return -EINVAL;
	atomic_andnot(SHADOW_PTE_SPECIAL, &t->ent[idx]);
	return 0;
}

#ifdef CONFIG_SHADOW_PTE_SPECIAL
/*
 * shadow_pte_mkspecial() found no shadow table: attach one without sleeping
 * (the PTL is held). Callers that can sleep went through
 * shadow_pte_special_prepare() first, so this is the rare case.
 */
int __shadow_pte_mkspecial(pte_t *ptep)
{
	struct ptdesc *pt = virt_to_ptdesc(ptep);
	struct shadow_pte_table *t = pt->pt_shadow, *new;

	if (!t) {
		new = shadow_pte_table_alloc(GFP_NOWAIT | __GFP_NOWARN);
		if (!new)
			return -ENOMEM;
		t = shadow_pte_attach(pt, &new);
	}
	atomic_or(SHADOW_PTE_SPECIAL, &t->ent[shadow_pte_slot(ptep)]);
	return 0;
}

/* The shadow table of the PTE table @pmdval points to, if any (lockless). */
static struct shadow_pte_table *spte_pmd_shadow(pmd_t pmdval)
{
	if (!pmd_present(pmdval) || pmd_leaf(pmdval))
		return NULL;
	return ptdesc_shadow(page_ptdesc(pmd_page(pmdval)));
}

int __shadow_pte_special_prepare(struct mm_struct *mm, pmd_t *pmd,
				 unsigned long addr)
{
	struct shadow_pte_table *t;
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *pte;

	if (likely(spte_pmd_shadow(pmdp_get_lockless(pmd))))
		return 0;
	if (pte_alloc(mm, pmd))
		return -ENOMEM;
	t = shadow_pte_table_alloc(GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (pte) {
		shadow_pte_attach(virt_to_ptdesc(pte), &t);
		pte_unmap_unlock(pte, ptl);
	}
	/* Lost a race, or the table went away: the caller rechecks. */
	shadow_pte_table_free(t);
	return 0;
}

static bool spte_table_has_special(struct shadow_pte_table *t)
{
	unsigned int i;

	for (i = 0; i < PTRS_PER_PTE; i++)
		if (shadow_pte_special(atomic_read(&t->ent[i])))
			return true;
	return false;
}

int __shadow_pte_fork_prepare(struct mm_struct *dst_mm, pmd_t *dst_pmd,
			      pmd_t *src_pmd, unsigned long addr)
{
	struct shadow_pte_table *st = spte_pmd_shadow(pmdp_get_lockless(src_pmd));

	/*
	 * fork holds the parent's mmap_lock and every VMA lock it copies for
	 * writing, and shadow tables and special bits are only added by faults,
	 * GUP and the other mmap_lock or VMA lock holders, so the parent's
	 * table cannot gain any before copy_pte_range() takes its PTL.
	 */
	if (likely(!st) || !spte_table_has_special(st))
		return 0;
	if (__shadow_pte_special_prepare(dst_mm, dst_pmd, addr))
		return -ENOMEM;
	return 0;
}
#endif /* CONFIG_SHADOW_PTE_SPECIAL */

/*
 * The bucket of @folio, or NULL before the first pin was counted. The
 * acquire pairs with the release that published the hash after its size.
 */
static __always_inline struct shadow_pte_bucket *spte_bucket(const struct folio *folio)
{
	/* Pairs with the release in spte_hash_alloc(): the hash size is set. */
	struct shadow_pte_bucket *h = smp_load_acquire(&spte_records);

	return h ? &h[hash_ptr(folio, spte_hash_bits)] : NULL;
}

static __always_inline struct shadow_pte_record *spte_first(const struct shadow_pte_bucket *b)
{
	return (struct shadow_pte_record *)(b->first & ~SPTE_LOCKED);
}

static __always_inline struct folio *spte_large_key(struct folio *folio)
{
	return (struct folio *)((unsigned long)folio | SPTE_KEY_LARGE);
}

static __always_inline bool spte_rec_large(const struct shadow_pte_record *p)
{
	return (unsigned long)p->folio & SPTE_KEY_LARGE;
}

#ifdef CONFIG_DEBUG_LOCK_ALLOC
/* One lockdep class for every bucket lock: lockdep checks PTL -> bucket. */
static struct lock_class_key spte_bucket_key;
static struct lockdep_map spte_bucket_map =
	STATIC_LOCKDEP_MAP_INIT("shadow_pte_bucket", &spte_bucket_key);
#endif

/* Lock a bucket; the caller has IRQs off. */
static __always_inline void spte_lock(struct shadow_pte_bucket *b)
{
	bit_spin_lock(0, &b->first);
	lock_map_acquire(&spte_bucket_map);
}

static __always_inline void spte_unlock(struct shadow_pte_bucket *b)
{
	lock_map_release(&spte_bucket_map);
	__bit_spin_unlock(0, &b->first);
}

/* The same from a context that may have IRQs on (unpin may be in hardirq). */
#define spte_lock_irqsave(b, flags)		\
	do {					\
		local_irq_save(flags);		\
		spte_lock(b);			\
	} while (0)

static __always_inline void spte_unlock_irqrestore(struct shadow_pte_bucket *b,
						   unsigned long flags)
{
	spte_unlock(b);
	local_irq_restore(flags);
}

/*
 * @folio's record in @b (locked), or NULL; *@prev is set to the record
 * before it in the chain (NULL if it is the first), for spte_unlink().
 */
static __always_inline struct shadow_pte_record *
spte_find(struct shadow_pte_bucket *b, const struct folio *folio,
	  struct shadow_pte_record **prev)
{
	struct shadow_pte_record *p, *pp = NULL;

	for (p = spte_first(b); p; pp = p, p = p->next)
		if (p->folio == folio)
			break;
	if (prev)
		*prev = pp;
	return p;
}

static __always_inline void spte_link(struct shadow_pte_bucket *b,
				      struct shadow_pte_record *p,
				      struct folio *folio)
{
	p->folio = folio;
	p->t = NULL;
	p->idx = 0;
	p->ro = 0;
	p->rw = 0;
	p->next = spte_first(b);
	b->first = (unsigned long)p | SPTE_LOCKED;
	this_cpu_inc(spte_nr_records);
	this_cpu_inc(spte_nr_rec_objs);
}

static __always_inline void spte_unlink(struct shadow_pte_bucket *b,
					struct shadow_pte_record *p,
					struct shadow_pte_record *prev)
{
	if (prev)
		prev->next = p->next;
	else
		b->first = (unsigned long)p->next | SPTE_LOCKED;
	this_cpu_dec(spte_nr_records);
	this_cpu_dec(spte_nr_rec_objs);
}

static struct shadow_pte_record *spte_rec_alloc(gfp_t gfp)
{
	if (spte_should_fail(&spte_fail_record))
		return NULL;
	return kmem_cache_alloc(shadow_pte_record_cache, gfp);
}

/*
 * Free records are cached above the slab, per CPU: a pin takes one from
 * its CPU's list and an unpin puts one back on its own CPU's, a few
 * instructions each with IRQs off (unpin may run in hardirq). A list that
 * reaches 2 * SPTE_REC_CHAIN records gives SPTE_REC_CHAIN of them to a
 * shared depot, and an empty one takes a chain back from it, so records
 * freed on one CPU serve pins on another and the depot's lock is taken
 * once per SPTE_REC_CHAIN records. Only the slab allocates records; a
 * shrinker gives the depot's records back to it. What SLUB alone cost per
 * pin and unpin: docs/pin-records.md in the workbench.
 */
struct spte_rec_cache {
	struct shadow_pte_record *head;	/* linked through ->next */
	unsigned int nr;
};

static DEFINE_PER_CPU(struct spte_rec_cache, spte_free_recs);

/* Chains of SPTE_REC_CHAIN free records, linked through their first's ->chain. */
static DEFINE_RAW_SPINLOCK(spte_depot_lock);
static struct shadow_pte_record *spte_depot;
static unsigned long spte_depot_chains;

/* Refill an empty list @c with a chain from the depot. */
static noinline bool spte_depot_take(struct spte_rec_cache *c)
{
	struct shadow_pte_record *p;

	/* An unlocked peek: a chain missed now is found by the next refill. */
	if (!data_race(spte_depot))
		return false;
	raw_spin_lock(&spte_depot_lock);
	p = spte_depot;
	if (p) {
		spte_depot = p->chain;
		spte_depot_chains--;
	}
	raw_spin_unlock(&spte_depot_lock);
	if (!p)
		return false;
	c->head = p;
	c->nr = SPTE_REC_CHAIN;
	return true;
}

/* @c is full: give its first SPTE_REC_CHAIN records to the depot. */
static noinline void spte_depot_give(struct spte_rec_cache *c)
{
	struct shadow_pte_record *first = c->head, *last = first;
	unsigned int i;

	for (i = 1; i < SPTE_REC_CHAIN; i++)
		last = last->next;
	c->head = last->next;
	c->nr -= SPTE_REC_CHAIN;
	last->next = NULL;
	raw_spin_lock(&spte_depot_lock);
	first->chain = spte_depot;
	spte_depot = first;
	spte_depot_chains++;
	raw_spin_unlock(&spte_depot_lock);
}

static __always_inline struct shadow_pte_record *spte_rec_get(void)
{
	struct spte_rec_cache *c = this_cpu_ptr(&spte_free_recs);
	struct shadow_pte_record *p;

	lockdep_assert_irqs_disabled();
	if (unlikely(!c->head) && !spte_depot_take(c))
		return NULL;
	p = c->head;
	c->head = p->next;
	c->nr--;
	return p;
}

static __always_inline void spte_rec_put(struct shadow_pte_record *p)
{
	struct spte_rec_cache *c = this_cpu_ptr(&spte_free_recs);

	lockdep_assert_irqs_disabled();
	if (!p)
		return;
	p->next = c->head;
	c->head = p;
	if (unlikely(++c->nr >= 2 * SPTE_REC_CHAIN))
		spte_depot_give(c);
}

/*
 * A record for a pin, IRQs off: from this CPU's list or the depot, else
 * GFP_NOWAIT from the slab. Fault injection applies to both.
 */
static __always_inline struct shadow_pte_record *spte_rec_get_nowait(void)
{
	if (spte_should_fail(&spte_fail_record) ||
	    (unlikely(atomic_read(&spte_fail_next_recs)) &&
	     atomic_add_unless(&spte_fail_next_recs, -1, 0)))
		return NULL;
	return spte_rec_get() ?:
	       kmem_cache_alloc(shadow_pte_record_cache, GFP_NOWAIT | __GFP_NOWARN);
}

/* The same with IRQs on. */
static struct shadow_pte_record *spte_rec_get_or_alloc(void)
{
	struct shadow_pte_record *p;
	unsigned long flags;

	local_irq_save(flags);
	p = spte_rec_get_nowait();
	local_irq_restore(flags);
	return p;
}

static void spte_rec_free(struct shadow_pte_record *p)
{
	unsigned long flags;

	/* Every GUP slow-path page and mremap extent frees its preallocation. */
	if (!p)
		return;
	local_irq_save(flags);
	spte_rec_put(p);
	local_irq_restore(flags);
}

static unsigned long spte_free_chain(struct shadow_pte_record *p)
{
	struct shadow_pte_record *next;
	unsigned long n = 0;

	for (; p; p = next, n++) {
		next = p->next;
		kmem_cache_free(shadow_pte_record_cache, p);
	}
	return n;
}

/* CPU hotplug: a dead CPU's list goes back to the slab. */
static int spte_cpu_dead(unsigned int cpu)
{
	struct spte_rec_cache *c = per_cpu_ptr(&spte_free_recs, cpu);

	spte_free_chain(c->head);
	c->head = NULL;
	c->nr = 0;
	return 0;
}

/* Give up to @nr of the depot's records back to the slab; the number freed. */
static unsigned long spte_depot_free(unsigned long nr)
{
	struct shadow_pte_record *p;
	unsigned long flags, freed = 0;

	while (freed < nr) {
		raw_spin_lock_irqsave(&spte_depot_lock, flags);
		p = spte_depot;
		if (p) {
			spte_depot = p->chain;
			spte_depot_chains--;
		}
		raw_spin_unlock_irqrestore(&spte_depot_lock, flags);
		if (!p)
			break;
		freed += spte_free_chain(p);
	}
	return freed;
}

/* Memory pressure: the depot's records go back to the slab. */
static unsigned long spte_depot_count(struct shrinker *s,
				      struct shrink_control *sc)
{
	/* An estimate is all a shrinker's count needs. */
	return data_race(spte_depot_chains) * SPTE_REC_CHAIN;
}

static unsigned long spte_depot_scan(struct shrinker *s,
				     struct shrink_control *sc)
{
	return spte_depot_free(sc->nr_to_scan) ?: SHRINK_STOP;
}

/**
 * shadow_pte_drain_record_depot - give every record of the depot back
 *
 * What the shrinker does under memory pressure, all at once (KUnit).
 * Return: the number of records freed.
 */
unsigned long shadow_pte_drain_record_depot(void)
{
	return spte_depot_free(ULONG_MAX);
}

/**
 * shadow_pte_nr_cached_records - free records kept for reuse
 * @depot: set to those in the depot (the rest are in the per-CPU lists)
 *
 * Return: the free records in the per-CPU lists and the depot, summed
 * without locks (for debugfs and KUnit).
 */
unsigned long shadow_pte_nr_cached_records(unsigned long *depot)
{
	/* Unlocked reads: a snapshot, exact only when nothing runs. */
	unsigned long n = data_race(spte_depot_chains) * SPTE_REC_CHAIN;
	int cpu;

	*depot = n;
	for_each_possible_cpu(cpu)
		/* As above. */
		n += data_race(per_cpu_ptr(&spte_free_recs, cpu)->nr);
	return n;
}

/* A record's table, live or orphaned: NULL if detached. */
static __always_inline struct shadow_pte_table *spte_rec_table(const struct shadow_pte_record *p)
{
	return p->t;
}

/*
 * The record primitives (its word or bucket lock held). Each one changes the record
 * and applies the same delta to the attached entry, so that an entry that
 * is not saturated always equals the sum of the counts of the records
 * attached to it. The table's nrec counts those records.
 */
static __always_inline void spte_rec_attach(struct shadow_pte_record *p,
					    struct shadow_pte_table *t,
					    unsigned int idx)
{
	p->t = t;
	p->idx = idx;
	/* Before the counts: see spte_table_release() and spte_settle(). */
	atomic_inc(&t->nrec);
	if (p->ro)
		spte_count_apply(&t->ent[idx], false, p->ro);
	if (p->rw)
		spte_count_apply(&t->ent[idx], true, p->rw);
}

static __always_inline void spte_rec_detach(struct shadow_pte_record *p)
{
	struct shadow_pte_table *t = spte_rec_table(p);

	if (t) {
		if (p->ro)
			spte_count_apply(&t->ent[p->idx], false, -(long)p->ro);
		if (p->rw)
			spte_count_apply(&t->ent[p->idx], true, -(long)p->rw);
		spte_table_put(t);
	}
	p->t = NULL;
}

/*
 * One more pin on @p, counted in its entry @t (or nowhere if detached).
 * Return: the units the entry took (0 if detached or saturated).
 */
static __always_inline unsigned int spte_rec_pin(struct shadow_pte_record *p,
						 struct shadow_pte_table *t,
						 bool write)
{
	/* R/O beyond its field (never, see SPTE_RO_MAX) counts as R/W: safe. */
	if (!write && WARN_ON_ONCE(p->ro == SPTE_RO_MAX))
		write = true;
	if (write)
		p->rw++;
	else
		p->ro++;
	return t ? spte_count_apply(&t->ent[p->idx], write, 1) : 0;
}

/* One pin fewer; its entry, if attached, gives up @units (0 or 1). */
static __always_inline void spte_rec_unpin(struct shadow_pte_record *p,
					   struct shadow_pte_table *t,
					   bool write, unsigned int units)
{
	if (write ? WARN_ON_ONCE(!p->rw) : WARN_ON_ONCE(!p->ro))
		return;
	if (write)
		p->rw--;
	else
		p->ro--;
	if (t && units)
		spte_count_apply(&t->ent[p->idx], write, -1);
}

/*
 * Pin words: where an order-0 folio's counted pins are kept. One word per
 * page frame, in pages of SPW_CHUNK words (one page of words per 2 MiB of
 * page frames with 4 KiB pages) that the first counted pin in their range
 * allocates and that are never freed; a directory of them, 8 bytes per
 * chunk, comes with the record hash at the first counted pin. Nothing is
 * allocated per pinned page. A word is 0 when no pin of the page is
 * counted (a chunk not allocated stands for words of 0); otherwise it
 * holds the slot the pins are counted in and the counts themselves:
 *
 *	bit 0		lock (a bit spinlock, IRQs off; nests inside the PTL)
 *	bit 1		SPW_EXT: the word is the address of a record that holds
 *			the slot and counts (with bits 0-1 as above)
 *	bits 2-10	the PTE's index in its table
 *	bits 11-16	outstanding R/O pins (at most SHADOW_PTE_WORD_RO_LIMIT)
 *	bits 17-23	outstanding R/W pins (at most SHADOW_PTE_WORD_RW_LIMIT)
 *	bits 24-63	the shadow table, by its offset in the direct map in
 *			cache lines (spw_tname()); 0 when detached
 *
 * Pins beyond the inline counts move to a record that the word points to
 * (taken before the lock: a pin that would overflow the word gets one
 * first); when they fall back into range the word holds them inline again
 * and the record is freed. The record protocol (docs in
 * Documentation/mm/shadow_pte.rst) is unchanged: a word stands for a
 * record, its lock for the bucket lock, and the record primitives above
 * run on a decoded copy that is stored back before the unlock.
 */
#define SPW_LOCK		BIT(0)
#define SPW_EXT			BIT(1)
#define SPW_IDX_SHIFT		2
#define SPW_RO_SHIFT		11
#define SPW_RW_SHIFT		17
#define SPW_NAME_SHIFT		24
#define SPW_NAME_BITS		(BITS_PER_LONG - SPW_NAME_SHIFT)
/* Shadow tables are SPTE_TABLE_ALIGN aligned: a name drops those bits. */
#define SPW_TABLE_ALIGN_SHIFT	6
static_assert(SPTE_TABLE_ALIGN == 1 << SPW_TABLE_ALIGN_SHIFT);
#define SPW_RO_MAX		0x3fUL
#define SPW_RW_MAX		0x7fUL
/* The limits in the word's fields; CONFIG_DEBUG_SHADOW_PTE lowers them. */
static_assert(SHADOW_PTE_WORD_RO_LIMIT <= SPW_RO_MAX);
static_assert(SHADOW_PTE_WORD_RW_LIMIT <= SPW_RW_MAX);
#define SPW_RO_LIM		((unsigned long)SHADOW_PTE_WORD_RO_LIMIT << SPW_RO_SHIFT)
#define SPW_RW_LIM		((unsigned long)SHADOW_PTE_WORD_RW_LIMIT << SPW_RW_SHIFT)
#define SPW_RO_ONE		BIT(SPW_RO_SHIFT)
#define SPW_RW_ONE		BIT(SPW_RW_SHIFT)
#define SPW_RO_MASK		(SPW_RO_MAX << SPW_RO_SHIFT)
#define SPW_RW_MASK		(SPW_RW_MAX << SPW_RW_SHIFT)
#define SPW_SLOT_MASK		(~0UL << SPW_NAME_SHIFT | 0x1ffUL << SPW_IDX_SHIFT)

static_assert(PTRS_PER_PTE <= 0x200);
static_assert(SPW_IDX_SHIFT + 9 == SPW_RO_SHIFT);
static_assert(SPW_RO_SHIFT + 6 == SPW_RW_SHIFT && SPW_RW_SHIFT + 7 == SPW_NAME_SHIFT);
/* A record's address has bits 0 and 1 free. */
static_assert(__alignof__(struct shadow_pte_record) >= 4);

/* Words per chunk: a page of them. */
#define SPW_CHUNK_SHIFT		(PAGE_SHIFT - 3)
#define SPW_CHUNK		BIT(SPW_CHUNK_SHIFT)

/*
 * The chunks' directory, shadow_pte_word_chunks entries; NULL: no chunk
 * yet. The number is 0 until the first pin is counted (spte_words_alloc());
 * read-mostly, written once. The unpin hooks test it inline: one load of
 * a line nobody writes. (A static key would save that load, but enabling
 * it at the first pin would take cpu_hotplug_lock under mmap_lock, from
 * the GUP slow path.)
 */
static unsigned long **spte_word_dir __read_mostly;
unsigned long shadow_pte_word_chunks __read_mostly;
/* Chunks allocated, and a zeroed one for the next pin that lacks one. */
static atomic_long_t spte_chunks_used = ATOMIC_LONG_INIT(0);
static unsigned long *spte_spare_chunk;

#ifdef CONFIG_DEBUG_LOCK_ALLOC
/* One lockdep class for every word lock: lockdep checks PTL -> word. */
static struct lock_class_key spte_word_key;
static struct lockdep_map spte_word_map =
	STATIC_LOCKDEP_MAP_INIT("shadow_pte_word", &spte_word_key);
#endif

/*
 * The chunk of pin words of page frame @pfn in the directory @dir of @n
 * chunks, or NULL if it is not allocated (all its words are 0) or the
 * directory does not cover @pfn (see spte_words_alloc()). The word is
 * spte_chunk_word(chunk, @pfn). A page frame that holds no order-0
 * anonymous folio has a word of 0.
 */
static __always_inline unsigned long *spte_dir_chunk(unsigned long **dir,
						     unsigned long n,
						     unsigned long pfn)
{
	unsigned long c = pfn >> SPW_CHUNK_SHIFT;

	if (c >= n)
		return NULL;
	/*
	 * Pairs with the release in spte_chunk_alloc(): the chunk is zeroed
	 * (an address dependency; READ_ONCE() for Alpha).
	 */
	return READ_ONCE(dir[c]);
}

static __always_inline unsigned long *spte_chunk_word(unsigned long *chunk,
						      unsigned long pfn)
{
	return &chunk[pfn & (SPW_CHUNK - 1)];
}

/*
 * The chunk of page frame @pfn's pin word, or NULL before the first
 * counted pin, or while no pin was ever counted in its chunk; *@np: the
 * number of chunks (0 before the first counted pin).
 */
static __always_inline unsigned long *spte_pfn_chunk(unsigned long pfn,
						     unsigned long *np)
{
	/* Pairs with the release in spte_words_alloc(): the directory is set. */
	*np = smp_load_acquire(&shadow_pte_word_chunks);
	return spte_dir_chunk(spte_word_dir, *np, pfn);
}

/* The pin word of page frame @pfn, or NULL: see spte_pfn_chunk(). */
static __always_inline unsigned long *spte_word_pfn(unsigned long pfn)
{
	unsigned long n, *chunk = spte_pfn_chunk(pfn, &n);

	return chunk ? spte_chunk_word(chunk, pfn) : NULL;
}

static __always_inline unsigned long *spte_word(struct folio *folio)
{
	return spte_word_pfn(folio_pfn(folio));
}

/*
 * The name of shadow table @t in a word: its offset in the direct map (it
 * is a slab object), in units of its alignment. 40 bits cover 64 TiB;
 * shadow_pte_table_alloc() refuses a table beyond.
 */
static __always_inline unsigned long spw_tname(const struct shadow_pte_table *t)
{
	return ((unsigned long)t - PAGE_OFFSET) >> SPW_TABLE_ALIGN_SHIFT;
}

static __always_inline bool spte_table_nameable(const struct shadow_pte_table *t)
{
	return IS_ALIGNED((unsigned long)t, 1UL << SPW_TABLE_ALIGN_SHIFT) &&
	       spw_tname(t) && !(spw_tname(t) >> SPW_NAME_BITS);
}

/* The slot field of a word for PTE @idx of the table with shadow table @t. */
static __always_inline unsigned long spw_slot(const struct shadow_pte_table *t,
					      unsigned int idx)
{
	return spw_tname(t) << SPW_NAME_SHIFT | (unsigned long)idx << SPW_IDX_SHIFT;
}

static __always_inline unsigned int spw_idx(unsigned long v)
{
	return (v >> SPW_IDX_SHIFT) & 0x1ff;
}

/*
 * The shadow table of the slot in the inline word @v, or NULL: live or
 * orphaned, it lives as long as the word names it. @dmap is PAGE_OFFSET,
 * which a loop may keep in a register.
 */
static __always_inline struct shadow_pte_table *
spw_table_at(unsigned long v, unsigned long dmap)
{
	unsigned long name = v >> SPW_NAME_SHIFT;

	return name ? (struct shadow_pte_table *)(dmap +
						  (name << SPW_TABLE_ALIGN_SHIFT)) : NULL;
}

/* spw_table_at() with the direct map's base, PAGE_OFFSET, as a constant. */
static __always_inline struct shadow_pte_table *spw_table(unsigned long v)
{
	return spw_table_at(v, PAGE_OFFSET);
}

/*
 * Lock a word; the caller has IRQs off. Returns its value, unlocked.
 * bit_spin_lock() stays out of line: inlining its first attempt made the
 * -Os pin paths 9 instructions longer per page (register pressure) and
 * unpin 3 longer.
 */
static __always_inline unsigned long spw_lock(unsigned long *w)
{
	bit_spin_lock(0, w);
	lock_map_acquire(&spte_word_map);
	return *w & ~SPW_LOCK;
}

/*
 * Store @v (unlocked) and drop the lock, in one release store; the rest
 * of __bit_spin_unlock(), whose store would clear only the lock bit.
 */
static __always_inline void spw_unlock(unsigned long *w, unsigned long v)
{
	lock_map_release(&spte_word_map);
	/* Release: what the lock protected is stored before it is free. */
	smp_store_release(w, v & ~SPW_LOCK);
	preempt_enable();
	__release(bitlock);
}

/*
 * A locked word, seen as a record: @p is the word's record (SPW_EXT), or
 * @local holding its decoded inline value, or NULL when the word is 0.
 */
struct spw_ref {
	unsigned long *w;
	unsigned long old;
	struct shadow_pte_record *p;
	struct shadow_pte_record local;
};

/* Decode the inline word @v into @p. */
static __always_inline void spw_decode(unsigned long v,
				       struct shadow_pte_record *p)
{
	p->t = spw_table(v);
	p->idx = spw_idx(v);
	p->ro = (v & SPW_RO_MASK) >> SPW_RO_SHIFT;
	p->rw = (v & SPW_RW_MASK) >> SPW_RW_SHIFT;
}

/* @r for the word @w, locked by the caller, whose value was @v. */
static __always_inline struct shadow_pte_record *spw_ref(struct spw_ref *r,
							 unsigned long *w,
							 unsigned long v)
{
	r->w = w;
	r->old = v;
	if (!v) {
		r->p = NULL;
	} else if (v & SPW_EXT) {
		r->p = (struct shadow_pte_record *)(v & ~(SPW_LOCK | SPW_EXT));
	} else {
		r->p = &r->local;
		spw_decode(v, &r->local);
	}
	return r->p;
}

/* Lock @w (IRQs off) and return its state as a record, or NULL. */
static __always_inline struct shadow_pte_record *spw_get(struct spw_ref *r,
							 unsigned long *w)
{
	return spw_ref(r, w, spw_lock(w));
}

/* A word for a locked word that was 0: its state starts as no pins. */
static __always_inline struct shadow_pte_record *spw_new(struct spw_ref *r)
{
	r->p = &r->local;
	r->local.t = NULL;
	r->local.idx = 0;
	r->local.ro = 0;
	r->local.rw = 0;
	return r->p;
}

/* The inline word for @p, or 0 if it does not fit in one. */
static __always_inline unsigned long spw_encode(const struct shadow_pte_record *p)
{
	unsigned long name = p->t ? spw_tname(p->t) : 0;

	if (p->ro > SHADOW_PTE_WORD_RO_LIMIT || p->rw > SHADOW_PTE_WORD_RW_LIMIT ||
	    WARN_ON_ONCE(p->t && (!name || name >> SPW_NAME_BITS)))
		return 0;
	return name << SPW_NAME_SHIFT | (unsigned long)p->rw << SPW_RW_SHIFT |
	       (unsigned long)p->ro << SPW_RO_SHIFT |
	       (unsigned long)p->idx << SPW_IDX_SHIFT;
}

/*
 * Store the state of @r back and unlock its word: 0 when no pin is left
 * (the caller detached it), inline when it fits, else in a record (the
 * word's own, or *@spare, which is then cleared). Return: a record the
 * word no longer uses, for spte_rec_put(), or NULL. A state that fits
 * nowhere (no spare: the caller's bug) keeps the old word and warns; its
 * pins stay counted (an over-count at worst).
 */
static __always_inline struct shadow_pte_record *
spw_put(struct spw_ref *r, struct shadow_pte_record **spare)
{
	struct shadow_pte_record *p = r->p, *gone = NULL;
	bool ext = r->old & SPW_EXT;
	unsigned long v = 0;

	if (!p) {
		spw_unlock(r->w, r->old);
		return NULL;
	}
	if (p->ro || p->rw) {
		v = spw_encode(p);
		if (v) {
			if (ext)
				gone = p;
		} else if (ext) {
			v = (unsigned long)p | SPW_EXT;
		} else if (!WARN_ON_ONCE(!spare || !*spare)) {
			**spare = *p;
			v = (unsigned long)*spare | SPW_EXT;
			*spare = NULL;
			this_cpu_inc(spte_nr_rec_objs);
			this_cpu_inc(spte_word_overflows);
		} else {
			v = r->old;
		}
	} else if (ext) {
		gone = p;
	}
	if (gone)
		this_cpu_dec(spte_nr_rec_objs);
	if (!r->old && v)
		this_cpu_inc(spte_nr_records);
	else if (r->old && !v)
		this_cpu_dec(spte_nr_records);
	spw_unlock(r->w, v);
	return gone;
}

/* Would one more pin of @p overflow its inline word? */
static __always_inline bool spw_needs_record(const struct spw_ref *r, bool write)
{
	return r->p == &r->local &&
	       (write ? r->local.rw >= SHADOW_PTE_WORD_RW_LIMIT :
			r->local.ro >= SHADOW_PTE_WORD_RO_LIMIT);
}

/*
 * Counts left in [@lo, @hi) of @t after the PTEs there were cleared or
 * moved and their folios' records detached. If no record is attached to
 * the table any more, they are saturated counts that nothing holds: reset
 * them. Otherwise they belong to records still attached (a GUP-fast walker
 * backing out, or a stale record: Documentation/mm/shadow_pte.rst), an
 * over-count, which goes when those records are unpinned or the table is
 * released.
 */
static void spte_settle(struct shadow_pte_table *t, unsigned int lo,
			unsigned int hi)
{
	unsigned int i;

	if (!spte_range_has_pins(t, lo, hi))
		return;
	/* Counts read before nrec; an attach raises nrec before a count. */
	smp_rmb();
	if (spte_nrec(t))
		return;
	for (i = lo; i < hi; i++)
		spte_reset_saturated(&t->ent[i]);
}

/*
 * Allocate the directory of pin word chunks, one entry per SPW_CHUNK page
 * frames up to max_possible_pfn (max_pfn where that is larger), at the
 * first counted pin; once (may sleep). It costs 8 bytes per 2 MiB of page
 * frames (4 KiB pages), so hot-pluggable memory is covered too; a page
 * frame above it (memory hot-added beyond what the firmware announced)
 * has no word, and counted pins of its pages fail with -ENOMEM (see
 * shadow_pte_gup_pin()). Publishing its size is what tells the unpin
 * hooks that pins may be counted.
 */
static int spte_words_alloc(void)
{
	unsigned long nc, npfn = max(max_pfn, max_possible_pfn);
	unsigned long **dir;
	int ret = 0;

	mutex_lock(&spte_hash_mutex);
	if (shadow_pte_word_chunks)
		goto out;
	/* Words name shadow tables, not page frames: any npfn fits. */
	if (WARN_ON_ONCE(!npfn)) {
		ret = -ENOMEM;
		goto out;
	}
	nc = DIV_ROUND_UP(npfn, SPW_CHUNK);
	dir = kvcalloc(nc, sizeof(*dir), GFP_KERNEL);
	if (!dir) {
		ret = -ENOMEM;
		goto out;
	}
	spte_word_dir = dir;
	pr_info("pin word chunks: %lu of %lu words, directory %lu bytes\n",
		nc, SPW_CHUNK, nc * sizeof(*dir));
	/* Pairs with the acquire in spte_pfn_chunk(): the directory is zeroed. */
	smp_store_release(&shadow_pte_word_chunks, nc);
out:
	mutex_unlock(&spte_hash_mutex);
	return ret;
}

/*
 * Allocate the hash of large folios' records, sized to RAM, at the first
 * pin of a large anonymous folio to be recorded; once (may sleep). The
 * pin words' directory comes first: its size is what the unpin hooks test
 * before they look for a record here.
 */
static int spte_hash_alloc(void)
{
	struct shadow_pte_bucket *h;
	unsigned long n;
	int ret;

	ret = spte_words_alloc();
	if (ret)
		return ret;
	mutex_lock(&spte_hash_mutex);
	if (spte_records)
		goto out;
	n = roundup_pow_of_two(max(totalram_pages() / SPTE_PAGES_PER_BUCKET, 1UL));
	n = clamp(n, SPTE_MIN_BUCKETS, SPTE_MAX_BUCKETS);
	h = kvcalloc(n, sizeof(*h), GFP_KERNEL);
	if (!h) {
		ret = -ENOMEM;
		goto out;
	}
	spte_hash_bits = ilog2(n);
	pr_info("pin record hash: %lu buckets, %lu bytes\n", n, n * sizeof(*h));
	/* The size before the pointer: see spte_bucket(). */
	smp_store_release(&spte_records, h);
out:
	mutex_unlock(&spte_hash_mutex);
	return ret;
}

/*
 * A zeroed chunk of pin words. kmemleak scans it and never reports it
 * (chunks are never freed once installed): a word that overflowed points
 * to its record (SPW_EXT), and nothing else does.
 */
static unsigned long *spte_chunk_new(gfp_t gfp)
{
	unsigned long *chunk = (unsigned long *)get_zeroed_page(gfp);

	if (chunk)
		kmemleak_alloc(chunk, PAGE_SIZE, 0, gfp);
	return chunk;
}

/* A chunk that no directory entry got: keep it as the spare, or free it. */
static void spte_chunk_spare(unsigned long *chunk)
{
	if (!cmpxchg(&spte_spare_chunk, NULL, chunk))
		return;
	kmemleak_free(chunk);
	free_page((unsigned long)chunk);
}

/* Keep a zeroed chunk for the next pin that needs one (may sleep). */
static int spte_spare_fill(void)
{
	unsigned long *chunk;

	if (READ_ONCE(spte_spare_chunk))
		return 0;
	if (spte_should_fail(&spte_fail_record))
		return -ENOMEM;
	chunk = spte_chunk_new(GFP_KERNEL);
	if (!chunk)
		return -ENOMEM;
	spte_chunk_spare(chunk);
	return 0;
}

/*
 * Allocate the chunk of page frame @pfn, which the directory covers (GUP
 * slow path: PTL held, no sleeping): the spare that
 * shadow_pte_prealloc_fill() keeps, else a GFP_NOWAIT page. Returns the
 * chunk, or NULL if none could be had: the caller returns -EAGAIN to
 * preallocate.
 */
static noinline unsigned long *spte_chunk_alloc(unsigned long pfn)
{
	unsigned long **slot = &spte_word_dir[pfn >> SPW_CHUNK_SHIFT];
	unsigned long *chunk, *old;

	chunk = xchg(&spte_spare_chunk, NULL);
	if (!chunk && !spte_should_fail(&spte_fail_record))
		chunk = spte_chunk_new(GFP_NOWAIT | __GFP_NOWARN);
	if (!chunk)
		return NULL;
	/* Pairs with READ_ONCE() in spte_dir_chunk(): the chunk is zeroed. */
	old = cmpxchg_release(slot, NULL, chunk);
	if (!old) {
		atomic_long_inc(&spte_chunks_used);
		return chunk;
	}
	/* Another pin installed one first: keep ours as the spare. */
	spte_chunk_spare(chunk);
	return old;
}

/**
 * shadow_pte_prealloc_fill - allocate what a pin or a PTE move may need
 * @pa: the preallocation; members already set are kept
 * @pin: also the pin words' directory, the first time, a zeroed page of
 *       pin words for a pin whose page frame has none yet, and a record
 *       for a pin that overflows its page's word
 *
 * Called without the PTL (GFP_KERNEL). Return: 0 or -ENOMEM.
 */
int shadow_pte_prealloc_fill(struct shadow_pte_prealloc *pa, bool pin)
{
	if (!pa->table)
		pa->table = shadow_pte_table_alloc(GFP_KERNEL);
	if (!pa->table)
		return -ENOMEM;
	if (!pin)
		return 0;
	if (unlikely(!READ_ONCE(shadow_pte_word_chunks)) && spte_words_alloc())
		return -ENOMEM;
	if (spte_spare_fill())
		return -ENOMEM;
	if (!pa->pin)
		pa->pin = spte_rec_alloc(GFP_KERNEL);
	return pa->pin ? 0 : -ENOMEM;
}

/**
 * shadow_pte_prealloc_free - free what a preallocation did not use
 * @pa: the preallocation
 */
void shadow_pte_prealloc_free(struct shadow_pte_prealloc *pa)
{
	/* The common case: every GUP slow-path page and mremap extent. */
	if (likely(!pa->table && !pa->pin))
		return;
	shadow_pte_table_free(pa->table);
	spte_rec_free(pa->pin);
	pa->table = NULL;
	pa->pin = NULL;
}

/**
 * shadow_pte_gup_pin - count a FOLL_PIN pin of @folio through PTE @idx
 * @pt: the PTE table's ptdesc; its PTL is held
 * @idx: the PTE's index
 * @folio: the folio it maps, already pinned by try_grab_folio()
 * @write: FOLL_WRITE
 * @pa: preallocation, used and cleared as needed
 *
 * The folio's pin word is attached to this slot if it is not already: a
 * word left attached to another slot (stale: "Locking" in
 * Documentation/mm/shadow_pte.rst) or detached is retargeted here, with
 * its counts moved.
 *
 * Return: 0; -EAGAIN if @pa lacks a table that is needed, or a record for
 * a pin that overflows the word and GFP_NOWAIT could not allocate one, or
 * the pin words do not exist yet (drop the PTL, shadow_pte_prealloc_fill(),
 * retry); -ENOMEM if the words do not cover the folio's page frame. On
 * error nothing was counted; the caller drops its pin.
 */
static noinline int spte_gup_pin_general(unsigned int idx,
					 struct shadow_pte_table *t,
					 unsigned long *w, bool write,
					 struct shadow_pte_prealloc *pa)
{
	struct shadow_pte_record *p, *gone;
	unsigned long flags;
	struct spw_ref r;

again:
	local_irq_save(flags);
	p = spw_get(&r, w) ?: spw_new(&r);
	if (spw_needs_record(&r, write) && !pa->pin) {
		/* Rare: the word is full; a record takes its pins. */
		spw_put(&r, NULL);
		local_irq_restore(flags);
		pa->pin = spte_rec_get_or_alloc();
		if (!pa->pin)
			return -EAGAIN;
		goto again;
	}
	if (p->t != t || p->idx != idx) {
		if (p->t)
			count_vm_event(SHADOW_PTE_RETARGET);
		spte_rec_detach(p);
		spte_rec_attach(p, t, idx);
	}
	spte_rec_pin(p, t, write);
	gone = spw_put(&r, &pa->pin);
	spte_rec_put(gone);
	local_irq_restore(flags);
	count_vm_event(SHADOW_PTE_PIN);
	return 0;
}

int shadow_pte_gup_pin(struct ptdesc *pt, unsigned int idx,
		       struct folio *folio, bool write,
		       struct shadow_pte_prealloc *pa)
{
	struct shadow_pte_table *t = shadow_pte_attach(pt, &pa->table);
	unsigned long pfn = folio_pfn(folio), n;
	unsigned long *chunk = spte_pfn_chunk(pfn, &n), *w;
	unsigned long v, nv, flags, slot;
	unsigned long one = write ? SPW_RW_ONE : SPW_RO_ONE;
	unsigned long mask = write ? SPW_RW_MASK : SPW_RO_MASK;
	unsigned long lim = write ? SPW_RW_LIM : SPW_RO_LIM;

	if (!t)
		return -EAGAIN;
	if (unlikely(!chunk)) {
		if (!n)
			return -EAGAIN;
		if (pfn >> SPW_CHUNK_SHIFT >= n) {
			WARN_ONCE(1, "shadow_pte: PFN %#lx is above the pin words (hot-added memory?): pin refused\n",
				  pfn);
			return -ENOMEM;
		}
		/* The first counted pin in this chunk of page frames. */
		chunk = spte_chunk_alloc(pfn);
		if (!chunk)
			return -EAGAIN;
	}
	w = spte_chunk_word(chunk, pfn);
	slot = spw_slot(t, idx);
	local_irq_save(flags);
	v = spw_lock(w);
	/* The usual cases: the folio's first pin, or one more here. */
	if (!v) {
		nv = slot | one;
		/* nrec before the count: see spte_rec_attach(). */
		atomic_inc(&t->nrec);
		this_cpu_inc(spte_nr_records);
	} else if (!(v & SPW_EXT) && (v & SPW_SLOT_MASK) == slot &&
		   (v & mask) < lim) {
		nv = v + one;
	} else {
		spw_unlock(w, v);
		local_irq_restore(flags);
		return spte_gup_pin_general(idx, t, w, write, pa);
	}
	spte_count_add1(&t->ent[idx], write);
	spw_unlock(w, nv);
	local_irq_restore(flags);
	count_vm_event(SHADOW_PTE_PIN);
	return 0;
}

/**
 * shadow_pte_gup_fast_pin - count a GUP-fast pin of @folio through @ptep
 * @ptep: the PTE GUP-fast read, IRQs off, no PTL
 * @pte: the value it read there
 * @pmdp: the PMD that points to the PTE table
 * @pmd: the value GUP-fast read there
 * @folio: the order-0 anon folio @pte maps, already pinned (refcount)
 * @write: FOLL_WRITE
 *
 * Counts only when the PTE table already has a shadow table and the
 * folio's pin word is 0 or attached to this PTE with room for one more
 * pin inline. The count is published, then the PMD, the PTE and the table
 * pointer are rechecked with the word still locked, and a change takes
 * back exactly this pin before the unlock. The caller's own recheck (for
 * the folio reference) came before.
 *
 * Return: 0 if counted; -EAGAIN if not (the caller drops its pin and leaves
 * the page to the slow path).
 */
static __always_inline int spte_gup_fast_pin(pte_t *ptep, pte_t pte, pmd_t *pmdp,
					     pmd_t pmd, struct folio *folio,
					     bool write)
{
	struct ptdesc *pt = shadow_pte_ptdesc(ptep);
	struct shadow_pte_table *t = ptdesc_shadow(pt);
	unsigned int idx = shadow_pte_slot(ptep), units;
	unsigned long pfn = folio_pfn(folio), n;
	unsigned long *chunk = spte_pfn_chunk(pfn, &n), *w;
	unsigned long v, nv, one = write ? SPW_RW_ONE : SPW_RO_ONE;
	unsigned long mask = write ? SPW_RW_MASK : SPW_RO_MASK;
	unsigned long lim = write ? SPW_RW_LIM : SPW_RO_LIM;

	lockdep_assert_irqs_disabled();
	/* No chunk yet: the slow path allocates it. */
	if (!t || !chunk)
		goto fallback;
	w = spte_chunk_word(chunk, pfn);
	v = spw_lock(w);
	if (!v) {
		/*
		 * The folio's first counted pin: nrec before the count. @t
		 * holds its PTE table's reference while this walker runs
		 * (spte_table_release()).
		 */
		atomic_inc(&t->nrec);
		nv = spw_slot(t, idx) | one;
	} else if (!(v & SPW_EXT) && (v & SPW_SLOT_MASK) == spw_slot(t, idx) &&
		   (v & mask) < lim) {
		nv = v + one;
	} else {
		/* Elsewhere, detached, full or in a record: the slow path. */
		spw_unlock(w, v);
		goto fallback;
	}
	units = spte_count_add1(&t->ent[idx], write);
	/* The word holds the pin from here; still locked. */
	WRITE_ONCE(*w, nv | SPW_LOCK);
	/*
	 * Publish, then recheck: pairs with the barrier between clearing a
	 * PTE and reading its counts in zap and mremap. A walker that sees
	 * the table pointer cleared backs out and drops its reference.
	 */
	smp_mb();
	if (likely(pmd_val(pmd) == pmd_val(pmdp_get_lockless(pmdp)) &&
		   pte_val(pte) == pte_val(ptep_get(ptep)) &&
		   READ_ONCE(pt->pt_shadow) == t)) {
		if (!v)
			this_cpu_inc(spte_nr_records);
		spw_unlock(w, nv);
		count_vm_event(SHADOW_PTE_GUP_FAST_PIN);
		return 0;
	}
	/* Something changed: take back exactly this pin. */
	if (units)
		spte_count_sub1(&t->ent[idx], write);
	if (!v)
		spte_table_put(t);
	spw_unlock(w, v);
fallback:
	count_vm_event(SHADOW_PTE_GUP_FAST_FALLBACK);
	return -EAGAIN;
}

/* One copy for each of R/O and R/W: their masks are constants. */
int shadow_pte_gup_fast_pin(pte_t *ptep, pte_t pte, pmd_t *pmdp, pmd_t pmd,
			    struct folio *folio, bool write)
{
	if (write)
		return spte_gup_fast_pin(ptep, pte, pmdp, pmd, folio, true);
	return spte_gup_fast_pin(ptep, pte, pmdp, pmd, folio, false);
}

/*
 * CONFIG_DEBUG_SHADOW_PTE: a pin record against its folio and its slot
 * (word lock held). Every counted pin holds GUP_PIN_COUNTING_BIAS
 * references; an attached record's entry, unless saturated, holds at least
 * the record's counts.
 */
static void spte_debug_check(const struct shadow_pte_record *p,
			     struct folio *folio, const char *where)
{
	struct shadow_pte_table *t;
	u32 v;

	if (!IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE))
		return;
	WARN_ONCE(folio_ref_count(folio) <
		  (int)(p->ro + p->rw) * GUP_PIN_COUNTING_BIAS,
		  "shadow_pte: %s: %u R/O + %u R/W pins counted, %d folio references\n",
		  where, p->ro, p->rw, folio_ref_count(folio));
	t = spte_rec_table(p);
	if (!t)
		return;
	v = atomic_read(&t->ent[p->idx]);
	WARN_ONCE((shadow_pte_ro(v) != SHADOW_PTE_COUNT_MAX && shadow_pte_ro(v) < p->ro) ||
		  (shadow_pte_rw(v) != SHADOW_PTE_COUNT_MAX && shadow_pte_rw(v) < p->rw) ||
		  !spte_nrec(t),
		  "shadow_pte: %s: slot %u holds %#x, record %u R/O %u R/W, %u records on the table\n",
		  where, p->idx, v, p->ro, p->rw, spte_nrec(t));
}

/*
 * CONFIG_DEBUG_SHADOW_PTE, fork copies a page because its entry says
 * pinned (PTLs held). If the folio's record is the one attached there, the
 * page must be exclusive and look pinned to the page-bit scheme too. An
 * entry held only by another folio's record is a legal over-count.
 */
void __shadow_pte_check_fork(pte_t *ptep, struct folio *folio,
			     struct page *page)
{
	unsigned long *w = spte_word(folio);
	struct ptdesc *pt = virt_to_ptdesc(ptep);
	struct shadow_pte_record *p;
	unsigned long flags;
	struct spw_ref r;

	if (!w)
		return;
	local_irq_save(flags);
	p = spw_get(&r, w);
	if (p && p->t && p->t == ptdesc_shadow(pt) && p->idx == shadow_pte_slot(ptep)) {
		spte_debug_check(p, folio, "fork");
		WARN_ONCE(!PageAnonExclusive(page) || !folio_maybe_dma_pinned(folio),
			  "shadow_pte: fork: slot %u says pinned (%u R/O %u R/W), page exclusive %d, maybe pinned %d\n",
			  p->idx, p->ro, p->rw, PageAnonExclusive(page),
			  folio_maybe_dma_pinned(folio));
	}
	spw_put(&r, NULL);
	local_irq_restore(flags);
}

/*
 * The rest of spte_unpin_word(), under the word's lock: any word. Returns
 * the number of pins taken out.
 */
static noinline int spte_unpin_general(struct folio *folio, unsigned long *w,
				       int refs)
{
	struct shadow_pte_record *p, *gone;
	struct shadow_pte_table *t;
	struct spw_ref r;
	int n = 0;

	p = spw_get(&r, w);
	if (!p)
		goto unlock;
	spte_debug_check(p, folio, "unpin");
	t = spte_rec_table(p);
	for (; refs > 0 && (p->ro || p->rw); refs--, n++)
		/* R/O first: see Documentation/mm/shadow_pte.rst. */
		spte_rec_unpin(p, t, !p->ro, 1);
	if (!p->ro && !p->rw)
		spte_rec_detach(p);
unlock:
	gone = spw_put(&r, NULL);
	spte_rec_put(gone);
	return n;
}

/*
 * The lock, record and count bits of the word @v: SPW_RO_ONE or SPW_RW_ONE
 * exactly when it holds one pin inline and is not locked, the word the
 * unpins take to 0 without its lock.
 */
static __always_inline unsigned long spw_form(unsigned long v)
{
	return v & (SPW_LOCK | SPW_EXT | SPW_RO_MASK | SPW_RW_MASK);
}

/* spte_count_sub1() out of line: a count that is saturated, or 0 (a bug). */
static noinline void spte_count_sub1_slow(atomic_t *e, bool write)
{
	spte_count_sub1(e, write);
}

/*
 * @page's word, which read @v, was just exchanged for 0 (IRQs are off): it
 * held one pin, R/W if @write, R/O if not. Take that pin off its entry
 * and the word's reference off its table. The caller counts the record
 * out (spte_nr_records). @dmap is PAGE_OFFSET, which a loop may keep in a
 * register. A count that is neither 0 nor saturated takes one
 * compare-and-exchange; any other goes out of line.
 */
static __always_inline void spte_unpin_one_at(struct page *page,
					      unsigned long v, bool write,
					      unsigned long dmap)
{
	u32 one = write ? BIT(SHADOW_PTE_RW_SHIFT) : BIT(SHADOW_PTE_RO_SHIFT);
	u32 mask = write ? SHADOW_PTE_RW_MASK : SHADOW_PTE_RO_MASK;
	struct shadow_pte_table *t;
	atomic_t *e;
	int old;

	if (IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE)) {
		struct shadow_pte_record dbg;

		spw_decode(v, &dbg);
		spte_debug_check(&dbg, page_folio(page), "unpin");
	}
	/* A detached word: no entry, no table. */
	if (!(v >> SPW_NAME_SHIFT))
		return;
	t = spw_table_at(v, dmap);
	e = &t->ent[spw_idx(v)];
	old = atomic_read(e);
	if (!(((u32)old & mask) - one < mask - one &&
	      atomic_try_cmpxchg(e, &old, old - one)))
		spte_count_sub1_slow(e, write);
	spte_table_put(t);
}

static __always_inline void spte_unpin_one(struct page *page,
					   unsigned long v, bool write)
{
	spte_unpin_one_at(page, v, write, PAGE_OFFSET);
}

/*
 * Take @refs pins of @page's folio out of its word @w, which read @v, not
 * 0 (IRQs are off). Returns the number of pins taken out.
 *
 * The common case, the folio's only pin in an inline word, takes no lock:
 * one compare-and-exchange takes the word from that pin to 0 (a locked
 * word fails it: its lock holder stores it back), and then the pin comes
 * off its entry and the word's reference off its table, as
 * spte_rec_unpin() and spte_rec_detach() would under the lock. Until then
 * the entry over-counts by this pin, which is safe, and what the word
 * referenced keeps the table: whoever reads the slot in between (zap,
 * mremap, fork) sees a word of 0 and a count that it leaves alone, since
 * spte_settle() sees the reference too.
 */
static __always_inline int spte_unpin_word(struct page *page,
					   unsigned long *w, unsigned long v,
					   int refs)
{
	unsigned long c;

	do {
		c = spw_form(v);
		if (unlikely(refs != 1 || (c != SPW_RO_ONE && c != SPW_RW_ONE)))
			return spte_unpin_general(page_folio(page), w, refs);
	} while (!try_cmpxchg(w, &v, 0));
	/* Constant masks for each kind. */
	if (c == SPW_RW_ONE)
		spte_unpin_one(page, v, true);
	else
		spte_unpin_one(page, v, false);
	this_cpu_dec(spte_nr_records);
	return 1;
}

/*
 * @refs FOLL_PIN references of a counted folio are dropped, from any
 * context. Pins the word does not know (none should exist) are ignored.
 */
void __shadow_pte_unpin_folio(struct folio *folio, int refs)
{
	unsigned long *w = spte_word(folio);
	unsigned long flags, v;
	int n;

	/*
	 * A word of 0 holds no pin of this folio: a counted pin was in its
	 * word before the pin was handed out.
	 */
	if (!w)
		return;
	v = READ_ONCE(*w);
	if (!(v & ~SPW_LOCK))
		return;
	local_irq_save(flags);
	n = spte_unpin_word(&folio->page, w, v, refs);
	local_irq_restore(flags);
	if (n)
		count_vm_events(SHADOW_PTE_UNPIN, n);
}

/*
 * An array entry that __shadow_pte_unpin_pages() did not take out of a
 * word: does its caller still have to pass its folio to
 * shadow_pte_unpin_large()?
 */
static noinline bool spte_unpin_pages_rest(struct page *page)
{
	return shadow_pte_tracks_large(page_folio(page));
}

/*
 * __shadow_pte_unpin_pages()'s bookkeeping, which only its out-of-line
 * cases update: kept in memory (its address is taken), so that the loop's
 * registers hold its pointers and bases.
 */
struct spte_unpin_batch {
	struct page * const *end;
	unsigned long other;
	long n;
	bool rest;
};

static noinline void spte_unpin_pages_other(struct spte_unpin_batch *b,
					    struct page *page, unsigned long *w,
					    unsigned long v)
{
	b->other++;
	if (v & ~SPW_LOCK)
		b->n += spte_unpin_word(page, w, v, 1);
	else
		b->rest |= spte_unpin_pages_rest(page);
}

/* IRQs stay off for at most this many entries of __shadow_pte_unpin_pages(). */
#define SPTE_UNPIN_BATCH	32

/**
 * __shadow_pte_unpin_pages - uncount the order-0 pins of an array of pages
 * @pages: the pages, one pin each; NULL entries are skipped
 * @npages: the number of entries
 *
 * unpin_user_pages(): the pins of the order-0 anonymous folios in @pages
 * are about to be dropped: take them out of their words and entries in
 * one pass, before any of the folios' pin counts is lowered, as
 * __shadow_pte_unpin_folio() would one by one. IRQs go off and the
 * per-CPU record counter changes once per SPTE_UNPIN_BATCH entries, the
 * vm event is counted once; the per-page work is spte_unpin_word()'s, as
 * for one folio, with its usual case inline.
 *
 * The page's word is read without looking at its folio: a word that is
 * not 0 holds pins counted on an order-0 anonymous folio (no other folio
 * is counted in a word), pins that are still held, so the folio can
 * neither be freed nor change; any other page's word is 0.
 *
 * Return: true if a page of a large anonymous folio is among them: the
 * caller passes each folio to shadow_pte_unpin_large() then, and need not
 * otherwise.
 */
bool __shadow_pte_unpin_pages(struct page * const *pages, unsigned long npages)
{
	/* Pairs with the release in spte_words_alloc(): the directory is set. */
	unsigned long nc = smp_load_acquire(&shadow_pte_word_chunks);
	struct spte_unpin_batch b = { .end = pages + npages };
	struct page * const *p, * const *bend;
	unsigned long **dir = spte_word_dir;
	unsigned long flags, pfn, *chunk, *w, v, c, dmap = PAGE_OFFSET;
	long fast;
#ifdef CONFIG_SPARSEMEM_VMEMMAP
	struct page *vmem = vmemmap;

	/* The loop's constants stay in registers, not rebuilt per page. */
	OPTIMIZER_HIDE_VAR(vmem);
#endif
	OPTIMIZER_HIDE_VAR(dmap);

	if (!nc)
		return false;
	for (p = pages; p < b.end; p = bend) {
		bend = b.end - p > SPTE_UNPIN_BATCH ? p + SPTE_UNPIN_BATCH : b.end;
		fast = bend - p;
		b.other = 0;
		local_irq_save(flags);
		do {
			struct page *page = *p;

			if (unlikely(!page)) {
				b.other++;
				continue;
			}
#ifdef CONFIG_SPARSEMEM_VMEMMAP
			pfn = page - vmem;
#else
			pfn = page_to_pfn(page);
#endif
			c = pfn >> SPW_CHUNK_SHIFT;
			chunk = likely(c < nc) ? READ_ONCE(dir[c]) : NULL;
			if (unlikely(!chunk)) {
				spte_unpin_pages_other(&b, page, NULL, 0);
				continue;
			}
			w = spte_chunk_word(chunk, pfn);
			/* Unlocked, as in __shadow_pte_unpin_folio(). */
			v = READ_ONCE(*w);
			/*
			 * spte_unpin_word()'s lock-free case, one compare per
			 * kind. A failed exchange left the word's new value in
			 * @v.
			 */
			c = spw_form(v);
			if (likely(c == SPW_RW_ONE) && try_cmpxchg(w, &v, 0)) {
				spte_unpin_one_at(page, v, true, dmap);
				continue;
			}
			if (c == SPW_RO_ONE && try_cmpxchg(w, &v, 0)) {
				spte_unpin_one_at(page, v, false, dmap);
				continue;
			}
			spte_unpin_pages_other(&b, page, w, v);
		} while (++p < bend);
		/* The records this batch took out without spte_unpin_word(). */
		fast -= b.other;
		this_cpu_sub(spte_nr_records, fast);
		local_irq_restore(flags);
		b.n += fast;
	}
	if (b.n)
		count_vm_events(SHADOW_PTE_UNPIN, b.n);
	return b.rest;
}

/*
 * folio_add_pin(): one more pin on an already pinned folio, without a PTE
 * walk (legacy direct I/O, fs/direct-io.c, for each further segment of a
 * page). If its pins are counted, count this one with them, so the word
 * stays equal to the folio's pins and its unpin finds it.
 *
 * folio_add_pin() cannot fail. If the word is full and no record can be
 * had, this pin stays out of the word, and the unpins of the counted ones
 * would take the entry to 0 while it is still held: saturate the entry's
 * R/W count instead, which reads pinned, moves with the PTE on mremap
 * (spte_carry_saturated()), and goes when a zap finds no record attached
 * to its table (spte_settle()). Fork copies the page until then; nothing
 * is under-counted. A detached word has no entry to keep: its page is
 * mapped nowhere it could be counted again.
 */
void __shadow_pte_add_pin(struct folio *folio)
{
	struct shadow_pte_record *p, *spare = NULL, *gone = NULL;
	struct shadow_pte_table *t;
	unsigned long *w = spte_word(folio);
	unsigned long flags;
	struct spw_ref r;

	if (!w || !(READ_ONCE(*w) & ~SPW_LOCK))
		return;
	/* In case the word is full. */
	spare = spte_rec_get_or_alloc();
	local_irq_save(flags);
	p = spw_get(&r, w);
	if (p) {
		t = spte_rec_table(p);
		/* Counted as R/W: an over-stated R/W count is the safe side. */
		if (spare || !spw_needs_record(&r, true))
			spte_rec_pin(p, t, true);
		else if (t)
			spte_count_apply(&t->ent[p->idx], true, SHADOW_PTE_COUNT_MAX);
	}
	gone = spw_put(&r, &spare);
	spte_rec_put(gone);
	spte_rec_put(spare);
	local_irq_restore(flags);
}

/*
 * Large anonymous folios ("Large folios" in Documentation/mm/shadow_pte.rst).
 * A folio whose pins are recorded has one record (SPTE_KEY_LARGE) with a
 * count per subpage and their sum. The invariant, for every subpage P:
 *
 *	recorded(P) <= pins(P)
 *
 * held by recording a pin only after it is taken, and only once (when GUP
 * returns it: gup_fast() for its fast part, __gup_longterm_locked()
 * for the rest), lowering a count before the pin is dropped, and forgetting
 * every count of the folio when an unpin cannot say which subpage it drops.
 * So sum <= _pincount always (the debug kernel checks it), and when they
 * are equal every count is exact: fork may then share the subpages without
 * a recorded pin. A pin that could not be recorded, folio_add_pin(), or a
 * forgotten count leaves the sum short: fork makes the page-bit decision
 * for the folio until those pins are gone.
 */

/* CONFIG_DEBUG_SHADOW_PTE: the records of @folio against its _pincount. */
static void spte_large_check(const struct shadow_pte_record *p,
			     struct folio *folio, int pins, const char *where)
{
	unsigned int i, sum = 0;

	if (!IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE))
		return;
	for (i = 0; i < p->nr; i++)
		sum += p->sub[i];
	WARN_ONCE(sum != p->sum || p->sum > pins || p->nr != folio_nr_pages(folio),
		  "shadow_pte: %s: large folio records sum %u (counted %u) over %u subpages, _pincount %d, %ld pages\n",
		  where, p->sum, sum, p->nr, pins, folio_nr_pages(folio));
}

/* Free a large folio's record, unlinked; IRQs off (unpin may be in hardirq). */
static void spte_large_put(struct shadow_pte_record *p)
{
	kfree(p->sub);
	spte_rec_put(p);
}

/* Record @n pins of @folio, on the pages at @pages (process context). */
static void spte_large_record(struct folio *folio, struct page **pages, long n,
			      bool can_sleep)
{
	gfp_t gfp = (can_sleep ? GFP_KERNEL : GFP_NOWAIT) | __GFP_NOWARN;
	struct folio *key = spte_large_key(folio);
	struct shadow_pte_record *p, *fresh = NULL;
	struct shadow_pte_bucket *b;
	unsigned long flags, idx;
	u32 *sub = NULL;
	long i, done = 0;

	if (unlikely(!READ_ONCE(spte_records)) &&
	    (!can_sleep || spte_hash_alloc()))
		goto out;
	b = spte_bucket(folio);
	spte_lock_irqsave(b, flags);
	p = spte_find(b, key, NULL);
	if (!p) {
		spte_unlock_irqrestore(b, flags);
		fresh = spte_rec_alloc(gfp);
		sub = kcalloc(folio_nr_pages(folio), sizeof(*sub), gfp);
		if (!fresh || !sub)
			goto out;
		spte_lock_irqsave(b, flags);
		p = spte_find(b, key, NULL);
		if (!p) {
			p = fresh;
			fresh = NULL;
			spte_link(b, p, key);
			p->sub = sub;
			sub = NULL;
			p->sum = 0;
			p->nr = folio_nr_pages(folio);
		}
	}
	for (i = 0; i < n; i++) {
		idx = folio_page_idx(folio, pages[i]);
		/* A page outside the folio: leave that pin unrecorded (safe). */
		if (WARN_ON_ONCE(idx >= p->nr))
			continue;
		p->sub[idx]++;
		p->sum++;
		done++;
	}
	spte_large_check(p, folio, atomic_read(&folio->_pincount), "pin");
	spte_unlock_irqrestore(b, flags);
out:
	spte_rec_free(fresh);
	kfree(sub);
	if (done)
		count_vm_events(SHADOW_PTE_LARGE_PIN, done);
	if (n - done)
		count_vm_events(SHADOW_PTE_LARGE_UNRECORDED, n - done);
}

/* GUP-fast pinned a large folio in this CPU's current IRQs-off walk. */
DEFINE_PER_CPU(bool, shadow_pte_fast_large);

/*
 * GUP returns @nr pages it pinned: record the pins of large anonymous
 * folios, one bucket lock per run of pages of the same folio. Order-0
 * folios were counted in their entries already.
 */
void __shadow_pte_gup_done(struct page **pages, long nr, bool can_sleep)
{
	struct folio *folio;
	long i, j;

	for (i = 0; i < nr; i = j) {
		folio = page_folio(pages[i]);
		j = i + 1;
		if (likely(!folio_test_large(folio)))
			continue;
		while (j < nr && page_folio(pages[j]) == folio)
			j++;
		if (shadow_pte_tracks_large(folio))
			spte_large_record(folio, pages + i, j - i, can_sleep);
	}
}

/*
 * @refs pins of a large anonymous folio are about to be dropped from its
 * _pincount, from any context. Lower the counts of the pages named by
 * @pages or @page (a count already at 0 stays: that pin was not recorded);
 * if no page is named, or one is not in the folio, forget the folio's
 * counts. Either way recorded(P) <= pins(P) still holds once the pins are
 * gone.
 */
void __shadow_pte_unpin_large(struct folio *folio, struct page * const *pages,
			      struct page *page, int refs)
{
	struct shadow_pte_bucket *b = spte_bucket(folio);
	struct shadow_pte_record *p, *prev, *gone = NULL;
	unsigned long flags, idx;
	bool forget = false;
	int i, n = 0;

	if (!b || !(READ_ONCE(b->first) & ~SPTE_LOCKED))
		return;
	spte_lock_irqsave(b, flags);
	p = spte_find(b, spte_large_key(folio), &prev);
	if (!p)
		goto unlock;
	spte_large_check(p, folio, atomic_read(&folio->_pincount), "unpin");
	forget = !pages && !page;
	for (i = 0; !forget && i < refs; i++) {
		idx = folio_page_idx(folio, pages ? pages[i] : nth_page(page, i));
		if (idx >= p->nr) {
			forget = true;
			break;
		}
		if (p->sub[idx]) {
			p->sub[idx]--;
			p->sum--;
			n++;
		}
	}
	if (forget)
		p->sum = 0;
	if (!p->sum) {
		spte_unlink(b, p, prev);
		gone = p;
	}
unlock:
	spte_unlock(b);
	if (gone)
		spte_large_put(gone);
	local_irq_restore(flags);
	if (!p)
		return;
	/* The counts are lower before the caller lowers _pincount. */
	smp_mb();
	if (n)
		count_vm_events(SHADOW_PTE_LARGE_UNPIN, n);
	if (forget)
		count_vm_event(SHADOW_PTE_LARGE_FORGET);
}

/*
 * fork, PTLs held, for @nr PTEs that map the subpages of @folio from @page,
 * a folio that may be pinned: how many of those subpages, from @page on,
 * hold no pin, if the folio's records are complete; -1 if they are not
 * (the caller makes the page-bit decision).
 *
 * Why one read of _pincount before the records suffices: a FOLL_PIN pin of
 * an anonymous page needs the page to be exclusive (GUP unshares it
 * otherwise), and in 6.12 only the process that faulted a large folio in
 * can map its subpages exclusively (do_wp_page() never reuses a subpage of
 * a large folio). So every pin of @folio is taken through this mm, whose
 * GUP slow path fork excludes with mmap_lock, and whose GUP-fast pins that
 * race with fork are backed out before they are recorded (write_protect_seq).
 * While fork runs, pins of @folio can only go, and recorded(P) <= pins(P)
 * holds at every moment; if the sum read under the bucket lock equals the
 * _pincount read before it, each count equals the pins its subpage had
 * then, and a subpage without a count has no pin now.
 */
int __shadow_pte_fork_unpinned(struct folio *folio, struct page *page, int nr)
{
	struct shadow_pte_bucket *b = spte_bucket(folio);
	struct shadow_pte_record *p;
	unsigned long flags, idx;
	int pins, n = -1;

	if (!b)
		goto out;
	pins = atomic_read(&folio->_pincount);
	/* _pincount before the counts: pairs with __shadow_pte_unpin_large(). */
	smp_rmb();
	spte_lock_irqsave(b, flags);
	p = spte_find(b, spte_large_key(folio), NULL);
	if (p) {
		spte_large_check(p, folio, pins, "fork");
		if (p->sum == pins) {
			idx = folio_page_idx(folio, page);
			for (n = 0; n < nr && idx + n < p->nr && !p->sub[idx + n]; n++)
				;
		}
	}
	spte_unlock_irqrestore(b, flags);
out:
	if (n < 0)
		count_vm_event(SHADOW_PTE_LARGE_IMPRECISE);
	return n;
}

/* Add (@add) or remove the counts of the inline word @v to or from @e. */
static __always_inline void spw_apply(atomic_t *e, unsigned long v, bool add)
{
	unsigned long c = v & (SPW_RO_MASK | SPW_RW_MASK);
	long ro = (v & SPW_RO_MASK) >> SPW_RO_SHIFT;
	long rw = (v & SPW_RW_MASK) >> SPW_RW_SHIFT;

	/* The usual case: one pin. */
	if (c == SPW_RO_ONE || c == SPW_RW_ONE) {
		if (add)
			spte_count_add1(e, c == SPW_RW_ONE);
		else
			spte_count_sub1(e, c == SPW_RW_ONE);
		return;
	}
	if (ro)
		spte_count_apply(e, false, add ? ro : -ro);
	if (rw)
		spte_count_apply(e, true, add ? rw : -rw);
}

/*
 * spte_detach_word() or spte_move_word() for a word that points to a
 * record (rare): detach the record from a slot in [@lo, @hi) of @t, and
 * attach it to slot @nidx of @nt if that is set.
 */
static noinline void spte_detach_record(unsigned long *w, unsigned long v,
					struct shadow_pte_table *t,
					unsigned int lo, unsigned int hi,
					struct shadow_pte_table *nt,
					unsigned int nidx)
{
	struct shadow_pte_record *p, *gone;
	struct spw_ref r;

	p = spw_ref(&r, w, v);
	if (p->t == t && p->idx >= lo && p->idx < hi) {
		spte_rec_detach(p);
		if (nt)
			spte_rec_attach(p, nt, nidx);
		else
			count_vm_event(SHADOW_PTE_PIN_DETACH);
	}
	gone = spw_put(&r, NULL);
	spte_rec_put(gone);
}

/*
 * zap: detach the pin word @w if it is attached to a slot in [@lo, @hi)
 * of the shadow table @t (the zapped table, or the source of its back
 * reference, which may be an orphan): the record primitives' deltas, on
 * the word itself. The counts do not change, so the word's form does not
 * either.
 */
static __always_inline void spte_detach_word(unsigned long *w,
					     struct shadow_pte_table *t,
					     unsigned int lo, unsigned int hi)
{
	unsigned long flags, v, nv;
	unsigned int idx;

	local_irq_save(flags);
	v = spw_lock(w);
	if (unlikely(v & SPW_EXT)) {
		spte_detach_record(w, v, t, lo, hi, NULL, 0);
		local_irq_restore(flags);
		return;
	}
	idx = spw_idx(v);
	nv = v;
	if (v && v >> SPW_NAME_SHIFT == spw_tname(t) && idx >= lo && idx < hi) {
		/* spte_rec_detach(): the counts, then nrec. */
		spw_apply(&t->ent[idx], v, false);
		spte_table_put(t);
		nv = v & ~SPW_SLOT_MASK;
		count_vm_event(SHADOW_PTE_PIN_DETACH);
	}
	spw_unlock(w, nv);
	local_irq_restore(flags);
}

/*
 * zap: detach @folio's pin word from [@lo, @hi) of @t, or, where an entry
 * has SHADOW_PTE_BACK (@back), from the slot its back reference names.
 */
static void spte_detach_folio(struct shadow_pte_table *t, unsigned int lo,
			      unsigned int hi, struct folio *folio, bool back)
{
	struct shadow_pte_back *b;
	unsigned long *w;
	unsigned int i;

	if (!folio || !shadow_pte_tracks(folio))
		return;
	w = spte_word(folio);
	if (!w)
		return;
	spte_detach_word(w, t, lo, hi);
	for (i = lo; back && i < hi; i++) {
		if (!(atomic_read(&t->ent[i]) & SHADOW_PTE_BACK))
			continue;
		b = spte_back_of(t, i);
		if (b)
			spte_detach_word(w, b->src, i + b->delta, i + b->delta + 1);
	}
}

/*
 * zap: @nr PTEs from index @idx of @pt, which mapped @folio, were cleared
 * (PTL held). Their special bits go; pins they held stay with the folio's
 * record, detached, until they are unpinned.
 */
void __shadow_pte_zap(struct ptdesc *pt, unsigned int idx, unsigned int nr,
		      struct folio *folio)
{
	struct shadow_pte_table *t = pt->pt_shadow;
	unsigned int i, end = min_t(unsigned int, idx + nr, PTRS_PER_PTE);
	bool back = false;
	u32 e;

	for (i = idx; i < end; i++) {
		e = atomic_read(&t->ent[i]);
		if (unlikely(e & (SHADOW_PTE_SPECIAL | SHADOW_PTE_BACK))) {
			if (e & SHADOW_PTE_SPECIAL)
				atomic_andnot(SHADOW_PTE_SPECIAL, &t->ent[i]);
			back |= e & SHADOW_PTE_BACK;
		}
	}
	/* The PTEs are clear before the counts are read (shadow_pte.rst). */
	smp_mb();
	if (likely(!back && !spte_range_has_pins(t, idx, end)))
		return;
	spte_detach_folio(t, idx, end, folio, back);
	if (back)
		spte_back_clear(t, idx, end);
	spte_settle(t, idx, end);
}

/* mremap: the destination table gets a shadow table if it has none. */
int __shadow_pte_move_prepare(struct ptdesc *new_pt,
			      struct shadow_pte_prealloc *pa)
{
	return shadow_pte_attach(new_pt, &pa->table) ? 0 : -EAGAIN;
}

/*
 * What __shadow_pte_move_range() moves, for its per-PTE step. Computed
 * once per batch: the old table's name and the new batch's first slot as
 * a word holds them, and the pin word directory. @nt's references are
 * taken ahead (@held of them, not yet used; @ahead at the next take) and
 * @ot's given back after (@odrop), with an atomic or two per batch: see
 * spte_move_word().
 */
struct spte_move {
	struct shadow_pte_table *ot, *nt;
	pte_t *new_ptep;
	unsigned int oidx, nidx;
	unsigned long oname, nslot;
	unsigned long **dir;
	unsigned long nc;
	unsigned int nr, ahead, held, odrop;
};

/* Give back what @m holds of @ot's and @nt's references. */
static void spte_move_settle_refs(struct spte_move *m)
{
	if (m->odrop)
		atomic_sub(m->odrop, &m->ot->nrec);
	if (m->held)
		atomic_sub(m->held, &m->nt->nrec);
	m->odrop = 0;
	m->held = 0;
}

/*
 * mremap: retarget the pin word @w from slot @o of @m->ot to slot @n of
 * @m->nt if it is attached there (both PTLs held, IRQs off): the counts
 * move from entry to entry under the word's lock, as spte_rec_detach() and
 * spte_rec_attach() would move them. The tables' nrec are batched: @nt
 * takes references ahead when it has none left, one at the batch's first
 * retarget, the batch's size at a second, so the word's reference is held
 * before its counts arrive, and what is not used goes back after the
 * batch; @ot's references go after the batch, after the counts. Neither
 * table can be freed in between: both are live (their PTE tables'
 * references) while their PTLs are held, and what reads a count of
 * references under the PTL (spte_settle()) runs on @ot only after
 * spte_move_settle_refs().
 */
static __always_inline void spte_move_word(struct spte_move *m,
					   unsigned long *w, unsigned int o,
					   unsigned int n)
{
	unsigned long v;

	v = spw_lock(w);
	if (unlikely(v & SPW_EXT)) {
		spte_detach_record(w, v, m->ot, o, o + 1, m->nt, n);
		return;
	}
	/* A name is never 0 (spte_table_nameable()): a word of 0 differs. */
	if ((v & SPW_SLOT_MASK) == (m->oname | (unsigned long)o << SPW_IDX_SHIFT)) {
		if (unlikely(!m->held)) {
			/* One first: a batch often retargets a single word. */
			m->held = m->ahead;
			m->ahead = m->nr;
			atomic_add(m->held, &m->nt->nrec);
		}
		spw_apply(&m->ot->ent[o], v, false);
		spw_apply(&m->nt->ent[n], v, true);
		v = (v & ~SPW_SLOT_MASK) | (m->nslot +
					    ((unsigned long)(n - m->nidx) << SPW_IDX_SHIFT));
		m->held--;
		m->odrop++;
	}
	spw_unlock(w, v);
}

/*
 * A saturated count moves with its PTE: it may stand for pins that no word
 * or record holds (__shadow_pte_add_pin() without a record), which the
 * word's retarget cannot carry. The count at @to saturates as well: an
 * over-count, which zap or a later move settles.
 */
static void spte_carry_saturated(atomic_t *from, atomic_t *to)
{
	u32 e = atomic_read(from);

	if (shadow_pte_ro(e) == SHADOW_PTE_COUNT_MAX)
		spte_count_apply(to, false, SHADOW_PTE_COUNT_MAX);
	if (shadow_pte_rw(e) == SHADOW_PTE_COUNT_MAX)
		spte_count_apply(to, true, SHADOW_PTE_COUNT_MAX);
}

/*
 * spte_move_word() for a word that may name @src's slot @si, where the
 * back reference of the moving PTE's entry points: retarget it from there
 * to slot @n of @m->nt. @src keeps the back reference's own reference
 * until the caller clears the bit, so dropping the word's cannot free it.
 */
static noinline void spte_move_word_back(struct spte_move *m, unsigned long *w,
					 struct shadow_pte_table *src,
					 unsigned int si, unsigned int n)
{
	unsigned long v = spw_lock(w);

	if (unlikely(v & SPW_EXT)) {
		spte_detach_record(w, v, src, si, si + 1, m->nt, n);
		return;
	}
	if (v && (v & SPW_SLOT_MASK) == spw_slot(src, si)) {
		/* nrec before the counts, as spte_rec_attach(). */
		atomic_inc(&m->nt->nrec);
		spw_apply(&src->ent[si], v, false);
		spw_apply(&m->nt->ent[n], v, true);
		v = (v & ~SPW_SLOT_MASK) | spw_slot(m->nt, n);
		spw_unlock(w, v);
		spte_table_put(src);
		return;
	}
	spw_unlock(w, v);
}

static __always_inline void spte_move_one(struct spte_move *m, unsigned int i,
					  u32 e);

/*
 * The page frame of a moved PTE that may carry pins: a present PTE's, or
 * that of a device-exclusive entry, which make_device_exclusive_range()
 * put in place of a present PTE whose pins stay counted at its slot.
 */
static __always_inline bool spte_moved_pfn(pte_t pte, unsigned long *pfn)
{
	swp_entry_t entry;

	if (likely(pte_present(pte))) {
		*pfn = pte_pfn(pte);
		return true;
	}
	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE) || !is_swap_pte(pte))
		return false;
	entry = pte_to_swp_entry(pte);
	if (!is_device_exclusive_entry(entry))
		return false;
	*pfn = swp_offset_pfn(entry);
	return true;
}

/*
 * spte_move_one() for an entry with SHADOW_PTE_BACK (a PTE that an earlier
 * mremap moved here): the page's word names this slot or the back
 * reference's source. Take it over to the new slot from either, and drop
 * the bit: the new slot counts the page's pins itself, with no back
 * reference to follow.
 */
static noinline void spte_move_back(struct spte_move *m, unsigned int i, u32 e)
{
	unsigned int o = m->oidx + i, n = m->nidx + i;
	pte_t pte = ptep_get(&m->new_ptep[i]);
	struct shadow_pte_back *b = spte_back_of(m->ot, o);
	unsigned long pfn, *chunk;

	if (b && spte_moved_pfn(pte, &pfn)) {
		chunk = spte_dir_chunk(m->dir, m->nc, pfn);
		if (chunk)
			spte_move_word_back(m, spte_chunk_word(chunk, pfn),
					    b->src, o + b->delta, n);
	}
	spte_back_clear(m->ot, o, o + 1);
	spte_move_one(m, i, e & ~SHADOW_PTE_BACK);
}

/*
 * PTE @i of a move, whose old entry @e was not 0. A PTE that was
 * none left none behind it and moved nothing. The special bit moves with
 * the PTE; a pin word attached to the old slot is retargeted with its
 * counts. The word is found from the page frame: one that holds no
 * order-0 anonymous folio has a word of 0, and a word on another slot is
 * left alone.
 */
static __always_inline void spte_move_one(struct spte_move *m, unsigned int i,
					  u32 e)
{
	unsigned int o = m->oidx + i, n = m->nidx + i;
	pte_t pte = ptep_get(&m->new_ptep[i]);
	unsigned long pfn, *chunk;

	if (unlikely(e & SHADOW_PTE_BACK)) {
		spte_move_back(m, i, e);
		return;
	}
	if (pte_none(pte))
		return;
	if (unlikely(shadow_pte_special(e))) {
		atomic_andnot(SHADOW_PTE_SPECIAL, &m->ot->ent[o]);
		atomic_or(SHADOW_PTE_SPECIAL, &m->nt->ent[n]);
	}
	if (!shadow_pte_pinned(e) || !spte_moved_pfn(pte, &pfn))
		return;
	chunk = spte_dir_chunk(m->dir, m->nc, pfn);
	if (chunk)
		spte_move_word(m, spte_chunk_word(chunk, pfn), o, n);
	/* Counts left at the old slot: as for zap, a saturated one moves. */
	if (unlikely(shadow_pte_pinned(atomic_read(&m->ot->ent[o])))) {
		spte_carry_saturated(&m->ot->ent[o], &m->nt->ent[n]);
		/* spte_settle() reads @ot's references: give back the batch's. */
		spte_move_settle_refs(m);
		spte_settle(m->ot, o, o + 1);
	}
}

/* The index of the first non-zero entry of @ent[@i .. @nr), or @nr. */
static noinline unsigned int spte_next_set(const atomic_t *ent, unsigned int i,
					   unsigned int nr)
{
	while (i < nr && !atomic_read(&ent[i]))
		i++;
	return i;
}

/*
 * An entry *@p (@e) of a back-referenced batch that is not counts only,
 * out of line: a run of zeros, skipped, or spte_move_one() with IRQs off
 * for its words. Counts those entries in *@other and returns the last.
 */
static noinline atomic_t *spte_move_other(struct spte_move *m, atomic_t *p,
					  u32 e, unsigned int *other)
{
	atomic_t *ent = &m->ot->ent[m->oidx];
	unsigned int i = p - ent, j;
	unsigned long flags;

	if (!e) {
		j = spte_next_set(ent, i + 1, m->nr);
		*other += j - i;
		return &ent[j - 1];
	}
	(*other)++;
	local_irq_save(flags);
	spte_move_one(m, i, e);
	local_irq_restore(flags);
	return p;
}

/* IRQs stay off for at most this many entries of __shadow_pte_move_range(). */
#define SPTE_MOVE_IRQ_BATCH	32

/*
 * mremap move_ptes(): @nr PTEs from entry @oidx of @old_pt moved to entry
 * @nidx of @new_pt, where they now are @new_ptep[0 .. @nr) (both PTLs
 * held; __shadow_pte_move_prepare() gave @new_pt a shadow table; the old
 * PTEs are clear, with a full barrier since: shadow_pte_move_range()).
 * Only the entries that read non-zero have anything to move.
 */
void __shadow_pte_move_range(struct ptdesc *old_pt, unsigned int oidx,
			     struct ptdesc *new_pt, unsigned int nidx,
			     pte_t *new_ptep, unsigned int nr)
{
	struct spte_move m = {
		.ot = old_pt->pt_shadow, .nt = new_pt->pt_shadow,
		.new_ptep = new_ptep, .oidx = oidx, .nidx = nidx, .nr = nr,
		.ahead = 1,
	};
	atomic_t *ent = &m.ot->ent[oidx];
	struct shadow_pte_back *b;
	unsigned int i, done = 0;
	unsigned long flags;
	u32 e;

	if (WARN_ON_ONCE(oidx + nr > PTRS_PER_PTE || nidx + nr > PTRS_PER_PTE))
		return;
	if (WARN_ON_ONCE(!m.nt)) {
		/*
		 * __shadow_pte_move_prepare() failed to run: nothing can count
		 * at the new place. Leave the pins on the old slots (an
		 * over-count), but no special bit for a later PTE there.
		 */
		for (i = 0; i < nr; i++)
			atomic_andnot(SHADOW_PTE_SPECIAL, &ent[i]);
		return;
	}
	i = spte_next_set(ent, 0, nr);
	if (i == nr)
		return;
	m.oname = spw_tname(m.ot) << SPW_NAME_SHIFT;
	m.nslot = spw_slot(m.nt, nidx);
	/* Pairs with the release in spte_words_alloc(): the directory is set. */
	m.nc = smp_load_acquire(&shadow_pte_word_chunks);
	m.dir = spte_word_dir;
	b = spte_back_claim(m.nt, m.ot, nidx + i, nidx + nr, (int)oidx - (int)nidx);
	if (likely(b)) {
		/* The new entry of old entry *@p is at @p + @d bytes. */
		unsigned long d = (unsigned long)&m.nt->ent[nidx] - (unsigned long)ent;
		atomic_t *p = &ent[i], *end = &ent[nr];
		unsigned int other = i;

		/*
		 * The usual entry holds counts and nothing else: leave them
		 * where the page's word names them, and mark the new entry.
		 * Anything else (0, the special bit, a back reference of its
		 * own) takes spte_move_one(), with IRQs off for its words.
		 */
		do {
			e = atomic_read(p);
			if (unlikely(e - 1 >= SHADOW_PTE_SPECIAL - 1)) {
				p = spte_move_other(&m, p, e, &other);
				continue;
			}
			atomic_or(SHADOW_PTE_BACK, (atomic_t *)((unsigned long)p + d));
		} while (++p < end);
		b->nback = nr - other;
		this_cpu_add(spte_back_entries, b->nback);
		if (!b->nback)
			spte_back_put(b);
		spte_move_settle_refs(&m);
		return;
	}
	/*
	 * Where most entries are 0, look for the next one in a leaf loop;
	 * where they are not, go on inline. An entry that went to 0 since
	 * (a GUP-fast walker backing out) moves nothing. The words are locked
	 * with IRQs off (unpin may come from hardirq): off for the batch, let
	 * in every SPTE_MOVE_IRQ_BATCH entries, rather than once per word.
	 */
	local_irq_save(flags);
	for (; i < nr; i++) {
		e = atomic_read(&ent[i]);
		if (!e) {
			i = spte_next_set(ent, i + 1, nr);
			if (i == nr)
				break;
			e = atomic_read(&ent[i]);
		}
		spte_move_one(&m, i, e);
		if (!(++done % SPTE_MOVE_IRQ_BATCH)) {
			local_irq_restore(flags);
			local_irq_save(flags);
		}
	}
	local_irq_restore(flags);
	spte_move_settle_refs(&m);
}

/**
 * shadow_pte_pin_count - the outstanding counted pins of @folio
 * @folio: the folio
 * @ro: R/O pins in its pin word
 * @rw: R/W pins in its pin word
 *
 * Return: 1 if the word is attached to a slot of a live PTE table, 0 if
 * detached or its table is gone (orphaned, a grace period after
 * spte_table_release()),
 * -ENOENT if no pin of the folio is counted.
 */
long shadow_pte_pin_count(struct folio *folio, u32 *ro, u32 *rw)
{
	unsigned long *w = spte_word(folio);
	struct shadow_pte_record *p;
	unsigned long flags;
	struct spw_ref r;
	long ret = -ENOENT;

	*ro = 0;
	*rw = 0;
	if (!w)
		return ret;
	local_irq_save(flags);
	p = spw_get(&r, w);
	if (p) {
		*ro = p->ro;
		*rw = p->rw;
		ret = p->t && spte_table_live(p->t);
	}
	spw_put(&r, NULL);
	local_irq_restore(flags);
	return ret;
}

/**
 * shadow_pte_pin_word_form - how @folio's pin word holds its pins
 * @folio: the folio
 *
 * Return: 0 if no pin is counted, 1 if inline in the word, 2 if in a
 * record the word points to (KUnit).
 */
int shadow_pte_pin_word_form(struct folio *folio)
{
	unsigned long *w = spte_word(folio), v;

	if (!w)
		return 0;
	v = READ_ONCE(*w) & ~SPW_LOCK;
	return v ? (v & SPW_EXT ? 2 : 1) : 0;
}

/**
 * shadow_pte_word_overflows - pin words whose pins moved into a record
 *
 * Return: how often since boot a pin found its page's word full.
 */
unsigned long shadow_pte_word_overflows(void)
{
	return spte_sum(&spte_word_overflows);
}

/**
 * shadow_pte_back_entries - entries mremap left referring back
 *
 * Return: how many moved PTEs since boot left their pins counted at the
 * old slot, their new entry marked SHADOW_PTE_BACK.
 */
unsigned long shadow_pte_back_entries(void)
{
	return spte_sum(&spte_back_entries);
}

/**
 * shadow_pte_pin_word_bytes - memory of the pin words
 *
 * Return: the chunks' directory and the chunks allocated, in bytes; 0
 * until the first pin was counted.
 */
unsigned long shadow_pte_pin_word_bytes(void)
{
	return READ_ONCE(shadow_pte_word_chunks) * sizeof(*spte_word_dir) +
	       atomic_long_read(&spte_chunks_used) * PAGE_SIZE;
}

/**
 * shadow_pte_nr_records - number of live pin records
 *
 * Zero whenever no counted pin is outstanding. Sums per-CPU counters.
 */
long shadow_pte_nr_records(void)
{
	return spte_sum(&spte_nr_records);
}

/**
 * shadow_pte_nr_record_objects - number of records in use
 *
 * Records of pin words whose counts outgrew them, and large folios'
 * records; not the free ones kept for reuse. Sums per-CPU counters.
 */
long shadow_pte_nr_record_objects(void)
{
	return spte_sum(&spte_nr_rec_objs);
}

/**
 * shadow_pte_record_hash_bytes - size of the pin record hash
 *
 * Return: 0 until the first pin of a large folio was recorded.
 */
unsigned long shadow_pte_record_hash_bytes(void)
{
	/* Pairs with the release in spte_hash_alloc(): the hash size is set. */
	return smp_load_acquire(&spte_records) ?
		sizeof(struct shadow_pte_bucket) << spte_hash_bits : 0;
}

/**
 * shadow_pte_query - find the shadow entry of a user address
 * @mm: the address space; the caller holds a reference
 * @addr: the user address
 * @where: what was found
 * @val: the entry, if *@where is SHADOW_PTE_ENTRY
 * @table: if not NULL, PTRS_PER_PTE entries: a copy of the whole shadow
 *         table, taken under the PTL, if *@where is SHADOW_PTE_ENTRY
 *
 * Return: 0, -EFAULT if no VMA covers @addr, -EINTR if interrupted.
 */
int shadow_pte_query(struct mm_struct *mm, unsigned long addr,
		     enum shadow_pte_where *where, u32 *val, u32 *table)
{
	struct vm_area_struct *vma;
	struct shadow_pte_table *t;
	spinlock_t *ptl;	/* the PTE table's lock */
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd, pmdval;
	pte_t *pte;
	unsigned int i;

	*where = SHADOW_PTE_NO_PGTABLE;
	*val = 0;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	if (!vma) {
		mmap_read_unlock(mm);
		return -EFAULT;
	}
	if (is_vm_hugetlb_page(vma)) {
		*where = SHADOW_PTE_HUGE;
		goto out;
	}
	/* Read only: a bad entry is reported as no table, never cleared. */
	pgd = pgd_offset(mm, addr);
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		goto out;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		goto out;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud))
		goto out;
	if (pud_leaf(*pud)) {
		*where = SHADOW_PTE_HUGE;
		goto out;
	}
	if (pud_bad(*pud))
		goto out;
	pmd = pmd_offset(pud, addr);
	pmdval = pmdp_get_lockless(pmd);
	if (pmd_none(pmdval))
		goto out;
	if (pmd_leaf(pmdval) || !pmd_present(pmdval)) {
		*where = SHADOW_PTE_HUGE;
		goto out;
	}
	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		goto out;
	t = ptdesc_shadow(virt_to_ptdesc(pte));
	if (t) {
		*where = SHADOW_PTE_ENTRY;
		*val = spte_entry_value(t, pte_index(addr));
		for (i = 0; table && i < PTRS_PER_PTE; i++)
			table[i] = spte_entry_value(t, i);
	} else {
		*where = SHADOW_PTE_NO_SHADOW;
	}
	pte_unmap_unlock(pte, ptl);
out:
	mmap_read_unlock(mm);
	return 0;
}

#ifdef CONFIG_DEBUG_FS
/*
 * debugfs: /sys/kernel/debug/shadow_pte/
 *   entry       write "<pid> <address>", read back that PTE's shadow entry
 *   table       write "<pid> <address>", read back every non-zero entry of
 *               the shadow table of the PTE table that maps the address
 *   fail_alloc  write N: the next N shadow-table allocations fail
 *   records     read: the number of folios with counted pins (pin words
 *               in use and large folios' records)
 *   record_hash_bytes  read: size of the pin record hash (0 before the
 *               first counted pin)
 *   pin_word_bytes  read: memory of the pin words: their directory and
 *               the pages of words allocated (0 before the first counted
 *               pin)
 *   record_objects  read: pin records in use (pin words whose counts
 *               outgrew them, large folios)
 *   word_overflows  read: how often a pin word's pins moved into a record
 *   back_entries  read: how many PTEs mremap moved leaving their pins
 *               counted at the old slot (SHADOW_PTE_BACK)
 *   fail_table, fail_record: fault-injection attributes (should_fail())
 *               of shadow-table and pin-record allocations
 * A bad request fails the write: -EINVAL (malformed), -ESRCH (no such
 * process), -EACCES (no ptrace read access to it), -EFAULT (no VMA there).
 */
#define SPTE_DBG_BUF	(PTRS_PER_PTE * 48 + 256)

struct spte_dbg {
	bool whole_table;
	size_t len;
	char buf[];
};

static const char *const spte_where_name[] = {
	[SHADOW_PTE_NO_PGTABLE] = "no page table",
	[SHADOW_PTE_HUGE] = "no PTE table (PMD- or hugetlb-mapped)",
	[SHADOW_PTE_NO_SHADOW] = "no shadow table",
	[SHADOW_PTE_ENTRY] = "entry",
};

static int spte_dbg_parse(const char __user *ubuf, size_t count, pid_t *pid,
			  unsigned long *addr)
{
	char in[64], *p, *tok;
	int ret;

	if (!count || count >= sizeof(in))
		return -EINVAL;
	if (copy_from_user(in, ubuf, count))
		return -EFAULT;
	in[count] = '\0';
	p = strim(in);
	tok = strsep(&p, " \t");
	if (!tok || !p)
		return -EINVAL;
	ret = kstrtoint(tok, 10, pid);
	if (ret || *pid <= 0)
		return -EINVAL;
	ret = kstrtoul(skip_spaces(p), 0, addr);
	if (ret)
		return -EINVAL;
	return 0;
}

static ssize_t spte_dbg_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct spte_dbg *d = file->private_data;
	enum shadow_pte_where where;
	struct task_struct *task;
	struct mm_struct *mm;
	unsigned long addr;
	u32 val, *table = NULL;
	size_t n = 0;
	unsigned int i;
	pid_t pid;
	int ret;

	ret = spte_dbg_parse(ubuf, count, &pid, &addr);
	if (ret)
		return ret;
	task = find_get_task_by_vpid(pid);
	if (!task)
		return -ESRCH;
	if (task->flags & PF_KTHREAD) {
		put_task_struct(task);
		return -EINVAL;	/* no user address space */
	}
	mm = mm_access(task, PTRACE_MODE_READ_FSCREDS);
	put_task_struct(task);
	if (IS_ERR(mm))
		return PTR_ERR(mm) == -EPERM ? -EACCES : PTR_ERR(mm);
	if (!mm)
		return -ESRCH;
	if (addr >= mm->task_size) {
		ret = -EFAULT;
		goto out_mm;
	}
	if (d->whole_table) {
		table = kmalloc_array(PTRS_PER_PTE, sizeof(*table), GFP_KERNEL);
		if (!table) {
			ret = -ENOMEM;
			goto out_mm;
		}
	}
	ret = shadow_pte_query(mm, addr, &where, &val, table);
	if (ret)
		goto out_table;
	n = scnprintf(d->buf, SPTE_DBG_BUF, "pid %d addr %#lx index %lu: %s",
		      pid, addr, pte_index(addr), spte_where_name[where]);
	if (where == SHADOW_PTE_ENTRY && !d->whole_table)
		n += scnprintf(d->buf + n, SPTE_DBG_BUF - n,
			       " ro %u rw %u special %u raw %#x",
			       shadow_pte_ro(val), shadow_pte_rw(val),
			       shadow_pte_special(val), val);
	n += scnprintf(d->buf + n, SPTE_DBG_BUF - n, "\n");
	if (where == SHADOW_PTE_ENTRY && d->whole_table) {
		n += scnprintf(d->buf + n, SPTE_DBG_BUF - n, "index ro rw special\n");
		for (i = 0; i < PTRS_PER_PTE; i++)
			if (table[i])
				n += scnprintf(d->buf + n, SPTE_DBG_BUF - n,
					       "%u %u %u %u\n", i,
					       shadow_pte_ro(table[i]),
					       shadow_pte_rw(table[i]),
					       shadow_pte_special(table[i]));
	}
	ret = count;
out_table:
	kfree(table);
out_mm:
	mmput(mm);
	d->len = ret < 0 ? 0 : n;
	return ret;
}

static ssize_t spte_dbg_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct spte_dbg *d = file->private_data;

	if (!d->len)
		return -ENODATA;	/* write "<pid> <address>" first */
	return simple_read_from_buffer(ubuf, count, ppos, d->buf, d->len);
}

static int spte_dbg_open(struct inode *inode, struct file *file)
{
	struct spte_dbg *d = kzalloc(sizeof(*d) + SPTE_DBG_BUF, GFP_KERNEL);

	if (!d)
		return -ENOMEM;
	d->whole_table = !!inode->i_private;
	file->private_data = d;
	return nonseekable_open(inode, file);
}

static int spte_dbg_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations spte_dbg_fops = {
	.owner = THIS_MODULE,
	.open = spte_dbg_open,
	.read = spte_dbg_read,
	.write = spte_dbg_write,
	.release = spte_dbg_release,
};

static int spte_fail_get(void *data, u64 *val)
{
	*val = atomic_read(&shadow_pte_fail_next);
	return 0;
}

static int spte_fail_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -ERANGE;
	shadow_pte_fail_next_allocs(val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spte_fail_fops, spte_fail_get, spte_fail_set, "%llu\n");

static int spte_records_get(void *data, u64 *val)
{
	*val = shadow_pte_nr_records();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spte_records_fops, spte_records_get, NULL, "%llu\n");

static int spte_hash_bytes_get(void *data, u64 *val)
{
	*val = shadow_pte_record_hash_bytes();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spte_hash_bytes_fops, spte_hash_bytes_get, NULL, "%llu\n");

static int spte_rec_objs_get(void *data, u64 *val)
{
	*val = shadow_pte_nr_record_objects();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spte_rec_objs_fops, spte_rec_objs_get, NULL, "%llu\n");

static int spte_word_overflows_get(void *data, u64 *val)
{
	*val = shadow_pte_word_overflows();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spte_word_overflows_fops, spte_word_overflows_get, NULL, "%llu\n");

static int spte_back_entries_get(void *data, u64 *val)
{
	*val = shadow_pte_back_entries();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spte_back_entries_fops, spte_back_entries_get, NULL, "%llu\n");

static int spte_word_bytes_get(void *data, u64 *val)
{
	*val = shadow_pte_pin_word_bytes();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spte_word_bytes_fops, spte_word_bytes_get, NULL, "%llu\n");

static int spte_cached_get(void *data, u64 *val)
{
	unsigned long depot;

	*val = shadow_pte_nr_cached_records(&depot);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(spte_cached_fops, spte_cached_get, NULL, "%llu\n");

static int __init shadow_pte_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("shadow_pte", NULL);

	debugfs_create_file("entry", 0600, dir, NULL, &spte_dbg_fops);
	/* Any non-NULL i_private selects the whole-table dump. */
	debugfs_create_file("table", 0600, dir, (void *)1UL, &spte_dbg_fops);
	debugfs_create_file_unsafe("fail_alloc", 0600, dir, NULL, &spte_fail_fops);
	debugfs_create_file_unsafe("records", 0400, dir, NULL, &spte_records_fops);
	debugfs_create_file_unsafe("record_hash_bytes", 0400, dir, NULL,
				   &spte_hash_bytes_fops);
	debugfs_create_file_unsafe("pin_word_bytes", 0400, dir, NULL,
				   &spte_word_bytes_fops);
	debugfs_create_file_unsafe("record_objects", 0400, dir, NULL,
				   &spte_rec_objs_fops);
	debugfs_create_file_unsafe("word_overflows", 0400, dir, NULL,
				   &spte_word_overflows_fops);
	debugfs_create_file_unsafe("records_cached", 0400, dir, NULL,
				   &spte_cached_fops);
	debugfs_create_file_unsafe("back_entries", 0400, dir, NULL,
				   &spte_back_entries_fops);
	fault_create_debugfs_attr("fail_table", dir, &spte_fail_table);
	fault_create_debugfs_attr("fail_record", dir, &spte_fail_record);
	return 0;
}
late_initcall(shadow_pte_debugfs_init);
#endif /* CONFIG_DEBUG_FS */
