// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow PTEs: entry operations, shadow-table lifetime and introspection.
 * See include/linux/shadow_pte.h for the design and the entry format.
 */
#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/hash.h>
#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/shadow_pte.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

static struct kmem_cache *shadow_pte_cache __ro_after_init;
static atomic_long_t shadow_pte_tables = ATOMIC_LONG_INIT(0);
static atomic_long_t shadow_pte_alloc_fails = ATOMIC_LONG_INIT(0);
/* Fault injection: the next this many allocations fail. */
static atomic_t shadow_pte_fail_next = ATOMIC_INIT(0);

static_assert((SHADOW_PTE_RO_MASK & SHADOW_PTE_RW_MASK) == 0);
static_assert(((SHADOW_PTE_RO_MASK | SHADOW_PTE_RW_MASK) &
	       (SHADOW_PTE_SPECIAL | SHADOW_PTE_RESERVED)) == 0);
static_assert(sizeof(atomic_t) == sizeof(u32));
static_assert(offsetof(struct shadow_pte_table, rcu) == PTRS_PER_PTE * sizeof(u32));
/* The pointer lives in word 4 (page->index), never in words 1-2. */
static_assert(offsetof(struct ptdesc, pt_shadow) == offsetof(struct page, index));
static_assert(offsetof(struct ptdesc, pt_shadow) != offsetof(struct ptdesc, _pt_pad_1));
static_assert(offsetof(struct ptdesc, pt_shadow) != offsetof(struct ptdesc, pt_rcu_head));
static_assert(offsetof(struct ptdesc, pt_shadow) != offsetof(struct ptdesc, pmd_huge_pte));
static_assert(sizeof_field(struct ptdesc, pt_shadow) == sizeof_field(struct page, index));

/*
 * Pin records: one per counted folio (see "Which pins are counted" in the
 * header), hashed by folio. The bucket lock is taken with IRQs off, as
 * unpin runs in any context; it nests inside the PTL, never around it.
 */
struct shadow_pte_pin {
	struct hlist_node node;
	struct folio *folio;
	struct ptdesc *pt;	/* the PTE table; NULL once detached */
	unsigned int idx;	/* the PTE's index in it */
	unsigned int ro, rw;	/* outstanding pins, also in the entry if attached */
};

#define SPTE_PIN_HASH_BITS	10

static struct spte_bucket {
	spinlock_t lock;	/* IRQ-safe; protects head and its records */
	struct hlist_head head;
} spte_pins[1 << SPTE_PIN_HASH_BITS];

static struct kmem_cache *shadow_pte_pin_cache __ro_after_init;
/* Live pin records: unpin skips the hash entirely while this is 0. */
atomic_long_t shadow_pte_live_pins = ATOMIC_LONG_INIT(0);
EXPORT_SYMBOL_GPL(shadow_pte_live_pins);

static int __init shadow_pte_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(spte_pins); i++) {
		spin_lock_init(&spte_pins[i].lock);
		INIT_HLIST_HEAD(&spte_pins[i].head);
	}
	shadow_pte_pin_cache = KMEM_CACHE(shadow_pte_pin, SLAB_ACCOUNT);
	if (!shadow_pte_pin_cache)
		return -ENOMEM;
	/*
	 * Own cache, so /proc/slabinfo shows the cost; SLAB_ACCOUNT charges the
	 * tables to the memcg of the allocating task, as page tables are.
	 */
	shadow_pte_cache = kmem_cache_create("shadow_pte_table",
					     sizeof(struct shadow_pte_table), 0,
					     SLAB_ACCOUNT | SLAB_HWCACHE_ALIGN,
					     NULL);
	return shadow_pte_cache ? 0 : -ENOMEM;
}
core_initcall(shadow_pte_init);

static void shadow_pte_account(struct shadow_pte_table *t, int delta)
{
	atomic_long_add(delta, &shadow_pte_tables);
	mod_node_page_state(page_pgdat(virt_to_page(t)), NR_SHADOW_PTE_TABLES,
			    delta);
}

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
	    !atomic_add_unless(&shadow_pte_fail_next, -1, 0))
		t = kmem_cache_zalloc(shadow_pte_cache, gfp);
	if (!t) {
		atomic_long_inc(&shadow_pte_alloc_fails);
		count_vm_event(SHADOW_PTE_ALLOC_FAIL);
		return NULL;
	}
	shadow_pte_account(t, 1);
	count_vm_event(SHADOW_PTE_ALLOC);
	return t;
}
EXPORT_SYMBOL_GPL(shadow_pte_table_alloc);

/**
 * shadow_pte_table_free - free a shadow table that was never attached
 * @t: the table, or NULL
 *
 * For a preallocated table that lost the race to attach. A table that was
 * ever visible through a ptdesc goes through shadow_pte_table_free_rcu().
 */
void shadow_pte_table_free(struct shadow_pte_table *t)
{
	if (!t)
		return;
	shadow_pte_account(t, -1);
	kmem_cache_free(shadow_pte_cache, t);
}
EXPORT_SYMBOL_GPL(shadow_pte_table_free);

static void shadow_pte_table_free_cb(struct rcu_head *head)
{
	shadow_pte_table_free(container_of(head, struct shadow_pte_table, rcu));
}

/* Free @t once every lock-free (IRQs-off) reader that could see it is gone. */
static void shadow_pte_table_free_rcu(struct shadow_pte_table *t)
{
	call_rcu(&t->rcu, shadow_pte_table_free_cb);
}

/**
 * shadow_pte_nr_tables - number of live shadow tables
 *
 * Includes detached tables still waiting for their RCU grace period.
 */
long shadow_pte_nr_tables(void)
{
	return atomic_long_read(&shadow_pte_tables);
}
EXPORT_SYMBOL_GPL(shadow_pte_nr_tables);

/**
 * shadow_pte_nr_alloc_fail - number of failed shadow-table allocations
 */
long shadow_pte_nr_alloc_fail(void)
{
	return atomic_long_read(&shadow_pte_alloc_fails);
}
EXPORT_SYMBOL_GPL(shadow_pte_nr_alloc_fail);

/**
 * shadow_pte_fail_next_allocs - fault injection: fail the next @n allocations
 * @n: how many; 0 turns injection off
 */
void shadow_pte_fail_next_allocs(unsigned int n)
{
	atomic_set(&shadow_pte_fail_next, min_t(unsigned int, n, INT_MAX));
}
EXPORT_SYMBOL_GPL(shadow_pte_fail_next_allocs);

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
	/* Zeroed entries before the pointer, for lock-free readers. */
	smp_store_release(&pt->pt_shadow, t);
	return t;
}
EXPORT_SYMBOL_GPL(shadow_pte_attach);

/**
 * shadow_pte_free_if_empty - free a PTE table's shadow early
 * @pt: the PTE table's ptdesc; its PTL is held
 *
 * Frees the shadow table if it holds neither pins nor special bits. Safe
 * against GUP-fast: a walker increments with a fully ordered atomic and then
 * rereads the pointer (shadow_pte_pin_fast()); this side clears the pointer,
 * issues a full barrier and then rereads the entries. Either the walker sees
 * NULL and backs out, or this side sees its count and keeps the table.
 *
 * Return: true if @pt has no shadow table on return.
 */
bool shadow_pte_free_if_empty(struct ptdesc *pt)
{
	struct shadow_pte_table *t = pt->pt_shadow;

	if (!t)
		return true;
	if (!shadow_pte_table_empty(t))
		return false;
	WRITE_ONCE(pt->pt_shadow, NULL);
	/* Pairs with the ordered increment before the recheck in shadow_pte_pin_fast(). */
	smp_mb();
	if (!shadow_pte_table_empty(t)) {
		/* A GUP-fast walker counted meanwhile: keep the table. */
		smp_store_release(&pt->pt_shadow, t);
		return false;
	}
	count_vm_event(SHADOW_PTE_FREE_EARLY);
	shadow_pte_table_free_rcu(t);
	return true;
}
EXPORT_SYMBOL_GPL(shadow_pte_free_if_empty);

/*
 * pagetable_pte_dtor(): the PTE table is being freed. Its PTEs are gone, so
 * its entries describe nothing; free the shadow after a grace period, as
 * GUP-fast may still be looking at the table (see the header).
 */
static void spte_detach_table(struct ptdesc *pt);
static void spte_debug_table_free(struct ptdesc *pt);

void __shadow_pte_table_dtor(struct ptdesc *pt)
{
	struct shadow_pte_table *t = pt->pt_shadow;
	unsigned int i;

	/*
	 * Zap detaches the pins of every PTE it clears, so pins here mean a
	 * path cleared a pinned PTE without telling us. Detach whatever
	 * records still point at this table before it goes away.
	 */
	for (i = 0; i < PTRS_PER_PTE; i++) {
		if (shadow_pte_pinned(atomic_read(&t->ent[i]))) {
			WARN_ONCE(1, "shadow_pte: PTE table freed with pins (entry %u: %#x)\n",
				  i, atomic_read(&t->ent[i]));
			spte_detach_table(pt);
			break;
		}
	}
	spte_debug_table_free(pt);
	WRITE_ONCE(pt->pt_shadow, NULL);
	shadow_pte_table_free_rcu(t);
}
EXPORT_SYMBOL_GPL(__shadow_pte_table_dtor);

/*
 * pgtable_trans_huge_deposit(): a PTE table goes onto a PMD's deposit list.
 * khugepaged deposits the live table it just collapsed; its PTEs were
 * cleared, so special bits are stale, and pins cannot exist because
 * collapse refuses pinned pages. If pins are there all the same, keep the
 * table attached: an over-count is only slow, a lost pin is corruption.
 */
void __shadow_pte_table_deposit(struct ptdesc *pt)
{
	struct shadow_pte_table *t = pt->pt_shadow;
	unsigned int i;

	for (i = 0; i < PTRS_PER_PTE; i++) {
		if (shadow_pte_pinned(atomic_read(&t->ent[i]))) {
			WARN_ONCE(1, "shadow_pte: deposited PTE table holds pins (entry %u: %#x)\n",
				  i, atomic_read(&t->ent[i]));
			return;
		}
	}
	WRITE_ONCE(pt->pt_shadow, NULL);
	shadow_pte_table_free_rcu(t);
}
EXPORT_SYMBOL_GPL(__shadow_pte_table_deposit);

/**
 * shadow_pte_table_empty - does the table hold neither pins nor special bits?
 * @t: the table
 *
 * Reads all entries (2 KiB on x86_64); meant for the paths that free a table
 * early, not for hot paths.
 */
bool shadow_pte_table_empty(struct shadow_pte_table *t)
{
	unsigned int i;

	for (i = 0; i < PTRS_PER_PTE; i++)
		if (atomic_read(&t->ent[i]))
			return false;
	return true;
}
EXPORT_SYMBOL_GPL(shadow_pte_table_empty);

u32 shadow_pte_read(struct shadow_pte_table *t, unsigned int idx)
{
	if (idx >= PTRS_PER_PTE)
		return 0;
	return atomic_read(&t->ent[idx]);
}
EXPORT_SYMBOL_GPL(shadow_pte_read);

/*
 * Add @delta (+1 or -1) to the R/O or R/W count of entry @idx, refusing to
 * step past SHADOW_PTE_COUNT_MAX or below zero.
 */
static int shadow_pte_count_add(struct shadow_pte_table *t, unsigned int idx,
				bool write, int delta)
{
	unsigned int shift = write ? SHADOW_PTE_RW_SHIFT : SHADOW_PTE_RO_SHIFT;
	unsigned int stop = delta > 0 ? SHADOW_PTE_COUNT_MAX : 0;
	int old;

	if (idx >= PTRS_PER_PTE)
		return -EINVAL;
	old = atomic_read(&t->ent[idx]);
	do {
		if ((((u32)old >> shift) & SHADOW_PTE_COUNT_MAX) == stop)
			return delta > 0 ? -EOVERFLOW : -ENOENT;
	} while (!atomic_try_cmpxchg(&t->ent[idx], &old, old + delta * (1 << shift)));
	return 0;
}

/**
 * shadow_pte_pin - count one pin taken through PTE @idx
 * @t: the table
 * @idx: the PTE's index in its table
 * @write: a FOLL_WRITE pin (counted as R/W) or not (R/O)
 *
 * Return: 0; -EOVERFLOW when that count is at SHADOW_PTE_COUNT_MAX (the entry
 * is unchanged and the caller must fail the pin); -EINVAL for a bad index.
 */
int shadow_pte_pin(struct shadow_pte_table *t, unsigned int idx, bool write)
{
	return shadow_pte_count_add(t, idx, write, 1);
}
EXPORT_SYMBOL_GPL(shadow_pte_pin);

/**
 * shadow_pte_pin_fast - count a pin from GUP-fast (IRQs off, no PTL)
 * @pt: the PTE table's ptdesc
 * @t: its shadow table, as read by ptdesc_shadow() with IRQs off
 * @idx: the PTE's index
 * @write: FOLL_WRITE
 *
 * Counts, then checks that @t is still attached to @pt; if it was detached
 * meanwhile (early free or table teardown), takes the count back. The
 * caller must recheck its PTE afterwards, as it does for the folio
 * reference, and call shadow_pte_unpin() if the PTE changed.
 *
 * Return: 0; -EAGAIN if the table was detached (fall back to the slow
 * path); or an error of shadow_pte_pin().
 */
int shadow_pte_pin_fast(struct ptdesc *pt, struct shadow_pte_table *t,
			unsigned int idx, bool write)
{
	int ret = shadow_pte_pin(t, idx, write);

	if (ret)
		return ret;
	/* The successful cmpxchg is fully ordered; see shadow_pte_free_if_empty(). */
	if (READ_ONCE(pt->pt_shadow) != t) {
		shadow_pte_unpin(t, idx, write);
		return -EAGAIN;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(shadow_pte_pin_fast);

/**
 * shadow_pte_unpin - uncount one pin of PTE @idx
 * @t: the table
 * @idx: the PTE's index in its table
 * @write: which count the pin was taken in
 *
 * Return: 0; -ENOENT when that count is already zero (nothing changes: the
 * pin was not counted here, or it was detached when the PTE went away);
 * -EINVAL for a bad index.
 */
int shadow_pte_unpin(struct shadow_pte_table *t, unsigned int idx, bool write)
{
	return shadow_pte_count_add(t, idx, write, -1);
}
EXPORT_SYMBOL_GPL(shadow_pte_unpin);

int shadow_pte_set_special(struct shadow_pte_table *t, unsigned int idx)
{
	if (idx >= PTRS_PER_PTE)
		return -EINVAL;
	atomic_or(SHADOW_PTE_SPECIAL, &t->ent[idx]);
	return 0;
}
EXPORT_SYMBOL_GPL(shadow_pte_set_special);

int shadow_pte_clear_special(struct shadow_pte_table *t, unsigned int idx)
{
	if (idx >= PTRS_PER_PTE)
		return -EINVAL;
	atomic_andnot(SHADOW_PTE_SPECIAL, &t->ent[idx]);
	return 0;
}
EXPORT_SYMBOL_GPL(shadow_pte_clear_special);

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
EXPORT_SYMBOL_GPL(__shadow_pte_mkspecial);

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
EXPORT_SYMBOL_GPL(__shadow_pte_special_prepare);

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
EXPORT_SYMBOL_GPL(__shadow_pte_fork_prepare);
#endif /* CONFIG_SHADOW_PTE_SPECIAL */

/**
 * shadow_pte_clear_entry - clear an entry whose PTE is being cleared
 * @t: the table
 * @idx: the PTE's index
 *
 * Return: the old value, so the caller can detach the pins it held.
 */
u32 shadow_pte_clear_entry(struct shadow_pte_table *t, unsigned int idx)
{
	if (idx >= PTRS_PER_PTE)
		return 0;
	return atomic_xchg(&t->ent[idx], 0);
}
EXPORT_SYMBOL_GPL(shadow_pte_clear_entry);

/* Add @v's counts (saturating) and special bit into entry @e. */
static void shadow_pte_merge(atomic_t *e, u32 v)
{
	int old = atomic_read(e);
	u32 ro, rw, new;

	do {
		ro = min(shadow_pte_ro(old) + shadow_pte_ro(v), SHADOW_PTE_COUNT_MAX);
		rw = min(shadow_pte_rw(old) + shadow_pte_rw(v), SHADOW_PTE_COUNT_MAX);
		new = ((u32)old & SHADOW_PTE_SPECIAL) | (v & SHADOW_PTE_SPECIAL) |
		      (ro << SHADOW_PTE_RO_SHIFT) | (rw << SHADOW_PTE_RW_SHIFT);
	} while (!atomic_try_cmpxchg(e, &old, new));
}

/**
 * shadow_pte_move_entry - an entry follows its PTE (mremap move_ptes)
 * @dst: destination table
 * @didx: destination index
 * @src: source table
 * @sidx: source index
 *
 * The source entry is cleared. Its counts are added to the destination
 * rather than written over it, so that a pin can never be lost even if the
 * destination was not empty (which would be a caller bug): over-counting is
 * safe, under-counting is not.
 *
 * Return: 0, or -EINVAL for a bad index.
 */
int shadow_pte_move_entry(struct shadow_pte_table *dst, unsigned int didx,
			  struct shadow_pte_table *src, unsigned int sidx)
{
	if (didx >= PTRS_PER_PTE || sidx >= PTRS_PER_PTE)
		return -EINVAL;
	if (dst == src && didx == sidx)
		return 0;
	shadow_pte_merge(&dst->ent[didx], atomic_xchg(&src->ent[sidx], 0));
	return 0;
}
EXPORT_SYMBOL_GPL(shadow_pte_move_entry);

/**
 * shadow_pte_fork_entry - the child's entry for a PTE copied at fork
 * @dst: the child's table
 * @didx: index in the child's table
 * @src: the parent's table
 * @sidx: index in the parent's table
 *
 * Pins belong to the parent, so the child starts with zero counts; the
 * special bit describes the PTE itself and is copied.
 *
 * Return: 0, or -EINVAL for a bad index.
 */
int shadow_pte_fork_entry(struct shadow_pte_table *dst, unsigned int didx,
			  struct shadow_pte_table *src, unsigned int sidx)
{
	if (didx >= PTRS_PER_PTE || sidx >= PTRS_PER_PTE)
		return -EINVAL;
	if (atomic_read(&src->ent[sidx]) & SHADOW_PTE_SPECIAL)
		atomic_or(SHADOW_PTE_SPECIAL, &dst->ent[didx]);
	else
		atomic_andnot(SHADOW_PTE_SPECIAL, &dst->ent[didx]);
	return 0;
}
EXPORT_SYMBOL_GPL(shadow_pte_fork_entry);

static struct spte_bucket *spte_bucket(const struct folio *folio)
{
	return &spte_pins[hash_ptr(folio, SPTE_PIN_HASH_BITS)];
}

static struct shadow_pte_pin *spte_pin_find(struct spte_bucket *b,
					    const struct folio *folio)
{
	struct shadow_pte_pin *p;

	hlist_for_each_entry(p, &b->head, node)
		if (p->folio == folio)
			return p;
	return NULL;
}

static void spte_pin_free(struct shadow_pte_pin *p)
{
	hlist_del(&p->node);
	atomic_long_dec(&shadow_pte_live_pins);
	kmem_cache_free(shadow_pte_pin_cache, p);
}

/* Rare: detach every record that points at @pt's table (or one slot of it). */
static void spte_detach_slots(struct ptdesc *pt, int idx)
{
	struct shadow_pte_pin *p;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(spte_pins); i++) {
		spin_lock_irqsave(&spte_pins[i].lock, flags);
		hlist_for_each_entry(p, &spte_pins[i].head, node)
			if (p->pt == pt && (idx < 0 || p->idx == idx))
				p->pt = NULL;
		spin_unlock_irqrestore(&spte_pins[i].lock, flags);
	}
}

static void spte_detach_table(struct ptdesc *pt)
{
	spte_detach_slots(pt, -1);
}

/*
 * Make the attached entry's counts those of its record (bucket lock held),
 * saturated at SHADOW_PTE_COUNT_MAX: an entry may stay above the truth for a
 * record beyond the limit, never below it.
 */
static void spte_write_entry(struct shadow_pte_table *t,
			     const struct shadow_pte_pin *p)
{
	u32 counts, new;
	int old;

	counts = (min(p->ro, SHADOW_PTE_COUNT_MAX) << SHADOW_PTE_RO_SHIFT) |
		 (min(p->rw, SHADOW_PTE_COUNT_MAX) << SHADOW_PTE_RW_SHIFT);
	old = atomic_read(&t->ent[p->idx]);
	do {
		new = ((u32)old & ~(SHADOW_PTE_RO_MASK | SHADOW_PTE_RW_MASK)) | counts;
	} while (!atomic_try_cmpxchg(&t->ent[p->idx], &old, new));
}

static void spte_sync_entry(struct shadow_pte_pin *p)
{
	struct shadow_pte_table *t = READ_ONCE(p->pt->pt_shadow);

	if (WARN_ONCE(!t, "shadow_pte: pin record of a table without shadow\n"))
		return;
	spte_write_entry(t, p);
}

/**
 * shadow_pte_prealloc_fill - allocate what a pin or a PTE move may need
 * @pa: the preallocation; members already set are kept
 * @pin: also a pin record
 *
 * Called without the PTL (GFP_KERNEL). Return: 0 or -ENOMEM.
 */
int shadow_pte_prealloc_fill(struct shadow_pte_prealloc *pa, bool pin)
{
	if (!pa->table)
		pa->table = shadow_pte_table_alloc(GFP_KERNEL);
	if (!pa->table)
		return -ENOMEM;
	if (pin && !pa->pin)
		pa->pin = kmem_cache_zalloc(shadow_pte_pin_cache, GFP_KERNEL);
	return pin && !pa->pin ? -ENOMEM : 0;
}
EXPORT_SYMBOL_GPL(shadow_pte_prealloc_fill);

/**
 * shadow_pte_prealloc_free - free what a preallocation did not use
 * @pa: the preallocation
 */
void shadow_pte_prealloc_free(struct shadow_pte_prealloc *pa)
{
	shadow_pte_table_free(pa->table);
	if (pa->pin)
		kmem_cache_free(shadow_pte_pin_cache, pa->pin);
	pa->table = NULL;
	pa->pin = NULL;
}
EXPORT_SYMBOL_GPL(shadow_pte_prealloc_free);

/**
 * shadow_pte_gup_pin - count a FOLL_PIN pin of @folio through PTE @idx
 * @pt: the PTE table's ptdesc; its PTL is held
 * @idx: the PTE's index
 * @folio: the folio it maps, already pinned by try_grab_folio()
 * @write: FOLL_WRITE
 * @pa: preallocation, used and cleared as needed
 *
 * Return: 0; -EAGAIN if @pa lacks a table that is needed, or a record that
 * GFP_NOWAIT could not allocate (drop the PTL, shadow_pte_prealloc_fill(),
 * retry); -EOVERFLOW at the count limit; -EBUSY if the folio's record is
 * attached to another slot (a bug, warned once). On error nothing was
 * counted; the caller drops its pin.
 */
int shadow_pte_gup_pin(struct ptdesc *pt, unsigned int idx,
		       struct folio *folio, bool write,
		       struct shadow_pte_prealloc *pa)
{
	struct shadow_pte_table *t = shadow_pte_attach(pt, &pa->table);
	struct spte_bucket *b = spte_bucket(folio);
	struct shadow_pte_pin *p;
	unsigned long flags;
	int ret;

	if (!t)
		return -EAGAIN;
	spin_lock_irqsave(&b->lock, flags);
	p = spte_pin_find(b, folio);
	if (!p && !pa->pin) {
		/*
		 * The folio's first pin: try for a record without dropping the
		 * PTL, which would cost a second walk; only if that fails go
		 * back to the caller for a GFP_KERNEL one.
		 */
		spin_unlock_irqrestore(&b->lock, flags);
		pa->pin = kmem_cache_zalloc(shadow_pte_pin_cache,
					    GFP_NOWAIT | __GFP_NOWARN);
		if (!pa->pin)
			return -EAGAIN;
		spin_lock_irqsave(&b->lock, flags);
		p = spte_pin_find(b, folio);
	}
	if (!p) {
		p = pa->pin;
		if (!p) {
			spin_unlock_irqrestore(&b->lock, flags);
			return -EAGAIN;
		}
		pa->pin = NULL;
		p->folio = folio;
		p->pt = pt;
		p->idx = idx;
		p->ro = 0;
		p->rw = 0;
		hlist_add_head(&p->node, &b->head);
		atomic_long_inc(&shadow_pte_live_pins);
	} else if (p->pt != pt || p->idx != idx) {
		if (p->pt) {
			spin_unlock_irqrestore(&b->lock, flags);
			WARN_ONCE(1, "shadow_pte: folio pinned through two PTEs\n");
			return -EBUSY;
		}
		/*
		 * Detached pins of a folio that is mapped again: the slot takes
		 * them all. Over-counting is safe, losing them is not.
		 */
		p->pt = pt;
		p->idx = idx;
		spte_sync_entry(p);
	}
	ret = shadow_pte_pin(t, idx, write);
	if (!ret) {
		if (write)
			p->rw++;
		else
			p->ro++;
	} else if (!p->ro && !p->rw) {
		/* A fresh record that counts nothing: back to @pa. */
		hlist_del(&p->node);
		atomic_long_dec(&shadow_pte_live_pins);
		pa->pin = p;
	}
	spin_unlock_irqrestore(&b->lock, flags);
	if (!ret)
		count_vm_event(SHADOW_PTE_PIN);
	return ret;
}
EXPORT_SYMBOL_GPL(shadow_pte_gup_pin);

/**
 * shadow_pte_gup_fast_pin - count a GUP-fast pin of @folio through @ptep
 * @ptep: the PTE GUP-fast read, IRQs off, no PTL
 * @folio: the order-0 anon folio it maps, already pinned
 * @write: FOLL_WRITE
 *
 * Counts only when the PTE table already has a shadow table and the folio's
 * record, if it has one, is attached to this PTE; a missing record is
 * allocated GFP_NOWAIT. shadow_pte_pin_fast() backs out if the table is
 * detached meanwhile. The caller must then recheck its PTE and PMD as it
 * does for the folio reference, and call shadow_pte_gup_fast_unpin() if
 * either changed: a zap that cleared the PTE may have missed this count.
 *
 * Return: 0 if counted; -EAGAIN if not (the caller drops its pin and leaves
 * the page to the slow path).
 */
int shadow_pte_gup_fast_pin(pte_t *ptep, struct folio *folio, bool write)
{
	struct ptdesc *pt = virt_to_ptdesc(ptep);
	struct shadow_pte_table *t = ptdesc_shadow(pt);
	unsigned int idx = shadow_pte_slot(ptep);
	struct spte_bucket *b = spte_bucket(folio);
	struct shadow_pte_pin *p, *fresh = NULL;
	int ret = -EAGAIN;

	lockdep_assert_irqs_disabled();
	if (!t)
		return -EAGAIN;
	spin_lock(&b->lock);
	p = spte_pin_find(b, folio);
	if (!p) {
		spin_unlock(&b->lock);
		fresh = kmem_cache_zalloc(shadow_pte_pin_cache,
					  GFP_NOWAIT | __GFP_NOWARN);
		if (!fresh)
			return -EAGAIN;
		spin_lock(&b->lock);
		p = spte_pin_find(b, folio);
	}
	/* Attached elsewhere or detached: the slow path sorts it out. */
	if (p && (p->pt != pt || p->idx != idx))
		goto out;
	if (shadow_pte_pin_fast(pt, t, idx, write))
		goto out;
	if (!p) {
		p = fresh;
		fresh = NULL;
		p->folio = folio;
		p->pt = pt;
		p->idx = idx;
		hlist_add_head(&p->node, &b->head);
		atomic_long_inc(&shadow_pte_live_pins);
	}
	if (write)
		p->rw++;
	else
		p->ro++;
	ret = 0;
out:
	spin_unlock(&b->lock);
	if (fresh)
		kmem_cache_free(shadow_pte_pin_cache, fresh);
	if (!ret)
		count_vm_event(SHADOW_PTE_GUP_FAST_PIN);
	return ret;
}
EXPORT_SYMBOL_GPL(shadow_pte_gup_fast_pin);

/**
 * shadow_pte_gup_fast_unpin - take back a shadow_pte_gup_fast_pin()
 * @folio: the folio
 * @write: as passed to shadow_pte_gup_fast_pin()
 *
 * The PTE changed under GUP-fast after it counted (IRQs off). The record
 * may have been moved (mremap) or detached (zap, table teardown) meanwhile;
 * it still holds this pin, so remove it there. A table whose pointer is
 * already gone is not written.
 */
void shadow_pte_gup_fast_unpin(struct folio *folio, bool write)
{
	struct spte_bucket *b = spte_bucket(folio);
	struct shadow_pte_pin *p;
	struct shadow_pte_table *t;

	lockdep_assert_irqs_disabled();
	spin_lock(&b->lock);
	p = spte_pin_find(b, folio);
	if (WARN_ON_ONCE(!p || !(p->ro + p->rw))) {
		spin_unlock(&b->lock);
		return;
	}
	if (write ? p->rw : !p->ro)
		p->rw--;
	else
		p->ro--;
	t = p->pt ? ptdesc_shadow(p->pt) : NULL;
	if (t)
		spte_write_entry(t, p);
	if (!p->ro && !p->rw)
		spte_pin_free(p);
	spin_unlock(&b->lock);
}
EXPORT_SYMBOL_GPL(shadow_pte_gup_fast_unpin);

/*
 * CONFIG_DEBUG_SHADOW_PTE: a pin record against its folio and its slot
 * (bucket lock held). Every counted pin holds GUP_PIN_COUNTING_BIAS
 * references; an attached record's entry holds its counts; the slot, when
 * present, maps the folio. The PTE is read without its PTL: paths that move
 * or clear a pinned PTE clear it before they retarget the record, so a
 * present PTE of another page is a real bug.
 */
static void spte_debug_check(const struct shadow_pte_pin *p,
			     struct folio *folio, const char *where)
{
	struct shadow_pte_table *t;
	pte_t pte;
	u32 v;

	if (!IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE))
		return;
	WARN_ONCE(folio_ref_count(folio) <
		  (int)(p->ro + p->rw) * GUP_PIN_COUNTING_BIAS,
		  "shadow_pte: %s: %u R/O + %u R/W pins counted, %d folio references\n",
		  where, p->ro, p->rw, folio_ref_count(folio));
	if (!p->pt)
		return;
	t = READ_ONCE(p->pt->pt_shadow);
	if (WARN_ONCE(!t, "shadow_pte: %s: record of a table without shadow\n", where))
		return;
	v = atomic_read(&t->ent[p->idx]);
	WARN_ONCE(shadow_pte_ro(v) != min(p->ro, SHADOW_PTE_COUNT_MAX) ||
		  shadow_pte_rw(v) != min(p->rw, SHADOW_PTE_COUNT_MAX),
		  "shadow_pte: %s: entry %u holds %#x, record %u R/O %u R/W\n",
		  where, p->idx, v, p->ro, p->rw);
	pte = ptep_get((pte_t *)ptdesc_address(p->pt) + p->idx);
	WARN_ONCE(pte_present(pte) && pte_pfn(pte) != folio_pfn(folio),
		  "shadow_pte: %s: slot %u maps pfn %#lx, the pins are on pfn %#lx\n",
		  where, p->idx, pte_pfn(pte), folio_pfn(folio));
}

/*
 * CONFIG_DEBUG_SHADOW_PTE, at table free: no record may still point at a
 * table whose entries hold no pins (the destructor detached the others).
 */
static void spte_debug_table_free(struct ptdesc *pt)
{
	struct shadow_pte_pin *p;
	unsigned long flags;
	unsigned int i;

	if (!IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE))
		return;
	for (i = 0; i < ARRAY_SIZE(spte_pins); i++) {
		spin_lock_irqsave(&spte_pins[i].lock, flags);
		hlist_for_each_entry(p, &spte_pins[i].head, node)
			WARN_ONCE(p->pt == pt,
				  "shadow_pte: table freed under a pin record (slot %u, %u R/O %u R/W)\n",
				  p->idx, p->ro, p->rw);
		spin_unlock_irqrestore(&spte_pins[i].lock, flags);
	}
}

/*
 * @refs FOLL_PIN references of a counted folio are dropped, from any
 * context. Pins the record does not know (none should exist) are ignored.
 */
void __shadow_pte_unpin_folio(struct folio *folio, int refs)
{
	struct spte_bucket *b = spte_bucket(folio);
	struct shadow_pte_pin *p;
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	p = spte_pin_find(b, folio);
	if (!p) {
		spin_unlock_irqrestore(&b->lock, flags);
		return;
	}
	spte_debug_check(p, folio, "unpin");
	for (; refs > 0 && (p->ro || p->rw); refs--) {
		/* R/O first: see the header. */
		if (p->ro)
			p->ro--;
		else
			p->rw--;
		count_vm_event(SHADOW_PTE_UNPIN);
	}
	if (p->pt)
		spte_sync_entry(p);
	if (!p->ro && !p->rw)
		spte_pin_free(p);
	spin_unlock_irqrestore(&b->lock, flags);
}
EXPORT_SYMBOL_GPL(__shadow_pte_unpin_folio);

/*
 * folio_add_pin(): one more pin on an already pinned folio, without a PTE
 * walk (fs/direct-io.c). If its pins are counted, count this one with them,
 * so the record stays equal to the folio's pins and its unpin finds it.
 */
void __shadow_pte_add_pin(struct folio *folio)
{
	struct spte_bucket *b = spte_bucket(folio);
	struct shadow_pte_pin *p;
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	p = spte_pin_find(b, folio);
	if (p) {
		/* Counted as R/W: an over-stated R/W count is the safe side. */
		p->rw++;
		if (p->pt)
			spte_sync_entry(p);
	}
	spin_unlock_irqrestore(&b->lock, flags);
}
EXPORT_SYMBOL_GPL(__shadow_pte_add_pin);

/*
 * zap: @nr PTEs from index @idx of @pt, which mapped @folio, are cleared
 * (PTL held). Their entries go; pins they held stay with the folio's record,
 * detached, until they are unpinned.
 */
void __shadow_pte_zap(struct ptdesc *pt, unsigned int idx, unsigned int nr,
		      struct folio *folio)
{
	struct shadow_pte_table *t = pt->pt_shadow;
	struct spte_bucket *b = spte_bucket(folio);
	struct shadow_pte_pin *p;
	unsigned long flags;
	unsigned int i;
	bool pinned = false;

	for (i = idx; i < idx + nr && i < PTRS_PER_PTE; i++)
		pinned |= shadow_pte_pinned(atomic_xchg(&t->ent[i], 0));
	if (!pinned)
		return;
	spin_lock_irqsave(&b->lock, flags);
	p = spte_pin_find(b, folio);
	if (p && p->pt == pt && p->idx >= idx && p->idx < idx + nr) {
		p->pt = NULL;
		count_vm_event(SHADOW_PTE_PIN_DETACH);
		pinned = false;
	}
	spin_unlock_irqrestore(&b->lock, flags);
	if (!pinned)
		return;
	/* Counts without a record of this folio: find whoever points here. */
	for (i = idx; i < idx + nr && i < PTRS_PER_PTE; i++)
		spte_detach_slots(pt, i);
}
EXPORT_SYMBOL_GPL(__shadow_pte_zap);

/* mremap: the destination table gets a shadow table if it has none. */
int __shadow_pte_move_prepare(struct ptdesc *new_pt,
			      struct shadow_pte_prealloc *pa)
{
	return shadow_pte_attach(new_pt, &pa->table) ? 0 : -EAGAIN;
}
EXPORT_SYMBOL_GPL(__shadow_pte_move_prepare);

/*
 * mremap move_ptes(): entry @oidx of @old_pt follows its PTE, now @pte, to
 * entry @nidx of @new_pt (both PTLs held; __shadow_pte_move_prepare() gave
 * @new_pt a shadow table). The folio's pin record follows too.
 */
void __shadow_pte_move(struct ptdesc *old_pt, unsigned int oidx,
		       struct ptdesc *new_pt, unsigned int nidx, pte_t pte)
{
	struct shadow_pte_table *nt = new_pt->pt_shadow;
	struct folio *folio = NULL;
	struct spte_bucket *b;
	struct shadow_pte_pin *p;
	unsigned long flags;
	u32 v;

	v = atomic_xchg(&old_pt->pt_shadow->ent[oidx], 0);
	if (!v)
		return;
	if (WARN_ON_ONCE(!nt)) {
		/* Nowhere to move the pins: the records must not point here. */
		if (shadow_pte_pinned(v))
			spte_detach_slots(old_pt, oidx);
		return;
	}
	shadow_pte_merge(&nt->ent[nidx], v);
	if (!shadow_pte_pinned(v))
		return;
	if (pte_present(pte))
		folio = page_folio(pte_page(pte));
	if (folio) {
		b = spte_bucket(folio);
		spin_lock_irqsave(&b->lock, flags);
		p = spte_pin_find(b, folio);
		if (p && p->pt == old_pt && p->idx == oidx) {
			p->pt = new_pt;
			p->idx = nidx;
			folio = NULL;
		}
		spin_unlock_irqrestore(&b->lock, flags);
	}
	/* No record found by folio: never leave one pointing at the old slot. */
	if (folio || !pte_present(pte))
		spte_detach_slots(old_pt, oidx);
}
EXPORT_SYMBOL_GPL(__shadow_pte_move);

/**
 * shadow_pte_pin_count - the outstanding counted pins of @folio
 * @folio: the folio
 * @ro: R/O pins in its record
 * @rw: R/W pins in its record
 *
 * Return: 1 if the record is attached to a PTE, 0 if detached, -ENOENT if
 * the folio has no record.
 */
long shadow_pte_pin_count(struct folio *folio, u32 *ro, u32 *rw)
{
	struct spte_bucket *b = spte_bucket(folio);
	struct shadow_pte_pin *p;
	unsigned long flags;
	long ret = -ENOENT;

	*ro = 0;
	*rw = 0;
	spin_lock_irqsave(&b->lock, flags);
	p = spte_pin_find(b, folio);
	if (p) {
		*ro = p->ro;
		*rw = p->rw;
		ret = !!p->pt;
	}
	spin_unlock_irqrestore(&b->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(shadow_pte_pin_count);

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
		*val = shadow_pte_read(t, pte_index(addr));
		for (i = 0; table && i < PTRS_PER_PTE; i++)
			table[i] = shadow_pte_read(t, i);
	} else {
		*where = SHADOW_PTE_NO_SHADOW;
	}
	pte_unmap_unlock(pte, ptl);
out:
	mmap_read_unlock(mm);
	return 0;
}
EXPORT_SYMBOL_GPL(shadow_pte_query);

#ifdef CONFIG_DEBUG_FS
/*
 * debugfs: /sys/kernel/debug/shadow_pte/
 *   entry       write "<pid> <address>", read back that PTE's shadow entry
 *   table       write "<pid> <address>", read back every non-zero entry of
 *               the shadow table of the PTE table that maps the address
 *   fail_alloc  write N: the next N shadow-table allocations fail
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

static int __init shadow_pte_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("shadow_pte", NULL);

	debugfs_create_file("entry", 0600, dir, NULL, &spte_dbg_fops);
	/* Any non-NULL i_private selects the whole-table dump. */
	debugfs_create_file("table", 0600, dir, (void *)1UL, &spte_dbg_fops);
	debugfs_create_file_unsafe("fail_alloc", 0600, dir, NULL, &spte_fail_fops);
	return 0;
}
late_initcall(shadow_pte_debugfs_init);
#endif /* CONFIG_DEBUG_FS */
