# SPDX-License-Identifier: GPL-2.0
"""The one reader of the guests' results.txt (scripts/guest/init writes it).

A results file is a sequence of job frames:

    @@@ BEGIN <job>
    ... the job's output: TAP from selftests, RESULT/RUN/PERF lines from
        benchmarks ...
    @@@ END <job> rc=<status>

closed by "@@@ DONE" once the guest ran its whole job list. Used by
scripts/compare.py (selftest TAP) and benchmarks/report.py (benchmark
results).
"""
import re

BEGIN = re.compile(r'^@@@ BEGIN (\S+)')
END = re.compile(r'^@@@ END (\S+) rc=(\d+)')


def read(path):
    """Return ([(job, rc, lines)], done). rc is None for a job that never
    ended (the guest died in it); done says the guest reached "@@@ DONE"."""
    jobs, cur, done = [], None, False
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            m = BEGIN.match(line)
            if m:
                cur = [m.group(1), None, []]
                jobs.append(cur)
                continue
            m = END.match(line)
            if m and cur is not None:
                cur[1] = int(m.group(2))
                cur = None
                continue
            if line.startswith('@@@ DONE'):
                done = True
                continue
            if cur is not None:
                cur[2].append(line)
    return [tuple(j) for j in jobs], done
