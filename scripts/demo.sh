#!/usr/bin/env bash
# make demo: the guest suite on splitvm in split mode with a one-screen
# report per chip, then the same in kernel mode; the library's own board
# demo; the suite's matrix next to QEMU's chips; then a Linux guest (the
# Debian kernel) on the userspace chipset, with a short summary.
#
# Without a usable /dev/kvm, splitvm cannot run guests: the script says so,
# shows what can run (the board demo and the suite under QEMU TCG, when
# QEMU is installed) and exits 0.  With /dev/kvm it exits 1 if any guest
# fails in split mode.
set -u
cd "$(dirname "$0")/.."
B=${BUILD:-build}
GUESTS="pic ioapic pit rtc hpet nmi-watchdog ticks"
rc=0

# This host's KVM, if it can judge the chipset (scripts/host-kvm.sh).
HOST_KVM=$(scripts/host-kvm.sh "$B")
kvm_ok() { [ "$HOST_KVM" = faithful ]; }

# Report line of one guest run: $1 guest, $2 guest output, $3 splitvm
# stats (may be the same file), $4 splitvm exit status (1 = guest passed).
report() {
	local g=$1 log=$2 stats=$3 st=$4 ok fail irqs lost eoi
	ok=$(grep -c '^check .*: ok' "$log")
	fail=$(grep -c '^check .*: FAIL' "$log")
	irqs=$(sed -n 's/^  interrupts per GSI://p' "$stats" |
		tr ' ' '\n' | awk -F= 'NF==2 {s+=$2} END {print s+0}')
	lost=$(grep '^  ticks ' "$stats" |
		sed -n 's/.*dropped=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	eoi=$(sed -n 's/^  eoi exits: \([0-9]*\).*/\1/p' "$stats")
	printf '  %-13s checks %3s/%-3s  interrupts %7s  ticks lost %4s  EOI exits %6s  %s\n' \
		"$g" "$ok" "$((ok + fail))" "$irqs" "$lost" "${eoi:-?}" \
		"$( [ "$st" = 1 ] && echo PASS || echo "FAIL (status $st, $log)")"
	[ "$st" = 1 ]
}

# One guest on splitvm in mode $1 on this host's KVM.
run_guest() {
	local mode=$1 g=$2 log=$B/demo/$2-$1.log stats=$B/demo/$2-$1.stats
	timeout -k 5 180 "$B/splitvm" --kernel "$B/guests/$g.elf" --cpus 2 --mem 64 \
		--irqchip "$mode" --stats >"$log" 2>"$stats"
	report "$g" "$log" "$stats" $?
}

echo "== splitchip demo =="
mkdir -p "$B/demo"
if kvm_ok && [ -x "$B/splitvm" ]; then
	for mode in split kernel; do
		echo
		echo "splitvm --irqchip $mode: one line per chip guest"
		for g in $GUESTS; do
			if ! run_guest "$mode" "$g" && [ "$mode" = split ]; then
				rc=1
			fi
		done
	done
elif [ "${DEMO_NESTED:-1}" = 1 ]; then
	echo
	case "$HOST_KVM" in
	deviates*) echo "This host's KVM $HOST_KVM (guests/kvm-probe.c)," ;;
	*) echo "This host has no usable /dev/kvm (${HOST_KVM#absent: })," ;;
	esac
	echo "so splitvm runs on a real KVM inside QEMU TCG"
	echo "(kvm_amd on an emulated SVM CPU, scripts/nested-kvm.sh; slow, but real KVM)."
	NG=${GUESTS/ ticks/}
	# installs qemu-system-x86, linux-image-amd64, busybox-static if missing
	scripts/nested-kvm.sh --build "$B" --out "$B/demo-nested" --guests "$NG" \
		> "$B/demo-nested.log" 2>&1
	if [ $? -ge 2 ]; then
		echo "  nested KVM did not come up (splitvm needs KVM; set DEMO_NESTED=0 to skip):"
		tail -3 "$B/demo-nested.log"
	else
		for mode in split kernel; do
			echo
			echo "splitvm --irqchip $mode (nested KVM): one line per chip guest"
			for g in $NG; do
				f=$B/demo-nested/logs/$mode/$g.log
				st=$(sed -n "s/^@@ END $mode\/$g rc=\([0-9]*\).*/\1/p" "$f" 2>/dev/null)
				if ! report "$g" "$f" "$f" "${st:-?}" && [ "$mode" = split ]; then
					rc=1
				fi
			done
		done
		echo "  (kernel mode uses KVM's in-kernel PIC and PIT: their failures on"
		echo "   pic poll/special mask and five PIT checks are KVM's deviations,"
		echo "   docs/CONFORMANCE.md)"
	fi
else
	echo
	echo "splitvm cannot run guests on this host: $(
		if [ ! -e /dev/kvm ]; then echo "/dev/kvm is absent"
		elif ! kvm_ok; then echo "/dev/kvm is not readable and writable"
		else echo "$B/splitvm was not built"; fi)."
	echo "  (splitvm itself says: $("$B/splitvm" --kernel "$B/guests/hello.elf" 2>&1 | head -1))"
	echo "  The per-chip split/kernel reports need KVM; shown below: the library"
	echo "  on virtual time, and the guest suite on QEMU's own chips."
fi

echo
"$B/demo-board" || rc=1

echo
echo "The guest suite, every mode that can run here (SKIP says why not):"
scripts/guest-test.sh --build "$B" --modes "splitvm-split splitvm-kernel qemu-tcg" \
	--retries 1 | sed -n '/^| guest/,/^$/p'

# Linux on the userspace chipset: the Debian kernel with the check
# initramfs (scripts/linux-initramfs.sh) on splitvm --irqchip split, 2 vCPUs;
# on this host's KVM when it is faithful, else on the nested one.
# $1 the console log (kernel log lines carry "[ t] "), $2 splitvm's status.
linux_summary() {
	local log=$1 st=$2 l
	l() { grep -a -m1 -o "$1" "$log" | sed "s/^$2//"; }
	echo "  reached /init after   $(l 'linux-init: reached userspace at [0-9.]*s' 'linux-init: reached userspace at ') of guest time"
	echo "  timer (check_timer)   $(l '\.\.TIMER: .*' '') ; IRQ 0: $(l 'timer-irq0: [a-zA-Z].*' 'timer-irq0: ')"
	echo "  clocksources          $(l 'clocksources: available .*' 'clocksources: ')"
	grep -a -o 'linux-info: interrupts: .*' "$log" | grep -E ': *(0|4|8|LOC|[0-9]+):.*(timer|ttyS0|rtc0|virtio|Local timer)' |
		tr -s ' ' | sed 's/^linux-info: interrupts: /  \/proc\/interrupts      /'
	echo "  checks                $(grep -a -c 'linux-check: [a-z0-9_-]*: ok' "$log") ok, $(grep -a -c 'linux-check: [a-z0-9_-]*: FAIL' "$log") FAIL, $(grep -a -c 'linux-check: [a-z0-9_-]*: SKIP' "$log") SKIP; $(l 'linux-result: .*' '')"
	grep -a -o 'linux-check: [a-z0-9_-]*: FAIL.*' "$log" | cut -c1-150 | sed 's/^/    /'
	echo "  splitvm exit status   $st ($( [ "$st" = 0 ] && echo 'ACPI S5 power-off' || echo 'not a clean power-off'))"
	sed -n '/^splitvm stats/,/^@@ END/p' "$log" | grep -v '^@@' | sed 's/^/  /'
	[ "$st" = 0 ] && grep -a -q 'linux-result: PASS' "$log"
}
echo
echo "Linux on the userspace chipset (splitvm --irqchip split, 2 vCPUs, Debian kernel):"
kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V -r |
	while read -r v; do [ -r "/boot/vmlinuz-$v" ] && { echo "$v"; break; }; done)
if kvm_ok && [ -x "$B/splitvm" ] && [ -n "$kver" ]; then
	LINUX_KVER=$kver scripts/linux-initramfs.sh "$B/demo/linux-initrd.gz" >/dev/null &&
	timeout -k 5 300 "$B/splitvm" --kernel "/boot/vmlinuz-$kver" --initrd "$B/demo/linux-initrd.gz" \
		--mem 256 --cpus 2 --append "console=ttyS0 lxcpus=2" --stats >"$B/demo/linux.log" 2>&1 </dev/null
	st=$?
	linux_summary "$B/demo/linux.log" "$st" || rc=1
	echo "  (log: $B/demo/linux.log)"
elif [ "${DEMO_NESTED:-1}" = 1 ]; then
	echo "  (on the nested KVM, as above; --no-xsave: QEMU TCG's SVM has no XSETBV intercept)"
	echo "demo-linux|split|linux|2|0|--no-xsave|console=ttyS0 lxcpus=2" >"$B/demo-linux.runs"
	scripts/nested-kvm.sh --build "$B" --out "$B/demo-linux" --runs "$B/demo-linux.runs" \
		--guest-timeout 300 --timeout 900 >"$B/demo-linux.log" 2>&1
	f=$B/demo-linux/logs/demo-linux.log
	st=$(sed -n 's/^@@ END demo-linux rc=\([^ ]*\).*/\1/p' "$f" 2>/dev/null)
	if [ -z "$st" ]; then
		echo "  the nested KVM did not run it (log: $B/demo-linux.log):"; tail -3 "$B/demo-linux.log"
	else
		linux_summary "$f" "$st" || rc=1
		echo "  (log: $f)"
	fi
else
	echo "  SKIP: no faithful KVM here and DEMO_NESTED=0"
fi
exit $rc
