# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: munmap of unpinned and pinned ranges (unmap_pinned), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run munmap unmap_pinned "$size" none sparse dense
