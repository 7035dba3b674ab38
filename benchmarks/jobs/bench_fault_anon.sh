# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: first-touch anonymous write faults (fault_anon), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run fault_anon fault_anon "$size"
