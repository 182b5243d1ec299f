#!/usr/bin/env bash
# Run each test binary; print a summary line; fail if any failed.
set -u
pass=0; fail=0; failed=()
for t in "$@"; do
	if "$t" > "$t.log" 2>&1; then
		pass=$((pass+1)); echo "PASS $(basename "$t")"
	else
		fail=$((fail+1)); failed+=("$t"); echo "FAIL $(basename "$t")"; cat "$t.log"
	fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
