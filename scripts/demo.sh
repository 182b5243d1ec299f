#!/usr/bin/env bash
# make demo: the guest suite on splitvm in split mode with a one-screen
# report per chip, then the same in kernel mode; the library's own board
# demo; and the suite's matrix next to QEMU's chips.
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

kvm_ok() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# One guest on splitvm in mode $1: prints a report line, returns the
# guest's status (0 pass).  Stats come from splitvm --stats on stderr.
run_guest() {
	local mode=$1 g=$2 log=$B/demo/$2-$1.log stats=$B/demo/$2-$1.stats
	timeout -k 5 180 "$B/splitvm" --kernel "$B/guests/$g.elf" --cpus 2 --mem 64 \
		--irqchip "$mode" --stats >"$log" 2>"$stats"
	local st=$?
	local ok fail irqs lost eoi
	ok=$(grep -c '^check .*: ok' "$log")
	fail=$(grep -c '^check .*: FAIL' "$log")
	irqs=$(sed -n 's/^  interrupts per GSI://p' "$stats" |
		tr ' ' '\n' | awk -F= 'NF==2 {s+=$2} END {print s+0}')
	lost=$(grep '^  ticks ' "$stats" |
		sed -n 's/.*dropped=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	eoi=$(sed -n 's/^  eoi exits: \([0-9]*\).*/\1/p' "$stats")
	printf '  %-13s checks %3s/%-3s  interrupts %7s  ticks lost %4s  EOI exits %6s  %s\n' \
		"$g" "$ok" "$((ok + fail))" "$irqs" "$lost" "${eoi:-?}" \
		"$( [ $st -eq 1 ] && echo PASS || echo "FAIL (status $st, $log)")"
	[ $st -eq 1 ]
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
exit $rc
