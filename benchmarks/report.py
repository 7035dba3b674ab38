#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guests' benchmark output into raw.csv and report.md.

usage: report.py REPORT_DIR   (holds baseline/, shadow/ and shadow-off/ from
                              run-guest.sh; shadow-off is optional)

Every "RESULT <bench> k=v ... metric=value" line and every "PERF" line
(perf stat -x, CSV) becomes one raw.csv row: kernel, job, run, metric, value.
report.md gives per metric the median, min..max spread and the
shadow/baseline ratio of medians, and the same for the CONFIG_SHADOW_PTE=n
build of the shadow tree, whose vmlinux sizes must equal the baseline's.
Exit status 1 if they do not.
"""
import csv
import os
import re
import statistics
import sys


def parse(path, kernel):
    rows, job, run = [], None, 0
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = re.match(r'^@@@ BEGIN (\S+)', line)
            if m:
                job, run = m.group(1), 0
                continue
            if job is None:
                continue
            m = re.match(r'^RUN (\d+)', line)
            if m:
                run = int(m.group(1))
                continue
            if line.startswith('RESULT '):
                parts = line.split()
                bench = parts[1]
                for kv in parts[2:]:
                    k, _, v = kv.partition('=')
                    try:
                        rows.append((kernel, job, run, f'{bench}.{k}', float(v)))
                    except ValueError:
                        pass
            elif line.startswith('PERF '):
                fields = line[5:].split(',')
                if len(fields) >= 3:
                    try:
                        rows.append((kernel, job, run, 'perf.' + fields[2], float(fields[0])))
                    except ValueError:
                        pass  # "<not supported>" / "<not counted>"
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    rows = []
    kernels = [k for k in ('baseline', 'shadow', 'shadow-off')
               if os.path.exists(os.path.join(d, k, 'results.txt'))]
    for k in kernels:
        rows += parse(os.path.join(d, k, 'results.txt'), k)
    if not rows:
        sys.exit('report.py: no benchmark results in ' + d)
    with open(os.path.join(d, 'raw.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['kernel', 'job', 'run', 'metric', 'value'])
        w.writerows(rows)
    data = {}
    for k, job, _, metric, v in rows:
        data.setdefault((job, metric), {}).setdefault(k, []).append(v)

    def read(*p):
        with open(os.path.join(d, *p)) as f:
            return f.read().strip()

    out = ['# Shadow-PTE overhead report', '']
    out.append(f'- repository commit: `{read("commit")}`; shadow tree HEAD: `{read("tree-commit")}`')
    out.append('- method: ' + ', '.join(f'{read(k, "method")} ({k})' for k in kernels))
    out.append('- kernels: baseline = pristine Debian tree; shadow = assembled tree; '
               'both tinyconfig + configs/guest.config (shadow adds configs/shadow.config); '
               'exact .config files are in baseline/config and shadow/config')
    sizes = {k: read(k, 'vmlinux.size').split()[:4] for k in kernels}
    osizes = {k: read(k, 'vmlinux.o.size').split()[:4] for k in kernels}
    out += ['', '| kernel | vmlinux text | data | bss | total | vmlinux.o text | data | bss | total |',
            '|---' * 9 + '|']
    for k in kernels:
        out.append(f'| {k} | ' + ' | '.join(sizes[k] + osizes[k]) + ' |')
    out += ['', 'vmlinux pads .text to an alignment boundary, which can hide growth; '
            'vmlinux.o (before the final link) does not.']
    off_ok = True
    if 'shadow-off' in sizes:
        off_ok = sizes['shadow-off'] == sizes['baseline'] and osizes['shadow-off'] == osizes['baseline']
        out += ['', 'CONFIG_SHADOW_PTE=n vs pristine, vmlinux and vmlinux.o: ' +
                ('**identical sizes**' if off_ok else '**DIFFERENT sizes**')]
    if 'shadow' in osizes:
        delta = [int(a) - int(b) for a, b in zip(osizes['shadow'], osizes['baseline'])]
        out += ['', f'CONFIG_SHADOW_PTE=y (with the built-in KUnit suite) vs pristine, vmlinux.o: '
                f'text {delta[0]:+d}, data {delta[1]:+d}, bss {delta[2]:+d} bytes']
    others = [k for k in kernels if k != 'baseline']
    head = '| job | metric | n | baseline median | baseline min..max |'
    for k in others:
        head += f' {k} median | {k} min..max | {k}/baseline |'
    out += ['', head, '|---' * (5 + 3 * len(others)) + '|']
    for (job, metric), per in sorted(data.items()):
        b = per.get('baseline', [])
        if not b or any(not per.get(k) for k in others):
            continue
        bm = statistics.median(b)
        line = f'| {job} | {metric} | {len(b)} | {bm:.1f} | {min(b):.1f}..{max(b):.1f} |'
        for k in others:
            v = per[k]
            m = statistics.median(v)
            ratio = f'{m / bm:.4f}' if bm else 'n/a'
            line += f' {m:.1f} | {min(v):.1f}..{max(v):.1f} | {ratio} |'
        out.append(line)
    out += ['', 'Raw data: raw.csv (one row per run and metric); guest output: '
            'baseline/results.txt, shadow/results.txt.', '']
    with open(os.path.join(d, 'report.md'), 'w') as f:
        f.write('\n'.join(out))
    print('\n'.join(out))
    if not off_ok:
        sys.exit('report.py: the CONFIG_SHADOW_PTE=n kernel differs from pristine')


if __name__ == '__main__':
    main()
