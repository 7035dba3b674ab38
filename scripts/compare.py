#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare the selftest TAP of the baseline and shadow guests, case by case.

usage: compare.py BASELINE_RESULTS SHADOW_RESULTS OUT_MD

A case is keyed by job, TAP stream within the job and test number; its name is
the last "# [RUN] ..." line before it plus the result text. Verdicts:
  PASS  shadow passes (whatever baseline did)
  FAIL  baseline passes and shadow does not, a case vanished, or shadow fails
        a case that baseline skipped
  SKIP  both skip, or both fail (a baseline failure is no regression; listed)
Prints the failures and a closing "N passed, N failed, N skipped" line.
Exit status 1 if anything failed.
"""
import re
import sys

import guestlog

TAP = re.compile(r'^(not ok|ok) (\d+)\s*(.*)$')


def parse(path):
    jobs = {}
    for job, rc, lines in guestlog.read(path)[0]:
        cur = {'cases': {}, 'rc': rc, 'stream': 0, 'run': ''}
        jobs[job] = cur
        for line in lines:
            if line.startswith('TAP version'):
                cur['stream'] += 1
                continue
            m = re.match(r'^1\.\.0\s*#\s*SKIP\s*(.*)$', line, re.I)
            if m:
                cur['skip_all'] = m.group(1).strip() or '?'
                continue
            m = re.match(r'^# \[RUN\] (.*)$', line)
            if m:
                cur['run'] = m.group(1)
                continue
            m = TAP.match(line)
            if not m:
                continue
            ok, num, rest = m.groups()
            skip = re.search(r'#\s*SKIP', rest, re.I) is not None
            xfail = re.search(r'#\s*XFAIL', rest, re.I) is not None
            if skip:
                res = 'skip'
            elif ok == 'ok' or xfail:
                res = 'pass'
            else:
                res = 'fail'
            key = (cur['stream'], int(num))
            name = (cur['run'] + ' :: ' if cur['run'] else '') + rest.strip()
            cur['cases'][key] = (res, name)
    return jobs


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    base, shad = parse(sys.argv[1]), parse(sys.argv[2])
    rows, fails = [], []
    counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
    for job in sorted(set(base) | set(shad)):
        bj = base.get(job, {'cases': {}, 'rc': None})
        sj = shad.get(job, {'cases': {}, 'rc': None})
        if sj['rc'] is None or (job in base and bj['rc'] is None):
            fails.append(f'{job}: job did not finish (baseline rc={bj["rc"]}, shadow rc={sj["rc"]})')
            counts['FAIL'] += 1
        if not bj['cases'] and not sj['cases']:
            why = sj.get('skip_all') or bj.get('skip_all')
            if why and sj['rc'] is not None:
                # A whole-job skip ("1..0 # SKIP reason") on both kernels.
                counts['SKIP'] += 1
                rows.append((f'{job}#0.0', '(whole job)', 'skip', 'skip', 'SKIP',
                             'skipped on both: ' + why))
                continue
            fails.append(f'{job}: no TAP results at all')
            counts['FAIL'] += 1
        for key in sorted(set(bj['cases']) | set(sj['cases'])):
            b, bn = bj['cases'].get(key, ('missing', ''))
            s, sn = sj['cases'].get(key, ('missing', ''))
            name = sn or bn
            if s == 'pass':
                v, why = 'PASS', ''
            elif b == 'pass':
                v, why = 'FAIL', 'passes on baseline only'
            elif s == 'missing':
                v, why = 'FAIL', 'missing on shadow'
            elif s == 'fail' and b != 'fail':
                v, why = 'FAIL', f'fails on shadow, {b} on baseline'
            elif b == 'fail':
                v, why = 'SKIP', 'fails on baseline too'
            else:
                v, why = 'SKIP', 'skipped on both: ' + (re.sub(r'.*#\s*SKIP\s*', '', name, flags=re.I) or '?')
            counts[v] += 1
            tag = f'{job}#{key[0]}.{key[1]}'
            rows.append((tag, name, b, s, v, why))
            if v == 'FAIL':
                fails.append(f'{tag} {name}: {why}')
    with open(sys.argv[3], 'w') as out:
        out.write('# Selftest comparison: baseline vs shadow\n\n')
        out.write(f'{counts["PASS"]} passed, {counts["FAIL"]} failed, {counts["SKIP"]} skipped\n\n')
        out.write('| case | name | baseline | shadow | verdict | why |\n|---|---|---|---|---|---|\n')
        for r in rows:
            out.write('| ' + ' | '.join(x.replace('|', '\\|') for x in r) + ' |\n')
    per_job = {}
    for tag, _, _, _, v, _ in rows:
        per_job.setdefault(tag.split('#')[0], {'PASS': 0, 'FAIL': 0, 'SKIP': 0})[v] += 1
    for job, c in sorted(per_job.items()):
        print(f'  {job:20s} {c["PASS"]:4d} passed {c["FAIL"]:4d} failed {c["SKIP"]:4d} skipped')
    for f in fails[:50]:
        print('  FAIL ' + f)
    print(f'selftests: {counts["PASS"]} passed, {counts["FAIL"]} failed, {counts["SKIP"]} skipped')
    sys.exit(1 if counts['FAIL'] else 0)


if __name__ == '__main__':
    main()
