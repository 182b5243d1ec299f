#!/usr/bin/env bash
# Run every test guest (build/guests/*.elf) in every mode and print a matrix
# guest x mode -> PASS / FAIL / DEV (known deviation) / SKIP (reason).
#
#   scripts/guest-test.sh [--build DIR] [--strict-qemu] [--guests "hello pic"]
#                         [--modes "qemu-tcg ..."] [--smp N] [--retries N]
#
# Modes:
#   splitvm-split   build/splitvm --irqchip split   (needs /dev/kvm)
#   splitvm-kernel  build/splitvm --irqchip kernel  (needs /dev/kvm)
#   qemu-kvm-split  qemu-system-x86_64 -accel kvm,kernel-irqchip=split
#   qemu-kvm-on     qemu-system-x86_64 -accel kvm,kernel-irqchip=on
#   qemu-tcg        qemu-system-x86_64 -accel tcg   (reference: QEMU's own chips)
#
# Guest protocol (guests/lib/runtime.h): one "check <guest>.<name>: ok|FAIL|SKIP"
# line per check, "value <guest>.<key> = ..." for observed values, a final
# "PASS <guest>" or "FAIL <guest>: ..." line, and isa-debug-exit value 0 (pass)
# or 1 (fail), i.e. exit status 1 or 3 from QEMU and splitvm.
#
# Exit status: 1 if any guest fails in splitvm-split mode on a host KVM that
# passes guests/kvm-probe.c (scripts/host-kvm.sh); with --strict-qemu
# (make check) also if any guest fails under qemu-tcg on a check that is not
# a known deviation listed in guests/deviations.txt.  Other modes are informative.
# Writes the matrix to BUILD/guest-matrix.md and the logs to BUILD/guest-logs/.
set -u

BUILD=build
STRICT_QEMU=0
GUESTS=""
MODES="splitvm-split splitvm-kernel qemu-kvm-split qemu-kvm-on qemu-tcg"
SMP=2
RETRIES=2           # extra attempts for a failing guest (timing on a loaded host)
QEMU=${QEMU:-qemu-system-x86_64}

while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--strict-qemu) STRICT_QEMU=1; shift ;;
	--guests) GUESTS=$2; shift 2 ;;
	--modes) MODES=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--retries) RETRIES=$2; shift 2 ;;
	-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "guest-test: unknown option $1" >&2; exit 2 ;;
	esac
done

# Per-mode timeouts (seconds).  splitvm guests run slower (nested, every
# port access is a userspace exit), so they get more room.
timeout_for() {
	case "$1" in
	splitvm-*) echo 120 ;;
	qemu-kvm-*) echo 60 ;;
	*) echo 60 ;;
	esac
}

# Checks whose result in a mode differs from the datasheets, with the
# reason: guests/deviations.txt, one "mode guest.check reason" per line
# (# comments).  A FAIL made only of these checks is reported as DEV and
# does not fail --strict-qemu.
DEVIATIONS_FILE=$(dirname "$0")/../guests/deviations.txt
[ -r "$DEVIATIONS_FILE" ] || { echo "guest-test: cannot read $DEVIATIONS_FILE" >&2; exit 2; }
KNOWN_DEVIATIONS=$(grep -v '^[[:space:]]*#' "$DEVIATIONS_FILE")

# QEMU's pc HPET defaults advertise only I/O APIC pin 2 (shared with the PIT)
# and no FSB delivery; the spec allows more, so expose it.
QEMU_COMMON="-M pc -m 64 -display none -no-reboot -nodefaults -serial stdio
 -device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev
 -global hpet.hpet-intcap=0xff0104 -global hpet.msi=on"

LOGDIR="$BUILD/guest-logs"
MATRIX="$BUILD/guest-matrix.md"
mkdir -p "$LOGDIR"

if [ -z "$GUESTS" ]; then
	for f in "$BUILD"/guests/*.elf; do
		[ -e "$f" ] && GUESTS="$GUESTS $(basename "$f" .elf)"
	done
fi
if [ -z "$GUESTS" ]; then
	echo "guest-test: no guests in $BUILD/guests (run make guests)" >&2
	exit 2
fi

kvm_reason() {
	if [ ! -e /dev/kvm ]; then echo "/dev/kvm absent"; return; fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then echo "no access to /dev/kvm"; return; fi
	echo ""
}

# Why a mode cannot run here ("" when it can).
skip_reason() {
	local k
	k=$(kvm_reason)
	case "$1" in
	splitvm-*)
		[ -n "$k" ] && { echo "$k"; return; }
		[ -x "$BUILD/splitvm" ] || { echo "$BUILD/splitvm missing"; return; } ;;
	qemu-kvm-*)
		command -v "$QEMU" >/dev/null 2>&1 || { echo "$QEMU not installed"; return; }
		[ -n "$k" ] && { echo "$k"; return; }
		# QEMU's chips on a host LAPIC that fails kvm-probe tell nothing
		host_faithful || { echo "host KVM fails kvm-probe"; return; } ;;
	qemu-tcg)
		command -v "$QEMU" >/dev/null 2>&1 || { echo "$QEMU not installed"; return; } ;;
	*) echo "unknown mode"; return ;;
	esac
	echo ""
}

run_one() { # mode guest log
	local mode=$1 g=$2 log=$3 elf="$BUILD/guests/$2.elf" t
	t=$(timeout_for "$mode")
	local append="guest-test mode=$mode"
	case "$mode" in
	splitvm-split|splitvm-kernel)
		timeout -k 5 "$t" "$BUILD/splitvm" --kernel "$elf" --append "$append" \
			--cpus "$SMP" --mem 64 --irqchip "${mode#splitvm-}" ;;
	qemu-kvm-split)
		# shellcheck disable=SC2086
		timeout -k 5 "$t" "$QEMU" -accel kvm,kernel-irqchip=split $QEMU_COMMON \
			-smp "$SMP" -kernel "$elf" -append "$append" ;;
	qemu-kvm-on)
		# shellcheck disable=SC2086
		timeout -k 5 "$t" "$QEMU" -accel kvm,kernel-irqchip=on $QEMU_COMMON \
			-smp "$SMP" -kernel "$elf" -append "$append" ;;
	qemu-tcg)
		# shellcheck disable=SC2086
		timeout -k 5 "$t" "$QEMU" -accel tcg $QEMU_COMMON \
			-smp "$SMP" -kernel "$elf" -append "$append" ;;
	esac </dev/null 2>&1 | tr -d '\r' >"$log"
	return "${PIPESTATUS[0]}"
}

# Is guest.check a known deviation in this mode?
is_known() { # mode guest.check
	local m c pat
	while read -r m pat _; do
		[ -z "$m" ] && continue
		[ "$m" = "$1" ] || continue
		# shellcheck disable=SC2053
		[[ "$2" == $pat ]] && return 0
	done <<<"$KNOWN_DEVIATIONS"
	return 1
}

known_reason() { # mode guest.check
	local m pat reason
	while read -r m pat reason; do
		[ "$m" = "$1" ] || continue
		# shellcheck disable=SC2053
		[[ "$2" == $pat ]] && { echo "$reason"; return; }
	done <<<"$KNOWN_DEVIATIONS"
}

# Classify one log: sets CELL (matrix text), STATUS (PASS FAIL DEV) and
# NUNKNOWN (failed checks that are not known deviations).
classify() { # mode guest log rc
	local mode=$1 g=$2 log=$3 rc=$4 failed unknown="" known="" c
	failed=$(sed -n 's/^check \([^ :]*\): FAIL.*/\1/p' "$log")
	for c in $failed; do
		if is_known "$mode" "$c"; then known="$known ${c#"$g".}"; else unknown="$unknown ${c#"$g".}"; fi
	done
	known=${known# }
	unknown=${unknown# }
	NUNKNOWN=$(echo "$unknown" | wc -w)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		STATUS=FAIL; CELL="FAIL (timeout)"; NUNKNOWN=$((NUNKNOWN + 1000)); return
	fi
	if [ "$rc" = 1 ] && grep -q "^PASS $g\$" "$log"; then
		STATUS=PASS; CELL=PASS; return
	fi
	if [ "$rc" = 3 ] && grep -q "^FAIL $g:" "$log"; then
		if [ -z "$unknown" ] && [ -n "$known" ]; then
			STATUS=DEV; CELL="DEV: $known"; return
		fi
		STATUS=FAIL; CELL="FAIL: $unknown${known:+ (known: $known)}"; return
	fi
	local last
	last=$(grep -E '^FAIL |exception' "$log" | tail -n 1 | cut -c1-60)
	STATUS=FAIL; CELL="FAIL (exit $rc${last:+: $last})"; NUNKNOWN=$((NUNKNOWN + 1000))
}

# A host KVM whose local APIC departs from the SDM (scripts/host-kvm.sh,
# guests/kvm-probe.c) cannot judge the chipset: its KVM columns still run,
# once each, but only as information; make check then judges splitchip on
# the nested KVM (scripts/nested-kvm-check.sh).
HOST_KVM=$(scripts/host-kvm.sh "$BUILD")
host_faithful() { [ "$HOST_KVM" = faithful ]; }
case "$HOST_KVM" in
deviates*)
	echo "guest-test: this host's KVM $HOST_KVM:"
	echo "guest-test: its splitvm and qemu-kvm columns are informative only" ;;
esac

declare -A RESULT STAT FAILSET
exit_rc=0
start=$(date +%s)
for mode in $MODES; do
	reason=$(skip_reason "$mode")
	for g in $GUESTS; do
		if [ -n "$reason" ]; then
			RESULT[$g,$mode]="SKIP ($reason)"; STAT[$g,$mode]=SKIP
			continue
		fi
		mkdir -p "$LOGDIR/$mode"
		rm -f "$LOGDIR/$mode/$g".try*.log
		best_cell=""; best_stat=""; best_n=999999; attempt=0; history=""
		while :; do
			attempt=$((attempt + 1))
			log="$LOGDIR/$mode/$g.try$attempt.log"
			run_one "$mode" "$g" "$log"
			rc=$?
			classify "$mode" "$g" "$log" "$rc"
			history="$history; run $attempt: $CELL"
			if [ "$NUNKNOWN" -lt "$best_n" ]; then
				best_n=$NUNKNOWN; best_cell=$CELL; best_stat=$STATUS
				cp "$log" "$LOGDIR/$mode/$g.log"
			fi
			[ "$best_stat" != FAIL ] && break
			[ $attempt -gt "$RETRIES" ] && break
			case "$mode" in *kvm*|splitvm-*) host_faithful || break ;; esac
		done
		# keep the per-run logs only when there was more than one run
		[ $attempt -eq 1 ] && rm -f "$log"
		[ $attempt -gt 1 ] && best_cell="$best_cell [$attempt runs${history}]"
		RESULT[$g,$mode]=$best_cell; STAT[$g,$mode]=$best_stat
		FAILSET[$g,$mode]="$best_stat $(sed -n 's/^check \([^ :]*\): FAIL.*/\1/p' "$LOGDIR/$mode/$g.log" | sort | tr '\n' ' ')"
		printf '%-14s %-14s %s\n' "$mode" "$g" "$best_cell"
		if [ "$best_stat" = FAIL ]; then
			[ "$mode" = splitvm-split ] && host_faithful && exit_rc=1
			[ "$mode" = qemu-tcg ] && [ $STRICT_QEMU = 1 ] && exit_rc=1
		fi
	done
done
elapsed=$(( $(date +%s) - start ))

# ---- matrix ----
{
	echo "| guest | ${MODES// / | } |"
	echo "|---$(for _ in $MODES; do printf '|---'; done)|"
	for g in $GUESTS; do
		printf '| %s ' "$g"
		for mode in $MODES; do printf '| %s ' "${RESULT[$g,$mode]}"; done
		echo "|"
	done
	echo
	echo "PASS: every check passed. DEV: failed only checks listed as known deviations"
	echo "of that implementation (guests/deviations.txt, docs/CONFORMANCE.md)."
	case "$HOST_KVM" in deviates*)
		echo "Host KVM $HOST_KVM (guests/kvm-probe.c): the splitvm and qemu-kvm"
		echo "columns show that host, not splitchip, where they fail." ;;
	esac
	echo "Generated by scripts/guest-test.sh ($(date -u +%Y-%m-%d), ${elapsed}s, -smp $SMP)."
} >"$MATRIX"
echo
cat "$MATRIX"

# ---- known deviations that were observed ----
for g in $GUESTS; do
	for mode in $MODES; do
		[ "${STAT[$g,$mode]}" = DEV ] || [ "${STAT[$g,$mode]}" = FAIL ] || continue
		sed -n 's/^check \([^ :]*\): FAIL.*/\1/p' "$LOGDIR/$mode/$g.log" | while read -r c; do
			r=$(known_reason "$mode" "$c")
			[ -n "$r" ] && echo "known deviation [$mode] $c: $r"
		done
	done
done

# ---- side by side when two modes that ran disagree (status or failed checks) ----
filter() { grep -E '^(check|value|PASS|FAIL) ' "$1" | sed 's/^check //'; }
for g in $GUESTS; do
	ref=""
	for mode in $MODES; do
		[ "${STAT[$g,$mode]}" = SKIP ] && continue
		if [ -z "$ref" ]; then ref=$mode; continue; fi
		if [ "${FAILSET[$g,$mode]}" != "${FAILSET[$g,$ref]}" ]; then
			echo
			echo "== $g: $ref (${STAT[$g,$ref]}) | $mode (${STAT[$g,$mode]}) =="
			diff -y -t -W 200 <(filter "$LOGDIR/$ref/$g.log") <(filter "$LOGDIR/$mode/$g.log")
		fi
	done
done

# failing logs, so CI output shows what happened
for g in $GUESTS; do
	for mode in $MODES; do
		[ "${STAT[$g,$mode]}" = FAIL ] || continue
		echo
		echo "== $mode/$g.log =="
		tail -n 40 "$LOGDIR/$mode/$g.log"
	done
done
echo
echo "guest-test: matrix in $MATRIX, logs in $LOGDIR (${elapsed}s)"
exit $exit_rc
