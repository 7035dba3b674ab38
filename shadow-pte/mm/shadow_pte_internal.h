/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow PTEs, inside mm/: the shadow-table and entry primitives, the
 * introspection that debugfs and the KUnit suite use, and the fault
 * injection knob. Nothing outside mm/shadow_pte.c and its KUnit suite
 * calls these; the hooks the rest of the kernel calls are in
 * include/linux/shadow_pte.h. Documentation/mm/shadow_pte.rst has the
 * design.
 */
#ifndef _MM_SHADOW_PTE_INTERNAL_H
#define _MM_SHADOW_PTE_INTERNAL_H

#include <linux/shadow_pte.h>

/* Shadow tables: allocation, accounting, attaching one to a PTE table. */
struct shadow_pte_table *shadow_pte_table_alloc(gfp_t gfp);
void shadow_pte_table_free(struct shadow_pte_table *t);
bool shadow_pte_table_empty(struct shadow_pte_table *t);
long shadow_pte_nr_tables(void);
long shadow_pte_nr_alloc_fail(void);
void shadow_pte_fail_next_allocs(unsigned int n);
void shadow_pte_fail_next_records(unsigned int n);

struct shadow_pte_table *shadow_pte_attach(struct ptdesc *pt,
					   struct shadow_pte_table **prealloc);

/*
 * One entry: read it, add or remove one unit of its R/O or R/W count, set
 * or clear its special bit. These are the entry primitives the pin records
 * build on (the kernel counts pins through shadow_pte_gup_pin() and
 * shadow_pte_gup_fast_pin()); their kernel-doc in mm/shadow_pte.c gives
 * the errors.
 */
u32 shadow_pte_read(struct shadow_pte_table *t, unsigned int idx);
int shadow_pte_entry_inc(struct shadow_pte_table *t, unsigned int idx, bool write);
int shadow_pte_entry_dec(struct shadow_pte_table *t, unsigned int idx, bool write);
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

/*
 * The pins of one kind a pin word holds before they move to a record:
 * CONFIG_DEBUG_SHADOW_PTE keeps two, so that tests and stress runs of the
 * debug kernels count in the word and go through records from a page's
 * third pin of a kind.
 */
#define SHADOW_PTE_WORD_RO_LIMIT	(IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE) ? 2 : 63)
#define SHADOW_PTE_WORD_RW_LIMIT	(IS_ENABLED(CONFIG_DEBUG_SHADOW_PTE) ? 2 : 127)

/* Pin records: a folio's outstanding counted pins; live records; the hash. */
long shadow_pte_pin_count(struct folio *folio, u32 *ro, u32 *rw);
long shadow_pte_nr_records(void);
long shadow_pte_nr_record_objects(void);
unsigned long shadow_pte_record_hash_bytes(void);
int shadow_pte_pin_word_form(struct folio *folio);
unsigned long shadow_pte_pin_word_bytes(void);
unsigned long shadow_pte_word_overflows(void);
unsigned long shadow_pte_back_entries(void);
unsigned long shadow_pte_nr_cached_records(unsigned long *depot);
unsigned long shadow_pte_drain_record_depot(void);

#endif /* _MM_SHADOW_PTE_INTERNAL_H */
