#!/usr/bin/env bash
# splitchip benchmarks: runs bench/bench_* programs, writes CSV and PNG plots
# to the output directory and the report BENCHMARKS.md there.  A full run
# also installs the report as docs/BENCHMARKS.md with the plots in
# docs/bench/.  Called by `make bench` (bench/bench.mk).
#
#   scripts/bench.sh [--quick] [--bin DIR] [--out DIR]
#
# --quick: a < 1 minute smoke run (short intervals, one repetition); writes
# only the output directory, docs/ stays as it is.
#
# This script runs things; every table, ratio and statistic of the report
# is computed by scripts/bench_report.py (tests: tests/scripts/).
set -euo pipefail
report=$(dirname "$0")/bench_report.py

quick=0
bin=build/bench/bin
out=build/bench
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--bin) bin=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: $0 [--quick] [--bin DIR] [--out DIR]" >&2; exit 2 ;;
	esac
	shift
done

# Assumptions used to relate library CPU cost to exits (stated in the report).
EXIT_US=8        # userspace exit round trip (KVM_RUN return + ioctl) on this hypervisor
IPNS=2           # nominal host instructions per ns (1 IPC at 2 GHz)

if [ "$quick" = 1 ]; then
	TICK_MS=300; TICK_REPS=1; IRQ_MS=30; IRQ_REPS=1
	ACC_REPS=3; ACC_ITERS=20000; CG_N1=100; CG_N2=1100
	mode="quick (smoke: BENCH_QUICK=1)"
	cmd="make bench BENCH_QUICK=1"
else
	TICK_MS=3000; TICK_REPS=3; IRQ_MS=300; IRQ_REPS=5
	ACC_REPS=21; ACC_ITERS=50000; CG_N1=1000; CG_N2=21000
	mode="full"
	cmd="make bench"
fi

mkdir -p "$out"
t_start=$(date +%s)
log() { echo "bench: $*" >&2; }

# ------------------------------------------------------------ KVM workloads
# Real guests on splitvm, split and kernel irqchip, in one run: this host's
# /dev/kvm where it works, else a nested KVM under QEMU TCG
# (scripts/bench-kvm.sh writes kvm_*.csv and kvm_env.txt).
run_kvm() {
	log "KVM workloads 1-4, 6 on real guests (scripts/bench-kvm.sh)"
	local t0=$(date +%s)
	if scripts/bench-kvm.sh --out "$out" $([ "$quick" = 1 ] && echo --quick); then
		have_kvm=1
	else
		have_kvm=0
	fi
	kvm_secs=$(( $(date +%s) - t0 ))
}


# ---------------------------------------------------------------- host info
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "uname: $(uname -a)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
	echo "nproc: $(nproc)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "compiler: $(${CC:-cc} --version | head -1)"
	echo "valgrind: $(valgrind --version 2>/dev/null || echo absent)"
	echo "/dev/kvm: $([ -e /dev/kvm ] && echo present || echo absent)"
} > "$out/host.txt"

# ------------------------------------------------ 1. access cost (library)
log "1/6 access cost: wall clock"
"$bin/bench_access" time "$ACC_REPS" "$ACC_ITERS" > "$out/access_time.csv"

log "1/6 access cost: callgrind"
# callgrind.KIND.N.out for N = CG_N1 and CG_N2 (the difference cancels
# one-time costs); callgrind.KIND.CG_N2.annotate.txt: where the
# instructions go (self cost per function)
have_cg=0
rm -f "$out"/callgrind.*
if command -v valgrind >/dev/null; then
	have_cg=1
	while read -r kind _; do
		for n in "$CG_N1" "$CG_N2"; do
			f="$out/callgrind.$kind.$n.out"
			valgrind --tool=callgrind --toggle-collect=bench_access_once \
				--callgrind-out-file="$f" "$bin/bench_access" callgrind "$kind" "$n" \
				> /dev/null 2> "$out/callgrind.$kind.$n.log"
		done
		if command -v callgrind_annotate >/dev/null; then
			callgrind_annotate --inclusive=no "$f" > "$out/callgrind.$kind.$CG_N2.annotate.txt" 2>/dev/null
		fi
	done < <("$bin/bench_access" kinds)
fi
# -> access_instr.csv, access_profile.csv and access.csv (per access and
# per exit, ratio to the floor, share of an exit)
"$report" access "$out" --n1 "$CG_N1" --n2 "$CG_N2" --exit-us "$EXIT_US" --ipns "$IPNS" \
	$([ "$have_cg" = 1 ] && echo --callgrind)

run_kvm

# ------------------------------------------- 2+3. ticks and timer latency
log "2/6 tick accuracy + 3/6 timer latency (${TICK_MS} ms x $TICK_REPS reps x 12 runs)"
"$bin/bench_ticks" --duration-ms "$TICK_MS" --reps "$TICK_REPS" \
	--raw "$out/ticks_raw.csv" --ticks "$out/ticks.csv" --latency "$out/latency.csv"

# ----------------------------------------- 4+5. level round trips, EOI path
log "4/6 level round trips + 5/6 EOI scalability (${IRQ_MS} ms x $IRQ_REPS reps)"
"$bin/bench_irq" --duration-ms "$IRQ_MS" --reps "$IRQ_REPS" \
	--roundtrip "$out/roundtrip.csv" --eoi "$out/eoi.csv"
"$bin/bench_irq_locks" --locks "$out/locks.csv"

# ---------------------------------------------------------------- 6. memory
log "6/6 memory"
"$bin/bench_mem" > "$out/mem.csv"
# ------------------------------------------------------------------ plots
# ticks_lost_pivot.csv (policy x load), latency_delay.dat (delay policy)
"$report" plotdata "$out"

plots=0
if command -v gnuplot >/dev/null; then
	plots=1
	gnuplot <<EOF
set datafile separator ','
set terminal pngcairo size 900,520 font 'sans,10'
set key top left
set grid ytics

set output '$out/access.png'
set title 'Library CPU cost per guest access (callgrind instructions, fake clock)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'instructions'
set yrange [0:*]
plot '$out/access.csv' every ::1 using 3:xtic(1) title 'per access sequence', \
     '' every ::1 using 4 title 'per exit'

set output '$out/ticks_lost.png'
set title 'Ticks lost (PIT+RTC+HPET, median of runs) per lost-tick policy'
set ylabel 'ticks the guest never sees'
plot '$out/ticks_lost_pivot.csv' every ::1 using 2:xtic(1) title 'idle', '' every ::1 using 3 title 'CPU hog', \
     '' every ::1 using 4 title '50 ms stall'

set output '$out/latency.png'
set title 'Timer deadline -> board MSI callback (delay policy), microseconds'
set ylabel 'us (log scale)'
set logscale y
set yrange [1:*]
set xtics rotate by -30
plot '$out/latency_delay.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p99', \
     '' using 4 title 'max'
unset logscale y
set xtics norotate
set yrange [0:*]

set style data linespoints
set logscale x 2
set xlabel 'threads (2 CPUs: > 2 is oversubscribed)'

set output '$out/eoi.png'
set title 'sc\_board\_eoi() throughput: board (per-IOAPIC locks, lock-free filter) vs one global mutex'
set ylabel 'EOIs per second (log scale)'
set logscale y
set yrange [*:*]
plot '$out/eoi.csv' using 2:(strcol(1) eq 'fast' ? \$3 : 1/0) title 'no level pin, board' lw 2, \
     '' using 2:(strcol(1) eq 'fast' ? \$4 : 1/0) title 'no level pin, global mutex' dt 2, \
     '' using 2:(strcol(1) eq 'level1' ? \$3 : 1/0) title 'level, 1 IOAPIC, board' lw 2, \
     '' using 2:(strcol(1) eq 'level1' ? \$4 : 1/0) title 'level, 1 IOAPIC, global mutex' dt 2, \
     '' using 2:(strcol(1) eq 'level8' ? \$3 : 1/0) title 'level, 8 IOAPICs, board' lw 2, \
     '' using 2:(strcol(1) eq 'level8' ? \$4 : 1/0) title 'level, 8 IOAPICs, global mutex' dt 2

set output '$out/roundtrip.png'
set title 'Interrupt round trips (raise -> MSI -> lower -> EOI), library level'
set ylabel 'round trips per second'
unset logscale y
set yrange [0:*]
plot '$out/roundtrip.csv' using 1:2 title 'level-triggered' lw 2, \
     '' using 1:3 title 'edge-triggered' lw 2
EOF
fi

# ------------------------------------------------------------------ report
elapsed=$(( $(date +%s) - t_start ))
rep="$out/BENCHMARKS.md"
"$report" report "$out" --output "$rep" --cmd "$cmd" --mode "$mode" \
	--elapsed "$elapsed" --kvm-secs "${kvm_secs:-}" --imgdir bench \
	--nproc "$(nproc)" --load-end "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--exit-us "$EXIT_US" --ipns "$IPNS" --cg-n1 "$CG_N1" --cg-n2 "$CG_N2" \
	--acc-reps "$ACC_REPS" --acc-iters "$ACC_ITERS" --tick-ms "$TICK_MS" \
	--tick-reps "$TICK_REPS" --irq-ms "$IRQ_MS" --irq-reps "$IRQ_REPS"

if [ "$quick" = 0 ]; then
	mkdir -p docs/bench
	if [ "$plots" = 1 ]; then
		cp "$out"/access.png "$out"/ticks_lost.png "$out"/latency.png \
		   "$out"/eoi.png "$out"/roundtrip.png docs/bench/
	fi
	cp "$rep" docs/BENCHMARKS.md
	log "wrote docs/BENCHMARKS.md and docs/bench/*.png"
fi
log "done in ${elapsed} s: $out/*.csv, $out/*.png, $rep"
