/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow PTEs: per-PTE software state for user PTE tables, kept in a lazily
 * allocated shadow table that the PTE table's ptdesc points to: the exact
 * number of FOLL_PIN pins taken through each PTE (R/O and R/W apart) and,
 * with CONFIG_SHADOW_PTE_SPECIAL, a software pte_special().
 *
 * This header has what the rest of the kernel uses: the entry format, the
 * pointer accessor, and the hooks, each an inline fast path that tests for
 * a shadow table (or for the pin record hash) and calls an out-of-line
 * __shadow_pte_*() slow path in mm/shadow_pte.c, with empty stubs for
 * CONFIG_SHADOW_PTE=n. The primitives only mm/shadow_pte.c and its KUnit
 * suite use are in mm/shadow_pte_internal.h.
 *
 * Documentation/mm/shadow_pte.rst has the design: why the page-bit guess is
 * not enough, the entry layout, why the pointer lives in word 4 of the
 * ptdesc, a shadow table's lifetime, which pins are counted, the pin-count
 * protocol with its locking table, the special bit and the accounting.
 * Entry format (one atomic_t per PTE):
 *
 *   bits  0..14  R/O pin count, 0..32767 (32767: saturated)
 *   bits 15..29  R/W pin count, 0..32767 (32767: saturated)
 *   bit  30      SPECIAL: software pte_special()
 *   bit  31      reserved, always 0
 *
 * Lock order: PTE table lock, then one pin-record bucket lock.
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
/*
 * The PTE moved here by mremap, and the pins counted for its page may be
 * counted at the slot it came from: the table's back reference covering
 * this index names it (shadow_pte_pinned_at()).
 */
#define SHADOW_PTE_BACK		BIT(31)

/*
 * One shadow entry per PTE of the table it shadows, and the rcu_head that
 * defers its freeing past concurrent GUP-fast walkers. The rcu_head cannot
 * overlay the entries: a walker may still increment any entry until the
 * grace period ends.
 */
/*
 * A back reference (mremap, Documentation/mm/shadow_pte.rst): the entries
 * [@lo, @hi) of its table that have SHADOW_PTE_BACK set moved there from
 * entry index + @delta of @src, which may still count their pins. @nback
 * of them have the bit set; the reference holds one of @src's nrec. Set,
 * read and cleared under the table's PTL.
 */
struct shadow_pte_back {
	struct shadow_pte_table *src;
	u16 lo, hi, nback;
	s16 delta;
};

#define SHADOW_PTE_NR_BACK	2

struct shadow_pte_table {
	atomic_t ent[PTRS_PER_PTE];
	struct rcu_head rcu;
	atomic_t nrec;		/* pin words naming it, + the PTE table's */
	struct shadow_pte_back back[SHADOW_PTE_NR_BACK];
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

void __shadow_pte_table_dtor(struct ptdesc *pt);
void __shadow_pte_table_deposit(struct ptdesc *pt);

/* Pins counted per PTE: "Which pins are counted" in shadow_pte.rst. */
struct shadow_pte_record;

/* What a pin may need, allocated with GFP_KERNEL before taking the PTL. */
struct shadow_pte_prealloc {
	struct shadow_pte_table *table;
	struct shadow_pte_record *pin;
};

/* The pin words' directory size: 0 until the first pin is counted. */
extern unsigned long shadow_pte_word_chunks;

/* Was any pin counted? One load of a read-mostly word (unpin hooks). */
static __always_inline bool shadow_pte_counting(void)
{
	return READ_ONCE(shadow_pte_word_chunks);
}

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
void __shadow_pte_move_range(struct ptdesc *old_pt, unsigned int oidx,
			     struct ptdesc *new_pt, unsigned int nidx,
			     pte_t *new_ptep, unsigned int nr);
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

bool __shadow_pte_back_pinned(struct shadow_pte_table *t, unsigned int idx);

/*
 * Are pins counted for the page at @ptep (its PTL held)? Its entry's
 * counts, or, for a PTE that mremap moved here (SHADOW_PTE_BACK), those
 * of the slot it came from too.
 */
static __always_inline bool shadow_pte_pinned_at(const pte_t *ptep)
{
	struct shadow_pte_table *t = ptdesc_shadow(shadow_pte_ptdesc(ptep));
	u32 e;

	if (!t)
		return false;
	e = atomic_read(&t->ent[shadow_pte_slot(ptep)]);
	if (likely(!(e & SHADOW_PTE_BACK)))
		return shadow_pte_pinned(e);
	return __shadow_pte_back_pinned(t, shadow_pte_slot(ptep));
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
	if (shadow_pte_tracks(folio) && shadow_pte_counting())
		__shadow_pte_unpin_folio(folio, refs);
}

/*
 * Large anonymous folios (Documentation/mm/shadow_pte.rst, "Large folios"):
 * pins are recorded per subpage when GUP hands the pages out, never in an
 * entry; fork trusts them only while they add up to the folio's _pincount.
 */
static __always_inline bool shadow_pte_tracks_large(const struct folio *folio)
{
	return folio_test_large(folio) && folio_test_anon(folio) &&
	       !folio_test_hugetlb(folio);
}

void __shadow_pte_gup_done(struct page **pages, long nr, bool can_sleep);
void __shadow_pte_unpin_large(struct folio *folio, struct page * const *pages,
			      struct page *page, int refs);
int __shadow_pte_fork_unpinned(struct folio *folio, struct page *page, int nr);

/*
 * GUP pinned @nr pages (FOLL_PIN) and returns them to its caller: record
 * the pins of large anonymous folios by subpage. @can_sleep: the record may
 * be allocated with GFP_KERNEL.
 */
static __always_inline void shadow_pte_gup_done(struct page **pages, long nr,
						bool can_sleep)
{
	if (nr > 0)
		__shadow_pte_gup_done(pages, nr, can_sleep);
}

DECLARE_PER_CPU(bool, shadow_pte_fast_large);

/*
 * GUP-fast (IRQs off) took FOLL_PIN pins of the large folio @folio: note it
 * on this CPU, so that gup_fast() looks for large folios to record only
 * when it pinned one.
 */
static __always_inline void shadow_pte_gup_fast_large(struct folio *folio)
{
	if (shadow_pte_tracks_large(folio))
		__this_cpu_write(shadow_pte_fast_large, true);
}

/*
 * At the end of gup_fast()'s IRQs-off walk: did it pin a large anonymous
 * folio? Clears the note for the next walk on this CPU; every note is set
 * and cleared inside one such walk, so none leaks into another.
 */
static __always_inline bool shadow_pte_gup_fast_took_large(void)
{
	if (likely(!__this_cpu_read(shadow_pte_fast_large)))
		return false;
	__this_cpu_write(shadow_pte_fast_large, false);
	return true;
}

/*
 * @refs FOLL_PIN pins of @folio are being dropped (before the folio's pin
 * count is lowered). @pages (an array of @refs) or @page (the first of
 * @refs contiguous pages) names the pages they were taken on; both are NULL
 * when the caller cannot say (unpin_folio(), unpin_user_folio(), ...): the
 * per-subpage records of a large folio are then forgotten.
 */
static __always_inline void shadow_pte_unpin(struct folio *folio,
					     struct page * const *pages,
					     struct page *page, int refs)
{
	if (likely(!shadow_pte_counting()))
		return;
	if (shadow_pte_tracks(folio))
		__shadow_pte_unpin_folio(folio, refs);
	else if (shadow_pte_tracks_large(folio))
		__shadow_pte_unpin_large(folio, pages, page, refs);
}

bool __shadow_pte_unpin_pages(struct page * const *pages, unsigned long npages);

/*
 * unpin_user_pages() is about to drop one pin per entry of @pages: uncount
 * those of order-0 anonymous folios, all before any pin is dropped. If it
 * returns true, the caller then passes each folio to
 * shadow_pte_unpin_large(), not to shadow_pte_unpin(); false: no page of
 * a large anonymous folio is among them.
 */
static __always_inline bool shadow_pte_unpin_pages(struct page * const *pages,
						   unsigned long npages)
{
	return shadow_pte_counting() && __shadow_pte_unpin_pages(pages, npages);
}

/* shadow_pte_unpin() for the folios shadow_pte_unpin_pages() left alone. */
static __always_inline void shadow_pte_unpin_large(struct folio *folio,
						   struct page * const *pages,
						   struct page *page, int refs)
{
	if (shadow_pte_tracks_large(folio) && shadow_pte_counting())
		__shadow_pte_unpin_large(folio, pages, page, refs);
}

/* folio_add_pin(): one more pin on a folio that is already pinned. */
static __always_inline void shadow_pte_add_pin(struct folio *folio)
{
	if (shadow_pte_tracks(folio) && shadow_pte_counting())
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

/* zap: has the table of @ptep a shadow table? Stable under its PTL. */
static __always_inline bool shadow_pte_has_table(const pte_t *ptep)
{
	return ptdesc_shadow(shadow_pte_ptdesc(ptep));
}

/* mremap: the shadow table of @ptep's table, or NULL. Stable under its PTL. */
static __always_inline struct shadow_pte_table *shadow_pte_table_of(const pte_t *ptep)
{
	return ptdesc_shadow(shadow_pte_ptdesc(ptep));
}

/*
 * mremap: @nr PTEs moved from @old_ptep, whose table's shadow table is
 * @ot, to @new_ptep (both PTLs held, after move_ptes()' loop). The barrier
 * orders the old PTEs' clearing before the reads of their counts
 * (shadow_pte.rst), once for the batch; a zero entry has nothing to move:
 * no count, and no special bit, which only changes under the PTL held here.
 */
static __always_inline void shadow_pte_move_range(struct shadow_pte_table *ot,
						  pte_t *old_ptep, pte_t *new_ptep,
						  unsigned int nr)
{
	unsigned int oidx = shadow_pte_slot(old_ptep), i;

	/* Pairs with GUP-fast's barrier between its count and its recheck. */
	smp_mb();
	for (i = 0; i < nr; i++)
		if (unlikely(atomic_read(&ot->ent[oidx + i])))
			break;
	if (likely(i == nr))
		return;
	__shadow_pte_move_range(shadow_pte_ptdesc(old_ptep), oidx + i,
				shadow_pte_ptdesc(new_ptep),
				shadow_pte_slot(new_ptep) + i, new_ptep + i, nr - i);
}

#ifdef CONFIG_SHADOW_PTE_SPECIAL
/*
 * The special bit (Documentation/mm/shadow_pte.rst). Every site that installs
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
static __always_inline bool shadow_pte_tracks_large(const struct folio *folio) { return false; }
static __always_inline void shadow_pte_gup_done(struct page **pages, long nr,
						bool can_sleep) { }
static __always_inline void shadow_pte_gup_fast_large(struct folio *folio) { }
static __always_inline bool shadow_pte_gup_fast_took_large(void) { return false; }
static __always_inline void shadow_pte_unpin(struct folio *folio,
					     struct page * const *pages,
					     struct page *page, int refs) { }
static __always_inline bool shadow_pte_unpin_pages(struct page * const *pages,
						   unsigned long npages) { return false; }
static __always_inline void shadow_pte_unpin_large(struct folio *folio,
						   struct page * const *pages,
						   struct page *page, int refs) { }
static __always_inline void shadow_pte_add_pin(struct folio *folio) { }
static __always_inline void shadow_pte_zap(pte_t *ptep, unsigned int nr,
					   struct folio *folio) { }
static __always_inline int shadow_pte_move_prepare(pte_t *old_ptep, pte_t *new_ptep,
						   struct shadow_pte_prealloc *pa) { return 0; }
static __always_inline bool shadow_pte_has_table(const pte_t *ptep) { return false; }
static __always_inline struct shadow_pte_table *shadow_pte_table_of(const pte_t *ptep)
{
	return NULL;
}

static __always_inline void shadow_pte_move_range(struct shadow_pte_table *ot,
						  pte_t *old_ptep, pte_t *new_ptep,
						  unsigned int nr) { }
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
