#!/usr/bin/env bash
# Is this host's /dev/kvm one the guest suite can judge splitchip on?
#
#   scripts/host-kvm.sh [BUILD]     prints one line and exits:
#     0  "faithful"                 /dev/kvm works and its local APIC passes
#                                   guests/kvm-probe.c (self-IPIs only)
#     1  "deviates: <checks>"       /dev/kvm works, but its LAPIC emulation
#                                   departs from the SDM in what the chipset
#                                   guests rely on (kvm_pvm: auto-EOI at
#                                   delivery, interrupts taken late)
#     2  "absent: <reason>"         no usable /dev/kvm, or no splitvm/probe
#
# The probe runs once per build directory; the verdict is cached in
# BUILD/host-kvm.verdict (keyed by kernel release and splitvm/probe mtimes).
# A deviating host still runs the suite (informative), but make check and
# make demo judge splitchip on a faithful KVM: the nested one
# (scripts/nested-kvm.sh) when the host has none.
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
if [ ! -e /dev/kvm ]; then echo "absent: /dev/kvm absent"; exit 2; fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then echo "absent: no access to /dev/kvm"; exit 2; fi
VM=$B/splitvm PROBE=$B/guests/kvm-probe.elf
if [ ! -x "$VM" ] || [ ! -f "$PROBE" ]; then echo "absent: $VM or $PROBE not built"; exit 2; fi
key="$(uname -r) $(stat -c %Y "$VM" "$PROBE" | tr '\n' ' ')"
cache=$B/host-kvm.verdict
if [ -f "$cache" ] && [ "$(head -1 "$cache")" = "$key" ]; then
	v=$(sed -n 2p "$cache")
else
	log=$B/host-kvm.log
	# kernel irqchip: the probe needs only KVM's own LAPIC
	timeout -k 5 60 "$VM" --kernel "$PROBE" --cpus 1 --mem 32 --irqchip kernel \
		--append "host-kvm probe" </dev/null >"$log" 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -q '^PASS kvm-probe$' "$log"; then
		v=faithful
	else
		failed=$(sed -n 's/^check kvm-probe\.\([^ :]*\): FAIL.*/\1/p' "$log" | tr '\n' ' ')
		[ -n "$failed" ] || failed="probe exit $rc: $(grep -m1 -E 'FAIL|INTERNAL|error' "$log" | cut -c1-80)"
		v="deviates: ${failed% } ($(uname -r))"
	fi
	printf '%s\n%s\n' "$key" "$v" >"$cache"
fi
echo "$v"
case "$v" in faithful) exit 0 ;; deviates*) exit 1 ;; *) exit 2 ;; esac
