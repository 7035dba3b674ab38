# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# make run: the shell command given as wb.cmd=<base64> on the kernel command
# line (base64: a command line holds no spaces in one argument). Its exit
# status is the job's.
set -eu
enc=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^wb\.cmd=//p' | tail -n 1)
[ -n "$enc" ] || { echo "run_cmd: no wb.cmd= on the kernel command line"; exit 2; }
cmd=$(printf '%s' "$enc" | base64 -d) || { echo "run_cmd: wb.cmd is not base64"; exit 2; }
echo "run_cmd: $cmd"
cd /tmp
sh -c "$cmd"
