# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: shadow, page-table and RSS bytes (mem_shadow), wb.bigsize MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run mem mem_shadow "$bigsize" none sparse dense zero
