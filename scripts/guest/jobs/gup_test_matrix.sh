# SPDX-License-Identifier: GPL-2.0
# run_vmtests.sh run_gup_matrix, trimmed to one size: -a/-b/-L x THP on/off x
# private/shared x read/write.
set -u
rc=0
for test in -a -b -L; do
	for thp in -t -T; do
		for share in -S ''; do
			for w in -w ''; do
				# shellcheck disable=SC2086
				/selftests/gup_test $test $thp $share $w -m 8 -r 2 -n 64 || rc=1
			done
		done
	done
done
exit $rc
