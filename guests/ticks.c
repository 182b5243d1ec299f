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
 * 1024 Hz), strict=1 (no tick lost or doubled: what the delay/catchup
 * policies promise), drain_ms=<after the window> (ms / 5).
 *
 * A tick owed from a host stall inside the window may arrive after it
 * (delay: one per EOI; catchup: no faster than 4 per period), so "lost"
 * and "doubled" are judged with the count D ms after the window: strict
 * fails when fewer ticks arrived by then than were due by the window's end,
 * or more than were due by then (both +-1 % + 2 for phase and time base).
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

/* One periodic source: its count, its rate as num/den ticks per us, the
 * time base around the write that started it (ta before, tb after), and
 * what the samples taken at every wake-up saw. */
struct source {
	const char *name;
	volatile unsigned *count;
	uint64_t num, den;
	uint64_t ta, tb;
	bool on;
	bool caught_up;      /* a drain sample had every tick due (lo) */
	unsigned over;       /* most ticks seen beyond the most that were due */
};

static unsigned periods(const struct source *s, uint64_t from, uint64_t to)
{
	return to > from ? (unsigned)((to - from) * s->num / s->den) : 0;
}

static void started(struct source *s, uint64_t ta)
{
	s->ta = ta;
	s->tb = now_us();
	s->on = true;
}

/* +-1 % + 2: a tick of phase at each end, and the time base */
static bool short_of(unsigned got, unsigned due) { return got * 100 + due + 200 < due * 100; }
static unsigned beyond(unsigned got, unsigned due)
{
	return got * 100 > due * 101 + 200 ? got - due : 0;
}

/* At time t (count read after t): due by then, between periods(tb, t) and
 * periods(ta, t) - the source started somewhere in [ta, tb]. */
static void sample(struct source *s, uint64_t t, bool drain)
{
	if (!s->on)
		return;
	unsigned c = *s->count, o = beyond(c, periods(s, s->ta, t));
	if (o > s->over)
		s->over = o;
	if (drain && !short_of(c, periods(s, s->tb, t)))
		s->caught_up = true;
}

/*
 * A tick owed from a host stall may arrive late (delay: at the next EOI;
 * catchup: no faster than 4 per period), so strict judges "lost" with the
 * drain: the source keeps running after the window, and at some wake-up in
 * it the count must have every tick due by then.  "Doubled" is judged at
 * every wake-up: never more ticks than were due.
 */
static void report(const struct source *s, uint64_t t, uint64_t t2, unsigned got, unsigned settled)
{
	char key[24];
	unsigned hi = periods(s, s->ta, t), lo2 = periods(s, s->tb, t2), hi2 = periods(s, s->ta, t2);
	value(s->name, "%u (want %u)", got, hi);
	snprintf_lite(key, sizeof(key), "%s_settled", s->name);
	value(key, "%u (due %u..%u)", settled, lo2, hi2);
	if (strict)
		check(s->caught_up && !s->over, s->name,
		      "%u ticks in the window (due %u), %u at the drain's end (due %u..%u); "
		      "%s, at most %u beyond what was due (+-1 %% + 2)", got, hi, settled, lo2, hi2,
		      s->caught_up ? "caught up in the drain" : "never caught up", s->over);
	else
		check(got >= 2 && got * 100 <= hi * 130 + 200, s->name, "%u ticks, want %u", got, hi);
}

int guest_main(void)
{
	char sbuf[8];
	const char *src = arg_str("src", sbuf, sizeof(sbuf), "all");
	bool all = strncmp(src, "all", 4) == 0;
	bool want_pit = all || !strncmp(src, "pit", 4), want_rtc = all || !strncmp(src, "rtc", 4);
	bool want_hpet = all || !strncmp(src, "hpet", 5);
	uint32_t window_us = arg_uint("ms", 100) * 1000u, hz = arg_uint("hz", 1000);
	uint32_t drain_us = arg_uint("drain_ms", window_us / 5000u) * 1000u;
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

	struct source pit = { "pit", &n_pit, PIT_HZ, (uint64_t)pit_count * 1000000u, 0, 0, false,
			      false, 0 };
	/* 32768 >> (RS - 1) Hz (MC146818A table 3) */
	struct source rtc = { "rtc", &n_rtc, 32768u >> (rs - 1), 1000000u, 0, 0, false, false, 0 };
	struct source hpet = { "hpet", &n_hpet, 1000000000u, (uint64_t)hpet_period * period_fs,
			       0, 0, false, false, 0 };
	/* counted from each source's start: a tick owed from a stall just
	 * after it is still the source's, whenever it arrives */
	n_pit = n_rtc = n_hpet = 0;
	if (want_pit)
		ioapic_rte_write(2, 0x30 | dest);
	if (want_rtc) {
		ioapic_rte_write(8, 0x38 | dest);
		cmos_write(0x0A, (uint8_t)(0x20 | rs)); /* DV 32.768 kHz, RS */
		cmos_read(0x0C);
		uint64_t ta = now_us();
		cmos_write(0x0B, 0x42);                  /* PIE, 24 h */
		started(&rtc, ta);
	}
	if (want_pit) {
		uint64_t ta = now_us();
		pit_ch0_periodic((uint16_t)pit_count);
		started(&pit, ta);
	}
	if (hpet_ok) {
		uint64_t ta = now_us();
		hw(0x010, 1);
		started(&hpet, ta);
	}
	uint64_t t0 = now_us(), t = t0;
	/* idle in HLT; every interrupt wakes the loop to look at the time */
	while (t - t0 < window_us) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		t = now_us();
		sample(&pit, t, false);
		sample(&rtc, t, false);
		sample(&hpet, t, false);
	}
	uint64_t t_end = t;
	unsigned got_pit = n_pit, got_rtc = n_rtc, got_hpet = n_hpet;
	/* the drain: the sources keep running, owed ticks come in */
	do {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		t = now_us();
		sample(&pit, t, true);
		sample(&rtc, t, true);
		sample(&hpet, t, true);
	} while (t - t_end < drain_us);
	unsigned set_pit = n_pit, set_rtc = n_rtc, set_hpet = n_hpet;
	cmos_write(0x0B, 0x02);
	hw(0x010, 0);
	ioapic_mask_all();

	outb(PIT_CMD, 0x30); /* channel 0 to mode 0 without a count: quiet */
	value("interval_us", "%u", (uint32_t)(t_end - t0));
	value("drain_us", "%u", (uint32_t)(t - t_end));
	if (pit.on)
		report(&pit, t_end, t, got_pit, set_pit);
	if (rtc.on)
		report(&rtc, t_end, t, got_rtc, set_rtc);
	if (hpet.on)
		report(&hpet, t_end, t, got_hpet, set_hpet);
	else if (want_hpet)
		skip("hpet", "no HPET timer 0 with a periodic route >= 16 (route cap %x)", route);
	return 0;
}
