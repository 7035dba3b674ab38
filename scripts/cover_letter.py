#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fill in the cover letter of make series from the latest report and stress run.

usage: cover_letter.py COVER_PATCH REPORT_MD STRESS_RESULTS

COVER_PATCH is git format-patch's 0000-cover-letter.patch: its "*** SUBJECT
HERE ***" and "*** BLURB HERE ***" are replaced. REPORT_MD is
build/report/report.md (its Benefit and Cost sections are quoted, the
nothing-pinned rows and a summary of the rest); STRESS_RESULTS is the
results.txt of the last make stress (its "stress:" summary lines), or the
summary.txt that make stress writes beside it (kept in docs/stress-*/). Either
may be missing: the letter then says so instead of quoting numbers.
"""
import os
import re
import sys
import textwrap

SUBJECT = 'mm: shadow PTEs: exact per-PTE pin counts for fork'

DESIGN = """\
Fork must not share an anonymous page that may be pinned. Today "may be
pinned" is a guess per folio: PG_anon_exclusive plus, for order-0 folios,
folio_maybe_dma_pinned()'s reading of the reference count, which FOLL_PIN
raises by GUP_PIN_COUNTING_BIAS. A page with 1024 plain references looks
pinned and gets copied; one pinned subpage makes a whole large folio look
pinned.

This series gives each user PTE table that needs one a shadow table (one
32-bit entry per PTE, 2 KiB per table, pointer in word 4 of the table's
ptdesc) holding the exact number of FOLL_PIN pins taken through that PTE,
R/O and R/W apart, and optionally a software special bit. Unpin is handed
only a page, possibly in hard interrupt context, so each page frame has a
pin word, found by its PFN, that names the slot (PTE table and index)
holding its pins and counts them, with a bit spinlock in bit 0; a page
pinned more than 63 times R/O or 127 times R/W moves its pins into a
32-byte record the word points to. Nothing is allocated per pinned
order-0 page: the words come in 4 KiB pages, one per 2 MiB of page
frames, that the first counted pin there allocates; a directory of them
comes with the first counted pin, the records' hash with the first pin
of a large folio. Zap, mremap and
table freeing detach or retarget the words under the PTE lock, and
GUP-fast counts inside its recheck. Fork then copies exactly the pages
whose entry says pinned.

Pins of large anonymous folios are recorded per subpage when GUP returns
them (one record per folio: a count per subpage and their sum); unpins
that name their pages lower those counts, unpins that cannot (io_uring's
coalesced buffers, unpin_folio()) make the folio forget them. Every count
stays at or below its subpage's pins, so while the sum equals the folio's
_pincount each count is exact, and fork shares the unpinned subpages of a
partly pinned THP or mTHP instead of copying all of them. Two small
patches make bio completion and io_uring name the pages they unpin; one
makes io_uring's coalescing stop naming pages it keeps using.
Documentation/mm/shadow_pte.rst has the layout, the lifetime and the
locking table.

Patches 1-2 reserve the ptdesc word and add the vmstat counters; 3 adds
the option, shadow tables and their entries, which nothing uses yet; 4-14
give them a life cycle and their users one at a time (the PTE table's
ctor/dtor and deposit; pin records with the GUP slow path; zap, mremap,
fork, the special bit, the debug checks, GUP-fast and uprobes), each
adding the part of mm/shadow_pte.c it calls; 15 is the documentation;
16-20 record pins of large folios per subpage and make io_uring and the
block layer name the pages they unpin; 21 makes zap ask once per PTE
table; 22 keeps freed records on per-CPU lists; 23 adds the debugfs
files and fault injection; 24-27 bring the pin cost down (mremap calls
out only for set entries, order-0 pins move from records into the pin
words, mremap moves a batch's entries once, unpin_user_pages() uncounts
its array in one pass); 28 allocates the pin words in pages on demand
and 29 the record hash only for large folios; 30-31 add the KUnit suite
and the selftests."""

LIMITS = """\
Known limits:
- Per-subpage precision trusts that a caller which names a page used that
  page's pin; a large folio whose counts were forgotten (or a record that
  could not be allocated) gets the folio-wide decision until its pins
  drain. File, shmem and hugetlb folios keep the folio-wide decision.
- Pins and unpins cost more than mainline (see the cost table: unpin
  about 1.8x and mremap of a fully pinned range about 5x per page), and
  fork of a process that has pinned pays a look-up per exclusive PTE.
- A page of pin words, once allocated for 2 MiB of page frames, is kept
  until reboot; memory hot-added above max_possible_pfn has no words,
  and a pin that would be counted there fails with -ENOMEM.
- Every patch builds with every shadow-PTE option on and boots with
  mainline's GUP and COW selftests; the shadow-PTE tests (KUnit,
  selftests, the race stress) run on the whole series only.
- x86_64 and UML only; PREEMPT_RT excluded."""


def section(md, title):
    """The body of the "## title..." section of report.md, up to the next ##."""
    m = re.search(r'^## ' + re.escape(title) + r'.*?$(.*?)(?=^## |\Z)', md, re.M | re.S)
    return m.group(1).strip() if m else None


def rows(md, title, ncols):
    """The cells of each row (header included, separator not) of the first
    markdown table in section @title with at least @ncols columns."""
    body = section(md, title) or ''
    for line in body.splitlines():
        if not line.startswith('|'):
            continue
        cells = [c.strip() for c in line.strip('|').split('|')]
        if len(cells) >= ncols and not cells[0].startswith('---'):
            yield cells


def cost_summary(md):
    """The cost table cut to the columns a cover letter needs."""
    out = []
    for c in rows(md, 'Cost: shadow / baseline', 6):
        if c[1] == 'benchmark':
            out.append(f'{"":16} {"benchmark":28} {"metric":16} {"shadow/base":>11}')
        else:
            out.append(f'{c[0][:16]:16} {c[1][:28]:28} {c[2][:16]:16} '
                       f'{c[5].strip("*"):>11}')
    return '\n'.join(out) or None


def benefit_summary(md):
    """The benefit table: pinned, copied on each kernel, fork time ratio."""
    out = []
    for c in rows(md, 'Benefit', 10):
        if c[0] == 'scenario':
            out.append(f'{"scenario":26} {"pinned":>6} {"copied: base":>12} {"shadow":>7} '
                       f'{"fork shadow/base":>16}')
        else:
            out.append(f'{c[0][:26]:26} {c[2]:>6} {c[3]:>12} {c[4]:>7} '
                       f'{c[9].strip("*") + "x":>16}')
    return '\n'.join(out) or None


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    cover, report, stress = sys.argv[1:]
    md = open(report).read() if os.path.exists(report) else ''
    gen = re.search(r'^Generated (.*?) by', md, re.M)
    method = re.search(r'^- method: (.*)$', md, re.M)
    parts = [DESIGN, '']
    if md:
        parts += [textwrap.fill(
                  f'Measured with the workbench\'s make report ({gen.group(1) if gen else "?"}; '
                  f'{method.group(1).split(" (")[0] if method else "?"}: instruction '
                  'counts, so ratios are exact and say nothing about caches), same config '
                  'with and without the series.', 72), '',
                  'Benefit: pages fork copied into the child', '',
                  benefit_summary(md) or '(no benefit table in the report)', '',
                  'Cost: shadow/baseline per operation (medians)', '',
                  cost_summary(md) or '(no cost table in the report)', '']
    else:
        parts += ['No report found (make report): no figures quoted.', '']
    if os.path.exists(stress):
        text = open(stress, errors='replace').read()
        lines = [ln for ln in text.splitlines()
                 if ln.startswith('stress: ') or ln.startswith('# kmemleak')]
        # A results.txt has the TAP lines; a kept summary.txt their count.
        tap = re.search(r'^# tap: (\d+) passed, (\d+) failed', text, re.M)
        if tap:
            ok, bad = int(tap.group(1)), int(tap.group(2))
        else:
            ok = len(re.findall(r'^ok \d+', text, re.M))
            bad = len(re.findall(r'^not ok \d+', text, re.M))
        parts += [textwrap.fill('Stress (make stress: debug kernel with KASAN, lockdep, '
                                'kmemleak, fault injection, 2 CPUs): '
                                f'{ok} passed, {bad} failed. "errors" counts operations '
                                'that failed with an errno the stress allows (ENOMEM from '
                                'injected allocation failures, EFAULT, EBUSY, EAGAIN, EINTR, '
                                'ETIMEDOUT); "unexpected errnos" counts any other.', 72), ''] + \
                 [textwrap.fill(ln, 72, initial_indent='  ', subsequent_indent='    ')
                  for ln in lines[:24]] + ['']
    else:
        parts += ['No stress run found (make stress).', '']
    parts += [LIMITS]
    text = open(cover).read()
    text = text.replace('*** SUBJECT HERE ***', SUBJECT)
    text = text.replace('*** BLURB HERE ***', '\n'.join(parts))
    with open(cover, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
