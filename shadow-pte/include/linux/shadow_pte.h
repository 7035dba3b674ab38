/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow PTEs: software state for each entry of a user PTE table.
 *
 * Why: the page-bit scheme decides "is this anonymous page pinned?" from the
 * folio (PG_anon_exclusive plus the GUP_PIN_COUNTING_BIAS refcount guess of
 * folio_maybe_dma_pinned()). A shadow entry instead records, for one PTE, the
 * exact number of FOLL_PIN pins that were taken through that PTE, so fork and
 * write faults can ask the PTE rather than guess from the page.
 *
 * Entry format: one 32-bit atomic_t per PTE.
 *
 *   bits  0..14  R/O pin count (pins taken without FOLL_WRITE), 0..32767
 *   bits 15..29  R/W pin count (pins taken with FOLL_WRITE),    0..32767
 *   bit  30      SPECIAL: software pte_special()
 *   bit  31      reserved, always 0
 *
 * Size: PTRS_PER_PTE entries make one shadow table, 2 KiB for the 512-entry
 * tables of x86_64 and UML, i.e. half the size of the PTE table it shadows,
 * plus a 16-byte rcu_head (see struct shadow_pte_table), and only for tables
 * that need one. Two bytes per entry would leave 7-bit
 * counts, which io_uring buffer registration alone can exhaust; eight bytes
 * would double the cost for no use we have today. Counts are updated with
 * atomic read-modify-write so that the lock-free GUP-fast path can count pins
 * too; every other writer holds the PTE table's lock.
 *
 * Limits: a count that reaches SHADOW_PTE_COUNT_MAX saturates: it sticks
 * there, reads as pinned, and ignores later deltas until a zap that has
 * detached every record of its slot resets it. The exact count lives in
 * the pin records (see below), so a pin never fails for want of bits: a
 * saturated entry may over-count (only costs a needless copy at fork) but
 * never under-counts.
 *
 * Where the table hangs: struct ptdesc, word 4 (struct page's index)
 * -------------------------------------------------------------------
 * A user PTE table's ptdesc keeps the shadow table's address in pt_shadow,
 * a member of the union that also holds pt_index/pt_mm/pt_frag_refcount/
 * pt_share_count. Seed 003 proposed word 1 (_pt_pad_1). That word is not
 * stable over a table's life: pgtable_trans_huge_deposit() threads the
 * deposited table's lru through words 1 and 2, withdraw leaves a poison or
 * self pointer there, pte_free_defer() queues the table through pt_rcu_head
 * (words 1 and 2) before the destructor runs, and the page allocator leaves
 * the pfmemalloc bit in it on allocation. Word 4 on the other hand is used,
 * on the configurations this option allows (x86_64 and UML), only by page
 * tables of other levels: pt_mm by x86 PGDs, pt_share_count by hugetlb's
 * shared PMD tables, pt_index by s390 and pt_frag_refcount by powerpc. No
 * deposit, withdraw, RCU-free or allocator path writes it, lockdep and
 * ALLOC_SPLIT_PTLOCKS only change word 5 (ptl), and MEMCG only word 7, so
 * the pointer is stable in every configuration we build (SMP and UP, UML,
 * split or allocated PTLs, with and without MEMCG). Word 4 is not read as
 * compound_head or pfmemalloc, so bit 0 of the pointer is free, and it is
 * kept clear anyway (kmem_cache objects are 64-byte aligned).
 *
 * Nothing but ptdesc_shadow() and the helpers in mm/shadow_pte.c touch the
 * word; build-time assertions pin its offset to struct page's index.
 *
 * Lifetime and locking
 * --------------------
 * - pagetable_pte_ctor() sets the pointer to NULL (the allocator leaves
 *   stale data in word 4): no table is allocated up front.
 * - The first user of a table attaches one with shadow_pte_attach() under the
 *   table's PTL. Callers allocate with shadow_pte_table_alloc(GFP_KERNEL)
 *   before taking the PTL and retry, so nothing spins on GFP_ATOMIC; an
 *   allocation failure fails the operation and leaves nothing behind.
 * - Special bits are written under the table's PTL. Pin counts follow the
 *   protocol in "The pin-count protocol" below.
 * - pagetable_pte_dtor() detaches the table and frees it through call_rcu().
 *   On x86 the destructor runs before the TLB flush, and with RCU table
 *   freeing before GUP-fast walkers are done with the page; they run with
 *   IRQs disabled, which holds off the grace period, so a walker never
 *   touches freed memory. This covers every table-free path at once:
 *   pte_free(), ___pte_free_tlb() (munmap, exit; whether the page then goes
 *   through tlb_remove_page() or the RCU tlb_remove_table() batch) and
 *   pte_free_defer() (khugepaged's collapse and retract paths), which reuses
 *   words 1 and 2 but not word 4.
 * - pgtable_trans_huge_deposit() detaches the table of a deposited PTE
 *   table: khugepaged deposits the live table it collapsed, whose entries
 *   describe PTEs that no longer exist. Like the destructor it first
 *   detaches every pin record still attached to the table.
 *
 * Kernel page tables (init_mm) never run the constructor: never use these
 * helpers on them.
 *
 * Which pins are counted
 * ----------------------
 * FOLL_PIN pins of order-0 anonymous folios, taken through a PTE, by the
 * GUP slow path (follow_page_pte(), under the PTL). While such a folio is
 * pinned exactly one PTE maps it: a pinned anonymous page is
 * PageAnonExclusive, fork copies it instead of sharing it, and swap-out,
 * migration, KSM and khugepaged refuse it. So "the pins of this folio" and
 * "the pins counted in its PTE's entry" are the same number, and every
 * reader decides from the entry. GUP-fast counts too, but only when the
 * PTE table already has a shadow table and the folio's record, if any,
 * is attached to this PTE (shadow_pte_gup_fast_pin(), which rechecks the
 * PMD and PTE inside its critical section); otherwise it hands the page
 * to the slow path (event shadow_pte_gup_fast_fallback).
 * Large folios keep their exact folio-wide _pincount, which stays the
 * authority for them, as for file, shmem, hugetlb and PMD/PUD-mapped pins:
 * none of those is counted here, and shadow_pte_tracks() says which is which.
 *
 * Unpin is given only a page, from any context (bio completion runs in
 * hardirq), so each counted folio has a 32-byte pin record in a hash keyed
 * by the folio, under an IRQ-safe bucket lock: the outstanding R/O and R/W
 * counts and the (ptdesc, index) slot that holds them. The hash has one
 * 8-byte bucket per four pages of RAM, allocated at the first counted pin,
 * so chains stay short however many pages are pinned; nothing on the pin,
 * unpin or fault paths writes a global variable. unpin_user_page() and
 * friends find the record without the PTL or any sleeping lock and
 * decrement both. Whoever clears or moves a pinned PTE (zap, mremap, a
 * table freed with pins in it) retargets or detaches the record under the
 * PTL; a detached record keeps counting its outstanding pins, so a later
 * unpin never touches a slot that another page now occupies. The unpin
 * API cannot say whether a pin was R/O or R/W: when an entry holds both,
 * an unpin takes the R/O count first, so the R/W count can only be over-
 * stated (the conservative direction), never the total.
 *
 * The pin-count protocol
 * ----------------------
 * Rule: the R/O (R/W) count of an entry that is not saturated is the sum
 * of the R/O (R/W) counts of the pin records attached to its slot, and it
 * changes only by +/- deltas, applied under the bucket lock of the record
 * that owns the delta, in the same critical section that changes the
 * record. Nothing ever overwrites a count with a value, except that a
 * saturated count is reset once no record is attached to its table. An
 * attached record contributes all its pins, a detached one none, so every
 * detach, retarget or back-out removes exactly its own delta (GUP-fast's
 * back-out removes the unit its own increment applied). A record is
 * attached to at most one slot; a slot may hold several records' counts,
 * transiently (a GUP-fast pin of a page that its slot no longer maps,
 * waiting for its write_protect_seq back-out) or until they are unpinned
 * or the table is released. Each shadow table counts the records attached
 * to it (nrec), raised before and lowered after their counts.
 *
 * Writers, their context and locks (lock order: PTL -> bucket lock):
 *   GUP slow path  PTL + bucket: attach or retarget the folio's record to
 *                  this slot, +1.
 *   GUP-fast       IRQs off + bucket, no PTL: +1, full barrier, recheck
 *                  PMD, PTE and the table pointer; on a change, -1 and
 *                  drop the record if it was new, before the unlock. Other
 *                  bucket-lock holders never see the transient count.
 *   unpin          any context, bucket (IRQ-safe): -1 from the record, and
 *                  from its slot while its contribution exceeds its count.
 *   folio_add_pin  any context, bucket: +1 (R/W) where the record is.
 *   zap            PTL, after clearing the PTEs, full barrier, then for
 *                  each slot whose counts read non-zero: bucket of the
 *                  folio: detach its record (-counts). If counts remain
 *                  and nrec reads 0, reset the saturated ones; otherwise
 *                  they are other records' (an over-count, safe).
 *   mremap         both PTLs, after moving the PTE, full barrier: bucket of
 *                  the folio: retarget its record (-old, +new); what is
 *                  left at the old slot is handled as by zap.
 *   destructor,    the PTE table is unreachable: clear the table pointer,
 *   deposit        full barrier; if nrec reads non-zero, scan the whole
 *                  hash and detach the records attached to the table.
 * Why zap and mremap may skip a slot whose counts read zero: GUP-fast
 * increments before it rechecks the PTE, zap/mremap clear the PTE before
 * they read the counts, both with a full barrier in between. Either the
 * walker's recheck sees the PTE gone and it backs out, or zap sees its
 * count and takes the bucket lock, which the walker holds until it is
 * done. Every other writer that can attach to the slot needs its PTL.
 * A record attached to a slot whose PTE maps another page (possible only
 * after GUP-fast's late back-out window) over-counts that slot until the
 * record is unpinned or detached: safe. The destructor's scan makes sure
 * that no record ever points at a freed table; GUP-fast raises nrec before
 * its recheck of the table pointer, the destructor clears the pointer
 * before it reads nrec, with a full barrier on both sides. Unpin never
 * allocates, never sleeps and takes only the bucket lock (a bit spinlock,
 * IRQs off); PREEMPT_RT, where GUP-fast's disabled IRQs would have to wait
 * for a preempted holder, is excluded in Kconfig.
 *
 * The special bit
 * ---------------
 * With CONFIG_SHADOW_PTE_SPECIAL the entry also carries a software copy of
 * pte_special(): set, under the PTL, by every site that installs a special
 * PTE in a user page table (the shared zero page on read faults, THP zero
 * page splits, migration's unused-subpage and KSM's zero-page merging,
 * UFFDIO_ZEROPAGE and UFFDIO_MOVE, vmf_insert_pfn/_mixed, vm_insert_page of
 * the zero page, remap_pfn_range), copied at fork, moved by mremap and
 * cleared when the PTE is zapped or replaced (the write fault that COWs a
 * zero page, UFFDIO_MOVE's source). vm_normal_page_pte() then decides from
 * this bit, as an architecture without a hardware special bit has to decide
 * from something other than the PTE value. Kernel page tables (vmalloc,
 * apply_to_page_range() on init_mm) have no ptdesc constructor and are left
 * out. The price: the first special PTE of a table allocates its shadow
 * table, so a range read-faulted onto the zero page costs 2 KiB of shadow
 * per 2 MiB. A site that cannot get a shadow table without sleeping does
 * not install the special PTE (it fails with -ENOMEM, or, where that is
 * safe, leaves the slot empty so that the next access faults again).
 *
 * Memory accounting: the tables come from the "shadow_pte_table" kmem_cache
 * (see /proc/slabinfo), charged to the allocating task's memcg like page
 * tables; /proc/vmstat has nr_shadow_pte_tables (live tables, including
 * ones waiting for their RCU grace period), shadow_pte_alloc and
 * shadow_pte_alloc_fail.
 */
#ifndef _LINUX_SHADOW_PTE_H
/*
 * linux/mm.h includes this header just before pagetable_pte_ctor(), where
 * everything used below (folio flags, virt_to_ptdesc()) is defined. A file
 * that includes this header first goes through linux/mm.h here, which comes
 * back to this header at that point; the second pass below is then a no-op.
 */
#include <linux/mm.h>
#endif
#ifndef _LINUX_SHADOW_PTE_H
#define _LINUX_SHADOW_PTE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/gfp_types.h>
#include <linux/mm_types.h>
#include <linux/pgtable.h>
#include <linux/types.h>

struct mm_struct;

#define SHADOW_PTE_COUNT_BITS	15
#define SHADOW_PTE_COUNT_MAX	((1U << SHADOW_PTE_COUNT_BITS) - 1)
#define SHADOW_PTE_RO_SHIFT	0
#define SHADOW_PTE_RW_SHIFT	SHADOW_PTE_COUNT_BITS
#define SHADOW_PTE_RO_MASK	GENMASK(SHADOW_PTE_RW_SHIFT - 1, SHADOW_PTE_RO_SHIFT)
#define SHADOW_PTE_RW_MASK	GENMASK(2 * SHADOW_PTE_COUNT_BITS - 1, SHADOW_PTE_RW_SHIFT)
#define SHADOW_PTE_SPECIAL	BIT(30)
#define SHADOW_PTE_RESERVED	BIT(31)

/*
 * One shadow entry per PTE of the table it shadows, and the rcu_head that
 * defers its freeing past concurrent GUP-fast walkers. The rcu_head cannot
 * overlay the entries: a walker may still increment any entry until the
 * grace period ends.
 */
struct shadow_pte_table {
	atomic_t ent[PTRS_PER_PTE];
	struct rcu_head rcu;
	atomic_t nrec;		/* pin records attached to this table */
};

static __always_inline unsigned int shadow_pte_ro(u32 v)
{
	return (v & SHADOW_PTE_RO_MASK) >> SHADOW_PTE_RO_SHIFT;
}

static __always_inline unsigned int shadow_pte_rw(u32 v)
{
	return (v & SHADOW_PTE_RW_MASK) >> SHADOW_PTE_RW_SHIFT;
}

static __always_inline bool shadow_pte_pinned(u32 v)
{
	return v & (SHADOW_PTE_RO_MASK | SHADOW_PTE_RW_MASK);
}

static __always_inline bool shadow_pte_special(u32 v)
{
	return v & SHADOW_PTE_SPECIAL;
}

/* Index of the PTE at @ptep within its table. */
static __always_inline unsigned int shadow_pte_slot(const pte_t *ptep)
{
	return ((unsigned long)ptep & ~PAGE_MASK) / sizeof(pte_t);
}

/*
 * The ptdesc of the PTE table that holds @ptep: virt_to_ptdesc(), which a
 * size-optimised build calls out of line. The helpers here are
 * __always_inline for the same reason: on the paths that run for every PTE
 * (zap, mremap, fork, write faults) a table without a shadow table must
 * cost one load and one test, not a call.
 */
static __always_inline struct ptdesc *shadow_pte_ptdesc(const pte_t *ptep)
{
	return page_ptdesc(virt_to_page(ptep));
}

#ifdef CONFIG_SHADOW_PTE

/**
 * ptdesc_shadow - the shadow table of a user PTE table, or NULL
 * @pt: the PTE table's ptdesc
 *
 * Stable under the table's PTL. Lock-free readers (GUP-fast, IRQs off) may
 * use the result until they re-enable IRQs.
 */
static __always_inline struct shadow_pte_table *ptdesc_shadow(const struct ptdesc *pt)
{
	return READ_ONCE(pt->pt_shadow);
}

struct shadow_pte_table *shadow_pte_table_alloc(gfp_t gfp);
void shadow_pte_table_free(struct shadow_pte_table *t);
bool shadow_pte_table_empty(struct shadow_pte_table *t);
long shadow_pte_nr_tables(void);
long shadow_pte_nr_alloc_fail(void);
void shadow_pte_fail_next_allocs(unsigned int n);

struct shadow_pte_table *shadow_pte_attach(struct ptdesc *pt,
					   struct shadow_pte_table **prealloc);
void __shadow_pte_table_dtor(struct ptdesc *pt);
void __shadow_pte_table_deposit(struct ptdesc *pt);

u32 shadow_pte_read(struct shadow_pte_table *t, unsigned int idx);
int shadow_pte_pin(struct shadow_pte_table *t, unsigned int idx, bool write);
int shadow_pte_unpin(struct shadow_pte_table *t, unsigned int idx, bool write);
int shadow_pte_set_special(struct shadow_pte_table *t, unsigned int idx);
int shadow_pte_clear_special(struct shadow_pte_table *t, unsigned int idx);

/* What shadow_pte_query() found at an address. */
enum shadow_pte_where {
	SHADOW_PTE_NO_PGTABLE,	/* no PTE table maps the address */
	SHADOW_PTE_HUGE,	/* mapped by a PMD or hugetlb: no PTE table */
	SHADOW_PTE_NO_SHADOW,	/* PTE table without a shadow table */
	SHADOW_PTE_ENTRY,	/* shadow entry read into *val */
};

int shadow_pte_query(struct mm_struct *mm, unsigned long addr,
		     enum shadow_pte_where *where, u32 *val, u32 *table);

/* Pins counted per PTE (see "Which pins are counted" above). */
struct shadow_pte_record;
struct shadow_pte_bucket;

/* What a pin may need, allocated with GFP_KERNEL before taking the PTL. */
struct shadow_pte_prealloc {
	struct shadow_pte_table *table;
	struct shadow_pte_record *pin;
};

/* The pin record hash: NULL until the first pin is counted. */
extern struct shadow_pte_bucket *shadow_pte_records;

int shadow_pte_prealloc_fill(struct shadow_pte_prealloc *pa, bool pin);
void shadow_pte_prealloc_free(struct shadow_pte_prealloc *pa);
int shadow_pte_gup_pin(struct ptdesc *pt, unsigned int idx,
		       struct folio *folio, bool write,
		       struct shadow_pte_prealloc *pa);
void __shadow_pte_unpin_folio(struct folio *folio, int refs);
void __shadow_pte_add_pin(struct folio *folio);
void __shadow_pte_zap(struct ptdesc *pt, unsigned int idx, unsigned int nr,
		      struct folio *folio);
int __shadow_pte_move_prepare(struct ptdesc *new_pt,
			      struct shadow_pte_prealloc *pa);
void __shadow_pte_move(struct ptdesc *old_pt, unsigned int oidx,
		       struct ptdesc *new_pt, unsigned int nidx, pte_t pte);
long shadow_pte_pin_count(struct folio *folio, u32 *ro, u32 *rw);
long shadow_pte_nr_records(void);
unsigned long shadow_pte_record_hash_bytes(void);
void __shadow_pte_check_fork(pte_t *ptep, struct folio *folio,
			     struct page *page);

/* Is @folio's FOLL_PIN state kept in shadow entries (order-0 anon)? */
static __always_inline bool shadow_pte_tracks(const struct folio *folio)
{
	return folio_test_anon(folio) && !folio_test_large(folio);
}

/* The entry of the PTE at @ptep, or 0 when its table has no shadow table. */
static __always_inline u32 shadow_pte_entry(const pte_t *ptep)
{
	struct shadow_pte_table *t = ptdesc_shadow(shadow_pte_ptdesc(ptep));

	return t ? atomic_read(&t->ent[shadow_pte_slot(ptep)]) : 0;
}

/*
 * fork is about to copy the page at @ptep because its entry says pinned:
 * under CONFIG_DEBUG_SHADOW_PTE, check that the folio's record is the one
 * attached there and that the page is exclusive and looks pinned.
 */
static __always_inline void shadow_pte_check_fork(pte_t *ptep, struct folio *folio,
						  struct page *page)
{
	if (IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE))
		__shadow_pte_check_fork(ptep, folio, page);
}

int shadow_pte_gup_fast_pin(pte_t *ptep, pte_t pte, pmd_t *pmdp, pmd_t pmd,
			    struct folio *folio, bool write);

/* A FOLL_PIN reference to @folio is being dropped: uncount it. */
static __always_inline void shadow_pte_unpin_folio(struct folio *folio, int refs)
{
	if (shadow_pte_tracks(folio) && READ_ONCE(shadow_pte_records))
		__shadow_pte_unpin_folio(folio, refs);
}

/* folio_add_pin(): one more pin on a folio that is already pinned. */
static __always_inline void shadow_pte_add_pin(struct folio *folio)
{
	if (shadow_pte_tracks(folio) && READ_ONCE(shadow_pte_records))
		__shadow_pte_add_pin(folio);
}

/* @nr PTEs from @ptep that mapped @folio are being cleared (PTL held). */
static __always_inline void shadow_pte_zap(pte_t *ptep, unsigned int nr,
					   struct folio *folio)
{
	struct ptdesc *pt = shadow_pte_ptdesc(ptep);

	if (unlikely(ptdesc_shadow(pt)))
		__shadow_pte_zap(pt, shadow_pte_slot(ptep), nr, folio);
}

/*
 * mremap: before moving PTEs from @old_ptep's table to @new_ptep's (both
 * PTLs held), make sure the destination has a shadow table if the source
 * has one. -EAGAIN: drop the locks, shadow_pte_prealloc_fill() and retry.
 */
static __always_inline int shadow_pte_move_prepare(pte_t *old_ptep, pte_t *new_ptep,
						   struct shadow_pte_prealloc *pa)
{
	if (likely(!ptdesc_shadow(shadow_pte_ptdesc(old_ptep))))
		return 0;
	return __shadow_pte_move_prepare(shadow_pte_ptdesc(new_ptep), pa);
}

/* mremap: has the table of @ptep a shadow table? Stable under its PTL. */
static __always_inline bool shadow_pte_has_table(const pte_t *ptep)
{
	return ptdesc_shadow(shadow_pte_ptdesc(ptep));
}

/* mremap: the PTE @pte moved from @old_ptep to @new_ptep (both PTLs held). */
static __always_inline void shadow_pte_move(pte_t *old_ptep, pte_t *new_ptep, pte_t pte)
{
	struct ptdesc *old_pt = shadow_pte_ptdesc(old_ptep);

	if (unlikely(ptdesc_shadow(old_pt)))
		__shadow_pte_move(old_pt, shadow_pte_slot(old_ptep),
				  shadow_pte_ptdesc(new_ptep),
				  shadow_pte_slot(new_ptep), pte);
}

#ifdef CONFIG_SHADOW_PTE_SPECIAL
/*
 * The special bit (see "The special bit" above). Every site that installs
 * a pte_mkspecial() PTE in a user page table calls shadow_pte_mkspecial()
 * under the PTL before set_pte_at(); every site that clears or replaces one
 * calls shadow_pte_unspecial() or goes through zap, mremap or the table's
 * destructor, which clear the whole entry.
 */
int __shadow_pte_mkspecial(pte_t *ptep);
int __shadow_pte_special_prepare(struct mm_struct *mm, pmd_t *pmd,
				 unsigned long addr);
int __shadow_pte_fork_prepare(struct mm_struct *dst_mm, pmd_t *dst_pmd,
			      pmd_t *src_pmd, unsigned long addr);

/**
 * shadow_pte_mkspecial - a special PTE is being installed at @ptep
 * @ptep: the slot; its PTL is held (or the table is not yet visible)
 *
 * Return: 0, or -ENOMEM if the table has no shadow table and none could be
 * allocated without sleeping. The caller must then not install the PTE.
 */
static __always_inline int shadow_pte_mkspecial(pte_t *ptep)
{
	struct shadow_pte_table *t = ptdesc_shadow(shadow_pte_ptdesc(ptep));

	if (likely(t)) {
		atomic_or(SHADOW_PTE_SPECIAL, &t->ent[shadow_pte_slot(ptep)]);
		return 0;
	}
	return __shadow_pte_mkspecial(ptep);
}

/* The special PTE at @ptep is being replaced by a normal one (PTL held). */
static __always_inline void shadow_pte_unspecial(pte_t *ptep)
{
	struct shadow_pte_table *t = ptdesc_shadow(shadow_pte_ptdesc(ptep));

	if (unlikely(t))
		atomic_andnot(SHADOW_PTE_SPECIAL, &t->ent[shadow_pte_slot(ptep)]);
}

/*
 * Before taking the PTL of the table that maps @addr under @pmd, to install
 * a special PTE: allocate that table if it does not exist yet and give it a
 * shadow table, sleeping if need be, so that shadow_pte_mkspecial() under
 * the PTL finds one. May sleep. Failure is not fatal here: the call under
 * the PTL then tries once more without sleeping.
 */
static __always_inline void shadow_pte_special_prepare(struct mm_struct *mm, pmd_t *pmd,
						       unsigned long addr)
{
	__shadow_pte_special_prepare(mm, pmd, addr);
}

/*
 * fork: before copy_pte_range() takes its PTLs, give the child's table a
 * shadow table if the parent's table has special bits to copy into it.
 * Return: 0 or -ENOMEM (fork fails).
 */
static __always_inline int shadow_pte_fork_prepare(struct mm_struct *dst_mm,
						   pmd_t *dst_pmd, pmd_t *src_pmd,
					  unsigned long addr)
{
	return __shadow_pte_fork_prepare(dst_mm, dst_pmd, src_pmd, addr);
}

/* fork: the special PTE at @src_pte was copied to @dst_pte (PTLs held). */
static __always_inline void shadow_pte_fork_special(pte_t *dst_pte, pte_t *src_pte)
{
	if (unlikely(shadow_pte_special(shadow_pte_entry(src_pte))))
		WARN_ON_ONCE(shadow_pte_mkspecial(dst_pte));
}

/*
 * CONFIG_DEBUG_SHADOW_PTE, where the architecture has a hardware special
 * bit: the shadow bit must agree with it.
 */
static __always_inline void shadow_pte_check_special(pte_t pte, bool special)
{
	if (IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE) &&
	    IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL))
		WARN_ONCE(special != !!pte_special(pte),
			  "shadow_pte: shadow special bit %d, hardware bit %d (pte %#llx)\n",
			  special, !!pte_special(pte), (u64)pte_val(pte));
}

/* Is the PTE at @ptep special, by its shadow entry? */
static __always_inline bool shadow_pte_special_at(const pte_t *ptep)
{
	return shadow_pte_special(shadow_pte_entry(ptep));
}
#else /* !CONFIG_SHADOW_PTE_SPECIAL */
static __always_inline int shadow_pte_mkspecial(pte_t *ptep) { return 0; }
static __always_inline void shadow_pte_unspecial(pte_t *ptep) { }
static __always_inline void shadow_pte_special_prepare(struct mm_struct *mm, pmd_t *pmd,
						       unsigned long addr) { }
static __always_inline int shadow_pte_fork_prepare(struct mm_struct *dst_mm,
						   pmd_t *dst_pmd, pmd_t *src_pmd,
					  unsigned long addr) { return 0; }
static __always_inline void shadow_pte_fork_special(pte_t *dst_pte, pte_t *src_pte) { }
#endif /* CONFIG_SHADOW_PTE_SPECIAL */

/* Constructor/destructor/deposit hooks: a store, or a NULL test. */
static __always_inline void shadow_pte_table_ctor(struct ptdesc *pt)
{
	pt->pt_shadow = NULL;
}

static __always_inline void shadow_pte_table_dtor(struct ptdesc *pt)
{
	if (unlikely(pt->pt_shadow))
		__shadow_pte_table_dtor(pt);
}

static __always_inline void shadow_pte_table_deposit(struct ptdesc *pt)
{
	if (unlikely(pt->pt_shadow))
		__shadow_pte_table_deposit(pt);
}

#else /* !CONFIG_SHADOW_PTE */

struct shadow_pte_prealloc { };

static __always_inline bool shadow_pte_tracks(const struct folio *folio) { return false; }
static __always_inline u32 shadow_pte_entry(const pte_t *ptep) { return 0; }
static __always_inline int shadow_pte_prealloc_fill(struct shadow_pte_prealloc *pa,
						    bool pin) { return 0; }
static __always_inline void shadow_pte_prealloc_free(struct shadow_pte_prealloc *pa) { }
static __always_inline int shadow_pte_gup_pin(struct ptdesc *pt, unsigned int idx,
					      struct folio *folio, bool write,
				     struct shadow_pte_prealloc *pa) { return 0; }
static __always_inline int shadow_pte_gup_fast_pin(pte_t *ptep, pte_t pte, pmd_t *pmdp,
						   pmd_t pmd, struct folio *folio,
						   bool write) { return 0; }
static __always_inline void shadow_pte_check_fork(pte_t *ptep, struct folio *folio,
						  struct page *page) { }
static __always_inline void shadow_pte_unpin_folio(struct folio *folio, int refs) { }
static __always_inline void shadow_pte_add_pin(struct folio *folio) { }
static __always_inline void shadow_pte_zap(pte_t *ptep, unsigned int nr,
					   struct folio *folio) { }
static __always_inline int shadow_pte_move_prepare(pte_t *old_ptep, pte_t *new_ptep,
						   struct shadow_pte_prealloc *pa) { return 0; }
static __always_inline bool shadow_pte_has_table(const pte_t *ptep) { return false; }
static __always_inline void shadow_pte_move(pte_t *old_ptep, pte_t *new_ptep, pte_t pte) { }
static __always_inline int shadow_pte_mkspecial(pte_t *ptep) { return 0; }
static __always_inline void shadow_pte_unspecial(pte_t *ptep) { }
static __always_inline void shadow_pte_special_prepare(struct mm_struct *mm, pmd_t *pmd,
						       unsigned long addr) { }
static __always_inline int shadow_pte_fork_prepare(struct mm_struct *dst_mm,
						   pmd_t *dst_pmd, pmd_t *src_pmd,
					  unsigned long addr) { return 0; }
static __always_inline void shadow_pte_fork_special(pte_t *dst_pte, pte_t *src_pte) { }
static __always_inline void shadow_pte_table_ctor(struct ptdesc *pt) { }
static __always_inline void shadow_pte_table_dtor(struct ptdesc *pt) { }
static __always_inline void shadow_pte_table_deposit(struct ptdesc *pt) { }

#endif /* CONFIG_SHADOW_PTE */
#endif /* _LINUX_SHADOW_PTE_H */
