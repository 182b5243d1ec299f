#!/usr/bin/env bash
# The KVM workloads of `make bench` (docs/BENCHMARKS.md, workloads 1-4 and 6
# on real guests): splitvm in split and in kernel irqchip mode, and QEMU
# with kernel-irqchip=split on the same KVM, side by side in one run, on the
# bench and ticks guests (guests/bench.c, guests/ticks.c).
#
#   scripts/bench-kvm.sh --out DIR [--build DIR] [--quick] [--nested|--direct]
#
# Where /dev/kvm works the guests run here (--direct); elsewhere inside a
# nested KVM under QEMU TCG (scripts/nested-kvm.sh --runs, --nested), where
# every exit is emulated: absolute times are meaningless there, ratios
# between the modes measured in the same run are the result.
#
# Writes to DIR: kvm_exits.csv, kvm_latency.csv, kvm_level.csv,
# kvm_ticks.csv, kvm_rss.csv, kvm_env.txt and kvm_runs/<id>.log; on a host
# whose /dev/kvm fails kvm-probe (scripts/host-kvm.sh) the nested runs plus
# the exit costs and level round trips on that host: kvm_host_exits.csv,
# kvm_host_level.csv, kvm_host_runs/<id>.log.
# Exit status: 0 done, 2 no KVM could be had (DIR/kvm_env.txt says why), 1
# the tables could not be computed (scripts/bench_report.py kvm).
set -u

OUT=""
BUILD=build
QUICK=0
HOW=auto
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--nested) HOW=nested; shift ;;
	--direct) HOW=direct; shift ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "bench-kvm: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$OUT" ] || { echo "bench-kvm: --out DIR is required" >&2; exit 2; }
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)
log() { echo "bench-kvm: $*" >&2; }

# Direct only on a host KVM whose LAPIC passes guests/kvm-probe.c: on one
# that EOIs at delivery and takes interrupts late (kvm_pvm) the latency and
# level figures would measure that host, not the irqchip.
kvm_usable() { scripts/host-kvm.sh "$BUILD" >/dev/null; }
if [ "$HOW" = auto ]; then
	if kvm_usable; then HOW=direct; else HOW=nested; fi
fi

# ---------------------------------------------------------------- the runs
# QEMU split (-accel kvm -M pc,kernel-irqchip=split) on the same KVM, where
# there is a QEMU: in the nested VM scripts/nested-kvm.sh carries it; run
# ids name it "qemu"
QMODE=""
if [ "$HOW" = nested ] || command -v qemu-system-x86_64 >/dev/null 2>&1; then QMODE=qemu-split; fi
mid() { [ "$1" = qemu-split ] && echo qemu || echo "$1"; }
# id|mode|guest|vcpus|hog|splitvm args|guest command line
RUNS="$OUT/kvm_runs.txt"
MODES="split kernel"
REPS=3
LAT_N=100
LEVEL_MS=1000
TICK_MS=1000
VCPU_SET="1 2 8 64"
POLICIES="delay catchup discard merge"
SOURCES="pit rtc hpet"
HOG_EXTRA="rtc512"
NESTED_TIMEOUT=380       # nested: the idle runs end by then (s after the first boot)
NESTED_HOG_TIMEOUT=620   # and the hog runs by then: make bench stays under 15 min
if [ "$QUICK" = 1 ]; then
	REPS=1 LAT_N=20 LEVEL_MS=300 TICK_MS=500 VCPU_SET="1 2" POLICIES="delay" SOURCES="pit" HOG_EXTRA=""
	NESTED_TIMEOUT=180 NESTED_HOG_TIMEOUT=300
fi
{
	for r in $(seq 1 "$REPS"); do
		for m in $MODES $QMODE; do
			echo "exits-$r-$(mid $m)|$m|bench|1|0||run=exits,edge"
		done
	done
	for m in $MODES $QMODE; do echo "latency-$(mid $m)|$m|bench|1|0||run=latency lat_n=$LAT_N"; done
	# 8 level lines (ISA lines no device drives: QEMU's pc-testdev
	# aborts on lines >= 16), so every mode and vCPU count runs the same
	# work: with more than 8 vCPUs the others idle in HLT
	for n in $VCPU_SET; do
		[ "$n" -gt 8 ] && continue
		for m in $MODES $QMODE; do
			echo "level-$n-$(mid $m)|$m|bench|$n|0||run=level level_ms=$LEVEL_MS level_lines=8"
		done
	done
	# tick accuracy: one source at a time at 1 kHz (the RTC at 1024 Hz),
	# idle and with a busy loop on every host CPU.  In kernel mode the
	# PIT is KVM's: delay = KVM_REINJECT_CONTROL on, any other = off.
	# QEMU split with its own chips' defaults (no lost-tick policy for the
	# 8254 and the HPET; the RTC's lost_tick_policy is discard)
	if [ -n "$QMODE" ]; then
		for hog in 0 1; do
			for s in $SOURCES; do
				echo "ticks-$s-qemu-$hog-qemu|qemu-split|ticks|1|$hog||src=$s ms=$TICK_MS"
			done
		done
	fi
	# delay and catchup run strict (guests/ticks.c: every tick due arrives
	# by the end of a drain after the window, none beyond).  KVM's PIT has
	# only reinjection on/off, so kernel-mode PIT catchup/merge are not run
	# (n/a).  rtc512: the RTC at 512 Hz, under the hog only - the starved
	# nested guest cannot take 1024 RTC interrupts a second at all.
	for hog in 0 1; do
		for s in $SOURCES $([ "$hog" = 1 ] && echo "$HOG_EXTRA"); do
			for p in $POLICIES; do
				for m in $MODES; do
					[ "$m-${s%512}-$p" = kernel-pit-catchup ] && continue
					[ "$m-${s%512}-$p" = kernel-pit-merge ] && continue
					strict=0
					case $p in delay|catchup) strict=1 ;; esac
					rs=6
					[ "$s" = rtc512 ] && rs=7
					dr=$((TICK_MS / 5))
					[ "$hog" = 1 ] && dr=$TICK_MS   # the starved guest's backlog
					echo "ticks-$s-$p-$hog-$m|$m|ticks|1|$hog|--tick-policy ${s%512}=$p|src=${s%512} ms=$TICK_MS strict=$strict rtc_rs=$rs drain_ms=$dr"
				done
			done
		done
	done
	# the big VMs last: in the nested KVM a 64-vCPU guest has once taken
	# the outer VM down, and the runs after it with it
	for n in $VCPU_SET; do
		[ "$n" -gt 8 ] || continue
		for m in $MODES $QMODE; do
			echo "level-$n-$(mid $m)|$m|bench|$n|0||run=level level_ms=$LEVEL_MS level_lines=8"
		done
	done
} >"$RUNS"
nruns=$(wc -l <"$RUNS")

# ---------------------------------------------------------------- run them
LOGS="$OUT/kvm_runs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
ENV="$OUT/kvm_env.txt"
start=$(date +%s)
# Run a runs file on this host's /dev/kvm: run_direct RUNS-FILE LOG-DIR
run_direct() {
	local ncpu id mode g vcpus hog extra app hogs t0 rc logs=$2
	mkdir -p "$logs"
	ncpu=$(nproc)
	while IFS='|' read -r id mode g vcpus hog extra app; do
		hogs=""
		if [ "$hog" = 1 ]; then
			for _ in $(seq 1 "$ncpu"); do
				sh -c 'while :; do :; done' & hogs="$hogs $!"
			done
		fi
		t0=$(date +%s)
		if [ "$mode" = qemu-split ]; then
			# the same QEMU command line as in scripts/nested-kvm.sh
			# shellcheck disable=SC2086
			timeout -s KILL 300 qemu-system-x86_64 -accel kvm -M pc,kernel-irqchip=split \
				-smp "$vcpus" -m 64 -display none -nodefaults -no-reboot -serial stdio \
				-device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev \
				-global hpet.hpet-intcap=0xff0104 -global hpet.msi=on \
				-global kvm-apic.vapic=false $extra -kernel "$BUILD/guests/$g.elf" \
				-append "guest-test mode=$mode $app" </dev/null >"$logs/$id.log" 2>&1
		else
			# shellcheck disable=SC2086
			timeout -s KILL 300 "$BUILD/splitvm" --kernel "$BUILD/guests/$g.elf" \
				--append "guest-test mode=splitvm-$mode $app" --cpus "$vcpus" --mem 64 \
				--irqchip "$mode" --stats $extra </dev/null >"$logs/$id.log" 2>&1
		fi
		rc=$?
		# shellcheck disable=SC2086
		[ -n "$hogs" ] && kill $hogs 2>/dev/null && wait $hogs 2>/dev/null
		echo "@@ END $id rc=$rc secs=$(( $(date +%s) - t0 ))" >>"$logs/$id.log"
	done <"$1"
}

if [ "$HOW" = direct ]; then
	log "$nruns runs on this host's /dev/kvm"
	echo "KVM: this host's /dev/kvm ($(uname -r), $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))" >"$ENV"
	run_direct "$RUNS" "$LOGS"
else
	log "$nruns runs in a nested KVM (scripts/nested-kvm.sh --runs; QEMU TCG, emulated SVM)"
	# Idle runs in one nested boot; the hog runs in a second one while a
	# busy loop spins on every CPU of this host, outside the nested VM: a
	# hog inside it has twice left the nested kernel in a soft lockup in
	# KVM_SIGNAL_MSI.  The host hog starves QEMU's vCPU threads, which is
	# what a hog does to the VMM on a real host.
	grep '^[^|]*|[^|]*|[^|]*|[^|]*|0|' "$RUNS" >"$OUT/kvm_runs.idle"
	grep '^[^|]*|[^|]*|[^|]*|[^|]*|1|' "$RUNS" | sed 's/^\([^|]*|[^|]*|[^|]*|[^|]*\)|1|/\1|0|/' >"$OUT/kvm_runs.hog"
	# time boxes that keep make bench under 15 minutes even when the
	# nested VM hangs (each hang costs the 60 s watchdog and a boot)
	t_start=$(date +%s)
	nested() { # runs-file out-dir deadline-offset [--host-hog]
		# a hung nested VM is detected after 60 s of console silence (the
		# VM prints "alive" every 15 s) and booted again for the rest
		NESTED_STALL=60 NESTED_DEADLINE=$((t_start + $3)) \
			scripts/nested-kvm.sh --build "$BUILD" --out "$2" --runs "$1" \
			--guest-timeout 120 --timeout "$3" ${4:-} >"$2.log" 2>&1
		grep -q '^@@ dev-kvm present' "$2/console.log" 2>/dev/null
	}
	NOUT="$OUT/nested"
	if ! nested "$OUT/kvm_runs.idle" "$NOUT" "$NESTED_TIMEOUT"; then
		echo "KVM: none (no /dev/kvm here, and the nested KVM could not be started: see $NOUT.log)" >"$ENV"
		tail -n 5 "$NOUT.log" >&2
		exit 2
	fi
	cp "$NOUT"/logs/*.log "$LOGS/" 2>/dev/null
	if [ -s "$OUT/kvm_runs.hog" ]; then
		# the busy loops start once the nested KVM is up (--host-hog)
		nested "$OUT/kvm_runs.hog" "$NOUT-hog" "$NESTED_HOG_TIMEOUT" --host-hog
		cp "$NOUT-hog"/logs/*.log "$LOGS/" 2>/dev/null
	fi
	kern=$(sed -n 's/^@@ kernel //p' "$NOUT/console.log" | head -n 1)
	echo "KVM: nested: Linux $kern kvm_amd inside qemu-system-x86_64 -accel tcg -cpu max -smp 2 on $(nproc) host CPUs ($(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')); every VM exit is emulated; hog runs with a busy loop on every host CPU outside the nested VM" >"$ENV"
fi
# A host /dev/kvm that works but fails kvm-probe (kvm_pvm: EOI at delivery,
# late interrupts) cannot time interrupts, but the exit costs take none:
# measure them there too, a real KVM's exits rather than emulated ones.
HOSTX=""
HREPS=$([ "$QUICK" = 1 ] && echo 1 || echo 5)
HOST_VCPU_SET=$([ "$QUICK" = 1 ] && echo "1 8" || echo "1 8 64")
hk=0
hkv=$(scripts/host-kvm.sh "$BUILD") || hk=$?
if [ "$HOW" = nested ] && [ "$hk" = 1 ]; then
	HOSTX="$OUT/kvm_host_runs"
	rm -rf "$HOSTX"
	hq=$(command -v qemu-system-x86_64 >/dev/null 2>&1 && echo qemu-split)
	{
		for r in $(seq 1 "$HREPS"); do
			for m in $MODES $hq; do echo "exits-$r-$(mid "$m")|$m|bench|1|0||run=exits"; done
		done
		# level round trips too, as a diagnostic of the userspace paths at
		# 1..64 vCPUs: the host EOIs at delivery, so the EOI exit comes
		# early, but each round trip is still 2 port exits + 1 EOI exit
		for n in $HOST_VCPU_SET; do
			for m in $MODES $hq; do
				echo "level-$n-$(mid "$m")|$m|bench|$n|0||run=level level_ms=$LEVEL_MS level_lines=8"
			done
		done
	} >"$OUT/kvm_host_runs.txt"
	log "$(wc -l <"$OUT/kvm_host_runs.txt") exit-cost and level runs on this host's /dev/kvm ($hkv)"
	run_direct "$OUT/kvm_host_runs.txt" "$HOSTX"
	hv=$(echo "$hkv" | sed 's/^deviates: //; s/ ([^)]*)$//')
	echo "Exit costs also on this host's /dev/kvm (Linux $(uname -r), fails kvm-probe: $hv): kvm_host_exits.csv, kvm_host_level.csv" >>"$ENV"
fi
log "runs took $(( $(date +%s) - start )) s"

# ---------------------------------------------------------------- tables
# the run logs -> kvm_*.csv (scripts/bench_report.py: medians over the
# repetitions, ratios, the tick results); "runs: N, not passed: ..." to ENV
host=()
if [ -n "$HOSTX" ]; then
	host=(--host-logs "$HOSTX" --host-reps "$HREPS" --host-vcpus "$HOST_VCPU_SET")
fi
scripts/bench_report.py kvm "$OUT" --logs "$LOGS" --runs "$RUNS" --reps "$REPS" \
	--modes "$MODES" --qmode "$QMODE" --vcpus "$VCPU_SET" --policies "$POLICIES" \
	--sources "$SOURCES" --hog-extra "$HOG_EXTRA" "${host[@]}" >>"$ENV" || exit 1
log "$(tail -n 1 "$ENV")"
exit 0
