#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Style checks: shellcheck on every script, -Wall -Wextra on the benchmarks,
# checkpatch --strict on kernel-patches/ and the overlay's C sources, and
# the overlay's reST (Documentation/) through docutils, warnings fatal (plain
# docutils: no Sphinx here, so the page uses no Sphinx-only directive).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
rc=0
mapfile -t sh < <(cd "$TOP" && { ls scripts/*.sh tests/*.sh .ci/run scripts/guest/init; find scripts/guest/jobs benchmarks/jobs -name '*.sh'; })
(cd "$TOP" && shellcheck -x -s bash "${sh[@]}") || rc=1
for f in "$TOP"/benchmarks/*.c; do
	[ -f "$f" ] || continue
	# same flags as build-userspace.sh: gup_bench.c includes the tree's mm/gup_test.h
	gcc -fsyntax-only -Wall -Wextra -Werror -isystem "$USERSPACE/khdr/include" -I"$TREE" "$f" || rc=1
done
cp=$PRISTINE/scripts/checkpatch.pl
if [ -x "$cp" ]; then
	mapfile -t pf < <(find "$TOP/kernel-patches" -name '*.patch' | LC_ALL=C sort)
	# From the pristine tree: run inside this repository, checkpatch takes it
	# for the kernel tree and misreads the patches (context lines as added).
	[ ${#pf[@]} -eq 0 ] || (cd "$PRISTINE" && perl "$cp" --no-tree --strict --terse "${pf[@]}") || rc=1
	mapfile -t cf < <(find "$TOP/shadow-pte" "$TOP/kunit" -mindepth 2 -name '*.[ch]' | LC_ALL=C sort)
	[ ${#cf[@]} -eq 0 ] || (cd "$PRISTINE" && perl "$cp" --no-tree --strict --terse -f "${cf[@]}") || rc=1
else
	echo "checkpatch: no pristine tree yet ('make source')" >&2
fi
while IFS= read -r f; do
	python3 -c 'import sys, docutils.core
docutils.core.publish_string(open(sys.argv[1]).read(), source_path=sys.argv[1], writer_name="null",
			     settings_overrides={"halt_level": 2, "report_level": 2})' "$f" || {
		echo "reST: $f does not parse cleanly" >&2
		rc=1
	}
done < <(find "$TOP/shadow-pte" -name '*.rst' | LC_ALL=C sort)
[ "$rc" = 0 ] && echo "check: clean"
exit "$rc"
