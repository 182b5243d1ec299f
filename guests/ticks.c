/* SPDX-License-Identifier: MIT */
/*
 * ticks: counts PIT (IRQ0 -> I/O APIC pin 2, 1 kHz), RTC (IRQ8, 1024 Hz) and
 * HPET (timer 0 periodic, 1 kHz) interrupts together over a fixed interval
 * of the time base and prints the counts (used by the benchmarks).  Passes
 * if each source is periodic and no faster than programmed.
 */
#include "runtime.h"

const char guest_name[] = "ticks";

#define WINDOW_US 100000u
#define HPET_BASE 0xFED00000u

static volatile unsigned n_pit, n_rtc, n_hpet;

static void pit_tick(struct frame *f)
{
	(void)f;
	n_pit++;
	lapic_eoi();
}

static void rtc_tick(struct frame *f)
{
	(void)f;
	if (cmos_read(0x0C) & 0x40) /* register C: PF */
		n_rtc++;
	lapic_eoi();
}

static void hpet_tick(struct frame *f)
{
	(void)f;
	n_hpet++;
	lapic_eoi();
}

static uint32_t hr(uint32_t off) { return mmio_read32(HPET_BASE + off); }
static void hw(uint32_t off, uint32_t v) { mmio_write32(HPET_BASE + off, v); }

static void report(const char *name, unsigned got, unsigned want)
{
	value(name, "%u (want %u)", got, want);
	check(got >= 2 && got * 100 <= want * 130 + 200, name, "%u ticks, want %u", got, want);
}

int guest_main(void)
{
	cli();
	pic_init(0x20, 0x28, false);
	ioapic_mask_all();
	uint64_t dest = (uint64_t)lapic_id() << 56;
	set_handler(0x30, pit_tick);
	set_handler(0x38, rtc_tick);
	set_handler(0x40, hpet_tick);

	/* HPET timer 0: a route >= 16, so it does not share pin 2 with the PIT */
	int hpin = -1;
	uint32_t cap = hr(0x000), period_fs = hr(0x004);
	uint32_t route = hr(0x104), conf0 = hr(0x100);
	for (int p = 16; p < 24 && hpin < 0; p++)
		if (route & (1u << p))
			hpin = p;
	bool hpet_ok = cap != 0xFFFFFFFF && period_fs && hpin >= 0 && (conf0 & (1u << 4));
	uint32_t hpet_period = hpet_ok ? (uint32_t)(1000000000000ull / period_fs) : 0;
	if (hpet_ok) {
		hw(0x010, 0);
		hw(0x0F0, 0);
		hw(0x0F4, 0);
		ioapic_rte_write((unsigned)hpin, 0x40 | dest);
		uint32_t c = (uint32_t)(hpin << 9) | (1u << 3) | (1u << 2); /* periodic, INT_ENB */
		hw(0x100, c | (1u << 6));
		hw(0x108, hpet_period);
		hw(0x100, c | (1u << 6));
		hw(0x10C, 0);
	}

	ioapic_rte_write(2, 0x30 | dest);
	ioapic_rte_write(8, 0x38 | dest);
	cmos_write(0x0A, 0x26);          /* DV 32.768 kHz, RS 6: 1024 Hz */
	cmos_read(0x0C);
	cmos_write(0x0B, 0x42);          /* PIE, 24 h */
	pit_ch0_periodic(1193);
	if (hpet_ok)
		hw(0x010, 1);
	n_pit = n_rtc = n_hpet = 0;
	uint64_t t0 = now_us();
	sti();
	delay_us(WINDOW_US);
	cli();
	uint64_t el = now_us() - t0;
	unsigned pit = n_pit, rtc = n_rtc, hpet = n_hpet;
	cmos_write(0x0B, 0x02);
	hw(0x010, 0);
	ioapic_mask_all();

	value("interval_us", "%u", (uint32_t)el);
	report("pit", pit, (unsigned)(el * 1193182 / 1193 / 1000000));
	report("rtc", rtc, (unsigned)(el * 1024 / 1000000));
	if (hpet_ok)
		report("hpet", hpet,
		       (unsigned)(el / ((uint64_t)hpet_period * period_fs / 1000000000)));
	else
		skip("hpet", "no HPET timer 0 with a periodic route >= 16 (route cap %x)", route);
	return 0;
}
