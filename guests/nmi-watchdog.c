/* SPDX-License-Identifier: MIT */
/*
 * nmi-watchdog: Linux's old IO-APIC NMI watchdog setup.  Every CPU programs
 * LVT0 (LINT0) in NMI delivery mode; the 8254 drives IRQ0 of the 8259A,
 * whose INTR output is wired to LINT0 of every local APIC (virtual wire,
 * MultiProcessor Specification 1.4, 3.6.2.2), so each PIT period should
 * give one NMI on every CPU.  KVM's in-kernel PIT does this; a userspace
 * PIC that only drives vCPU 0 does not.  The per-CPU counts are printed so
 * the runner can show the implementations side by side.
 */
#include "runtime.h"

const char guest_name[] = "nmi-watchdog";

#define PERIOD_US 1000u
#define WINDOW_US 100000u

static void nmi_handler(struct frame *f)
{
	(void)f; /* counted per CPU in vec_count[cpu][2] by the dispatcher */
}

static void lint0_nmi(void *arg)
{
	(void)arg;
	lapic_write(LAPIC_LVT_LINT0, LVT_DM_NMI); /* edge, unmasked, NMI */
}

static void lint0_off(void *arg)
{
	(void)arg;
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED | LVT_DM_EXTINT);
}

int guest_main(void)
{
	cli();
	ioapic_mask_all();
	pic_init(0x20, 0x28, false);
	set_handler(2, nmi_handler);
	unsigned ncpu = fwcfg_cpu_count();
	unsigned online = smp_start(ncpu ? ncpu : 1, 2000);
	value("cpus", "%u", online);
	for (unsigned c = 0; c < online; c++)
		smp_call(c, lint0_nmi, NULL, 1000);
	vec_clear(2);

	pit_ch0_periodic((uint16_t)(PIT_HZ / (1000000u / PERIOD_US)));
	pic_set_mask((uint16_t)~1u); /* IRQ0 only */
	uint64_t t0 = now_us();
	delay_us(WINDOW_US);
	uint64_t el = now_us() - t0;
	pic_set_mask(0xFFFF);
	for (unsigned c = 0; c < online; c++)
		smp_call(c, lint0_off, NULL, 1000);

	unsigned want = (unsigned)(el / PERIOD_US);
	value("pit_periods", "%u", want);
	for (unsigned c = 0; c < online && c < MAX_CPUS; c++) {
		unsigned got = vec_count[c][2];
		char name[32];
		snprintf_lite(name, sizeof(name), "nmi_cpu%u", c);
		value(name, "%u of %u periods (%u%%)", got, want, want ? got * 100 / want : 0);
		/* Every CPU must see the PIT through LINT0, never more than once
		 * per period.  Fewer than one per period is not checked: NMIs
		 * coalesce while a vCPU is descheduled (one pending NMI), so on a
		 * loaded host the count alone cannot tell a lost edge from a
		 * coalesced one; the value above is for side-by-side comparison. */
		check(got >= 1 && got * 100 <= want * 130 + 200, name,
		      "%u NMIs for %u PIT periods on LINT0 in NMI mode", got, want);
	}
	return 0;
}
