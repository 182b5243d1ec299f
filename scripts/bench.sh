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
set -euo pipefail

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
KEXIT_US=1.5     # exit handled in the kernel (in-kernel irqchip) on this hypervisor
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
echo "kind,exits,instr_per_access" > "$out/access_instr.csv"
have_cg=0
if command -v valgrind >/dev/null; then
	have_cg=1
	while read -r kind exits; do
		ir=()
		for n in "$CG_N1" "$CG_N2"; do
			f="$out/callgrind.$kind.$n.out"
			valgrind --tool=callgrind --toggle-collect=bench_access_once \
				--callgrind-out-file="$f" "$bin/bench_access" callgrind "$kind" "$n" \
				> /dev/null 2> "$out/callgrind.$kind.$n.log"
			ir+=("$(awk '/^totals:/ {print $2}' "$f")")
		done
		awk -v k="$kind" -v e="$exits" -v a="${ir[0]}" -v b="${ir[1]}" \
		    -v n1="$CG_N1" -v n2="$CG_N2" \
		    'BEGIN { printf "%s,%s,%.1f\n", k, e, (b - a) / (n2 - n1) }' >> "$out/access_instr.csv"
	done < <("$bin/bench_access" kinds)
fi

# Where the instructions go: top functions (self cost) per access sequence.
echo "kind,function,instr_per_access" > "$out/access_profile.csv"
if [ "$have_cg" = 1 ] && command -v callgrind_annotate >/dev/null; then
	for f in "$out"/callgrind.*."$CG_N2".out; do
		kind=$(basename "$f" | cut -d. -f2)
		callgrind_annotate --inclusive=no "$f" 2>/dev/null |
		awk -v k="$kind" -v n="$CG_N2" '
			/file:function/ { on = 1; next }
			on && cnt > 0 && !/^ *[0-9,]+ \(/ { on = 0 }
			on && /^ *[0-9,]+ \(/ && cnt < 6 {
				ir = $1; gsub(",", "", ir)
				line = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", line)
				split(line, w, " "); fn = w[1]
				sub(/^.*:/, "", fn); sub(/@.*/, "", fn)
				printf "%s,%s,%.1f\n", k, fn, ir / n; cnt++
			}' >> "$out/access_profile.csv"
	done
fi

# Join: per access and per exit, ratio to the floor, share of an exit.
awk -F, -v exit_us="$EXIT_US" -v ipns="$IPNS" -v have_cg="$have_cg" '
	FNR == 1 { next }
	FILENAME ~ /access_instr/ { ins[$1] = $3; next }
	{ kind[++n] = $1; ex[$1] = $2; ns[$1] = $3 }
	END {
		print "kind,exits,instr_per_access,instr_per_exit,instr_ratio_to_noop," \
		      "ns_per_access_median,ns_ratio_to_noop,ns_per_exit," \
		      "pct_of_exit_measured_ns,pct_of_exit_nominal_instr,instr_per_ns_measured"
		for (i = 1; i <= n; i++) {
			k = kind[i]
			ir = have_cg ? ins[k] : 0
			printf "%s,%d,%.0f,%.0f,%.1f,%.1f,%.1f,%.1f,%.2f,%.2f,%.1f\n", k, ex[k], ir, ir / ex[k],
			       ((have_cg && ins["noop"] > 0) ? ir / ins["noop"] : 0),
			       ns[k], (ns["noop"] > 0 ? ns[k] / ns["noop"] : 0), ns[k] / ex[k],
			       100 * (ns[k] / ex[k]) / (exit_us * 1000),
			       100 * (ir / ex[k] / ipns) / (exit_us * 1000),
			       (ns[k] > 0 ? ir / ns[k] : 0)
		}
	}' "$out/access_instr.csv" "$out/access_time.csv" > "$out/access.csv"

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
pivot_lost() {   # policy x load, ticks lost (median) summed over the sources
	awk -F, 'NR > 1 { v[$1 "," $2] += $7; p[$1] = 1; order[++n] = $1 }
		END {
			print "policy,idle,hog,stall"
			split("discard delay catchup merge", pl, " ")
			for (i = 1; i <= 4; i++)
				printf "%s,%d,%d,%d\n", pl[i], v[pl[i] ",idle"], v[pl[i] ",hog"], v[pl[i] ",stall"]
		}' "$out/ticks.csv"
}
pivot_lost > "$out/ticks_lost_pivot.csv"
awk -F, 'NR > 1 && $1 == "delay" { printf "%s/%s,%s,%s,%s\n", $3, $2, $6, $7, $8 }' \
	"$out/latency.csv" > "$out/latency_delay.dat"

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
md_table() {    # CSV -> markdown table (optionally only columns $2, e.g. "1,2,5")
	awk -F, -v cols="${2:-}" '
		BEGIN { nc = split(cols, c, ",") }
		{
			line = "|"
			if (nc) for (i = 1; i <= nc; i++) line = line " " $(c[i]) " |"
			else for (i = 1; i <= NF; i++) line = line " " $i " |"
			print line
			if (NR == 1) {
				sep = "|"; m = nc ? nc : NF
				for (i = 1; i <= m; i++) sep = sep "---|"
				print sep
			}
		}' "$1"
}
val() {   # val FILE KEYCOL KEY COL [KEYCOL2 KEY2 [KEYCOL3 KEY3]]
	awk -F, -v kc="$2" -v k="$3" -v c="$4" -v kc2="${5:-0}" -v k2="${6:-}" \
	    -v kc3="${7:-0}" -v k3="${8:-}" \
	    'NR > 1 && $kc == k && (kc2 == 0 || $kc2 == k2) && (kc3 == 0 || $kc3 == k3) { print $c; exit }' "$1"
}

elapsed=$(( $(date +%s) - t_start ))
rep="$out/BENCHMARKS.md"
imgdir=bench
acc_pit_ns=$(val "$out/access.csv" 1 pit 6)
acc_pit_pct=$(val "$out/access.csv" 1 pit 9)
maxpct=$(awk -F, 'NR > 1 && ($9 > m) { m = $9 } END { printf "%.2f", m }' "$out/access.csv")
maxpct_i=$(awk -F, 'NR > 1 && ($10 > m) { m = $10 } END { printf "%.2f", m }' "$out/access.csv")
lost_dc=$(awk -F, 'NR > 1 && ($1 == "delay" || $1 == "catchup") { s += $8 } END { print s + 0 }' "$out/ticks.csv")
extra_all=$(awk -F, 'NR > 1 { s += $9 } END { print s + 0 }' "$out/ticks.csv")
lost_discard_stall=$(awk -F, 'NR > 1 && $1 == "discard" && $2 == "stall" { s += $7 } END { print s + 0 }' "$out/ticks.csv")
lost_merge_stall=$(awk -F, 'NR > 1 && $1 == "merge" && $2 == "stall" { s += $7 } END { print s + 0 }' "$out/ticks.csv")
fast1=$(val "$out/eoi.csv" 1 fast 3 2 1)
fastg64=$(val "$out/eoi.csv" 1 fast 5 2 64)
l1r64=$(val "$out/eoi.csv" 1 level1 5 2 64)
l8r64=$(val "$out/eoi.csv" 1 level8 5 2 64)
edge_eoi_locks=$(val "$out/locks.csv" 1 roundtrip_edge 4)
level_eoi_locks=$(val "$out/locks.csv" 1 roundtrip_level 4)
fast_eoi_locks=$(val "$out/locks.csv" 1 eoi_fast 4)
over_goal=$(awk -F, 'NR > 1 && $10 > 2 { printf "%s%s (%.2f %%)", n++ ? ", " : "", $1, $10 } END { if (!n) printf "none" }' "$out/access.csv")
acc_pit_pct_i=$(val "$out/access.csv" 1 pit 10)
lib_p50=$(val "$out/latency.csv" 1 delay 9 2 idle 3 pit)
lat_p50=$(val "$out/latency.csv" 1 delay 6 2 idle 3 pit)
lat_p99=$(val "$out/latency.csv" 1 delay 7 2 idle 3 pit)
lat_hog_p99=$(val "$out/latency.csv" 1 delay 7 2 hog 3 pit)
eoi_ins=$(val "$out/access.csv" 1 eoi 3)
eoi_ns=$(val "$out/access.csv" 1 eoi 6)
eoi_pct_i=$(val "$out/access.csv" 1 eoi 10)
board_kib=$(awk -F, '$1 == "per_vm_total" { printf "%.1f", $2 / 1024 }' "$out/mem.csv")
kvm_env=$(head -n 1 "$out/kvm_env.txt" 2>/dev/null || echo "KVM: none")
kvm_runs=$(sed -n 's/^runs: //p' "$out/kvm_env.txt" 2>/dev/null)
kx() { val "$out/kvm_exits.csv" 1 "$1" "$2"; }          # kx ACCESS COL
# exit costs on this host's own /dev/kvm when it fails kvm-probe (the
# nested KVM then runs everything else): scripts/bench-kvm.sh
host_exits_md="" host_slower_md=""
hx() { val "$out/kvm_host_exits.csv" 1 "$1" "$2"; }     # hx ACCESS COL
hl() { val "$out/kvm_host_level.csv" 1 "$1" "$2"; }     # hl VCPUS COL
# a level ratio means nothing when one of its runs did not pass:
# level_note VCPUS [MODES-REGEX] -> " (not passed: ...)" or nothing
level_note() {
	local bad
	bad=$(sed -n 's/^runs: .*not passed: //p' "$out/kvm_env.txt" 2>/dev/null |
		grep -oE "level-$1-(${2:-split|kernel|qemu})" | tr '\n' ' ')
	[ -z "$bad" ] || echo " (not passed: ${bad% }, so not a result)"
}
if [ -s "$out/kvm_host_exits.csv" ]; then
	host_slower_md="
  On this host's own KVM, where exits are not emulated (section 1b): PIC
  **$(hx pic 5)x**, PIT **$(hx pit 5)x**, IOAPIC **$(hx ioapic 5)x**; RTC $(hx rtc 5)x,
  HPET $(hx hpet 5)x. The gap is wider there because an in-kernel access costs
  a fifth of a userspace exit or less (kernel per noop: pic $(hx pic 8),
  pit $(hx pit 8) for 3 accesses), while nesting makes every exit costly.
  Level round trips there, split / kernel: 1 vCPU $(hl 1 6)x, 8 vCPUs
  $(hl 8 6)x, 64 vCPUs $(hl 64 6)x; split / QEMU split: $(hl 1 7)x, $(hl 8 7)x, $(hl 64 7)x."
	host_exits_md="**1b. The same exit costs on this host's own /dev/kvm**, a real KVM
rather than an emulated one: $(sed -n 's/^Exit costs also on this host.s \/dev\/kvm (\(.*\)): .*/\1/p' "$out/kvm_env.txt").
Its local APIC fails guests/kvm-probe.c, so it times no interrupt
(docs/CONFORMANCE.md), but an access takes none: bench guest
\`run=exits\`, $(sed -n 's/^exits-\([0-9]*\)-.*/\1/p' "$out/kvm_host_runs.txt" 2>/dev/null | sort -u | wc -l) repetitions per mode, same columns:

$(md_table "$out/kvm_host_exits.csv")

Level-triggered round trips on the same host KVM, a diagnostic of the
userspace paths (not of interrupt timing): this host EOIs each interrupt at
delivery, so its \`KVM_EXIT_IOAPIC_EOI\` comes before the handler runs,
but a round trip is still 2 port exits and 1 EOI exit in split mode. Same
workload as section 4, 8 level lines, the other vCPUs idle in HLT:

$(md_table "$out/kvm_host_level.csv")
"
fi
kl() { val "$out/kvm_latency.csv" 1 "$1" "$2"; }        # kl TIMER COL
kv() { val "$out/kvm_level.csv" 1 "$1" "$2"; }          # kv VCPUS COL
# delay/catchup runs that lost or doubled a tick (the strict ticks guest
# failed), per mode: kt_bad MODE [SOURCES-REGEX]
kt_bad() {
	awk -F, -v m="$1" -v src="${2:-.}" 'NR > 1 && $4 == m && ($2 == "delay" || $2 == "catchup") &&
		$1 ~ src && $10 !~ /^n\/a/ {
		if ($10 == "NORUN") { norun++; next }
		n++; if ($10 != "PASS") bad++ }
		END { printf "%d of %d", bad + 0, n + 0; if (norun) printf " (%d not run)", norun }' "$out/kvm_ticks.csv" 2>/dev/null
}

{
cat <<EOF
# splitchip benchmarks

Generated by \`$cmd\` (scripts/bench.sh, $mode run, ${elapsed} s). Do not
edit by hand: the next run rewrites this file. CSV files and plots are in
\`build/bench/\` after a run; the plots are copied to \`docs/bench/\`.

## Read this first

- **KVM figures come from real guests**: $kvm_env. ${kvm_runs:+Runs: $kvm_runs.}
  Split and kernel irqchip are measured side by side in the same run. In a
  nested KVM every VM exit is emulated, so **absolute times are meaningless
  there; the ratios between the two modes are the result**.
- **QEMU split runs on the same KVM**: \`qemu-system-x86_64 -accel kvm -M
  pc,kernel-irqchip=split -global kvm-apic.vapic=false\` (QEMU 7.2 from
  Debian, carried into the nested VM), same guests, same run. vapic is off
  because QEMU's TPR patching would take TPR accesses, which stay in KVM's
  LAPIC otherwise, out to QEMU (a TPR read cost 8x more with it on). QEMU
  reports no exit counts and its chips have no lost-tick policy to choose.
- **Library-level figures are measured for real**: the library's CPU cost per
  guest access (instructions under callgrind, and wall-clock time), tick
  accuracy and timer latency with the real host clock and a simulated
  vCPU/guest, interrupt round trips and EOI-path scalability with threads
  standing in for vCPU threads, and the library's state size.
- **A noisy, shared 2-CPU machine.** Other work runs beside the benchmarks
  (load average $(sed -n 's/^load average at start: //p' "$out/host.txt") at the start of
  the run, $(cut -d' ' -f1-3 /proc/loadavg) at its end). Figures are medians of repeated runs; comparisons are ratios of
  runs made back to back. Ratios and instruction counts are the figures to
  rely on.

## Host

\`\`\`
$(cat "$out/host.txt")
\`\`\`

## KVM: real guests, split vs in-kernel irqchip vs QEMU split (one run)

$kvm_env. Guests: \`guests/bench.c\` (workloads 1, 3, 4) and
\`guests/ticks.c\` (workload 2), run by \`scripts/bench-kvm.sh\` (${kvm_secs:-?} s).
Every time is the guest's TSC, calibrated against the ACPI PM timer.

**1. Exit costs** (median over batches of 16, median of the repetitions;
\`noop\` = IN from port 0x2e0, a bare userspace exit in both modes; \`pic\`
= IN 0x21; \`pit\` = counter latch + 2 reads (3 exits); \`rtc\` = index +
data (2); \`hpet\` = main counter read (1); \`ioapic\` = IOREGSEL write +
IOWIN read (2); \`lapic\` = TPR read, in the kernel in both modes):

$(md_table "$out/kvm_exits.csv")

$host_exits_md
Edge-triggered IOAPIC interrupts (pc-testdev line pulsed, edge entry):
\`KVM_EXIT_IOAPIC_EOI\` per run, must be 0 in both modes:

$(md_table "$out/kvm_edge.csv")

**3. Timer latency**: deadline -> first instruction of the guest's handler,
the guest idle in HLT, 2 ms deadlines; HPET timer 0 one-shot through IOAPIC
pin 20, 8254 mode 0 through pin 2, LAPIC timer (in the kernel in both
modes: the reference). In kernel mode the PIT is KVM's; the HPET is
splitvm's in both modes (its interrupt goes through KVM's IOAPIC in kernel
mode):

$(md_table "$out/kvm_latency.csv")

**4. Level-triggered round trips** (raise through pc-testdev -> handler ->
lower + EOI), one level line per vCPU on up to 8 vCPUs, each waiting for
its interrupt in HLT; with 64 vCPUs the other 56 idle in HLT (a big guest
with 8 busy vCPUs). \`EOI exits per level irq\`
= \`KVM_EXIT_IOAPIC_EOI\` / round trips (raise and lower are 2 more
userspace exits in both modes):

$(md_table "$out/kvm_level.csv")

**2. Tick accuracy**: one source at a time (PIT 1 kHz, RTC 1024 Hz, HPET
timer 0 1 kHz) for a fixed interval of the guest's PM-timer time, the guest
idle in HLT; \`hog\` = a busy loop on every CPU of the host (in the nested
setup: of the machine running QEMU, outside the nested VM, so it starves the
emulated CPUs that run splitvm and the guest). \`guest ticks\` are counted
from the source's start to the window's end; \`drift\` = (guest ticks -
expected) / expected, so a tick still owed at the window's end shows as
negative drift.  The source then runs on for a drain, a fifth of the
window idle and a whole window under the hog (the starved guest's backlog): delay and catchup run **strict** (guests/ticks.c): PASS means that at
some wake-up in the drain every tick due had arrived and at no wake-up more
than were due (+-1 % + 2), i.e. no tick lost or doubled. \`rtc512\` is the
RTC at 512 Hz under the hog: starved, the nested guest takes at most about
950 RTC interrupts a second (each costs 4 emulated exits), so at 1024 Hz
every policy falls behind whatever the VMM does. In kernel mode the PIT is
KVM's: policy \`delay\` = \`KVM_REINJECT_CONTROL\` on, \`discard\` = off; KVM
has no catchup or merge (n/a). RTC and HPET are splitvm's in both modes.
delay/catchup runs that lost or doubled a tick: split **$(kt_bad split)**
(PIT and HPET **$(kt_bad split 'pit|hpet')**), kernel **$(kt_bad kernel)**.

$(md_table "$out/kvm_ticks.csv")

**6. splitvm memory** (\`ru_maxrss\` at exit of the level runs; includes
the guest RAM the guest touched, 64 MiB configured):

$(md_table "$out/kvm_rss.csv")

## 1. Exit costs and the library's CPU cost per access

KVM-level exit costs: see the KVM section above. Library side, measured: the device work an exit carries. \`instr_*\` are
instructions counted by \`valgrind --tool=callgrind
--toggle-collect=bench_access_once\` (only the access itself; the
difference of a run of $CG_N2 and a run of $CG_N1 accesses, so one-time
costs cancel; fake clock, repeatable to the instruction). \`ns_*\` are
wall-clock medians of $ACC_REPS runs of $ACC_ITERS sequences on the real host
clock (CLOCK_MONOTONIC reads included). Sequences: \`noop\` = IN from port
0x80, which no chip claims (\`sc_board_pio_read()\` returns false: the
dispatcher's floor); \`pit\` = OUT 0x43 counter latch + 2 x IN 0x40
(3 exits); \`rtc\` = OUT 0x70 + IN 0x71 (2 exits); \`hpet\` = 8-byte read of the
main counter at 0xfed000f0 (1 exit); \`ioapic\` = IOREGSEL write + IOWIN read
(2 exits); \`eoi\` = \`sc_board_eoi()\` of a level vector whose remote IRR
is set, the work behind a \`KVM_EXIT_IOAPIC_EOI\` (1 exit; the device keeps
its line asserted, so it includes one redelivered MSI; wall-clock figures
include re-raising the line every 1000 EOIs).

$(md_table "$out/access.csv")

![access cost]($imgdir/access.png)

Where the instructions go (callgrind, self cost of the top functions per
access sequence, run of $CG_N2 sequences):

$(md_table "$out/access_profile.csv")

Share of the exit it rides on (goal <= 2 %): \`pct_of_exit_measured_ns\` =
measured ns per exit / ${EXIT_US} us; \`pct_of_exit_nominal_instr\` =
instructions per exit at a nominal ${IPNS} instructions/ns / ${EXIT_US} us.
**Assumptions, stated plainly:** a userspace exit on this machine's
hypervisor costs about ${EXIT_US} us (KVM_RUN return to userspace and back, the
figure documented for this host); the host executes about ${IPNS}
instructions per ns (1 instruction per cycle at 2 GHz) for this kind of
code (conservative: \`instr_per_ns_measured\`, callgrind instructions over
the measured median time, shows what this host actually sustained on each
sequence). Largest share measured: **${maxpct} %** (wall clock, noisy: other
work shares the CPUs), **${maxpct_i} %** (instructions at the nominal rate,
repeatable). Over the 2 % goal by instruction count: **${over_goal}**.

## 2. Tick accuracy under overload (library level)

KVM level: see the KVM section above. Library level, measured: one simulated VM per run: a real \`sc_host_clock\`
(CLOCK_MONOTONIC), a vCPU thread that sleeps with \`clock_nanosleep()\` until
the next deadline and runs \`sc_host_clock_run_due()\` (timer slack 1 ns), the
board in split mode with \`eoi_ack\`, and a simulated guest that programs
the PIT at 1 kHz (mode 2, count 1193), the RTC at 1024 Hz (PIE) and HPET
timer 0 periodic at 1 kHz through IOAPIC pins 2, 8 and 20, takes each
vector 20 us after it became pending in a model of the LAPIC IRR (a second
message for a pending vector merges with it), reads RTC register C in the
RTC handler and EOIs through \`sc_board_eoi()\`. Loads: \`idle\`; \`hog\`
($(( $(nproc) + 1 )) CPU-spinning threads competing with the vCPU thread);
\`stall\` (the vCPU thread sleeps 50 ms at one third of the run without
servicing anything). ${TICK_MS} ms per run, $TICK_REPS runs per row.

Columns: \`expected\` = virtual elapsed / period at the end (exact chip
rates; last run), \`received\` = guest handler entries (last run), \`lost\` =
expected - received - still owed (ticks the guest will never see; median
and max over runs), \`extra\` = ticks received beyond expected (doubled),
\`drift_pct\` = (received - expected) / expected at the end (median; a tick
still owed counts as drift, not as lost), \`lapic_merged\` = messages that
merged in the IRR model, then the tick engine's own counters (medians).

$(md_table "$out/ticks.csv")

![ticks lost]($imgdir/ticks_lost.png)

Ticks lost with \`delay\` and \`catchup\` (sum of the max over runs, every
source and load): **${lost_dc}** (goal: 0). Doubled ticks in all runs:
**${extra_all}**. The 50 ms stall shows the policies' difference: \`discard\`
loses ${lost_discard_stall} ticks (median sum over the three sources),
\`merge\` coalesces ${lost_merge_stall}, \`delay\` and \`catchup\` deliver every
one late (the backlog drains one per EOI, \`catchup\` no faster than 4x the
rate).

## 3. Timer latency: deadline -> MSI callback (library level)

KVM-level (deadline -> guest handler entry): see the KVM section above.
Library level, measured in the runs of section 2: for every MSI the board
sent from a timer callback, host time of the \`ops.msi\` callback on the
servicing thread minus the host time of the timer's deadline (owed ticks
released later by an EOI are not samples). p50 and p99 are medians over
runs, max is the maximum. Under \`stall\` the max is the stall itself.
\`lib_p50_us\`/\`lib_p99_us\`: the library's part, from the host clock's
dispatch of the timer callback (the board's guard taking the chipset lock)
to the MSI callback after unlock; the rest of the latency is the host
waking the servicing thread from \`clock_nanosleep()\`, which the library
does not control.

$(md_table "$out/latency.csv")

![latency]($imgdir/latency.png)

## 4. Level-triggered round trips (library level)

KVM-level (1, 2, 8, 64 vCPUs, userspace exits per interrupt): see the KVM section above.
Library level, measured: N threads, thread i owns GSI 24 + i on one 120-pin
IOAPIC; a round trip is \`sc_board_set_gsi(high)\` -> the MSI callback on
that thread -> \`sc_board_set_gsi(low)\` (the handler acks the device) ->
\`sc_board_eoi()\`. Every MSI was checked (\`missed_msi\` must be 0).
Level and edge runs of one thread count are made back to back in every
repetition; \`level_over_edge\` is the median of their per-repetition
ratios (what the level EOI's remote-IRR work costs), \`level_scaling\` the
level throughput relative to 1 thread. \`cpus_used\` = CPU-seconds the level
threads got per wall second (the machine is shared);
\`*_per_cpu_s\` normalises for it. Throughput counts only operations that
completed between the start barrier and the last thread's exit.
${IRQ_MS} ms x $IRQ_REPS runs. **2 CPUs: 8 and 64 threads are oversubscribed**;
every raise and lower goes through the chipset lock (the router's line
state), so a thread preempted while holding it stalls the others.

$(md_table "$out/roundtrip.csv")

![round trips]($imgdir/roundtrip.png)

Lock acquisitions of the library per phase (single thread, counted by
wrapping \`pthread_mutex_lock\` at link time, \`bench_irq_locks\`): an edge
round trip's EOI takes **${edge_eoi_locks}** locks, a level one's
**${level_eoi_locks}** (its IOAPIC's lock, never a global one); an EOI of a
vector with no level pin takes **${fast_eoi_locks}**. Raising and lowering a
line takes the chipset lock and the IOAPIC's lock (2). \`gsi_eoi\` = level
resample notifications per round trip.

$(md_table "$out/locks.csv")

## 5. EOI scalability without KVM

N threads calling \`sc_board_eoi()\` in a loop; \`board\` is the library's
path, \`global\` the same calls each wrapped in one process-wide mutex (a
VMM with one irqchip lock). \`fast\`: vectors with no level pin (the
lock-free filter: no lock, no shared write). \`level1\` / \`level8\`: one
level vector per thread on distinct pins of 1 IOAPIC / spread over 8
IOAPICs; each EOI clears a remote IRR under that IOAPIC's lock and the
still-asserted line is redelivered (\`msi_per_eoi\` = 1). Both variants of a
point run back to back in every repetition; \`board_over_global\` is the
median of the per-repetition ratios. **This machine has 2 CPUs: beyond 2
threads the threads are oversubscribed** (time-sliced), so throughput cannot
scale past 2 threads; what the table shows beyond 2 is how each variant
degrades under oversubscription and contention. Other processes share the
machine: a run with more threads wins a larger share of it, which can lift
wall-clock throughput past the 1-thread figure even without any real
scaling; \`cpus_used\` shows the share a run got and \`*_per_cpu_s\` (EOIs
per CPU-second the threads consumed) is the load-independent figure.

$(md_table "$out/eoi.csv")

![EOI scalability]($imgdir/eoi.png)

Lock-free path, 1 thread: ${fast1} EOIs/s; board over global at 64 threads:
fast **${fastg64}x**, level on 1 IOAPIC **${l1r64}x**, level on 8 IOAPICs **${l8r64}x**.

How to read it: the EOIs that matter for scalability are the ones of
vectors without a level pin (MSI devices, IPIs, edge timers without
\`eoi_ack\`): the board's path takes no lock and writes no shared memory,
so it stays ahead of a global mutex at every thread count (the
\`board_over_global\` column for \`fast\`). A level EOI must take a lock
in both variants; with all pins on one IOAPIC the board's lock is that
IOAPIC's, so \`level1\` is expected to be on par with the global mutex.
Spreading pins over 8 IOAPICs (\`level8\`) gives 8 independent locks, a
gain that needs more than 2 CPUs to show: on this 2-CPU machine the
\`level1\`/\`level8\` ratios are within the run-to-run noise, and the
absolute level figures include one redelivered MSI per EOI.

## 6. Memory

Library state per VM (\`sizeof\`, bytes; the library allocates nothing and
its state does not grow with the vCPU count): **${board_kib} KiB** per VM
(board + host clock).

$(md_table "$out/mem.csv")

splitvm's RSS with 1 to 64 vCPUs: see the KVM section above.

## Where split mode is slower than in-kernel

Measured on real guests (the KVM section above; ratios split / kernel from
the same run, $kvm_env):

- **Chip register accesses that KVM emulates in the kernel** (PIC, PIT,
  IOAPIC) become userspace exits: PIC IMR read **$(kx pic 5)x**, PIT latch +
  2 reads **$(kx pit 5)x**, IOAPIC select + read **$(kx ioapic 5)x** the
  in-kernel time. In split mode each costs about what a bare userspace exit
  costs (per noop: pic $(kx pic 7), pit $(kx pit 7) for 3 exits, ioapic $(kx ioapic 7) for 2):
  the device model adds little to the exit. RTC and HPET accesses are
  userspace exits in both modes: rtc $(kx rtc 5)x, hpet $(kx hpet 5)x (no
  difference beyond noise).${host_slower_md}
- **Timer interrupt latency** (p50, deadline -> guest handler): HPET
  **$(kl hpet 11)x**, PIT **$(kl pit 11)x**; the LAPIC timer, in the kernel
  in both modes, $(kl lapic 11)x (the noise floor of this comparison). In split
  mode a timer is a host timer on the vCPU thread that kicks it out of
  KVM_RUN and injects an MSI from userspace; in kernel mode the PIT is an
  in-kernel hrtimer.
- **Level-triggered interrupts**: round trips per second split / kernel:
  1 vCPU **$(kv 1 6)x**$(level_note 1 'split|kernel'), 2 vCPUs $(kv 2 6)x$(level_note 2 'split|kernel'), 8 vCPUs $(kv 8 6)x$(level_note 8 'split|kernel'), 64 vCPUs $(kv 64 6)x$(level_note 64 'split|kernel'). Split
  mode adds exactly one userspace exit per level interrupt (the
  \`KVM_EXIT_IOAPIC_EOI\`: $(kv 1 8) per interrupt measured, kernel $(kv 1 9)).
  Edge-triggered IOAPIC interrupts cause no EOI exit in either mode (table
  above).
- **Timer ticks**: each tick of a timer with \`eoi_ack\` (what makes
  \`delay\`/\`catchup\` exact) costs one userspace EOI exit in split mode on top
  of the injection. delay/catchup runs that lost or doubled a tick (strict
  ticks guest): split $(kt_bad split), of them PIT and HPET $(kt_bad split 'pit|hpet');
  kernel mode $(kt_bad kernel) (section 2 says which, and why the RTC at
  1024 Hz under the hog cannot keep up in the nested setup).
- **Against QEMU split on the same KVM** (splitvm split / QEMU split): access
  times (below 1: splitvm faster) bare exit $(kx noop 6)x, PIC $(kx pic 6)x,
  PIT $(kx pit 6)x, RTC $(kx rtc 6)x, HPET $(kx hpet 6)x, IOAPIC
  $(kx ioapic 6)x; level round trips per second (above 1: splitvm faster)
  1 vCPU $(kv 1 7)x$(level_note 1 'split|qemu'), 8 vCPUs $(kv 8 7)x$(level_note 8 'split|qemu'), 64 vCPUs $(kv 64 7)x$(level_note 64 'split|qemu'). Both are
  userspace chipsets on KVM's split irqchip, so this is device model against
  device model and VMM loop against VMM loop.
- **Not slower:** the EOI path does not serialise vCPUs (no global lock;
  EOIs of vectors without a level pin take no lock at all), and the
  library's state is about ${board_kib} KiB per VM whatever the vCPU count.

What the library itself costs per exit (section 1): the largest share is
the level EOI, ${eoi_ins} instructions (${eoi_pct_i} % of a ${EXIT_US} us exit at a nominal
${IPNS} instructions/ns); a PIT latch + 2 reads is ${acc_pit_pct_i} % per exit. The
cost of split mode is the exit, not the device model.
EOF
} > "$rep"

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
