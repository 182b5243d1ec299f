/* SPDX-License-Identifier: MIT */
/*
 * hello: boots through Multiboot v1, prints the command line and the fw_cfg
 * CPU count, starts every AP with INIT-SIPI-SIPI and has each one report in.
 */
#include "runtime.h"

const char guest_name[] = "hello";

static volatile uint32_t reported[MAX_CPUS];

static void report_in(void *arg)
{
	(void)arg;
	unsigned idx = this_cpu();
	printf("cpu %u: hello from apic id %u\n", idx, lapic_id());
	reported[idx] = 1;
}

static void self_ipi_handler(struct frame *f)
{
	(void)f;
	lapic_eoi();
}

int guest_main(void)
{
	check(mb_magic == MB_MAGIC_EAX, "multiboot_magic", "eax=%x", mb_magic);
	check(mb_copy.flags & (1u << 2), "cmdline_present", "flags=%x", mb_copy.flags);
	printf("cmdline: '%s'\n", mb_cmdline);
	check((mb_copy.flags & 1) && mb_copy.mem_upper >= 1024, "mem_upper",
	      "mem_lower=%u KiB mem_upper=%u KiB", mb_copy.mem_lower, mb_copy.mem_upper);

	bool fw = fwcfg_present();
	check(fw, "fwcfg_signature", "%s", fw ? "QEMU" : "absent");
	unsigned ncpu = fwcfg_cpu_count();
	value("fwcfg_cpus", "%u", ncpu);
	if (ncpu == 0)
		ncpu = 1;
	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS; /* the runtime parks APs beyond MAX_CPUS */

	uint32_t ver = lapic_read(LAPIC_VER);
	value("lapic_version", "%x max_lvt %u", ver & 0xFF, ((ver >> 16) & 0xFF) + 1);
	value("bsp_apic_id", "%u", lapic_id());

	unsigned online = smp_start(ncpu, 2000);
	check(online == ncpu, "ap_startup", "%u of %u cpus online", online, ncpu);
	for (unsigned i = 0; i < online; i++)
		smp_call(i, report_in, NULL, 1000);
	unsigned n = 0;
	for (unsigned i = 0; i < online; i++)
		n += reported[i];
	check(n == online, "ap_report_in", "%u of %u reported", n, online);

	/* distinct APIC IDs */
	bool distinct = true;
	for (unsigned i = 0; i < online; i++)
		for (unsigned j = i + 1; j < online; j++)
			distinct &= cpu_apic_id[i] != cpu_apic_id[j];
	check(distinct, "apic_ids_distinct", "%u cpus", online);

	/* x2APIC (SDM 11.12): MSR access to the same LAPIC, self IPI through MSR 0x83F */
	if (x2apic_supported()) {
		uint32_t xid = lapic_id();
		x2apic_enable();
		check(lapic_id() == xid, "x2apic_id", "xapic %u x2apic %u", xid, lapic_id());
		set_handler(0x61, self_ipi_handler);
		vec_clear(0x61);
		wrmsr(0x83F, 0x61);
		sti();
		WAIT_US(vec_total(0x61) > 0, 100000);
		cli();
		check(vec_total(0x61) == 1, "x2apic_self_ipi", "%u interrupts", vec_total(0x61));
	} else {
		skip("x2apic_self_ipi", "CPUID.1:ECX.x2APIC[21] = 0");
	}
	return 0;
}
