/* SPDX-License-Identifier: MIT */
/*
 * i8254 PIT unit tests on the fake clock.  Times are expressed in input
 * clock edges: the fake clock starts exactly on edge E0, a write at edge E0
 * is loaded on edge E0 + 1 (clock "k = 1"), and at(k) moves time to the
 * edge E0 + k.  Expected waveforms follow the 8254 datasheet "Modes".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <splitchip/pit.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define F       1193182ull
#define E0      F               /* edge at t = 1 s exactly */

/* Time of input clock edge k: ceil(k * 1e9 / F). */
static uint64_t edge_ns(uint64_t k)
{
	return (k * 1000000000ull + F - 1) / F;
}

struct rec {
	struct sc_pit *pit;
	bool level;
	unsigned rises;
	unsigned calls;
	uint64_t rise_time[64];
	bool ack;               /* ack the tick on each rising edge */
	struct sc_fake_clock *fc;
};

static void rec_set(void *opaque, bool level)
{
	struct rec *r = opaque;
	r->calls++;
	if (level && !r->level) {
		if (r->rises < 64)
			r->rise_time[r->rises] = r->fc->now;
		r->rises++;
		if (r->ack)
			sc_tick_ack(sc_pit_tick(r->pit));
	}
	r->level = level;
}

struct fx {
	struct sc_fake_clock fc;
	struct sc_pit pit;
	struct rec rec;
	struct sc_line line;
	unsigned traces;
	struct sc_trace trace;
};

static void trace_fn(void *opaque, const char *chip, const char *event,
		     uint64_t a, uint64_t b)
{
	struct fx *f = opaque;
	(void)chip; (void)event; (void)a; (void)b;
	f->traces++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	sc_fake_clock_init(&f->fc, edge_ns(E0));
	f->rec.pit = &f->pit;
	f->rec.fc = &f->fc;
	f->line.set = rec_set;
	f->line.opaque = &f->rec;
	f->trace.event = trace_fn;
	f->trace.opaque = f;
	sc_pit_init(&f->pit, &f->fc.clock, &f->line, &f->trace);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sc_pit_reset(&f->pit);
	free(f);
	return 0;
}

static void at(struct fx *f, uint64_t k)
{
	sc_fake_clock_advance_to(&f->fc, edge_ns(E0 + k));
}

/* Just before edge E0 + k. */
static void before(struct fx *f, uint64_t k)
{
	sc_fake_clock_advance_to(&f->fc, edge_ns(E0 + k) - 1);
}

static void wr(struct fx *f, uint16_t port, uint8_t v)
{
	sc_pit_ioport_write(&f->pit, port, v);
}

static uint8_t rd(struct fx *f, uint16_t port)
{
	return sc_pit_ioport_read(&f->pit, port);
}

/* Control word for counter c, LSB-then-MSB, mode m, optional BCD. */
static void cw(struct fx *f, unsigned c, unsigned rw, unsigned m, bool bcd)
{
	wr(f, PIT_PORT_CONTROL, (uint8_t)(c << 6 | rw << 4 | m << 1 | (bcd ? 1 : 0)));
}

static void count16(struct fx *f, unsigned c, uint16_t v)
{
	wr(f, (uint16_t)(PIT_PORT_COUNTER0 + c), (uint8_t)v);
	wr(f, (uint16_t)(PIT_PORT_COUNTER0 + c), (uint8_t)(v >> 8));
}

static uint16_t read16(struct fx *f, unsigned c)
{
	uint16_t lo = rd(f, (uint16_t)(PIT_PORT_COUNTER0 + c));
	uint16_t hi = rd(f, (uint16_t)(PIT_PORT_COUNTER0 + c));
	return (uint16_t)(lo | hi << 8);
}

/* Latched read via counter latch command. */
static uint16_t latch16(struct fx *f, unsigned c)
{
	wr(f, PIT_PORT_CONTROL, (uint8_t)(c << 6));
	return read16(f, c);
}

static uint8_t status(struct fx *f, unsigned c)
{
	wr(f, PIT_PORT_CONTROL, (uint8_t)(0xC0 | PIT_RB_COUNT_N | PIT_RB_CNT(c)));
	return rd(f, (uint16_t)(PIT_PORT_COUNTER0 + c));
}

static bool out(struct fx *f, unsigned c)
{
	return sc_pit_get_out(&f->pit, c);
}

/* ---------------------------------------------------------------- mode 0 */

static void test_mode0_out_low_after_cw_high_at_terminal_count(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 0, false);
	assert_false(out(f, 0));
	assert_int_equal(status(f, 0) & PIT_STATUS_OUT, 0);
	count16(f, 0, 5);
	assert_false(out(f, 0));
	at(f, 1);
	assert_int_equal(read16(f, 0), 5);      /* loaded on the next CLK */
	at(f, 3);
	assert_int_equal(read16(f, 0), 3);
	before(f, 6);
	assert_false(out(f, 0));
	assert_int_equal(f->rec.rises, 0);
	at(f, 6);                               /* N + 1 clocks after the write */
	assert_true(out(f, 0));
	assert_int_equal(read16(f, 0), 0);
	assert_int_equal(f->rec.rises, 1);
	assert_int_equal(f->rec.rise_time[0], edge_ns(E0 + 6));
	assert_true(f->rec.level);              /* stays high */
	at(f, 7);
	assert_int_equal(read16(f, 0), 0xffff); /* counting continues, wraps */
	assert_true(out(f, 0));
	at(f, 100000);
	assert_true(out(f, 0));
	assert_int_equal(f->rec.rises, 1);
	/* A control word drives OUT and the wire low. */
	cw(f, 0, 3, 0, false);
	assert_false(out(f, 0));
	assert_false(f->rec.level);
}

static void test_mode0_new_count_restarts(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 0, false);
	count16(f, 0, 100);
	at(f, 50);
	count16(f, 0, 10);                      /* at edge 50: load at 51 */
	at(f, 51);
	assert_int_equal(read16(f, 0), 10);
	before(f, 61);
	assert_false(out(f, 0));
	at(f, 61);
	assert_true(out(f, 0));
	at(f, 200);
	assert_int_equal(f->rec.rises, 1);
	/* Rewrite after terminal count: wire low, then high again. */
	count16(f, 0, 2);
	assert_false(f->rec.level);
	assert_false(out(f, 0));
	at(f, 203);
	assert_true(out(f, 0));
	assert_int_equal(f->rec.rises, 2);
}

static void test_mode0_first_byte_stops_counting(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 0, false);
	count16(f, 0, 1000);
	at(f, 11);
	assert_int_equal(read16(f, 0), 990);
	wr(f, PIT_PORT_COUNTER0, 20);           /* LSB only */
	assert_false(out(f, 0));
	at(f, 2000);                            /* old count would have expired */
	assert_false(out(f, 0));
	assert_int_equal(f->rec.rises, 0);
	assert_int_equal(read16(f, 0), 990);    /* held */
	wr(f, PIT_PORT_COUNTER0, 0);            /* MSB: count 20 */
	at(f, 2001);
	assert_int_equal(read16(f, 0), 20);
	at(f, 2021);
	assert_true(out(f, 0));
	assert_int_equal(f->rec.rises, 1);
}

static void test_mode0_gate_low_suspends_counting(void **state)
{
	struct fx *f = *state;
	cw(f, 2, 3, 0, false);
	count16(f, 2, 10);                      /* gate 2 low after reset */
	at(f, 5);
	assert_int_equal(read16(f, 2), 10);     /* loaded, not counting */
	assert_int_equal(sc_pit_set_gate(&f->pit, 2, true), 0);
	at(f, 8);
	assert_int_equal(read16(f, 2), 7);
	assert_int_equal(sc_pit_set_gate(&f->pit, 2, false), 0);
	at(f, 100);
	assert_int_equal(read16(f, 2), 7);
	assert_false(out(f, 2));
	sc_pit_set_gate(&f->pit, 2, true);
	at(f, 106);
	assert_int_equal(read16(f, 2), 1);
	assert_false(out(f, 2));
	at(f, 107);
	assert_true(out(f, 2));
}

/* ---------------------------------------------------------------- mode 1 */

static void test_mode1_gate_trigger_one_shot(void **state)
{
	struct fx *f = *state;
	cw(f, 2, 3, 1, false);
	assert_true(out(f, 2));                 /* OUT high after the control word */
	count16(f, 2, 4);
	at(f, 10);
	assert_true(out(f, 2));                 /* nothing without a trigger */
	assert_int_equal(status(f, 2) & PIT_STATUS_NULL_COUNT, PIT_STATUS_NULL_COUNT);
	sc_pit_set_gate(&f->pit, 2, true);      /* trigger at edge 10 */
	assert_true(out(f, 2));
	at(f, 11);
	assert_false(out(f, 2));                /* low on the CLK after the trigger */
	assert_int_equal(read16(f, 2), 4);
	assert_int_equal(status(f, 2) & PIT_STATUS_NULL_COUNT, 0);
	sc_pit_set_gate(&f->pit, 2, false);     /* gate level does not matter */
	before(f, 15);
	assert_false(out(f, 2));
	at(f, 15);
	assert_true(out(f, 2));                 /* N clocks low */
	at(f, 16);
	assert_int_equal(read16(f, 2), 0xffff);
}

static void test_mode1_retrigger_and_new_count_at_trigger(void **state)
{
	struct fx *f = *state;
	cw(f, 2, 3, 1, false);
	count16(f, 2, 4);
	sc_pit_set_gate(&f->pit, 2, true);      /* trigger at 0, low 1..4 */
	at(f, 3);
	count16(f, 2, 100);                     /* no effect until the trigger */
	sc_pit_set_gate(&f->pit, 2, false);
	sc_pit_set_gate(&f->pit, 2, true);      /* retrigger at 3: new count */
	at(f, 5);
	assert_false(out(f, 2));
	assert_int_equal(read16(f, 2), 99);
	before(f, 104);
	assert_false(out(f, 2));
	at(f, 104);
	assert_true(out(f, 2));
}

/* ---------------------------------------------------------------- mode 2 */

static void test_mode2_out_low_one_clock_at_count_1(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 2, false);
	assert_true(out(f, 0));
	count16(f, 0, 4);
	static const uint16_t ce[] = { 0, 4, 3, 2, 1, 4, 3, 2, 1, 4 };
	for (unsigned k = 1; k < 10; k++) {
		at(f, k);
		assert_int_equal(latch16(f, 0), ce[k]);
		assert_int_equal(out(f, 0), ce[k] != 1);
	}
	/* Exactly one clock period low (count 1 at edge 12). */
	before(f, 12);
	assert_true(out(f, 0));
	at(f, 12);
	assert_false(out(f, 0));
	before(f, 13);
	assert_false(out(f, 0));
	at(f, 13);
	assert_true(out(f, 0));
}

static void test_mode2_new_count_at_next_reload(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 10);                      /* reloads at 11, 21, ... */
	at(f, 3);
	count16(f, 0, 5);
	assert_int_equal(status(f, 0) & PIT_STATUS_NULL_COUNT, PIT_STATUS_NULL_COUNT);
	at(f, 10);
	assert_int_equal(read16(f, 0), 1);      /* current period unaffected */
	assert_false(out(f, 0));
	assert_int_equal(status(f, 0) & PIT_STATUS_NULL_COUNT, PIT_STATUS_NULL_COUNT);
	at(f, 11);
	assert_int_equal(read16(f, 0), 5);      /* new count from the reload */
	assert_int_equal(status(f, 0) & PIT_STATUS_NULL_COUNT, 0);
	at(f, 15);
	assert_false(out(f, 0));
	at(f, 16);
	assert_int_equal(read16(f, 0), 5);
}

static void test_mode2_gate_low_forces_out_high_and_rising_reloads(void **state)
{
	struct fx *f = *state;
	sc_pit_set_gate(&f->pit, 2, true);
	cw(f, 2, 3, 2, false);
	count16(f, 2, 10);
	at(f, 10);
	assert_false(out(f, 2));                /* count 1 */
	sc_pit_set_gate(&f->pit, 2, false);
	assert_true(out(f, 2));                 /* immediately high */
	at(f, 50);
	assert_int_equal(read16(f, 2), 1);      /* not counting */
	assert_true(out(f, 2));
	sc_pit_set_gate(&f->pit, 2, true);      /* reload on the next CLK */
	at(f, 51);
	assert_int_equal(read16(f, 2), 10);
	at(f, 60);
	assert_false(out(f, 2));
	at(f, 61);
	assert_true(out(f, 2));
}

static void test_mode2_count_written_with_gate_low_waits_for_gate(void **state)
{
	struct fx *f = *state;
	cw(f, 2, 3, 2, false);
	count16(f, 2, 10);
	at(f, 20);
	assert_int_equal(status(f, 2) & PIT_STATUS_NULL_COUNT, PIT_STATUS_NULL_COUNT);
	sc_pit_set_gate(&f->pit, 2, true);
	at(f, 21);
	assert_int_equal(read16(f, 2), 10);
	assert_int_equal(status(f, 2) & PIT_STATUS_NULL_COUNT, 0);
	/* New count while counting, then gate low: the trigger loads it. */
	count16(f, 2, 7);
	sc_pit_set_gate(&f->pit, 2, false);
	at(f, 40);
	sc_pit_set_gate(&f->pit, 2, true);
	at(f, 41);
	assert_int_equal(read16(f, 2), 7);
}

static void test_mode2_latest_count_wins_for_load_and_reload(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 10);
	count16(f, 0, 20);                      /* same clock: CR -> CE takes 20 */
	at(f, 1);
	assert_int_equal(read16(f, 0), 20);
	at(f, 5);
	count16(f, 0, 30);
	at(f, 6);
	count16(f, 0, 7);                       /* newer count, same reload */
	at(f, 21);
	assert_int_equal(read16(f, 0), 7);
	at(f, 27);
	assert_false(out(f, 0));
	at(f, 28);
	assert_true(out(f, 0));
	assert_int_equal(read16(f, 0), 7);
}

static void test_mode3_gate_low_before_load_and_count_while_gated(void **state)
{
	struct fx *f = *state;
	cw(f, 2, 3, 3, false);
	count16(f, 2, 10);
	sc_pit_set_gate(&f->pit, 2, true);      /* load scheduled for edge 1 */
	sc_pit_set_gate(&f->pit, 2, false);     /* ... cancelled */
	at(f, 5);
	assert_true(out(f, 2));
	assert_true(status(f, 2) & PIT_STATUS_NULL_COUNT);
	sc_pit_set_gate(&f->pit, 2, true);
	at(f, 6);
	assert_int_equal(read16(f, 2), 10);
	at(f, 8);
	sc_pit_set_gate(&f->pit, 2, false);     /* stops at 6 */
	count16(f, 2, 4);                       /* waits for the trigger */
	at(f, 30);
	assert_int_equal(read16(f, 2), 6);
	assert_true(out(f, 2));
	assert_true(status(f, 2) & PIT_STATUS_NULL_COUNT);
	sc_pit_set_gate(&f->pit, 2, true);
	at(f, 31);
	assert_int_equal(read16(f, 2), 4);
	at(f, 33);
	assert_false(out(f, 2));
}

static void test_mode1_on_counter0_never_starts(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 1, false);
	count16(f, 0, 5);
	at(f, 1000);
	assert_true(out(f, 0));                 /* gate 0 tied high: no trigger */
	assert_true(status(f, 0) & PIT_STATUS_NULL_COUNT);
	assert_false(f->pit.timer.armed);
	assert_int_equal(f->rec.rises, 0);
}

static void test_mode6_aliases_mode2(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 6, false);
	assert_int_equal(status(f, 0) & PIT_CW_M_MASK, 6 << 1);
	count16(f, 0, 4);
	at(f, 4);
	assert_false(out(f, 0));
	at(f, 5);
	assert_true(out(f, 0));
	assert_int_equal(read16(f, 0), 4);
}

/* ---------------------------------------------------------------- mode 3 */

static void test_mode3_even_count_half_periods(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 3, false);
	count16(f, 0, 6);
	static const uint16_t ce[] = { 0, 6, 4, 2, 6, 4, 2, 6 };
	static const bool o[] = { 1, 1, 1, 1, 0, 0, 0, 1 };
	for (unsigned k = 1; k < 8; k++) {
		at(f, k);
		assert_int_equal(latch16(f, 0), ce[k]);
		assert_int_equal(out(f, 0), o[k]);
	}
}

static void test_mode3_odd_count_high_n_plus_1_half(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 3, false);
	count16(f, 0, 5);
	/* High (5+1)/2 = 3 clocks: 5, 4, 2; low (5-1)/2 = 2 clocks: 5, 2. */
	static const uint16_t ce[] = { 0, 5, 4, 2, 5, 2, 5, 4, 2, 5, 2 };
	static const bool o[] = { 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
	for (unsigned k = 1; k < 11; k++) {
		at(f, k);
		assert_int_equal(latch16(f, 0), ce[k]);
		assert_int_equal(out(f, 0), o[k]);
	}
}

static void test_mode3_new_count_at_end_of_half_cycle(void **state)
{
	struct fx *f = *state;
	cw(f, 2, 3, 3, false);
	sc_pit_set_gate(&f->pit, 2, true);
	count16(f, 2, 8);                       /* high 1..4, low 5..8 */
	at(f, 2);
	count16(f, 2, 4);                       /* in the high half */
	at(f, 4);
	assert_true(out(f, 2));
	assert_int_equal(read16(f, 2), 2);      /* old sequence: 8, 6, 4, 2 */
	at(f, 5);
	assert_false(out(f, 2));                /* half-cycle ends: new count, low */
	assert_int_equal(read16(f, 2), 4);
	at(f, 6);
	assert_false(out(f, 2));
	assert_int_equal(read16(f, 2), 2);
	at(f, 7);
	assert_true(out(f, 2));                 /* low for 4/2 */
	at(f, 9);
	assert_false(out(f, 2));
	/* Written in the low half: takes effect at its end, starting high. */
	count16(f, 2, 6);
	at(f, 11);
	assert_true(out(f, 2));
	assert_int_equal(read16(f, 2), 6);
	at(f, 14);
	assert_false(out(f, 2));
}

static void test_mode7_aliases_mode3(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 7, false);
	count16(f, 0, 4);
	at(f, 2);
	assert_true(out(f, 0));
	at(f, 3);
	assert_false(out(f, 0));
	at(f, 5);
	assert_true(out(f, 0));
}

/* ---------------------------------------------------------------- modes 4, 5 */

static void test_mode4_strobe_one_clock_after_terminal_count(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 4, false);
	assert_true(out(f, 0));
	count16(f, 0, 3);
	at(f, 3);
	assert_int_equal(read16(f, 0), 1);
	assert_true(out(f, 0));
	at(f, 4);
	assert_int_equal(read16(f, 0), 0);
	assert_false(out(f, 0));                /* N + 1 clocks after the write */
	before(f, 5);
	assert_false(out(f, 0));
	assert_int_equal(f->rec.rises, 0);
	at(f, 5);
	assert_true(out(f, 0));
	assert_int_equal(f->rec.rises, 1);      /* rising edge ends the strobe */
	assert_int_equal(f->rec.rise_time[0], edge_ns(E0 + 5));
	assert_false(f->rec.level);             /* the wire rests low */
	at(f, 5 + 65536 * 2);
	assert_true(out(f, 0));                 /* no second strobe */
	assert_int_equal(f->rec.rises, 1);
}

static void test_mode4_new_count_restarts_and_gate_suspends(void **state)
{
	struct fx *f = *state;
	cw(f, 2, 3, 4, false);
	sc_pit_set_gate(&f->pit, 2, true);
	count16(f, 2, 10);
	at(f, 5);
	count16(f, 2, 3);
	at(f, 6);
	assert_int_equal(read16(f, 2), 3);
	sc_pit_set_gate(&f->pit, 2, false);
	at(f, 50);
	assert_int_equal(read16(f, 2), 3);
	assert_true(out(f, 2));
	sc_pit_set_gate(&f->pit, 2, true);
	at(f, 53);
	assert_false(out(f, 2));
	at(f, 54);
	assert_true(out(f, 2));
}

static void test_mode5_gate_triggered_strobe(void **state)
{
	struct fx *f = *state;
	cw(f, 2, 3, 5, false);
	count16(f, 2, 3);
	at(f, 20);
	assert_true(out(f, 2));
	sc_pit_set_gate(&f->pit, 2, true);      /* trigger at 20 */
	at(f, 21);
	assert_int_equal(read16(f, 2), 3);
	at(f, 23);
	assert_true(out(f, 2));
	at(f, 24);
	assert_false(out(f, 2));                /* N + 1 clocks after trigger */
	at(f, 25);
	assert_true(out(f, 2));
	/* Retrigger. */
	sc_pit_set_gate(&f->pit, 2, false);
	sc_pit_set_gate(&f->pit, 2, true);
	at(f, 29);
	assert_false(out(f, 2));
	at(f, 30);
	assert_true(out(f, 2));
}

/* ---------------------------------------------------------------- counts */

static void test_count0_is_65536_binary(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 0);
	at(f, 1);
	assert_int_equal(read16(f, 0), 0);      /* 65536 reads as 0000 */
	at(f, 2);
	assert_int_equal(read16(f, 0), 0xffff);
	at(f, 65536);
	assert_false(out(f, 0));
	at(f, 65537);
	assert_true(out(f, 0));
	assert_int_equal(sc_pit_tick(&f->pit)->period,
			 edge_ns(E0 + 65537) - edge_ns(E0 + 1)); /* 65536/F s */
}

static void test_count0_is_10000_bcd_and_bcd_decrement(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 0, true);
	assert_int_equal(status(f, 0) & PIT_CW_BCD, PIT_CW_BCD);
	count16(f, 0, 0);
	at(f, 2);
	assert_int_equal(read16(f, 0), 0x9999);
	at(f, 1 + 9990);
	assert_int_equal(read16(f, 0), 0x0010);
	at(f, 10000);
	assert_false(out(f, 0));
	at(f, 10001);
	assert_true(out(f, 0));
	at(f, 10002);
	assert_int_equal(read16(f, 0), 0x9999); /* BCD wrap */

	cw(f, 0, 3, 0, true);
	count16(f, 0, 0x0100);                  /* 100 decimal */
	at(f, 10003);
	assert_int_equal(read16(f, 0), 0x0100);
	at(f, 10004);
	assert_int_equal(read16(f, 0), 0x0099);
	at(f, 10014);
	assert_int_equal(read16(f, 0), 0x0089);
}

/* ---------------------------------------------------------------- access */

static void test_lsb_only_and_msb_only_access(void **state)
{
	struct fx *f = *state;
	cw(f, 0, PIT_CW_RW_LSB, 0, false);
	wr(f, PIT_PORT_COUNTER0, 0x34);         /* count 0x0034 */
	at(f, 1);
	assert_int_equal(rd(f, PIT_PORT_COUNTER0), 0x34);
	assert_int_equal(rd(f, PIT_PORT_COUNTER0), 0x34);
	at(f, 0x35);
	assert_true(out(f, 0));
	assert_int_equal(status(f, 0) & PIT_CW_RW_MASK, PIT_CW_RW_LSB << 4);

	cw(f, 0, PIT_CW_RW_MSB, 0, false);
	wr(f, PIT_PORT_COUNTER0, 0x12);         /* count 0x1200 */
	at(f, 0x36);
	assert_int_equal(rd(f, PIT_PORT_COUNTER0), 0x12);
	at(f, 0x36 + 0x100);
	assert_int_equal(rd(f, PIT_PORT_COUNTER0), 0x11);
	before(f, 0x36 + 0x1200);
	assert_false(out(f, 0));
	at(f, 0x36 + 0x1200);
	assert_true(out(f, 0));
}

static void test_word_flip_flops_and_control_word_resets_them(void **state)
{
	struct fx *f = *state;
	cw(f, 1, 3, 0, false);
	count16(f, 1, 0x1234);
	at(f, 1);
	assert_int_equal(rd(f, PIT_PORT_COUNTER1), 0x34);
	assert_int_equal(rd(f, PIT_PORT_COUNTER1), 0x12);
	assert_int_equal(rd(f, PIT_PORT_COUNTER1), 0x34);
	/* Half-written and half-read, then a control word. */
	wr(f, PIT_PORT_COUNTER1, 0x99);
	cw(f, 1, 3, 0, false);
	count16(f, 1, 0x0506);                  /* starts with the LSB again */
	at(f, 2);
	assert_int_equal(rd(f, PIT_PORT_COUNTER1), 0x06); /* LSB again */
	assert_int_equal(rd(f, PIT_PORT_COUNTER1), 0x05);
}

static void test_counter_latch_holds_value_second_latch_ignored(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 1000);
	at(f, 1);
	wr(f, PIT_PORT_CONTROL, 0x00);          /* latch counter 0 at 1000 */
	at(f, 101);
	wr(f, PIT_PORT_CONTROL, 0x00);          /* ignored */
	assert_int_equal(rd(f, PIT_PORT_COUNTER0), 0xe8);
	at(f, 201);
	assert_int_equal(rd(f, PIT_PORT_COUNTER0), 0x03);       /* 1000 */
	assert_int_equal(read16(f, 0), 800);    /* latch released: live */
	/* LSB-only latch is released after one read. */
	cw(f, 1, PIT_CW_RW_LSB, 2, false);
	wr(f, PIT_PORT_COUNTER1, 50);
	at(f, 211);
	wr(f, PIT_PORT_CONTROL, 0x40);
	at(f, 215);
	assert_int_equal(rd(f, PIT_PORT_COUNTER1), 41);
	assert_int_equal(rd(f, PIT_PORT_COUNTER1), 37);
	/* MSB-only latch. */
	cw(f, 2, PIT_CW_RW_MSB, 2, false);
	sc_pit_set_gate(&f->pit, 2, true);
	wr(f, PIT_PORT_COUNTER2, 2);            /* 0x200 */
	at(f, 216);
	wr(f, PIT_PORT_CONTROL, 0x80);
	at(f, 216 + 0x100);
	assert_int_equal(rd(f, PIT_PORT_COUNTER2), 2);
	assert_int_equal(rd(f, PIT_PORT_COUNTER2), 1);
}

static void test_control_word_drops_latches(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 1000);
	at(f, 1);
	wr(f, PIT_PORT_CONTROL, 0xC0 | PIT_RB_CNT(0)); /* count + status */
	cw(f, 0, 3, 2, false);
	count16(f, 0, 500);
	at(f, 2);
	assert_int_equal(read16(f, 0), 500);
}

static void test_readback_status_and_count_multiple_channels(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 300);
	cw(f, 2, 3, 0, true);
	count16(f, 2, 0x50);
	sc_pit_set_gate(&f->pit, 2, true);
	at(f, 11);
	/* Latch status and count of counters 0 and 2 at once. */
	wr(f, PIT_PORT_CONTROL, 0xC0 | PIT_RB_CNT(0) | PIT_RB_CNT(2));
	at(f, 40);
	assert_int_equal(rd(f, PIT_PORT_COUNTER0), PIT_STATUS_OUT | 3 << 4 | 2 << 1);
	assert_int_equal(read16(f, 0), 290);
	assert_int_equal(rd(f, PIT_PORT_COUNTER2), 3 << 4 | 0 << 1 | 1);   /* OUT low */
	assert_int_equal(read16(f, 2), 0x40);   /* BCD 50 - 10 */
	assert_int_equal(read16(f, 0), 261);    /* live again */

	/* Status and count latched independently; repeats ignored. */
	wr(f, PIT_PORT_CONTROL, 0xC0 | PIT_RB_COUNT_N | PIT_RB_CNT(0)); /* status */
	at(f, 50);
	wr(f, PIT_PORT_CONTROL, 0xC0 | PIT_RB_STATUS_N | PIT_RB_CNT(0)); /* count at 50 */
	wr(f, PIT_PORT_CONTROL, 0xC0 | PIT_RB_CNT(0));  /* both held: ignored */
	at(f, 60);
	assert_int_equal(rd(f, PIT_PORT_COUNTER0), PIT_STATUS_OUT | 3 << 4 | 2 << 1);
	assert_int_equal(read16(f, 0), 251);
	assert_int_equal(read16(f, 0), 241);
	/* Status only, then a count latch command: status first. */
	cw(f, 1, 3, 4, false);
	wr(f, PIT_PORT_CONTROL, 0xC0 | PIT_RB_COUNT_N | PIT_RB_CNT(1));
	assert_int_equal(rd(f, PIT_PORT_COUNTER1),
			 PIT_STATUS_OUT | PIT_STATUS_NULL_COUNT | 3 << 4 | 4 << 1);
	/* COUNT and STATUS both "don't latch": nothing. */
	wr(f, PIT_PORT_CONTROL, 0xF0 | PIT_RB_CNT(0));
	at(f, 61);
	assert_int_equal(read16(f, 0), 240);
}

static void test_null_count_semantics(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 0, false);
	assert_true(status(f, 0) & PIT_STATUS_NULL_COUNT);
	wr(f, PIT_PORT_COUNTER0, 10);
	assert_true(status(f, 0) & PIT_STATUS_NULL_COUNT);
	count16(f, 1, 0);                       /* other counters unaffected */
	wr(f, PIT_PORT_COUNTER0, 0);
	assert_true(status(f, 0) & PIT_STATUS_NULL_COUNT);
	before(f, 1);
	assert_true(status(f, 0) & PIT_STATUS_NULL_COUNT);
	at(f, 1);                               /* CR -> CE */
	assert_false(status(f, 0) & PIT_STATUS_NULL_COUNT);
	count16(f, 0, 10);
	assert_true(status(f, 0) & PIT_STATUS_NULL_COUNT);
	at(f, 2);
	assert_false(status(f, 0) & PIT_STATUS_NULL_COUNT);
	cw(f, 0, 3, 0, false);
	assert_true(status(f, 0) & PIT_STATUS_NULL_COUNT);
	/* Counter 1 was loaded by its own count; unaffected by counter 0 CWs. */
	assert_false(status(f, 1) & PIT_STATUS_NULL_COUNT);
}

/* ---------------------------------------------------------------- port 0x61 */

static void test_port61_gate2_out2_speaker_refresh(void **state)
{
	struct fx *f = *state;
	assert_int_equal(rd(f, PIT_PORT_B) & (PORT61_GATE2 | PORT61_SPKR_DATA), 0);
	cw(f, 2, 3, 0, false);
	count16(f, 2, 100);
	wr(f, PIT_PORT_B, PORT61_GATE2 | PORT61_SPKR_DATA | 0xf0); /* RO bits ignored */
	uint8_t v = rd(f, PIT_PORT_B);
	assert_int_equal(v & 0x0f, PORT61_GATE2 | PORT61_SPKR_DATA);
	assert_int_equal(v & (PORT61_OUT2 | 0xc0), 0);
	at(f, 100);
	assert_false(rd(f, PIT_PORT_B) & PORT61_OUT2);
	at(f, 101);
	assert_true(rd(f, PIT_PORT_B) & PORT61_OUT2);
	/* Gate via port 0x61 bit 0 stops counting of counter 2. */
	cw(f, 2, 3, 0, false);
	count16(f, 2, 50);
	at(f, 110);
	wr(f, PIT_PORT_B, 0);
	at(f, 500);
	assert_int_equal(read16(f, 2), 42);     /* loaded at 102, held at 110 */
	wr(f, PIT_PORT_B, PORT61_GATE2);
	at(f, 510);
	assert_int_equal(read16(f, 2), 32);
	/* sc_pit_set_gate(2) is reflected in bit 0. */
	sc_pit_set_gate(&f->pit, 2, false);
	assert_false(rd(f, PIT_PORT_B) & PORT61_GATE2);
	sc_pit_set_gate(&f->pit, 2, true);
	assert_true(rd(f, PIT_PORT_B) & PORT61_GATE2);
	/* Refresh request toggles every 18 clocks (~15 us) of virtual time. */
	uint64_t base = (E0 + 540) / 18 * 18 - E0 + 18;   /* a toggle edge */
	at(f, base);
	bool r0 = rd(f, PIT_PORT_B) & PORT61_REFRESH;
	at(f, base + 17);
	assert_int_equal((bool)(rd(f, PIT_PORT_B) & PORT61_REFRESH), r0);
	at(f, base + 18);
	assert_int_equal((bool)(rd(f, PIT_PORT_B) & PORT61_REFRESH), !r0);
	at(f, base + 36);
	assert_int_equal((bool)(rd(f, PIT_PORT_B) & PORT61_REFRESH), r0);
	unsigned toggles = 0;
	bool prev = r0;
	for (unsigned i = 1; i <= 1000; i++) {  /* 1000 us */
		sc_fake_clock_advance(&f->fc, 1000);
		bool r = rd(f, PIT_PORT_B) & PORT61_REFRESH;
		toggles += r != prev;
		prev = r;
	}
	assert_in_range(toggles, 64, 68);       /* 1000 / 15.085 */
}

static void test_unknown_ports_and_host_misuse(void **state)
{
	struct fx *f = *state;
	assert_int_equal(rd(f, PIT_PORT_CONTROL), 0xff);
	assert_int_equal(rd(f, 0x44), 0xff);
	assert_int_equal(rd(f, 0x60), 0xff);
	wr(f, 0x44, 0x12);
	wr(f, 0x3f, 0x12);
	assert_int_equal(sc_pit_set_gate(&f->pit, 0, false), -EINVAL);
	assert_int_equal(sc_pit_set_gate(&f->pit, 3, true), -EINVAL);
	assert_int_equal(sc_pit_set_gate(NULL, 1, true), -EINVAL);
	assert_int_equal(sc_pit_set_gate(&f->pit, 1, false), 0);
	assert_false(sc_pit_get_out(&f->pit, 3));
	assert_false(sc_pit_get_out(NULL, 0));
	assert_true(f->traces > 0);
	/* Reset state: mode 3, LSB/MSB, binary, OUT high, null count. */
	assert_int_equal(status(f, 1), PIT_STATUS_OUT | PIT_STATUS_NULL_COUNT |
			 3 << 4 | 3 << 1);
}

/* ---------------------------------------------------------------- interrupts */

static void test_irq0_one_edge_per_period_mode2(void **state)
{
	struct fx *f = *state;
	f->rec.ack = true;
	cw(f, 0, 3, 2, false);
	assert_int_equal(f->rec.rises, 0);      /* no edge on programming */
	count16(f, 0, 11932);                   /* ~100 Hz */
	at(f, 11932);
	assert_int_equal(f->rec.rises, 0);
	at(f, 11933);                           /* first rising edge of OUT0 */
	assert_int_equal(f->rec.rises, 1);
	assert_int_equal(f->rec.rise_time[0], edge_ns(E0 + 11933));
	sc_fake_clock_advance_to(&f->fc, edge_ns(E0 + 1 + 11932 * 100));
	assert_int_equal(f->rec.rises, 100);
	assert_false(f->rec.level);
	const struct sc_tick *t = sc_pit_tick(&f->pit);
	assert_int_equal(t->stats.delivered, 100);
	assert_true(t->running);
	/* Tick edges fall exactly on the OUT0 rising edges (no drift). */
	for (unsigned j = 0; j < 64; j++)
		assert_int_equal(f->rec.rise_time[j], edge_ns(E0 + 1 + 11932 * (j + 1)));
	at(f, 1 + 11932 * 100000ull);           /* ~1000 s later: still exact */
	assert_int_equal(f->rec.rises, 100000);
	assert_int_equal(t->stats.delivered, 100000);
}

static void test_irq0_mode3_edges_at_high_half_start(void **state)
{
	struct fx *f = *state;
	f->rec.ack = true;
	cw(f, 0, 3, 3, false);
	count16(f, 0, 1193);
	before(f, 1194);
	assert_int_equal(f->rec.rises, 0);
	at(f, 1194);
	assert_int_equal(f->rec.rises, 1);
	assert_true(out(f, 0));
	at(f, 1 + 1193 * 10);
	assert_int_equal(f->rec.rises, 10);
}

static void test_irq0_reload_changes_tick_period(void **state)
{
	struct fx *f = *state;
	f->rec.ack = true;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 2000);
	at(f, 100);
	count16(f, 0, 1000);                    /* from the reload at 2001 */
	at(f, 2001);
	assert_int_equal(f->rec.rises, 1);
	at(f, 2001 + 1000 * 5);
	assert_int_equal(f->rec.rises, 6);
	/* Mode 3, written in the high half: new run starts low. */
	cw(f, 0, 3, 3, false);
	count16(f, 0, 2000);                    /* at 7001: high 7002.., low 8002.. */
	at(f, 7500);
	count16(f, 0, 1000);                    /* loaded at 8002, low for 500 */
	unsigned r = f->rec.rises;
	before(f, 8502);
	assert_int_equal(f->rec.rises, r);
	assert_false(out(f, 0));
	at(f, 8502);
	assert_true(out(f, 0));
	assert_int_equal(f->rec.rises, r + 1);
	at(f, 9502);
	assert_int_equal(f->rec.rises, r + 2);
	/* Written in the low half: the next rising edge is the reload. */
	at(f, 9800);
	count16(f, 0, 600);                     /* high 9502..10001, low 10002..10501 */
	at(f, 10502);
	assert_int_equal(f->rec.rises, r + 3);
	at(f, 11102);
	assert_int_equal(f->rec.rises, r + 4);
}

static void test_mode_change_stops_periodic_tick(void **state)
{
	struct fx *f = *state;
	f->rec.ack = true;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 1193);
	at(f, 1193 * 3 + 1);
	assert_int_equal(f->rec.rises, 3);
	cw(f, 0, 3, 0, false);
	assert_false(sc_pit_tick(&f->pit)->running);
	at(f, 1193 * 30);
	assert_int_equal(f->rec.rises, 3);
	/* Mode 0 with a count: exactly one more edge. */
	count16(f, 0, 100);
	at(f, 1193 * 60);
	assert_int_equal(f->rec.rises, 4);
	/* Back to periodic, then a count write in mode 4 stops it too. */
	cw(f, 0, 3, 3, false);
	count16(f, 0, 1193);
	assert_true(sc_pit_tick(&f->pit)->running);
	cw(f, 0, 3, 4, false);
	count16(f, 0, 10);
	assert_false(sc_pit_tick(&f->pit)->running);
}

static void test_tick_period_clamped_and_policy_affinity(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 2);
	assert_int_equal(sc_pit_tick(&f->pit)->period, SC_PIT_MIN_TICK_NS);
	at(f, 3);
	assert_int_equal(read16(f, 0), 2);      /* counter itself is exact */
	at(f, 4);
	assert_int_equal(read16(f, 0), 1);
	sc_pit_set_policy(&f->pit, SC_TICK_DELAY);
	assert_int_equal(sc_pit_tick(&f->pit)->policy, SC_TICK_DELAY);
	sc_pit_set_affinity(&f->pit, 2);
	assert_int_equal(sc_pit_tick(&f->pit)->timer.affinity, 2);
	assert_int_equal(f->pit.timer.affinity, 2);
	/* DELAY without acks: one delivery, the rest owed. */
	sc_fake_clock_advance(&f->fc, 10 * SC_PIT_MIN_TICK_NS);
	assert_int_equal(f->rec.rises, 1);
	sc_tick_ack(sc_pit_tick(&f->pit));
	assert_int_equal(f->rec.rises, 2);
}

static void test_reset_stops_everything(void **state)
{
	struct fx *f = *state;
	cw(f, 0, 3, 0, false);
	count16(f, 0, 5);
	at(f, 6);
	assert_true(f->rec.level);
	sc_pit_reset(&f->pit);
	assert_false(f->rec.level);
	cw(f, 0, 3, 2, false);
	count16(f, 0, 100);
	sc_pit_reset(&f->pit);
	assert_false(sc_pit_tick(&f->pit)->running);
	assert_false(f->pit.timer.armed);
	assert_true(out(f, 0));
}

/* ---------------------------------------------------------------- save/restore */

/* A second chip on its own fake clock at the same time. */
struct twin {
	struct sc_fake_clock fc;
	struct sc_pit pit;
	struct rec rec;
	struct sc_line line;
};

static void twin_init(struct twin *t, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	sc_fake_clock_init(&t->fc, now);
	t->rec.pit = &t->pit;
	t->rec.fc = &t->fc;
	t->rec.ack = true;
	t->line.set = rec_set;
	t->line.opaque = &t->rec;
	sc_pit_init(&t->pit, &t->fc.clock, &t->line, NULL);
}

static void program_everything(struct fx *f)
{
	f->rec.ack = true;
	cw(f, 0, 3, 2, false);
	count16(f, 0, 1193);
	cw(f, 1, 3, 0, true);
	count16(f, 1, 0x4000);
	cw(f, 2, 3, 3, false);
	wr(f, PIT_PORT_B, PORT61_GATE2 | PORT61_SPKR_DATA);
	count16(f, 2, 77);
	at(f, 500);
	count16(f, 0, 2000);                    /* pending reload */
	count16(f, 2, 55);                      /* pending half-cycle */
	wr(f, PIT_PORT_CONTROL, 0xC0 | PIT_RB_COUNT_N | PIT_RB_CNT(1)); /* status */
	wr(f, PIT_PORT_CONTROL, 0x40);          /* count latch 1 */
	wr(f, PIT_PORT_COUNTER2, 0x11);         /* half a word */
}

static void test_save_restore_round_trip(void **state)
{
	struct fx *f = *state;
	struct sc_pit_state_v1 s, s2;
	struct twin *t = calloc(1, sizeof(*t));

	program_everything(f);
	sc_pit_save(&f->pit, &s);
	assert_int_equal(sc_pit_validate(&s), 0);
	twin_init(t, f->fc.now);
	assert_int_equal(sc_pit_restore(&t->pit, &s), 0);
	sc_pit_save(&t->pit, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
	/* Identical behaviour from here on. */
	unsigned r0 = f->rec.rises;
	for (unsigned i = 0; i < 200; i++) {
		uint64_t to = f->fc.now + 9973;
		sc_fake_clock_advance_to(&f->fc, to);
		sc_fake_clock_advance_to(&t->fc, to);
		for (uint16_t p = PIT_PORT_COUNTER0; p <= PIT_PORT_COUNTER2; p++)
			assert_int_equal(sc_pit_ioport_read(&f->pit, p),
					 sc_pit_ioport_read(&t->pit, p));
		assert_int_equal(sc_pit_ioport_read(&f->pit, PIT_PORT_B),
				 sc_pit_ioport_read(&t->pit, PIT_PORT_B));
		if (i == 100) {
			wr(f, PIT_PORT_COUNTER2, 0);
			sc_pit_ioport_write(&t->pit, PIT_PORT_COUNTER2, 0);
		}
	}
	assert_int_equal(f->rec.rises - r0, t->rec.rises);
	assert_true(t->rec.rises > 0);
	sc_pit_reset(&t->pit);
	free(t);
}

static void test_save_restore_oneshot_timer(void **state)
{
	struct fx *f = *state;
	struct sc_pit_state_v1 s;
	struct twin *t = calloc(1, sizeof(*t));

	cw(f, 0, 3, 0, false);
	count16(f, 0, 1000);
	at(f, 10);
	sc_pit_save(&f->pit, &s);
	assert_int_not_equal(s.timer_deadline, 0);
	twin_init(t, f->fc.now);
	assert_int_equal(sc_pit_restore(&t->pit, &s), 0);
	sc_fake_clock_advance_to(&t->fc, edge_ns(E0 + 1000));
	assert_int_equal(t->rec.rises, 0);
	sc_fake_clock_advance_to(&t->fc, edge_ns(E0 + 1001));
	assert_int_equal(t->rec.rises, 1);
	assert_true(sc_pit_get_out(&t->pit, 0));
	sc_pit_reset(&t->pit);
	free(t);
}

/*
 * A pending reload count belongs to modes 2/3 on a loaded run; a state
 * with one elsewhere would restart counter 0's one-shot run in the past.
 */
static void test_restore_rejects_stray_pending_reload(void **state)
{
	struct fx *f = *state;
	struct sc_pit_state_v1 good, bad;

	cw(f, 0, 3, 0, false);
	count16(f, 0, 1000);
	at(f, 10);
	sc_pit_save(&f->pit, &good);
	assert_int_equal(sc_pit_validate(&good), 0);
	bad = good;
	bad.ch[0].cr_pending = 1;               /* mode 0 has no reload */
	assert_int_equal(sc_pit_validate(&bad), -EINVAL);
	assert_int_equal(sc_pit_restore(&f->pit, &bad), -EINVAL);

	cw(f, 0, 3, 2, false);
	count16(f, 0, 1000);
	at(f, 100);
	count16(f, 0, 500);                     /* reload at edge 1011 */
	sc_pit_save(&f->pit, &good);
	assert_int_equal(good.ch[0].cr_pending, 1);
	assert_int_equal(sc_pit_validate(&good), 0);
	bad = good;
	bad.ch[0].loaded = 0;
	bad.ch[0].load_pending = 0;
	assert_int_equal(sc_pit_validate(&bad), -EINVAL);
	assert_int_equal(sc_pit_restore(&f->pit, &good), 0);
	at(f, 1010);
	assert_int_equal(read16(f, 0), 1);
	at(f, 1011);
	assert_int_equal(read16(f, 0), 500);
}

/*
 * Counter 0 one-shot states: the timer waits for the terminal count edge,
 * and in mode 0 the IRQ0 wire is high exactly when that edge has fired.
 * A state saying otherwise would lose (or repeat) the IRQ0 edge.
 */
static void test_restore_rejects_oneshot_timer_off_terminal_count(void **state)
{
	struct fx *f = *state;
	struct sc_pit_state_v1 pend, fired, bad;

	cw(f, 0, 3, 0, false);
	count16(f, 0, 1000);
	at(f, 10);
	sc_pit_save(&f->pit, &pend);
	assert_int_equal(pend.timer_deadline, edge_ns(E0 + 1001));
	assert_int_equal(sc_pit_validate(&pend), 0);
	at(f, 2000);
	sc_pit_save(&f->pit, &fired);
	assert_int_equal(fired.timer_deadline, 0);
	assert_int_equal(fired.out0_level, 1);
	assert_int_equal(sc_pit_validate(&fired), 0);

	bad = pend;
	bad.out0_level = 1;                     /* wire high before TC */
	assert_int_equal(sc_pit_validate(&bad), -EINVAL);
	bad = pend;
	bad.timer_deadline += 1000000;          /* IRQ0 late */
	assert_int_equal(sc_pit_validate(&bad), -EINVAL);
	bad = pend;
	bad.timer_deadline = 0;                 /* pending TC, no timer */
	assert_int_equal(sc_pit_validate(&bad), -EINVAL);
	bad = fired;
	bad.out0_level = 0;                     /* fired, wire low */
	assert_int_equal(sc_pit_validate(&bad), -EINVAL);
	bad = fired;
	bad.ch[0].loaded = 0;                   /* no count: nothing fires */
	assert_int_equal(sc_pit_validate(&bad), -EINVAL);
	/* mode 4: the strobe timer, when armed, is at its edge */
	cw(f, 0, 3, 4, false);
	count16(f, 0, 500);
	sc_pit_save(&f->pit, &pend);
	assert_int_equal(sc_pit_validate(&pend), 0);
	bad = pend;
	bad.timer_deadline -= 1;
	assert_int_equal(sc_pit_validate(&bad), -EINVAL);
	assert_int_equal(sc_pit_restore(&f->pit, &bad), -EINVAL);
	assert_int_equal(sc_pit_restore(&f->pit, &pend), 0);
}

typedef void corrupt_fn(struct sc_pit_state_v1 *s);
static void c_version(struct sc_pit_state_v1 *s) { s->version = 2; }
static void c_pad(struct sc_pit_state_v1 *s) { s->pad[1] = 1; }
static void c_port61(struct sc_pit_state_v1 *s) { s->port61 |= 0x20; }
static void c_out0(struct sc_pit_state_v1 *s) { s->out0_level = 2; }
static void c_mode(struct sc_pit_state_v1 *s) { s->ch[1].mode = 8; }
static void c_rw0(struct sc_pit_state_v1 *s) { s->ch[0].rw = 0; }
static void c_rw4(struct sc_pit_state_v1 *s) { s->ch[2].rw = 4; }
static void c_flag(struct sc_pit_state_v1 *s) { s->ch[1].null_count = 2; }
static void c_flag2(struct sc_pit_state_v1 *s) { s->ch[2].out_hold = 7; }
static void c_bcd(struct sc_pit_state_v1 *s) { s->ch[0].bcd = 3; }
static void c_n0(struct sc_pit_state_v1 *s) { s->ch[0].n = 0; }
static void c_nbig(struct sc_pit_state_v1 *s) { s->ch[1].n = 65537; }
static void c_phase(struct sc_pit_state_v1 *s) { s->ch[2].phase = s->ch[2].n; }
static void c_gate0(struct sc_pit_state_v1 *s) { s->ch[0].gate = 0; }
static void c_gate2(struct sc_pit_state_v1 *s) { s->ch[2].gate ^= 1; }
static void c_tick(struct sc_pit_state_v1 *s) { s->tick.policy = 9; }
static void c_tick2(struct sc_pit_state_v1 *s) { s->tick.running = 1; s->tick.period = 0; }
static void c_pad2(struct sc_pit_state_v1 *s) { s->pad2 = 1; }
static void c_tick_n(struct sc_pit_state_v1 *s) { s->tick_n = 70000; }
static void c_tick_fast(struct sc_pit_state_v1 *s) { s->tick.period = SC_PIT_MIN_TICK_NS - 1; }
static void c_out0_mode(struct sc_pit_state_v1 *s) { s->out0_level = 1; }
static void c_tick_mode(struct sc_pit_state_v1 *s) { s->ch[0].mode = 4; }
static void c_timer_mode(struct sc_pit_state_v1 *s) { s->timer_deadline = 5; }

static void test_restore_rejects_corrupt_state(void **state)
{
	struct fx *f = *state;
	static corrupt_fn *const fns[] = {
		c_version, c_pad, c_port61, c_out0, c_mode, c_rw0, c_rw4, c_flag,
		c_flag2, c_bcd, c_n0, c_nbig, c_phase, c_gate0, c_gate2, c_tick,
		c_tick2, c_pad2, c_tick_n, c_tick_fast, c_out0_mode, c_tick_mode,
		c_timer_mode,
	};
	struct sc_pit_state_v1 good, bad, before_s, after_s;

	program_everything(f);
	sc_pit_save(&f->pit, &good);
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		bad = good;
		fns[i](&bad);
		assert_int_equal(sc_pit_validate(&bad), -EINVAL);
		sc_pit_save(&f->pit, &before_s);
		assert_int_equal(sc_pit_restore(&f->pit, &bad), -EINVAL);
		sc_pit_save(&f->pit, &after_s);
		assert_memory_equal(&before_s, &after_s, sizeof(before_s));
	}
	assert_int_equal(sc_pit_validate(NULL), -EINVAL);
	assert_int_equal(sc_pit_restore(NULL, &good), -EINVAL);
	assert_int_equal(sc_pit_restore(&f->pit, &good), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_mode0_out_low_after_cw_high_at_terminal_count),
		T(test_mode0_new_count_restarts),
		T(test_mode0_first_byte_stops_counting),
		T(test_mode0_gate_low_suspends_counting),
		T(test_mode1_gate_trigger_one_shot),
		T(test_mode1_retrigger_and_new_count_at_trigger),
		T(test_mode2_out_low_one_clock_at_count_1),
		T(test_mode2_new_count_at_next_reload),
		T(test_mode2_gate_low_forces_out_high_and_rising_reloads),
		T(test_mode2_count_written_with_gate_low_waits_for_gate),
		T(test_mode2_latest_count_wins_for_load_and_reload),
		T(test_mode3_gate_low_before_load_and_count_while_gated),
		T(test_mode1_on_counter0_never_starts),
		T(test_mode6_aliases_mode2),
		T(test_mode3_even_count_half_periods),
		T(test_mode3_odd_count_high_n_plus_1_half),
		T(test_mode3_new_count_at_end_of_half_cycle),
		T(test_mode7_aliases_mode3),
		T(test_mode4_strobe_one_clock_after_terminal_count),
		T(test_mode4_new_count_restarts_and_gate_suspends),
		T(test_mode5_gate_triggered_strobe),
		T(test_count0_is_65536_binary),
		T(test_count0_is_10000_bcd_and_bcd_decrement),
		T(test_lsb_only_and_msb_only_access),
		T(test_word_flip_flops_and_control_word_resets_them),
		T(test_counter_latch_holds_value_second_latch_ignored),
		T(test_control_word_drops_latches),
		T(test_readback_status_and_count_multiple_channels),
		T(test_null_count_semantics),
		T(test_port61_gate2_out2_speaker_refresh),
		T(test_unknown_ports_and_host_misuse),
		T(test_irq0_one_edge_per_period_mode2),
		T(test_irq0_mode3_edges_at_high_half_start),
		T(test_irq0_reload_changes_tick_period),
		T(test_mode_change_stops_periodic_tick),
		T(test_tick_period_clamped_and_policy_affinity),
		T(test_reset_stops_everything),
		T(test_save_restore_round_trip),
		T(test_save_restore_oneshot_timer),
		T(test_restore_rejects_corrupt_state),
		T(test_restore_rejects_stray_pending_reload),
		T(test_restore_rejects_oneshot_timer_off_terminal_count),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
