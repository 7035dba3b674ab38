# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: fork of 64 unpinned pages with 1025 pipe references each, in a
# process that has pinned once (fork_refs).
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
bench_run fork_refs fork_refs 64
