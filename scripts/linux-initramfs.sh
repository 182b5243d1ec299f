#!/usr/bin/env bash
# Build the initramfs of the Linux guest that splitvm boots (issue 12 item
# 4): a static busybox, the virtio-rng modules of the kernel, and an /init
# that runs /bin/linux-check (the chipset seen from inside Linux) and powers
# off through ACPI S5 (poweroff -f; with acpi=off, which has no S5, it
# reboots through the 8042 instead: reboot -f).
#
#   scripts/linux-initramfs.sh OUT.gz
#
# env LINUX_KVER=RELEASE: the kernel the initramfs is for (its modules and
#   CONFIG_HZ); default: the newest /lib/modules/* with a /boot/vmlinuz-*.
# env LINUX_CHECK_EXTRA="PROG...": static programs copied to /bin as
#   extra-NAME and run by linux-check after its own checks (experiments).
#
# Output, one line each ("@@" is scripts/nested-kvm.sh's, never used here),
# written to /dev/kmsg, so on the console each has the kernel's "[  t] ":
#   linux-init: ...                   progress of /init
#   linux-info: ...                   what a check saw (values, dmesg lines)
#   linux-tty: ...                    written through the tty (ttyS0 traffic)
#   linux-check: NAME: ok [details]   | FAIL details | SKIP reason
#   linux-result: PASS 0 | FAIL N     N = failed checks; always printed,
#                                     also when the watchdog killed the checks
#   linux-info: rtc-probe since_epoch=N   the RTC, for the host to compare
#                                     with its own clock (rtc-host-date)
# Kernel command line words the checks read (all optional):
#   lxcpus=N      vCPUs expected online (default: no check of the count)
#   lxaffinity=1  run the smp_affinity loop (needs 2 or more vCPUs)
# Every wait is bounded (jiffies deadlines, an iteration cap, timeout(1)
# around reads), and /init runs the checks under a watchdog: a hung check
# ends as "linux-check: watchdog: FAIL", never as a hung VM.
# Needs busybox-static (/bin/busybox not dynamically linked), cpio, gzip,
# kmod (modinfo) and the kernel's modules in /lib/modules.
set -euo pipefail

out=${1:?usage: linux-initramfs.sh OUT.gz}
bb=/bin/busybox
[ -x "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 || { echo "linux-initramfs: needs a static $bb (apt-get install busybox-static)" >&2; exit 2; }
command -v cpio >/dev/null || { echo "linux-initramfs: needs cpio" >&2; exit 2; }
command -v modinfo >/dev/null || { echo "linux-initramfs: needs modinfo (kmod)" >&2; exit 2; }

kver=${LINUX_KVER:-}
if [ -z "$kver" ]; then
	for v in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V -r); do
		[ -e "/boot/vmlinuz-$v" ] && { kver=$v; break; }
	done
fi
[ -n "$kver" ] || { echo "linux-initramfs: no kernel in /lib/modules with a /boot/vmlinuz-*" >&2; exit 2; }
# HZ for the jiffies checks: from the kernel's build configuration
hz=$(sed -n 's/^CONFIG_HZ=\([0-9]*\)$/\1/p' "/boot/config-$kver" 2>/dev/null)
[ -n "$hz" ] || { echo "linux-initramfs: no CONFIG_HZ in /boot/config-$kver" >&2; exit 2; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"

# The driver of splitvm's PCI device (legacy virtio-rng at 00:01.0) and
# what it depends on, in load order (/lib/modules/order).
mods=""
add_mod() {
	local m=$1 d f
	case " $mods " in *" $m "*) return ;; esac
	for d in $(modinfo -k "$kver" -F depends "$m" | tr ',' ' '); do add_mod "$d"; done
	f=$(modinfo -k "$kver" -F filename "$m") || { echo "linux-initramfs: module $m not found for $kver" >&2; exit 2; }
	case "$f" in
	"(builtin)") return ;;
	*.ko) cp "$f" "$root/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*) echo "linux-initramfs: module $m: $f" >&2; exit 2 ;;
	esac
	mods="$mods $m"
}
add_mod virtio_pci
add_mod virtio-rng
echo "${mods# }" | tr ' ' '\n' >"$root/lib/modules/order"

cat >"$root/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# the lines go out through /dev/kmsg (see linux-check), all of them
echo on >/proc/sys/kernel/printk_devkmsg
say() { echo "<5>$*" >/dev/kmsg; }
say "linux-init: reached userspace at $(cut -d' ' -f1 /proc/uptime)s"
# The watchdog: the checks take about 30 s of guest time; 150 s means one
# of them hung (a read the kernel never completes, a dead timer).
timeout -s KILL 150 /bin/linux-check
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
	say "linux-check: watchdog: FAIL the checks ended with status $rc (137: killed after 150 s)"
	say "linux-result: FAIL watchdog"
fi
say "linux-init: checks done at $(cut -d' ' -f1 /proc/uptime)s"
case " $(cat /proc/cmdline) " in
*" acpi=off "*)
	# no ACPI, no S5: Linux's reboot tries the 8042 (0x64 <- 0xFE),
	# which ends splitvm with status 0 as well
	say "linux-init: acpi=off: rebooting (no S5 without ACPI)"
	reboot -f ;;
esac
say "linux-init: powering off"
poweroff -f
INIT

# The checks (issue 12 item 4).  Exit status 0: all passed, 1: some failed.
cat >"$root/bin/linux-check" <<'CHECK'
#!/bin/sh
HZ=@HZ@
RTC=/sys/class/rtc/rtc0
CS=/sys/devices/system/clocksource/clocksource0
nfail=0
# Every line goes out through the kernel log (/dev/kmsg: printk writes the
# console polled), not through the tty: the tty's output waits for ttyS0's
# THRE interrupt, one of the paths under test (with noapic it has stalled).
out()  { echo "<5>$*" >/dev/kmsg; }
ok()   { out "linux-check: $1: ok${2:+ $2}"; }
fail() { out "linux-check: $1: FAIL $2"; nfail=$((nfail + 1)); }
skip() { out "linux-check: $1: SKIP $2"; }
info() { out "linux-info: $*"; }
CMDLINE=$(cat /proc/cmdline)
arg() {   # NAME -> the value of NAME= on the command line
	for w in $CMDLINE; do case $w in "$1"=*) echo "${w#*=}"; return ;; esac; done
}
has() { case " $CMDLINE " in *" $1 "*) return 0 ;; esac; return 1; }
ncpu=$(grep -c ^processor /proc/cpuinfo)

# ---- clocks the checks read ----
jiffies() {   # J = jiffies (line 2 of /proc/schedstat, "timestamp N")
	local k v
	while read -r k v _; do [ "$k" = timestamp ] && { J=$v; return 0; }; done </proc/schedstat
	J=0; return 1
}
# The RTC is splitvm's MC146818 model, whose seconds are the host's
# CLOCK_REALTIME (lib/rtc.c): its second boundaries are the host clock the
# checks measure against, at 1 s resolution.  rtc_edge busy-polls
# since_epoch (each read is a few CMOS port exits, a few ms on the nested
# KVM) until the seconds change, so an edge is located to within one poll.
rtc_edge() {   # -> E = the new second, J = jiffies just after; 1 = no edge in 2.5 s
	local s0 s n=0 jd
	read -r s0 <$RTC/since_epoch || return 1
	jiffies; jd=$((J + HZ * 5 / 2))
	while [ $n -lt 20000 ]; do
		read -r s <$RTC/since_epoch || return 1
		jiffies
		[ "$s" != "$s0" ] && { E=$s; return 0; }
		[ "$J" -gt $jd ] && return 1
		n=$((n + 1))
	done
	return 1
}
permille() {   # GOT WANT -> |GOT - WANT| * 1000 / WANT
	local d=$(($1 - $2))
	[ $d -lt 0 ] && d=$((-d))
	echo $((d * 1000 / $2))
}

# ---- /proc/interrupts ----
irq_sum() {   # IRQ ("0", "LOC") -> its count summed over the CPUs
	awk -v k="$1:" '$1 == k { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s; f = 1; exit }
		END { if (!f) print 0 }' /proc/interrupts
}
irq_cpus() {   # IRQ -> its per-CPU counts, space separated
	awk -v k="$1:" '$1 == k { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) printf "%s ", $i; exit }' /proc/interrupts
}
irq_chip() {   # IRQ -> what follows the counts ("IO-APIC 2-edge timer")
	awk -v k="$1:" '$1 == k { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++); s = ""
		for (; i <= NF; i++) s = s (s == "" ? "" : " ") $i; print s; exit }' /proc/interrupts
}
irq_named() {   # NAME -> the IRQ number of the line that ends in NAME
	awk -v n="$1" '$NF == n { sub(":", "", $1); print $1; exit }' /proc/interrupts
}

info "uname: $(uname -r), $ncpu CPUs, HZ=$HZ, cmdline: $CMDLINE"
tick0=$(( $(irq_sum LOC) + $(irq_sum 0) )); tty0=$(irq_sum 4)

# ---- every vCPU online ----
read -r online </sys/devices/system/cpu/online
want=$(arg lxcpus)
if [ -z "$want" ]; then
	skip cpus-online "no lxcpus= on the command line (online: $online)"
else
	exp=0; [ "$want" -gt 1 ] && exp="0-$((want - 1))"
	if [ "$online" = "$exp" ] && [ "$ncpu" = "$want" ]; then ok cpus-online "$online"
	else fail cpus-online "online $online, $ncpu in cpuinfo, want $want ($exp)"; fi
fi

# ---- the timer: the line IRQ 0 took, ticks and jiffies against the RTC ----
# Which chip Linux ended up with for IRQ 0: with the IO-APIC, pin 2 through
# the MADT (or MP table) override; with noapic or nolapic the 8259A
# (XT-PIC), through LINT0 in virtual wire mode or (nolapic) as ExtINT
# straight to the boot CPU.
dmesg | grep -E '\.\.TIMER:|IO-APIC \+ timer|Switched to clocksource|clocksource: .*unstable|8259A' |
	while IFS= read -r l; do info "dmesg: $l"; done
chip0=$(irq_chip 0); n0=$(irq_sum 0)
wchip=IO-APIC; { has noapic || has nolapic; } && wchip=XT-PIC
case "$chip0" in
"") if ! dmesg | grep -q '\.\.TIMER:'; then
	# acpi=off: no HPET (only ACPI describes it), and with the
	# TSC-deadline LAPIC timer Linux needs no PIT either: it sets up no
	# legacy timer, so check_timer() never runs and IRQ 0 has no line
	skip timer-irq0 "Linux set up no legacy timer: no IRQ 0 line, no ..TIMER line ($(dmesg | grep -c 'TSC deadline timer available') 'TSC deadline timer available'); the tick is the LAPIC timer"
    else fail timer-irq0 "no IRQ 0 line in /proc/interrupts after check_timer()"; fi ;;
"$wchip"*) if [ "$n0" -gt 0 ]; then ok timer-irq0 "$chip0, $n0 interrupts"
	   else fail timer-irq0 "$chip0 but no interrupt on it"; fi ;;
*) fail timer-irq0 "IRQ 0 is '$chip0', want $wchip ($n0 interrupts)" ;;
esac
# jiffies against the RTC over 4 RTC seconds, the CPU busy (the poll): the
# edges are located to within a poll (a few ms) and jiffies count in 1/HZ
# (4 ms at 250 Hz), so the measurement error is about 0.3 % of 4 s, well
# inside the 2 % tolerance; a timer that loses or doubles ticks, or a
# clocksource off by more than 2 %, shows.  Jiffies alone do not prove
# that ticks arrive (with NO_HZ an idle CPU takes none, and jiffies catch
# up from the clocksource), so the tick interrupts (LOC, the LAPIC timer,
# or IRQ 0 when it is the tick: nolapic) are counted in the same window:
# the polling CPU would take HZ a second, but it idles in rtc_cmos's
# waits for the update cycle (measured: 83-93 % of HZ), so the floor is
# 50 %: a dead tick, or one at half rate, fails.
secs=4
if rtc_edge; then
	e0=$E j0=$J t0=$(( $(irq_sum LOC) + $(irq_sum 0) ))
	while [ "$E" -lt $((e0 + secs)) ]; do rtc_edge || break; done
	t1=$(( $(irq_sum LOC) + $(irq_sum 0) ))
	if [ "$E" -ne $((e0 + secs)) ]; then
		fail jiffies-hz "the RTC stopped after second $E (from $e0)"
	else
		got=$((J - j0)) pm=$(permille $((J - j0)) $((HZ * secs)))
		if [ "$pm" -le 20 ]; then ok jiffies-hz "$got jiffies in $secs RTC seconds, want $((HZ * secs)) (${pm} per mille off)"
		else fail jiffies-hz "$got jiffies in $secs RTC seconds, want $((HZ * secs)) +- 2 % (${pm} per mille off)"; fi
		ticks=$((t1 - t0)) floor=$((HZ * secs / 2))
		if [ $ticks -ge $floor ]; then ok timer-ticks "$ticks tick interrupts (LOC + IRQ 0) in $secs s busy, floor $floor"
		else fail timer-ticks "$ticks tick interrupts (LOC + IRQ 0) in $secs s busy, want >= $floor (50 % of HZ)"; fi
	fi
else
	fail jiffies-hz "the RTC seconds did not change within 2.5 s"
fi

# ---- clocksources ----
# A 1.9 s sleep starts right after an RTC edge; afterwards the next edge is
# found.  G is the sleep's length on the clocksource under test (jiffies
# from the edge to the sleep's end: fork and exec of sleep included), D the
# same span in host time (the RTC seconds minus the jiffies from the
# sleep's end to the next edge, about 0.1 s, whose own error is that of the
# clocksource over 0.1 s).  D against G within 2 %: the clocksource keeps
# host time across an idle sleep.  Error: two edge polls and two jiffies
# quantisations, about 15 ms of 2 s.
sleep_vs_rtc() {   # -> D = ms of host time, G = ms of guest time that "sleep 1.9" took
	local e0 j0 js
	rtc_edge || return 1
	e0=$E j0=$J
	sleep 1.9
	jiffies; js=$J
	rtc_edge || return 1
	D=$(( (E - e0) * 1000 - (J - js) * 1000 / HZ ))
	G=$(( (js - j0) * 1000 / HZ ))
}
read -r avail <$CS/available_clocksource
read -r cur0 <$CS/current_clocksource
info "clocksources: available $avail, current $cur0"
if has acpi=off; then
	skip clocksources "acpi=off: Linux finds the HPET and the PM timer only through ACPI tables (available: $avail)"
else
	miss=""
	for c in hpet acpi_pm; do case " $avail " in *" $c "*) ;; *) miss="$miss $c" ;; esac; done
	if [ -z "$miss" ]; then ok clocksources "$avail"; else fail clocksources "missing$miss (available: $avail)"; fi
	for c in hpet acpi_pm "$cur0"; do
		name=clocksource-$c; [ "$c" = "$cur0" ] && name=clocksource-back-$c
		case " $avail " in *" $c "*) ;; *) fail "$name" "not available"; continue ;; esac
		echo "$c" >$CS/current_clocksource
		read -r now <$CS/current_clocksource
		[ "$now" = "$c" ] || { fail "$name" "current_clocksource is $now after writing $c"; continue; }
		if sleep_vs_rtc; then
			pm=$(permille $G $D)
			if [ "$pm" -le 20 ]; then ok "$name" "sleep 1.9: $G ms on $c, $D ms by the RTC (${pm} per mille off)"
			else fail "$name" "sleep 1.9: $G ms on $c, $D ms by the RTC, want within 2 %"; fi
		else
			fail "$name" "no RTC edge within 2.5 s"
		fi
	done
fi

# ---- rtc_cmos ----
# The host's date: the guest cannot read the host's clock itself, so it
# prints what the RTC says and the host judges it: scripts/nested-kvm.sh
# puts its own date +%s into this line (" host=EPOCH") the moment splitvm
# passes it on, and scripts/nested-kvm-check.sh reports rtc-host-date:
# the two within 2 s (two truncations to the second, plus the ms the line
# takes to get out).  splitvm's RTC follows that host's CLOCK_REALTIME.
if [ -c /dev/rtc0 ] && [ -r $RTC/since_epoch ]; then
	read -r e <$RTC/since_epoch
	out "linux-info: rtc-probe since_epoch=$e"
	# hwclock -w then -r: set the system clock a year ahead, write it to
	# the CMOS, read it back (sysfs and hwclock -r), and restore both.
	shift=$((365 * 86400))
	read -r e <$RTC/since_epoch
	date -u -s "@$((e + shift))" >/dev/null
	if timeout 10 hwclock -u -w; then
		read -r e2 <$RTC/since_epoch
		r=$(timeout 10 hwclock -u -r 2>&1)
		y=$(date -u -d "@$((e + shift))" +%Y)
		if [ $((e2 - e - shift)) -ge 0 ] && [ $((e2 - e - shift)) -le 2 ] && echo "$r" | grep -q " $y "; then
			ok hwclock-roundtrip "wrote $((e + shift)), since_epoch $e2, hwclock -r: $r"
		else
			fail hwclock-roundtrip "wrote $((e + shift)), since_epoch $e2, hwclock -r: $r"
		fi
	else
		fail hwclock-roundtrip "hwclock -w failed or hung"
	fi
	read -r e3 <$RTC/since_epoch
	date -u -s "@$((e3 - shift))" >/dev/null
	timeout 10 hwclock -u -w || info "rtc: restoring the RTC with hwclock -w failed"
	# an alarm interrupt: IRQ 8 (rtc0) counts up within 5 s of an alarm
	# set 2 s ahead
	rirq=$(irq_named rtc0); rirq=${rirq:-8}
	c0=$(irq_sum "$rirq")
	if [ ! -w $RTC/wakealarm ] || ! echo 0 2>/dev/null >$RTC/wakealarm; then
		# rtc_cmos offers wakealarm only on a wakeup-capable RTC: with
		# acpi=off it is a plain platform device
		skip rtc-alarm-irq "$RTC/wakealarm is not writable (rtc0 is no wakeup source$(has acpi=off && echo ' without ACPI'))"
	elif echo +2 >$RTC/wakealarm; then
		jiffies; jd=$((J + 5 * HZ)) c1=$c0 n=0
		while [ "$c1" -eq "$c0" ] && [ $n -lt 100 ]; do
			sleep 0.1; c1=$(irq_sum "$rirq"); jiffies; [ "$J" -gt $jd ] && break; n=$((n + 1))
		done
		if [ "$c1" -gt "$c0" ]; then ok rtc-alarm-irq "IRQ $rirq ($(irq_chip "$rirq")) $c0 -> $c1"
		else fail rtc-alarm-irq "IRQ $rirq ($(irq_chip "$rirq")) stayed at $c0 for 5 s after an alarm 2 s ahead"; fi
	else
		fail rtc-alarm-irq "cannot set $RTC/wakealarm"
	fi
else
	fail rtc-cmos "no /dev/rtc0 (rtc_cmos did not bind)"
fi
skip rtcwake-s3 "S3 suspend/resume is not implemented in splitvm (its only sleep state is S5)"

# ---- the PCI device: virtio-rng, INTA# level on an IO-APIC pin ----
vio=""
for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m.ko" 2>/dev/null || info "insmod $m failed"
done
jiffies; jd=$((J + 3 * HZ))
while [ ! -c /dev/hwrng ] || ! grep -q virtio /sys/class/misc/hw_random/rng_current 2>/dev/null; do
	sleep 0.1; jiffies; [ "$J" -gt $jd ] && break
done
vio=$(irq_named virtio0)
if [ -z "$vio" ] && { has noapic || has nolapic; }; then
	# the _PRT and the MP table route INTA# to GSI 17, an IO-APIC pin; the
	# DSDT has no PIC-mode routing (_PIC, link devices) yet, so with the
	# 8259 alone the driver gets no usable IRQ
	skip pci-virtio-rng "8259 only ($wchip): INTA# is routed to GSI 17 only, no PIC-mode routing in the DSDT yet ($(dmesg | grep -m1 -o 'virtio_rng: probe.*'))"
elif [ -z "$vio" ]; then
	fail pci-virtio-rng "no virtio0 line in /proc/interrupts (rng_current: $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null))"
	dmesg | grep -iE 'virtio|pci 0000:00:01|irq' | tail -n 8 | while IFS= read -r l; do info "dmesg: $l"; done
else
	vchip=$(irq_chip "$vio")
	v0=$(irq_sum "$vio")
	got=$(timeout 20 head -c 65536 /dev/hwrng | wc -c)
	v1=$(irq_sum "$vio")
	case "$vchip" in *fasteoi*) lvl=1 ;; *) lvl=0 ;; esac
	if [ "$got" = 65536 ] && [ "$v1" -gt "$v0" ] && [ $lvl = 1 ]; then
		ok pci-virtio-rng "64 KiB from /dev/hwrng, IRQ $vio ($vchip) $v0 -> $v1"
	else
		fail pci-virtio-rng "$got of 65536 bytes from /dev/hwrng in 20 s, IRQ $vio ($vchip) $v0 -> $v1 (want fasteoi, counting)"
	fi
fi

# ---- smp_affinity of the device's IRQ and ttyS0's, moved while they fire ----
if [ "$(arg lxaffinity)" != 1 ]; then
	:
elif [ "$ncpu" -lt 2 ] || [ -z "$vio" ]; then
	skip irq-affinity "needs 2 or more CPUs and the virtio IRQ ($ncpu CPUs, IRQ '${vio}')"
else
	# a 64 KiB read (1024 requests, one interrupt each) runs while both
	# lines move to every CPU in turn; each round prints a line on the
	# tty, so ttyS0 interrupts too.  A lost interrupt leaves a virtio
	# request waiting forever: the read does not complete in its 40 s.
	# (On the nested KVM each move is a KVM_SET_GSI_ROUTING: about 90
	# requests a second get through, so 64 KiB takes about 12 s.)
	before=$(irq_cpus "$vio"); a0=$(irq_sum "$vio"); s0=$(irq_sum 4)
	(timeout 40 head -c 65536 /dev/hwrng | wc -c >/tmp/aff.bytes) &
	rpid=$!
	jiffies; jd=$((J + 30 * HZ)) rounds=0 werr=0
	while kill -0 $rpid 2>/dev/null; do
		c=0
		while [ $c -lt "$ncpu" ]; do
			m=$(printf %x $((1 << c)))
			echo "$m" >/proc/irq/$vio/smp_affinity 2>/dev/null || werr=$((werr + 1))
			echo "$m" >/proc/irq/4/smp_affinity 2>/dev/null || werr=$((werr + 1))
			c=$((c + 1))
		done
		rounds=$((rounds + 1))
		echo "linux-tty: affinity round $rounds" >/dev/console
		[ $((rounds % 10)) = 0 ] && info "affinity: round $rounds, virtio IRQ $vio on CPUs $(irq_cpus "$vio")"
		jiffies; [ "$J" -gt $jd ] && break
	done
	wait $rpid
	bytes=$(cat /tmp/aff.bytes 2>/dev/null)
	all=$(printf %x $(( (1 << ncpu) - 1 )))
	echo "$all" >/proc/irq/$vio/smp_affinity; echo "$all" >/proc/irq/4/smp_affinity
	after=$(irq_cpus "$vio")
	# every CPU whose count moved took some of the device's interrupts
	moved=$(echo "$before|$after" | awk -F'|' '{ n = split($1, b, " "); split($2, a, " "); for (i = 1; i <= n; i++) if (a[i] > b[i]) c++; print c + 0 }')
	# no line stuck afterwards: another read completes and ttyS0 still
	# interrupts
	post=$(timeout 10 head -c 4096 /dev/hwrng | wc -c)
	info "affinity: $rounds rounds, $werr refused writes, virtio IRQ per CPU before: $before after: $after"
	s1=$(irq_sum 4)
	if [ "$bytes" = 65536 ] && [ "$post" = 4096 ] && [ "$moved" -ge 2 ] && [ "$s1" -gt "$s0" ] && [ $werr = 0 ]; then
		ok irq-affinity "$rounds rounds over $ncpu CPUs, 64 KiB read, virtio IRQ on $moved CPUs ($a0 -> $(irq_sum "$vio")), ttyS0 $s0 -> $s1, 4 KiB after"
	else
		fail irq-affinity "$rounds rounds: read $bytes of 65536 bytes, $post of 4096 after, virtio IRQ on $moved CPUs, ttyS0 $s0 -> $s1, $werr refused writes"
	fi
fi

# ---- /proc/interrupts: the tick, ttyS0 and the PCI device all counted ----
# a line through the tty: its output goes out on ttyS0's THRE interrupts
timeout 5 sh -c 'echo "linux-tty: interrupt-driven output on ttyS0" >/dev/console'
sleep 0.2
tick1=$(( $(irq_sum LOC) + $(irq_sum 0) )); tty1=$(irq_sum 4)
vlast=0; [ -n "$vio" ] && vlast=$(irq_sum "$vio")
vneed=1; [ -z "$vio" ] && { has noapic || has nolapic; } && vneed=0   # pci-virtio-rng: SKIP
if [ $tick1 -gt $tick0 ] && [ "$tty1" -gt "$tty0" ] && { [ "$vlast" -gt 0 ] || [ $vneed = 0 ]; }; then
	ok interrupts-count "tick (LOC + IRQ 0) $tick0 -> $tick1, ttyS0 $tty0 -> $tty1 ($(irq_chip 4)), virtio $vlast"
else
	fail interrupts-count "tick $tick0 -> $tick1, ttyS0 $tty0 -> $tty1 ($(irq_chip 4)), virtio ${vio:-none} $vlast"
fi
grep -E '^ *(0|4|8|9|LOC|SPU|ERR|MIS|'"${vio:-none}"'):' /proc/interrupts | while IFS= read -r l; do info "interrupts: $l"; done

# ---- dmesg: no complaint, after everything above ----
bad=$(dmesg | grep -v 'linux-[a-z]*: ' | grep -E "IO-APIC \+ timer doesn't work|MP-BIOS bug|FW BUG|ACPI Error|ACPI BIOS Error|WARNING:|BUG:|Call Trace|nobody cared|lost interrupt|spurious 8259A interrupt")
if [ -z "$bad" ]; then
	ok dmesg-clean
else
	fail dmesg-clean "$(echo "$bad" | wc -l) lines, first: $(echo "$bad" | head -n 1)"
	echo "$bad" | head -n 20 | while IFS= read -r l; do info "dmesg: $l"; done
fi
# what else Linux found worth saying (not judged)
dmesg | grep -v 'linux-[a-z]*: ' | grep -iE 'error|fail|unable|timeout|not working|firmware bug' | head -n 10 | while IFS= read -r l; do info "dmesg-note: $l"; done

for x in /bin/extra-*; do [ -x "$x" ] && "$x"; done
info "uptime: $(cut -d' ' -f1 /proc/uptime)s"
if [ $nfail = 0 ]; then out "linux-result: PASS 0"; else out "linux-result: FAIL $nfail"; fi
[ $nfail = 0 ]
CHECK
sed -i "s/^HZ=@HZ@\$/HZ=$hz/" "$root/bin/linux-check"
for x in ${LINUX_CHECK_EXTRA:-}; do cp "$x" "$root/bin/extra-$(basename "$x")"; done
chmod +x "$root/init" "$root/bin/linux-check"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out"
echo "linux-initramfs: wrote $out ($(stat -c %s "$out") bytes; $kver, HZ=$hz, modules: ${mods# })"
