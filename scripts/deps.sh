#!/usr/bin/env bash
# Make sure the build and test dependencies are installed.
# Debian 12: installs the missing packages with apt-get when run as root;
# otherwise prints exactly what is missing and fails.
set -euo pipefail
mode=${1:-check}
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in build-essential clang libclang-rt-14-dev libcmocka-dev libseccomp-dev pkg-config gcovr acpica-tools python3; do
	have_pkg "$p" || need+=("$p")
done
if [ "$mode" = bench ]; then
	for p in gnuplot-nox valgrind; do have_pkg "$p" || need+=("$p"); done
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "deps: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || true
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	exit 0
fi
echo "deps: missing Debian packages: ${need[*]}" >&2
echo "deps: run as root: apt-get install ${need[*]}" >&2
exit 1
