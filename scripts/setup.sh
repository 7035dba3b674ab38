#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the workbench needs on Debian bookworm (idempotent).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

pkgs=(
	"$DEB_PKG=$DEB_VERSION"
	build-essential bc bison flex libelf-dev libssl-dev dwarves python3 perl
	ccache git cpio xz-utils rsync kmod file
	qemu-system-x86 busybox-static liburing-dev
	shellcheck gnuplot-nox python3-docutils
)
missing=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	"install ok installed "*)
		[ "$name" = "$p" ] || [ "${have##* }" = "$want" ] || missing+=("$p")
		;;
	*) missing+=("$p") ;;
	esac
done
if [ ${#missing[@]} -eq 0 ]; then
	note "setup: all ${#pkgs[@]} packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	die "missing packages: ${missing[*]}. Run 'sudo make setup' (or as root: apt-get install ${missing[*]})"
fi
mkdir -p "$BUILD"
note "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || die "apt-get update failed: check the network / sources.list"
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$BUILD/apt.log" 2>&1; then
	tail -n 15 "$BUILD/apt.log" >&2
	case " ${missing[*]} " in
	*" $DEB_PKG="*)
		apt-cache policy "$DEB_PKG" >&2 || true
		die "apt-get install failed; if $DEB_PKG $DEB_VERSION is no longer offered, set DEB_VERSION in scripts/lib.sh to a version listed above and check that the series still applies"
		;;
	esac
	die "apt-get install failed (log: $BUILD/apt.log)"
fi
rm -f "$BUILD/apt.log"
note "setup: done"
