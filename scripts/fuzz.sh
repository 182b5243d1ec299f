#!/usr/bin/env bash
# scripts/fuzz.sh smoke RUNS bins...   short deterministic run per harness
# scripts/fuzz.sh long SECONDS bins... long run, corpus kept in build/fuzz/corpus
set -u
mode=$1; n=$2; shift 2
rc=0
for f in "$@"; do
	name=$(basename "$f")
	corpus=build/fuzz/corpus/$name; mkdir -p "$corpus"
	seeds=fuzz/corpus/$name
	dirs=("$corpus"); [ -d "$seeds" ] && dirs+=("$seeds")
	if [ "$mode" = smoke ]; then
		args=(-runs="$n" -seed=1 -timeout=10 -artifact_prefix=build/fuzz/)
	else
		args=(-max_total_time="$n" -timeout=10 -artifact_prefix=build/fuzz/)
	fi
	if "$f" "${args[@]}" "${dirs[@]}" > "build/fuzz/$name.log" 2>&1; then
		echo "PASS fuzz $name ($(grep -o 'Done [0-9]* runs' "build/fuzz/$name.log" | tail -1))"
	else
		echo "FAIL fuzz $name"; tail -40 "build/fuzz/$name.log"; rc=1
	fi
done
exit $rc
