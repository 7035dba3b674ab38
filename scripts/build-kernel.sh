#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build one kernel variant of configs/kernels:
#   build-kernel.sh NAME
# Config = tinyconfig + configs/guest.config + the variant's fragments
# (+ configs/debug.config with DEBUG=1, in its own O= folder, + EXTRA_CONFIG).
# Incremental; compiles through ccache. CONFIG_ONLY=1 stops after the
# .config has been checked. PREFIX_BUILD=1 (make series-check's prefix
# builds) lets an option that this tree's Kconfig does not know yet pass
# (a series prefix before the patch that adds it); a known option that
# Kconfig set otherwise still fails. PREFIX_DROP_FRAGS names fragments
# such a build leaves out.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
K=${1:?usage: build-kernel.sh NAME (configs/kernels)}
src=$(kernel_src "$K")
out=$(kernel_out "$K")
[ -d "$src/.git" ] || die "no source tree for $K at $src: run 'make source' / 'make assemble'"

frags=("$TOP/configs/guest.config")
mapfile -t -O 1 frags < <(kernel_frags "$K")
[ "${DEBUG:-0}" = 1 ] && frags+=("$TOP/configs/debug.config")
frags+=(${EXTRA_CONFIG:+"$EXTRA_CONFIG"})
# PREFIX_DROP_FRAGS: fragment names (space-separated) that make series-check
# leaves out of a prefix whose Kconfig cannot take them yet.
if [ "${PREFIX_BUILD:-0}" = 1 ] && [ -n "${PREFIX_DROP_FRAGS:-}" ]; then
	keep=()
	for f in "${frags[@]}"; do
		[[ " $PREFIX_DROP_FRAGS " == *" ${f##*/} "* ]] || keep+=("$f")
	done
	frags=("${keep[@]}")
fi

mkdir -p "$out"
mk=(make -s -C "$src" O="${out#"$src"/}" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS"
	KBUILD_BUILD_TIMESTAMP="2000-01-01" KBUILD_BUILD_USER=workbench KBUILD_BUILD_HOST=workbench)

# Rebuild the .config only when a fragment or the Kconfig files changed.
want=$(cat "${frags[@]}" | sha1sum | cut -d' ' -f1)-$(git -C "$src" rev-parse HEAD)
if [ "$(cat "$out/.config-inputs" 2>/dev/null)" != "$want" ] || [ ! -f "$out/.config" ]; then
	rm -f "$out/.config-inputs"
	"${mk[@]}" tinyconfig >/dev/null
	(cd "$src" && KCONFIG_CONFIG="${out#"$src"/}/.config" \
		scripts/kconfig/merge_config.sh -m -O "${out#"$src"/}" "${out#"$src"/}/.config" "${frags[@]}" >/dev/null)
	"${mk[@]}" olddefconfig >/dev/null
	# Every option a fragment asks for must have survived olddefconfig.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$out/.config" || {
			[[ $line == *=n ]] && ! grep -q "^${line%%=*}=" "$out/.config" && continue
			sym=${line%%=*}
			[ "${PREFIX_BUILD:-0}" = 1 ] &&
				! grep -rqx --include='Kconfig*' "config ${sym#CONFIG_}" "$src" && continue
			echo "  $line: not in the final .config ($(grep "^${line%%=*}=\|# ${line%%=*} is not set" "$out/.config" || echo missing))" >&2
			bad=1
		} ;;
		esac
	done < <(cat "${frags[@]}")
	[ "$bad" = 0 ] || die "$K: config fragments ask for options that Kconfig dropped (unmet dependencies); fix configs/*.config"
	echo "$want" >"$out/.config-inputs"
fi
if [ "${CONFIG_ONLY:-0}" = 1 ]; then
	note "$K: $out/.config checked (CONFIG_ONLY=1: not building)"
	exit 0
fi
"${mk[@]}" bzImage
note "$K: $out/arch/x86/boot/bzImage ($(stat -c %s "$out/arch/x86/boot/bzImage") bytes)"
