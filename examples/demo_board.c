/* SPDX-License-Identifier: MIT */
/*
 * demo-board: the chipset of a PC on virtual time, driven the way a guest
 * would drive it, with a one-screen report per chip.  `make demo` runs it
 * next to the guest suite; it needs no KVM.
 *
 * The "guest" here is this program: it programs the chips through their
 * ports and MMIO windows on the board, takes interrupts from the board's
 * MSI and INT outputs, and acknowledges them (INTA, EOI, register C, HPET
 * status) as an OS would.  Time is the fake clock, with host stalls
 * injected to show the lost-tick policies.
 */
#include <splitchip/board.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct demo {
	struct sc_fake_clock clk;
	struct sc_board b;
	unsigned msi_by_vec[256];
	unsigned msis;
	bool intr;
	unsigned checks, passed;
	/* the guest EOIs every message at once (auto_eoi) or on demand */
	bool auto_eoi;
};

static void on_msi(void *o, const struct sc_msi *m)
{
	struct demo *d = o;
	d->msis++;
	d->msi_by_vec[m->data & 0xff]++;
}

static void on_intr(void *o, bool level)
{
	((struct demo *)o)->intr = level;
}

static uint64_t wall(void *o)
{
	(void)o;
	return 1764000000ull * SC_NSEC_PER_SEC;   /* 2025-11-24 */
}

static void check(struct demo *d, bool ok, const char *what)
{
	d->checks++;
	if (ok)
		d->passed++;
	else
		printf("    FAILED: %s\n", what);
}

static struct demo *demo_new(enum sc_tick_policy policy)
{
	struct demo *d = calloc(1, sizeof(*d));
	if (!d)
		exit(1);
	sc_fake_clock_init(&d->clk, 0);
	struct sc_board_config c = {
		.wall_ns = wall, .eoi_ack = true,
		.pit_policy = policy, .rtc_policy = policy, .hpet_policy = policy,
	};
	struct sc_board_ops ops = { .msi = on_msi, .pic_intr = on_intr, .opaque = d };
	if (sc_board_init(&d->b, &d->clk.clock, &c, &ops, NULL)) {
		fprintf(stderr, "demo-board: sc_board_init failed\n");
		exit(1);
	}
	return d;
}

static void demo_free(struct demo *d)
{
	sc_board_destroy(&d->b);
	free(d);
}

static void outb(struct demo *d, uint16_t port, uint8_t v)
{
	sc_board_pio_write(&d->b, port, 1, v);
}

static uint8_t inb(struct demo *d, uint16_t port)
{
	uint32_t v = 0xff;
	sc_board_pio_read(&d->b, port, 1, &v);
	return (uint8_t)v;
}

static void redir(struct demo *d, unsigned pin, uint32_t low)
{
	sc_board_mmio_write(&d->b, SC_BOARD_IOAPIC_BASE, 4, IOAPIC_REG_REDTBL + 2 * pin + 1);
	sc_board_mmio_write(&d->b, SC_BOARD_IOAPIC_BASE + 0x10, 4, 0);
	sc_board_mmio_write(&d->b, SC_BOARD_IOAPIC_BASE, 4, IOAPIC_REG_REDTBL + 2 * pin);
	sc_board_mmio_write(&d->b, SC_BOARD_IOAPIC_BASE + 0x10, 4, low);
}

static void pic_init(struct demo *d, uint8_t mask_m, uint8_t mask_s)
{
	outb(d, 0x20, 0x11); outb(d, 0x21, 0x20); outb(d, 0x21, 0x04); outb(d, 0x21, 0x01);
	outb(d, 0xa0, 0x11); outb(d, 0xa1, 0x28); outb(d, 0xa1, 0x02); outb(d, 0xa1, 0x01);
	outb(d, 0x21, mask_m); outb(d, 0xa1, mask_s);
}

static void report(const char *chip, struct demo *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#include <stdarg.h>
static void report(const char *chip, struct demo *d, const char *fmt, ...)
{
	va_list ap;
	printf("  %-7s checks %2u/%-2u  ", chip, d->passed, d->checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ---------------------------------------------------------------- PIC */
static unsigned demo_pic(void)
{
	struct demo *d = demo_new(SC_TICK_DELAY);
	pic_init(d, 0x00, 0x00);
	sc_board_set_isa_irq(&d->b, 1, SC_SRC_USER, true);      /* keyboard */
	sc_board_set_isa_irq(&d->b, 12, SC_SRC_USER, true);     /* mouse, slave */
	check(d, d->intr, "INT rises");
	int v1 = sc_board_pic_inta(&d->b);
	check(d, v1 == 0x21, "IRQ1 first (fully nested priority)");
	outb(d, 0x20, 0x20);
	int v2 = sc_board_pic_inta(&d->b);
	check(d, v2 == 0x2c, "IRQ12 through the cascade: vector 0x2c");
	outb(d, 0x20, 0x0b);                                    /* OCW3: read ISR */
	check(d, inb(d, 0x20) == 0x04, "master ISR shows the cascade (IR2)");
	outb(d, 0xa0, 0x20); outb(d, 0x20, 0x20);
	/* Spurious IRQ7: the request goes away before the INTA. */
	sc_board_set_isa_irq(&d->b, 3, SC_SRC_USER, true);
	sc_board_set_isa_irq(&d->b, 3, SC_SRC_USER, false);
	check(d, sc_board_pic_inta(&d->b) == 0x27, "spurious IRQ7 when the request vanished");
	/* ELCR: IRQ 10 level-triggered re-asserts after EOI while high. */
	outb(d, 0x4d1, 0x04);
	sc_board_set_isa_irq(&d->b, 10, SC_SRC_USER, true);
	check(d, sc_board_pic_inta(&d->b) == 0x2a, "level IRQ10");
	outb(d, 0xa0, 0x20); outb(d, 0x20, 0x20);
	check(d, d->intr, "level IRQ10 re-asserts after EOI while the line is high");
	outb(d, 0x4d0, 0x07);
	check(d, inb(d, 0x4d0) == 0x00, "ELCR bits of IRQ 0, 1, 2 stay edge");
	report("PIC", d, "cascade, priorities, spurious IRQ7, ELCR level mode");
	unsigned fails = d->checks - d->passed;
	demo_free(d);
	return fails;
}

/* ---------------------------------------------------------------- IOAPIC */
static unsigned demo_ioapic(void)
{
	struct demo *d = demo_new(SC_TICK_DELAY);
	redir(d, 10, IOAPIC_REDIR_TRIGGER | 0x61);
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER, true);
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER + 1, true);     /* shared line */
	check(d, d->msi_by_vec[0x61] == 1, "level line delivers once (remote IRR)");
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER, false);
	sc_board_eoi(&d->b, 0x61);
	check(d, d->msi_by_vec[0x61] == 2, "EOI while the wired-OR is still high redelivers");
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER + 1, false);
	sc_board_eoi(&d->b, 0x61);
	check(d, d->msi_by_vec[0x61] == 2, "EOI after the line dropped: quiet");
	/* Reprogram the vector while remote IRR is set: only the entry's current
	 * vector matches an EOI (82093AA 3.2.4), so the old EOI leaves remote IRR
	 * set; switching to edge and back - what Linux does - clears it. */
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER, true);
	redir(d, 10, IOAPIC_REDIR_TRIGGER | 0x62);
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER, false);
	sc_board_eoi(&d->b, 0x61);
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER, true);
	check(d, d->msi_by_vec[0x62] == 0, "EOI of the old vector leaves a reprogrammed entry's remote IRR");
	redir(d, 10, 0x62);                                      /* edge: drops remote IRR */
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER, false);
	redir(d, 10, IOAPIC_REDIR_TRIGGER | 0x62);
	sc_board_set_gsi(&d->b, 10, SC_SRC_USER, true);
	check(d, d->msi_by_vec[0x62] == 1, "edge and back clears it: the line delivers again");
	/* The EOI path: a million EOIs of vectors no level pin waits for. */
	unsigned before = d->msis;
	for (unsigned i = 0; i < 1000000; i++)
		sc_board_eoi(&d->b, (uint8_t)(0x80 + (i & 63)));
	check(d, d->msis == before, "non-level EOIs change nothing");
	report("IOAPIC", d, "level/remote IRR, wired-OR, 1e6 lock-free EOIs");
	unsigned fails = d->checks - d->passed;
	demo_free(d);
	return fails;
}

/* ---------------------------------------------------------------- timers */

/* One second of a 1 kHz PIT through IOAPIC pin 2 with a 50 ms host stall
 * at 500 ms; the guest EOIs every tick as soon as it arrives. */
static void pit_run(enum sc_tick_policy p, struct sc_tick_stats *st, unsigned *got)
{
	struct demo *d = demo_new(p);
	redir(d, 2, 0x30);
	outb(d, 0x43, 0x34); outb(d, 0x40, 1193 & 0xff); outb(d, 0x40, 1193 >> 8);
	uint64_t step = 100000;  /* the guest runs in 100 us slices */
	for (uint64_t t = 0; t < 1000000000ull; t += step) {
		if (t == 500000000ull)
			sc_fake_clock_stall(&d->clk, 50000000ull), t += 50000000ull;
		sc_fake_clock_advance(&d->clk, step);
		while (d->msi_by_vec[0x30] > *got) {
			(*got)++;
			sc_board_eoi(&d->b, 0x30);
		}
	}
	sc_board_tick_stats(&d->b, 0, st);
	demo_free(d);
}

static unsigned demo_pit(void)
{
	struct demo *d = demo_new(SC_TICK_DELAY);
	/* Counter read: mode 2, count 1193, 0.5 ms in -> about half. */
	outb(d, 0x43, 0x34); outb(d, 0x40, 1193 & 0xff); outb(d, 0x40, 1193 >> 8);
	sc_fake_clock_advance(&d->clk, 500000);
	outb(d, 0x43, 0x00);                                    /* latch counter 0 */
	unsigned c = inb(d, 0x40) | (unsigned)inb(d, 0x40) << 8;
	check(d, c > 590 && c < 600, "counter 0 read from virtual time");
	outb(d, 0x61, 0x01);                                    /* gate 2 on */
	outb(d, 0x43, 0xb0); outb(d, 0x42, 0x10); outb(d, 0x42, 0x00);  /* ch2 mode 0 */
	sc_fake_clock_advance(&d->clk, 20000);
	check(d, inb(d, 0x61) & 0x20, "OUT2 high after the count (port 0x61 bit 5)");
	outb(d, 0x43, 0xe2);                                    /* read-back status ch0 */
	check(d, (inb(d, 0x40) & 0x3f) == 0x34, "read-back status: LSB/MSB, mode 2");
	printf("  PIT     checks %2u/%-2u  1 kHz, 1 s, 50 ms host stall at 500 ms:\n",
	       d->passed, d->checks);
	unsigned fails = d->checks - d->passed;
	for (int p = SC_TICK_DISCARD; p <= SC_TICK_MERGE; p++) {
		struct sc_tick_stats st;
		unsigned got = 0;
		pit_run((enum sc_tick_policy)p, &st, &got);
		long lost = 1000 - (long)got;
		printf("          %-8s guest got %4u ticks (lost %3ld)  delivered=%llu "
		       "reinjected=%llu coalesced=%llu dropped=%llu\n",
		       sc_tick_policy_name((enum sc_tick_policy)p), got, lost,
		       (unsigned long long)st.delivered, (unsigned long long)st.reinjected,
		       (unsigned long long)st.coalesced, (unsigned long long)st.dropped);
		if ((p == SC_TICK_DELAY || p == SC_TICK_CATCHUP) && (lost < -1 || lost > 1)) {
			printf("    FAILED: %s lost ticks\n", sc_tick_policy_name((enum sc_tick_policy)p));
			fails++;
		}
	}
	demo_free(d);
	return fails;
}

static unsigned demo_rtc(void)
{
	struct demo *d = demo_new(SC_TICK_DELAY);
	redir(d, 8, 0x38);
	outb(d, 0x70, 0x0a); outb(d, 0x71, 0x26);               /* 1024 Hz */
	outb(d, 0x70, 0x0b); outb(d, 0x71, 0x52);               /* PIE | UIE, 24h BCD */
	unsigned got = 0, uf = 0, pf = 0;
	for (int ms = 0; ms < 2000; ms++) {
		sc_fake_clock_advance(&d->clk, 1000000);
		while (d->msi_by_vec[0x38] > got) {
			got++;
			outb(d, 0x70, 0x0c);
			uint8_t c = inb(d, 0x71);                        /* the ack */
			uf += !!(c & 0x10);
			pf += !!(c & 0x40);
		}
	}
	check(d, pf >= 2040 && pf <= 2050, "1024 Hz periodic: 2048 in 2 s");
	check(d, uf == 2, "update-ended once per second");
	outb(d, 0x70, 0x00);
	uint8_t sec = inb(d, 0x71);
	check(d, (sec & 0x0f) <= 9 && (sec >> 4) <= 5, "seconds in BCD");
	outb(d, 0x70, 0x0d);
	check(d, inb(d, 0x71) == 0x80, "register D: VRT");
	report("RTC", d, "periodic interrupts=%u  update-ended=%u  (acked by register C)", pf, uf);
	unsigned fails = d->checks - d->passed;
	demo_free(d);
	return fails;
}

static unsigned demo_hpet(void)
{
	struct demo *d = demo_new(SC_TICK_DELAY);
	uint64_t cap = 0, c0 = 0, c1 = 0;
	sc_board_mmio_read(&d->b, SC_BOARD_HPET_BASE, 8, &cap);
	check(d, (cap >> 32) <= 100000000ull, "period <= 100 ns");
	check(d, cap & HPET_GCAP_LEG_RT_CAP, "legacy replacement capable");
	uint64_t ticks_1ms = 1000000000000ull / (cap >> 32);
	redir(d, 2, 0x31);
	sc_board_mmio_write(&d->b, SC_BOARD_HPET_BASE + 0x100, 8,
			    HPET_TN_INT_ENB_CNF | HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF);
	sc_board_mmio_write(&d->b, SC_BOARD_HPET_BASE + 0x108, 8, ticks_1ms);
	sc_board_mmio_write(&d->b, SC_BOARD_HPET_BASE + 0x010, 8, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	sc_board_mmio_read(&d->b, SC_BOARD_HPET_BASE + 0xf0, 8, &c0);
	unsigned got = 0;
	for (int ms = 0; ms < 1000; ms++) {
		if (ms == 300)
			sc_fake_clock_stall(&d->clk, 40000000ull), ms += 40;
		sc_fake_clock_advance(&d->clk, 1000000);
		while (d->msi_by_vec[0x31] > got) {
			got++;
			sc_board_eoi(&d->b, 0x31);
		}
	}
	sc_board_mmio_read(&d->b, SC_BOARD_HPET_BASE + 0xf0, 8, &c1);
	check(d, c1 > c0, "main counter monotonic");
	check(d, got >= 999 && got <= 1001, "1000 periodic ticks in 1 s despite a 40 ms stall");
	report("HPET", d, "timer 0 periodic via legacy IRQ0: %u ticks, delay policy", got);
	unsigned fails = d->checks - d->passed;
	demo_free(d);
	return fails;
}

int main(void)
{
	printf("libsplitchip on the fake clock: the board driven as a guest would\n");
	unsigned fails = demo_pic() + demo_ioapic() + demo_pit() + demo_rtc() + demo_hpet();
	printf("  state: struct sc_board = %zu bytes for PIC + %u IOAPICs + PIT + RTC + HPET\n",
	       sizeof(struct sc_board), SC_BOARD_MAX_IOAPICS);
	printf("demo-board: %s\n", fails ? "FAILED" : "all checks passed");
	return fails ? 1 : 0;
}
