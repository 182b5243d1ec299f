/* SPDX-License-Identifier: MIT */
/*
 * CVE-class regressions (issue 17): one test per class of bug that hit the
 * in-kernel (or QEMU) PIT, IOAPIC, PIC, HPET and RTC models, replayed
 * against splitchip the way a guest would do it - port and MMIO accesses
 * on an sc_board - plus the save/restore API for the restore cases.
 *
 * CVE numbers are cited only where the CVE record (or the fixing commit,
 * which names it) says what it was:
 *   CVE-2015-7513  KVM: PIT channel with count 0 restored by KVM_SET_PIT,
 *                  then read: modulo by zero (commit 0185604c2d82,
 *                  "Reload pit counters for all channels when restoring
 *                  state").
 *   CVE-2010-0309  KVM: pit_ioport_read() indexed channels[3] for a read
 *                  of the write-only control port 0x43 ("cat /dev/port").
 *   CVE-2015-3214  the same port 0x43 read in QEMU's i8254 ("invalid
 *                  index"), fixed in QEMU 2.3.1.
 *   CVE-2013-1798  KVM: ioapic_read_indirect() with an invalid IOREGSEL
 *                  read past the redirection table (commit a2c118bfab8b).
 *   CVE-2014-3611  KVM: race in __kvm_migrate_pit_timer(), the PIT timer
 *                  moved between CPUs while it fires.
 * Classes without a CVE we could verify are named as such: the PIC's IRQ
 * number check (KVM commit c65bbfa1d693, "check injected pic irq within
 * valid pic irqs", no CVE), the ELCR, HPET and RTC ones.
 *
 * Every test asserts the datasheet outcome (values read back, neighbours
 * untouched, next-event times, -EINVAL), so a regression fails the test
 * even where it would not crash; ASan/UBSan catch the crashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <splitchip/board.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IOAPIC0   SC_BOARD_IOAPIC_BASE
#define HPET      SC_BOARD_HPET_BASE
#define F         1193182ull

struct env {
	struct sc_fake_clock clk;
	struct sc_board b;
	atomic_uint n_msi;
	uint32_t last_msi_data;
	unsigned n_route;
};

static void on_msi(void *o, const struct sc_msi *m)
{
	struct env *e = o;
	e->last_msi_data = m->data;
	atomic_fetch_add(&e->n_msi, 1);
}

static void on_route(void *o, unsigned gsi, const struct sc_msi *m, bool masked, bool eoi)
{
	((struct env *)o)->n_route++;
}

static uint64_t wall(void *o)
{
	(void)o;
	return 1700000000ull * SC_NSEC_PER_SEC;
}

static struct env *env_new_cfg(unsigned ioapics)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	sc_fake_clock_init(&e->clk, SC_NSEC_PER_SEC);
	struct sc_board_config c = { .wall_ns = wall, .eoi_ack = true, .ioapics = ioapics };
	struct sc_board_ops ops = { .msi = on_msi, .route = on_route, .opaque = e };
	assert_int_equal(sc_board_init(&e->b, &e->clk.clock, &c, &ops, NULL), 0);
	return e;
}

static struct env *env_new(void)
{
	return env_new_cfg(1);
}

static void env_free(struct env *e)
{
	sc_board_destroy(&e->b);
	free(e);
}

static void outb(struct env *e, uint16_t port, uint8_t v)
{
	assert_true(sc_board_pio_write(&e->b, port, 1, v));
}

static uint8_t inb(struct env *e, uint16_t port)
{
	uint32_t v = 0;
	assert_true(sc_board_pio_read(&e->b, port, 1, &v));
	return (uint8_t)v;
}

static void io_w(struct env *e, unsigned io, uint64_t off, uint32_t v)
{
	assert_true(sc_board_mmio_write(&e->b, IOAPIC0 + io * SC_BOARD_IOAPIC_STRIDE + off, 4, v));
}

static uint32_t io_r(struct env *e, unsigned io, uint64_t off)
{
	uint64_t v = 0;
	assert_true(sc_board_mmio_read(&e->b, IOAPIC0 + io * SC_BOARD_IOAPIC_STRIDE + off, 4, &v));
	return (uint32_t)v;
}

static void redir(struct env *e, unsigned pin, uint32_t low)
{
	io_w(e, 0, IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL + 2 * pin + 1);
	io_w(e, 0, IOAPIC_IOWIN, 0);
	io_w(e, 0, IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL + 2 * pin);
	io_w(e, 0, IOAPIC_IOWIN, low);
}

static void hpet_w(struct env *e, uint64_t off, uint64_t v)
{
	assert_true(sc_board_mmio_write(&e->b, HPET + off, 8, v));
}

static uint64_t hpet_r(struct env *e, uint64_t off)
{
	uint64_t v = 0;
	assert_true(sc_board_mmio_read(&e->b, HPET + off, 8, &v));
	return v;
}

static void pit_cw(struct env *e, unsigned c, unsigned mode, bool bcd)
{
	outb(e, PIT_PORT_CONTROL, (uint8_t)(c << 6 | PIT_CW_RW_WORD << 4 | mode << 1 | bcd));
}

static void pit_count(struct env *e, unsigned c, uint16_t v)
{
	outb(e, (uint16_t)(PIT_PORT_COUNTER0 + c), (uint8_t)v);
	outb(e, (uint16_t)(PIT_PORT_COUNTER0 + c), (uint8_t)(v >> 8));
}

static uint16_t pit_latch(struct env *e, unsigned c)
{
	outb(e, PIT_PORT_CONTROL, (uint8_t)(c << 6));
	uint16_t lo = inb(e, (uint16_t)(PIT_PORT_COUNTER0 + c));
	return (uint16_t)(lo | inb(e, (uint16_t)(PIT_PORT_COUNTER0 + c)) << 8);
}

static struct sc_board_state_v1 *state_new(void)
{
	struct sc_board_state_v1 *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	return s;
}

/* ------------------------------------------------------------ PIT */

/*
 * CVE-2015-7513 class: a count of 0 means 65536 (binary) / 10000 (BCD)
 * (8254 "Counter Operation"), never a zero period; a count of 1, illegal in
 * modes 2 and 3 (minimum initial count 2), gives a bounded tick rate.
 */
static void test_cve_2015_7513_pit_count0_and_count1_on_load(void **st)
{
	struct env *e = env_new();
	struct sc_tick *t = sc_pit_tick(&e->b.pit);

	/* Mode 2, count 0: one IRQ0 per 65536 clocks (54.925 ms). */
	pit_cw(e, 0, 2, false);
	pit_count(e, 0, 0);
	assert_true(t->running);
	uint64_t p = sc_pit_edge_time(65536 + 1000) - sc_pit_edge_time(1000);
	assert_true(t->period >= p - 1 && t->period <= p + 1);
	assert_true(t->next_period > e->clk.now && t->next_period <= e->clk.now + p + 1000);
	sc_fake_clock_advance(&e->clk, 1000);
	assert_true(pit_latch(e, 0) > 0xff00 || pit_latch(e, 0) == 0);

	/* BCD count 0: 10000 clocks, counter reads BCD digits only. */
	pit_cw(e, 0, 2, true);
	pit_count(e, 0, 0);
	p = sc_pit_edge_time(10000 + 1000) - sc_pit_edge_time(1000);
	assert_true(t->period >= p - 1 && t->period <= p + 1);
	sc_fake_clock_advance(&e->clk, 3000000);
	uint16_t v = pit_latch(e, 0);
	for (unsigned d = 0; d < 4; d++)
		assert_true(((v >> (4 * d)) & 0xf) <= 9);

	/* Count 1 in modes 2 and 3: counter exact, ticks at the ceiling. */
	for (unsigned mode = 2; mode <= 3; mode++) {
		struct sc_tick_stats before = t->stats;
		pit_cw(e, 0, mode, false);
		pit_count(e, 0, 1);
		assert_true(t->running);
		assert_int_equal(t->period, SC_PIT_MIN_TICK_NS);
		sc_fake_clock_advance(&e->clk, 10000000);       /* 10 ms */
		assert_true(pit_latch(e, 0) <= 1);
		uint64_t n = t->stats.delivered - before.delivered;
		assert_true(n >= 1 && n <= 10000000 / SC_PIT_MIN_TICK_NS + 1);
		assert_true(t->next_period > e->clk.now &&
			    t->next_period <= e->clk.now + SC_PIT_MIN_TICK_NS);
	}
	env_free(e);
}

/*
 * CVE-2015-7513 itself: KVM_SET_PIT with count 0 on channel 1 or 2 and a
 * counter read crashed the host (modulo 0).  Here a saved state is restored
 * with count 0 on every channel: it must count 65536 clocks, and a state
 * whose run length (n) is 0 must be refused, leaving the board untouched.
 */
static void test_cve_2015_7513_pit_restore_count0(void **st)
{
	struct env *e = env_new();
	pit_cw(e, 0, 2, false);
	pit_count(e, 0, 0);
	pit_cw(e, 1, 2, false);
	pit_count(e, 1, 0);
	outb(e, PIT_PORT_B, PORT61_GATE2);
	pit_cw(e, 2, 3, false);
	pit_count(e, 2, 0);
	sc_fake_clock_advance(&e->clk, 1000000);
	for (unsigned c = 0; c < 3; c++)
		assert_true(pit_latch(e, c) > 0xf000);   /* counting down from 65536 */
	struct sc_board_state_v1 *s = state_new();
	sc_board_save(&e->b, s);
	for (unsigned c = 0; c < 3; c++) {
		assert_int_equal(s->pit.ch[c].cr, 0);
		assert_int_equal(s->pit.ch[c].n, 65536);
	}

	struct env *f = env_new();
	sc_fake_clock_advance_to(&f->clk, e->clk.now);
	assert_int_equal(sc_board_restore(&f->b, s), 0);
	/* Channel 1 counts down from 65536 at 1193182 Hz, like the original. */
	for (unsigned i = 0; i < 5; i++) {
		sc_fake_clock_advance(&e->clk, 7777777);
		sc_fake_clock_advance(&f->clk, 7777777);
		for (unsigned c = 0; c < 3; c++)
			assert_int_equal(pit_latch(f, c), pit_latch(e, c));
	}
	/* Channel 0's tick keeps a 65536-clock period; next event in range. */
	uint64_t p = sc_pit_edge_time(65536 + 1000) - sc_pit_edge_time(1000);
	struct sc_tick *t = sc_pit_tick(&f->b.pit);
	assert_true(t->period >= p - 1 && t->period <= p + 1);
	assert_true(t->next_period > f->clk.now && t->next_period <= f->clk.now + p + 1);
	/* OUT2 in mode 3 with count 0: 32768 clocks high, 32768 low. */
	uint64_t t0 = f->clk.now;
	unsigned toggles = 0;
	bool o = inb(f, PIT_PORT_B) & PORT61_OUT2;
	while (f->clk.now < t0 + 10 * p) {
		sc_fake_clock_advance(&f->clk, 100000);
		bool n = inb(f, PIT_PORT_B) & PORT61_OUT2;
		toggles += n != o;
		o = n;
	}
	assert_true(toggles >= 19 && toggles <= 21);

	/* n = 0 (a zero period) on any channel, or a running tick with period
	 * 0, is refused and changes nothing. */
	struct sc_board_state_v1 *bad = state_new(), *a = state_new(), *b = state_new();
	sc_board_save(&f->b, a);
	for (unsigned c = 0; c < 4; c++) {
		*bad = *s;
		if (c < 3)
			bad->pit.ch[c].n = 0;
		else
			bad->pit.tick.period = 0;
		assert_int_equal(sc_pit_validate(&bad->pit), -EINVAL);
		assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
		sc_board_save(&f->b, b);
		assert_memory_equal(a, b, sizeof(*a));
	}
	free(a);
	free(b);
	free(bad);
	free(s);
	env_free(f);
	env_free(e);
}

/*
 * CVE-2010-0309 (KVM) / CVE-2015-3214 (QEMU): a read of the write-only
 * control port 0x43 indexed a fourth, non-existent counter.  The 8254's
 * control word register cannot be read: 0xff, at any width, and no counter
 * state (read flip-flops, latches) moves.
 */
static void test_cve_2010_0309_pit_control_port_read(void **st)
{
	struct env *e = env_new();
	pit_cw(e, 0, 2, false);
	pit_count(e, 0, 0x1234);
	pit_cw(e, 1, 0, false);
	pit_count(e, 1, 0x4321);
	outb(e, PIT_PORT_CONTROL, 0x40);                 /* latch counter 1 */
	uint16_t lo1 = inb(e, PIT_PORT_COUNTER1);        /* LSB read: flip-flop at MSB */
	struct sc_board_state_v1 *a = state_new(), *b = state_new();
	sc_board_save(&e->b, a);
	for (unsigned size = 1; size <= 4; size *= 2) {
		for (unsigned i = 0; i < 100; i++) {
			uint32_t v = 0;
			assert_true(sc_board_pio_read(&e->b, PIT_PORT_CONTROL, size, &v));
			assert_int_equal(v, size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
		}
	}
	sc_board_save(&e->b, b);
	assert_memory_equal(&a->pit, &b->pit, sizeof(a->pit));
	/* The latched MSB of counter 1 is still next. */
	uint16_t hi1 = inb(e, PIT_PORT_COUNTER1);
	assert_int_equal(lo1 | hi1 << 8, a->pit.ch[1].ol);
	free(a);
	free(b);
	env_free(e);
}

/*
 * CVE-2014-3611 class: the PIT's timer moved between vCPUs (host clock
 * queues) while it fires.  One thread reprograms counter 0 (control words,
 * counts 0/1/2/..., latches, read-back) and moves the timer between vCPU 0
 * and 1; two threads service the two host clock queues, as vCPU threads
 * do.  Afterwards the chip is consistent: its saved state validates, the
 * counter reads back in range, the tick rate never exceeded the ceiling.
 */
struct race {
	struct sc_host_clock hc;
	struct sc_board b;
	atomic_uint n_msi;
	atomic_bool stop;
	atomic_ulong ran[2];
};

static void race_msi(void *o, const struct sc_msi *m)
{
	atomic_fetch_add(&((struct race *)o)->n_msi, 1);
}

static void race_intr(void *o, bool level) { }

struct runner_arg {
	struct race *r;
	unsigned q;
};

static void *queue_thread(void *arg)
{
	struct runner_arg *a = arg;
	while (!atomic_load(&a->r->stop)) {
		atomic_fetch_add(&a->r->ran[a->q], sc_host_clock_run_due(&a->r->hc, a->q));
		sched_yield();
	}
	return NULL;
}

static void test_cve_2014_3611_pit_timer_migration_race(void **st)
{
	static const uint16_t counts[] = { 0, 1, 2, 3, 100, 1193, 11932, 0xffff };
	struct race *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	assert_int_equal(sc_host_clock_init(&r->hc, 2, NULL, NULL), 0);
	struct sc_board_config c = { .wall_ns = wall, .eoi_ack = true,
				     .pit_policy = SC_TICK_DELAY };
	struct sc_board_ops ops = { .msi = race_msi, .pic_intr = race_intr, .opaque = r };
	assert_int_equal(sc_board_init(&r->b, &r->hc.clock, &c, &ops, NULL), 0);
	sc_board_attach_host_clock(&r->b, &r->hc);
	uint64_t vt0 = sc_clock_now(&r->hc.clock);
	/* IOAPIC pin 2 unmasked, edge, vector 0x30. */
	sc_board_mmio_write(&r->b, IOAPIC0, 4, IOAPIC_REG_REDTBL + 4);
	sc_board_mmio_write(&r->b, IOAPIC0 + IOAPIC_IOWIN, 4, 0x30);

	pthread_t th[2];
	struct runner_arg ra[2] = { { r, 0 }, { r, 1 } };
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, queue_thread, &ra[i]), 0);

	unsigned seed = 3611;
	struct timespec w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	for (unsigned i = 0;; i++) {
		unsigned x = (unsigned)rand_r(&seed);
		uint32_t v;
		switch (x % 8) {
		case 0:
		case 1:
			sc_board_pio_write(&r->b, PIT_PORT_CONTROL, 1,
					   PIT_CW_RW_WORD << 4 | ((x >> 4) % 6) << 1);
			/* fall through */
		case 2: {
			uint16_t n = counts[(x >> 8) % 8];
			sc_board_pio_write(&r->b, PIT_PORT_COUNTER0, 1, n & 0xff);
			sc_board_pio_write(&r->b, PIT_PORT_COUNTER0, 1, n >> 8);
			break;
		}
		case 3:
			sc_board_set_timer_affinity(&r->b, (int)((x >> 4) & 1));
			break;
		case 4:
			sc_board_pio_write(&r->b, PIT_PORT_CONTROL, 1, 0xc2); /* read-back ch0 */
			/* fall through */
		case 5:
			sc_board_pio_read(&r->b, PIT_PORT_COUNTER0, 1, &v);
			sc_board_pio_read(&r->b, PIT_PORT_COUNTER0, 1, &v);
			break;
		case 6:
			sc_board_eoi(&r->b, 0x30);
			break;
		default:
			sc_board_pio_write(&r->b, PIT_PORT_CONTROL, 1, 0x00); /* latch */
			break;
		}
		if ((i & 1023) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &w1);
			if ((w1.tv_sec - w0.tv_sec) * 1000000000ll + (w1.tv_nsec - w0.tv_nsec) >
			    300000000ll)
				break;
		}
	}
	atomic_store(&r->stop, true);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	/* Consistent afterwards. */
	struct sc_board_state_v1 *s = state_new();
	sc_board_save(&r->b, s);
	assert_int_equal(sc_pit_validate(&s->pit), 0);
	struct sc_tick_stats ts;
	assert_int_equal(sc_board_tick_stats(&r->b, 0, &ts), 0);
	uint64_t vt = sc_clock_now(&r->hc.clock);
	assert_true(ts.delivered <= (vt - vt0) / SC_PIT_MIN_TICK_NS + 2);
	assert_true(atomic_load(&r->ran[0]) + atomic_load(&r->ran[1]) > 0);

	/* A clean 1 kHz program after the storm: exact readback, ticks. */
	sc_board_set_timer_affinity(&r->b, 1);
	sc_board_pio_write(&r->b, PIT_PORT_CONTROL, 1, 0x34);
	sc_board_pio_write(&r->b, PIT_PORT_COUNTER0, 1, 1193 & 0xff);
	sc_board_pio_write(&r->b, PIT_PORT_COUNTER0, 1, 1193 >> 8);
	unsigned msi0 = atomic_load(&r->n_msi);
	struct timespec ms = { 0, 1500000 };
	for (unsigned i = 0; i < 4; i++) {
		nanosleep(&ms, NULL);
		sc_host_clock_run_due(&r->hc, 0);
		sc_host_clock_run_due(&r->hc, 1);
		sc_board_eoi(&r->b, 0x30);
	}
	assert_true(atomic_load(&r->n_msi) > msi0);
	assert_true(r->b.pit.tick.running && r->b.pit.tick.timer.armed);
	assert_int_equal(r->b.pit.tick.timer.affinity, 1);
	sc_board_pio_write(&r->b, PIT_PORT_CONTROL, 1, 0x00);
	uint32_t lo = 0, hi = 0;
	sc_board_pio_read(&r->b, PIT_PORT_COUNTER0, 1, &lo);
	sc_board_pio_read(&r->b, PIT_PORT_COUNTER0, 1, &hi);
	uint32_t cnt = lo | hi << 8;
	assert_true(cnt >= 1 && cnt <= 1193);
	sc_board_save(&r->b, s);
	assert_int_equal(sc_pit_validate(&s->pit), 0);
	free(s);
	sc_board_destroy(&r->b);
	sc_host_clock_destroy(&r->hc);
	free(r);
}

/* ------------------------------------------------------------ IOAPIC */

/* The value IOWIN must give for @sel on a 24-pin version 0x20 IOAPIC. */
static bool ioapic_index_defined(unsigned sel)
{
	return sel <= IOAPIC_REG_ARB ||
	       (sel >= IOAPIC_REG_REDTBL && sel < IOAPIC_REG_REDTBL + 2 * SC_IOAPIC_DEFAULT_PINS);
}

/*
 * CVE-2013-1798: IOREGSEL past the redirection table read host memory.
 * Every IOREGSEL value 0..255 is read and written on IOAPIC 0 of a
 * two-IOAPIC board: indices the 82093AA register map (3.0, Table 2) does not
 * define, and entries past the 24 pins, read 0xffffffff (include/splitchip/
 * ioapic.h); writes to them, and to the read-only VER/ARB, change nothing in
 * either IOAPIC nor elsewhere.
 */
static void test_cve_2013_1798_ioapic_ioregsel_every_index(void **st)
{
	struct env *e = env_new_cfg(2);
	/* distinct values in every defined register */
	io_w(e, 0, IOAPIC_IOREGSEL, IOAPIC_REG_ID);
	io_w(e, 0, IOAPIC_IOWIN, 0x05000000);
	for (unsigned p = 0; p < SC_IOAPIC_DEFAULT_PINS; p++)
		redir(e, p, IOAPIC_REDIR_MASK | (0x40 + p));
	io_w(e, 1, IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL);
	io_w(e, 1, IOAPIC_IOWIN, IOAPIC_REDIR_MASK | 0x99);

	uint32_t regs[256];
	for (unsigned sel = 0; sel < 256; sel++) {
		io_w(e, 0, IOAPIC_IOREGSEL, sel);
		assert_int_equal(io_r(e, 0, IOAPIC_IOREGSEL), sel);
		regs[sel] = io_r(e, 0, IOAPIC_IOWIN);
		if (!ioapic_index_defined(sel))
			assert_int_equal(regs[sel], 0xffffffffu);
	}
	assert_int_equal(regs[IOAPIC_REG_ID] & IOAPIC_ID_MASK, 0x05000000);
	assert_int_equal(regs[IOAPIC_REG_VER] & 0xff, IOAPIC_VERSION_ICH);
	assert_int_equal((regs[IOAPIC_REG_VER] >> 16) & 0xff, SC_IOAPIC_DEFAULT_PINS - 1);
	for (unsigned p = 0; p < SC_IOAPIC_DEFAULT_PINS; p++)
		assert_int_equal(regs[IOAPIC_REG_REDTBL + 2 * p] & 0xff, 0x40 + p);

	/* IOREGSEL is 8 bits: wider values keep the low byte only. */
	io_w(e, 0, IOAPIC_IOREGSEL, 0xffffff12);
	assert_int_equal(io_r(e, 0, IOAPIC_IOREGSEL), 0x12);

	struct sc_board_state_v1 *a = state_new(), *b = state_new();
	static const uint32_t pats[] = { 0xffffffffu, 0, 0x5a5a5a5au, 0x0001ffffu };
	for (unsigned sel = 0; sel < 256; sel++) {
		if (ioapic_index_defined(sel) && sel != IOAPIC_REG_VER && sel != IOAPIC_REG_ARB)
			continue;
		unsigned msi = atomic_load(&e->n_msi), routes = e->n_route;
		io_w(e, 0, IOAPIC_IOREGSEL, sel);
		sc_board_save(&e->b, a);
		for (unsigned k = 0; k < 4; k++)
			io_w(e, 0, IOAPIC_IOWIN, pats[k]);
		/* byte and word writes inside the window too */
		assert_true(sc_board_mmio_write(&e->b, IOAPIC0 + IOAPIC_IOWIN + 3, 1, 0xff));
		assert_true(sc_board_mmio_write(&e->b, IOAPIC0 + IOAPIC_IOWIN + 2, 2, 0xffff));
		sc_board_save(&e->b, b);
		assert_memory_equal(a, b, sizeof(*a));
		assert_int_equal(io_r(e, 0, IOAPIC_IOWIN), regs[sel]);
		assert_int_equal(atomic_load(&e->n_msi), msi);
		assert_int_equal(e->n_route, routes);
	}
	/* IOAPIC 1 still has its own entry 0 and nothing else. */
	io_w(e, 1, IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL);
	assert_int_equal(io_r(e, 1, IOAPIC_IOWIN), IOAPIC_REDIR_MASK | 0x99);
	io_w(e, 1, IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL + 2);
	assert_int_equal(io_r(e, 1, IOAPIC_IOWIN), IOAPIC_REDIR_MASK);
	free(a);
	free(b);
	env_free(e);
}

/* ------------------------------------------------------------ PIC / ELCR */

/*
 * PIC IRQ number range (class, no CVE: KVM commit c65bbfa1d693 "check
 * injected pic irq within valid pic irqs").  Host-side line calls with a
 * bad IRQ, GSI, source or INTx pin return -EINVAL and change no state.
 */
static void test_pic_irq_out_of_range_class_no_cve(void **st)
{
	struct env *e = env_new();
	struct sc_board_state_v1 *a = state_new(), *b = state_new();
	sc_board_save(&e->b, a);
	static const unsigned bad_irq[] = { 2, 16, 17, 255, 256, 0x80000000u, ~0u };
	for (unsigned i = 0; i < sizeof(bad_irq) / sizeof(bad_irq[0]); i++) {
		assert_int_equal(sc_board_set_isa_irq(&e->b, bad_irq[i], SC_SRC_USER, true), -EINVAL);
		assert_int_equal(sc_pic_set_irq(&e->b.pic, bad_irq[i] == 2 ? 16 : bad_irq[i], true),
				 -EINVAL);
	}
	assert_int_equal(sc_board_set_isa_irq(&e->b, 3, SC_SRC_MAX, true), -EINVAL);
	assert_int_equal(sc_board_set_isa_irq(&e->b, 3, ~0u, true), -EINVAL);
	assert_int_equal(sc_board_set_gsi(&e->b, e->b.nr_gsis, SC_SRC_USER, true), -EINVAL);
	assert_int_equal(sc_board_set_gsi(&e->b, ~0u, SC_SRC_USER, true), -EINVAL);
	assert_int_equal(sc_board_set_gsi(&e->b, 5, SC_SRC_MAX, true), -EINVAL);
	assert_int_equal(sc_board_set_pci_intx(&e->b, 0, 3, 4, SC_SRC_PCI, true), -EINVAL);
	struct sc_board_gsi_status gs;
	assert_int_equal(sc_board_gsi_status(&e->b, e->b.nr_gsis, &gs), -EINVAL);
	sc_board_save(&e->b, b);
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
	env_free(e);
}

/*
 * ELCR reserved bits (class, no CVE): PIIX4 / ICH "ELCR1/ELCR2": IRQ 0, 1,
 * 2 (ELCR1 bits 0-2) and IRQ 8, 13 (ELCR2 bits 0, 5) must be edge; writes of
 * 1 there read back 0 and leave those inputs edge-triggered.
 */
static void test_elcr_reserved_bits_class_no_cve(void **st)
{
	struct env *e = env_new();
	outb(e, SC_PIC_ELCR1, 0xff);
	outb(e, SC_PIC_ELCR2, 0xff);
	assert_int_equal(inb(e, SC_PIC_ELCR1), 0xf8);
	assert_int_equal(inb(e, SC_PIC_ELCR2), 0xde);
	static const unsigned edge_only[] = { 0, 1, 2, 8, 13 };
	for (unsigned i = 0; i < 5; i++)
		assert_false(sc_pic_irq_level_mode(&e->b.pic, edge_only[i]));
	for (unsigned irq = 3; irq < 16; irq++)
		if (irq != 8 && irq != 13)
			assert_true(sc_pic_irq_level_mode(&e->b.pic, irq));
	/* A restored ELCR with reserved bits set is refused. */
	struct sc_board_state_v1 *s = state_new();
	sc_board_save(&e->b, s);
	s->pic.chip[0].elcr |= 0x01;
	assert_int_equal(sc_board_restore(&e->b, s), -EINVAL);
	s->pic.chip[0].elcr &= 0xf8;
	s->pic.chip[1].elcr |= 0x20;
	assert_int_equal(sc_board_restore(&e->b, s), -EINVAL);
	outb(e, SC_PIC_ELCR1, 0x07);
	outb(e, SC_PIC_ELCR2, 0x21);
	assert_int_equal(inb(e, SC_PIC_ELCR1), 0);
	assert_int_equal(inb(e, SC_PIC_ELCR2), 0);
	free(s);
	env_free(e);
}

/*
 * ELCR flips racing line changes (KVM i8259 ELCR/IRQ race class, no CVE):
 * one thread rewrites the ELCR, one raises and lowers IRQs, one runs INTA
 * cycles and EOIs, all through the board's locked entry points.  Afterwards
 * the PIC state validates, and with every line low and every input level
 * triggered IRR, ISR and INT are clear (8259A "Edge and Level Triggered
 * Modes": a level request follows its line).
 */
struct elcr_race {
	struct env *e;
	atomic_bool stop;
	unsigned seed;
};

static void *elcr_thread(void *arg)
{
	struct elcr_race *r = arg;
	unsigned seed = r->seed;
	while (!atomic_load(&r->stop)) {
		unsigned x = (unsigned)rand_r(&seed);
		sc_board_pio_write(&r->e->b, (x & 1) ? SC_PIC_ELCR2 : SC_PIC_ELCR1, 1, x >> 8);
	}
	return NULL;
}

static void *line_thread(void *arg)
{
	static const unsigned irqs[] = { 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15 };
	struct elcr_race *r = arg;
	unsigned seed = r->seed + 1;
	while (!atomic_load(&r->stop)) {
		unsigned x = (unsigned)rand_r(&seed);
		assert_int_equal(sc_board_set_isa_irq(&r->e->b, irqs[x % 11], SC_SRC_USER,
						      (x >> 8) & 1), 0);
	}
	return NULL;
}

static void *inta_thread(void *arg)
{
	struct elcr_race *r = arg;
	while (!atomic_load(&r->stop)) {
		if (sc_board_pic_intr(&r->e->b)) {
			int v = sc_board_pic_inta(&r->e->b);
			assert_true(v >= 0x20 && v < 0x30);
			if (v >= 0x28)
				sc_board_pio_write(&r->e->b, 0xa0, 1, OCW2_EOI);
			sc_board_pio_write(&r->e->b, 0x20, 1, OCW2_EOI);
		}
		sched_yield();
	}
	return NULL;
}

static void test_elcr_flip_races_line_raise_class_no_cve(void **st)
{
	struct env *e = env_new();
	/* PIC pair: vectors 0x20 / 0x28, everything unmasked. */
	outb(e, 0x20, 0x11); outb(e, 0x21, 0x20); outb(e, 0x21, 0x04); outb(e, 0x21, 0x01);
	outb(e, 0xa0, 0x11); outb(e, 0xa1, 0x28); outb(e, 0xa1, 0x02); outb(e, 0xa1, 0x01);
	outb(e, 0x21, 0x00);
	outb(e, 0xa1, 0x00);
	struct elcr_race r = { .e = e, .seed = 8259 };
	pthread_t t[3];
	assert_int_equal(pthread_create(&t[0], NULL, elcr_thread, &r), 0);
	assert_int_equal(pthread_create(&t[1], NULL, line_thread, &r), 0);
	assert_int_equal(pthread_create(&t[2], NULL, inta_thread, &r), 0);
	struct timespec ts = { 0, 200000000 };
	nanosleep(&ts, NULL);
	atomic_store(&r.stop, true);
	for (unsigned i = 0; i < 3; i++)
		pthread_join(t[i], NULL);

	struct sc_board_state_v1 *s = state_new();
	sc_board_save(&e->b, s);
	assert_int_equal(sc_pic_validate(&s->pic), 0);
	/* Quiesce: every line low, every input level, drain ISR. */
	for (unsigned irq = 3; irq < 16; irq++)
		if (irq != 8)
			assert_int_equal(sc_board_set_isa_irq(&e->b, irq, SC_SRC_USER, false), 0);
	outb(e, SC_PIC_ELCR1, 0xf8);
	outb(e, SC_PIC_ELCR2, 0xde);
	assert_int_equal(inb(e, SC_PIC_ELCR1), 0xf8);
	assert_int_equal(inb(e, SC_PIC_ELCR2), 0xde);
	for (unsigned i = 0; i < 8; i++) {
		outb(e, 0xa0, OCW2_EOI);
		outb(e, 0x20, OCW2_EOI);
	}
	outb(e, 0x20, OCW3_SEL | OCW3_RR);            /* read IRR */
	outb(e, 0xa0, OCW3_SEL | OCW3_RR);
	assert_int_equal(inb(e, 0x20), 0);
	assert_int_equal(inb(e, 0xa0), 0);
	outb(e, 0x20, OCW3_SEL | OCW3_RR | OCW3_RIS); /* read ISR */
	outb(e, 0xa0, OCW3_SEL | OCW3_RR | OCW3_RIS);
	assert_int_equal(inb(e, 0x20), 0);
	assert_int_equal(inb(e, 0xa0), 0);
	assert_false(sc_board_pic_intr(&e->b));
	/* and the PIC still works: a level IRQ 5 is requested and acked */
	assert_int_equal(sc_board_set_isa_irq(&e->b, 5, SC_SRC_USER, true), 0);
	assert_true(sc_board_pic_intr(&e->b));
	assert_int_equal(sc_board_pic_inta(&e->b), 0x25);
	free(s);
	env_free(e);
}

/* ------------------------------------------------------------ HPET */

/*
 * HPET timer index out of range (class, no CVE): registers of timers past
 * NUM_TIM_CAP read 0 and ignore writes (HPET 1.0a 2.3.1, Table 2:
 * reserved), offsets past the decoded block read all ones; no timer
 * state moves.  Checked through the board's 1 KiB window and, past it,
 * on the chip.
 */
static void test_hpet_timer_index_out_of_range_class_no_cve(void **st)
{
	struct env *e = env_new();
	uint64_t cap = hpet_r(e, HPET_GCAP_ID);
	unsigned ntim = (unsigned)((cap & HPET_GCAP_NUM_TIM_CAP_MASK) >> HPET_GCAP_NUM_TIM_CAP_SHIFT) + 1;
	assert_int_equal(ntim, SC_HPET_DEFAULT_TIMERS);
	hpet_w(e, HPET_TN_CMP(0), 0x1234);
	struct sc_hpet_state_v1 a, b;
	sc_hpet_save(&e->b.hpet, &a);
	for (unsigned n = ntim; n < SC_HPET_MAX_TIMERS; n++) {
		for (unsigned r = 0; r < 0x20; r += 8) {
			uint64_t off = HPET_TN_CONF(n) + r;
			if (off + 8 <= SC_BOARD_HPET_SIZE) {
				hpet_w(e, off, ~0ull);
				assert_int_equal(hpet_r(e, off), 0);
			} else {
				/* outside the board's window: not the board's */
				uint64_t v;
				assert_false(sc_board_mmio_read(&e->b, HPET + off, 8, &v));
				sc_hpet_mmio_write(&e->b.hpet, off, 8, ~0ull);
				assert_int_equal(sc_hpet_mmio_read(&e->b.hpet, off, 8),
						 off < SC_HPET_MMIO_SIZE_MAX ? 0 : ~0ull);
			}
		}
	}
	for (uint64_t off = SC_HPET_MMIO_SIZE_MAX; off < SC_HPET_MMIO_SIZE_MAX + 0x100; off += 8) {
		sc_hpet_mmio_write(&e->b.hpet, off, 8, ~0ull);
		assert_int_equal(sc_hpet_mmio_read(&e->b.hpet, off, 8), ~0ull);
		assert_int_equal(sc_hpet_mmio_read(&e->b.hpet, off, 4), 0xffffffffull);
	}
	sc_hpet_mmio_write(&e->b.hpet, ~0ull - 7, 8, ~0ull);
	assert_int_equal(sc_hpet_mmio_read(&e->b.hpet, ~0ull - 7, 8), ~0ull);
	sc_hpet_save(&e->b.hpet, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(hpet_r(e, HPET_TN_CMP(0)), 0x1234);
	/* host API with a bad timer number */
	assert_int_equal(sc_hpet_set_policy(&e->b.hpet, ntim, SC_TICK_DELAY), -EINVAL);
	assert_int_equal(sc_hpet_ack(&e->b.hpet, SC_HPET_MAX_TIMERS), -EINVAL);
	assert_null(sc_hpet_tick(&e->b.hpet, ntim));
	env_free(e);
}

#define ROUTE20 (20ull << HPET_TN_INT_ROUTE_CNF_SHIFT)

/* HPET timer @n edge-triggered on IOAPIC pin 20 (vector 0x50). */
static void hpet_route20(struct env *e, unsigned n, uint64_t extra)
{
	redir(e, 20, 0x50);
	hpet_w(e, HPET_TN_CONF(n), ROUTE20 | HPET_TN_INT_ENB_CNF | extra);
}

/*
 * HPET comparator overflow (class, no CVE): comparators at the top of
 * their range, a 64-bit counter wrap, 32-bit wrap, and a periodic timer
 * with period 0.  HPET 1.0a 2.3.9: a timer interrupts when the counter
 * equals its comparator; a period of 0 never moves the comparator.  No
 * deadline may wrap to "now", and no zero-period tick may spin.
 */
static void test_hpet_comparator_overflow_class_no_cve(void **st)
{
	struct env *e = env_new();
	/* 64-bit one-shot at 2^64 - 1: no interrupt, no near deadline. */
	hpet_route20(e, 0, 0);
	hpet_w(e, HPET_TN_CMP(0), ~0ull);
	hpet_w(e, HPET_GEN_CONF, HPET_ENABLE_CNF);
	assert_true(sc_fake_clock_next_deadline(&e->clk) > e->clk.now + 1000ull * SC_NSEC_PER_SEC);
	sc_fake_clock_advance(&e->clk, SC_NSEC_PER_SEC);
	assert_int_equal(atomic_load(&e->n_msi), 0);
	assert_int_equal(hpet_r(e, HPET_TN_CMP(0)), ~0ull);

	/* 64-bit counter wrap: counter 2^64 - 0x100, comparator 0x10 -> the
	 * match comes 0x110 ticks (2.72 us) later, after the wrap. */
	hpet_w(e, HPET_GEN_CONF, 0);
	hpet_w(e, HPET_MAIN_CNT, ~0ull - 0xff);
	hpet_w(e, HPET_TN_CMP(0), 0x10);
	hpet_w(e, HPET_GEN_CONF, HPET_ENABLE_CNF);
	sc_fake_clock_advance(&e->clk, 0x10f * SC_HPET_TICK_NS);
	assert_int_equal(atomic_load(&e->n_msi), 0);
	sc_fake_clock_advance(&e->clk, 2 * SC_HPET_TICK_NS);
	assert_int_equal(atomic_load(&e->n_msi), 1);
	sc_fake_clock_advance(&e->clk, SC_NSEC_PER_SEC);
	assert_int_equal(atomic_load(&e->n_msi), 1);

	/* 32-bit timer 1 at 0xffffffff: fires when the low half reaches it
	 * (and at the 32-bit wrap right after), ~42.9 s from counter 0. */
	hpet_w(e, HPET_GEN_CONF, 0);
	hpet_w(e, HPET_TN_CONF(0), 0);
	hpet_w(e, HPET_MAIN_CNT, 0);
	hpet_route20(e, 1, 0);
	hpet_w(e, HPET_TN_CMP(1), ~0ull);
	assert_int_equal(hpet_r(e, HPET_TN_CMP(1)), 0xffffffffull);
	unsigned m0 = atomic_load(&e->n_msi);
	hpet_w(e, HPET_GEN_CONF, HPET_ENABLE_CNF);
	uint64_t t_en = e->clk.now;
	sc_fake_clock_advance_to(&e->clk, t_en + 0xfffffffeull * SC_HPET_TICK_NS);
	assert_int_equal(atomic_load(&e->n_msi), m0);
	sc_fake_clock_advance_to(&e->clk, t_en + 0x100000001ull * SC_HPET_TICK_NS);
	assert_true(atomic_load(&e->n_msi) >= m0 + 1 && atomic_load(&e->n_msi) <= m0 + 2);

	/* Periodic timer 0 with period 0 (comparator 1000 written with
	 * Tn_VAL_SET_CNF, then period 0): one match, then the comparator stays
	 * put; 64-bit, so it never matches again. */
	hpet_w(e, HPET_GEN_CONF, 0);
	hpet_w(e, HPET_TN_CONF(1), 0);
	hpet_w(e, HPET_MAIN_CNT, 0);
	hpet_route20(e, 0, HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF);
	hpet_w(e, HPET_TN_CMP(0), 1000);
	hpet_w(e, HPET_TN_CMP(0), 0);                  /* period 0 */
	assert_int_equal(hpet_r(e, HPET_TN_CMP(0)), 1000);
	m0 = atomic_load(&e->n_msi);
	hpet_w(e, HPET_GEN_CONF, HPET_ENABLE_CNF);
	sc_fake_clock_advance(&e->clk, 100000000);     /* 100 ms */
	assert_int_equal(atomic_load(&e->n_msi), m0 + 1);
	assert_int_equal(hpet_r(e, HPET_TN_CMP(0)), 1000);
	struct sc_tick *t = sc_hpet_tick(&e->b.hpet, 0);
	assert_true(!t->running || t->period > 0);
	uint64_t nd = sc_fake_clock_next_deadline(&e->clk);
	assert_true(nd == UINT64_MAX || nd > e->clk.now);

	/* The same in 32-bit mode: matches again at every 32-bit wrap. */
	hpet_w(e, HPET_GEN_CONF, 0);
	hpet_w(e, HPET_MAIN_CNT, 0);
	hpet_route20(e, 0, HPET_TN_TYPE_CNF | HPET_TN_32MODE_CNF | HPET_TN_VAL_SET_CNF);
	hpet_w(e, HPET_TN_CMP(0), 1000);
	hpet_w(e, HPET_TN_CMP(0), 0);
	m0 = atomic_load(&e->n_msi);
	hpet_w(e, HPET_GEN_CONF, HPET_ENABLE_CNF);
	sc_fake_clock_advance(&e->clk, 100ull * SC_NSEC_PER_SEC);
	assert_int_equal(atomic_load(&e->n_msi), m0 + 3);  /* 10 us, +42.9 s, +85.9 s */
	assert_int_equal(hpet_r(e, HPET_TN_CMP(0)), 1000);
	env_free(e);
}

/* ------------------------------------------------------------ RTC */

/*
 * RTC CMOS index out of range (class, no CVE): port 0x70 bits 6:0 select
 * one of 128 bytes, bit 7 is the chipset's NMI mask.  Every value 0..255 is
 * written: index v and v | 0x80 reach the same byte, bit 7 only moves the
 * NMI mask, bank 2 (0x72/0x73) is untouched; VMM accesses past the banks
 * fail with -EINVAL.
 */
static bool rtc_is_ram(unsigned idx)
{
	return idx >= 0x0e && idx < 0x80 && idx != RTC_REG_CENTURY;
}

static void test_rtc_cmos_index_out_of_range_class_no_cve(void **st)
{
	struct env *e = env_new();
	for (unsigned i = 0; i < 128; i++)
		assert_int_equal(sc_rtc_cmos_set(&e->b.rtc, 0x80 + i, (uint8_t)(0xa5 ^ i)), 0);
	for (unsigned v = 0; v < 256; v++) {
		unsigned idx = v & 0x7f;
		outb(e, SC_RTC_PORT_INDEX, (uint8_t)v);
		assert_int_equal(sc_board_nmi_masked(&e->b), (v & 0x80) != 0);
		assert_int_equal(inb(e, SC_RTC_PORT_INDEX), 0xff);
		if (rtc_is_ram(idx))
			outb(e, SC_RTC_PORT_DATA, (uint8_t)(idx * 3 + (v >> 7)));
	}
	for (unsigned v = 0; v < 256; v++) {
		unsigned idx = v & 0x7f;
		if (!rtc_is_ram(idx))
			continue;
		outb(e, SC_RTC_PORT_INDEX, (uint8_t)v);
		/* the second pass (NMI bit set) wrote last */
		assert_int_equal(inb(e, SC_RTC_PORT_DATA), (uint8_t)(idx * 3 + 1));
		uint8_t b;
		assert_int_equal(sc_rtc_cmos_get(&e->b.rtc, idx, &b), 0);
		assert_int_equal(b, (uint8_t)(idx * 3 + 1));
	}
	for (unsigned i = 0; i < 128; i++) {
		uint8_t b;
		assert_int_equal(sc_rtc_cmos_get(&e->b.rtc, 0x80 + i, &b), 0);
		assert_int_equal(b, (uint8_t)(0xa5 ^ i));
		outb(e, SC_RTC_PORT_INDEX2, (uint8_t)(i | 0x80));   /* bit 7 ignored */
		assert_int_equal(inb(e, SC_RTC_PORT_DATA2), (uint8_t)(0xa5 ^ i));
	}
	/* Register D stays VRT; the clock registers are not RAM to the VMM. */
	outb(e, SC_RTC_PORT_INDEX, 0x80 | RTC_REG_D);
	assert_int_equal(inb(e, SC_RTC_PORT_DATA), RTC_REG_D_VRT);
	uint8_t b;
	static const unsigned bad[] = { 0, RTC_REG_A, RTC_REG_C, RTC_REG_CENTURY, 0x100, 0x1ff, ~0u };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sc_rtc_cmos_get(&e->b.rtc, bad[i], &b), -EINVAL);
		assert_int_equal(sc_rtc_cmos_set(&e->b.rtc, bad[i], 0), -EINVAL);
	}
	env_free(e);
}

static void rtc_w(struct env *e, uint8_t reg, uint8_t v)
{
	outb(e, SC_RTC_PORT_INDEX, reg);
	outb(e, SC_RTC_PORT_DATA, v);
}

static uint8_t rtc_r(struct env *e, uint8_t reg)
{
	outb(e, SC_RTC_PORT_INDEX, reg);
	return inb(e, SC_RTC_PORT_DATA);
}

/* Periodic interrupts delivered in one second at rate select @rs. */
static uint64_t rtc_ticks_per_second(struct env *e, unsigned rs)
{
	struct sc_tick *t = sc_rtc_tick(&e->b.rtc);
	rtc_w(e, RTC_REG_A, (uint8_t)(RTC_REG_A_DV_32K | rs));
	sc_fake_clock_advance(&e->clk, SC_NSEC_PER_SEC);     /* settle */
	uint64_t n0 = t->stats.delivered;
	sc_fake_clock_advance(&e->clk, SC_NSEC_PER_SEC);
	return t->stats.delivered - n0;
}

/*
 * RTC register A rate and register B toggles racing the update cycle
 * (class, no CVE).  MC146818A "Periodic Interrupt Rate" table with the
 * 32.768 kHz time base: RS 0 none, 1 = 256 Hz, 2 = 128 Hz, 3 = 8192 Hz,
 * ..., 15 = 2 Hz.  Then B's SET/PIE/AIE/UIE bits are toggled at 61 us steps
 * across several update cycles: C's IRQF always equals the OR of the
 * enabled flags, C's low nibble reads 0, UIP is 0 while SET is 1, SET
 * going high clears UIE, and every deadline stays within a period.
 */
static void test_rtc_rate_and_reg_b_race_update_class_no_cve(void **st)
{
	struct env *e = env_new();
	rtc_w(e, RTC_REG_B, RTC_REG_B_24H | RTC_REG_B_PIE);
	assert_int_equal(rtc_ticks_per_second(e, 0), 0);
	assert_false(sc_rtc_tick(&e->b.rtc)->running);
	static const struct { unsigned rs; uint64_t hz; } rate[] = {
		{ 1, 256 }, { 2, 128 }, { 15, 2 }, { 3, 8192 }, { 6, 1024 }, { 0, 0 },
	};
	for (unsigned i = 0; i < sizeof(rate) / sizeof(rate[0]); i++) {
		uint64_t n = rtc_ticks_per_second(e, rate[i].rs);
		assert_true(n + 1 >= rate[i].hz && n <= rate[i].hz + 1);
	}

	rtc_w(e, RTC_REG_A, RTC_REG_A_DV_32K | 6);
	unsigned seed = 146818;
	unsigned updates = 0;
	for (unsigned step = 0; step < 3 * 16394; step++) {
		unsigned x = (unsigned)rand_r(&seed);
		if ((x & 7) == 0) {
			uint8_t old = rtc_r(e, RTC_REG_B);
			uint8_t nb = (uint8_t)(RTC_REG_B_24H | ((x >> 8) & (RTC_REG_B_SET |
				RTC_REG_B_PIE | RTC_REG_B_AIE | RTC_REG_B_UIE)));
			rtc_w(e, RTC_REG_B, nb);
			uint8_t rb = rtc_r(e, RTC_REG_B);
			if ((nb & RTC_REG_B_SET) && !(old & RTC_REG_B_SET))
				assert_int_equal(rb, nb & ~RTC_REG_B_UIE);
			else
				assert_int_equal(rb, nb);
		}
		if ((x & 0x30) == 0) {
			/* an occasional rate change, 2 Hz .. 8 kHz or off */
			rtc_w(e, RTC_REG_A, (uint8_t)(RTC_REG_A_DV_32K | ((x >> 12) & 15)));
		}
		uint8_t a = rtc_r(e, RTC_REG_A);
		uint8_t b = rtc_r(e, RTC_REG_B);
		if (b & RTC_REG_B_SET)
			assert_int_equal(a & RTC_REG_A_UIP, 0);
		assert_int_equal(a & RTC_REG_A_DV_MASK, RTC_REG_A_DV_32K);
		if ((x & 3) == 0) {
			uint8_t c = rtc_r(e, RTC_REG_C);
			assert_int_equal(c & 0x0f, 0);
			bool irqf = (c & b & (RTC_REG_C_PF | RTC_REG_C_AF | RTC_REG_C_UF)) != 0;
			assert_int_equal((c & RTC_REG_C_IRQF) != 0, irqf);
			updates += (c & RTC_REG_C_UF) != 0;
			/* C read clears it */
			assert_int_equal(rtc_r(e, RTC_REG_C) & RTC_REG_C_IRQF, 0);
		}
		uint8_t sec = rtc_r(e, RTC_REG_SECONDS);
		assert_true((sec & 0xf) <= 9 && sec < 0x60);
		struct sc_tick *t = sc_rtc_tick(&e->b.rtc);
		if (t->running)
			assert_true(t->next_period >= e->clk.now &&
				    t->next_period <= e->clk.now + SC_NSEC_PER_SEC / 2);
		if (e->b.rtc.update_timer.armed)
			assert_true(e->b.rtc.update_timer.deadline >= e->clk.now &&
				    e->b.rtc.update_timer.deadline <= e->clk.now + SC_NSEC_PER_SEC);
		sc_fake_clock_advance(&e->clk, 61035);     /* 2 x 30.5 us */
	}
	assert_true(updates >= 1);
	struct sc_board_state_v1 *s = state_new();
	sc_board_save(&e->b, s);
	assert_int_equal(sc_rtc_validate(&s->rtc), 0);
	free(s);
	env_free(e);
}

/* ------------------------------------------------------------ hostile state */

static uint32_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*x >> 33);
}

/* A board with every chip busy: PIT ticking, RTC periodic, HPET periodic,
 * IOAPIC entries, PIC programmed, level lines held. */
static void program_all(struct env *e)
{
	outb(e, 0x20, 0x11); outb(e, 0x21, 0x20); outb(e, 0x21, 0x04); outb(e, 0x21, 0x01);
	outb(e, 0xa0, 0x11); outb(e, 0xa1, 0x28); outb(e, 0xa1, 0x02); outb(e, 0xa1, 0x01);
	outb(e, 0x21, 0xf8);
	outb(e, SC_PIC_ELCR2, 0x0c);
	redir(e, 2, 0x30);
	redir(e, 8, 0x38);
	redir(e, 10, 0x3a | IOAPIC_REDIR_TRIGGER);
	redir(e, 20, 0x50);
	pit_cw(e, 0, 2, false);
	pit_count(e, 0, 11932);
	outb(e, PIT_PORT_B, PORT61_GATE2);
	pit_cw(e, 2, 3, false);
	pit_count(e, 2, 0);
	rtc_w(e, RTC_REG_B, RTC_REG_B_24H | RTC_REG_B_PIE | RTC_REG_B_UIE);
	hpet_w(e, HPET_TN_CONF(0), ROUTE20 | HPET_TN_INT_ENB_CNF | HPET_TN_TYPE_CNF |
	       HPET_TN_VAL_SET_CNF);
	hpet_w(e, HPET_TN_CMP(0), 100000);
	hpet_w(e, HPET_TN_CONF(1), ROUTE20 | HPET_TN_INT_TYPE_CNF);
	hpet_w(e, HPET_TN_CMP(1), 5000);
	hpet_w(e, HPET_GEN_CONF, HPET_ENABLE_CNF);
	sc_board_set_gsi(&e->b, 10, SC_SRC_USER, true);
	sc_board_set_isa_irq(&e->b, 11, SC_SRC_USER, true);
	sc_fake_clock_advance(&e->clk, 3333333);
}

/* Guest activity on a restored board: reads of every chip, time moving. */
static void poke_all(struct env *e)
{
	(void)pit_latch(e, 0);
	(void)pit_latch(e, 2);
	outb(e, PIT_PORT_CONTROL, 0xce);
	for (unsigned c = 0; c < 3; c++)
		(void)inb(e, (uint16_t)(PIT_PORT_COUNTER0 + c));
	(void)inb(e, PIT_PORT_B);
	(void)rtc_r(e, RTC_REG_A);
	(void)rtc_r(e, RTC_REG_C);
	(void)rtc_r(e, RTC_REG_SECONDS);
	(void)hpet_r(e, HPET_MAIN_CNT);
	(void)hpet_r(e, HPET_TN_CMP(0));
	hpet_w(e, HPET_GINTR_STA, ~0ull);
	io_w(e, 0, IOAPIC_IOREGSEL, IOAPIC_REG_REDTBL + 20);
	(void)io_r(e, 0, IOAPIC_IOWIN);
	outb(e, 0x20, OCW3_SEL | OCW3_RR);
	(void)inb(e, 0x20);
	if (sc_board_pic_intr(&e->b)) {
		(void)sc_board_pic_inta(&e->b);
		outb(e, 0x20, OCW2_EOI);
	}
	sc_board_eoi(&e->b, 0x30);
	sc_board_eoi(&e->b, 0x3a);
	sc_fake_clock_advance(&e->clk, 2000000);
	sc_board_eoi(&e->b, 0x30);
}

/* Where the mutations land: each chip's state blob inside the board's. */
struct blob {
	const char *name;
	size_t off, len;
};

/*
 * Hostile saved state (restore class of CVE-2015-7513, for every chip):
 * a few thousand mutated copies (random bytes, bit flips, extreme words)
 * of a live board's state, chip by chip, with a fixed seed.  A refused
 * state leaves the board bit-identical; an accepted one must be valid
 * (the chip's own validator agrees with the board, its re-save
 * validates and restores again) and survive guest accesses and time.
 */
static void test_hostile_state_restore_every_chip(void **st)
{
	static const struct blob blobs[] = {
		{ "pic", offsetof(struct sc_board_state_v1, pic), sizeof(struct sc_pic_state_v1) },
		{ "pit", offsetof(struct sc_board_state_v1, pit), sizeof(struct sc_pit_state_v1) },
		{ "rtc", offsetof(struct sc_board_state_v1, rtc), sizeof(struct sc_rtc_state_v1) },
		{ "hpet", offsetof(struct sc_board_state_v1, hpet), sizeof(struct sc_hpet_state_v1) },
		{ "ioapic", offsetof(struct sc_board_state_v1, ioapic),
		  sizeof(struct sc_ioapic_state_v1) },
		{ "router", 0, offsetof(struct sc_board_state_v1, pic) },
	};
	struct env *e = env_new();
	program_all(e);
	struct sc_board_state_v1 *good = state_new(), *m = state_new();
	struct sc_board_state_v1 *before = state_new(), *after = state_new();
	sc_board_save(&e->b, good);

	struct env *f = env_new();
	sc_fake_clock_advance_to(&f->clk, e->clk.now);
	assert_int_equal(sc_board_restore(&f->b, good), 0);
	uint64_t seed = 0x17;
	unsigned accepted[6] = { 0 }, refused[6] = { 0 };
	for (unsigned i = 0; i < 6 * 600; i++) {
		unsigned k = i % 6;
		const struct blob *bl = &blobs[k];
		*m = *good;
		uint8_t *p = (uint8_t *)m + bl->off;
		unsigned nmut = 1 + lcg(&seed) % 3;
		for (unsigned j = 0; j < nmut; j++) {
			size_t at = lcg(&seed) % bl->len;
			switch (lcg(&seed) % 4) {
			case 0:
				p[at] ^= (uint8_t)(1u << (lcg(&seed) % 8));
				break;
			case 1:
				p[at] = (uint8_t)lcg(&seed);
				break;
			case 2:
				p[at] = 0;
				break;
			default:
				memset(p + (at & ~(size_t)7), 0xff,
				       bl->len - (at & ~(size_t)7) < 8 ? bl->len - (at & ~(size_t)7) : 8);
				break;
			}
		}
		sc_board_save(&f->b, before);
		int rc = sc_board_restore(&f->b, m);
		if (rc) {
			assert_int_equal(rc, -EINVAL);
			sc_board_save(&f->b, after);
			assert_memory_equal(before, after, sizeof(*before));
			refused[k]++;
			continue;
		}
		accepted[k]++;
		/* The chip's own validator accepted what the board accepted. */
		switch (k) {
		case 0: assert_int_equal(sc_pic_validate(&m->pic), 0); break;
		case 1: assert_int_equal(sc_pit_validate(&m->pit), 0); break;
		case 2: assert_int_equal(sc_rtc_validate(&m->rtc), 0); break;
		case 3: assert_int_equal(sc_hpet_validate(&m->hpet), 0); break;
		case 4: assert_int_equal(sc_ioapic_validate(&m->ioapic[0]), 0); break;
		default: break;
		}
		sc_board_save(&f->b, after);
		assert_int_equal(sc_board_restore(&f->b, after), 0);
		poke_all(f);
		sc_board_save(&f->b, after);
		assert_int_equal(sc_pit_validate(&after->pit), 0);
		assert_int_equal(sc_pic_validate(&after->pic), 0);
		assert_int_equal(sc_rtc_validate(&after->rtc), 0);
		assert_int_equal(sc_hpet_validate(&after->hpet), 0);
		assert_int_equal(sc_ioapic_validate(&after->ioapic[0]), 0);
		/* back to the good state, at the current time */
		sc_board_save(&f->b, before);
		if (sc_board_restore(&f->b, good))
			fail_msg("good state refused after a %s mutation", bl->name);
	}
	for (unsigned k = 0; k < 6; k++) {
		print_message("%-7s accepted %u refused %u\n", blobs[k].name, accepted[k], refused[k]);
		assert_true(refused[k] > 0);
	}
	free(good);
	free(m);
	free(before);
	free(after);
	env_free(f);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cve_2015_7513_pit_count0_and_count1_on_load),
		cmocka_unit_test(test_cve_2015_7513_pit_restore_count0),
		cmocka_unit_test(test_cve_2010_0309_pit_control_port_read),
		cmocka_unit_test(test_cve_2014_3611_pit_timer_migration_race),
		cmocka_unit_test(test_cve_2013_1798_ioapic_ioregsel_every_index),
		cmocka_unit_test(test_pic_irq_out_of_range_class_no_cve),
		cmocka_unit_test(test_elcr_reserved_bits_class_no_cve),
		cmocka_unit_test(test_elcr_flip_races_line_raise_class_no_cve),
		cmocka_unit_test(test_hpet_timer_index_out_of_range_class_no_cve),
		cmocka_unit_test(test_hpet_comparator_overflow_class_no_cve),
		cmocka_unit_test(test_rtc_cmos_index_out_of_range_class_no_cve),
		cmocka_unit_test(test_rtc_rate_and_reg_b_race_update_class_no_cve),
		cmocka_unit_test(test_hostile_state_restore_every_chip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
