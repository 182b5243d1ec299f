#!/usr/bin/env bash
# Run splitvm on a REAL KVM when the host has no /dev/kvm: boot a Debian
# kernel under QEMU TCG with an emulated AMD SVM CPU, load kvm + kvm_amd
# inside it, and run every test guest (build/guests/*.elf) with splitvm in
# both irqchip modes there.  Prints a matrix guest x mode.
#
#   scripts/nested-kvm.sh [--build DIR] [--out DIR] [--cpu MODEL] [--smp N]
#                         [--mem MiB] [--guests "hello pic"]
#                         [--modes "split kernel"] [--guest-timeout S]
#                         [--timeout S] [--no-install] [--runs FILE]
#
#   --build DIR          where build/guests/*.elf are (default build)
#   --out DIR            work dir: initramfs, console log, per-run logs
#                        (default /tmp/nested-kvm)
#   --cpu MODEL          QEMU -cpu for the outer VM (default max; EPYC and
#                        qemu64,+svm also work in principle)
#   --smp N              outer VM vCPUs (default 2)
#   --vcpus N            splitvm --cpus N (default 2)
#   --guest-timeout S    per splitvm run inside the VM (default 300)
#   --timeout S          whole outer QEMU run (default 2400)
#   --no-install         do not apt-get install missing packages
#   --runs FILE          instead of guests x modes, the runs listed in FILE,
#                        one per line: id|mode|guest|vcpus|hog|splitvm args|append
#                        (hog=1: a busy loop on every CPU of the outer VM while
#                        the run lasts); logs in OUT/logs/<id>.log, no matrix
#                        (scripts/bench-kvm.sh uses this).  mode qemu-split or
#                        qemu-on runs QEMU itself on the nested KVM (-accel kvm
#                        -M pc,kernel-irqchip=split|on; "splitvm args" go to
#                        QEMU); the initramfs then carries QEMU, its libraries
#                        and firmware.  Guest "linux" is the Debian kernel
#                        itself (--kernel /guests/vmlinuz --initrd
#                        /guests/linux-initrd.gz from scripts/linux-initramfs.sh,
#                        --mem 256); its "append" is the whole kernel command
#                        line (default console=ttyS0); the guest's line
#                        "linux-info: rtc-probe ..." gets this host's date
#                        +%s as it passes ("rtc-probe host=N ..."); give it --no-xsave in
#                        "splitvm args" for a clean boot (docs/SPLITVM.md
#                        "CPUID and the nested KVM")
#   (env NESTED_STALL=S: console silence that counts as a hung VM, default
#   90; NESTED_DEADLINE=EPOCH: no boot runs past it)
#   --host-hog           a busy loop on every CPU of this host (outside the
#                        VM) from the moment /dev/kvm is up inside it until
#                        the VM ends: the runs see a starved host, the boot
#                        does not
#
# Needs: qemu-system-x86_64, a Debian amd64 kernel with kvm.ko/kvm-amd.ko
# (linux-image-amd64), busybox-static, kmod (modinfo), cpio, gzip, gcc with
# a static glibc (libc6-dev).  Missing packages are installed with apt-get
# when running as root.  splitvm is rebuilt statically from vmm/ and lib/
# (the initramfs has no libc).
#
# Everything is emulated (TCG, no host KVM), so it is slow: the boot takes
# a few seconds, the whole matrix about two minutes on 2 cores (the ticks
# guest alone about a minute in split mode, where every tick is several
# emulated VM exits), and timing-sensitive checks see a slow, jittery CPU.
# Exit status: 0 all PASS, 1 some FAIL, 2 setup problem / no /dev/kvm.
set -u

BUILD=build
OUT=/tmp/nested-kvm
CPU=max
SMP=2
MEM=1024
GUESTS=""
MODES="split kernel"
GTIMEOUT=300
TIMEOUT=2400
INSTALL=1
VCPUS=2
RUNSFILE=""
HOSTHOG=0
KAPPEND=${KAPPEND:-loglevel=6}
QEMU=${QEMU:-qemu-system-x86_64}

while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--cpu) CPU=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--guests) GUESTS=$2; shift 2 ;;
	--modes) MODES=$2; shift 2 ;;
	--guest-timeout) GTIMEOUT=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--no-install) INSTALL=0; shift ;;
	--vcpus) VCPUS=$2; shift 2 ;;
	--runs) RUNSFILE=$2; shift 2 ;;
	--host-hog) HOSTHOG=1; shift ;;
	-h|--help) sed -n '2,48p' "$0"; exit 0 ;;
	*) echo "nested-kvm: unknown option $1" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.." || exit 2
die() { echo "nested-kvm: $*" >&2; exit 2; }

# ---- packages ----
need_pkgs=""
command -v "$QEMU" >/dev/null 2>&1 || need_pkgs="$need_pkgs qemu-system-x86"
ls /boot/vmlinuz-* >/dev/null 2>&1 || need_pkgs="$need_pkgs linux-image-amd64"
# a static busybox (the initramfs has no libc)
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then need_pkgs="$need_pkgs busybox-static"; fi
command -v modinfo >/dev/null 2>&1 || need_pkgs="$need_pkgs kmod"
command -v cpio >/dev/null 2>&1 || need_pkgs="$need_pkgs cpio"
command -v pkill >/dev/null 2>&1 || need_pkgs="$need_pkgs procps"   # kill_vm
command -v gcc >/dev/null 2>&1 || need_pkgs="$need_pkgs gcc libc6-dev"
[ -e /usr/include/seccomp.h ] || need_pkgs="$need_pkgs libseccomp-dev"   # libseccomp.a: splitvm's sandbox
if [ -n "$need_pkgs" ]; then
	if [ "$INSTALL" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "nested-kvm: installing$need_pkgs"
		apt-get update -qq >/dev/null 2>&1
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$need_pkgs >/dev/null || die "apt-get install$need_pkgs failed"
	else
		die "missing packages:$need_pkgs (install them as root)"
	fi
fi

# newest installed kernel that has kvm-amd.ko
KVER=""
for v in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V -r); do
	if [ -e "/boot/vmlinuz-$v" ] && modinfo -k "$v" -F filename kvm-amd >/dev/null 2>&1; then
		KVER=$v; break
	fi
done
[ -n "$KVER" ] || die "no /boot/vmlinuz-* with a kvm-amd module (apt-get install linux-image-amd64)"
[ -r "/boot/vmlinuz-$KVER" ] || die "/boot/vmlinuz-$KVER not readable (run as root)"

if [ -n "$RUNSFILE" ]; then
	[ -r "$RUNSFILE" ] || die "cannot read $RUNSFILE"
	GUESTS=$(grep -v '^#' "$RUNSFILE" | cut -d'|' -f3 | sort -u | tr '\n' ' ')
elif [ -z "$GUESTS" ]; then
	for f in "$BUILD"/guests/*.elf; do
		[ -e "$f" ] && GUESTS="$GUESTS $(basename "$f" .elf)"
	done
fi
GUESTS=${GUESTS# }
[ -n "$GUESTS" ] || die "no guests in $BUILD/guests (run make guests)"

mkdir -p "$OUT" || die "cannot create $OUT"
LOGDIR="$OUT/logs"
rm -rf "$LOGDIR" "$OUT/root"
mkdir -p "$LOGDIR"

# ---- static splitvm ----
echo "nested-kvm: building static splitvm ($(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
# NESTED_SPLITVM_CFLAGS: extra flags, e.g. scripts/hostile.sh's UBSan build
# (-fsanitize=undefined -fsanitize-undefined-trap-on-error links statically;
# ASan does not link with -static)
# shellcheck disable=SC2086
gcc -std=c11 -D_GNU_SOURCE -O2 -g ${NESTED_SPLITVM_CFLAGS:-} -Iinclude vmm/*.c lib/*.c kvm/*.c -lseccomp -lpthread -lrt -static \
	-o "$OUT/splitvm-static" || die "static build of splitvm failed"

# ---- initramfs ----
R="$OUT/root"
mkdir -p "$R"/{bin,dev,proc,sys,tmp,guests,lib/modules}
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
cp "$OUT/splitvm-static" "$R/bin/splitvm"
for g in $GUESTS; do
	case $g in
	linux)   # the Debian kernel itself, with the check initramfs (issue 12)
		cp "/boot/vmlinuz-$KVER" "$R/guests/vmlinuz" || die "cannot copy /boot/vmlinuz-$KVER"
		LINUX_KVER=$KVER scripts/linux-initramfs.sh "$R/guests/linux-initrd.gz" >/dev/null || die "scripts/linux-initramfs.sh failed" ;;
	*) cp "$BUILD/guests/$g.elf" "$R/guests/" || die "missing $BUILD/guests/$g.elf" ;;
	esac
done
# QEMU itself for the qemu-split / qemu-on modes: the binary, every shared
# library it loads (same paths) and the firmware a pc machine with a
# Multiboot -kernel needs (SeaBIOS, the multiboot option ROM, kvmvapic)
if [ -n "$RUNSFILE" ] && grep -v '^#' "$RUNSFILE" | cut -d'|' -f2 | grep -q '^qemu-'; then
	qbin=$(command -v "$QEMU") || die "no $QEMU for the qemu modes"
	mkdir -p "$R/usr/bin" "$R/usr/share/qemu"
	cp "$qbin" "$R/usr/bin/qemu-system-x86_64"
	for l in $(ldd "$qbin" | grep -o '/[^ ]*'); do
		mkdir -p "$R$(dirname "$l")" && cp -L "$l" "$R$l"
	done
	for f in bios-256k.bin multiboot_dma.bin multiboot.bin linuxboot_dma.bin kvmvapic.bin; do
		cp -L "/usr/share/qemu/$f" "$R/usr/share/qemu/" 2>/dev/null ||
			cp -L "/usr/share/seabios/$f" "$R/usr/share/qemu/" 2>/dev/null ||
			die "QEMU firmware $f not found"
	done
fi
# the runs: id|mode|guest|vcpus|hog|splitvm args|append
if [ -n "$RUNSFILE" ]; then
	grep -v '^#' "$RUNSFILE" | grep '|' >"$R/runs"
else
	for mode in $MODES; do
		for g in $GUESTS; do echo "$mode/$g|$mode|$g|$VCPUS|0||"; done
	done >"$R/runs"
fi
[ "$(id -u)" = 0 ] && mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null

# kvm-amd and its dependencies, in load order
MODS=""
add_mod() {
	local m=$1 d f
	case " $MODS " in *" $m "*) return ;; esac
	for d in $(modinfo -k "$KVER" -F depends "$m" | tr ',' ' '); do add_mod "$d"; done
	f=$(modinfo -k "$KVER" -F filename "$m") || die "module $m not found"
	case "$f" in
	*.ko) cp "$f" "$R/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$R/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$R/lib/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$R/lib/modules/$m.ko" ;;
	*) die "module $m: $f" ;;
	esac
	MODS="$MODS $m"
}
add_mod kvm-amd
MODS=${MODS# }

cat >"$R/init" <<EOF
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
(while sleep 15; do echo "@@ alive \$(cut -d' ' -f1 /proc/uptime)s load \$(cut -d' ' -f1-3 /proc/loadavg)"; done) &
echo "@@ kernel \$(uname -r)"
echo "@@ cpu \$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-)"
echo "@@ svm-flag \$(grep -c -w svm /proc/cpuinfo) of \$(grep -c ^processor /proc/cpuinfo) cpus"
for m in $MODS; do
	case \$m in
	kvm-amd) p="nested=0" ;;
	*) p="" ;;
	esac
	if insmod /lib/modules/\$m.ko \$p; then echo "@@ insmod \$m ok"; else echo "@@ insmod \$m FAILED"; fi
done
if [ -c /dev/kvm ]; then echo "@@ dev-kvm present"; else echo "@@ dev-kvm ABSENT"; fi
for p in /sys/module/kvm_amd/parameters/*; do [ -r "\$p" ] && echo "@@ param \${p##*/}=\$(cat \$p)"; done 2>/dev/null
dmesg | grep -iE 'kvm|svm' | sed 's/^/@@ dmesg /'
if [ -c /dev/kvm ]; then
	ncpu=\$(grep -c ^processor /proc/cpuinfo)
	while IFS='|' read -r id mode g vcpus hog extra app; do
		[ -n "\$id" ] || continue
		hogs=""
		if [ "\$hog" = 1 ]; then
			i=0
			while [ \$i -lt \$ncpu ]; do nice -n 19 yes >/dev/null & hogs="\$hogs \$!"; i=\$((i + 1)); done
		fi
		echo "@@ BEGIN \$id"
		t0=\$(date +%s)
		case \$mode in
		qemu-*)
			# QEMU on the same KVM: kernel-irqchip=split or on.  vapic
			# off: QEMU's TPR patching (kvmvapic.bin) would take TPR
			# accesses, which stay in KVM's LAPIC otherwise, to QEMU
			# shellcheck disable=SC2086
			timeout -s KILL $GTIMEOUT /usr/bin/qemu-system-x86_64 -L /usr/share/qemu \\
				-accel kvm -M pc,kernel-irqchip=\${mode#qemu-} -smp \$vcpus -m 64 \\
				-display none -nodefaults -no-reboot -serial stdio \\
				-device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev \\
				-global hpet.hpet-intcap=0xff0104 -global hpet.msi=on \\
				-global kvm-apic.vapic=false \$extra \\
				-kernel /guests/\$g.elf -append "guest-test mode=\$mode \$app" </dev/null 2>&1
			rc=\$? ;;
		*)
			if [ "\$g" = linux ]; then
				# a Linux guest: "append" is its whole command line.
				# Its RTC probe line gets this host's clock as it
				# passes (the guest cannot read the host's clock:
				# scripts/linux-initramfs.sh, rtc-host-date)
				# shellcheck disable=SC2086
				{ timeout -s KILL $GTIMEOUT splitvm --kernel /guests/vmlinuz \\
					--initrd /guests/linux-initrd.gz --mem 256 \\
					--append "\${app:-console=ttyS0}" --cpus \$vcpus \\
					--irqchip \$mode --stats \$extra </dev/null 2>&1
				  echo \$? >/tmp/splitvm.rc; } | while IFS= read -r l || [ -n "\$l" ]; do
					case \$l in
					*"linux-info: rtc-probe "*) echo "\${l%%linux-info: rtc-probe *}linux-info: rtc-probe host=\$(date +%s) \${l#*linux-info: rtc-probe }" ;;
					*) printf '%s\\n' "\$l" ;;
					esac
				done
				rc=\$(cat /tmp/splitvm.rc)
				rm -f /tmp/splitvm.rc
			else
				# shellcheck disable=SC2086
				timeout -s KILL $GTIMEOUT splitvm --kernel /guests/\$g.elf \\
					--append "guest-test mode=splitvm-\$mode \$app" --cpus \$vcpus --mem 64 \\
					--irqchip \$mode --stats \$extra </dev/null 2>&1
				rc=\$?
			fi
			rc=\${rc:-255} ;;
		esac
		[ -n "\$hogs" ] && kill \$hogs 2>/dev/null
		echo "@@ END \$id rc=\$rc secs=\$((\$(date +%s) - t0))"
		dmesg -c | sed 's/^/@@ dmesg /'
	done </runs
fi
echo "@@ DONE"
sync
poweroff -f
EOF
chmod +x "$R/init"
cp "/boot/vmlinuz-$KVER" "$OUT/vmlinuz"

# ---- boot ----
# The nested VM itself has hung a few times (QEMU TCG running kvm_amd: no
# "@@" line at all, not even the 15 s "alive" lines, only the kernel's soft
# lockup reports).  A watchdog kills it when no "@@" line comes for STALL
# seconds; the run it was in
# is recorded as hung ("@@ END <id> rc=hung") and the VM is booted again for
# the runs left, at most MAXBOOTS times.
CONSOLE="$OUT/console.log"
STALL=${NESTED_STALL:-90}
MAXBOOTS=3
DEADLINE=${NESTED_DEADLINE:-0}   # epoch seconds: no boot runs past it (0: none)
echo "nested-kvm: booting $KVER under $QEMU -accel tcg -cpu $CPU -smp $SMP (timeout ${TIMEOUT}s)"
echo "nested-kvm: guests: $GUESTS; modes: $MODES; console log: $CONSOLE"
rm -f "$CONSOLE.raw" "$CONSOLE"
: >"$CONSOLE"
hogpids=""
qpid=""
# QEMU runs under timeout(1): killing only the timeout process (SIGKILL is
# not passed on) would leave the VM running, and a leaked TCG VM starves
# every later run on this machine.  Kill the child first.
kill_vm() { pkill -9 -P "$1" 2>/dev/null; kill -9 "$1" 2>/dev/null; }
# shellcheck disable=SC2086
trap '[ -n "$hogpids" ] && kill $hogpids 2>/dev/null; [ -n "$qpid" ] && kill_vm $qpid' EXIT
trap 'exit 143' TERM INT
boot_once() {   # $R/runs -> console appended to $CONSOLE; sets qrc, stalled
	local last size now lastsize=-1 _
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/initramfs.gz" || die "cpio failed"
	: >"$CONSOLE.raw"
	local limit=$TIMEOUT
	if [ "$DEADLINE" -gt 0 ] && [ $((DEADLINE - $(date +%s))) -lt "$limit" ]; then
		limit=$((DEADLINE - $(date +%s)))
		[ "$limit" -gt 30 ] || limit=30
	fi
	timeout -k 10 "$limit" "$QEMU" -accel tcg,thread=multi -cpu "$CPU" -smp "$SMP" -m "$MEM" \
		-M q35 -display none -no-reboot -nodefaults -serial "file:$CONSOLE.raw" \
		-kernel "$OUT/vmlinuz" -initrd "$OUT/initramfs.gz" \
		-append "console=ttyS0 $KAPPEND panic=-1" </dev/null >"$OUT/qemu.log" 2>&1 &
	qpid=$!
	# follow the console: progress lines only
	tail -s 2 -n +1 -F --pid=$qpid "$CONSOLE.raw" 2>/dev/null | tr -d '\r' \
		| grep --line-buffered -E '^@@ (kernel|svm|insmod|dev-kvm|BEGIN|END|DONE|alive)|^\[ *[0-9.]+\] .*(BUG|WARN|lockup|stall|kvm|SVM|Call Trace)' &
	stalled=0
	last=$(date +%s)
	while kill -0 $qpid 2>/dev/null; do
		sleep 2
		now=$(date +%s)
		# progress = our own "@@" lines (a frozen kernel may still print
		# soft-lockup reports)
		size=$(grep -c '^@@' "$CONSOLE.raw" 2>/dev/null || echo 0)
		if [ "$size" != "$lastsize" ]; then lastsize=$size; last=$now; fi
		# --host-hog: starve the host once the nested KVM is up
		if [ "$HOSTHOG" = 1 ] && [ -z "$hogpids" ] && grep -q '^@@ dev-kvm' "$CONSOLE.raw" 2>/dev/null; then
			for _ in $(seq 1 "$(nproc)"); do
				sh -c 'while :; do :; done' & hogpids="$hogpids $!"
			done
			echo "nested-kvm: host hog on ($(nproc) busy loops)"
		fi
		if [ $((now - last)) -ge "$STALL" ]; then
			echo "nested-kvm: no progress line for ${STALL}s: the nested VM hung, killing it"
			stalled=1
			kill_vm $qpid
		elif grep -q 'soft lockup' "$CONSOLE.raw" 2>/dev/null; then
			# a vCPU of the nested kernel is stuck inside KVM (seen in
			# __apic_accept_irq under KVM_SIGNAL_MSI); the other one
			# still prints "alive" lines, but the run never recovers
			echo "nested-kvm: soft lockup in the nested kernel, killing it"
			stalled=1
			kill_vm $qpid
		fi
	done
	wait $qpid
	qrc=$?
	qpid=""
	# shellcheck disable=SC2086
	[ -n "$hogpids" ] && { kill $hogpids 2>/dev/null; wait $hogpids 2>/dev/null; }
	hogpids=""
	sleep 3
	tr -d '\r' <"$CONSOLE.raw" >>"$CONSOLE"
}
start=$(date +%s)
cp "$R/runs" "$OUT/runs.all"
boots=0
while :; do
	boot_once
	boots=$((boots + 1))
	# done, unless the VM hung, timed out or ended before its last run
	# (the nested kernel has panicked under kvm_amd: "corrupted stack end
	# detected inside scheduler")
	panicked=0
	tail -n 400 "$CONSOLE.raw" 2>/dev/null | grep -q 'Kernel panic' && panicked=1
	[ "$stalled" = 1 ] || [ "$qrc" = 124 ] || [ "$panicked" = 1 ] || break
	[ "$panicked" = 1 ] && echo "nested-kvm: the nested kernel panicked: $(grep -m1 -o 'Kernel panic.*' "$CONSOLE.raw" | tr -d '\r')"
	# the run in progress hung: record it, go on with the rest
	left=$(while IFS='|' read -r id _; do
		grep -q "^@@ END $id " "$CONSOLE" || echo "$id"
	done <"$R/runs")
	[ -n "$left" ] || break
	cur=$(echo "$left" | head -n 1)
	if grep -q "^@@ BEGIN $cur\$" "$CONSOLE"; then
		echo "@@ END $cur rc=hung secs=? (the nested VM hung or panicked in this run)" >>"$CONSOLE"
		echo "nested-kvm: $cur hung the nested VM"
	fi
	grep -v '^#' "$R/runs" | while IFS='|' read -r id rest; do
		grep -q "^@@ END $id " "$CONSOLE" || echo "$id|$rest"
	done >"$OUT/runs.left"
	[ -s "$OUT/runs.left" ] && [ "$boots" -lt "$MAXBOOTS" ] || break
	if [ "$DEADLINE" -gt 0 ] && [ $((DEADLINE - $(date +%s))) -lt 60 ]; then
		echo "nested-kvm: no time left for another boot ($(wc -l <"$OUT/runs.left") runs not run)"
		break
	fi
	cp "$OUT/runs.left" "$R/runs"
	echo "nested-kvm: booting again for $(wc -l <"$R/runs") runs left"
done
cp "$OUT/runs.all" "$R/runs"
elapsed=$(( $(date +%s) - start ))
echo "nested-kvm: outer QEMU exited with $qrc after ${elapsed}s ($boots boot(s))"

# ---- per-run logs ----
extract() { # id -> its log
	awk -v id="$1" '
		$0 == "@@ BEGIN " id { on = 1; next }
		on && index($0, "@@ END " id " ") == 1 { print; exit }
		on { print }' "$CONSOLE"
}
if [ -n "$RUNSFILE" ]; then
	allend=0
	while IFS='|' read -r id _; do
		[ -n "$id" ] || continue
		mkdir -p "$(dirname "$LOGDIR/$id.log")"
		extract "$id" >"$LOGDIR/$id.log"
		endl=$(grep '^@@ END ' "$LOGDIR/$id.log")
		printf 'nested-kvm: %-28s %s\n' "$id" "${endl:-NOT FINISHED}"
		[ -n "$endl" ] || allend=1
	done <"$R/runs"
	echo "nested-kvm: per-run logs in $LOGDIR, console in $CONSOLE"
	grep -q '^@@ dev-kvm present' "$CONSOLE" || { echo "nested-kvm: /dev/kvm did not appear inside the VM" >&2; exit 2; }
	exit $allend
fi

# ---- classification (same rules as scripts/guest-test.sh) ----
declare -A RESULT
anyfail=0
for mode in $MODES; do
	mkdir -p "$LOGDIR/$mode"
	for g in $GUESTS; do
		log="$LOGDIR/$mode/$g.log"
		extract "$mode/$g" >"$log"
		endl=$(grep '^@@ END ' "$log")
		if [ -z "$endl" ]; then
			if [ ! -s "$log" ]; then RESULT[$g,$mode]="NOT RUN"; else RESULT[$g,$mode]="FAIL (VM died during run)"; fi
			anyfail=1; continue
		fi
		rc=${endl##* rc=}; rc=${rc%% *}
		secs=${endl##* secs=}
		failed=$(sed -n 's/^check [^.]*\.\([^ :]*\): FAIL.*/\1/p' "$log" | tr '\n' ' ')
		if [ "$rc" = 1 ] && grep -q "^PASS $g\$" "$log"; then
			RESULT[$g,$mode]="PASS (${secs}s)"
		elif [ "$rc" = 3 ] && grep -q "^FAIL $g:" "$log"; then
			RESULT[$g,$mode]="FAIL: ${failed% } (${secs}s)"; anyfail=1
		elif [ "$rc" = 137 ]; then
			RESULT[$g,$mode]="FAIL (timeout ${GTIMEOUT}s)"; anyfail=1
		else
			last=$(grep -vE '^@@|^check|^value' "$log" | grep -iE 'error|fail|exception|KVM_|errno|unhandled|exit' | tail -n 1 | cut -c1-80)
			RESULT[$g,$mode]="FAIL (exit $rc${last:+: $last}) (${secs}s)"; anyfail=1
		fi
	done
done

MATRIX="$OUT/matrix.md"
{
	grep -E '^@@ (kernel|cpu|svm-flag|dev-kvm)' "$CONSOLE" | sed 's/^@@ /- /'
	echo
	echo "| guest |$(for m in $MODES; do printf ' splitvm-%s (nested KVM) |' "$m"; done)"
	echo "|---$(for _ in $MODES; do printf '|---'; done)|"
	for g in $GUESTS; do
		printf '| %s ' "$g"
		for m in $MODES; do printf '| %s ' "${RESULT[$g,$m]}"; done
		echo "|"
	done
	echo
	echo "Generated by scripts/nested-kvm.sh ($(date -u +%Y-%m-%d), kernel $KVER, -cpu $CPU, ${elapsed}s total)."
} >"$MATRIX"
echo
cat "$MATRIX"
# the failing checks, with the guests' own explanations
for m in $MODES; do
	for g in $GUESTS; do
		case "${RESULT[$g,$m]}" in PASS*) continue ;; esac
		echo
		echo "== splitvm-$m $g: ${RESULT[$g,$m]}"
		grep -E '^check .*: FAIL|^FAIL |^splitvm|error|errno|KVM_' "$LOGDIR/$m/$g.log" | head -n 20
	done
done
echo
echo "nested-kvm: matrix in $MATRIX, per-run logs in $LOGDIR, console in $CONSOLE"
grep -q '^@@ dev-kvm present' "$CONSOLE" || { echo "nested-kvm: /dev/kvm did not appear inside the VM" >&2; exit 2; }
exit $anyfail
