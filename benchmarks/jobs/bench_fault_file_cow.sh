# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: write faults on a private tmpfs file mapping (fault_file_cow), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run fault_file_cow fault_file_cow "$size"
