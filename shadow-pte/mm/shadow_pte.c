// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow PTEs: entry operations and shadow-table allocation.
 * See include/linux/shadow_pte.h for the design and the entry format.
 */
#include <linux/export.h>
#include <linux/init.h>
#include <linux/shadow_pte.h>
#include <linux/slab.h>
#include <linux/string.h>

static struct kmem_cache *shadow_pte_cache __ro_after_init;
static atomic_long_t shadow_pte_tables = ATOMIC_LONG_INIT(0);

static_assert((SHADOW_PTE_RO_MASK & SHADOW_PTE_RW_MASK) == 0);
static_assert(((SHADOW_PTE_RO_MASK | SHADOW_PTE_RW_MASK) &
	       (SHADOW_PTE_SPECIAL | SHADOW_PTE_RESERVED)) == 0);
static_assert(sizeof(atomic_t) == sizeof(u32));
static_assert(sizeof(struct shadow_pte_table) == PTRS_PER_PTE * sizeof(u32));

static int __init shadow_pte_init(void)
{
	/*
	 * Own cache, so /proc/slabinfo shows the cost; SLAB_ACCOUNT charges the
	 * tables to the memcg of the allocating task, as page tables are.
	 */
	shadow_pte_cache = kmem_cache_create("shadow_pte_table",
					     sizeof(struct shadow_pte_table),
					     sizeof(struct shadow_pte_table),
					     SLAB_ACCOUNT, NULL);
	return shadow_pte_cache ? 0 : -ENOMEM;
}
core_initcall(shadow_pte_init);

/**
 * shadow_pte_table_alloc - allocate an all-zero shadow table
 * @gfp: allocation flags; the caller must not hold a spinlock unless @gfp
 *       says so.
 *
 * Return: the table, or NULL.
 */
struct shadow_pte_table *shadow_pte_table_alloc(gfp_t gfp)
{
	struct shadow_pte_table *t;

	if (!shadow_pte_cache)
		return NULL;
	t = kmem_cache_zalloc(shadow_pte_cache, gfp);
	if (t)
		atomic_long_inc(&shadow_pte_tables);
	return t;
}
EXPORT_SYMBOL_GPL(shadow_pte_table_alloc);

/**
 * shadow_pte_table_free - free a shadow table
 * @t: the table, or NULL
 */
void shadow_pte_table_free(struct shadow_pte_table *t)
{
	if (!t)
		return;
	atomic_long_dec(&shadow_pte_tables);
	kmem_cache_free(shadow_pte_cache, t);
}
EXPORT_SYMBOL_GPL(shadow_pte_table_free);

/**
 * shadow_pte_nr_tables - number of live shadow tables
 */
long shadow_pte_nr_tables(void)
{
	return atomic_long_read(&shadow_pte_tables);
}
EXPORT_SYMBOL_GPL(shadow_pte_nr_tables);

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
