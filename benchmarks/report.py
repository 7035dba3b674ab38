#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guests' benchmark output into raw.csv and report.md.

usage: report.py REPORT_DIR   (holds baseline/ and shadow/ from run-guest.sh)

Every "RESULT <bench> k=v ... metric=value" line and every "PERF" line
(perf stat -x, CSV) becomes one raw.csv row: kernel, job, run, metric, value.
report.md gives per metric the median, min..max spread and the
shadow/baseline ratio of medians.
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
    for k in ('baseline', 'shadow'):
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
    out.append(f'- method: {read("baseline", "method")} (baseline), {read("shadow", "method")} (shadow)')
    out.append('- kernels: baseline = pristine Debian tree; shadow = assembled tree; '
               'both tinyconfig + configs/guest.config (shadow adds configs/shadow.config); '
               'exact .config files are in baseline/config and shadow/config')
    for k in ('baseline', 'shadow'):
        out.append(f'- vmlinux size ({k}): text data bss dec hex = `{read(k, "vmlinux.size")}`')
    out += ['', '| job | metric | n | baseline median | baseline min..max | '
            'shadow median | shadow min..max | shadow/baseline |', '|---|---|---|---|---|---|---|---|']
    for (job, metric), per in sorted(data.items()):
        b, s = per.get('baseline', []), per.get('shadow', [])
        if not b or not s:
            continue
        bm, sm = statistics.median(b), statistics.median(s)
        ratio = f'{sm / bm:.4f}' if bm else 'n/a'
        out.append(f'| {job} | {metric} | {min(len(b), len(s))} | {bm:.1f} | {min(b):.1f}..{max(b):.1f} | '
                   f'{sm:.1f} | {min(s):.1f}..{max(s):.1f} | {ratio} |')
    out += ['', 'Raw data: raw.csv (one row per run and metric); guest output: '
            'baseline/results.txt, shadow/results.txt.', '']
    with open(os.path.join(d, 'report.md'), 'w') as f:
        f.write('\n'.join(out))
    print('\n'.join(out))


if __name__ == '__main__':
    main()
