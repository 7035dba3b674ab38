// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for shadow PTEs (mm/shadow_pte.c): the entry operations, and
 * the shadow table's life beside a real PTE table of a test mm.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pgalloc.h>
#include <linux/rcupdate.h>
#include <linux/shadow_pte.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>
#include <asm/pgalloc.h>

#include "shadow_pte_internal.h"

static struct shadow_pte_table *alloc_table(struct kunit *test)
{
	struct shadow_pte_table *t = shadow_pte_table_alloc(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	return t;
}

static void spte_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, SHADOW_PTE_COUNT_MAX, 32767U);
	KUNIT_EXPECT_EQ(test, SHADOW_PTE_RO_MASK, 0x00007fffU);
	KUNIT_EXPECT_EQ(test, SHADOW_PTE_RW_MASK, 0x3fff8000U);
	KUNIT_EXPECT_EQ(test, (u32)SHADOW_PTE_SPECIAL, 0x40000000U);
	KUNIT_EXPECT_EQ(test, (u32)SHADOW_PTE_BACK, 0x80000000U);
	KUNIT_EXPECT_EQ(test, offsetof(struct shadow_pte_table, rcu), PTRS_PER_PTE * 4);
}

static void spte_alloc_zeroed_and_counted(struct kunit *test)
{
	long before = shadow_pte_nr_tables();
	struct shadow_pte_table *t = alloc_table(test);
	unsigned int i;

	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before + 1);
	for (i = 0; i < PTRS_PER_PTE; i++)
		KUNIT_EXPECT_EQ(test, shadow_pte_read(t, i), 0U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	shadow_pte_table_free(t);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
	shadow_pte_table_free(NULL);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
}

static void spte_ro_rw_apart(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);
	u32 v;

	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, 7, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, 7, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, 7, true), 0);
	v = shadow_pte_read(t, 7);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 2U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_pinned(v));
	KUNIT_EXPECT_FALSE(test, shadow_pte_special(v));
	/* Neighbours are untouched. */
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 6), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 8), 0U);

	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, 7, true), 0);
	v = shadow_pte_read(t, 7);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 2U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 0U);
	shadow_pte_table_free(t);
}

static void spte_unpin_at_zero(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);

	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, 3, false), -ENOENT);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, 3, true), -ENOENT);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 3), 0U);
	/* An R/W unpin must not eat an R/O pin. */
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, 3, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, 3, true), -ENOENT);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(shadow_pte_read(t, 3)), 1U);
	shadow_pte_table_free(t);
}

/*
 * A count that reaches SHADOW_PTE_COUNT_MAX saturates: it keeps reading as
 * pinned and ignores later pins and unpins (the records keep the exact
 * count), so it can over-count but never wrap or under-count.
 */
static const bool spte_saturate_write[] = { false, true };

static void spte_saturate_desc(const bool *write, char *desc)
{
	strscpy(desc, *write ? "R/W count" : "R/O count", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(spte_saturate, spte_saturate_write, spte_saturate_desc);

static void spte_saturate(struct kunit *test)
{
	bool write = *(const bool *)test->param_value;
	struct shadow_pte_table *t = alloc_table(test);
	unsigned int i;
	u32 v;

	for (i = 0; i < SHADOW_PTE_COUNT_MAX; i++)
		if (shadow_pte_entry_inc(t, 0, write))
			break;
	KUNIT_EXPECT_EQ(test, i, SHADOW_PTE_COUNT_MAX);
	v = shadow_pte_read(t, 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, 0, write), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 0), v);
	KUNIT_EXPECT_EQ(test, write ? shadow_pte_rw(v) : shadow_pte_ro(v), SHADOW_PTE_COUNT_MAX);
	/* The other count and the flag bits are unaffected... */
	KUNIT_EXPECT_EQ(test, write ? shadow_pte_ro(v) : shadow_pte_rw(v), 0U);
	KUNIT_EXPECT_FALSE(test, v & (SHADOW_PTE_SPECIAL | SHADOW_PTE_BACK));
	/* ...and still work. */
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, 0, !write), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, 0, !write), 0);
	/* Saturated is sticky: an unpin does not bring it back below. */
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, 0, write), -EOVERFLOW);
	KUNIT_EXPECT_TRUE(test, shadow_pte_pinned(shadow_pte_read(t, 0)));
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 0), v);
	shadow_pte_table_free(t);
}

static void spte_special_independent(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);
	u32 v;

	KUNIT_EXPECT_EQ(test, shadow_pte_set_special(t, 9), 0);
	KUNIT_EXPECT_TRUE(test, shadow_pte_special(shadow_pte_read(t, 9)));
	KUNIT_EXPECT_FALSE(test, shadow_pte_pinned(shadow_pte_read(t, 9)));
	KUNIT_EXPECT_FALSE(test, shadow_pte_table_empty(t));
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, 9, true), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, 9, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_clear_special(t, 9), 0);
	v = shadow_pte_read(t, 9);
	KUNIT_EXPECT_FALSE(test, shadow_pte_special(v));
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_set_special(t, 9), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, 9, true), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, 9, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 9), (u32)SHADOW_PTE_SPECIAL);
	shadow_pte_table_free(t);
}

static void spte_empty_tracks_contents(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);

	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, PTRS_PER_PTE - 1, false), 0);
	KUNIT_EXPECT_FALSE(test, shadow_pte_table_empty(t));
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, PTRS_PER_PTE - 1, false), 0);
	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	shadow_pte_table_free(t);
}

static void spte_bad_index(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);

	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, PTRS_PER_PTE, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_dec(t, PTRS_PER_PTE, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_set_special(t, UINT_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_clear_special(t, PTRS_PER_PTE), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, PTRS_PER_PTE), 0U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	shadow_pte_table_free(t);
}

#define SPTE_THREADS	4
#define SPTE_ROUNDS	2000

struct spte_worker {
	struct shadow_pte_table *t;
	bool unpin;
	int errors;
	struct completion done;
};

static int spte_worker_fn(void *arg)
{
	struct spte_worker *w = arg;
	int i;

	for (i = 0; i < SPTE_ROUNDS; i++) {
		bool write = i & 1;
		int ret = w->unpin ? shadow_pte_entry_dec(w->t, 11, write) :
				     shadow_pte_entry_inc(w->t, 11, write);

		if (ret)
			w->errors++;
		if (!(i % 64))
			cond_resched();
	}
	complete(&w->done);
	return 0;
}

static void spte_run_workers(struct kunit *test, struct shadow_pte_table *t, bool unpin)
{
	struct spte_worker w[SPTE_THREADS];
	struct task_struct *tsk;
	int i;

	for (i = 0; i < SPTE_THREADS; i++) {
		w[i].t = t;
		w[i].unpin = unpin;
		w[i].errors = 0;
		init_completion(&w[i].done);
		tsk = kthread_run(spte_worker_fn, &w[i], "spte-kunit/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tsk));
	}
	for (i = 0; i < SPTE_THREADS; i++) {
		wait_for_completion(&w[i].done);
		KUNIT_EXPECT_EQ(test, w[i].errors, 0);
	}
}

static void spte_concurrent_sum_exact(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);
	u32 v;

	spte_run_workers(test, t, false);
	v = shadow_pte_read(t, 11);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), SPTE_THREADS * SPTE_ROUNDS / 2U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), SPTE_THREADS * SPTE_ROUNDS / 2U);
	spte_run_workers(test, t, true);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 11), 0U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	shadow_pte_table_free(t);
}

static struct kunit_case shadow_pte_entry_cases[] = {
	KUNIT_CASE(spte_layout),
	KUNIT_CASE(spte_alloc_zeroed_and_counted),
	KUNIT_CASE(spte_ro_rw_apart),
	KUNIT_CASE(spte_unpin_at_zero),
	KUNIT_CASE_PARAM(spte_saturate, spte_saturate_gen_params),
	KUNIT_CASE(spte_special_independent),
	KUNIT_CASE(spte_empty_tracks_contents),
	KUNIT_CASE(spte_bad_index),
	KUNIT_CASE(spte_concurrent_sum_exact),
	{}
};

static struct kunit_suite shadow_pte_entry_suite = {
	.name = "shadow_pte_entry",
	.test_cases = shadow_pte_entry_cases,
};

/*
 * Shadow tables beside real PTE tables. Each case runs in its own kthread,
 * which kunit_vm_mmap() gives a fresh mm; the mappings are small so that
 * no THP can back them and each fault populates an ordinary PTE table.
 */
#define SPTE_MAP_LEN	(16 * PAGE_SIZE)

static unsigned long spte_map(struct kunit *test)
{
	unsigned long addr = kunit_vm_mmap(test, NULL, 0, SPTE_MAP_LEN,
					   PROT_READ | PROT_WRITE,
					   MAP_ANONYMOUS | MAP_PRIVATE, 0);

	KUNIT_ASSERT_NE_MSG(test, addr, 0UL, "kunit_vm_mmap failed");
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	return addr;
}

static void spte_touch(struct kunit *test, unsigned long addr)
{
	char c = 1;

	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, &c, 1), 0UL);
}

/* Map the PTE table of @addr in current->mm and take its PTL. */
static pte_t *spte_lock(struct kunit *test, unsigned long addr, spinlock_t **ptl)
{
	struct mm_struct *mm = current->mm;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t *pte;

	pgd = pgd_offset(mm, addr);
	KUNIT_ASSERT_FALSE(test, pgd_none(*pgd));
	p4d = p4d_offset(pgd, addr);
	KUNIT_ASSERT_FALSE(test, p4d_none(*p4d));
	pud = pud_offset(p4d, addr);
	KUNIT_ASSERT_FALSE(test, pud_none(*pud));
	pmd = pmd_offset(pud, addr);
	mmap_read_lock(mm);
	pte = pte_offset_map_lock(mm, pmd, addr, ptl);
	if (!pte)
		mmap_read_unlock(mm);
	KUNIT_ASSERT_NOT_NULL_MSG(test, pte, "no PTE table at %#lx", addr);
	return pte;
}

static void spte_unlock(pte_t *pte, spinlock_t *ptl)
{
	pte_unmap_unlock(pte, ptl);
	mmap_read_unlock(current->mm);
}

/* The ptdesc of the (populated) PTE table that maps @addr. */
static struct ptdesc *spte_table_of(struct kunit *test, unsigned long addr)
{
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *pte = spte_lock(test, addr, &ptl);
	struct ptdesc *pt = virt_to_ptdesc(pte);

	spte_unlock(pte, ptl);
	return pt;
}

/* Attach a shadow table the way callers will: allocate unlocked, retry. */
static struct shadow_pte_table *spte_attach(struct kunit *test, unsigned long addr)
{
	struct shadow_pte_table *t, *prealloc = NULL;
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *pte;

	for (;;) {
		pte = spte_lock(test, addr, &ptl);
		t = shadow_pte_attach(virt_to_ptdesc(pte), &prealloc);
		spte_unlock(pte, ptl);
		if (t)
			break;
		prealloc = shadow_pte_table_alloc(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, prealloc);
	}
	shadow_pte_table_free(prealloc);
	return t;
}

/* Wait until every table freed so far has gone through RCU (two levels). */
static void spte_drain(void)
{
	rcu_barrier();
	rcu_barrier();
}

/*
 * End of a case that left shadow tables attached: unmap them now. The test
 * mm itself is torn down only after the next case has started, and tables
 * freed then would move that case's shadow_pte_nr_tables() baseline.
 */
static void spte_done(struct kunit *test, unsigned long addr)
{
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, SPTE_MAP_LEN), 0);
	spte_drain();
}

static void spte_ctor_clears_stale_word(struct kunit *test)
{
	struct ptdesc *pt = pagetable_alloc(GFP_KERNEL, 0);

	KUNIT_ASSERT_NOT_NULL(test, pt);
	/* The allocator leaves stale data in word 4; the ctor must not trust it. */
	ptdesc_page(pt)->index = 0xdead000UL;
	KUNIT_ASSERT_TRUE(test, pagetable_pte_ctor(pt));
	KUNIT_EXPECT_NULL(test, ptdesc_shadow(pt));
	pagetable_pte_dtor(pt);
	pagetable_free(pt);
}

static void spte_none_before_first_use(struct kunit *test)
{
	long before = shadow_pte_nr_tables();
	unsigned long addr = spte_map(test), off;

	for (off = 0; off < SPTE_MAP_LEN; off += PAGE_SIZE)
		spte_touch(test, addr + off);
	KUNIT_EXPECT_NULL(test, ptdesc_shadow(spte_table_of(test, addr)));
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
}

static void spte_attach_on_first_use(struct kunit *test)
{
	unsigned long addr = spte_map(test);
	struct shadow_pte_table *t, *t2, *spare;
	long before = shadow_pte_nr_tables();
	struct ptdesc *pt;
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *pte;

	spte_touch(test, addr);
	/* Without a preallocated table, attach refuses instead of allocating. */
	pte = spte_lock(test, addr, &ptl);
	pt = virt_to_ptdesc(pte);
	t = shadow_pte_attach(pt, NULL);
	spte_unlock(pte, ptl);
	KUNIT_EXPECT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);

	t = spte_attach(test, addr);
	KUNIT_EXPECT_PTR_EQ(test, ptdesc_shadow(pt), t);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before + 1);

	/* A second user finds the same table and keeps its preallocation. */
	spare = shadow_pte_table_alloc(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, spare);
	pte = spte_lock(test, addr, &ptl);
	t2 = shadow_pte_attach(pt, &spare);
	spte_unlock(pte, ptl);
	KUNIT_EXPECT_PTR_EQ(test, t2, t);
	KUNIT_EXPECT_NOT_NULL(test, spare);
	shadow_pte_table_free(spare);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before + 1);
	spte_done(test, addr);
}

static void spte_pointer_in_word4(struct kunit *test)
{
	unsigned long addr = spte_map(test);
	struct shadow_pte_table *t;
	unsigned long word1;
	struct ptdesc *pt;
	struct page *page;

	spte_touch(test, addr);
	pt = spte_table_of(test, addr);
	page = ptdesc_page(pt);
	word1 = pt->_pt_pad_1;
	t = spte_attach(test, addr);
	KUNIT_EXPECT_EQ(test, page->index, (unsigned long)t);
	/* Bit-0 invariant: the pointer is never mistaken for a tail page. */
	KUNIT_EXPECT_EQ(test, (unsigned long)t & 1, 0UL);
	KUNIT_EXPECT_EQ(test, pt->_pt_pad_1, word1);
	KUNIT_EXPECT_FALSE(test, PageTail(page));
	KUNIT_EXPECT_PTR_EQ(test, (void *)page_folio(page), (void *)page);
	KUNIT_EXPECT_TRUE(test, folio_test_pgtable(ptdesc_folio(pt)));
	spte_done(test, addr);
}

static void spte_freed_on_munmap(struct kunit *test)
{
	long before = shadow_pte_nr_tables();
	unsigned long addr = spte_map(test);
	struct shadow_pte_table *t;

	spte_touch(test, addr);
	t = spte_attach(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, pte_index(addr), true), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before + 1);
	/* free_pgtables() -> ___pte_free_tlb()/__pte_free_tlb() -> dtor */
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, SPTE_MAP_LEN), 0);
	spte_drain();
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
}

static void spte_freed_on_pte_free(struct kunit *test)
{
	long before;
	struct shadow_pte_table *t, *prealloc;
	pgtable_t pgtable;

	spte_map(test);		/* gives this kthread an mm */
	before = shadow_pte_nr_tables();
	pgtable = pte_alloc_one(current->mm);
	KUNIT_ASSERT_NOT_NULL(test, pgtable);
	KUNIT_EXPECT_NULL(test, ptdesc_shadow(page_ptdesc(pgtable)));
	prealloc = shadow_pte_table_alloc(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, prealloc);
	/* Not installed anywhere yet: no PTL needed. */
	t = shadow_pte_attach(page_ptdesc(pgtable), &prealloc);
	KUNIT_EXPECT_NOT_NULL(test, t);
	KUNIT_EXPECT_NULL(test, prealloc);
	pte_free(current->mm, pgtable);
	spte_drain();
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
}

static pgtable_t spte_pgtable_with_shadow(struct kunit *test,
					  struct shadow_pte_table **tp)
{
	struct shadow_pte_table *prealloc;
	pgtable_t pgtable;

	pgtable = pte_alloc_one(current->mm);
	KUNIT_ASSERT_NOT_NULL(test, pgtable);
	prealloc = shadow_pte_table_alloc(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, prealloc);
	*tp = shadow_pte_attach(page_ptdesc(pgtable), &prealloc);
	return pgtable;
}

static void spte_freed_on_pte_free_defer(struct kunit *test)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	struct shadow_pte_table *t;
	pgtable_t pgtable;
	long before;

	spte_map(test);
	before = shadow_pte_nr_tables();
	pgtable = spte_pgtable_with_shadow(test, &t);
	KUNIT_EXPECT_EQ(test, shadow_pte_set_special(t, 5), 0);
	/* khugepaged's path: words 1-2 become pt_rcu_head before the dtor. */
	pte_free_defer(current->mm, pgtable);
	spte_drain();
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
#else
	kunit_skip(test, "pte_free_defer() exists only with CONFIG_TRANSPARENT_HUGEPAGE");
#endif
}

static void spte_detached_on_deposit(struct kunit *test)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	unsigned long addr = spte_map(test);
	struct mm_struct *mm = current->mm;
	struct shadow_pte_table *t;
	pgtable_t pgtable, back;
	spinlock_t *pml;	/* the PMD's lock */
	pmd_t *pmd;
	long before;

	spte_touch(test, addr);
	pmd = pmd_offset(pud_offset(p4d_offset(pgd_offset(mm, addr), addr), addr), addr);
	before = shadow_pte_nr_tables();
	pgtable = spte_pgtable_with_shadow(test, &t);
	KUNIT_EXPECT_EQ(test, shadow_pte_set_special(t, 9), 0);
	pml = pmd_lock(mm, pmd);
	pgtable_trans_huge_deposit(mm, pmd, pgtable);
	KUNIT_EXPECT_NULL(test, ptdesc_shadow(page_ptdesc(pgtable)));
	back = pgtable_trans_huge_withdraw(mm, pmd);
	spin_unlock(pml);
	KUNIT_EXPECT_PTR_EQ(test, back, pgtable);
	KUNIT_EXPECT_NULL(test, ptdesc_shadow(page_ptdesc(back)));
	pte_free(mm, back);
	spte_drain();
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
#else
	kunit_skip(test, "PTE tables are deposited only with CONFIG_TRANSPARENT_HUGEPAGE");
#endif
}

static void spte_alloc_failure_leaves_nothing(struct kunit *test)
{
	unsigned long addr = spte_map(test);
	long tables, fails = shadow_pte_nr_alloc_fail();
	struct shadow_pte_table *t;
	struct ptdesc *pt;
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *pte;

	spte_touch(test, addr);
	pt = spte_table_of(test, addr);
	tables = shadow_pte_nr_tables();
	shadow_pte_fail_next_allocs(1);
	t = shadow_pte_table_alloc(GFP_KERNEL);
	KUNIT_EXPECT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_alloc_fail(), fails + 1);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), tables);
	/* The caller's retry with a failed preallocation attaches nothing. */
	pte = spte_lock(test, addr, &ptl);
	KUNIT_EXPECT_NULL(test, shadow_pte_attach(pt, &t));
	spte_unlock(pte, ptl);
	KUNIT_EXPECT_NULL(test, ptdesc_shadow(pt));
	/* Injection was for one allocation only. */
	t = shadow_pte_table_alloc(GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, t);
	shadow_pte_table_free(t);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), tables);
}

static void spte_query_reports_each_state(struct kunit *test)
{
	unsigned long addr = spte_map(test);
	struct mm_struct *mm = current->mm;
	enum shadow_pte_where where;
	struct shadow_pte_table *t;
	u32 val, *table;

	table = kunit_kcalloc(test, PTRS_PER_PTE, sizeof(*table), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, table);
	KUNIT_EXPECT_EQ(test, shadow_pte_query(mm, addr + SPTE_MAP_LEN + PAGE_SIZE,
					       &where, &val, NULL), -EFAULT);
	KUNIT_EXPECT_EQ(test, shadow_pte_query(mm, addr, &where, &val, NULL), 0);
	KUNIT_EXPECT_EQ(test, where, SHADOW_PTE_NO_PGTABLE);
	spte_touch(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_query(mm, addr, &where, &val, NULL), 0);
	KUNIT_EXPECT_EQ(test, where, SHADOW_PTE_NO_SHADOW);
	t = spte_attach(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, pte_index(addr), false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_entry_inc(t, pte_index(addr), true), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_query(mm, addr, &where, &val, table), 0);
	KUNIT_EXPECT_EQ(test, where, SHADOW_PTE_ENTRY);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(val), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(val), 1U);
	KUNIT_EXPECT_EQ(test, table[pte_index(addr)], val);
	spte_done(test, addr);
}

/*
 * Pinners through the PTL (slow path) and lock-free (GUP-fast, IRQs off)
 * against a thread that keeps trying to free the table early: every pin
 * must be found in whatever table is attached at the end.
 */
/* Pin the page at @addr through the real GUP slow path. */
static struct page *spte_gup_pin(struct kunit *test, unsigned long addr,
				 unsigned int gup_flags, long want)
{
	struct page *page = NULL;
	long ret;

	mmap_read_lock(current->mm);
	ret = pin_user_pages(addr, 1, gup_flags, &page);
	mmap_read_unlock(current->mm);
	KUNIT_EXPECT_EQ(test, ret, want);
	return ret == 1 ? page : NULL;
}

static u32 spte_entry_of(struct kunit *test, unsigned long addr)
{
	enum shadow_pte_where where;
	u32 val;

	KUNIT_EXPECT_EQ(test, shadow_pte_query(current->mm, addr, &where, &val, NULL), 0);
	return where == SHADOW_PTE_ENTRY ? val : 0;
}

static void spte_gup_pin_counts_and_unpins(struct kunit *test)
{
	long before = shadow_pte_nr_tables();
	unsigned long addr = spte_map(test);
	struct page *page;
	u32 ro, rw;

	spte_touch(test, addr);
	page = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before + 1);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(spte_entry_of(test, addr)), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(page), &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, rw, 1U);
	/* The neighbour PTE in the same table holds nothing. */
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr + PAGE_SIZE), 0U);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(page), &ro, &rw), -ENOENT);
	spte_done(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
}

static void spte_gup_ro_rw_and_unpin_order(struct kunit *test)
{
	unsigned long addr = spte_map(test);
	struct page *r, *w;
	u32 v;

	spte_touch(test, addr);
	r = spte_gup_pin(test, addr, 0, 1);
	w = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_TRUE(test, r && w && r == w);
	v = spte_entry_of(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	/* Unpin cannot tell the two apart: R/O goes first, R/W stays. */
	unpin_user_page(w);
	v = spte_entry_of(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	unpin_user_page(r);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
	spte_done(test, addr);
}

static void spte_zap_detaches_pins(struct kunit *test)
{
	long before = shadow_pte_nr_tables();
	unsigned long addr = spte_map(test);
	struct page *page;
	u32 ro, rw;

	spte_touch(test, addr);
	page = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	get_page(page);		/* look at the record after the unpin too */
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, SPTE_MAP_LEN), 0);
	spte_drain();
	/* The PTE and its table are gone; the pin is not, and stays counted. */
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(page), &ro, &rw), 0L);
	KUNIT_EXPECT_EQ(test, rw, 1U);
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(page_folio(page)));
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(page), &ro, &rw), -ENOENT);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(page)));
	put_page(page);
}

/* The PMD that maps @addr in the test mm. */
static pmd_t *spte_pmdp(unsigned long addr)
{
	struct mm_struct *mm = current->mm;

	return pmd_offset(pud_offset(p4d_offset(pgd_offset(mm, addr), addr), addr), addr);
}

/*
 * What GUP-fast does with IRQs off, on the PTE of @addr, having read
 * @xor ^ the PTE's value: a non-zero @xor stands for a PTE that changed
 * between GUP-fast's read and its recheck. Like try_grab_folio(), it holds
 * GUP_PIN_COUNTING_BIAS references per pin, so that the debug checks see a
 * real pin; spte_fast_unpin() drops them.
 */
static int spte_fast_pin_as(struct kunit *test, unsigned long addr,
			    struct folio *folio, bool write, unsigned long xor)
{
	pmd_t *pmdp = spte_pmdp(addr);
	unsigned long flags;
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *pte = spte_lock(test, addr, &ptl);
	pte_t seen = __pte(pte_val(ptep_get(pte)) ^ xor);
	int ret;

	folio_ref_add(folio, GUP_PIN_COUNTING_BIAS);
	local_irq_save(flags);
	ret = shadow_pte_gup_fast_pin(pte, seen, pmdp, pmdp_get_lockless(pmdp),
				      folio, write);
	local_irq_restore(flags);
	spte_unlock(pte, ptl);
	if (ret)
		folio_ref_sub(folio, GUP_PIN_COUNTING_BIAS);
	return ret;
}

static int spte_fast_pin(struct kunit *test, unsigned long addr,
			 struct folio *folio, bool write)
{
	return spte_fast_pin_as(test, addr, folio, write, 0);
}

/* unpin_user_page() of a pin spte_fast_pin() took. */
static void spte_fast_unpin(struct folio *folio)
{
	shadow_pte_unpin_folio(folio, 1);
	folio_ref_sub(folio, GUP_PIN_COUNTING_BIAS);
}

/* A reference (not a pin) to the page at @addr, for the fast-pin cases. */
static struct folio *spte_get_folio(struct kunit *test, unsigned long addr)
{
	struct page *page = NULL;
	long ret;

	spte_touch(test, addr);
	mmap_read_lock(current->mm);
	ret = get_user_pages(addr, 1, 0, &page);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_EQ(test, ret, 1L);
	return page_folio(page);
}

/*
 * GUP-fast counts only where the table already has a shadow table and the
 * folio's record, if any, is at this PTE.
 */
static void spte_gup_fast_counts_where_shadow_exists(struct kunit *test)
{
	unsigned long addr = spte_map(test), next = addr + PAGE_SIZE;
	struct folio *folio = spte_get_folio(test, next);
	struct page *slow;
	u32 ro, rw, v;

	KUNIT_EXPECT_EQ(test, spte_fast_pin(test, next, folio, true), -EAGAIN);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), -ENOENT);

	spte_touch(test, addr);
	slow = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, slow);
	KUNIT_EXPECT_EQ(test, spte_fast_pin(test, next, folio, false), 0);
	KUNIT_EXPECT_EQ(test, spte_fast_pin(test, next, folio, true), 0);
	/* The same folio through another PTE: left to the slow path. */
	KUNIT_EXPECT_EQ(test, spte_fast_pin(test, addr, folio, true), -EAGAIN);
	v = spte_entry_of(test, next);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, ro + rw, 2U);
	/* The slow pin's entry is untouched. */
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(spte_entry_of(test, addr)), 1U);

	/* Unpin takes R/O first. */
	spte_fast_unpin(folio);
	v = spte_entry_of(test, next);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	spte_fast_unpin(folio);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, next), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), -ENOENT);
	unpin_user_page(slow);
	folio_put(folio);
	spte_done(test, addr);
}

/*
 * Finding 2 of the review (an under-count): GUP-fast read P's PTE, the slot
 * was zapped and Q faulted in and pinned there, then GUP-fast's recheck
 * failed. Its back-out must remove exactly its own count, never write P's
 * count over Q's. Here the walker's stale read is a PTE value that differs
 * from the slot's, for a folio P that lives in the next slot.
 */
static void spte_gup_fast_back_out_is_exact(struct kunit *test)
{
	unsigned long addr = spte_map(test), next = addr + PAGE_SIZE;
	struct folio *p_folio = spte_get_folio(test, next);
	struct page *q;
	u32 ro, rw, v;

	spte_touch(test, addr);
	q = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, spte_fast_pin_as(test, addr, p_folio, true, _PAGE_DIRTY),
			-EAGAIN);
	v = spte_entry_of(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 0U);
	/* P got no record, Q's is intact. */
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(p_folio, &ro, &rw), -ENOENT);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(q), &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, rw, 1U);
	/* The same for a walker whose PTE changed under its own record. */
	KUNIT_EXPECT_EQ(test, spte_fast_pin_as(test, addr, page_folio(q), false,
					       _PAGE_DIRTY), -EAGAIN);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(q), &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, ro, 0U);
	KUNIT_EXPECT_EQ(test, rw, 1U);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), v);
	unpin_user_page(q);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
	folio_put(p_folio);
	spte_done(test, addr);
}

/*
 * A zap after GUP-fast counted detaches the record with exactly its
 * contribution; the later unpin finds it detached and frees it.
 */
static void spte_gup_fast_back_out_after_zap(struct kunit *test)
{
	long before = shadow_pte_nr_tables();
	unsigned long addr = spte_map(test), next = addr + PAGE_SIZE;
	struct folio *folio = spte_get_folio(test, next);
	struct page *slow;
	u32 ro, rw;

	spte_touch(test, addr);
	slow = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, slow);
	KUNIT_ASSERT_EQ(test, spte_fast_pin(test, next, folio, true), 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, SPTE_MAP_LEN), 0);
	spte_drain();
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 0L);
	KUNIT_EXPECT_EQ(test, rw, 1U);
	spte_fast_unpin(folio);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), -ENOENT);
	unpin_user_page(slow);
	folio_put(folio);
}

static unsigned long spte_event(enum vm_event_item item)
{
	unsigned long *ev = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*ev), GFP_KERNEL);
	unsigned long v = 0;

	if (ev) {
		all_vm_events(ev);
		v = ev[item];
		kfree(ev);
	}
	return v;
}

/*
 * A record per pinned page, each attached to its own slot; munmap detaches
 * them all while it clears the PTEs, so the PTE table is released with no
 * record attached and without the whole-hash scan; unpin then frees them.
 */
/*
 * Records freed by unpin are kept for the next pins: on the unpinning
 * CPU's list, and beyond two chains' worth, in the depot, which the
 * shrinker (here: its drain) gives back to the slab. An order-0 page's
 * pins take a record only beyond what its pin word holds inline: each
 * page here is pinned once more than that, R/O.
 */
#define SPTE_CACHE_PAGES	160
#define SPTE_CACHE_PINS		(SHADOW_PTE_WORD_RO_LIMIT + 1)

static void spte_pin_all(struct kunit *test, unsigned long addr,
			 struct page **pages, unsigned int gup_flags, int times)
{
	long ret;
	int i;

	for (i = 0; i < times; i++) {
		mmap_read_lock(current->mm);
		ret = pin_user_pages(addr, SPTE_CACHE_PAGES, gup_flags, pages);
		mmap_read_unlock(current->mm);
		KUNIT_ASSERT_EQ(test, ret, (long)SPTE_CACHE_PAGES);
	}
}

static void spte_freed_records_are_cached(struct kunit *test)
{
	long records = shadow_pte_nr_records();
	unsigned long len = SPTE_CACHE_PAGES * PAGE_SIZE, addr, depot, cached;
	struct page **pages;
	int i;

	pages = kunit_kcalloc(test, SPTE_CACHE_PAGES, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	addr = kunit_vm_mmap(test, NULL, 0, len, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	spte_pin_all(test, addr, pages, 0, SPTE_CACHE_PINS);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records + SPTE_CACHE_PAGES);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(page_folio(pages[7])), 2);
	shadow_pte_drain_record_depot();
	/*
	 * All on one CPU: the unpin that brings a page back within its word
	 * frees its record; the list fills past two chains and gives one away.
	 */
	migrate_disable();
	for (i = 0; i < SPTE_CACHE_PINS; i++)
		unpin_user_pages(pages, SPTE_CACHE_PAGES);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);
	cached = shadow_pte_nr_cached_records(&depot);
	KUNIT_EXPECT_GE(test, cached, (unsigned long)SPTE_CACHE_PAGES);
	KUNIT_EXPECT_GE(test, depot, 64UL);
	KUNIT_EXPECT_EQ(test, shadow_pte_drain_record_depot(), depot);
	shadow_pte_nr_cached_records(&depot);
	KUNIT_EXPECT_EQ(test, depot, 0UL);
	/* Pinned again, they count exactly as before. */
	spte_pin_all(test, addr, pages, 0, SPTE_CACHE_PINS);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records + SPTE_CACHE_PAGES);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr + 7 * PAGE_SIZE),
			SPTE_CACHE_PINS << SHADOW_PTE_RO_SHIFT);
	for (i = 0; i < SPTE_CACHE_PINS; i++)
		unpin_user_pages(pages, SPTE_CACHE_PAGES);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr + 7 * PAGE_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, len), 0);
	spte_drain();
}

/*
 * The pin words come in page-sized chunks that the first counted pin in
 * their range allocates and nothing frees: after a pin, the words take a
 * directory plus whole pages, far less than a word per page frame, and
 * the unpin gives nothing back.
 */
static void spte_pin_words_come_in_chunks(struct kunit *test)
{
	unsigned long addr = spte_map(test), bytes;
	struct page *page;

	spte_touch(test, addr);
	page = spte_gup_pin(test, addr, 0, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(page_folio(page)), 1);
	bytes = shadow_pte_pin_word_bytes();
	KUNIT_EXPECT_GE(test, bytes, PAGE_SIZE);
	KUNIT_EXPECT_LT(test, bytes, max_pfn * sizeof(unsigned long));
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(page_folio(page)), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_bytes(), bytes);
	spte_done(test, addr);
}

/*
 * Order-0 pins are counted in words, which outgrow into records that the
 * word points at: they never need the record hash, which only a large
 * folio's recorded pin allocates (and then the words' directory first, so
 * that the unpin hooks look for its records).
 */
static void spte_order0_pins_need_no_hash(struct kunit *test)
{
	unsigned long addr;
	struct page *page;

	if (shadow_pte_record_hash_bytes())
		kunit_skip(test, "a large folio's pin was recorded earlier in this boot");
	addr = spte_map(test);
	spte_touch(test, addr);
	page = spte_gup_pin(test, addr, 0, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, shadow_pte_counting());
	KUNIT_EXPECT_GT(test, shadow_pte_pin_word_bytes(), 0UL);
	KUNIT_EXPECT_EQ(test, shadow_pte_record_hash_bytes(), 0UL);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, shadow_pte_record_hash_bytes(), 0UL);
	spte_done(test, addr);
}

/*
 * A page's pins stay in its pin word while they fit (63 R/O and 127 R/W;
 * two of each with CONFIG_DEBUG_SHADOW_PTE); the pin beyond moves them
 * into a record, with the same slot and counts, and the unpin that brings
 * them back in range returns them to the word and frees the record. The
 * entry counts every pin throughout.
 */
static void spte_pin_word_overflows_into_record(struct kunit *test)
{
	const unsigned int ro_lim = SHADOW_PTE_WORD_RO_LIMIT;
	const unsigned int rw_lim = SHADOW_PTE_WORD_RW_LIMIT;
	long records = shadow_pte_nr_records();
	long objs = shadow_pte_nr_record_objects();
	unsigned long overflows = shadow_pte_word_overflows();
	unsigned long addr = spte_map(test);
	struct folio *folio;
	struct page *page;
	unsigned int i;
	u32 ro, rw;

	spte_touch(test, addr);
	page = spte_gup_pin(test, addr, 0, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	folio = page_folio(page);
	for (i = 1; i < ro_lim; i++)
		KUNIT_ASSERT_NOT_NULL(test, spte_gup_pin(test, addr, 0, 1));
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(folio), 1);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_record_objects(), objs);
	KUNIT_ASSERT_NOT_NULL(test, spte_gup_pin(test, addr, 0, 1));
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(folio), 2);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_record_objects(), objs + 1);
	KUNIT_EXPECT_EQ(test, shadow_pte_word_overflows(), overflows + 1);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, ro, ro_lim + 1);
	KUNIT_EXPECT_EQ(test, rw, 0U);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), (ro_lim + 1) << SHADOW_PTE_RO_SHIFT);
	for (i = 0; i <= rw_lim; i++)
		KUNIT_ASSERT_NOT_NULL(test, spte_gup_pin(test, addr, FOLL_WRITE, 1));
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, ro, ro_lim + 1);
	KUNIT_EXPECT_EQ(test, rw, rw_lim + 1);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr),
			(ro_lim + 1) << SHADOW_PTE_RO_SHIFT | (rw_lim + 1) << SHADOW_PTE_RW_SHIFT);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records + 1);
	/* Unpin takes R/O first; then one R/W brings the rest into range. */
	for (i = 0; i <= ro_lim; i++)
		unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(folio), 2);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(folio), 1);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_record_objects(), objs);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, ro, 0U);
	KUNIT_EXPECT_EQ(test, rw, rw_lim);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), rw_lim << SHADOW_PTE_RW_SHIFT);
	for (i = 0; i < rw_lim; i++)
		unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(folio), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), (long)-ENOENT);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);
	spte_done(test, addr);
}

/*
 * A PTE table released while a pin word is still attached to one of its
 * slots (munmap's zap of a whole table, a GUP-fast walker backing out, or
 * a stale word): the shadow table is orphaned and keeps the word's counts,
 * which read detached; the next pin through the page's own PTE attaches
 * the word there again, and the orphan goes with its last word. The word
 * is put on a table of its own by two moves of the mremap hook (the first
 * leaves the counts where they are and refers back to them, the second
 * takes the word over), as a racing move would leave it; once inline (one
 * pin) and once in a record (beyond the word).
 */
static void spte_released_table_outlives_its_words(struct kunit *test)
{
	unsigned int pins[] = { 1, SHADOW_PTE_WORD_RW_LIMIT + 1 };
	unsigned long addr = spte_map(test);
	unsigned int i, k, n, idx = pte_index(addr);
	unsigned long orphans;
	long tables;
	struct shadow_pte_table *t, *bt;
	pgtable_t pgtable, bpgtable;
	struct folio *folio;
	struct page *page;
	spinlock_t *ptl;	/* the PTL of @addr's table */
	pte_t *ptep, moved;
	u32 ro, rw;

	spte_touch(test, addr);
	for (k = 0; k < ARRAY_SIZE(pins); k++) {
		n = pins[k];
		for (i = 0; i < n; i++) {
			page = spte_gup_pin(test, addr, FOLL_WRITE, 1);
			KUNIT_ASSERT_NOT_NULL(test, page);
		}
		folio = page_folio(page);
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(folio), k ? 2 : 1);
		bpgtable = spte_pgtable_with_shadow(test, &bt);
		pgtable = spte_pgtable_with_shadow(test, &t);
		ptep = spte_lock(test, addr, &ptl);
		moved = ptep_get(ptep);
		__shadow_pte_move_range(virt_to_ptdesc(ptep), idx, page_ptdesc(bpgtable), 3,
					&moved, 1);
		KUNIT_EXPECT_EQ(test, shadow_pte_read(bt, 3), (u32)SHADOW_PTE_BACK);
		KUNIT_EXPECT_TRUE(test, __shadow_pte_back_pinned(bt, 3));
		__shadow_pte_move_range(page_ptdesc(bpgtable), 3, page_ptdesc(pgtable), 7,
					&moved, 1);
		spte_unlock(ptep, ptl);
		KUNIT_EXPECT_EQ(test, shadow_pte_read(bt, 3), 0U);
		KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 7), n << SHADOW_PTE_RW_SHIFT);
		KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
		pte_free(current->mm, bpgtable);
		spte_drain();
		orphans = spte_event(SHADOW_PTE_TABLE_ORPHAN);
		tables = shadow_pte_nr_tables();
		pte_free(current->mm, pgtable);
		spte_drain();
		/* The word still names the shadow table, which outlives its PTE table. */
		KUNIT_EXPECT_EQ(test, spte_event(SHADOW_PTE_TABLE_ORPHAN), orphans + 1);
		KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), tables);
		KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 7), n << SHADOW_PTE_RW_SHIFT);
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 0L);
		KUNIT_EXPECT_EQ(test, rw, n);
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(folio), k ? 2 : 1);
		/*
		 * Pinned again through its PTE: attached there, with every pin;
		 * the orphan lost its last word and goes.
		 */
		KUNIT_ASSERT_NOT_NULL(test, spte_gup_pin(test, addr, FOLL_WRITE, 1));
		spte_drain();
		KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), tables - 1);
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 1L);
		KUNIT_EXPECT_EQ(test, rw, n + 1);
		KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), (n + 1) << SHADOW_PTE_RW_SHIFT);
		for (i = 0; i <= n; i++)
			unpin_user_page(page);
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(folio), 0);
		KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
		spte_drain();
	}
	spte_done(test, addr);
}

/*
 * unpin_user_pages() and unpin_user_pages_dirty_lock() take the shadow
 * side of an array's order-0 pins in one pass, IRQs off a batch at a
 * time: every entry counts, wherever it falls in the array and however
 * often its page recurs, a lone NULL entry is skipped (mainline's loop
 * allows no NULL beside a page: gup_folio_next() looks at the next entry's
 * folio), and pins held beyond the
 * word (CONFIG_DEBUG_SHADOW_PTE makes that the third pin of a kind) go
 * through the record path in the same pass. A page's last pin takes the
 * lock-free case: R/O in the first round, R/W in the second, which unpins
 * the array back to front. The third round calls the shadow pass itself:
 * an array without a large folio's page needs no per-folio call after it.
 */
#define SPTE_ARR_PAGES	(SPTE_MAP_LEN / PAGE_SIZE)
#define SPTE_ARR_EXTRA	4
#define SPTE_ARR_LEN	(3 * SPTE_ARR_PAGES + SPTE_ARR_EXTRA)

static void spte_pin_array(struct kunit *test, unsigned long addr,
			   struct page **arr)
{
	long ret;

	mmap_read_lock(current->mm);
	ret = pin_user_pages(addr, SPTE_ARR_PAGES, FOLL_WRITE, arr);
	KUNIT_EXPECT_EQ(test, ret, (long)SPTE_ARR_PAGES);
	ret = pin_user_pages(addr, SPTE_ARR_PAGES, 0, arr + SPTE_ARR_PAGES);
	KUNIT_EXPECT_EQ(test, ret, (long)SPTE_ARR_PAGES);
	ret = pin_user_pages(addr, SPTE_ARR_PAGES, 0, arr + 2 * SPTE_ARR_PAGES);
	KUNIT_EXPECT_EQ(test, ret, (long)SPTE_ARR_PAGES);
	ret = pin_user_pages(addr, SPTE_ARR_EXTRA, 0, arr + 3 * SPTE_ARR_PAGES);
	KUNIT_EXPECT_EQ(test, ret, (long)SPTE_ARR_EXTRA);
	mmap_read_unlock(current->mm);
}

static void spte_unpin_array_takes_every_pin(struct kunit *test)
{
	long records = shadow_pte_nr_records();
	unsigned long addr = spte_map(test), unpins;
	struct page **arr, *none = NULL;
	int round, i;
	u32 v;

	static_assert(SPTE_ARR_LEN > 32);
	unpin_user_pages(&none, 1);
	arr = kunit_kcalloc(test, SPTE_ARR_LEN, sizeof(*arr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, arr);
	for (i = 0; i < SPTE_ARR_PAGES; i++)
		spte_touch(test, addr + i * PAGE_SIZE);
	for (round = 0; round < 3; round++) {
		spte_pin_array(test, addr, arr);
		for (i = 0; i < SPTE_ARR_PAGES; i++) {
			v = spte_entry_of(test, addr + i * PAGE_SIZE);
			KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
			KUNIT_EXPECT_EQ(test, shadow_pte_ro(v),
					i < SPTE_ARR_EXTRA ? 3U : 2U);
		}
		unpins = spte_event(SHADOW_PTE_UNPIN);
		if (round == 1) {
			for (i = 0; i < SPTE_ARR_LEN / 2; i++)
				swap(arr[i], arr[SPTE_ARR_LEN - 1 - i]);
			unpin_user_pages_dirty_lock(arr, SPTE_ARR_LEN, true);
		} else if (round == 2) {
			KUNIT_EXPECT_FALSE(test,
					   __shadow_pte_unpin_pages(arr, SPTE_ARR_LEN));
			/* The words are 0 now; the pins go here. */
			unpin_user_pages(arr, SPTE_ARR_LEN);
		} else {
			unpin_user_pages(arr, SPTE_ARR_LEN);
		}
		KUNIT_EXPECT_EQ(test, spte_event(SHADOW_PTE_UNPIN),
				unpins + SPTE_ARR_LEN);
		for (i = 0; i < SPTE_ARR_PAGES; i++) {
			KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr + i * PAGE_SIZE), 0U);
			KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(page_folio(arr[i])), 0);
			KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(arr[i])));
		}
		KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);
	}
	spte_done(test, addr);
}

/*
 * mremap's batch, __shadow_pte_move_range(), over eight moved PTEs: one
 * pinned R/W, one pinned R/O, one never faulted in (none: it moved
 * nothing) and five mapped but unpinned. The two pinned pages' counts and
 * words stay where they are; their new entries get SHADOW_PTE_BACK and
 * read pinned through the new table's back reference, which holds one
 * reference on the old table, and nothing else changes. Moving the batch
 * back takes the words over to the slots the pages are mapped at (the
 * same ones), drops the bits and the reference, and the unpins then find
 * the old slots.
 */
static void spte_move_range_moves_pinned_entries(struct kunit *test)
{
	unsigned long orphans = spte_event(SHADOW_PTE_TABLE_ORPHAN);
	unsigned long addr = spte_map(test), base = addr, end;
	unsigned int i, idx, nidx = 100;
	struct shadow_pte_table *t, *ot;
	struct page *rw, *ro;
	pte_t *ptep, moved[8];
	pgtable_t pgtable;
	spinlock_t *ptl;	/* the PTL of @base's table */
	int onrec, nnrec;
	u32 r, w;

	/* Eight PTEs of one table inside the 16-page mapping. */
	end = pmd_addr_end(addr, addr + SPTE_MAP_LEN);
	if (end - addr < 8 * PAGE_SIZE)
		base = end;
	idx = pte_index(base);
	for (i = 0; i < 8; i++)
		if (i != 3)
			spte_touch(test, base + i * PAGE_SIZE);
	rw = spte_gup_pin(test, base + PAGE_SIZE, FOLL_WRITE, 1);
	ro = spte_gup_pin(test, base + 5 * PAGE_SIZE, 0, 1);
	KUNIT_ASSERT_NOT_NULL(test, rw);
	KUNIT_ASSERT_NOT_NULL(test, ro);
	pgtable = spte_pgtable_with_shadow(test, &t);
	KUNIT_ASSERT_NOT_NULL(test, t);

	ptep = spte_lock(test, base, &ptl);
	for (i = 0; i < 8; i++)
		moved[i] = ptep_get(ptep + i);
	KUNIT_EXPECT_TRUE(test, pte_none(moved[3]));
	ot = ptdesc_shadow(virt_to_ptdesc(ptep));
	onrec = atomic_read(&ot->nrec);
	nnrec = atomic_read(&t->nrec);
	__shadow_pte_move_range(virt_to_ptdesc(ptep), idx, page_ptdesc(pgtable), nidx,
				moved, 8);
	/* The back reference holds the old table; no word moved. */
	KUNIT_EXPECT_EQ(test, atomic_read(&ot->nrec), onrec + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->nrec), nnrec);
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_EQ_MSG(test, shadow_pte_read(ot, idx + i),
				    i == 1 ? 1U << SHADOW_PTE_RW_SHIFT :
				    i == 5 ? 1U << SHADOW_PTE_RO_SHIFT : 0U, "PTE %u", i);
		KUNIT_EXPECT_EQ_MSG(test, shadow_pte_read(t, nidx + i),
				    i == 1 || i == 5 ? (u32)SHADOW_PTE_BACK : 0U, "PTE %u", i);
		KUNIT_EXPECT_EQ_MSG(test, __shadow_pte_back_pinned(t, nidx + i),
				    i == 1 || i == 5, "PTE %u", i);
	}
	spte_unlock(ptep, ptl);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(rw), &r, &w), 1L);
	KUNIT_EXPECT_EQ(test, w, 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(ro), &r, &w), 1L);
	KUNIT_EXPECT_EQ(test, r, 1U);

	/* And back, to the slots the pages are mapped at. */
	ptep = spte_lock(test, base, &ptl);
	__shadow_pte_move_range(page_ptdesc(pgtable), nidx, virt_to_ptdesc(ptep), idx,
				moved, 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&ot->nrec), onrec);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->nrec), nnrec);
	spte_unlock(ptep, ptl);
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_EQ(test, shadow_pte_read(t, nidx + i), 0U);
		KUNIT_EXPECT_EQ_MSG(test, spte_entry_of(test, base + i * PAGE_SIZE),
				    i == 1 ? 1U << SHADOW_PTE_RW_SHIFT :
				    i == 5 ? 1U << SHADOW_PTE_RO_SHIFT : 0U, "PTE %u", i);
	}
	unpin_user_page(rw);
	unpin_user_page(ro);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, base + PAGE_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, base + 5 * PAGE_SIZE), 0U);
	/* No word was left on the scratch table: its release frees it. */
	pte_free(current->mm, pgtable);
	KUNIT_EXPECT_EQ(test, spte_event(SHADOW_PTE_TABLE_ORPHAN), orphans);
	spte_done(test, addr);
}

/*
 * munmap of a range that covers a whole PTE table, every page pinned: the
 * zap leaves the pins on the shadow table (no per-PTE detach), the
 * table's release orphans it, and each unpin takes its pin off there; the
 * last one frees it.
 */
static void spte_munmap_whole_table_orphans(struct kunit *test)
{
	long records = shadow_pte_nr_records(), tables = shadow_pte_nr_tables();
	unsigned long orphans = spte_event(SHADOW_PTE_TABLE_ORPHAN);
	unsigned long detaches = spte_event(SHADOW_PTE_PIN_DETACH);
	unsigned long addr, table, off;
	struct page **pages;
	unsigned int i, n = PTRS_PER_PTE;
	u32 ro, rw;

	addr = kunit_vm_mmap(test, NULL, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	KUNIT_ASSERT_NE(test, addr, 0UL);
	pages = kunit_kcalloc(test, n, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	table = ALIGN(addr, PMD_SIZE);
	/* Order-0 pages: a THP's pins have no words. */
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, 2 * PMD_SIZE,
						 MADV_NOHUGEPAGE), 0);
	for (i = 0, off = 0; i < n; i++, off += PAGE_SIZE) {
		spte_touch(test, table + off);
		pages[i] = spte_gup_pin(test, table + off, FOLL_WRITE, 1);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		if (folio_test_large(page_folio(pages[i]))) {
			for (; ; i--) {
				unpin_user_page(pages[i]);
				if (!i)
					break;
			}
			KUNIT_EXPECT_EQ(test, vm_munmap(addr, 2 * PMD_SIZE), 0);
			kunit_skip(test, "a large folio was faulted in: its pins have no words");
		}
	}
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records + n);
	KUNIT_ASSERT_EQ(test, vm_munmap(table, PMD_SIZE), 0);
	spte_drain();
	/* Nothing detached one by one; the shadow table lives on, orphaned. */
	KUNIT_EXPECT_EQ(test, spte_event(SHADOW_PTE_PIN_DETACH), detaches);
	KUNIT_EXPECT_EQ(test, spte_event(SHADOW_PTE_TABLE_ORPHAN), orphans + 1);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), tables + 1);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(pages[i]), &ro, &rw), 0L);
		KUNIT_EXPECT_EQ(test, rw, 1U);
	}
	for (i = 0; i < n; i++) {
		unpin_user_page(pages[i]);
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_word_form(page_folio(pages[i])), 0);
	}
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);
	KUNIT_EXPECT_EQ(test, vm_munmap(addr, 2 * PMD_SIZE), 0);
	spte_drain();
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), tables);
}

static void spte_records_detached_by_zap_without_orphan(struct kunit *test)
{
	long records = shadow_pte_nr_records(), before = shadow_pte_nr_tables();
	unsigned long orphans = spte_event(SHADOW_PTE_TABLE_ORPHAN);
	unsigned long addr = spte_map(test), off;
	struct page *pages[SPTE_MAP_LEN / PAGE_SIZE];
	unsigned int i, n = 0;
	u32 ro, rw;

	for (off = 0; off < SPTE_MAP_LEN; off += PAGE_SIZE) {
		spte_touch(test, addr + off);
		pages[n] = spte_gup_pin(test, addr + off, FOLL_WRITE, 1);
		KUNIT_ASSERT_NOT_NULL(test, pages[n]);
		n++;
	}
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records + n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr + i * PAGE_SIZE),
				1U << SHADOW_PTE_RW_SHIFT);
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(pages[i]), &ro, &rw), 1L);
	}
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, SPTE_MAP_LEN), 0);
	spte_drain();
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
	KUNIT_EXPECT_EQ(test, spte_event(SHADOW_PTE_TABLE_ORPHAN), orphans);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(page_folio(pages[i]), &ro, &rw), 0L);
		KUNIT_EXPECT_EQ(test, rw, 1U);
		unpin_user_page(pages[i]);
	}
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);
}

/*
 * Finding 8: a page pinned more often than an entry can count. The entry
 * saturates and stays "pinned" until the record's exact count drains; the
 * zap that clears the PTE then resets it. Driven through folio_add_pin(),
 * which counts like a pin without a page walk.
 */
static void spte_saturated_entry_never_under_counts(struct kunit *test)
{
	unsigned long addr = spte_map(test);
	struct folio *folio;
	struct page *page;
	unsigned int i, extra = SHADOW_PTE_COUNT_MAX + 10;
	u32 ro, rw;

	spte_touch(test, addr);
	page = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	folio = page_folio(page);
	for (i = 0; i < extra; i++)
		folio_add_pin(folio);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(spte_entry_of(test, addr)), SHADOW_PTE_COUNT_MAX);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, rw, extra + 1);
	for (i = 0; i < extra; i++)
		unpin_user_page(page);
	/* One pin left: the entry must still say pinned. */
	KUNIT_EXPECT_TRUE(test, shadow_pte_pinned(spte_entry_of(test, addr)));
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), 1L);
	KUNIT_EXPECT_EQ(test, rw, 1U);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin_count(folio, &ro, &rw), -ENOENT);
	/* Saturated and sticky until the PTE goes. */
	KUNIT_EXPECT_TRUE(test, shadow_pte_pinned(spte_entry_of(test, addr)));
	KUNIT_EXPECT_EQ(test, do_madvise(current->mm, addr, PAGE_SIZE, MADV_DONTNEED), 0);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
	spte_done(test, addr);
}

/*
 * Review finding 8: a page pinned more often than a 15-bit entry counts.
 * Mainline accepts about two million pins of one small folio; every one of
 * these must succeed, and the entry must read pinned until the last unpin.
 */
static void spte_pin_beyond_entry_limit(struct kunit *test)
{
	unsigned long addr = spte_map(test);
	unsigned int pinned = 0, n = SHADOW_PTE_COUNT_MAX + 2;
	struct page *page = NULL, *first = NULL;
	long ret = 1;

	spte_touch(test, addr);
	mmap_read_lock(current->mm);
	while (pinned < n && ret == 1) {
		ret = pin_user_pages(addr, 1, FOLL_WRITE, &page);
		if (ret != 1)
			break;
		first = page;
		pinned++;
	}
	mmap_read_unlock(current->mm);
	KUNIT_EXPECT_EQ(test, ret, 1L);
	KUNIT_EXPECT_EQ(test, pinned, n);
	KUNIT_EXPECT_TRUE(test, shadow_pte_pinned(spte_entry_of(test, addr)));
	for (; pinned; pinned--) {
		if (pinned == 1)
			KUNIT_EXPECT_TRUE(test, shadow_pte_pinned(spte_entry_of(test, addr)));
		unpin_user_page(first);
	}
	KUNIT_EXPECT_FALSE(test, first && folio_maybe_dma_pinned(page_folio(first)));
	spte_done(test, addr);
}

static void spte_folio_add_pin_is_counted(struct kunit *test)
{
	unsigned long addr = spte_map(test);
	struct page *page;
	u32 v;

	spte_touch(test, addr);
	page = spte_gup_pin(test, addr, 0, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	folio_add_pin(page_folio(page));
	v = spte_entry_of(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v) + shadow_pte_rw(v), 2U);
	unpin_user_page(page);
	unpin_user_page(page);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
	spte_done(test, addr);
}

/*
 * folio_add_pin() cannot fail. When the pin word is full and no record can
 * be had for one more pin, the entry must still read pinned until the last
 * pin is dropped: an over-count only makes fork copy.
 */
static void spte_folio_add_pin_without_record_stays_pinned(struct kunit *test)
{
	const unsigned int n = SHADOW_PTE_WORD_RW_LIMIT;
	unsigned long addr = spte_map(test);
	struct page *page = NULL;
	unsigned int i;
	u32 v;

	spte_touch(test, addr);
	for (i = 0; i < n; i++)
		page = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(spte_entry_of(test, addr)), n);
	shadow_pte_fail_next_records(1);
	folio_add_pin(page_folio(page));
	shadow_pte_fail_next_records(0);
	for (i = 0; i < n; i++) {
		unpin_user_page(page);
		v = spte_entry_of(test, addr);
		KUNIT_EXPECT_TRUE_MSG(test, shadow_pte_pinned(v),
				      "entry %#x after %u of %u unpins", v, i + 1, n + 1);
	}
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(page_folio(page)));
	unpin_user_page(page);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(page)));
	spte_done(test, addr);
}

/*
 * The same, with the PTE moved by mremap's batch while the pins are held:
 * the pin left out of the word stays counted at the slot the page moved
 * to, and back.
 */
static void spte_folio_add_pin_without_record_moves(struct kunit *test)
{
	const unsigned int n = SHADOW_PTE_WORD_RW_LIMIT, nidx = 100;
	unsigned long addr = spte_map(test);
	unsigned int i, idx = pte_index(addr);
	struct shadow_pte_table *t, *ot;
	struct page *page = NULL;
	pgtable_t pgtable;
	spinlock_t *ptl;	/* the PTL of @addr's table */
	pte_t *ptep, pte;
	int onrec, nnrec;
	u32 v;

	spte_touch(test, addr);
	for (i = 0; i < n; i++)
		page = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	shadow_pte_fail_next_records(1);
	folio_add_pin(page_folio(page));
	shadow_pte_fail_next_records(0);
	pgtable = spte_pgtable_with_shadow(test, &t);
	KUNIT_ASSERT_NOT_NULL(test, t);

	ptep = spte_lock(test, addr, &ptl);
	pte = ptep_get(ptep);
	ot = ptdesc_shadow(virt_to_ptdesc(ptep));
	onrec = atomic_read(&ot->nrec);
	nnrec = atomic_read(&t->nrec);
	__shadow_pte_move_range(virt_to_ptdesc(ptep), idx, page_ptdesc(pgtable), nidx,
				&pte, 1);
	/* The saturated count stays with the others; the new entry refers back. */
	KUNIT_EXPECT_EQ(test, atomic_read(&ot->nrec), onrec + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->nrec), nnrec);
	spte_unlock(ptep, ptl);
	for (i = 0; i < n; i++) {
		unpin_user_page(page);
		v = shadow_pte_read(t, nidx);
		KUNIT_EXPECT_TRUE_MSG(test, __shadow_pte_back_pinned(t, nidx),
				      "moved entry %#x after %u of %u unpins", v, i + 1, n + 1);
	}

	/* And back, to the slot the page is mapped at. */
	ptep = spte_lock(test, addr, &ptl);
	__shadow_pte_move_range(page_ptdesc(pgtable), nidx, virt_to_ptdesc(ptep), idx,
				&pte, 1);
	spte_unlock(ptep, ptl);
	v = spte_entry_of(test, addr);
	KUNIT_EXPECT_TRUE_MSG(test, shadow_pte_pinned(v), "entry %#x moved back", v);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, nidx), 0U);
	unpin_user_page(page);
	pte_free(current->mm, pgtable);
	spte_done(test, addr);
}

static void spte_gup_alloc_failure_fails_pin(struct kunit *test)
{
	long before = shadow_pte_nr_tables();
	unsigned long addr = spte_map(test);
	enum shadow_pte_where where;
	struct page *page;
	u32 val;

	spte_touch(test, addr);
	shadow_pte_fail_next_allocs(1);
	page = spte_gup_pin(test, addr, FOLL_WRITE, -ENOMEM);
	shadow_pte_fail_next_allocs(0);
	KUNIT_EXPECT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, shadow_pte_query(current->mm, addr, &where, &val, NULL), 0);
	KUNIT_EXPECT_EQ(test, where, SHADOW_PTE_NO_SHADOW);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
	/* The failed pin was dropped: after one real pin and unpin, none is left. */
	page = spte_gup_pin(test, addr, FOLL_WRITE, 1);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(spte_entry_of(test, addr)), 1U);
	unpin_user_page(page);
	KUNIT_EXPECT_FALSE(test, folio_maybe_dma_pinned(page_folio(page)));
	spte_done(test, addr);
}

/* Read-fault @addr: a private anonymous mapping maps the shared zero page. */
static void spte_read(struct kunit *test, unsigned long addr)
{
	char c = 1;

	KUNIT_ASSERT_EQ(test, copy_from_user(&c, (void __user *)addr, 1), 0UL);
	KUNIT_EXPECT_EQ(test, c, 0);
}

/* Look the PTE at @addr up by its slot and by its value alone. */
static void spte_lookup(struct kunit *test, unsigned long addr,
			struct page **by_slot, struct page **by_value, bool *hw)
{
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *ptep = spte_lock(test, addr, &ptl);
	struct vm_area_struct *vma = find_vma(current->mm, addr);
	pte_t pte = ptep_get(ptep);

	*by_slot = vm_normal_page_pte(vma, addr, pte, ptep);
	*by_value = vm_normal_page(vma, addr, pte);
	*hw = pte_special(pte);
	spte_unlock(ptep, ptl);
}

static void spte_zero_page_is_special(struct kunit *test)
{
	long before = shadow_pte_nr_tables();
	unsigned long addr;
	struct page *slot, *value;
	bool hw;

	if (!IS_ENABLED(CONFIG_SHADOW_PTE_SPECIAL))
		kunit_skip(test, "CONFIG_SHADOW_PTE_SPECIAL=n: no special bits are kept");
	addr = spte_map(test);
	spte_read(test, addr);
	/* The zero page's PTE is special, so its table got a shadow table. */
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before + 1);
	KUNIT_EXPECT_TRUE(test, shadow_pte_special(spte_entry_of(test, addr)));
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr + PAGE_SIZE), 0U);
	spte_lookup(test, addr, &slot, &value, &hw);
	KUNIT_EXPECT_NULL(test, slot);
	KUNIT_EXPECT_NULL(test, value);
	/* Without a hardware bit (UML) the shadow bit is the only record. */
	KUNIT_EXPECT_EQ(test, hw, IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL));
	/* The write fault that replaces the zero page clears the bit. */
	spte_touch(test, addr);
	KUNIT_EXPECT_EQ(test, spte_entry_of(test, addr), 0U);
	spte_lookup(test, addr, &slot, &value, &hw);
	KUNIT_EXPECT_NOT_NULL(test, slot);
	KUNIT_EXPECT_PTR_EQ(test, slot, value);
	KUNIT_EXPECT_FALSE(test, hw);
	spte_done(test, addr);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_tables(), before);
}

/*
 * vm_normal_page_pte() decides from the shadow bit, not from the VMA and
 * pfn as vm_normal_page() does without a hardware bit: take the bit off a
 * zero-page PTE for one lookup and the zero page comes back as "normal".
 * Where a hardware bit exists the debug cross-check would rightly warn
 * about that state, and so would DEBUG_VM, so the case needs UML.
 */
static void spte_lookup_reads_the_shadow_bit(struct kunit *test)
{
	struct page *slot = NULL, *value;
	struct shadow_pte_table *t;
	struct vm_area_struct *vma;
	unsigned long addr;
	spinlock_t *ptl;	/* the PTE table's lock */
	pte_t *ptep, pte;

	if (!IS_ENABLED(CONFIG_SHADOW_PTE_SPECIAL))
		kunit_skip(test, "CONFIG_SHADOW_PTE_SPECIAL=n: no special bits are kept");
	if (IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL) || IS_ENABLED(CONFIG_DEBUG_VM))
		kunit_skip(test, "needs UML (no hardware special bit) and DEBUG_VM=n");
	addr = spte_map(test);
	spte_read(test, addr);
	ptep = spte_lock(test, addr, &ptl);
	vma = find_vma(current->mm, addr);
	pte = ptep_get(ptep);
	t = ptdesc_shadow(virt_to_ptdesc(ptep));
	if (t) {
		shadow_pte_clear_special(t, shadow_pte_slot(ptep));
		slot = vm_normal_page_pte(vma, addr, pte, ptep);
		shadow_pte_set_special(t, shadow_pte_slot(ptep));
	}
	value = vm_normal_page(vma, addr, pte);
	spte_unlock(ptep, ptl);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_PTR_EQ(test, slot, pfn_to_page(my_zero_pfn(addr)));
	KUNIT_EXPECT_NULL(test, value);
	spte_done(test, addr);
}

/*
 * Large anonymous folios: pins recorded per subpage when GUP returns them,
 * lowered by unpins that name their page, forgotten by one that names
 * none; fork trusts the counts only while they add up to _pincount. UML
 * has no THP, so the folio is an order-4 allocation marked anonymous, and
 * _pincount moves by hand where try_grab_folio() and gup_put_folio() would
 * move it: up before a pin is recorded, down after its record is lowered.
 */
static void spte_large_folio_records_per_subpage(struct kunit *test)
{
	struct folio *folio = folio_alloc(GFP_KERNEL, 4);
	long records = shadow_pte_nr_records();
	struct page *p, *pages[3];

	KUNIT_ASSERT_NOT_NULL(test, folio);
	p = folio_page(folio, 0);
	folio->mapping = (void *)PAGE_MAPPING_ANON;
	KUNIT_ASSERT_TRUE(test, shadow_pte_tracks_large(folio));
	KUNIT_EXPECT_FALSE(test, shadow_pte_tracks(folio));

	/* Two pins on subpage 3, one on subpage 9. */
	pages[0] = p + 3;
	pages[1] = p + 3;
	pages[2] = p + 9;
	atomic_add(3, &folio->_pincount);
	__shadow_pte_gup_done(pages, 3, true);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records + 1);
	KUNIT_EXPECT_GT(test, shadow_pte_record_hash_bytes(), 0UL);
	KUNIT_EXPECT_TRUE(test, shadow_pte_counting());
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p, 16), 3);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p + 3, 13), 0);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p + 4, 12), 5);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p + 10, 6), 6);
	/*
	 * The array unpin takes no pin of a large folio: it says so, and its
	 * caller passes the folio to shadow_pte_unpin_large().
	 */
	KUNIT_EXPECT_TRUE(test, __shadow_pte_unpin_pages(pages, 3));
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records + 1);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p, 16), 3);

	/* A pin nobody recorded (folio_add_pin()): the sum is short. */
	atomic_inc(&folio->_pincount);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p, 16), -1);
	/* Dropped naming a page without a count: nothing recorded moves. */
	__shadow_pte_unpin_large(folio, NULL, p, 1);
	atomic_dec(&folio->_pincount);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p, 16), 3);

	/* One of subpage 3's pins, named: it still has the other. */
	__shadow_pte_unpin_large(folio, pages, NULL, 1);
	atomic_dec(&folio->_pincount);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p + 3, 1), 0);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p + 4, 12), 5);

	/* An unpin that names no page: the counts are forgotten. */
	__shadow_pte_unpin_large(folio, NULL, NULL, 1);
	atomic_dec(&folio->_pincount);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p, 16), -1);

	/* A page outside the folio is never trusted: forgotten as well. */
	atomic_inc(&folio->_pincount);
	__shadow_pte_gup_done(&pages[2], 1, true);
	KUNIT_EXPECT_EQ(test, __shadow_pte_fork_unpinned(folio, p, 16), -1);
	__shadow_pte_unpin_large(folio, NULL, p + 16, 1);
	atomic_dec(&folio->_pincount);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);

	/* The last pin goes; nothing is left to trust or to free. */
	__shadow_pte_unpin_large(folio, NULL, p + 9, 1);
	atomic_dec(&folio->_pincount);
	KUNIT_EXPECT_EQ(test, atomic_read(&folio->_pincount), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_nr_records(), records);
	folio->mapping = NULL;
	folio_put(folio);
}

static struct kunit_case shadow_pte_table_cases[] = {
	KUNIT_CASE(spte_ctor_clears_stale_word),
	KUNIT_CASE(spte_none_before_first_use),
	KUNIT_CASE(spte_attach_on_first_use),
	KUNIT_CASE(spte_pointer_in_word4),
	KUNIT_CASE(spte_freed_on_munmap),
	KUNIT_CASE(spte_freed_on_pte_free),
	KUNIT_CASE(spte_freed_on_pte_free_defer),
	KUNIT_CASE(spte_detached_on_deposit),
	KUNIT_CASE(spte_alloc_failure_leaves_nothing),
	KUNIT_CASE(spte_query_reports_each_state),
	KUNIT_CASE(spte_gup_pin_counts_and_unpins),
	KUNIT_CASE(spte_gup_ro_rw_and_unpin_order),
	KUNIT_CASE(spte_zap_detaches_pins),
	KUNIT_CASE(spte_gup_fast_counts_where_shadow_exists),
	KUNIT_CASE(spte_gup_fast_back_out_is_exact),
	KUNIT_CASE(spte_gup_fast_back_out_after_zap),
	KUNIT_CASE(spte_records_detached_by_zap_without_orphan),
	KUNIT_CASE(spte_munmap_whole_table_orphans),
	KUNIT_CASE(spte_freed_records_are_cached),
	KUNIT_CASE(spte_pin_word_overflows_into_record),
	KUNIT_CASE(spte_pin_words_come_in_chunks),
	KUNIT_CASE(spte_order0_pins_need_no_hash),
	KUNIT_CASE(spte_released_table_outlives_its_words),
	KUNIT_CASE(spte_move_range_moves_pinned_entries),
	KUNIT_CASE(spte_unpin_array_takes_every_pin),
	KUNIT_CASE_SLOW(spte_saturated_entry_never_under_counts),
	KUNIT_CASE_SLOW(spte_pin_beyond_entry_limit),
	KUNIT_CASE(spte_folio_add_pin_is_counted),
	KUNIT_CASE(spte_folio_add_pin_without_record_stays_pinned),
	KUNIT_CASE(spte_folio_add_pin_without_record_moves),
	KUNIT_CASE(spte_gup_alloc_failure_fails_pin),
	KUNIT_CASE(spte_zero_page_is_special),
	KUNIT_CASE(spte_lookup_reads_the_shadow_bit),
	KUNIT_CASE(spte_large_folio_records_per_subpage),
	{}
};

static struct kunit_suite shadow_pte_table_suite = {
	.name = "shadow_pte_table",
	.test_cases = shadow_pte_table_cases,
};

kunit_test_suites(&shadow_pte_entry_suite, &shadow_pte_table_suite);

MODULE_DESCRIPTION("KUnit tests for shadow PTEs");
MODULE_LICENSE("GPL");
