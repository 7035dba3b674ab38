#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# List overlay files as "REPO_PATH KERNEL_PATH", one per line.
# shadow-pte/<path> and kunit/<path> mirror kernel paths; files at the top of
# those two folders (README.md, .kunitconfig) are project files, not overlay.
set -euo pipefail
repo=${1:?usage: overlay-files.sh REPO_DIR}
cd "$repo"
for d in shadow-pte kunit; do
	[ -d "$d" ] || continue
	find "$d" -mindepth 2 -type f ! -name '*.orig' ! -name '*.rej' ! -name '*~' | LC_ALL=C sort |
		while read -r f; do echo "$f ${f#"$d"/}"; done
done
