# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: do_wp_page copy and reuse after fork, and write faults after
# mprotect read-only and back (fault_wp), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run fault_wp fault_wp "$size" copy reuse mprotect softdirty
