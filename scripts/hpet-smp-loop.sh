#!/usr/bin/env bash
# The concurrent HPET read case of issue 13, many times in a row on the real
# KVM: guests/hpet-smp.c on 3 and 4 vCPUs in split mode (and kernel mode with
# --kernel-too), N runs each, in one nested boot (scripts/nested-kvm.sh).
#
#   scripts/hpet-smp-loop.sh [--build DIR] [--runs N] [--kernel-too]
#
# Prints one line per configuration: runs, passes, and every failure's first
# line (a guest exception with its eip and stack, or splitvm's exit message).
# Exit status: 0 when every run passed.
set -u
B=build
N=50
MODES=split
while [ $# -gt 0 ]; do
	case "$1" in
	--build) B=$2; shift 2 ;;
	--runs) N=$2; shift 2 ;;
	--kernel-too) MODES="split kernel"; shift ;;
	*) echo "hpet-smp-loop: unknown option $1" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.." || exit 2
OUT=$B/hpet-smp-loop
mkdir -p "$OUT"
RUNS=$OUT/runs
for m in $MODES; do
	for n in 3 4; do
		for i in $(seq 1 "$N"); do echo "$m-$n-$i|$m|hpet-smp|$n|0||"; done
	done
done > "$RUNS"
scripts/nested-kvm.sh --build "$B" --out "$OUT/nested" --runs "$RUNS" \
	--guest-timeout 60 --timeout $((600 + 20 * N)) > "$OUT/nested.log" 2>&1
rc=0
for m in $MODES; do
	for n in 3 4; do
		pass=0 total=0
		for i in $(seq 1 "$N"); do
			log=$OUT/nested/logs/$m-$n-$i.log
			total=$((total + 1))
			if grep -q '^PASS hpet-smp' "$log" 2>/dev/null; then
				pass=$((pass + 1))
			else
				rc=1
				why=$(grep -m1 -E '^FAIL|triple|splitvm:' "$log" 2>/dev/null || echo "no result")
				echo "hpet-smp-loop: $m $n vCPUs run $i: $why"
			fi
		done
		echo "hpet-smp-loop: $m, $n vCPUs: $pass of $total passed"
	done
done
exit $rc
