# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest job: pin/unpin cost per page of a wb.size MiB range while 1 Ki,
# 64 Ki and 1 Mi other pages are held pinned (pin_scale; wb.scale= overrides
# the held counts; 1 Mi needs a guest with more than 4 GiB).
set -eu
# shellcheck source=benchmarks/jobs/lib.sh
. /jobs/lib.sh
held=$(wb_arg wb.scale | tr ',' ' ')
echo "RUN 0 pin_scale"
# shellcheck disable=SC2086 # one argument per held count
/bench/pin_scale "$size" "$reps" ${held:-1024 65536 1048576}
