#!/usr/bin/env bash
# make check's real-KVM step on a host without a faithful /dev/kvm (none,
# or one whose LAPIC fails guests/kvm-probe.c: scripts/host-kvm.sh): runs the guest
# suite with splitvm on a real KVM inside QEMU TCG (scripts/nested-kvm.sh).
#   - any splitvm-split failure fails (after one retry of the failed guests:
#     the nested CPU is slow and jittery);
#   - splitvm-kernel failures fail too, except the checks where KVM's own
#     in-kernel PIC and PIT deviate from the datasheets (listed below);
#   - a setup failure (no QEMU, packages not installable, the outer VM not
#     coming up) is retried once, then fails.
# With a faithful /dev/kvm this step is skipped: guest-test runs on it directly.
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
OUT=$B/nested-kvm
# Not the ticks guest with all three sources at once (every tick is several
# emulated exits: 3 kHz of them swamps the nested CPU); the timekeeping
# runs below take one source at a time.
GUESTS=${NESTED_GUESTS:-kvm-probe hello pic ioapic ioapic-reroute hpet-smp pit rtc hpet nmi-watchdog bench}
# Checks the emulated CPU is too slow for: at 1024 Hz each RTC interrupt
# costs about a period of nested emulation (three exits to splitvm), the
# guest falls behind and the delay policy's owed ticks flood its window.
# Tolerated in both modes here, never on a real host (guest-test).
NESTED_SLOW="rtc.periodic_1024hz"
# KVM in-kernel chips vs the datasheets (docs/CONFORMANCE.md).  KVM's LAPIC
# does not look at its PIC again when LVT0 is unmasked with INT already high
# (no KVM_REQ_EVENT on an LVT0 write): the waiting request arrives only with
# the next unrelated event (pic.lint0_unmask_with_int_high).
KVM_DEVIATIONS="pic.poll pic.special_mask_mode pit.null_count_after_control_word
pit.mode0_out_low_after_control_word pit.mode0_gate_low_holds pit.mode1_gate_trigger
pit.bcd_counting pic.lint0_unmask_with_int_high"

HOST_KVM=$(scripts/host-kvm.sh "$B")
if [ "$HOST_KVM" = faithful ]; then
	echo "nested-kvm: SKIP (this host's /dev/kvm passes kvm-probe: guest-test runs on it)"
	exit 0
fi
echo "nested-kvm: host KVM ${HOST_KVM}: the suite runs on a real KVM inside QEMU TCG"

run() {   # run GUESTS-list -> rc; matrix in $OUT/matrix.md
	scripts/nested-kvm.sh --build "$B" --out "$OUT" --guests "$1" \
		--guest-timeout 240 --timeout 900 > "$OUT.log" 2>&1
}

mkdir -p "$OUT"
rm -f "$OUT.failures"
run "$GUESTS"; rc=$?
if [ $rc -ge 2 ]; then
	echo "nested-kvm: setup failed, retrying once:"; tail -3 "$OUT.log"
	run "$GUESTS"; rc=$?
	if [ $rc -ge 2 ]; then
		# The nested KVM itself could not be had (packages, QEMU, the
		# outer VM): like a missing /dev/kvm, a skip - said loudly.
		tail -20 "$OUT.log"
		echo "nested-kvm: SKIP: no KVM here and the nested KVM did not come up (log: $OUT.log)"
		echo "nested-kvm: 0 passed, 0 failed, 1 skipped"
		exit 0
	fi
fi

# guest -> failed checks per mode, from the per-run logs
failed_checks() {   # mode guest
	grep -o "^check [a-z0-9_.-]*: FAIL" "$OUT/logs/$1/$2.log" 2>/dev/null |
		sed 's/^check \(.*\): FAIL/\1/'
}
verdict() {   # mode guest -> 0 pass/deviation only, 1 fail
	local log=$OUT/logs/$1/$2.log
	grep -q "^PASS $2" "$log" 2>/dev/null && return 0
	local c n=0 allowed=$NESTED_SLOW
	[ "$1" = kernel ] && allowed="$allowed $KVM_DEVIATIONS"
	for c in $(failed_checks "$1" "$2"); do
		case " $(echo $allowed) " in *" $c "*) ;; *) return 1 ;; esac
		n=$((n + 1))
	done
	[ $n -gt 0 ]   # failed without a check line (timeout, crash): a failure
}

declare -A result
retry=""
for g in $GUESTS; do
	for m in split kernel; do
		verdict $m "$g" || retry="$retry $g"
	done
done
retry=$(echo "$retry" | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ -n "${retry// /}" ]; then
	echo "nested-kvm: retrying$retry"
	rm -rf "$OUT.first"; mkdir -p "$OUT.first" && cp -r "$OUT/logs" "$OUT.first/"
	run "$retry" || true
	# nested-kvm.sh starts from empty logs: keep the first run's for the rest
	for m in split kernel; do
		mkdir -p "$OUT/logs/$m"
		for g in $GUESTS; do
			[ -f "$OUT/logs/$m/$g.log" ] || cp "$OUT.first/logs/$m/$g.log" "$OUT/logs/$m/" 2>/dev/null
		done
	done
fi
pass=0; fail=0; skipped=0
printf '%-14s %-10s %-10s\n' guest split kernel
for g in $GUESTS; do
	line=$(printf '%-14s' "$g")
	for m in split kernel; do
		if ! grep -q "^@@ END $m/$g " "$OUT/logs/$m/$g.log" 2>/dev/null; then
			# never started: the outer VM died before this run
			r=NORUN; skipped=$((skipped + 1))
		elif verdict $m "$g"; then
			if grep -q "^PASS $g" "$OUT/logs/$m/$g.log"; then r=PASS; else r=DEV; fi
			pass=$((pass + 1))
		else
			r=FAIL; fail=$((fail + 1))
			echo "== $m $g" >> "$OUT.failures"; tail -15 "$OUT/logs/$m/$g.log" >> "$OUT.failures" 2>/dev/null
		fi
		line="$line $(printf '%-10s' $r)"
	done
	echo "$line"
done
# Boot on 1 and 8 vCPUs too (the suite above runs on 2): hello starts
# every AP with INIT/SIPI and each reports in.
# A failed run is retried once, like the suite above (a triple fault has
# been seen once in about 70 8-vCPU runs; the retry and its first failure
# stay in the output).
for n in 1 8; do
	scripts/nested-kvm.sh --build "$B" --out "$OUT-cpus$n" --guests hello --vcpus "$n" \
		--guest-timeout 240 --timeout 600 > "$OUT-cpus$n.log" 2>&1
	line=$(printf '%-14s' "hello ($n vCPU)")
	for m in split kernel; do
		hlog=$OUT-cpus$n/logs/$m/hello.log
		if ! grep -q "^PASS hello" "$hlog" 2>/dev/null; then
			echo "nested-kvm: retrying hello --cpus $n in $m mode; first run:"
			tail -4 "$hlog" 2>/dev/null | sed 's/^/    /'
			echo "$m|$m|hello|$n|0||" > "$OUT-cpus$n.retry"
			scripts/nested-kvm.sh --build "$B" --out "$OUT-cpus$n-retry" --runs "$OUT-cpus$n.retry" \
				--guest-timeout 240 --timeout 600 > "$OUT-cpus$n-retry.log" 2>&1
			hlog=$OUT-cpus$n-retry/logs/$m.log
		fi
		if grep -q "^PASS hello" "$hlog" 2>/dev/null; then
			r=PASS; pass=$((pass + 1))
		else
			r=FAIL; fail=$((fail + 1))
			echo "== $m hello --cpus $n" >> "$OUT.failures"
			tail -15 "$hlog" >> "$OUT.failures" 2>/dev/null ||
				tail -5 "$OUT-cpus$n.log" >> "$OUT.failures"
		fi
		line="$line $(printf '%-10s' $r)"
	done
	echo "$line"
done
# Timekeeping: the ticks guest per policy, one source at a time (PIT 1 kHz,
# RTC 1024 Hz, HPET 1 kHz) over 1 s of its PM-timer time, split mode, first
# idle, then in a second nested boot while a busy loop spins on every CPU of
# this host (outside the nested VM: a hog inside it has once left the
# nested kernel in a soft lockup inside KVM_SIGNAL_MSI).  delay and catchup
# must neither lose nor double a tick (strict=1: every tick due arrives by
# the end of a drain after the window, never more than due, +-1 % + 2);
# discard and merge may lose ticks by design under load, so they are held
# only to "periodic and never faster than programmed".  Under the hog the
# RTC runs at 512 Hz: the starved nested guest handles at most about 950
# RTC interrupts per second (each is 4 emulated exits), so at 1024 Hz every
# policy must fall behind, whatever the VMM does (docs/CONFORMANCE.md).
# Under the hog the drain is 1 s, not 200 ms: the starved guest may need it
# to take a second's backlog even at catchup's 4x (a 200 ms drain once ended
# an HPET catchup run 227 ticks short, all owed and then dropped at stop).
# Routing in flight and concurrent HPET reads on more vCPUs (issue 13): the
# reroute scenarios on 4 vCPUs in both modes and with two IOAPICs on 2 and 4
# vCPUs (split mode; the second IOAPIC runs every scenario too), hpet-smp 5 times each on 3 and
# 4 vCPUs in split mode and twice in kernel mode (scripts/hpet-smp-loop.sh
# runs it 50 times).  One nested boot.
SRUNS=$OUT-smp.runs
{
	for m in split kernel; do echo "$m-reroute-4|$m|ioapic-reroute|4|0||"; done
	for n in 2 4; do echo "split-reroute-$n-2ioapics|split|ioapic-reroute|$n|0|--ioapics 2|"; done
	echo "control-noghost|split|ioapic-reroute|2|0|--no-ghost-routes|stress_ms=300"
	for i in 1 2 3 4 5; do
		for n in 3 4; do echo "split-hpet-smp-$n-$i|split|hpet-smp|$n|0||"; done
	done
	for i in 1 2; do echo "kernel-hpet-smp-4-$i|kernel|hpet-smp|4|0||"; done
} > "$SRUNS"
scripts/nested-kvm.sh --build "$B" --out "$OUT-smp" --runs "$SRUNS" \
	--guest-timeout 120 --timeout 900 > "$OUT-smp.log" 2>&1
# The nested platform itself (QEMU TCG's SVM under kvm_amd, nrips=0) now and
# then resumes a vCPU inside an instruction: #UD/#GP at an eip in the middle
# of an instruction, or a triple fault, in both irqchip modes and with the
# chipset out of the loop (hpet-smp src=ram; docs/CONFORMANCE.md).  Such a
# run counts as NESTED (listed, not failed) when no check of its own
# failed; a failed check, a timeout or a crash of splitvm still fails.
nested_fault() {   # log -> 0 when the run ended in a platform fault only
	grep -q "^check .*: FAIL" "$1" && return 1
	grep -qE "^FAIL [a-z-]+: exception vector|guest triple fault|rc=hung" "$1"
}
smp_failed() {   # log -> 0 when the run failed for more than a platform fault
	grep -q "^PASS " "$1" 2>/dev/null && return 1
	nested_fault "$1" 2>/dev/null && return 1
	grep -q "^@@ END " "$1" 2>/dev/null
}
# A run that failed is run once more in a second boot (as the ticks and
# Linux runs are: the nested CPU is slow and jittery); it passes only when
# the retry passes, and the first run's failed checks are printed either way.
sagain=$(while IFS='|' read -r id _; do
	[ "$id" = control-noghost ] && continue
	smp_failed "$OUT-smp/logs/$id.log" && grep "^$id|" "$SRUNS"
done < "$SRUNS")
if [ -n "$sagain" ]; then
	echo "nested-kvm: retrying smp runs: $(echo "$sagain" | cut -d'|' -f1 | tr '\n' ' ')"
	for id in $(echo "$sagain" | cut -d'|' -f1); do
		echo "nested-kvm: $id (first run): $(grep -E '^check .*: FAIL|^FAIL |^value hpet-smp.reads_cpu|rc=' \
			"$OUT-smp/logs/$id.log" | tr '\n' ';')"
	done
	rm -rf "$OUT-smp.first" "$OUT-smp2"; cp -r "$OUT-smp/logs" "$OUT-smp.first"
	echo "$sagain" > "$OUT-smp.retry"
	scripts/nested-kvm.sh --build "$B" --out "$OUT-smp2" --runs "$OUT-smp.retry" \
		--guest-timeout 120 --timeout 900 > "$OUT-smp2.log" 2>&1
	cp "$OUT-smp2"/logs/*.log "$OUT-smp/logs/" 2>/dev/null
fi
while IFS='|' read -r id mode g n _; do
	slog=$OUT-smp/logs/$id.log
	if [ "$id" = control-noghost ]; then
		# negative control: without ghost routes this KVM loses the EOI
		# of an interrupt whose entry moved in flight (informative: a KVM
		# whose split scan keeps pending vectors would pass it)
		if grep -q "^check ioapic-reroute.moved_in_handler_remote_irr_clear: FAIL" "$slog" 2>/dev/null; then
			r="FAIL as expected (EOI lost without ghost routes)"
		else
			r="no loss: $(grep -m1 'moved_in_handler_remote_irr_clear' "$slog" 2>/dev/null || echo 'not run')"
		fi
		printf '%-40s %s\n' "ioapic-reroute --no-ghost-routes" "$r"
		continue
	fi
	if grep -q "^PASS $g" "$slog" 2>/dev/null; then
		r=PASS; pass=$((pass + 1))
	elif nested_fault "$slog" 2>/dev/null; then
		r=NESTED; skipped=$((skipped + 1))
		echo "nested-kvm: $id: $(grep -m1 -E 'exception vector|triple fault|rc=hung' "$slog")"
	elif ! grep -q "^@@ END " "$slog" 2>/dev/null; then
		r=NORUN; skipped=$((skipped + 1))
	else
		r=FAIL; fail=$((fail + 1))
		echo "nested-kvm: $id: $(grep -E '^check .*: FAIL|^FAIL |^value hpet-smp.reads_cpu|rc=' "$slog" | tr '\n' ';')"
		echo "== $id" >> "$OUT.failures"; tail -15 "$slog" >> "$OUT.failures" 2>/dev/null
	fi
	[ -f "$OUT-smp.first/$id.log" ] && echo "$sagain" | grep -q "^$id|" && r="$r (retried)"
	label="$g ($n vCPUs, $mode)"
	case $id in *2ioapics) label="$g ($n vCPUs, $mode, 2 IOAPICs)" ;; esac
	printf '%-40s %s\n' "$label" "$r"
done < "$SRUNS"
TRUNS=$OUT-ticks.runs
for hog in 0 1; do
	for s in pit rtc hpet; do
		for p in delay catchup discard merge; do
			strict=0
			case $p in delay|catchup) strict=1 ;; esac
			rs=6
			dr=200
			[ "$hog" = 1 ] && rs=7 && dr=1000
			echo "$s-$p-$hog|split|ticks|1|0|--tick-policy $s=$p|src=$s ms=1000 strict=$strict rtc_rs=$rs drain_ms=$dr"
		done
	done
done > "$TRUNS"
tick_round() {   # runs-file hog(0|1) -> logs in $OUT-ticks/logs/<id>.log
	local f=$OUT-ticks.$2 hog=""
	grep "^[^|]*-$2|" "$1" > "$f"
	[ -s "$f" ] || return 0
	[ "$2" = 1 ] && hog=--host-hog   # busy loops once the nested KVM is up
	# shellcheck disable=SC2086
	scripts/nested-kvm.sh --build "$B" --out "$OUT-ticks$2" --runs "$f" $hog \
		--guest-timeout 120 --timeout 900 > "$OUT-ticks$2.log" 2>&1
	mkdir -p "$OUT-ticks/logs"
	cp "$OUT-ticks$2"/logs/*.log "$OUT-ticks/logs/" 2>/dev/null
	return 0
}
rm -rf "$OUT-ticks/logs"
tick_round "$TRUNS" 0
tick_round "$TRUNS" 1
again=$(while IFS='|' read -r id _; do
	grep -q "^PASS ticks" "$OUT-ticks/logs/$id.log" 2>/dev/null || grep "^$id|" "$TRUNS"
done < "$TRUNS")
if [ -n "$again" ]; then
	echo "nested-kvm: retrying ticks runs: $(echo "$again" | cut -d'|' -f1 | tr '\n' ' ')"
	rm -rf "$OUT-ticks.first"; cp -r "$OUT-ticks/logs" "$OUT-ticks.first"
	echo "$again" > "$OUT-ticks.retry"
	tick_round "$OUT-ticks.retry" 0
	tick_round "$OUT-ticks.retry" 1
fi
printf '%-22s %-22s %-22s\n' "ticks (split)" idle "host hog"
for s in pit rtc hpet; do
	for p in delay catchup discard merge; do
		line=$(printf '%-22s' "$s $p")
		for hog in 0 1; do
			log=$OUT-ticks/logs/$s-$p-$hog.log
			n=$(sed -n "s/^value ticks\.${s}_settled = \([0-9]*\) (due [0-9]*\.\.\([0-9]*\)).*/\1\/\2/p" "$log" 2>/dev/null)
			[ "$p" = discard ] || [ "$p" = merge ] &&
				n=$(sed -n "s/^value ticks\.$s = \([0-9]*\) (want \([0-9]*\)).*/\1\/\2/p" "$log" 2>/dev/null)
			if ! grep -q "^@@ END $s-$p-$hog " "$log" 2>/dev/null; then
				r=NORUN; skipped=$((skipped + 1))
			elif grep -q "^PASS ticks" "$log"; then
				r="PASS $n"; pass=$((pass + 1))
			else
				r="FAIL ${n:-?}"; fail=$((fail + 1))
				echo "== ticks $s $p hog=$hog" >> "$OUT.failures"; tail -15 "$log" >> "$OUT.failures"
			fi
			line="$line $(printf '%-22s' "$r")"
		done
		echo "$line"
	done
done
# Linux (issue 12 item 4): the Debian kernel on splitvm with the checks of
# scripts/linux-initramfs.sh, one nested boot: the default command line in
# both modes on 1 and 4 vCPUs (4: with the smp_affinity loop), and noapic,
# nolapic and acpi=off in split mode on 1 vCPU.  One line per check x run;
# a split-mode FAIL fails (after one retry of that run in a second boot: the
# nested CPU is slow and jittery) unless guests/linux-known.txt lists it
# (KNOWN, with its reason), a kernel-mode FAIL is listed as KVMDIFF (KVM's
# own PIC/IOAPIC/PIT under the same checks, informative); SKIP, KNOWN and
# KVMDIFF count as skipped.  poweroff: the run's status (0: ACPI S5, or with acpi=off the
# 8042 reset).
LRUNS=$OUT-linux.runs
{
	for m in split kernel; do
		for n in 1 4; do
			a=""; [ "$n" = 4 ] && a=" lxaffinity=1"
			echo "lx-$m-$n|$m|linux|$n|0|--no-xsave|console=ttyS0 lxcpus=$n$a"
		done
	done
	for v in noapic nolapic acpi=off; do
		echo "lx-split-1-$v|split|linux|1|0|--no-xsave|console=ttyS0 lxcpus=1 $v"
	done
} > "$LRUNS"
lx_round() {   # runs-file out-dir -> logs in out-dir/logs/<id>.log
	scripts/nested-kvm.sh --build "$B" --out "$2" --runs "$1" \
		--guest-timeout 200 --timeout 900 > "$2.log" 2>&1
}
lx_ok() {   # log -> 0 when the run ended with status 0 and linux-result PASS
	grep -q "linux-result: PASS" "$1" 2>/dev/null && grep -q "^@@ END .* rc=0 " "$1"
}
# known split-mode failures, with their reasons: guests/linux-known.txt
LKNOWN=$(grep -v '^[[:space:]]*\(#\|$\)' guests/linux-known.txt 2>/dev/null)
lx_known() {   # id check -> 0 when listed
	echo "$LKNOWN" | grep -q "^$1 $2 "
}
lx_retry() {   # id log -> 0 when the run failed for more than its known failures
	local c
	grep -q "linux-result: " "$2" 2>/dev/null && grep -q "^@@ END .* rc=0 " "$2" || return 0
	for c in $(sed -n 's/.*linux-check: \([a-z0-9_-]*\): FAIL.*/\1/p' "$2"); do
		lx_known "$1" "$c" || return 0
	done
	return 1
}
lx_round "$LRUNS" "$OUT-linux"
lagain=$(while IFS='|' read -r id mode _; do
	# a split run that failed, or any run the nested platform cut short
	# (its triple fault in the run, or the outer VM gone before the run)
	if { [ "$mode" = split ] && lx_retry "$id" "$OUT-linux/logs/$id.log"; } ||
		grep -q "guest triple fault" "$OUT-linux/logs/$id.log" 2>/dev/null ||
		! grep -q "^@@ END $id " "$OUT-linux/logs/$id.log" 2>/dev/null; then
		grep "^$id|" "$LRUNS"
	fi
done < "$LRUNS")
if [ -n "$lagain" ]; then
	echo "nested-kvm: retrying linux runs: $(echo "$lagain" | cut -d'|' -f1 | tr '\n' ' ')"
	echo "$lagain" > "$OUT-linux.retry"
	for id in $(echo "$lagain" | cut -d'|' -f1); do
		grep -E "linux-check: .*: FAIL|linux-result|^@@ END" "$OUT-linux/logs/$id.log" 2>/dev/null | sed "s/^/    $id first run: /"
	done
	lx_round "$OUT-linux.retry" "$OUT-linux-retry"
	for id in $(echo "$lagain" | cut -d'|' -f1); do
		[ -s "$OUT-linux-retry/logs/$id.log" ] && cp "$OUT-linux-retry/logs/$id.log" "$OUT-linux/logs/$id.log"
	done
fi
rm -f "$OUT-linux.kvmdiff" "$OUT-linux.known"
echo "linux: one line per check and run (KVMDIFF: kernel mode differs; KNOWN: a split-mode"
echo " failure listed in guests/linux-known.txt; NESTED: cut short by the nested platform's"
echo " triple fault; all listed or counted as skipped, never as passed or failed)"
while IFS='|' read -r id mode _ n _ _ app; do
	llog=$OUT-linux/logs/$id.log
	v=""; case "$app" in *" noapic"*) v=" noapic" ;; *" nolapic"*) v=" nolapic" ;; *" acpi=off"*) v=" acpi=off" ;; esac
	label="$mode $n vCPU$v"
	if ! grep -q "^@@ END $id " "$llog" 2>/dev/null; then
		printf '%-24s %-26s %s\n' "linux (all checks)" "$label" NORUN; skipped=$((skipped + 1))
		continue
	fi
	# the checks the guest reported (kernel log lines: "[ t] linux-check:
	# NAME: ok|FAIL|SKIP ..."), the RTC against this side's clock (the
	# guest's rtc-probe line carries both: scripts/nested-kvm.sh), the
	# power-off status and whether the guest finished
	{
		sed -n 's/^\(\[ *[0-9.]*\] \)\{0,1\}linux-check: \([a-z0-9_-]*\): \(ok\|FAIL\|SKIP\)\( .*\)\{0,1\}$/\2 \3\4/p' "$llog" | tr -d '\r'
		pr=$(grep -m1 -o "rtc-probe host=[0-9]* since_epoch=[0-9]*" "$llog")
		if [ -z "$pr" ]; then
			echo "rtc-host-date FAIL no rtc-probe line"
		else
			h=${pr#*host=}; h=${h%% *}; e=${pr##*since_epoch=}
			if [ $((e - h)) -ge -2 ] && [ $((e - h)) -le 2 ]; then echo "rtc-host-date ok RTC - host = $((e - h)) s"
			else echo "rtc-host-date FAIL RTC $e, host $h: $((e - h)) s off (> 2 s)"; fi
		fi
		st=$(sed -n "s/^@@ END $id rc=\([^ ]*\).*/\1/p" "$llog")
		if [ "$st" = 0 ]; then echo "poweroff ok status 0"; else echo "poweroff FAIL status $st"; fi
		grep -q "linux-result: " "$llog" || echo "linux-result FAIL no linux-result line (the guest did not finish)"
	} | while read -r c r detail; do
		# the nested platform's own fault (a vCPU resumed inside an
		# instruction: triple fault, in both modes; see nested_fault
		# above) ends the run early: what it cut short is NESTED
		if [ "$r" = FAIL ] && grep -q "guest triple fault" "$llog" &&
			{ [ "$c" = poweroff ] || [ "$c" = linux-result ] ||
			  [ "$detail" = "no rtc-probe line" ]; }; then
			echo "NESTED $c $(grep -m1 -o 'vCPU [0-9]*: guest triple fault' "$llog") (the nested platform)"
			continue
		fi
		case $r in
		ok) echo "PASS $c" ;;
		SKIP) echo "SKIP $c $detail" ;;
		FAIL) if [ "$mode" != split ]; then echo "KVMDIFF $c $detail"
		      elif lx_known "$id" "$c"; then echo "KNOWN $c $detail"
		      else echo "FAIL $c $detail"; fi ;;
		esac
	done > "$llog.verdicts"
	while read -r r c detail; do
		case $r in
		PASS) pass=$((pass + 1)) ;;
		SKIP|KNOWN|KVMDIFF|NESTED) skipped=$((skipped + 1)) ;;
		FAIL) fail=$((fail + 1))
		      echo "== linux $id $c: $detail" >> "$OUT.failures"
		      grep -E "linux-(check|info): " "$llog" | grep -F "$c" | head -n 5 >> "$OUT.failures" ;;
		esac
		[ "$r" = KVMDIFF ] && echo "  $c ($label): $detail" >> "$OUT-linux.kvmdiff"
		[ "$r" = KNOWN ] && echo "  $c ($label): $(echo "$LKNOWN" | sed -n "s/^$id $c //p")" >> "$OUT-linux.known"
		printf '%-24s %-26s %s\n' "linux $c" "$label" "$r"
	done < "$llog.verdicts"
done < "$LRUNS"
if [ -s "$OUT-linux.known" ]; then
	echo "linux: known split-mode failures (guests/linux-known.txt, counted as skipped):"
	cat "$OUT-linux.known"
fi
if [ -s "$OUT-linux.kvmdiff" ]; then
	echo "linux: kernel-mode differences (KVM's in-kernel PIC/IOAPIC/PIT, not counted as failures):"
	cat "$OUT-linux.kvmdiff"
fi
[ $fail -gt 0 ] && cat "$OUT.failures"
echo "(splitvm on a real KVM: kvm_amd inside QEMU TCG with emulated SVM; DEV = failed"
echo " only checks where KVM's in-kernel PIC/PIT deviate from the datasheets, or"
echo " rate checks the emulated CPU is too slow for: $NESTED_SLOW; ticks: guest"
echo " ticks / due, for delay and catchup at the end of a drain (200 ms, 1 s under the hog) after the"
echo " 1 s window, strict: all due ticks arrive, none beyond (+-1 % + 2); for"
echo " discard and merge in the window; RTC 512 Hz under the hog)"
echo "nested-kvm: $pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]
