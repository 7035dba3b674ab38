# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: zero-page read faults (fault_zero), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run fault_zero fault_zero "$size"
