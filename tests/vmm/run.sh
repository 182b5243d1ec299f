#!/usr/bin/env bash
# splitvm tests: run.sh BUILD_DIR [unit test binaries...]
#   - cmocka unit tests (loader, ACPI/MP tables, devices, chipset glue, options)
#   - command line and start-up error tests against BUILD_DIR/splitvm (no KVM)
#   - boot tests of build/guests/hello.elf on 1, 2, 8 vCPUs in both irqchip
#     modes; skipped with "SKIP: /dev/kvm absent" on hosts without KVM
# Last line: "vmm: N passed, N failed, N skipped".
set -u
O=${1:-build}
shift || true
VM=$O/splitvm
MK=$O/vmmtests/mkimage
pass=0; fail=0; skip=0
tmp=$(mktemp -d /tmp/splitvm-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ok()   { pass=$((pass+1)); echo "PASS $1"; }
bad()  { fail=$((fail+1)); echo "FAIL $1${2:+: $2}"; }
skp()  { skip=$((skip+1)); echo "SKIP $1: $2"; }

# ---- unit tests ----
for t in "$@"; do
	if "$t" > "$tmp/unit.log" 2>&1; then
		ok "$(basename "$t")"
	else
		bad "$(basename "$t")"; cat "$tmp/unit.log"
	fi
done

# expect NAME STATUS PATTERN -- ARGS...: exit status and a stderr line
expect() {
	local name=$1 want=$2 pat=$3; shift 4
	"$VM" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	local rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name" "exit $rc, want $want; stderr: $(head -c 300 "$tmp/err")"
	elif ! grep -q -- "$pat" "$tmp/err"; then
		bad "$name" "stderr lacks '$pat': $(head -c 300 "$tmp/err")"
	elif [ "$want" != 0 ] && ! head -n1 "$tmp/err" | grep -q '^splitvm: '; then
		bad "$name" "error does not start with 'splitvm: '"
	elif [ "$want" != 0 ] && [ "$(grep -c . "$tmp/err")" != 1 ]; then
		bad "$name" "error is not one line: $(cat "$tmp/err")"
	else
		ok "$name"
	fi
}

if [ ! -x "$VM" ] || [ ! -x "$MK" ]; then
	bad "cli" "$VM or $MK not built"
else
	for k in good notelf badsum outside badphdr; do "$MK" "$tmp/$k.elf" "$k"; done
	G=$tmp/good.elf
	# usage errors: exit 2
	expect cli-unknown-option 2 "unknown option '--frobnicate'" -- --kernel "$G" --frobnicate
	expect cli-no-kernel 2 "no --kernel" --
	expect cli-missing-value 2 "needs a value" -- --kernel "$G" --cpus
	expect cli-cpus-zero 2 "--cpus" -- --kernel "$G" --cpus 0
	expect cli-cpus-256 2 "1..255" -- --kernel "$G" --cpus 256
	expect cli-mem-small 2 "too small" -- --kernel "$G" --mem 1
	expect cli-mem-large 2 "too large" -- --kernel "$G" --mem 100000000
	expect cli-ioapics-0 2 "--ioapics" -- --kernel "$G" --ioapics 0
	expect cli-ioapics-9 2 "1..8" -- --kernel "$G" --ioapics 9
	expect cli-irqchip 2 "--irqchip" -- --kernel "$G" --irqchip both
	expect cli-policy 2 "unknown policy" -- --kernel "$G" --tick-policy pit=slew
	expect cli-policy-src 2 "unknown source" -- --kernel "$G" --tick-policy lapic=delay
	expect cli-policy-form 2 "SRC=POLICY" -- --kernel "$G" --tick-policy delay
	expect cli-kernel-ioapics 2 "exactly one IOAPIC" -- --kernel "$G" --irqchip kernel --ioapics 2
	expect cli-stats 2 "--stats" -- --kernel "$G" --stats=yaml
	if "$VM" --help > "$tmp/help" 2>&1 && grep -q -- --tick-policy "$tmp/help"; then
		ok cli-help
	else
		bad cli-help
	fi
	# runtime errors: exit 1
	expect img-missing 1 "cannot open kernel image" -- --kernel "$tmp/nonexistent.elf"
	expect img-directory 1 "not a regular file" -- --kernel "$tmp"
	expect img-not-multiboot 1 "not a multiboot image" -- --kernel "$tmp/notelf.elf"
	expect img-bad-checksum 1 "bad checksum" -- --kernel "$tmp/badsum.elf"
	expect img-outside-ram 1 "outside RAM" -- --kernel "$tmp/outside.elf"
	expect img-bad-phdrs 1 "program headers past end of file" -- --kernel "$tmp/badphdr.elf"
	expect img-module-missing 1 "cannot open module" -- --kernel "$G" --module "$tmp/nomod"
	expect serial-unwritable 1 "cannot open serial output" -- --kernel "$G" --serial "$tmp/no/such/dir"
	expect kvm-missing 1 "cannot open $tmp/no-kvm" -- --kernel "$G" --kvm-device "$tmp/no-kvm"
	expect kvm-not-kvm 1 "not a usable KVM device" -- --kernel "$G" --kvm-device /dev/null
	if [ -f build/guests/hello.elf ]; then
		# the real guest passes the loader and reaches the KVM step
		expect hello-loads 1 "cannot open $tmp/no-kvm" -- --kernel build/guests/hello.elf \
			--cpus 8 --ioapics 2 --mem 512 --kvm-device "$tmp/no-kvm"
	fi
fi

# ---- KVM boot tests ----
for mode in split kernel; do
	for n in 1 2 8; do
		name="boot-hello-$mode-${n}cpu"
		if [ ! -e /dev/kvm ]; then
			skp "$name" "/dev/kvm absent"; continue
		fi
		if [ ! -f build/guests/hello.elf ]; then
			skp "$name" "build/guests/hello.elf not built (make guests)"; continue
		fi
		timeout 60 "$VM" --kernel build/guests/hello.elf --cpus "$n" --irqchip "$mode" \
			--serial "$tmp/serial" --stats=json > /dev/null 2> "$tmp/err" < /dev/null
		rc=$?
		# hello passes with isa-debug-exit 0: status (0 << 1) | 1
		if [ "$rc" = 1 ] && grep -q "PASS hello" "$tmp/serial" && ! grep -q '^splitvm: ' "$tmp/err"; then
			ok "$name"
		else
			bad "$name" "exit $rc; $(tail -n 3 "$tmp/serial" 2>/dev/null) $(head -c 300 "$tmp/err")"
		fi
	done
done

echo "vmm: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
