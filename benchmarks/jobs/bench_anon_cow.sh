# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: vm-scalability-style anon-cow, 2 children (anon_cow), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run anon_cow anon_cow "$size"
