#!/usr/bin/env bash
# Build the initramfs of the Linux guest that splitvm boots (issue 12):
# a static busybox, an /init that mounts proc/sys/devtmpfs, runs
# /bin/linux-check and powers off through ACPI S5 (poweroff -f).
#
#   scripts/linux-initramfs.sh OUT.gz
#
# Every line the guest prints starts with "linux-init:" or "linux-check:"
# (never "@@", which scripts/nested-kvm.sh keeps for its own lines).
# env LINUX_CHECK_EXTRA="PROG...": static programs copied to /bin and run
# by linux-check after its own checks (for one-off experiments).
# Needs busybox-static (/bin/busybox not dynamically linked), cpio, gzip.
set -euo pipefail

out=${1:?usage: linux-initramfs.sh OUT.gz}
bb=/bin/busybox
[ -x "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 || { echo "linux-initramfs: needs a static $bb (apt-get install busybox-static)" >&2; exit 2; }
command -v cpio >/dev/null || { echo "linux-initramfs: needs cpio" >&2; exit 2; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"

cat >"$root/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "linux-init: reached userspace at $(cut -d' ' -f1 /proc/uptime)s"
/bin/linux-check
echo "linux-init: powering off"
poweroff -f
INIT

# The checks, one "linux-check: NAME: ..." line each; issue 12 item 4
# grows this into the full list.
cat >"$root/bin/linux-check" <<'CHECK'
#!/bin/sh
p() { echo "linux-check: $*"; }
p "uname: $(uname -a)"
p "cpus-online: $(cat /sys/devices/system/cpu/online) ($(grep -c ^processor /proc/cpuinfo) in cpuinfo)"
p "cmdline: $(cat /proc/cmdline)"
p "clocksource-available: $(cat /sys/devices/system/clocksource/clocksource0/available_clocksource)"
p "clocksource-current: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
j0=$(grep -m1 '^jiffies' /proc/timer_list 2>/dev/null | tr -dc 0-9)
sleep 1
j1=$(grep -m1 '^jiffies' /proc/timer_list 2>/dev/null | tr -dc 0-9)
[ -n "$j0" ] && [ -n "$j1" ] && p "jiffies-per-1s-sleep: $((j1 - j0))"
while IFS= read -r l; do p "interrupts: $l"; done </proc/interrupts
dmesg | grep -iE 'WARNING:|BUG:|Call Trace|ACPI Error|ACPI BIOS Error|FW BUG|MP-BIOS bug|IO-APIC \+ timer|nobody cared|lost interrupt|spurious 8259A|error|fail|unable|timeout|not working|panic' \
	| while IFS= read -r l; do p "dmesg-complaint: $l"; done
for x in /bin/extra-*; do [ -x "$x" ] && "$x"; done
p "uptime: $(cut -d' ' -f1 /proc/uptime)s"
CHECK
for x in ${LINUX_CHECK_EXTRA:-}; do cp "$x" "$root/bin/extra-$(basename "$x")"; done
chmod +x "$root/init" "$root/bin/linux-check"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out"
echo "linux-initramfs: wrote $out ($(stat -c %s "$out") bytes)"
