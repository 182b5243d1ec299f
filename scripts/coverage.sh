#!/usr/bin/env bash
# Line coverage of lib/ by the unit tests (gcovr).  Writes build/cov/coverage.txt
# and, with --update-doc, docs/COVERAGE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/cov
rm -rf "$out"; mkdir -p "$out"
CC=${CC:-gcc}
flags="-std=c11 -D_GNU_SOURCE -O0 -g --coverage -Iinclude -Itests"
objs=()
for src in lib/*.c; do
	o="$out/$(basename "${src%.c}").o"
	$CC $flags -c "$src" -o "$o"
	objs+=("$o")
done
for t in tests/test_*.c; do
	b="$out/$(basename "${t%.c}")"
	$CC $flags "$t" "${objs[@]}" -lcmocka -lpthread -o "$b"
	(cd "$out" && "./$(basename "$b")" >/dev/null 2>&1) || { echo "coverage: $t failed" >&2; exit 1; }
done
gcovr -r . --object-directory "$out" --filter 'lib/' --txt "$out/coverage.txt"
cat "$out/coverage.txt"
if [ "${1:-}" = --update-doc ]; then
	{
		echo "# Line coverage of lib/"
		echo
		echo "Measured with \`make coverage\` (scripts/coverage.sh: gcc --coverage -O0, every"
		echo "tests/test_*.c binary, gcovr 5.2) on $(date -u +%Y-%m-%d)."
		echo
		echo '```'
		cat "$out/coverage.txt"
		echo '```'
	} > docs/COVERAGE.md
fi
