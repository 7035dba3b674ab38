// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the shadow-PTE entry operations (mm/shadow_pte.c).
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/shadow_pte.h>

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
	KUNIT_EXPECT_EQ(test, (u32)SHADOW_PTE_RESERVED, 0x80000000U);
	KUNIT_EXPECT_EQ(test, sizeof(struct shadow_pte_table), PTRS_PER_PTE * 4);
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

	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 7, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 7, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 7, true), 0);
	v = shadow_pte_read(t, 7);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 2U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_pinned(v));
	KUNIT_EXPECT_FALSE(test, shadow_pte_special(v));
	/* Neighbours are untouched. */
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 6), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 8), 0U);

	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, 7, true), 0);
	v = shadow_pte_read(t, 7);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 2U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 0U);
	shadow_pte_table_free(t);
}

static void spte_unpin_at_zero(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);

	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, 3, false), -ENOENT);
	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, 3, true), -ENOENT);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 3), 0U);
	/* An R/W unpin must not eat an R/O pin. */
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 3, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, 3, true), -ENOENT);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(shadow_pte_read(t, 3)), 1U);
	shadow_pte_table_free(t);
}

static void spte_saturate(struct kunit *test, bool write)
{
	struct shadow_pte_table *t = alloc_table(test);
	unsigned int i;
	u32 v;

	for (i = 0; i < SHADOW_PTE_COUNT_MAX; i++)
		if (shadow_pte_pin(t, 0, write))
			break;
	KUNIT_EXPECT_EQ(test, i, SHADOW_PTE_COUNT_MAX);
	v = shadow_pte_read(t, 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 0, write), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 0), v);
	KUNIT_EXPECT_EQ(test, write ? shadow_pte_rw(v) : shadow_pte_ro(v), SHADOW_PTE_COUNT_MAX);
	/* The other count and the flag bits are unaffected... */
	KUNIT_EXPECT_EQ(test, write ? shadow_pte_ro(v) : shadow_pte_rw(v), 0U);
	KUNIT_EXPECT_FALSE(test, v & (SHADOW_PTE_SPECIAL | SHADOW_PTE_RESERVED));
	/* ...and still work. */
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 0, !write), 0);
	/* One unpin makes room for exactly one pin. */
	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, 0, write), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 0, write), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 0, write), -EOVERFLOW);
	shadow_pte_table_free(t);
}

static void spte_saturate_ro(struct kunit *test)
{
	spte_saturate(test, false);
}

static void spte_saturate_rw(struct kunit *test)
{
	spte_saturate(test, true);
}

static void spte_special_independent(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);
	u32 v;

	KUNIT_EXPECT_EQ(test, shadow_pte_set_special(t, 9), 0);
	KUNIT_EXPECT_TRUE(test, shadow_pte_special(shadow_pte_read(t, 9)));
	KUNIT_EXPECT_FALSE(test, shadow_pte_pinned(shadow_pte_read(t, 9)));
	KUNIT_EXPECT_FALSE(test, shadow_pte_table_empty(t));
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 9, true), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, 9, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_clear_special(t, 9), 0);
	v = shadow_pte_read(t, 9);
	KUNIT_EXPECT_FALSE(test, shadow_pte_special(v));
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_set_special(t, 9), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, 9, true), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, 9, false), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 9), (u32)SHADOW_PTE_SPECIAL);
	shadow_pte_table_free(t);
}

static void spte_empty_tracks_contents(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);

	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, PTRS_PER_PTE - 1, false), 0);
	KUNIT_EXPECT_FALSE(test, shadow_pte_table_empty(t));
	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, PTRS_PER_PTE - 1, false), 0);
	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	shadow_pte_table_free(t);
}

static void spte_bad_index(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);

	KUNIT_EXPECT_EQ(test, shadow_pte_pin(t, PTRS_PER_PTE, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_unpin(t, PTRS_PER_PTE, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_set_special(t, UINT_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_clear_special(t, PTRS_PER_PTE), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_move_entry(t, 0, t, PTRS_PER_PTE), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_fork_entry(t, PTRS_PER_PTE, t, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, PTRS_PER_PTE), 0U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	shadow_pte_table_free(t);
}

static void spte_clear_entry(struct kunit *test)
{
	struct shadow_pte_table *t = alloc_table(test);
	u32 old;

	shadow_pte_pin(t, 4, true);
	shadow_pte_pin(t, 4, false);
	shadow_pte_set_special(t, 4);
	old = shadow_pte_clear_entry(t, 4);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(old), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(old), 1U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_special(old));
	KUNIT_EXPECT_EQ(test, shadow_pte_read(t, 4), 0U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_table_empty(t));
	shadow_pte_table_free(t);
}

static void spte_move_entry(struct kunit *test)
{
	struct shadow_pte_table *a = alloc_table(test);
	struct shadow_pte_table *b = alloc_table(test);
	u32 v;

	shadow_pte_pin(a, 10, true);
	shadow_pte_pin(a, 10, true);
	shadow_pte_pin(a, 10, false);
	shadow_pte_set_special(a, 10);
	KUNIT_EXPECT_EQ(test, shadow_pte_move_entry(b, 200, a, 10), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(a, 10), 0U);
	v = shadow_pte_read(b, 200);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 2U);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 1U);
	KUNIT_EXPECT_TRUE(test, shadow_pte_special(v));
	/* Within one table, and onto itself. */
	KUNIT_EXPECT_EQ(test, shadow_pte_move_entry(b, 201, b, 200), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(b, 200), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(b, 201), v);
	KUNIT_EXPECT_EQ(test, shadow_pte_move_entry(b, 201, b, 201), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(b, 201), v);
	shadow_pte_table_free(a);
	shadow_pte_table_free(b);
}

static void spte_move_never_loses_pins(struct kunit *test)
{
	struct shadow_pte_table *a = alloc_table(test);
	struct shadow_pte_table *b = alloc_table(test);
	unsigned int i;
	u32 v;

	/* A non-empty destination is a caller bug; still, counts add up. */
	shadow_pte_pin(a, 1, false);
	shadow_pte_pin(b, 1, false);
	shadow_pte_pin(b, 1, true);
	KUNIT_EXPECT_EQ(test, shadow_pte_move_entry(b, 1, a, 1), 0);
	v = shadow_pte_read(b, 1);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 2U);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), 1U);
	/* ...and saturate rather than wrap. */
	for (i = 0; i < SHADOW_PTE_COUNT_MAX; i++) {
		shadow_pte_pin(a, 2, true);
		shadow_pte_pin(b, 2, true);
	}
	KUNIT_EXPECT_EQ(test, shadow_pte_move_entry(b, 2, a, 2), 0);
	v = shadow_pte_read(b, 2);
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(v), SHADOW_PTE_COUNT_MAX);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(v), 0U);
	KUNIT_EXPECT_FALSE(test, v & (SHADOW_PTE_SPECIAL | SHADOW_PTE_RESERVED));
	shadow_pte_table_free(a);
	shadow_pte_table_free(b);
}

static void spte_fork_entry(struct kunit *test)
{
	struct shadow_pte_table *parent = alloc_table(test);
	struct shadow_pte_table *child = alloc_table(test);

	shadow_pte_pin(parent, 5, true);
	shadow_pte_pin(parent, 6, false);
	shadow_pte_set_special(parent, 6);
	KUNIT_EXPECT_EQ(test, shadow_pte_fork_entry(child, 5, parent, 5), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_fork_entry(child, 6, parent, 6), 0);
	/* The parent keeps its pins; the child starts at zero. */
	KUNIT_EXPECT_EQ(test, shadow_pte_rw(shadow_pte_read(parent, 5)), 1U);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(child, 5), 0U);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(child, 6), (u32)SHADOW_PTE_SPECIAL);
	KUNIT_EXPECT_EQ(test, shadow_pte_ro(shadow_pte_read(parent, 6)), 1U);
	/* A non-special source clears a stale special bit. */
	shadow_pte_set_special(child, 7);
	KUNIT_EXPECT_EQ(test, shadow_pte_fork_entry(child, 7, parent, 7), 0);
	KUNIT_EXPECT_EQ(test, shadow_pte_read(child, 7), 0U);
	shadow_pte_table_free(parent);
	shadow_pte_table_free(child);
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
		int ret = w->unpin ? shadow_pte_unpin(w->t, 11, write) :
				     shadow_pte_pin(w->t, 11, write);

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
	KUNIT_CASE(spte_saturate_ro),
	KUNIT_CASE(spte_saturate_rw),
	KUNIT_CASE(spte_special_independent),
	KUNIT_CASE(spte_empty_tracks_contents),
	KUNIT_CASE(spte_bad_index),
	KUNIT_CASE(spte_clear_entry),
	KUNIT_CASE(spte_move_entry),
	KUNIT_CASE(spte_move_never_loses_pins),
	KUNIT_CASE(spte_fork_entry),
	KUNIT_CASE(spte_concurrent_sum_exact),
	{}
};

static struct kunit_suite shadow_pte_entry_suite = {
	.name = "shadow_pte_entry",
	.test_cases = shadow_pte_entry_cases,
};

kunit_test_suite(shadow_pte_entry_suite);

MODULE_DESCRIPTION("KUnit tests for shadow-PTE entries");
MODULE_LICENSE("GPL");
