# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# make test: every benchmark in /bench runs once at a tiny size (2 MiB, all
# of its modes) and must exit 0 and print at least one RESULT line. No
# timing is judged here. TAP, with the same case names on every kernel.
echo "TAP version 13"
set -- /bench/*
echo "1..$#"
i=0
for b in "$@"; do
	i=$((i + 1))
	name=${b##*/}
	echo "# [RUN] bench $name"
	rc=0
	out=$("$b" 2 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q '^RESULT '; then
		echo "ok $i bench $name runs"
	else
		echo "not ok $i bench $name runs # exit status $rc"
	fi
done
