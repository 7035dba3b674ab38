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
 * and only for tables that need one. Two bytes per entry would leave 7-bit
 * counts, which io_uring buffer registration alone can exhaust; eight bytes
 * would double the cost for no use we have today. Counts are updated with
 * atomic read-modify-write so that the lock-free GUP-fast path can count pins
 * too; every other writer holds the PTE table's lock.
 *
 * Limits: a count never wraps. shadow_pte_pin() at SHADOW_PTE_COUNT_MAX fails
 * with -EOVERFLOW and leaves the entry alone; the caller fails the pin. An
 * unpin of a zero count fails with -ENOENT and changes nothing. Counts may
 * transiently over-count (only costs a needless copy at fork) but must never
 * under-count, so the helpers that move or merge entries add counts rather
 * than overwrite them.
 *
 * This file holds the entry format and the operations on one shadow table.
 * How a table is found from its PTE table (struct ptdesc), allocated on first
 * use and freed with the PTE table comes with the lifetime patches.
 */
#ifndef _LINUX_SHADOW_PTE_H
#define _LINUX_SHADOW_PTE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/gfp_types.h>
#include <linux/pgtable.h>
#include <linux/types.h>

#define SHADOW_PTE_COUNT_BITS	15
#define SHADOW_PTE_COUNT_MAX	((1U << SHADOW_PTE_COUNT_BITS) - 1)
#define SHADOW_PTE_RO_SHIFT	0
#define SHADOW_PTE_RW_SHIFT	SHADOW_PTE_COUNT_BITS
#define SHADOW_PTE_RO_MASK	GENMASK(SHADOW_PTE_RW_SHIFT - 1, SHADOW_PTE_RO_SHIFT)
#define SHADOW_PTE_RW_MASK	GENMASK(2 * SHADOW_PTE_COUNT_BITS - 1, SHADOW_PTE_RW_SHIFT)
#define SHADOW_PTE_SPECIAL	BIT(30)
#define SHADOW_PTE_RESERVED	BIT(31)

/* One shadow entry per PTE of the table it shadows. */
struct shadow_pte_table {
	atomic_t ent[PTRS_PER_PTE];
};

static inline unsigned int shadow_pte_ro(u32 v)
{
	return (v & SHADOW_PTE_RO_MASK) >> SHADOW_PTE_RO_SHIFT;
}

static inline unsigned int shadow_pte_rw(u32 v)
{
	return (v & SHADOW_PTE_RW_MASK) >> SHADOW_PTE_RW_SHIFT;
}

static inline bool shadow_pte_pinned(u32 v)
{
	return v & (SHADOW_PTE_RO_MASK | SHADOW_PTE_RW_MASK);
}

static inline bool shadow_pte_special(u32 v)
{
	return v & SHADOW_PTE_SPECIAL;
}

#ifdef CONFIG_SHADOW_PTE

struct shadow_pte_table *shadow_pte_table_alloc(gfp_t gfp);
void shadow_pte_table_free(struct shadow_pte_table *t);
bool shadow_pte_table_empty(struct shadow_pte_table *t);
long shadow_pte_nr_tables(void);

u32 shadow_pte_read(struct shadow_pte_table *t, unsigned int idx);
int shadow_pte_pin(struct shadow_pte_table *t, unsigned int idx, bool write);
int shadow_pte_unpin(struct shadow_pte_table *t, unsigned int idx, bool write);
int shadow_pte_set_special(struct shadow_pte_table *t, unsigned int idx);
int shadow_pte_clear_special(struct shadow_pte_table *t, unsigned int idx);

u32 shadow_pte_clear_entry(struct shadow_pte_table *t, unsigned int idx);
int shadow_pte_move_entry(struct shadow_pte_table *dst, unsigned int didx,
			  struct shadow_pte_table *src, unsigned int sidx);
int shadow_pte_fork_entry(struct shadow_pte_table *dst, unsigned int didx,
			  struct shadow_pte_table *src, unsigned int sidx);

#endif /* CONFIG_SHADOW_PTE */
#endif /* _LINUX_SHADOW_PTE_H */
