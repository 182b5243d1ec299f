/* SPDX-License-Identifier: MIT */
/*
 * hpet: the IA-PC HPET.  Capabilities, main counter rate, one-shot, periodic,
 * level-triggered status, 32-bit mode, legacy replacement routing, FSB (MSI)
 * delivery and a main counter that is monotonic across vCPUs.
 * References: IA-PC HPET Specification 1.0a, 2.3.4 (GCAP_ID), 2.3.5 (GEN_CONF:
 * ENABLE_CNF, LEG_RT_CNF), 2.3.6 (GINTR_STA), 2.3.7 (MAIN_CNT), 2.3.8 (Tn_CONF,
 * Tn_COMPARATOR, Tn_FSB_ROUTE), 2.3.9.2 (non-periodic and periodic modes,
 * 32-bit wrap interrupt), 2.4 (legacy replacement: timer 0 -> IRQ0 / I/O APIC
 * pin 2, timer 1 -> IRQ8).
 */
#include "runtime.h"

const char guest_name[] = "hpet";

#define HPET_BASE 0xFED00000u
#define HPET_GCAP_ID 0x000
#define HPET_GEN_CONF 0x010
#define HPET_GINTR_STA 0x020
#define HPET_MAIN_CNT 0x0F0
#define HPET_TN_CONF(n) (0x100 + 0x20 * (n))
#define HPET_TN_CMP(n) (0x108 + 0x20 * (n))
#define HPET_TN_FSB(n) (0x110 + 0x20 * (n))
#define GCAP_COUNT_SIZE_CAP (1u << 13)
#define GCAP_LEG_RT_CAP (1u << 15)
#define GEN_ENABLE_CNF (1u << 0)
#define GEN_LEG_RT_CNF (1u << 1)
#define HPET_TN_INT_TYPE_LEVEL (1u << 1)
#define HPET_TN_INT_ENB (1u << 2)
#define HPET_TN_TYPE_PERIODIC (1u << 3)
#define HPET_TN_PER_INT_CAP (1u << 4)
#define HPET_TN_SIZE_CAP (1u << 5)
#define HPET_TN_VAL_SET (1u << 6)
#define HPET_TN_32MODE (1u << 8)
#define HPET_TN_ROUTE_SHIFT 9
#define HPET_TN_FSB_EN (1u << 14)
#define HPET_TN_FSB_INT_DEL_CAP (1u << 15)

static uint32_t hr(uint32_t off) { return mmio_read32(HPET_BASE + off); }
static void hw(uint32_t off, uint32_t v) { mmio_write32(HPET_BASE + off, v); }

static uint64_t counter(void)
{
	for (;;) {
		uint32_t hi = hr(HPET_MAIN_CNT + 4);
		uint32_t lo = hr(HPET_MAIN_CNT);
		if (hr(HPET_MAIN_CNT + 4) == hi)
			return ((uint64_t)hi << 32) | lo;
	}
}

/* Counter read with its time (midpoint of a narrow bracket of time-base
 * reads; retried when the vCPU was preempted inside the bracket). */
static uint64_t counter_sample(uint64_t *when)
{
	uint64_t c = 0;
	for (int i = 0; i < 20; i++) {
		uint64_t x = now_us();
		c = counter();
		uint64_t y = now_us();
		*when = (x + y) / 2;
		if (y - x <= 50)
			break;
	}
	return c;
}

static void set_counter(uint64_t v)
{
	hw(HPET_MAIN_CNT, (uint32_t)v);
	hw(HPET_MAIN_CNT + 4, (uint32_t)(v >> 32));
}

static void set_cmp(unsigned n, uint64_t v, bool valset)
{
	uint32_t conf = hr(HPET_TN_CONF(n));
	if (valset)
		hw(HPET_TN_CONF(n), conf | HPET_TN_VAL_SET);
	hw(HPET_TN_CMP(n), (uint32_t)v);
	if (valset)
		hw(HPET_TN_CONF(n), conf | HPET_TN_VAL_SET);
	hw(HPET_TN_CMP(n) + 4, (uint32_t)(v >> 32));
}

static uint32_t period_fs;
static uint64_t ticks_per_ms;
static uint8_t bsp;
static volatile unsigned n_irq;
static volatile uint64_t t_irq[4];
static volatile uint32_t sta_at_irq;

static void edge_handler(struct frame *f)
{
	(void)f;
	unsigned n = n_irq;
	if (n < 4)
		t_irq[n] = now_us();
	n_irq = n + 1;
	lapic_eoi();
}

static volatile unsigned level_timer, n_level;
static void level_handler(struct frame *f)
{
	(void)f;
	sta_at_irq = hr(HPET_GINTR_STA);
	n_level++;
	hw(HPET_GINTR_STA, 1u << level_timer); /* write 1 to clear: deasserts the line */
	lapic_eoi();
}

/* Lowest I/O APIC pin >= 16 in the timer's INT_ROUTE_CAP, else a free ISA
 * pin, else pin 2 (shared with the 8254, which guest_main silences). */
static int pick_pin(unsigned n)
{
	uint32_t cap = hr(HPET_TN_CONF(n) + 4);
	for (int p = 16; p < 24; p++)
		if (cap & (1u << p))
			return p;
	for (int p = 3; p < 16; p++)
		if ((cap & (1u << p)) && p != 4 && p != 8)
			return p;
	return (cap & (1u << 2)) ? 2 : -1;
}

/* 8254 channel 0 in mode 1 with GATE0 tied high is never triggered: OUT0
 * stays at a constant level, so pin 2 sees no edges from it (8254 "Mode 1"). */
static void pit_silence(void)
{
	outb(PIT_CMD, 0x32);
	outb(PIT_CH0, 0xFF);
	outb(PIT_CH0, 0xFF);
}

static void stop_all(unsigned ntim)
{
	hw(HPET_GEN_CONF, 0);
	for (unsigned n = 0; n < ntim; n++)
		hw(HPET_TN_CONF(n), 0);
	hw(HPET_GINTR_STA, 0xFFFFFFFF);
}

static void arm_oneshot(unsigned n, int pin, bool level, uint32_t extra, uint64_t delta)
{
	hw(HPET_TN_CONF(n), (uint32_t)(pin << HPET_TN_ROUTE_SHIFT) | extra |
		(level ? HPET_TN_INT_TYPE_LEVEL : 0));
	set_cmp(n, counter() + delta, false);
	hw(HPET_TN_CONF(n), (uint32_t)(pin << HPET_TN_ROUTE_SHIFT) | extra | HPET_TN_INT_ENB |
		(level ? HPET_TN_INT_TYPE_LEVEL : 0));
}

static void window_us(uint32_t us)
{
	sti();
	delay_us(us);
	cli();
}

/* Wait (IF=1) until n interrupts arrived or timeout, then settle 2 ms so an
 * extra interrupt would be seen.  Long timeouts absorb a loaded host. */
static void wait_irqs(unsigned n, uint32_t timeout_us)
{
	sti();
	WAIT_US(n_irq >= n, timeout_us);
	delay_us(2000);
	cli();
}

static volatile uint64_t mono_last;
static volatile uint32_t mono_bad, mono_reads;
static void mono_step(void *arg)
{
	(void)arg;
	uint64_t prev = counter();
	if (prev < mono_last)
		mono_bad++;
	for (int i = 0; i < 50; i++) {
		uint64_t v = counter();
		if (v < prev)
			mono_bad++;
		prev = v;
	}
	mono_reads += 51;
	mono_last = prev;
}

int guest_main(void)
{
	cli();
	pic_init(0x20, 0x28, false);
	ioapic_mask_all();
	pit_silence();
	bsp = (uint8_t)lapic_id();

	uint32_t cap = hr(HPET_GCAP_ID);
	period_fs = hr(HPET_GCAP_ID + 4);
	unsigned ntim = ((cap >> 8) & 0x1F) + 1;
	value("gcap_id", "%08x period %u fs, %u timers, vendor %x", cap, period_fs, ntim, cap >> 16);
	if (cap == 0xFFFFFFFF || period_fs == 0) {
		check(false, "present", "GCAP_ID %x period %u", cap, period_fs);
		return 0;
	}
	check(period_fs <= 100000000u, "period_at_most_100ns", "%u fs", period_fs);
	check(ntim >= 3, "at_least_3_timers", "%u", ntim);
	if (ntim > 32)
		ntim = 32;
	ticks_per_ms = 1000000000000ull / period_fs;
	for (unsigned n = 0; n < ntim && n < 8; n++)
		value("timer_cap", "T%u conf %08x route_cap %08x", n, hr(HPET_TN_CONF(n)),
		      hr(HPET_TN_CONF(n) + 4));
	stop_all(ntim);

	/* main counter: halted while ENABLE_CNF=0, writable, then counts */
	set_counter(0x1234);
	delay_us(200);
	uint64_t c0 = counter();
	check(c0 == 0x1234, "halted_counter_holds", "%x", (uint32_t)c0);
	hw(HPET_GEN_CONF, GEN_ENABLE_CNF);
	uint64_t t0, t1;
	uint64_t a = counter_sample(&t0);
	delay_us(20000);
	uint64_t b = counter_sample(&t1);
	uint64_t us = (t1 - t0);
	uint64_t want = us * ticks_per_ms / 1000;
	value("counter_ticks_20ms", "%u (want %u)", (uint32_t)(b - a), (uint32_t)want);
	check(b > a && (b - a) * 100 >= want * 90 && (b - a) * 100 <= want * 110, "counter_rate",
	      "%u ticks in %u us, want %u", (uint32_t)(b - a), (uint32_t)us, (uint32_t)want);

	int pin2 = pick_pin(2), pin0 = pick_pin(0), pin1 = pick_pin(1);
	value("pins", "T0 %d T1 %d T2 %d", pin0, pin1, pin2);
	set_handler(0x60, edge_handler);
	set_handler(0x61, edge_handler);
	set_handler(0x62, edge_handler);
	set_handler(0x63, level_handler);

	/* one-shot, edge, timer 2 */
	if (pin2 >= 0) {
		ioapic_rte_write((unsigned)pin2, 0x62 | ((uint64_t)bsp << 56));
		n_irq = 0;
		uint64_t s = now_us();
		/* 10 ms ahead: under nested virtualisation each MMIO exit can take
		 * a millisecond, and a comparator already passed never fires */
		arm_oneshot(2, pin2, false, 0, 10 * ticks_per_ms);
		wait_irqs(1, 400000);
		uint32_t lat = n_irq ? (uint32_t)(t_irq[0] - s) : 0;
		value("oneshot_fired_after_us", "%u", lat);
		check(n_irq == 1 && lat >= 9900, "oneshot", "%u interrupts, first after %u us (armed 10000)",
		      n_irq, lat);
		hw(HPET_TN_CONF(2), 0);
		ioapic_rte_write((unsigned)pin2, RTE_MASKED);
	} else {
		check(false, "oneshot", "no usable route for timer 2");
	}

	/* periodic, timer 0 (must be periodic capable): 1 ms for 20 ms */
	uint32_t conf0 = hr(HPET_TN_CONF(0));
	if ((conf0 & HPET_TN_PER_INT_CAP) && pin0 >= 0) {
		hw(HPET_GEN_CONF, 0);
		set_counter(0);
		ioapic_rte_write((unsigned)pin0, 0x60 | ((uint64_t)bsp << 56));
		hw(HPET_TN_CONF(0), (uint32_t)(pin0 << HPET_TN_ROUTE_SHIFT) | HPET_TN_TYPE_PERIODIC |
			HPET_TN_INT_ENB);
		set_cmp(0, ticks_per_ms, true);
		n_irq = 0;
		hw(HPET_GEN_CONF, GEN_ENABLE_CNF);
		window_us(50000);
		unsigned got = n_irq;
		uint32_t cmp_lo = hr(HPET_TN_CMP(0));
		hw(HPET_TN_CONF(0), 0);
		value("periodic_irqs_50ms", "%u", got);
		/* a loaded host loses ticks (no catch-up), so only bound the rate
		 * from above; the comparator steps by whole periods */
		check(got >= 2 && got <= 67, "periodic", "%u interrupts in 50 ms at 1 kHz", got);
		check(cmp_lo >= 2 * (uint32_t)ticks_per_ms && cmp_lo % (uint32_t)ticks_per_ms == 0,
		      "periodic_comparator_advances", "comparator %x, period %x", cmp_lo,
		      (uint32_t)ticks_per_ms);
		ioapic_rte_write((unsigned)pin0, RTE_MASKED);
	} else {
		check(false, "periodic", "timer 0 conf %x pin %d", conf0, pin0);
	}

	/* level-triggered one-shot, timer 1: GINTR_STA bit set while active */
	if (pin1 >= 0) {
		level_timer = 1;
		ioapic_rte_write((unsigned)pin1, 0x63 | RTE_LEVEL | ((uint64_t)bsp << 56));
		n_level = 0;
		sta_at_irq = 0;
		arm_oneshot(1, pin1, true, 0, 10 * ticks_per_ms);
		sti();
		WAIT_US(n_level >= 1, 400000);
		delay_us(2000);
		cli();
		uint32_t sta = hr(HPET_GINTR_STA);
		uint32_t rte = ioapic_read(IOAPIC_REDTBL(pin1));
		check(n_level == 1 && (sta_at_irq & 2), "level_status_bit",
		      "%u interrupts, GINTR_STA %x in handler", n_level, sta_at_irq);
		check(!(sta & 2) && !(rte & RTE_REMOTE_IRR), "level_status_clear",
		      "GINTR_STA %x after write-1-to-clear, rte %x", sta, rte);
		hw(HPET_TN_CONF(1), 0);
		ioapic_rte_write((unsigned)pin1, RTE_MASKED);
	}

	/* 32-bit mode: the comparator matches the low 32 bits, and a non-periodic
	 * 32-bit timer also interrupts when the counter wraps (spec 2.3.9.2.1) */
	uint32_t conf2 = hr(HPET_TN_CONF(2));
	if (pin2 >= 0) {
		hw(HPET_GEN_CONF, 0);
		/* 20 ms apart so a preempted vCPU or a late host timer still sees
		 * two separate interrupts */
		uint32_t half = (uint32_t)(20 * ticks_per_ms);
		set_counter(0x100000000ull - half);
		ioapic_rte_write((unsigned)pin2, 0x62 | ((uint64_t)bsp << 56));
		hw(HPET_TN_CONF(2), (uint32_t)(pin2 << HPET_TN_ROUTE_SHIFT) | HPET_TN_32MODE);
		hw(HPET_TN_CMP(2), half);
		hw(HPET_TN_CMP(2) + 4, 0x5);
		uint32_t cmp_hi = hr(HPET_TN_CMP(2) + 4);
		hw(HPET_TN_CONF(2), (uint32_t)(pin2 << HPET_TN_ROUTE_SHIFT) | HPET_TN_32MODE |
			HPET_TN_INT_ENB);
		n_irq = 0;
		uint64_t s = now_us();
		hw(HPET_GEN_CONF, GEN_ENABLE_CNF);
		/* pin 2 may be shared (QEMU routes every timer to it only), so
		 * ignore anything earlier than 10 ms */
		sti();
		WAIT_US(n_irq >= 4 || (n_irq >= 2 && t_irq[n_irq - 2] - s >= 10000), 300000);
		delay_us(2000);
		cli();
		unsigned k = 0, n = n_irq < 4 ? n_irq : 4;
		uint32_t lat[2] = { 0, 0 };
		for (unsigned i = 0; i < n; i++)
			if (t_irq[i] - s >= 10000 && k < 2)
				lat[k++] = (uint32_t)(t_irq[i] - s);
		value("mode32", "size_cap %u, cmp_hi %x, %u irqs, %u after 10 ms at %u us and %u us",
		      !!(conf2 & HPET_TN_SIZE_CAP), cmp_hi, n_irq, k, lat[0], lat[1]);
		check(k >= 1 && lat[k - 1] >= 38000, "mode32_low_compare",
		      "match after %u us (want 40000)", lat[k ? k - 1 : 0]);
		check(k == 2 && lat[0] >= 18000, "mode32_wrap_interrupt",
		      "%u interrupts; wrap at %u us (want 20000)", k, lat[0]);
		hw(HPET_TN_CONF(2), 0);
		ioapic_rte_write((unsigned)pin2, RTE_MASKED);
	}

	/* legacy replacement: timer 0 -> I/O APIC pin 2, timer 1 -> pin 8; the
	 * 8254 no longer drives IRQ0 */
	if (cap & GCAP_LEG_RT_CAP) {
		pit_ch0_periodic(1193); /* would give an interrupt every ms */
		/* legacy routing first: from here on the 8254 must not reach pin 2 */
		hw(HPET_GEN_CONF, GEN_ENABLE_CNF | GEN_LEG_RT_CNF);
		ioapic_rte_write(2, 0x60 | ((uint64_t)bsp << 56));
		ioapic_rte_write(8, 0x61 | ((uint64_t)bsp << 56));
		vec_clear(0x60);
		vec_clear(0x61);
		n_irq = 0;
		arm_oneshot(0, 0, false, 0, 20 * ticks_per_ms);
		arm_oneshot(1, 0, false, 0, 30 * ticks_per_ms);
		sti();
		WAIT_US(vec_total(0x60) && vec_total(0x61), 400000);
		delay_us(5000);
		cli();
		unsigned p2 = vec_total(0x60), p8 = vec_total(0x61);
		hw(HPET_TN_CONF(0), 0);
		hw(HPET_TN_CONF(1), 0);
		hw(HPET_GEN_CONF, GEN_ENABLE_CNF);
		pit_silence();
		ioapic_mask_all();
		value("legacy_irqs", "pin2 %u pin8 %u", p2, p8);
		check(p2 == 1, "legacy_timer0_irq0", "%u interrupts on pin 2 (timer 0 once, PIT disconnected)", p2);
		check(p8 == 1, "legacy_timer1_irq8", "%u interrupts on pin 8", p8);
	} else {
		skip("legacy_timer0_irq0", "LEG_RT_CAP = 0");
	}

	/* FSB (MSI) delivery */
	int fsb = -1;
	for (unsigned n = 0; n < ntim; n++)
		if (hr(HPET_TN_CONF(n)) & HPET_TN_FSB_INT_DEL_CAP) {
			fsb = (int)n;
			break;
		}
	if (fsb >= 0) {
		hw(HPET_TN_FSB(fsb), 0x61);
		hw(HPET_TN_FSB(fsb) + 4, LAPIC_BASE | ((uint32_t)bsp << 12));
		n_irq = 0;
		vec_clear(0x61);
		arm_oneshot((unsigned)fsb, 0, false, HPET_TN_FSB_EN, 10 * ticks_per_ms);
		sti();
		WAIT_US(vec_total(0x61) > 0, 400000);
		delay_us(2000);
		cli();
		hw(HPET_TN_CONF(fsb), 0);
		check(vec_total(0x61) == 1, "fsb_delivery", "timer %d: %u MSIs", fsb, vec_total(0x61));
	} else {
		skip("fsb_delivery", "no timer has Tn_FSB_INT_DEL_CAP");
	}

	/* main counter monotonic across vCPUs (token passed CPU to CPU) */
	unsigned ncpu = fwcfg_cpu_count();
	unsigned online = smp_start(ncpu ? ncpu : 1, 2000);
	mono_last = 0;
	for (int round = 0; round < 3; round++)
		for (unsigned c = 0; c < online; c++)
			smp_call(c, mono_step, NULL, 1000);
	check(mono_bad == 0 && mono_reads == 3 * 51 * online, "counter_monotonic_across_cpus",
	      "%u cpus, %u reads, %u went backwards", online, mono_reads, mono_bad);
	value("level_vector_total", "%u", vec_total(0x63));
	stop_all(ntim);
	return 0;
}
