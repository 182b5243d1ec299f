/* SPDX-License-Identifier: MIT */
/*
 * ticks: counts PIT (IRQ0 -> I/O APIC pin 2, 1 kHz), RTC (IRQ8, 1024 Hz) and
 * HPET (timer 0 periodic, 1 kHz) interrupts over a fixed interval of the
 * time base and prints the counts (used by the benchmarks).  Passes if each
 * source is periodic and no faster than programmed.  The guest idles in HLT
 * between interrupts, as an OS does.
 *
 * Command line: src=all|pit|rtc|hpet (all), ms=<interval> (100),
 * hz=<PIT and HPET rate> (1000), rtc_rs=<register A rate select 3..15> (6:
 * 1024 Hz), strict=1 (the count must be within 1 % + 2 of the expected:
 * what the delay/catchup policies promise).
 */
#include "runtime.h"

const char guest_name[] = "ticks";

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

static bool strict;

static void report(const char *name, unsigned got, unsigned want)
{
	value(name, "%u (want %u)", got, want);
	if (strict) /* neither lost nor doubled: one tick of phase at each end */
		check(got * 100 + want + 200 >= want * 100 && got * 100 <= want * 101 + 200, name,
		      "%u ticks, want %u (+-1 %% + 2)", got, want);
	else
		check(got >= 2 && got * 100 <= want * 130 + 200, name, "%u ticks, want %u", got, want);
}

int guest_main(void)
{
	char sbuf[8];
	const char *src = arg_str("src", sbuf, sizeof(sbuf), "all");
	bool all = strncmp(src, "all", 4) == 0;
	bool want_pit = all || !strncmp(src, "pit", 4), want_rtc = all || !strncmp(src, "rtc", 4);
	bool want_hpet = all || !strncmp(src, "hpet", 5);
	uint32_t window_us = arg_uint("ms", 100) * 1000u, hz = arg_uint("hz", 1000);
	uint32_t rs = arg_uint("rtc_rs", 6);
	strict = arg_uint("strict", 0) != 0;
	if (hz < 19 || hz > 10000)
		hz = 1000;
	if (rs < 3 || rs > 15)
		rs = 6;
	uint32_t pit_count = (PIT_HZ + hz / 2) / hz;
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
	bool hpet_ok = want_hpet && cap != 0xFFFFFFFF && period_fs && hpin >= 0 && (conf0 & (1u << 4));
	uint32_t hpet_period = hpet_ok ? (uint32_t)(1000000000000000ull / hz / period_fs) : 0;
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

	if (want_pit)
		ioapic_rte_write(2, 0x30 | dest);
	if (want_rtc) {
		ioapic_rte_write(8, 0x38 | dest);
		cmos_write(0x0A, (uint8_t)(0x20 | rs)); /* DV 32.768 kHz, RS */
		cmos_read(0x0C);
		cmos_write(0x0B, 0x42);                  /* PIE, 24 h */
	}
	if (want_pit)
		pit_ch0_periodic((uint16_t)pit_count);
	if (hpet_ok)
		hw(0x010, 1);
	n_pit = n_rtc = n_hpet = 0;
	uint64_t t0 = now_us(), t = t0;
	/* idle in HLT; every interrupt wakes the loop to look at the time */
	while (t - t0 < window_us) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		t = now_us();
	}
	uint64_t el = t - t0;
	unsigned pit = n_pit, rtc = n_rtc, hpet = n_hpet;
	cmos_write(0x0B, 0x02);
	hw(0x010, 0);
	ioapic_mask_all();

	outb(PIT_CMD, 0x30); /* channel 0 to mode 0 without a count: quiet */
	value("interval_us", "%u", (uint32_t)el);
	if (want_pit)
		report("pit", pit, (unsigned)(el * PIT_HZ / pit_count / 1000000));
	if (want_rtc) /* 32768 >> (RS - 1) Hz (MC146818A table 3) */
		report("rtc", rtc, (unsigned)((el * (32768u >> (rs - 1))) / 1000000));
	if (hpet_ok)
		report("hpet", hpet,
		       (unsigned)(el * 1000000000u / ((uint64_t)hpet_period * period_fs)));
	else if (want_hpet)
		skip("hpet", "no HPET timer 0 with a periodic route >= 16 (route cap %x)", route);
	return 0;
}
