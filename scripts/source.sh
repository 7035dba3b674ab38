#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpack Debian's linux-source tarball into build/pristine as a one-commit git
# repository (tag "base"). Verifies the package version and the tarball's
# md5 recorded by dpkg. Idempotent: does nothing if the base is already there.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

want="$DEB_PKG $DEB_VERSION"
if [ -d "$PRISTINE/.git" ] && [ "$(git -C "$PRISTINE" tag -l --format='%(contents:subject)' base)" = "$want" ]; then
	exit 0
fi

have=$(dpkg-query -W -f='${Version}' "$DEB_PKG" 2>/dev/null || true)
[ -n "$have" ] || die "$DEB_PKG is not installed: run 'make setup' (as root)"
[ "$have" = "$DEB_VERSION" ] ||
	die "$DEB_PKG $have is installed but the project pins $DEB_VERSION (scripts/lib.sh). Install the pinned one with 'make setup', or bump DEB_VERSION/KERNEL_VERSION in scripts/lib.sh and check that kernel-patches/ still applies"

tarball=/usr/src/$DEB_PKG.tar.xz
sums=/var/lib/dpkg/info/$DEB_PKG.md5sums
[ -f "$tarball" ] || die "$tarball is missing: reinstall with 'apt-get install --reinstall $DEB_PKG=$DEB_VERSION'"
expect=$(awk -v f="usr/src/$DEB_PKG.tar.xz" '$2 == f { print $1 }' "$sums")
[ -n "$expect" ] || die "no checksum for $tarball in $sums"
got=$(md5sum "$tarball" | cut -d' ' -f1)
[ "$got" = "$expect" ] || die "$tarball md5 $got does not match the package's recorded $expect: reinstall $DEB_PKG"
note "tarball checksum matches dpkg's record ($got)"

rm -rf "$PRISTINE" "$PRISTINE.tmp"
mkdir -p "$PRISTINE.tmp"
tar -xJf "$tarball" -C "$PRISTINE.tmp" --strip-components=1
mv=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' "$PRISTINE.tmp/Makefile" | paste -sd.)
[ "$mv" = "$KERNEL_VERSION" ] || die "tarball Makefile says $mv, expected $KERNEL_VERSION (scripts/lib.sh)"
(
	cd "$PRISTINE.tmp"
	git init -q -b master
	git config user.name "workbench"
	git config user.email "workbench@localhost"
	git config core.autocrlf false
	git config gc.auto 0
	# Debian's tarball carries the upstream .gitignore files; force-add so the
	# base commit is the whole tarball.
	git add -A -f .
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git commit -q -m "$want" -m "Pristine $tarball (md5 $got)."
	git tag -a -m "$want" base
)
mv "$PRISTINE.tmp" "$PRISTINE"
note "pristine tree at $PRISTINE ($(git -C "$PRISTINE" rev-parse --short base))"
