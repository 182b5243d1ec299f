/* SPDX-License-Identifier: MIT */
/*
 * MC146818A RTC unit tests: fake virtual clock plus a fake wall clock that
 * follows it (wall = base + virtual now + jump).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splitchip/rtc.h>

#define NS  1ull
#define US  1000ull
#define MS  1000000ull
#define SEC 1000000000ull

/* 2026-11-25 11:50:20 UTC, a Wednesday */
#define T_2026_11_25 1795607420ull
/* 2024-02-28 23:59:58 UTC */
#define T_2024_02_28 1709164798ull
/* 2099-12-31 23:59:59 UTC */
#define T_2099_12_31 4102444799ull

struct fx {
	struct sc_fake_clock fc;
	struct sc_rtc rtc;
	uint64_t wall_base;
	int64_t wall_jump;
	bool irq;
	unsigned edges;
	unsigned line_calls;
	unsigned traces;
};

static uint64_t fake_wall(void *opaque)
{
	struct fx *f = opaque;
	return (uint64_t)((int64_t)(f->wall_base + f->fc.now) + f->wall_jump);
}

static void line_set(void *opaque, bool level)
{
	struct fx *f = opaque;
	if (level && !f->irq)
		f->edges++;
	f->irq = level;
	f->line_calls++;
}

static void trace_ev(void *opaque, const char *chip, const char *event,
		     uint64_t a, uint64_t b)
{
	struct fx *f = opaque;
	(void)chip; (void)event; (void)a; (void)b;
	f->traces++;
}

/* Fixture with wall clock at @secs + @frac_ns when virtual time is @vstart. */
static struct fx *fx_new_at(uint64_t secs, uint64_t frac_ns, uint64_t vstart,
			    bool bank2, int64_t offset_s)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	sc_fake_clock_init(&f->fc, vstart);
	f->wall_base = secs * SEC + frac_ns - vstart;
	struct sc_rtc_config cfg = {
		.wall_ns = fake_wall, .wall_opaque = f, .bank2 = bank2,
		.offset_s = offset_s, .policy = SC_TICK_DISCARD,
	};
	struct sc_line l = { line_set, f };
	struct sc_trace t = { trace_ev, f };
	assert_int_equal(sc_rtc_init(&f->rtc, &f->fc.clock, &cfg, &l, &t), 0);
	return f;
}

static struct fx *fx_new(uint64_t secs)
{
	return fx_new_at(secs, 0, 1000 * SEC, false, 0);
}

static uint8_t rd(struct fx *f, uint8_t idx)
{
	sc_rtc_ioport_write(&f->rtc, 0x70, idx);
	return sc_rtc_ioport_read(&f->rtc, 0x71);
}

static void wr(struct fx *f, uint8_t idx, uint8_t v)
{
	sc_rtc_ioport_write(&f->rtc, 0x70, idx);
	sc_rtc_ioport_write(&f->rtc, 0x71, v);
}

static void adv(struct fx *f, uint64_t ns)
{
	sc_fake_clock_advance(&f->fc, ns);
}

struct tm6 { uint8_t s, mi, h, dow, d, mo, y, c; };

static struct tm6 rd_time(struct fx *f)
{
	struct tm6 t = {
		rd(f, RTC_REG_SECONDS), rd(f, RTC_REG_MINUTES), rd(f, RTC_REG_HOURS),
		rd(f, RTC_REG_DAY_OF_WEEK), rd(f, RTC_REG_DAY_OF_MONTH),
		rd(f, RTC_REG_MONTH), rd(f, RTC_REG_YEAR), rd(f, RTC_REG_CENTURY),
	};
	return t;
}

static void assert_time(struct fx *f, uint8_t c, uint8_t y, uint8_t mo, uint8_t d,
			uint8_t h, uint8_t mi, uint8_t s, uint8_t dow)
{
	struct tm6 t = rd_time(f);
	assert_int_equal(t.c, c);
	assert_int_equal(t.y, y);
	assert_int_equal(t.mo, mo);
	assert_int_equal(t.d, d);
	assert_int_equal(t.h, h);
	assert_int_equal(t.mi, mi);
	assert_int_equal(t.s, s);
	assert_int_equal(t.dow, dow);
}

/* Set the time the way Linux does: SET=1, bytes, SET=0 (B keeps @mode). */
static void set_time(struct fx *f, uint8_t mode, uint8_t c, uint8_t y, uint8_t mo,
		     uint8_t d, uint8_t h, uint8_t mi, uint8_t s, uint8_t dow)
{
	wr(f, RTC_REG_B, (uint8_t)(mode | RTC_REG_B_SET));
	wr(f, RTC_REG_SECONDS, s);
	wr(f, RTC_REG_MINUTES, mi);
	wr(f, RTC_REG_HOURS, h);
	wr(f, RTC_REG_DAY_OF_WEEK, dow);
	wr(f, RTC_REG_DAY_OF_MONTH, d);
	wr(f, RTC_REG_MONTH, mo);
	wr(f, RTC_REG_YEAR, y);
	wr(f, RTC_REG_CENTURY, c);
	wr(f, RTC_REG_B, mode);
}

/* Virtual time of the next update (found by stepping; 1 us resolution). */
static uint64_t find_update(struct fx *f)
{
	uint8_t s = rd(f, RTC_REG_SECONDS);
	for (int i = 0; i < 2000000; i++) {
		adv(f, US);
		if (rd(f, RTC_REG_SECONDS) != s)
			return f->fc.now;
	}
	fail_msg("no update");
	return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_init_time_from_wall_clock_bcd_24h(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	assert_time(f, 0x20, 0x26, 0x11, 0x25, 0x11, 0x50, 0x20, 4);
	assert_int_equal(rd(f, RTC_REG_A), SC_RTC_RESET_REG_A);
	assert_int_equal(rd(f, RTC_REG_B), SC_RTC_RESET_REG_B);
	assert_int_equal(rd(f, RTC_REG_C), 0);
	assert_int_equal(rd(f, RTC_REG_D), RTC_REG_D_VRT);
	assert_false(f->irq);
	free(f);
}

static void test_init_rejects_missing_arguments(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct sc_rtc rtc;
	sc_fake_clock_init(&fc, 0);
	struct sc_rtc_config cfg = { 0 };
	assert_int_equal(sc_rtc_init(&rtc, &fc.clock, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sc_rtc_init(&rtc, &fc.clock, &cfg, NULL, NULL), -EINVAL);
	cfg.wall_ns = fake_wall;
	assert_int_equal(sc_rtc_init(&rtc, NULL, &cfg, NULL, NULL), -EINVAL);
	assert_int_equal(sc_rtc_init(NULL, &fc.clock, &cfg, NULL, NULL), -EINVAL);
	cfg.policy = (enum sc_tick_policy)9;
	assert_int_equal(sc_rtc_init(&rtc, &fc.clock, &cfg, NULL, NULL), -EINVAL);
	cfg.policy = SC_TICK_DISCARD;
	cfg.offset_s = INT64_MAX;
	assert_int_equal(sc_rtc_init(&rtc, &fc.clock, &cfg, NULL, NULL), -EINVAL);
}

static void test_init_offset_shifts_time(void **state)
{
	(void)state;
	struct fx *f = fx_new_at(T_2026_11_25, 0, 0, false, 3600 + 60);
	assert_time(f, 0x20, 0x26, 0x11, 0x25, 0x12, 0x51, 0x20, 4);
	free(f);
}

static void test_seconds_change_at_wall_second_boundary(void **state)
{
	(void)state;
	/* Wall clock at .300 s: the next update is 700 ms away. */
	struct fx *f = fx_new_at(T_2026_11_25, 300 * MS, 5 * SEC, false, 0);
	adv(f, 700 * MS - 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);
	adv(f, 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x21);
	adv(f, SEC - 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x21);
	adv(f, 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x22);
	free(f);
}

static void test_wall_clock_step_shows_in_time(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	f->wall_jump = 100 * (int64_t)SEC;      /* NTP step / migration */
	/* The bytes hold until the next update, then follow the wall clock. */
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_MINUTES), 0x52);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x01);
	/* A step back by 30 s as well. */
	f->wall_jump -= 30 * (int64_t)SEC;
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_MINUTES), 0x51);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x32);
	free(f);
}

static void test_uip_window_is_244us_before_update(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);   /* update every virtual + k s */
	uint64_t t0 = f->fc.now;
	/* 8 counts of 32.768 kHz before the update: 244140.625 ns. */
	sc_fake_clock_advance_to(&f->fc, t0 + SEC - 244141 - 1);
	assert_int_equal(rd(f, RTC_REG_A) & RTC_REG_A_UIP, 0);
	sc_fake_clock_advance_to(&f->fc, t0 + SEC - 244140);
	assert_int_equal(rd(f, RTC_REG_A), RTC_REG_A_UIP | SC_RTC_RESET_REG_A);
	/* Time bytes still hold the old second during UIP. */
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);
	sc_fake_clock_advance_to(&f->fc, t0 + SEC - 1);
	assert_int_equal(rd(f, RTC_REG_A) & RTC_REG_A_UIP, RTC_REG_A_UIP);
	sc_fake_clock_advance_to(&f->fc, t0 + SEC);
	assert_int_equal(rd(f, RTC_REG_A) & RTC_REG_A_UIP, 0);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x21);
	/* And again one second later. */
	sc_fake_clock_advance_to(&f->fc, t0 + 2 * SEC - 100 * US);
	assert_int_equal(rd(f, RTC_REG_A) & RTC_REG_A_UIP, RTC_REG_A_UIP);
	/* UIP cannot be written. */
	wr(f, RTC_REG_A, 0xa6);
	sc_fake_clock_advance_to(&f->fc, t0 + 2 * SEC + 100 * US);
	assert_int_equal(rd(f, RTC_REG_A), 0x26);
	free(f);
}

static void test_set_clears_uip_and_uip_stays_zero(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	adv(f, SEC - 100 * US);
	assert_true(rd(f, RTC_REG_A) & RTC_REG_A_UIP);
	wr(f, RTC_REG_B, RTC_REG_B_SET | RTC_REG_B_24H);
	assert_false(rd(f, RTC_REG_A) & RTC_REG_A_UIP);
	adv(f, SEC);
	assert_false(rd(f, RTC_REG_A) & RTC_REG_A_UIP);
	free(f);
}

static void test_uip_zero_in_divider_reset(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_A, 0x70);
	for (int i = 0; i < 20; i++) {
		adv(f, 100 * MS);
		assert_int_equal(rd(f, RTC_REG_A), 0x70);
	}
	free(f);
}

static void test_set_halts_updates(void **state)
{
	(void)state;
	struct fx *f = fx_new_at(T_2026_11_25, 200 * MS, SEC, false, 0);
	rd(f, RTC_REG_C);
	wr(f, RTC_REG_B, RTC_REG_B_SET | RTC_REG_B_24H);
	adv(f, 5 * SEC);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);
	assert_int_equal(rd(f, RTC_REG_C) & RTC_REG_C_UF, 0);
	/* Clearing SET resumes from the held value, on the divider's phase
	 * (the chain kept running: updates still at wall .000). */
	uint64_t t = f->fc.now;
	wr(f, RTC_REG_B, RTC_REG_B_24H);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);
	assert_int_equal(find_update(f) - t, 800 * MS);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x21);
	assert_true(rd(f, RTC_REG_C) & RTC_REG_C_UF);
	free(f);
}

static void test_periodic_continues_while_set(void **state)
{
	(void)state;
	/* SET stops updates, not the divider: PF and the periodic interrupt go
	 * on. */
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_A, 0x2e);         /* 4 Hz */
	wr(f, RTC_REG_B, RTC_REG_B_SET | RTC_REG_B_PIE | RTC_REG_B_24H);
	rd(f, RTC_REG_C);
	f->edges = 0;
	for (int i = 0; i < 8; i++) {
		adv(f, 250 * MS);
		assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_IRQF | RTC_REG_C_PF);
	}
	assert_int_equal(f->edges, 8);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);
	free(f);
}

static void test_register_b_stores_sqwe_and_dse(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_B, RTC_REG_B_SQWE | RTC_REG_B_DSE | RTC_REG_B_24H);
	assert_int_equal(rd(f, RTC_REG_B), RTC_REG_B_SQWE | RTC_REG_B_DSE | RTC_REG_B_24H);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x21);
	assert_int_equal(rd(f, RTC_REG_A), 0x26);
	free(f);
}

static void test_set_going_high_clears_uie(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_B, RTC_REG_B_UIE | RTC_REG_B_24H);
	assert_int_equal(rd(f, RTC_REG_B), RTC_REG_B_UIE | RTC_REG_B_24H);
	wr(f, RTC_REG_B, RTC_REG_B_SET | RTC_REG_B_UIE | RTC_REG_B_24H);
	assert_int_equal(rd(f, RTC_REG_B), RTC_REG_B_SET | RTC_REG_B_24H);
	/* SET already high: UIE may be set. */
	wr(f, RTC_REG_B, RTC_REG_B_SET | RTC_REG_B_UIE | RTC_REG_B_24H);
	assert_int_equal(rd(f, RTC_REG_B), RTC_REG_B_SET | RTC_REG_B_UIE | RTC_REG_B_24H);
	free(f);
}

static void test_set_time_with_set_bit(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	set_time(f, RTC_REG_B_24H, 0x19, 0x85, 0x07, 0x04, 0x09, 0x30, 0x15, 5);
	assert_time(f, 0x19, 0x85, 0x07, 0x04, 0x09, 0x30, 0x15, 5);
	adv(f, 3 * SEC);
	assert_time(f, 0x19, 0x85, 0x07, 0x04, 0x09, 0x30, 0x18, 5);
	/* The wall clock is untouched: only the offset changed. */
	assert_int_equal(fake_wall(f), (T_2026_11_25 + 3) * SEC);
	free(f);
}

static void test_time_write_while_running_keeps_phase(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	uint64_t t0 = f->fc.now;
	adv(f, 300 * MS);
	wr(f, RTC_REG_SECONDS, 0x45);   /* SET=0 */
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x45);
	adv(f, 700 * MS - 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x45);
	adv(f, 1);
	assert_int_equal(f->fc.now - t0, SEC);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x46);
	assert_int_equal(rd(f, RTC_REG_MINUTES), 0x50);
	free(f);
}

static void test_sequential_writes_without_set_within_a_second(void **state)
{
	(void)state;
	/* Feb 31 is only a transient: the stored bytes are not normalised
	 * before the next update. */
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_MONTH, 0x02);
	wr(f, RTC_REG_DAY_OF_MONTH, 0x31);
	assert_int_equal(rd(f, RTC_REG_DAY_OF_MONTH), 0x31);
	wr(f, RTC_REG_MONTH, 0x03);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_DAY_OF_MONTH), 0x31);
	assert_int_equal(rd(f, RTC_REG_MONTH), 0x03);
	free(f);
}

static void test_divider_reset_first_update_after_500ms(void **state)
{
	(void)state;
	struct fx *f = fx_new_at(T_2026_11_25, 123 * MS, SEC, false, 0);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	wr(f, RTC_REG_A, 0x66);         /* DV=110: reset, RS=6 kept */
	assert_false(sc_rtc_tick(&f->rtc)->running);
	rd(f, RTC_REG_C);
	f->edges = 0;
	adv(f, 3 * SEC);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);     /* frozen */
	assert_int_equal(rd(f, RTC_REG_C), 0);              /* no UF, no PF */
	assert_int_equal(f->edges, 0);
	wr(f, RTC_REG_B, RTC_REG_B_24H);
	wr(f, RTC_REG_A, 0x60);
	/* Set the time while the chain is held, then release it. */
	wr(f, RTC_REG_SECONDS, 0x00);
	wr(f, RTC_REG_MINUTES, 0x00);
	adv(f, 77 * MS);
	wr(f, RTC_REG_A, 0x20);
	adv(f, 500 * MS - 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x00);
	assert_int_equal(rd(f, RTC_REG_C), 0);
	adv(f, 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x01);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_UF);
	adv(f, SEC - 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x01);
	adv(f, 1);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x02);
	assert_int_equal(rd(f, RTC_REG_MINUTES), 0x00);
	free(f);
}

static void test_other_dv_values_stop_the_chain(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_A, 0x06);         /* DV=000: 4.194304 MHz, not ours */
	adv(f, 3 * SEC);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);
	wr(f, RTC_REG_A, 0x26);
	adv(f, 500 * MS);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x21);
	free(f);
}

/* Count PF flags and IRQ edges over one second at rate select @rs. */
static void count_periodic(unsigned rs, unsigned *pf, unsigned *irqs)
{
	struct fx *f = fx_new_at(T_2026_11_25, 0, 7 * SEC + 12345, false, 0);
	wr(f, RTC_REG_A, (uint8_t)(0x20 | rs));
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	rd(f, RTC_REG_C);
	f->edges = 0;
	unsigned rse = rs <= 2 ? rs + 7 : rs;
	uint64_t period = (SEC << (rse - 1)) / 32768;
	uint64_t step = period / 3;
	uint64_t end = f->fc.now + SEC;
	*pf = 0;
	while (f->fc.now < end) {
		uint64_t next = f->fc.now + step;
		sc_fake_clock_advance_to(&f->fc, next < end ? next : end);
		uint8_t c = rd(f, RTC_REG_C);
		if (c & RTC_REG_C_PF) {
			(*pf)++;
			assert_int_equal(c, RTC_REG_C_IRQF | RTC_REG_C_PF);
		}
		assert_false(f->irq);
	}
	*irqs = f->edges;
	free(f);
}

static void test_periodic_rates_rs1_to_rs15(void **state)
{
	(void)state;
	static const unsigned hz[16] = {
		0, 256, 128, 8192, 4096, 2048, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2,
	};
	for (unsigned rs = 1; rs <= 15; rs++) {
		unsigned pf, irqs;
		count_periodic(rs, &pf, &irqs);
		assert_int_equal(pf, hz[rs]);
		assert_int_equal(irqs, hz[rs]);
	}
}

static void test_periodic_rs0_none(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_A, 0x20);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	rd(f, RTC_REG_C);
	for (int i = 0; i < 100; i++) {
		adv(f, 10 * MS);
		assert_int_equal(rd(f, RTC_REG_C) & RTC_REG_C_PF, 0);
	}
	assert_int_equal(f->edges, 0);
	assert_false(sc_rtc_tick(&f->rtc)->running);
	free(f);
}

static void test_pf_set_without_pie_and_no_irq(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);   /* RS=6, PIE=0 */
	rd(f, RTC_REG_C);
	adv(f, 2 * MS);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_PF);
	assert_int_equal(f->edges, 0);
	assert_false(sc_rtc_tick(&f->rtc)->running);
	/* Enabling PIE while PF is pending raises IRQ at once (IRQF =
	 * PF & PIE). */
	adv(f, 2 * MS);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	assert_true(f->irq);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_IRQF | RTC_REG_C_PF);
	assert_false(f->irq);
	free(f);
}

static void test_periodic_phase_after_divider_reset(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_A, 0x6f);
	adv(f, 3 * MS);
	uint64_t t = f->fc.now;
	wr(f, RTC_REG_A, 0x2f);         /* RS=15: 500 ms, first edge at 250 */
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	rd(f, RTC_REG_C);
	sc_fake_clock_advance_to(&f->fc, t + 250 * MS - 1);
	assert_int_equal(rd(f, RTC_REG_C), 0);
	assert_false(f->irq);
	sc_fake_clock_advance_to(&f->fc, t + 250 * MS);
	assert_true(f->irq);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_IRQF | RTC_REG_C_PF);
	sc_fake_clock_advance_to(&f->fc, t + 750 * MS - 1);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_UF);  /* update at 500 */
	sc_fake_clock_advance_to(&f->fc, t + 750 * MS);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_IRQF | RTC_REG_C_PF);
	free(f);
}

static void test_periodic_rate_change_and_pie_off(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	struct sc_tick *t = sc_rtc_tick(&f->rtc);
	assert_true(t->running);
	uint64_t p1024 = t->period;
	assert_true(p1024 == 976562 || p1024 == 976563);
	wr(f, RTC_REG_A, 0x21);         /* RS=1: 256 Hz */
	assert_int_equal(t->period, 3906250);
	wr(f, RTC_REG_A, 0x28);         /* RS=8: the same tap, not restarted */
	assert_int_equal(t->period, 3906250);
	rd(f, RTC_REG_C);
	f->edges = 0;
	for (int i = 0; i < 256; i++) {
		adv(f, 3906250);
		rd(f, RTC_REG_C);
	}
	assert_int_equal(f->edges, 256);
	wr(f, RTC_REG_B, RTC_REG_B_24H);
	assert_false(t->running);
	adv(f, 100 * MS);
	assert_int_equal(f->edges, 256);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_PF);   /* still counted */
	free(f);
}

static void test_periodic_tick_grid_stays_on_divider(void **state)
{
	(void)state;
	/* 1024 Hz = 976562.5 ns: the tick grid must not drift from PF. */
	struct fx *f = fx_new_at(T_2026_11_25, 0, 0, false, 0);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	uint64_t t0 = f->fc.now;
	rd(f, RTC_REG_C);
	f->edges = 0;
	for (int i = 0; i < 10 * 1024 * 2; i++) {
		adv(f, 488281);
		rd(f, RTC_REG_C);
	}
	sc_fake_clock_advance_to(&f->fc, t0 + 10 * SEC);
	rd(f, RTC_REG_C);
	assert_int_equal(f->edges, 10 * 1024);
	/* Divider released at t0 - 0.5 s; edges at 0.5P + kP after it. */
	uint64_t np = sc_rtc_tick(&f->rtc)->next_period;
	uint64_t k = ((np + 500 * MS) * 2048 + SEC / 2) / SEC;  /* half periods */
	uint64_t exact = ((k * SEC + 2047) / 2048) - 500 * MS;
	assert_true(k % 2 == 1);
	assert_true(np == exact || np + 1 == exact || np == exact + 1);
	free(f);
}

/* Is virtual time @t exactly a periodic edge of the divider (period @p
 * counts)? */
static bool on_divider_edge(struct fx *f, uint64_t t, uint64_t p)
{
	int64_t d = (int64_t)t - f->rtc.div_base;
	uint64_t bc = ((uint64_t)d * 32768 + SEC / 2) / SEC;
	uint64_t exact = (bc * SEC + 32767) / 32768;
	return bc % p == p / 2 && exact == (uint64_t)d;
}

static void test_periodic_grid_recovers_after_long_unacked_run(void **state)
{
	(void)state;
	/* 8192 Hz (122070.3125 ns) under DELAY: the guest stops reading C for
	 * 30 s, so the engine's grid runs on the rounded period for 245760
	 * ticks (77 us, more than half a period, of drift).  Deliveries after
	 * the guest comes back put the grid on the divider again. */
	struct fx *f = fx_new(T_2026_11_25);
	assert_int_equal(sc_rtc_set_policy(&f->rtc, SC_TICK_DELAY), 0);
	wr(f, RTC_REG_A, 0x23);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	adv(f, 30 * SEC);
	for (int i = 0; i < 3000; i++) {
		rd(f, RTC_REG_C);
		adv(f, 40 * US);
	}
	struct sc_tick *t = sc_rtc_tick(&f->rtc);
	assert_int_equal(t->backlog, 0);
	assert_true(on_divider_edge(f, t->next_period, 4) ||
		    on_divider_edge(f, t->next_period + t->period, 4));
	/* A rate write with the same tap keeps the tick (and its stats). */
	uint64_t delivered = t->stats.delivered;
	wr(f, RTC_REG_A, 0x23);
	assert_true(t->running);
	assert_int_equal(t->stats.delivered, delivered);
	free(f);
}

static void test_periodic_delay_policy_acked_by_register_c(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	assert_int_equal(sc_rtc_set_policy(&f->rtc, SC_TICK_DELAY), 0);
	assert_int_equal(sc_rtc_set_policy(&f->rtc, (enum sc_tick_policy)7), -EINVAL);
	wr(f, RTC_REG_A, 0x2f);         /* 2 Hz */
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_24H);
	rd(f, RTC_REG_C);
	f->edges = 0;
	/* The host does not run the VM for 5 s: 10 ticks owed. */
	sc_fake_clock_stall(&f->fc, 5 * SEC);
	sc_fake_clock_run_due(&f->fc);
	assert_int_equal(f->edges, 1);
	/* Each C read acknowledges one and the next one is delivered. */
	for (int i = 0; i < 20 && f->irq; i++) {
		assert_true(rd(f, RTC_REG_C) & RTC_REG_C_PF);
		sc_fake_clock_run_due(&f->fc);
	}
	assert_int_equal(f->edges, 10);
	assert_int_equal(sc_rtc_tick(&f->rtc)->stats.delivered, 10);
	/* Without a C read nothing more than one is delivered. */
	adv(f, 2 * SEC);
	assert_int_equal(f->edges, 11);
	assert_true(f->irq);
	free(f);
}

static void test_register_c_read_clears_and_irqf_composition(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_A, 0x20);         /* no periodic */
	rd(f, RTC_REG_C);
	adv(f, SEC);
	/* UF set but UIE=0: no IRQF, no interrupt. */
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_UF);
	assert_int_equal(rd(f, RTC_REG_C), 0);
	adv(f, SEC);
	wr(f, RTC_REG_B, RTC_REG_B_AIE | RTC_REG_B_24H);    /* AF is 0 */
	assert_false(f->irq);
	wr(f, RTC_REG_B, RTC_REG_B_UIE | RTC_REG_B_24H);    /* UF pending */
	assert_true(f->irq);
	assert_int_equal(f->edges, 1);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_IRQF | RTC_REG_C_UF);
	assert_false(f->irq);
	assert_int_equal(rd(f, RTC_REG_C), 0);
	/* Disabling the enable drops IRQF and the line. */
	adv(f, SEC);
	assert_true(f->irq);
	wr(f, RTC_REG_B, RTC_REG_B_24H);
	assert_false(f->irq);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_UF);
	/* C and D are read-only. */
	wr(f, RTC_REG_C, 0xff);
	assert_int_equal(rd(f, RTC_REG_C), 0);
	free(f);
}

static void test_uf_once_per_second(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_A, 0x20);
	wr(f, RTC_REG_B, RTC_REG_B_UIE | RTC_REG_B_24H);
	rd(f, RTC_REG_C);
	f->edges = 0;
	for (int i = 0; i < 40; i++) {
		adv(f, 250 * MS);
		if (f->irq)
			assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_IRQF | RTC_REG_C_UF);
		else
			assert_int_equal(rd(f, RTC_REG_C), 0);
	}
	assert_int_equal(f->edges, 10);
	/* Unread, the level stays asserted: one edge for many updates. */
	adv(f, 5 * SEC);
	assert_int_equal(f->edges, 11);
	free(f);
}

static void test_alarm_exact_match(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);   /* 11:50:20 */
	wr(f, RTC_REG_A, 0x20);
	wr(f, RTC_REG_SECONDS_ALARM, 0x23);
	wr(f, RTC_REG_MINUTES_ALARM, 0x50);
	wr(f, RTC_REG_HOURS_ALARM, 0x11);
	wr(f, RTC_REG_B, RTC_REG_B_AIE | RTC_REG_B_24H);
	rd(f, RTC_REG_C);
	adv(f, 2 * SEC);
	assert_false(f->irq);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_UF);
	adv(f, SEC);
	assert_true(f->irq);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_IRQF | RTC_REG_C_AF | RTC_REG_C_UF);
	assert_false(f->irq);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_UF);
	assert_int_equal(f->edges, 1);
	free(f);
}

static void test_alarm_dont_care_bytes(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);   /* 11:50:20 */
	wr(f, RTC_REG_A, 0x20);
	wr(f, RTC_REG_SECONDS_ALARM, 0x30);
	wr(f, RTC_REG_MINUTES_ALARM, 0xc0);
	wr(f, RTC_REG_HOURS_ALARM, 0xff);
	wr(f, RTC_REG_B, RTC_REG_B_AIE | RTC_REG_B_24H);
	rd(f, RTC_REG_C);
	unsigned af = 0;
	for (int i = 0; i < 180; i++) {
		adv(f, SEC);
		if (rd(f, RTC_REG_C) & RTC_REG_C_AF)
			af++;
	}
	assert_int_equal(af, 3);        /* once a minute, at :30 */
	assert_int_equal(f->edges, 3);
	/* All three don't care: every second. */
	wr(f, RTC_REG_SECONDS_ALARM, 0xc5);
	af = 0;
	for (int i = 0; i < 10; i++) {
		adv(f, SEC);
		if (rd(f, RTC_REG_C) & RTC_REG_C_AF)
			af++;
	}
	assert_int_equal(af, 10);
	free(f);
}

static void test_alarm_flag_without_aie_and_across_a_stall(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);   /* 11:50:20 */
	wr(f, RTC_REG_A, 0x20);
	wr(f, RTC_REG_SECONDS_ALARM, 0x25);
	wr(f, RTC_REG_MINUTES_ALARM, 0x50);
	wr(f, RTC_REG_HOURS_ALARM, 0x11);
	rd(f, RTC_REG_C);
	/* Nobody looks for 10 s: the 11:50:25 update still set AF. */
	sc_fake_clock_stall(&f->fc, 10 * SEC);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_AF | RTC_REG_C_UF);
	assert_false(f->irq);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x30);
	/* A day-long stall covers any alarm time. */
	wr(f, RTC_REG_HOURS_ALARM, 0x03);
	rd(f, RTC_REG_C);
	sc_fake_clock_stall(&f->fc, 2 * 86400 * SEC);
	assert_int_equal(rd(f, RTC_REG_C), RTC_REG_C_AF | RTC_REG_C_UF);
	free(f);
}

static void test_binary_mode(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	uint8_t mode = RTC_REG_B_DM | RTC_REG_B_24H;
	set_time(f, mode, 20, 24, 2, 28, 23, 59, 58, 4);
	assert_time(f, 20, 24, 2, 28, 23, 59, 58, 4);
	adv(f, 2 * SEC);
	assert_time(f, 20, 24, 2, 29, 0, 0, 0, 5);
	/* Alarm bytes compare in binary too. */
	wr(f, RTC_REG_SECONDS_ALARM, 2);
	wr(f, RTC_REG_MINUTES_ALARM, 0);
	wr(f, RTC_REG_HOURS_ALARM, 0);
	rd(f, RTC_REG_C);
	adv(f, 2 * SEC);
	assert_true(rd(f, RTC_REG_C) & RTC_REG_C_AF);
	free(f);
}

static void test_12_hour_mode(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	/* 12:59:59 AM -> 1:00:00 AM */
	set_time(f, 0, 0x20, 0x26, 0x01, 0x10, 0x12, 0x59, 0x59, 7);
	adv(f, SEC);
	assert_time(f, 0x20, 0x26, 0x01, 0x10, 0x01, 0x00, 0x00, 7);
	/* 11:59:59 AM -> 12:00:00 PM */
	set_time(f, 0, 0x20, 0x26, 0x01, 0x10, 0x11, 0x59, 0x59, 7);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_HOURS), 0x92);
	/* 12:59:59 PM -> 1:00:00 PM */
	set_time(f, 0, 0x20, 0x26, 0x01, 0x10, 0x92, 0x59, 0x59, 7);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_HOURS), 0x81);
	/* 11:59:59 PM -> 12:00:00 AM next day */
	set_time(f, 0, 0x20, 0x26, 0x01, 0x10, 0x91, 0x59, 0x59, 7);
	adv(f, SEC);
	assert_time(f, 0x20, 0x26, 0x01, 0x11, 0x12, 0x00, 0x00, 1);
	/* Binary 12-hour: PM bit on the binary value. */
	set_time(f, RTC_REG_B_DM, 20, 26, 1, 10, 0x80 | 11, 59, 59, 7);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_HOURS), 12);         /* 12 AM */
	/* The alarm hour must match the PM-flagged byte. */
	set_time(f, 0, 0x20, 0x26, 0x01, 0x10, 0x83, 0x15, 0x00, 7);
	wr(f, RTC_REG_SECONDS_ALARM, 0x01);
	wr(f, RTC_REG_MINUTES_ALARM, 0x15);
	wr(f, RTC_REG_HOURS_ALARM, 0x83);
	rd(f, RTC_REG_C);
	adv(f, SEC);
	assert_true(rd(f, RTC_REG_C) & RTC_REG_C_AF);
	free(f);
}

static void test_init_in_12_hour_view(void **state)
{
	(void)state;
	/* 15:xx wall time seen through a 12-hour B after an update. */
	struct fx *f = fx_new(T_2026_11_25 + 4 * 3600);
	wr(f, RTC_REG_B, 0);            /* bytes not converted yet */
	assert_int_equal(rd(f, RTC_REG_HOURS), 0x15);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_HOURS), 0x83);
	free(f);
}

static void test_mode_change_does_not_convert_bytes(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);   /* 11:50:20 BCD */
	wr(f, RTC_REG_B, RTC_REG_B_DM | RTC_REG_B_24H);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x20);     /* still BCD */
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 21);       /* binary now */
	assert_int_equal(rd(f, RTC_REG_MINUTES), 50);
	free(f);
}

static void test_rollover_seconds_to_year_and_leap_years(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2024_02_28);   /* 2024-02-28 23:59:58 */
	assert_time(f, 0x20, 0x24, 0x02, 0x28, 0x23, 0x59, 0x58, 4);
	adv(f, 2 * SEC);
	assert_time(f, 0x20, 0x24, 0x02, 0x29, 0x00, 0x00, 0x00, 5);   /* Feb 29 */
	set_time(f, RTC_REG_B_24H, 0x20, 0x24, 0x02, 0x29, 0x23, 0x59, 0x59, 5);
	adv(f, SEC);
	assert_time(f, 0x20, 0x24, 0x03, 0x01, 0x00, 0x00, 0x00, 6);
	set_time(f, RTC_REG_B_24H, 0x20, 0x23, 0x02, 0x28, 0x23, 0x59, 0x59, 3);
	adv(f, SEC);
	assert_time(f, 0x20, 0x23, 0x03, 0x01, 0x00, 0x00, 0x00, 4);   /* no leap */
	set_time(f, RTC_REG_B_24H, 0x21, 0x00, 0x02, 0x28, 0x23, 0x59, 0x59, 1);
	adv(f, SEC);
	assert_time(f, 0x21, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 2);   /* 2100 */
	set_time(f, RTC_REG_B_24H, 0x20, 0x00, 0x02, 0x28, 0x23, 0x59, 0x59, 2);
	adv(f, SEC);
	assert_time(f, 0x20, 0x00, 0x02, 0x29, 0x00, 0x00, 0x00, 3);   /* 2000 */
	set_time(f, RTC_REG_B_24H, 0x20, 0x26, 0x04, 0x30, 0x23, 0x59, 0x59, 5);
	adv(f, SEC);
	assert_time(f, 0x20, 0x26, 0x05, 0x01, 0x00, 0x00, 0x00, 6);   /* 30-day */
	set_time(f, RTC_REG_B_24H, 0x20, 0x26, 0x01, 0x31, 0x23, 0x59, 0x59, 7);
	adv(f, SEC);
	assert_time(f, 0x20, 0x26, 0x02, 0x01, 0x00, 0x00, 0x00, 1);   /* Sat->Sun */
	free(f);
}

static void test_century_rollover_and_register_0x32(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2099_12_31);
	assert_time(f, 0x20, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59, 5);
	adv(f, SEC);
	assert_time(f, 0x21, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 6);
	/* 1999 -> 2000 with the century written by the guest. */
	set_time(f, RTC_REG_B_24H, 0x19, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59, 6);
	assert_int_equal(rd(f, RTC_REG_CENTURY), 0x19);
	adv(f, SEC);
	assert_time(f, 0x20, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 7);
	/* Writing the century alone (SET=0) moves the year. */
	wr(f, RTC_REG_CENTURY, 0x21);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_CENTURY), 0x21);
	assert_int_equal(rd(f, RTC_REG_YEAR), 0x00);
	assert_int_equal(rd(f, RTC_REG_DAY_OF_WEEK), 7);    /* free-running */
	free(f);
}

static void test_day_of_week_is_free_running(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25 + 12 * 3600 + 9 * 60 + 39);   /* 23:59:59 Wed */
	assert_int_equal(rd(f, RTC_REG_DAY_OF_WEEK), 4);
	wr(f, RTC_REG_DAY_OF_WEEK, 1);  /* guest says Sunday */
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_DAY_OF_MONTH), 0x26);
	assert_int_equal(rd(f, RTC_REG_DAY_OF_WEEK), 2);
	wr(f, RTC_REG_DAY_OF_WEEK, 7);
	adv(f, 86400 * SEC);
	assert_int_equal(rd(f, RTC_REG_DAY_OF_WEEK), 1);    /* 7 wraps to 1 */
	free(f);
}

static void test_register_d_vrt(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	assert_int_equal(rd(f, RTC_REG_D), 0x80);
	wr(f, RTC_REG_D, 0x00);
	assert_int_equal(rd(f, RTC_REG_D), 0x80);
	wr(f, RTC_REG_D, 0x7f);
	assert_int_equal(rd(f, RTC_REG_D), 0x80);
	free(f);
}

static void test_nmi_mask_bit_and_index(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	assert_false(sc_rtc_nmi_masked(&f->rtc));
	sc_rtc_ioport_write(&f->rtc, 0x70, 0x80 | RTC_REG_D);
	assert_true(sc_rtc_nmi_masked(&f->rtc));
	assert_int_equal(sc_rtc_ioport_read(&f->rtc, 0x71), 0x80);     /* index 0x0d */
	sc_rtc_ioport_write(&f->rtc, 0x70, RTC_REG_B);
	assert_false(sc_rtc_nmi_masked(&f->rtc));
	assert_int_equal(sc_rtc_ioport_read(&f->rtc, 0x71), SC_RTC_RESET_REG_B);
	assert_int_equal(sc_rtc_ioport_read(&f->rtc, 0x70), 0xff);
	assert_int_equal(sc_rtc_ioport_read(&f->rtc, 0x74), 0xff);
	sc_rtc_ioport_write(&f->rtc, 0x74, 0x12);   /* ignored */
	assert_true(f->traces > 0);
	free(f);
}

static void test_ram_bytes_and_vmm_access(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	for (unsigned i = 0x0e; i < 0x80; i++) {
		if (i == RTC_REG_CENTURY)
			continue;
		wr(f, (uint8_t)i, (uint8_t)(i ^ 0x5a));
	}
	for (unsigned i = 0x0e; i < 0x80; i++) {
		if (i == RTC_REG_CENTURY)
			continue;
		assert_int_equal(rd(f, (uint8_t)i), i ^ 0x5a);
	}
	assert_int_equal(sc_rtc_cmos_set(&f->rtc, 0x15, 0x80), 0);  /* base mem */
	assert_int_equal(rd(f, 0x15), 0x80);
	uint8_t v = 0;
	wr(f, 0x2e, 0x33);
	assert_int_equal(sc_rtc_cmos_get(&f->rtc, 0x2e, &v), 0);
	assert_int_equal(v, 0x33);
	for (unsigned i = 0; i <= RTC_REG_D; i++)
		assert_int_equal(sc_rtc_cmos_set(&f->rtc, i, 0), -EINVAL);
	assert_int_equal(sc_rtc_cmos_set(&f->rtc, RTC_REG_CENTURY, 0), -EINVAL);
	assert_int_equal(sc_rtc_cmos_set(&f->rtc, 0x80, 0), -EINVAL);   /* no bank 2 */
	assert_int_equal(sc_rtc_cmos_set(NULL, 0x20, 0), -EINVAL);
	assert_int_equal(sc_rtc_cmos_get(&f->rtc, 0x20, NULL), -EINVAL);
	assert_int_equal(sc_rtc_cmos_get(&f->rtc, 0x05, &v), -EINVAL);
	/* No bank 2: ports 0x72/0x73 float. */
	sc_rtc_ioport_write(&f->rtc, 0x72, 0x10);
	sc_rtc_ioport_write(&f->rtc, 0x73, 0x44);
	assert_int_equal(sc_rtc_ioport_read(&f->rtc, 0x73), 0xff);
	free(f);
}

static void test_bank2(void **state)
{
	(void)state;
	struct fx *f = fx_new_at(T_2026_11_25, 0, 0, true, 0);
	sc_rtc_ioport_write(&f->rtc, 0x72, 0x05);
	sc_rtc_ioport_write(&f->rtc, 0x73, 0xa5);
	sc_rtc_ioport_write(&f->rtc, 0x72, 0x85);   /* bit 7 ignored */
	assert_int_equal(sc_rtc_ioport_read(&f->rtc, 0x73), 0xa5);
	/* Bank 2 index 5 is RAM, not the hours alarm of bank 1. */
	assert_int_equal(rd(f, RTC_REG_HOURS_ALARM), 0x00);
	assert_int_equal(sc_rtc_cmos_set(&f->rtc, 0x80 + 0x7f, 0x11), 0);
	sc_rtc_ioport_write(&f->rtc, 0x72, 0x7f);
	assert_int_equal(sc_rtc_ioport_read(&f->rtc, 0x73), 0x11);
	uint8_t v;
	assert_int_equal(sc_rtc_cmos_get(&f->rtc, 0x85, &v), 0);
	assert_int_equal(v, 0xa5);
	assert_int_equal(sc_rtc_cmos_set(&f->rtc, 0x100, 0), -EINVAL);
	assert_int_equal(sc_rtc_ioport_read(&f->rtc, 0x72), 0xff);
	free(f);
}

static void test_hostile_time_bytes_never_crash(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	/* Invalid BCD digits: read back as written until the next update. */
	wr(f, RTC_REG_SECONDS, 0x5a);   /* "5A" = 60 s */
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x5a);
	adv(f, SEC);
	assert_int_equal(rd(f, RTC_REG_SECONDS), 0x01);     /* 11:51:01 */
	assert_int_equal(rd(f, RTC_REG_MINUTES), 0x51);
	/* Month 13 wraps into the next year; day 0 is the day before. */
	set_time(f, RTC_REG_B_24H, 0x20, 0x26, 0x13, 0x25, 0x10, 0x00, 0x00, 1);
	assert_int_equal(rd(f, RTC_REG_MONTH), 0x13);
	adv(f, SEC);
	assert_time(f, 0x20, 0x27, 0x01, 0x25, 0x10, 0x00, 0x01, 1);
	set_time(f, RTC_REG_B_24H, 0x20, 0x26, 0x00, 0x00, 0x10, 0x00, 0x00, 1);
	adv(f, SEC);
	assert_time(f, 0x20, 0x25, 0x11, 0x30, 0x10, 0x00, 0x01, 1);
	/* Feb 31 becomes Mar 3 at the next update. */
	set_time(f, RTC_REG_B_24H, 0x20, 0x26, 0x02, 0x31, 0x10, 0x00, 0x00, 3);
	adv(f, SEC);
	assert_time(f, 0x20, 0x26, 0x03, 0x03, 0x10, 0x00, 0x01, 3);
	/* Everything 0xff in both modes, 12-hour included. */
	for (int m = 0; m < 8; m++) {
		uint8_t mode = (uint8_t)(((m & 1) ? RTC_REG_B_DM : 0) |
					 ((m & 2) ? RTC_REG_B_24H : 0));
		uint8_t v = (m & 4) ? 0xff : 0x00;
		set_time(f, mode, v, v, v, v, v, v, v, v);
		assert_int_equal(rd(f, RTC_REG_SECONDS), v);
		adv(f, SEC);
		struct tm6 t = rd_time(f);
		(void)t;
		assert_true(rd(f, RTC_REG_DAY_OF_WEEK) >= 1);
	}
	/* Hours 0x3f in 24-hour BCD: 3*10+15 = 45 h = next day 21 h. */
	set_time(f, RTC_REG_B_24H, 0x20, 0x26, 0x01, 0x01, 0x3f, 0x00, 0x00, 5);
	adv(f, SEC);
	assert_time(f, 0x20, 0x26, 0x01, 0x02, 0x21, 0x00, 0x01, 6);
	free(f);
}

static void test_hostile_register_writes_never_crash(void **state)
{
	(void)state;
	struct fx *f = fx_new_at(T_2026_11_25, 0, 0, true, 0);
	for (unsigned pass = 0; pass < 3; pass++) {
		for (unsigned idx = 0; idx < 0x80; idx++) {
			for (unsigned v = 0; v < 256; v += 37) {
				wr(f, (uint8_t)idx, (uint8_t)(v ^ pass));
				rd(f, (uint8_t)idx);
				rd(f, RTC_REG_C);
				adv(f, 3 * MS + pass);
			}
		}
	}
	assert_int_equal(rd(f, RTC_REG_D), 0x80);
	free(f);
}

/* Drive a chip through a scripted sequence and record observations. */
static void script_step(struct fx *f, int i, uint8_t *out)
{
	adv(f, 7 * MS + (uint64_t)i * 1234);
	out[0] = rd(f, RTC_REG_C);
	out[1] = rd(f, RTC_REG_SECONDS);
	out[2] = rd(f, RTC_REG_A) & RTC_REG_A_UIP;
	out[3] = (uint8_t)f->edges;
	if (i == 50)
		wr(f, RTC_REG_A, 0x24);
	if (i == 90)
		wr(f, RTC_REG_B, RTC_REG_B_SET | RTC_REG_B_24H);
	if (i == 95)
		wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_UIE | RTC_REG_B_24H);
}

static struct fx *configured(uint64_t vstart)
{
	struct fx *f = fx_new_at(T_2026_11_25, 333 * MS, vstart, true, 0);
	sc_rtc_set_policy(&f->rtc, SC_TICK_DELAY);
	set_time(f, RTC_REG_B_24H, 0x20, 0x30, 0x06, 0x15, 0x08, 0x00, 0x00, 7);
	wr(f, RTC_REG_A, 0x2a);
	wr(f, RTC_REG_SECONDS_ALARM, 0x02);
	wr(f, RTC_REG_MINUTES_ALARM, 0xc0);
	wr(f, RTC_REG_HOURS_ALARM, 0xc0);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_AIE | RTC_REG_B_UIE | RTC_REG_B_24H);
	sc_rtc_ioport_write(&f->rtc, 0x72, 0x33);
	sc_rtc_ioport_write(&f->rtc, 0x73, 0x99);
	wr(f, 0x40, 0x77);
	sc_rtc_ioport_write(&f->rtc, 0x70, 0x80 | 0x0c);
	adv(f, 1234567891);
	return f;
}

static void test_save_restore_roundtrip(void **state)
{
	(void)state;
	struct fx *a = configured(SEC);
	struct sc_rtc_state_v1 s;
	sc_rtc_save(&a->rtc, &s);
	assert_int_equal(sc_rtc_validate(&s), 0);

	/* A fresh chip on its own clock at the same virtual time, with a wall
	 * clock that agrees. */
	struct fx *b = fx_new_at(T_2026_11_25, 0, a->fc.now, true, 0);
	b->wall_base = a->wall_base;
	b->irq = false;
	assert_int_equal(sc_rtc_restore(&b->rtc, &s), 0);
	assert_int_equal(b->irq, a->irq);
	b->edges = a->edges;
	assert_true(sc_rtc_nmi_masked(&b->rtc));
	assert_int_equal(sc_rtc_ioport_read(&b->rtc, 0x73), 0x99);
	assert_int_equal(sc_rtc_tick(&b->rtc)->policy, SC_TICK_DELAY);

	for (int i = 0; i < 120; i++) {
		uint8_t oa[4], ob[4];
		script_step(a, i, oa);
		script_step(b, i, ob);
		assert_memory_equal(oa, ob, sizeof(oa));
	}
	assert_int_equal(rd(a, 0x40), rd(b, 0x40));
	struct sc_rtc_state_v1 sa, sb;
	sc_rtc_save(&a->rtc, &sa);
	sc_rtc_save(&b->rtc, &sb);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	free(a);
	free(b);
}

static void test_restore_rejects_corrupt_state(void **state)
{
	(void)state;
	struct fx *a = configured(SEC);
	struct sc_rtc_state_v1 good, s, before, after;
	sc_rtc_save(&a->rtc, &good);
	assert_non_null(good.update_deadline);
	assert_true(good.tick.running);

	struct fx *b = fx_new_at(T_2026_11_25, 0, a->fc.now, true, 0);
	sc_rtc_save(&b->rtc, &before);

#define REJECT(stmt) do { s = good; stmt; \
		assert_int_equal(sc_rtc_validate(&s), -EINVAL); \
		assert_int_equal(sc_rtc_restore(&b->rtc, &s), -EINVAL); \
		sc_rtc_save(&b->rtc, &after); \
		assert_memory_equal(&before, &after, sizeof(before)); } while (0)

	REJECT(s.version = 2);
	REJECT(s.pad = 1);
	REJECT(s.index = 0x80);
	REJECT(s.index2 = 0xff);
	REJECT(s.nmi_masked = 2);
	REJECT(s.irq_level = 3);
	REJECT(s.irq_level = 1; s.cmos[RTC_REG_C] = 0);    /* line up, no IRQF */
	REJECT(s.raw_valid = 2);
	REJECT(s.pf_delivered = 9);
	REJECT(s.dow_adj = 7);
	REJECT(s.bank2_enabled = 2);
	REJECT(s.bank2_enabled = 0);                    /* bank-2 bytes set */
	REJECT(s.cmos[RTC_REG_A] |= RTC_REG_A_UIP);
	REJECT(s.cmos[RTC_REG_C] |= RTC_REG_C_IRQF);
	REJECT(s.cmos[RTC_REG_C] |= 0x01);
	REJECT(s.cmos[RTC_REG_D] = 0);
	REJECT(s.off_ns = 1000000000);
	REJECT(s.off_ns = -1);
	REJECT(s.off_s = INT64_MAX);
	REJECT(s.div_base = (int64_t)s.sync_vt + 1);
	REJECT(s.div_base = INT64_MIN);
	REJECT(s.sync_vt = UINT64_MAX);
	REJECT(s.update_deadline += 1);                 /* off the update grid */
	REJECT(s.cmos[RTC_REG_B] &= (uint8_t)~(RTC_REG_B_UIE | RTC_REG_B_AIE));
	REJECT(s.cmos[RTC_REG_A] = 0x60; s.raw_valid = 0);  /* reset, not latched */
	REJECT(s.cmos[RTC_REG_B] &= (uint8_t)~RTC_REG_B_PIE);   /* tick running */
	REJECT(s.tick.period = 5);
	REJECT(s.tick.policy = 9);                      /* tick's own check */
	REJECT(s.tick.running = 0);
	assert_int_equal(sc_rtc_validate(NULL), -EINVAL);
	assert_int_equal(sc_rtc_restore(&b->rtc, NULL), -EINVAL);

	/* A state from a chip without bank 2 does not fit one with it. */
	struct fx *c = fx_new(T_2026_11_25);
	sc_rtc_save(&c->rtc, &s);
	assert_int_equal(sc_rtc_validate(&s), 0);
	assert_int_equal(sc_rtc_restore(&b->rtc, &s), -EINVAL);
	/* The pristine state restores. */
	assert_int_equal(sc_rtc_restore(&b->rtc, &good), 0);
	free(a);
	free(b);
	free(c);
#undef REJECT
}

static void test_restore_rearms_update_timer_without_deadline(void **state)
{
	(void)state;
	struct fx *a = fx_new(T_2026_11_25);
	wr(a, RTC_REG_A, 0x20);
	wr(a, RTC_REG_B, RTC_REG_B_UIE | RTC_REG_B_24H);
	struct sc_rtc_state_v1 s;
	sc_rtc_save(&a->rtc, &s);
	s.update_deadline = 0;
	struct fx *b = fx_new(T_2026_11_25);
	assert_int_equal(sc_rtc_restore(&b->rtc, &s), 0);
	rd(b, RTC_REG_C);
	adv(b, SEC);
	assert_true(b->irq);
	free(a);
	free(b);
}

static void test_affinity_moves_timers(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_UIE | RTC_REG_B_24H);
	sc_rtc_set_affinity(&f->rtc, 3);
	assert_int_equal(f->rtc.update_timer.affinity, 3);
	assert_int_equal(sc_rtc_tick(&f->rtc)->timer.affinity, 3);
	free(f);
}

static void test_destroy_leaves_no_timer_on_the_clock(void **state)
{
	(void)state;
	struct fx *f = fx_new(T_2026_11_25);
	wr(f, RTC_REG_B, RTC_REG_B_PIE | RTC_REG_B_UIE | RTC_REG_B_24H);
	assert_true(sc_fake_clock_next_deadline(&f->fc) != UINT64_MAX);
	sc_rtc_destroy(&f->rtc);
	assert_int_equal(sc_fake_clock_next_deadline(&f->fc), UINT64_MAX);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_time_from_wall_clock_bcd_24h),
		cmocka_unit_test(test_init_rejects_missing_arguments),
		cmocka_unit_test(test_init_offset_shifts_time),
		cmocka_unit_test(test_seconds_change_at_wall_second_boundary),
		cmocka_unit_test(test_wall_clock_step_shows_in_time),
		cmocka_unit_test(test_uip_window_is_244us_before_update),
		cmocka_unit_test(test_set_clears_uip_and_uip_stays_zero),
		cmocka_unit_test(test_uip_zero_in_divider_reset),
		cmocka_unit_test(test_set_halts_updates),
		cmocka_unit_test(test_set_going_high_clears_uie),
		cmocka_unit_test(test_periodic_continues_while_set),
		cmocka_unit_test(test_register_b_stores_sqwe_and_dse),
		cmocka_unit_test(test_set_time_with_set_bit),
		cmocka_unit_test(test_time_write_while_running_keeps_phase),
		cmocka_unit_test(test_sequential_writes_without_set_within_a_second),
		cmocka_unit_test(test_divider_reset_first_update_after_500ms),
		cmocka_unit_test(test_other_dv_values_stop_the_chain),
		cmocka_unit_test(test_periodic_rates_rs1_to_rs15),
		cmocka_unit_test(test_periodic_rs0_none),
		cmocka_unit_test(test_pf_set_without_pie_and_no_irq),
		cmocka_unit_test(test_periodic_phase_after_divider_reset),
		cmocka_unit_test(test_periodic_rate_change_and_pie_off),
		cmocka_unit_test(test_periodic_tick_grid_stays_on_divider),
		cmocka_unit_test(test_periodic_delay_policy_acked_by_register_c),
		cmocka_unit_test(test_periodic_grid_recovers_after_long_unacked_run),
		cmocka_unit_test(test_register_c_read_clears_and_irqf_composition),
		cmocka_unit_test(test_uf_once_per_second),
		cmocka_unit_test(test_alarm_exact_match),
		cmocka_unit_test(test_alarm_dont_care_bytes),
		cmocka_unit_test(test_alarm_flag_without_aie_and_across_a_stall),
		cmocka_unit_test(test_binary_mode),
		cmocka_unit_test(test_12_hour_mode),
		cmocka_unit_test(test_init_in_12_hour_view),
		cmocka_unit_test(test_mode_change_does_not_convert_bytes),
		cmocka_unit_test(test_rollover_seconds_to_year_and_leap_years),
		cmocka_unit_test(test_century_rollover_and_register_0x32),
		cmocka_unit_test(test_day_of_week_is_free_running),
		cmocka_unit_test(test_register_d_vrt),
		cmocka_unit_test(test_nmi_mask_bit_and_index),
		cmocka_unit_test(test_ram_bytes_and_vmm_access),
		cmocka_unit_test(test_bank2),
		cmocka_unit_test(test_hostile_time_bytes_never_crash),
		cmocka_unit_test(test_hostile_register_writes_never_crash),
		cmocka_unit_test(test_save_restore_roundtrip),
		cmocka_unit_test(test_restore_rejects_corrupt_state),
		cmocka_unit_test(test_restore_rearms_update_timer_without_deadline),
		cmocka_unit_test(test_affinity_moves_timers),
		cmocka_unit_test(test_destroy_leaves_no_timer_on_the_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
