# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: fork of partly pinned 2 MiB THPs and 64 KiB mTHPs
# (fork_thp_partial), wb.size MiB.
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run fork_thp_partial fork_thp_partial "$size" thp1 thp8 thpall mthp1 mthp8 mthpall
