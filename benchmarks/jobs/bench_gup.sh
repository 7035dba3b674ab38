# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: gup_test pin/unpin cost per page, -a -L -u (gup_bench), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run gup gup_bench "$size" pin_fast pin_longterm gup_fast
