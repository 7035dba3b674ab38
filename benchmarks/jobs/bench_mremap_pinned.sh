# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: per-PTE mremap move of unpinned and pinned ranges (mremap_pinned), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run mremap mremap_pinned "$size" none sparse dense
