#!/usr/bin/env bash
# make install into a scratch prefix, then build the README example with
# pkg-config against both the shared and the static library, and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d /tmp/splitchip-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
make --no-print-directory install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
flags=$(pkg-config --cflags --libs splitchip)
${CC:-cc} -std=c11 -Wall -Werror examples/pic.c $flags -Wl,-rpath,"$prefix/lib" -o "$prefix/ex-shared"
${CC:-cc} -std=c11 -Wall -Werror examples/pic.c $(pkg-config --cflags splitchip) \
	"$prefix/lib/libsplitchip.a" -lpthread -o "$prefix/ex-static"
"$prefix/ex-shared" >/dev/null
"$prefix/ex-static" >/dev/null
# libsplitchip-kvm: its own pkg-config entry (Requires: splitchip)
flags=$(pkg-config --cflags --libs splitchip-kvm)
${CC:-cc} -std=c11 -Wall -Werror examples/kvm_state.c $flags -Wl,-rpath,"$prefix/lib" -o "$prefix/kvm-shared"
${CC:-cc} -std=c11 -Wall -Werror examples/kvm_state.c $(pkg-config --cflags splitchip-kvm) \
	"$prefix/lib/libsplitchip-kvm.a" "$prefix/lib/libsplitchip.a" -lpthread -o "$prefix/kvm-static"
"$prefix/kvm-shared" >/dev/null
"$prefix/kvm-static" >/dev/null
echo "install: 2 passed, 0 failed"
