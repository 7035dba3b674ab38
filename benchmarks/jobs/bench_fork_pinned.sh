# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: fork with no, sparse and dense pins (fork_pinned), wb.bigsize MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run fork fork_pinned "$bigsize" none sparse dense
