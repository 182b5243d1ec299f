/* SPDX-License-Identifier: MIT */
/* HPET unit tests (IA-PC HPET 1.0a) on the fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <splitchip/hpet.h>

#define NS(ticks) ((uint64_t)(ticks) * SC_HPET_TICK_NS)

enum ev_kind { EV_PIN, EV_LEGACY, EV_MODE, EV_MSI };

struct ev {
	enum ev_kind kind;
	unsigned line;
	bool level;
	uint64_t addr;
	uint32_t data;
	uint64_t when;
};

struct fixture {
	struct sc_fake_clock fc;
	struct sc_hpet h;
	struct ev ev[4096];
	unsigned nev;
	unsigned lost;
	uint32_t pin_high;       /* as seen by the receiver */
	uint32_t legacy_high;    /* bit n: ISA IRQ n */
};

static void rec(struct fixture *f, struct ev e)
{
	e.when = f->fc.now;
	if (f->nev < sizeof(f->ev) / sizeof(f->ev[0]))
		f->ev[f->nev++] = e;
	else
		f->lost++;
}

static void cb_irq(void *o, unsigned gsi, bool level)
{
	struct fixture *f = o;
	if (level)
		f->pin_high |= 1u << gsi;
	else
		f->pin_high &= ~(1u << gsi);
	rec(f, (struct ev){ .kind = EV_PIN, .line = gsi, .level = level });
}

static void cb_legacy(void *o, unsigned irq, bool level)
{
	struct fixture *f = o;
	if (level)
		f->legacy_high |= 1u << irq;
	else
		f->legacy_high &= ~(1u << irq);
	rec(f, (struct ev){ .kind = EV_LEGACY, .line = irq, .level = level });
}

static void cb_mode(void *o, bool on)
{
	rec(o, (struct ev){ .kind = EV_MODE, .level = on });
}

static void cb_msi(void *o, const struct sc_msi *m)
{
	rec(o, (struct ev){ .kind = EV_MSI, .addr = m->address, .data = m->data });
}

/* A chip with @cfg exactly as given (NULL: library defaults). */
static struct fixture *fx_new_raw(const struct sc_hpet_config *cfg)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	sc_fake_clock_init(&f->fc, 1000000);
	struct sc_hpet_irq_ops ops = {
		.set_irq = cb_irq, .set_legacy = cb_legacy,
		.legacy_mode = cb_mode, .opaque = f,
	};
	struct sc_msi_sink msi = { .send = cb_msi, .opaque = f };
	assert_int_equal(sc_hpet_init(&f->h, &f->fc.clock, cfg, &ops, &msi, NULL), 0);
	return f;
}

/*
 * Most tests use microsecond periods for speed: they run without the
 * periodic interrupt ceiling unless @cfg sets one (the ceiling has its own
 * tests, test_periodic_ceiling_*).
 */
static struct fixture *fx_new(const struct sc_hpet_config *cfg)
{
	struct sc_hpet_config c = { 0 };
	if (cfg)
		c = *cfg;
	if (!c.min_tick_ns)
		c.min_tick_ns = SC_HPET_TICK_NS;
	return fx_new_raw(&c);
}

static void fx_free(struct fixture *f)
{
	sc_hpet_destroy(&f->h);
	test_free(f);
}

static uint64_t rd(struct fixture *f, uint64_t off)
{
	return sc_hpet_mmio_read(&f->h, off, 8);
}

static uint32_t rd32(struct fixture *f, uint64_t off)
{
	return (uint32_t)sc_hpet_mmio_read(&f->h, off, 4);
}

static void wr(struct fixture *f, uint64_t off, uint64_t v)
{
	sc_hpet_mmio_write(&f->h, off, 8, v);
}

static void wr32(struct fixture *f, uint64_t off, uint32_t v)
{
	sc_hpet_mmio_write(&f->h, off, 4, v);
}

static void adv(struct fixture *f, uint64_t ns)
{
	sc_fake_clock_advance(&f->fc, ns);
}

static void enable(struct fixture *f)
{
	wr(f, HPET_GEN_CONF, rd(f, HPET_GEN_CONF) | HPET_ENABLE_CNF);
}

static void halt(struct fixture *f)
{
	wr(f, HPET_GEN_CONF, rd(f, HPET_GEN_CONF) & ~HPET_ENABLE_CNF);
}

static uint64_t route(unsigned pin)
{
	return (uint64_t)pin << HPET_TN_INT_ROUTE_CNF_SHIFT;
}

/* Number of rising edges on IOAPIC pin @pin. */
static unsigned rises(const struct fixture *f, enum ev_kind k, unsigned line)
{
	unsigned n = 0;
	for (unsigned i = 0; i < f->nev; i++)
		if (f->ev[i].kind == k && f->ev[i].line == line && f->ev[i].level)
			n++;
	return n;
}

static unsigned count_kind(const struct fixture *f, enum ev_kind k)
{
	unsigned n = 0;
	for (unsigned i = 0; i < f->nev; i++)
		n += f->ev[i].kind == k;
	return n;
}

/* ------------------------------------------------------------ capabilities */

static void test_gcap_fields(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	uint64_t cap = rd(f, HPET_GCAP_ID);
	assert_int_equal(cap & HPET_GCAP_REV_ID_MASK, 1);
	assert_int_equal((cap & HPET_GCAP_NUM_TIM_CAP_MASK) >> HPET_GCAP_NUM_TIM_CAP_SHIFT, 2);
	assert_true(cap & HPET_GCAP_COUNT_SIZE_CAP);
	assert_true(cap & HPET_GCAP_LEG_RT_CAP);
	assert_int_equal((cap >> 16) & 0xffff, 0x8086);
	assert_int_equal(cap >> 32, 10000000);
	assert_true((cap >> 32) <= 100000000u);     /* 2.3.4: <= 100 ns */
	assert_int_equal(rd32(f, 0x004), 10000000);
	assert_int_equal(rd32(f, 0x000), (uint32_t)cap);
	/* read-only */
	wr(f, HPET_GCAP_ID, 0);
	assert_int_equal(rd(f, HPET_GCAP_ID), cap);
	fx_free(f);

	struct sc_hpet_config cfg = { .timers = 32, .vendor_id = 0x1234 };
	f = fx_new(&cfg);
	cap = rd(f, HPET_GCAP_ID);
	assert_int_equal((cap & HPET_GCAP_NUM_TIM_CAP_MASK) >> HPET_GCAP_NUM_TIM_CAP_SHIFT, 31);
	assert_int_equal((cap >> 16) & 0xffff, 0x1234);
	/* timer 31's registers lie at 0x4e0 (past the first KiB) */
	assert_int_equal(rd(f, HPET_TN_CONF(31)) >> 32, SC_HPET_DEFAULT_ROUTE_CAP);
	fx_free(f);
}

static void test_timer_caps_default_and_configured(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	uint64_t c0 = rd(f, HPET_TN_CONF(0)), c1 = rd(f, HPET_TN_CONF(1));
	assert_true(c0 & HPET_TN_PER_INT_CAP);
	assert_true(c0 & HPET_TN_SIZE_CAP);
	assert_false(c0 & HPET_TN_FSB_INT_DEL_CAP);
	assert_false(c1 & HPET_TN_PER_INT_CAP);
	assert_false(c1 & HPET_TN_SIZE_CAP);
	assert_int_equal(c0 >> 32, SC_HPET_DEFAULT_ROUTE_CAP);
	assert_int_equal(rd32(f, HPET_TN_CONF(1) + 4), SC_HPET_DEFAULT_ROUTE_CAP);
	/* comparators reset to all ones, in their width */
	assert_int_equal(rd(f, HPET_TN_CMP(0)), UINT64_MAX);
	assert_int_equal(rd(f, HPET_TN_CMP(1)), UINT32_MAX);
	fx_free(f);

	struct sc_hpet_config cfg = {
		.timers = 4, .periodic_mask = 0x4, .size64_mask = 0x8,
		.fsb_mask = 0x2, .route_cap = { [3] = 0x3 },
	};
	f = fx_new(&cfg);
	assert_true(rd(f, HPET_TN_CONF(2)) & HPET_TN_PER_INT_CAP);
	assert_true(rd(f, HPET_TN_CONF(3)) & HPET_TN_SIZE_CAP);
	assert_true(rd(f, HPET_TN_CONF(1)) & HPET_TN_FSB_INT_DEL_CAP);
	assert_int_equal(rd(f, HPET_TN_CONF(3)) >> 32, 0x3);
	/* caps are read-only */
	wr(f, HPET_TN_CONF(1), 0);
	assert_true(rd(f, HPET_TN_CONF(1)) & HPET_TN_FSB_INT_DEL_CAP);
	fx_free(f);
}

static void test_init_rejects_bad_config(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct sc_hpet h;
	sc_fake_clock_init(&fc, 0);
	struct sc_hpet_config cfg = { .timers = 2 };
	assert_int_equal(sc_hpet_init(&h, &fc.clock, &cfg, NULL, NULL, NULL), -EINVAL);
	cfg.timers = 33;
	assert_int_equal(sc_hpet_init(&h, &fc.clock, &cfg, NULL, NULL, NULL), -EINVAL);
	cfg.timers = 3;
	cfg.policy = (enum sc_tick_policy)9;
	assert_int_equal(sc_hpet_init(&h, &fc.clock, &cfg, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sc_hpet_init(&h, NULL, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sc_hpet_init(NULL, &fc.clock, NULL, NULL, NULL, NULL), -EINVAL);
	/* no outputs at all is fine: timers fire into the void */
	assert_int_equal(sc_hpet_init(&h, &fc.clock, NULL, NULL, NULL, NULL), 0);
	sc_hpet_mmio_write(&h, HPET_TN_CONF(0), 8, HPET_TN_INT_ENB_CNF | HPET_TN_INT_TYPE_CNF | route(20));
	sc_hpet_mmio_write(&h, HPET_TN_CMP(0), 8, 5);
	sc_hpet_mmio_write(&h, HPET_GEN_CONF, 8, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	sc_fake_clock_advance(&fc, 1000);
	assert_int_equal(sc_hpet_mmio_read(&h, HPET_GINTR_STA, 8), 1);
	sc_hpet_destroy(&h);
}

/* ------------------------------------------------------------ main counter */

static void test_counter_halted_and_writable(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 0);
	adv(f, 1000000);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 0);
	wr(f, HPET_MAIN_CNT, 0x123456789abcull);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 0x123456789abcull);
	wr32(f, HPET_MAIN_CNT + 4, 0x11);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 0x1156789abcull);
	wr32(f, HPET_MAIN_CNT, 0xdeadbeef);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 0x11deadbeefull);
	fx_free(f);
}

static void test_counter_runs_only_when_enabled(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	enable(f);
	adv(f, 1000);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 100);
	adv(f, 15);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 101);
	/* writes while running are ignored (2.3.5) */
	wr(f, HPET_MAIN_CNT, 0);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 101);
	halt(f);
	adv(f, 100000);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 101);
	enable(f);
	adv(f, 100);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 111);
	fx_free(f);
}

static void test_counter_monotonic_and_split_reads(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_MAIN_CNT, 0x1fffffff0ull);
	enable(f);
	uint64_t last = rd(f, HPET_MAIN_CNT);
	for (int i = 0; i < 50; i++) {
		adv(f, 7);
		uint64_t c = rd(f, HPET_MAIN_CNT);
		assert_true(c >= last);
		last = c;
	}
	/* 350 ns = 35 ticks: 0x1fffffff0 + 35 = 0x200000013 */
	assert_int_equal(last, 0x200000013ull);
	assert_int_equal(rd32(f, HPET_MAIN_CNT), 0x13);
	assert_int_equal(rd32(f, HPET_MAIN_CNT + 4), 2);
	fx_free(f);
}

/* ------------------------------------------------------------ one-shot */

static void test_oneshot_64bit_edge_fires_once(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 1000);
	enable(f);
	adv(f, NS(1000) - 1);
	assert_int_equal(f->nev, 0);
	adv(f, 1);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[0].kind, EV_PIN);
	assert_int_equal(f->ev[0].line, 20);
	assert_true(f->ev[0].level);
	assert_false(f->ev[1].level);
	assert_int_equal(f->ev[0].when, 1000000 + NS(1000));
	/* comparator unchanged in one-shot mode, no status for edge */
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 1000);
	assert_int_equal(rd(f, HPET_GINTR_STA), 0);
	adv(f, 10ull * SC_NSEC_PER_SEC);
	assert_int_equal(f->nev, 2);
	assert_int_equal(sc_fake_clock_next_deadline(&f->fc), UINT64_MAX);
	/* reprogramming in the past does not fire a 64-bit timer */
	wr(f, HPET_TN_CMP(0), 5);
	adv(f, SC_NSEC_PER_SEC);
	assert_int_equal(f->nev, 2);
	/* a comparator equal to the counter matches right away */
	wr(f, HPET_TN_CMP(0), rd(f, HPET_MAIN_CNT));
	sc_fake_clock_run_due(&f->fc);
	assert_int_equal(f->nev, 4);
	fx_free(f);
}

static void test_oneshot_interrupt_disabled_is_silent(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), route(20));
	wr(f, HPET_TN_CMP(0), 100);
	enable(f);
	adv(f, NS(1000));
	assert_int_equal(f->nev, 0);
	assert_int_equal(rd(f, HPET_GINTR_STA), 0);
	/* enabling later does not replay a past match */
	wr(f, HPET_TN_CONF(0), HPET_TN_INT_ENB_CNF | route(20));
	adv(f, NS(1000));
	assert_int_equal(f->nev, 0);
	fx_free(f);
}

static void test_oneshot_32bit_match_and_wrap(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	/* timer 1 is a 32-bit timer */
	wr(f, HPET_TN_CONF(1), HPET_TN_INT_ENB_CNF | route(21));
	wr(f, HPET_TN_CMP(1), 0x123456789ull);       /* truncated */
	assert_int_equal(rd(f, HPET_TN_CMP(1)), 0x23456789);
	wr32(f, HPET_TN_CMP(1) + 4, 0xffffffff);      /* upper half ignored */
	assert_int_equal(rd32(f, HPET_TN_CMP(1) + 4), 0);
	wr(f, HPET_TN_CMP(1), 0x10);
	wr(f, HPET_MAIN_CNT, 0x7ffffff00ull);
	enable(f);
	/* 2.3.9.2.1: interrupt when the counter wraps (0x100 ticks) ... */
	adv(f, NS(0x100) - 1);
	assert_int_equal(rises(f, EV_PIN, 21), 0);
	adv(f, 1);
	assert_int_equal(rises(f, EV_PIN, 21), 1);
	/* ... and at the match of the low 32 bits */
	adv(f, NS(0x10) - 1);
	assert_int_equal(rises(f, EV_PIN, 21), 1);
	adv(f, 1);
	assert_int_equal(rises(f, EV_PIN, 21), 2);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 0x800000010ull);
	/* next: the following wrap, 2^32 - 0x10 ticks later */
	assert_int_equal(sc_fake_clock_next_deadline(&f->fc),
			 f->fc.now + NS(0x100000000ull - 0x10));
	fx_free(f);
}

static void test_32mode_on_64bit_timer(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CMP(0), 0x500000100ull);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 0x500000100ull);
	wr(f, HPET_TN_CONF(0), HPET_TN_32MODE_CNF | HPET_TN_INT_ENB_CNF | route(22));
	assert_true(rd(f, HPET_TN_CONF(0)) & HPET_TN_32MODE_CNF);
	/* setting 32-bit mode truncates the comparator */
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 0x100);
	wr(f, HPET_TN_CMP(0), 0x900000200ull);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 0x200);
	/* compares the low 32 bits of the counter only */
	wr(f, HPET_MAIN_CNT, 0x300000000ull);
	enable(f);
	adv(f, NS(0x200));
	assert_int_equal(rises(f, EV_PIN, 22), 1);
	/* 32MODE on a 32-bit timer is read-only 0 */
	wr(f, HPET_TN_CONF(1), HPET_TN_32MODE_CNF);
	assert_false(rd(f, HPET_TN_CONF(1)) & HPET_TN_32MODE_CNF);
	fx_free(f);
}

/* ------------------------------------------------------------ periodic */

static void test_periodic_val_set_accumulator(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	/* VAL_SET reads back 0 (self-clearing) */
	assert_false(rd(f, HPET_TN_CONF(0)) & HPET_TN_VAL_SET_CNF);
	assert_true(rd(f, HPET_TN_CONF(0)) & HPET_TN_TYPE_CNF);
	wr(f, HPET_TN_CMP(0), 1000);     /* comparator (and period) */
	wr(f, HPET_TN_CMP(0), 500);      /* period only */
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 1000);
	enable(f);
	adv(f, NS(999));
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 1000);
	assert_int_equal(rises(f, EV_PIN, 20), 0);
	adv(f, NS(1));
	/* 2.3.9.2.2: after the match the comparator holds the next match */
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 1500);
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	adv(f, NS(499));
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 1500);
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	adv(f, NS(1));
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 2000);
	assert_int_equal(rises(f, EV_PIN, 20), 2);
	adv(f, NS(5000));
	assert_int_equal(rises(f, EV_PIN, 20), 12);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 7000);
	fx_free(f);
}

/*
 * A periodic edge timer with its interrupt disabled shows nothing but its
 * comparator (2.3.6: edge mode ignores the status bit; 2.3.8: no interrupt
 * without Tn_INT_ENB_CNF): it must cost no host timer, yet its comparator
 * advances, and enabling the interrupt delivers from the next match.
 * Linux leaves timer 0 like this once the LAPIC timer takes over.
 */
static void test_periodic_disabled_edge_needs_no_host_timer(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 1000);
	enable(f);
	assert_int_equal(sc_fake_clock_next_deadline(&f->fc), UINT64_MAX);
	adv(f, NS(10500));
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 11000);   /* computed, 2.3.9.2.2 */
	assert_int_equal(rises(f, EV_PIN, 20), 0);
	struct sc_tick_stats st = sc_hpet_tick(&f->h, 0)->stats;
	assert_int_equal(st.delivered + st.dropped + st.coalesced, 0);
	/* save/restore of that state validates and keeps the comparator */
	struct sc_hpet_state_v1 *s = test_malloc(sizeof(*s));
	sc_hpet_save(&f->h, s);
	assert_int_equal(sc_hpet_restore(&f->h, s), 0);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 11000);
	test_free(s);
	/* seen again: interrupts from the next match on, none before */
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(20));
	assert_true(sc_fake_clock_next_deadline(&f->fc) != UINT64_MAX);
	adv(f, NS(499));
	assert_int_equal(rises(f, EV_PIN, 20), 0);
	adv(f, NS(1));
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 12000);
	adv(f, NS(1000));
	assert_int_equal(rises(f, EV_PIN, 20), 2);
	/* and off again: the host timer goes */
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | route(20));
	assert_int_equal(sc_fake_clock_next_deadline(&f->fc), UINT64_MAX);
	adv(f, NS(5000));
	assert_int_equal(rises(f, EV_PIN, 20), 2);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 18000);
	fx_free(f);
}

static void test_periodic_write_without_val_set_changes_rate(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 100);
	enable(f);
	adv(f, NS(150));
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 200);
	/* new rate: the pending match at 200 stays, then +300 */
	wr(f, HPET_TN_CMP(0), 300);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 200);
	adv(f, NS(50));
	assert_int_equal(rises(f, EV_PIN, 20), 2);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 500);
	adv(f, NS(299));
	assert_int_equal(rises(f, EV_PIN, 20), 2);
	adv(f, NS(1));
	assert_int_equal(rises(f, EV_PIN, 20), 3);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 800);
	fx_free(f);
}

static void test_periodic_split_halves_with_val_set(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	/* Intel's sequence for a 64-bit comparator from 32-bit code */
	wr32(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF);
	wr32(f, HPET_TN_CMP(0), 0x10);
	wr32(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF);
	wr32(f, HPET_TN_CMP(0) + 4, 0x1);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 0x100000010ull);
	assert_int_equal(rd32(f, HPET_TN_CMP(0)), 0x10);
	assert_int_equal(rd32(f, HPET_TN_CMP(0) + 4), 1);
	/* the period got the same halves: matches every 0x100000010 */
	wr(f, HPET_MAIN_CNT, 0x100000000ull);
	wr32(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_INT_ENB_CNF | (uint32_t)route(20));
	enable(f);
	adv(f, NS(0x10));
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 0x200000020ull);
	fx_free(f);
}

static void test_periodic_32bit_comparator_wraps(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	/* spec example (2.3.8): FFFF0000h + 20000h -> 00010000h */
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_32MODE_CNF | HPET_TN_INT_ENB_CNF | route(23));
	wr(f, HPET_TN_CMP(0), 0xffff0000ull);
	wr(f, HPET_TN_CMP(0), 0x20000);
	wr(f, HPET_MAIN_CNT, 0xfffe0000ull);
	enable(f);
	adv(f, NS(0x10000));
	assert_int_equal(rises(f, EV_PIN, 23), 1);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 0x00010000);
	adv(f, NS(0x20000));
	assert_int_equal(rises(f, EV_PIN, 23), 2);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 0x00030000);
	/* one-shot wrap interrupts do not apply to periodic timers */
	assert_int_equal(count_kind(f, EV_PIN), 4);
	fx_free(f);
}

static void test_periodic_cap_enforced(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(1), HPET_TN_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(20));
	assert_false(rd(f, HPET_TN_CONF(1)) & HPET_TN_TYPE_CNF);
	wr(f, HPET_TN_CMP(1), 100);
	enable(f);
	adv(f, NS(1000));
	/* one-shot: fires once at 100 (plus nothing until the 32-bit wrap) */
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	fx_free(f);
}

static void test_periodic_interrupt_count(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	uint64_t period = 100000;      /* 1 ms */
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), period);
	wr(f, HPET_TN_CMP(0), period);
	enable(f);
	adv(f, 100 * SC_NSEC_PER_SEC / 1000);   /* 100 ms */
	assert_int_equal(rises(f, EV_PIN, 20), 100);
	assert_int_equal(sc_hpet_tick(&f->h, 0)->stats.delivered, 100);
	/* the pulses are exactly 1 ms apart */
	uint64_t prev = 0;
	for (unsigned i = 0; i < f->nev; i++) {
		if (!f->ev[i].level)
			continue;
		if (prev)
			assert_int_equal(f->ev[i].when - prev, 1000000);
		prev = f->ev[i].when;
	}
	fx_free(f);
}

static void test_periodic_zero_period_matches_once(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 50);
	wr(f, HPET_TN_CMP(0), 0);
	enable(f);
	adv(f, NS(10000));
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 50);
	fx_free(f);
}

/* Periodic timer 0, edge, pin 20, period @period ticks from the next tick. */
static void start_periodic(struct fixture *f, uint64_t period)
{
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), period);
	wr(f, HPET_TN_CMP(0), period);
	enable(f);
}

/*
 * A guest programming a 10 ns period gets interrupts at the ceiling
 * (default SC_HPET_MIN_TICK_NS), not one host timer callback per 10 ns;
 * the comparator still reads the next match of the programmed period.
 */
static void test_periodic_ceiling_bounds_interrupts(void **state)
{
	(void)state;
	struct fixture *f = fx_new_raw(NULL);
	assert_int_equal(f->h.min_tick_ns, SC_HPET_MIN_TICK_NS);
	start_periodic(f, 1);
	unsigned fired0 = f->fc.fired;
	adv(f, 10 * SC_NSEC_PER_SEC / 1000);    /* 10 ms */
	unsigned want = 10 * 1000000 / SC_HPET_MIN_TICK_NS;
	assert_int_equal(f->lost, 0);
	assert_in_range(rises(f, EV_PIN, 20), want - 1, want + 1);
	assert_true(f->fc.fired - fired0 <= want + 2);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), rd(f, HPET_MAIN_CNT) + 1);
	/* at and above the ceiling the period is exact */
	struct sc_hpet_config cfg = { .min_tick_ns = 1000 };
	struct fixture *g = fx_new_raw(&cfg);
	start_periodic(g, 100);                 /* 1 us */
	adv(g, 100000);
	assert_int_equal(rises(g, EV_PIN, 20), 100);
	fx_free(g);
	fx_free(f);
}

/*
 * Leaving the ceiling by a rate change (no Tn_VAL_SET_CNF) keeps the
 * pending match; a clamped timer saves, validates and restores, but only
 * into a chip with the same ceiling.
 */
static void test_periodic_ceiling_rate_change_and_restore(void **state)
{
	(void)state;
	struct sc_hpet_config cfg = { .min_tick_ns = SC_HPET_MIN_TICK_NS };
	struct fixture *f = fx_new(&cfg);
	start_periodic(f, 3);
	adv(f, 1000000 + NS(1));
	struct sc_hpet_state_v1 *s = test_malloc(sizeof(*s));
	sc_hpet_save(&f->h, s);
	assert_int_equal(sc_hpet_validate(s), 0);
	struct fixture *g = fx_new(&cfg);
	sc_fake_clock_advance_to(&g->fc, f->fc.now);
	assert_int_equal(sc_hpet_restore(&g->h, s), 0);
	struct fixture *other = fx_new(NULL);   /* no ceiling */
	sc_fake_clock_advance_to(&other->fc, f->fc.now);
	assert_int_equal(sc_hpet_restore(&other->h, s), -EINVAL);

	/* 1 ms from the pending match on, exactly */
	uint64_t match = rd(f, HPET_TN_CMP(0));
	wr(f, HPET_TN_CMP(0), 100000);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), match);
	unsigned n0 = f->nev;
	adv(f, 5 * 1000000);
	uint64_t prev = 0;
	unsigned n = 0;
	for (unsigned i = n0; i < f->nev; i++) {
		if (!f->ev[i].level)
			continue;
		if (prev)
			assert_int_equal(f->ev[i].when - prev, 1000000);
		else
			assert_int_equal(f->ev[i].when,
					 1000000 + NS(match - 0));
		prev = f->ev[i].when;
		n++;
	}
	assert_int_equal(n, 5);
	sc_hpet_save(&f->h, s);
	assert_int_equal(sc_hpet_validate(s), 0);
	test_free(s);
	fx_free(other);
	fx_free(g);
	fx_free(f);
}

static void test_disable_stops_interrupts(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 100);
	wr(f, HPET_TN_CMP(0), 100);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(21));
	wr(f, HPET_TN_CMP(2), 50);
	enable(f);
	adv(f, NS(350));
	assert_int_equal(rises(f, EV_PIN, 20), 3);
	assert_true(f->pin_high & (1u << 21));
	halt(f);
	/* the level line drops, the status bit stays, the comparator freezes */
	assert_false(f->pin_high & (1u << 21));
	assert_int_equal(rd(f, HPET_GINTR_STA), 4);
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 400);
	unsigned before = f->nev;
	adv(f, NS(100000));
	assert_int_equal(f->nev, before);
	assert_int_equal(sc_fake_clock_next_deadline(&f->fc), UINT64_MAX);
	/* re-enable: the line comes back, periodic resumes from 400 */
	enable(f);
	assert_true(f->pin_high & (1u << 21));
	adv(f, NS(50));
	assert_int_equal(rises(f, EV_PIN, 20), 4);
	fx_free(f);
}

/* ------------------------------------------------------------ routing */

static void test_legacy_replacement_routing(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 10);
	wr(f, HPET_TN_CONF(1), HPET_TN_INT_ENB_CNF | route(21));
	wr(f, HPET_TN_CMP(1), 20);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_ENB_CNF | route(22));
	wr(f, HPET_TN_CMP(2), 30);
	wr(f, HPET_GEN_CONF, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	assert_true(sc_hpet_legacy_enabled(&f->h));
	assert_int_equal(f->ev[0].kind, EV_MODE);
	assert_true(f->ev[0].level);
	adv(f, NS(100));
	/* 2.3.5: timer 0 -> IRQ0, timer 1 -> IRQ8, others by their route */
	assert_int_equal(rises(f, EV_LEGACY, 0), 1);
	assert_int_equal(rises(f, EV_LEGACY, 8), 1);
	assert_int_equal(rises(f, EV_PIN, 22), 1);
	assert_int_equal(rises(f, EV_PIN, 20), 0);
	assert_int_equal(rises(f, EV_PIN, 21), 0);
	wr(f, HPET_GEN_CONF, HPET_ENABLE_CNF);
	assert_false(sc_hpet_legacy_enabled(&f->h));
	assert_int_equal(f->ev[f->nev - 1].kind, EV_MODE);
	assert_false(f->ev[f->nev - 1].level);
	fx_free(f);
}

static void test_legacy_level_moves_line(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(1), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(21));
	wr(f, HPET_TN_CMP(1), 10);
	enable(f);
	adv(f, NS(10));
	assert_true(f->pin_high & (1u << 21));
	wr(f, HPET_GEN_CONF, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	assert_false(f->pin_high & (1u << 21));
	assert_true(f->legacy_high & (1u << 8));
	wr(f, HPET_GINTR_STA, 2);
	assert_false(f->legacy_high & (1u << 8));
	fx_free(f);
}

static void test_route_capability_enforced(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	/* pin 5 is not in the capability: the write is ignored */
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_ENB_CNF | route(5));
	assert_int_equal((rd(f, HPET_TN_CONF(2)) & HPET_TN_INT_ROUTE_CNF_MASK), 0);
	assert_true(rd(f, HPET_TN_CONF(2)) & HPET_TN_INT_ENB_CNF);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_ENB_CNF | route(22));
	assert_int_equal((rd(f, HPET_TN_CONF(2)) & HPET_TN_INT_ROUTE_CNF_MASK), route(22));
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_ENB_CNF | route(2));
	assert_int_equal((rd(f, HPET_TN_CONF(2)) & HPET_TN_INT_ROUTE_CNF_MASK), route(22));
	wr(f, HPET_TN_CMP(2), 10);
	enable(f);
	adv(f, NS(10));
	assert_int_equal(rises(f, EV_PIN, 22), 1);
	fx_free(f);

	struct sc_hpet_config cfg = { .route_cap = { [0] = 1u << 2 | 1u << 8 } };
	f = fx_new(&cfg);
	wr(f, HPET_TN_CONF(0), route(8));
	assert_int_equal((rd(f, HPET_TN_CONF(0)) & HPET_TN_INT_ROUTE_CNF_MASK), route(8));
	wr(f, HPET_TN_CONF(0), route(20));
	assert_int_equal((rd(f, HPET_TN_CONF(0)) & HPET_TN_INT_ROUTE_CNF_MASK), route(8));
	fx_free(f);
}

static void test_unrouted_timer_drives_no_pin(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF);
	wr(f, HPET_TN_CMP(2), 10);
	wr(f, HPET_TN_CONF(0), HPET_TN_INT_ENB_CNF);
	wr(f, HPET_TN_CMP(0), 10);
	enable(f);
	adv(f, NS(10));
	assert_int_equal(rd(f, HPET_GINTR_STA), 4);
	assert_int_equal(count_kind(f, EV_PIN), 0);
	fx_free(f);
}

/* ------------------------------------------------------------ level/edge */

static void test_level_status_and_line(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(2), 100);
	enable(f);
	adv(f, NS(100));
	assert_int_equal(rd(f, HPET_GINTR_STA), 1u << 2);
	assert_true(f->pin_high & (1u << 20));
	/* writing 0 has no effect, writing 1 clears (2.3.6) */
	wr(f, HPET_GINTR_STA, 0);
	assert_int_equal(rd(f, HPET_GINTR_STA), 1u << 2);
	wr32(f, HPET_GINTR_STA, 1u << 2);
	assert_int_equal(rd(f, HPET_GINTR_STA), 0);
	assert_false(f->pin_high & (1u << 20));
	fx_free(f);
}

static void test_level_status_without_interrupt_enable(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_TYPE_CNF | route(20));
	wr(f, HPET_TN_CMP(2), 100);
	enable(f);
	adv(f, NS(100));
	/* "the timer will still operate and generate appropriate status bits" */
	assert_int_equal(rd(f, HPET_GINTR_STA), 1u << 2);
	assert_int_equal(count_kind(f, EV_PIN), 0);
	/* enabling the interrupt with the bit still set raises the line */
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(20));
	assert_true(f->pin_high & (1u << 20));
	fx_free(f);
}

static void test_level_wired_or(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	for (unsigned n = 1; n < 3; n++) {
		wr(f, HPET_TN_CONF(n), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(20));
		wr(f, HPET_TN_CMP(n), 10 * n);
	}
	enable(f);
	adv(f, NS(30));
	assert_int_equal(rd(f, HPET_GINTR_STA), 6);
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	wr(f, HPET_GINTR_STA, 2);
	assert_true(f->pin_high & (1u << 20));
	wr(f, HPET_GINTR_STA, 4);
	assert_false(f->pin_high & (1u << 20));
	fx_free(f);
}

static void test_edge_never_sets_status_and_level_to_edge_clears(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(2), 10);
	enable(f);
	adv(f, NS(10));
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	assert_false(f->pin_high & (1u << 20));
	assert_int_equal(rd(f, HPET_GINTR_STA), 0);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(2), rd(f, HPET_MAIN_CNT) + 10);
	adv(f, NS(10));
	assert_int_equal(rd(f, HPET_GINTR_STA), 4);
	assert_true(f->pin_high & (1u << 20));
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_ENB_CNF | route(20));
	assert_int_equal(rd(f, HPET_GINTR_STA), 0);
	assert_false(f->pin_high & (1u << 20));
	fx_free(f);
}

static void test_level_periodic_acked_by_status_write(void **state)
{
	(void)state;
	struct sc_hpet_config cfg = { .policy = SC_TICK_DELAY };
	struct fixture *f = fx_new(&cfg);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 100);
	wr(f, HPET_TN_CMP(0), 100);
	enable(f);
	adv(f, NS(350));
	/* DELAY: one in flight until the guest clears the status bit */
	struct sc_tick *t = sc_hpet_tick(&f->h, 0);
	assert_int_equal(t->stats.delivered, 1);
	assert_int_equal(t->backlog, 2);
	assert_true(f->pin_high & (1u << 20));
	wr(f, HPET_GINTR_STA, 1);
	/* the next owed tick is delivered at once: line high again */
	assert_int_equal(t->stats.delivered, 2);
	assert_int_equal(rd(f, HPET_GINTR_STA), 1);
	assert_true(f->pin_high & (1u << 20));
	wr(f, HPET_GINTR_STA, 1);
	wr(f, HPET_GINTR_STA, 1);
	assert_int_equal(t->stats.delivered, 3);
	assert_int_equal(t->stats.reinjected, 1);
	fx_free(f);
}

static void test_edge_board_ack(void **state)
{
	(void)state;
	struct sc_hpet_config cfg = { .policy = SC_TICK_DELAY, .board_ack_mask = 1 };
	struct fixture *f = fx_new(&cfg);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 100);
	wr(f, HPET_TN_CMP(0), 100);
	enable(f);
	adv(f, NS(300));
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	assert_int_equal(sc_hpet_ack(&f->h, 0), 0);
	assert_int_equal(rises(f, EV_PIN, 20), 2);
	assert_int_equal(sc_hpet_ack(&f->h, 0), 0);
	assert_int_equal(rises(f, EV_PIN, 20), 3);
	assert_int_equal(sc_hpet_ack(&f->h, 0), 0);
	assert_int_equal(rises(f, EV_PIN, 20), 3);
	assert_int_equal(sc_hpet_ack(&f->h, 3), -EINVAL);
	fx_free(f);
}

static void test_edge_board_ack_only_for_driven_pulses(void **state)
{
	(void)state;
	struct sc_hpet_config cfg = { .policy = SC_TICK_DELAY, .board_ack_mask = 1 };
	struct fixture *f = fx_new(&cfg);
	/* unrouted (route 0 is not in the capability): nothing to EOI */
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF);
	wr(f, HPET_TN_CMP(0), 100);
	wr(f, HPET_TN_CMP(0), 100);
	enable(f);
	adv(f, NS(300));
	struct sc_tick *t = sc_hpet_tick(&f->h, 0);
	assert_int_equal(t->stats.delivered, 3);
	assert_false(t->in_flight);
	fx_free(f);
}

static void test_edge_auto_ack_discard_policy(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 100);
	wr(f, HPET_TN_CMP(0), 100);
	enable(f);
	/* a host stall of 10 periods: DISCARD delivers one, drops 9 */
	sc_fake_clock_stall(&f->fc, NS(1000) + 5);
	sc_fake_clock_run_due(&f->fc);
	assert_int_equal(rises(f, EV_PIN, 20), 1);
	assert_int_equal(sc_hpet_tick(&f->h, 0)->stats.dropped, 9);
	/* the comparator still follows time */
	assert_int_equal(rd(f, HPET_TN_CMP(0)), 1100);
	assert_int_equal(sc_hpet_set_policy(&f->h, 0, SC_TICK_MERGE), 0);
	assert_int_equal(sc_hpet_tick(&f->h, 0)->policy, SC_TICK_MERGE);
	fx_free(f);
}

/* ------------------------------------------------------------ FSB */

static void test_fsb_msi_delivery(void **state)
{
	(void)state;
	struct sc_hpet_config cfg = { .fsb_mask = 0x4 };
	struct fixture *f = fx_new(&cfg);
	wr(f, HPET_TN_FSB_ROUTE(2), (uint64_t)0xfee01000u << 32 | 0x4041);
	assert_int_equal(rd32(f, HPET_TN_FSB_ROUTE(2)), 0x4041);
	assert_int_equal(rd32(f, HPET_TN_FSB_ROUTE(2) + 4), 0xfee01000u);
	wr32(f, HPET_TN_FSB_ROUTE(2), 0x0051);
	wr(f, HPET_TN_CONF(2), HPET_TN_FSB_EN_CNF | HPET_TN_INT_TYPE_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	assert_true(rd(f, HPET_TN_CONF(2)) & HPET_TN_FSB_EN_CNF);
	wr(f, HPET_TN_CMP(2), 10);
	enable(f);
	adv(f, NS(10));
	assert_int_equal(count_kind(f, EV_MSI), 1);
	assert_int_equal(count_kind(f, EV_PIN), 0);
	assert_int_equal(f->ev[0].addr, 0xfee01000u);
	assert_int_equal(f->ev[0].data, 0x51);
	/* FSB messages are edge: no status bit */
	assert_int_equal(rd(f, HPET_GINTR_STA), 0);
	/* a timer without Tn_FSB_INT_DEL_CAP: bit and register read 0 */
	wr(f, HPET_TN_CONF(1), HPET_TN_FSB_EN_CNF);
	assert_false(rd(f, HPET_TN_CONF(1)) & HPET_TN_FSB_EN_CNF);
	wr(f, HPET_TN_FSB_ROUTE(1), 0x1234);
	assert_int_equal(rd(f, HPET_TN_FSB_ROUTE(1)), 0);
	fx_free(f);
}

static void test_fsb_ignored_in_legacy_mode(void **state)
{
	(void)state;
	struct sc_hpet_config cfg = { .fsb_mask = 0x1 };
	struct fixture *f = fx_new(&cfg);
	wr(f, HPET_TN_FSB_ROUTE(0), (uint64_t)0xfee00000u << 32 | 0x30);
	wr(f, HPET_TN_CONF(0), HPET_TN_FSB_EN_CNF | HPET_TN_INT_ENB_CNF);
	wr(f, HPET_TN_CMP(0), 10);
	wr(f, HPET_GEN_CONF, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	adv(f, NS(10));
	assert_int_equal(count_kind(f, EV_MSI), 0);
	assert_int_equal(rises(f, EV_LEGACY, 0), 1);
	fx_free(f);
}

/* ------------------------------------------------------------ accesses */

static void test_access_sizes_and_offsets(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	/* other sizes and misaligned accesses read all ones */
	assert_int_equal(sc_hpet_mmio_read(&f->h, HPET_GCAP_ID, 1), 0xff);
	assert_int_equal(sc_hpet_mmio_read(&f->h, HPET_GCAP_ID, 2), 0xffff);
	assert_int_equal(sc_hpet_mmio_read(&f->h, 0x002, 4), 0xffffffffu);
	assert_int_equal(sc_hpet_mmio_read(&f->h, 0x004, 8), UINT64_MAX);
	assert_int_equal(sc_hpet_mmio_read(&f->h, 0, 0), UINT64_MAX);
	assert_int_equal(sc_hpet_mmio_read(&f->h, 0, 16), UINT64_MAX);
	/* outside the decoded range: all ones */
	assert_int_equal(sc_hpet_mmio_read(&f->h, SC_HPET_MMIO_SIZE_MAX, 4), 0xffffffffu);
	assert_int_equal(sc_hpet_mmio_read(&f->h, UINT64_MAX - 3, 4), 0xffffffffu);
	/* reserved offsets and absent timers read 0 */
	assert_int_equal(rd(f, 0x008), 0);
	assert_int_equal(rd(f, 0x0f8), 0);
	assert_int_equal(rd(f, 0x080), 0);
	assert_int_equal(rd(f, HPET_TN_CONF(0) + 0x18), 0);
	assert_int_equal(rd(f, HPET_TN_CONF(3)), 0);
	assert_int_equal(rd(f, HPET_TN_CMP(23)), 0);
	assert_int_equal(rd32(f, HPET_GEN_CONF + 4), 0);
	/* writes of other sizes are ignored */
	sc_hpet_mmio_write(&f->h, HPET_GEN_CONF, 1, HPET_ENABLE_CNF);
	sc_hpet_mmio_write(&f->h, HPET_GEN_CONF, 2, HPET_ENABLE_CNF);
	sc_hpet_mmio_write(&f->h, HPET_GEN_CONF + 4, 8, HPET_ENABLE_CNF);
	assert_int_equal(rd(f, HPET_GEN_CONF), 0);
	/* reserved bits of the general configuration stay 0 */
	wr(f, HPET_GEN_CONF, UINT64_MAX & ~HPET_ENABLE_CNF);
	assert_int_equal(rd(f, HPET_GEN_CONF), HPET_LEG_RT_CNF);
	/* the high dword of the configuration is reserved */
	wr32(f, HPET_GEN_CONF + 4, 0xffffffff);
	assert_int_equal(rd(f, HPET_GEN_CONF), HPET_LEG_RT_CNF);
	/* 32-bit write to the high half of Tn_CONF (route cap) is ignored */
	wr32(f, HPET_TN_CONF(0) + 4, 0);
	assert_int_equal(rd32(f, HPET_TN_CONF(0) + 4), SC_HPET_DEFAULT_ROUTE_CAP);
	/* hammering every offset and size never breaks anything */
	for (uint64_t off = 0; off < 0x520; off++)
		for (unsigned size = 0; size <= 9; size++) {
			(void)sc_hpet_mmio_read(&f->h, off, size);
			if (off != HPET_GEN_CONF && off != HPET_MAIN_CNT)
				sc_hpet_mmio_write(&f->h, off, size, UINT64_MAX);
		}
	enable(f);
	adv(f, SC_NSEC_PER_SEC);
	for (uint64_t off = 0; off < 0x520; off += 4)
		(void)sc_hpet_mmio_read(&f->h, off, 4);
	fx_free(f);
}

static void test_host_misuse(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	assert_int_equal(sc_hpet_set_policy(&f->h, 3, SC_TICK_DELAY), -EINVAL);
	assert_int_equal(sc_hpet_set_policy(&f->h, 0, (enum sc_tick_policy)7), -EINVAL);
	assert_int_equal(sc_hpet_set_policy(NULL, 0, SC_TICK_DELAY), -EINVAL);
	assert_int_equal(sc_hpet_set_policy(&f->h, 2, SC_TICK_CATCHUP), 0);
	assert_null(sc_hpet_tick(&f->h, 3));
	assert_null(sc_hpet_tick(NULL, 0));
	assert_non_null(sc_hpet_tick(&f->h, 2));
	assert_int_equal(sc_hpet_ack(NULL, 0), -EINVAL);
	assert_int_equal(sc_hpet_set_affinity(&f->h, 3, 0), -EINVAL);
	assert_int_equal(sc_hpet_set_affinity(&f->h, 0, -2), -EINVAL);
	assert_int_equal(sc_hpet_set_affinity(&f->h, 0, 1), 0);
	assert_int_equal(f->h.t[0].timer.affinity, 1);
	assert_false(sc_hpet_legacy_enabled(NULL));
	assert_int_equal(sc_hpet_restore(&f->h, NULL), -EINVAL);
	assert_int_equal(sc_hpet_validate(NULL), -EINVAL);
	sc_hpet_destroy(NULL);
	fx_free(f);
}

static void test_reset(void **state)
{
	(void)state;
	struct fixture *f = fx_new(NULL);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(2), 10);
	wr(f, HPET_GEN_CONF, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	adv(f, NS(20));
	assert_true(f->pin_high & (1u << 20));
	sc_hpet_reset(&f->h);
	assert_false(f->pin_high & (1u << 20));
	assert_int_equal(f->ev[f->nev - 1].kind, EV_MODE);
	assert_int_equal(rd(f, HPET_GEN_CONF), 0);
	assert_int_equal(rd(f, HPET_GINTR_STA), 0);
	assert_int_equal(rd(f, HPET_MAIN_CNT), 0);
	assert_int_equal(rd(f, HPET_TN_CONF(2)) & 0xffff, 0);
	assert_int_equal(rd(f, HPET_TN_CMP(2)), UINT32_MAX);
	fx_free(f);
}

/* ------------------------------------------------------------ save/restore */

/* A busy chip: periodic timer 0 (DELAY, backlog), level one-shot timer 2
 * with status set, 32-bit one-shot timer 1 with wrap interrupts pending. */
static void setup_busy(struct fixture *f)
{
	sc_hpet_set_policy(&f->h, 0, SC_TICK_DELAY);
	wr(f, HPET_MAIN_CNT, 0x2fffffd00ull);
	wr(f, HPET_TN_CONF(0), HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
				HPET_TN_INT_ENB_CNF | route(20));
	wr(f, HPET_TN_CMP(0), 0x2fffffd00ull + 100);
	wr(f, HPET_TN_CMP(0), 100);
	wr(f, HPET_TN_CONF(1), HPET_TN_INT_ENB_CNF | route(21));
	wr(f, HPET_TN_CMP(1), 0x100);
	wr(f, HPET_TN_CONF(2), HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | route(22));
	wr(f, HPET_TN_CMP(2), 0xfffffd00u + 50);
	enable(f);
	adv(f, NS(150));
	sc_fake_clock_stall(&f->fc, NS(500));
	sc_fake_clock_run_due(&f->fc);
}

static void test_save_restore_roundtrip(void **state)
{
	(void)state;
	struct fixture *a = fx_new(NULL);
	setup_busy(a);
	struct sc_hpet_state_v1 *s = test_malloc(sizeof(*s));
	sc_hpet_save(&a->h, s);
	assert_int_equal(sc_hpet_validate(s), 0);

	struct fixture *b = fx_new(NULL);
	sc_fake_clock_advance_to(&b->fc, a->fc.now);
	/* the receiver state is restored by the board: mirror it */
	b->pin_high = a->pin_high;
	assert_int_equal(sc_hpet_restore(&b->h, s), 0);
	unsigned na = a->nev;
	assert_int_equal(b->nev, 0);      /* restore calls no outputs */

	static const uint64_t regs[] = {
		HPET_GCAP_ID, HPET_GEN_CONF, HPET_GINTR_STA, HPET_MAIN_CNT,
		HPET_TN_CONF(0), HPET_TN_CMP(0), HPET_TN_CONF(1), HPET_TN_CMP(1),
		HPET_TN_CONF(2), HPET_TN_CMP(2),
	};
	for (int step = 0; step < 40; step++) {
		for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
			assert_int_equal(rd(a, regs[i]), rd(b, regs[i]));
		assert_int_equal(a->pin_high, b->pin_high);
		if (step == 10) {
			wr(a, HPET_GINTR_STA, 4);
			wr(b, HPET_GINTR_STA, 4);
		}
		if (step % 3 == 0) {
			sc_hpet_ack(&a->h, 0);
			sc_hpet_ack(&b->h, 0);
		}
		adv(a, NS(37));
		adv(b, NS(37));
	}
	/* identical output after the restore point (incl. timer 1's wrap
	 * and match, and timer 0's periodic pulses) */
	assert_int_equal(rises(b, EV_PIN, 21), 2);
	assert_true(rises(b, EV_PIN, 20) > 10);
	assert_int_equal(a->nev - na, b->nev);
	for (unsigned i = 0; i < b->nev; i++) {
		assert_int_equal(a->ev[na + i].kind, b->ev[i].kind);
		assert_int_equal(a->ev[na + i].line, b->ev[i].line);
		assert_int_equal(a->ev[na + i].level, b->ev[i].level);
		assert_int_equal(a->ev[na + i].when, b->ev[i].when);
	}
	struct sc_tick_stats sa = sc_hpet_tick(&a->h, 0)->stats;
	struct sc_tick_stats sb = sc_hpet_tick(&b->h, 0)->stats;
	assert_memory_equal(&sa, &sb, sizeof(sa));
	/* a second save is identical */
	struct sc_hpet_state_v1 *s2 = test_malloc(sizeof(*s2));
	struct sc_hpet_state_v1 *s3 = test_malloc(sizeof(*s3));
	sc_hpet_save(&a->h, s2);
	sc_hpet_save(&b->h, s3);
	assert_memory_equal(s2, s3, sizeof(*s2));
	test_free(s3);
	test_free(s2);
	test_free(s);
	fx_free(a);
	fx_free(b);
}

static void test_restore_halted_and_legacy(void **state)
{
	(void)state;
	struct fixture *a = fx_new(NULL);
	wr(a, HPET_MAIN_CNT, 777);
	wr(a, HPET_GEN_CONF, HPET_LEG_RT_CNF);
	struct sc_hpet_state_v1 s;
	sc_hpet_save(&a->h, &s);
	struct fixture *b = fx_new(NULL);
	assert_int_equal(sc_hpet_restore(&b->h, &s), 0);
	assert_int_equal(rd(b, HPET_MAIN_CNT), 777);
	assert_true(sc_hpet_legacy_enabled(&b->h));
	assert_int_equal(b->ev[b->nev - 1].kind, EV_MODE);   /* board told */
	fx_free(a);
	fx_free(b);
}

/* Fuzzer find: a 32-bit one-shot switched to 64 bits while halted. */
static void test_save_restore_after_mode_change_while_halted(void **state)
{
	(void)state;
	struct fixture *a = fx_new(NULL);
	wr(a, HPET_TN_CONF(0), HPET_TN_32MODE_CNF | HPET_TN_INT_ENB_CNF | route(20));
	wr(a, HPET_TN_CMP(0), 1000);
	enable(a);
	halt(a);
	wr(a, HPET_TN_CONF(0), HPET_TN_INT_ENB_CNF | route(20));
	struct sc_hpet_state_v1 s;
	sc_hpet_save(&a->h, &s);
	assert_int_equal(sc_hpet_validate(&s), 0);
	assert_int_equal(sc_hpet_restore(&a->h, &s), 0);
	fx_free(a);
}

typedef void corrupt_fn(struct sc_hpet_state_v1 *s);
static void c_version(struct sc_hpet_state_v1 *s) { s->version = 2; }
static void c_timers_lo(struct sc_hpet_state_v1 *s) { s->timers = 2; }
static void c_timers_hi(struct sc_hpet_state_v1 *s) { s->timers = 33; }
static void c_gen_conf(struct sc_hpet_state_v1 *s) { s->gen_conf |= 4; }
static void c_isr_range(struct sc_hpet_state_v1 *s) { s->isr |= 8; }
static void c_isr_edge(struct sc_hpet_state_v1 *s) { s->isr |= 1; }
static void c_config(struct sc_hpet_state_v1 *s) { s->timer[0].config |= 1; }
static void c_sched(struct sc_hpet_state_v1 *s) { s->timer[1].sched = 3; }
static void c_flag(struct sc_hpet_state_v1 *s) { s->timer[1].wrap = 2; }
static void c_pad(struct sc_hpet_state_v1 *s) { s->timer[2].pad = 1; }
static void c_cmp32(struct sc_hpet_state_v1 *s) { s->timer[1].cmp |= 1ull << 40; }
static void c_tick(struct sc_hpet_state_v1 *s) { s->timer[0].tick.policy = 9; }
static void c_tick_running(struct sc_hpet_state_v1 *s) { s->timer[2].sched = 2; }
static void c_unused(struct sc_hpet_state_v1 *s) { s->timer[5].cmp = 1; }
static void c_periodic_cap(struct sc_hpet_state_v1 *s) { s->timer[1].config |= HPET_TN_TYPE_CNF; }
static void c_route(struct sc_hpet_state_v1 *s)
{
	s->timer[2].config = (s->timer[2].config & ~HPET_TN_INT_ROUTE_CNF_MASK) | route(3);
}
static void c_fsb(struct sc_hpet_state_v1 *s) { s->timer[2].config |= HPET_TN_FSB_EN_CNF; }
static void c_count(struct sc_hpet_state_v1 *s)
{
	/* a valid state for a 4-timer chip, restored into a 3-timer one */
	s->timers = 4;
	s->timer[3] = s->timer[1];
}
static void c_armed(struct sc_hpet_state_v1 *s) { s->timer[0].armed = 1; }
static void c_deadline(struct sc_hpet_state_v1 *s) { s->timer[2].armed = 0; s->timer[2].deadline = 5; }
static void c_sched_halted(struct sc_hpet_state_v1 *s) { s->gen_conf = 0; }
static void c_eq_deadline(struct sc_hpet_state_v1 *s) { s->timer[2].deadline += 10; }
/* an equality timer armed consistently, but not for its comparator's event */
static void c_eq_next(struct sc_hpet_state_v1 *s) { s->timer[2].next_e += 7; s->timer[2].deadline += NS(7); }
/* ... or not armed at all: the one-shot would never fire */
static void c_eq_unarmed(struct sc_hpet_state_v1 *s) { s->timer[2].armed = 0; s->timer[2].deadline = 0; }
/* a comparator that matches before the armed event */
static void c_eq_cmp(struct sc_hpet_state_v1 *s)
{
	s->timer[2].cmp = (s->counter + s->timer[2].from_e + 1) & UINT32_MAX;
	assert_true(s->timer[2].next_e > s->timer[2].from_e + 1);
}
static void c_wrap64(struct sc_hpet_state_v1 *s) { s->timer[0].config &= ~HPET_TN_TYPE_CNF; s->timer[0].sched = 0; s->timer[0].tick = s->timer[2].tick; s->timer[0].wrap = 1; }
static void c_tick_period(struct sc_hpet_state_v1 *s) { s->timer[0].period = 99; }
static void c_tick_anchor(struct sc_hpet_state_v1 *s) { s->timer[0].anchor_e += 1; }
static void c_tick_future_anchor(struct sc_hpet_state_v1 *s) { s->timer[0].anchor_e += 1000000; }

static void test_restore_rejects_corrupt_state(void **state)
{
	(void)state;
	static corrupt_fn *const corrupt[] = {
		c_version, c_timers_lo, c_timers_hi, c_gen_conf, c_isr_range,
		c_isr_edge, c_config, c_sched, c_flag, c_pad, c_cmp32, c_tick,
		c_tick_running, c_unused, c_periodic_cap, c_route, c_fsb,
		c_count, c_armed, c_deadline, c_sched_halted, c_eq_deadline,
		c_tick_period, c_tick_anchor, c_tick_future_anchor, c_wrap64,
		c_eq_next, c_eq_unarmed, c_eq_cmp,
	};
	struct fixture *a = fx_new(NULL);
	setup_busy(a);
	struct sc_hpet_state_v1 good, bad, before, after;
	sc_hpet_save(&a->h, &good);
	assert_int_equal(good.isr, 4);
	assert_int_equal(good.timer[2].armed, 1);

	struct fixture *b = fx_new(NULL);
	sc_fake_clock_advance_to(&b->fc, a->fc.now);
	wr(b, HPET_MAIN_CNT, 42);
	sc_hpet_save(&b->h, &before);
	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		bad = good;
		corrupt[i](&bad);
		if (sc_hpet_restore(&b->h, &bad) != -EINVAL)
			fail_msg("corruption %zu accepted", i);
		sc_hpet_save(&b->h, &after);
		assert_memory_equal(&before, &after, sizeof(before));
	}
	assert_int_equal(rd(b, HPET_MAIN_CNT), 42);
	assert_int_equal(sc_hpet_restore(&b->h, &good), 0);
	fx_free(a);
	fx_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcap_fields),
		cmocka_unit_test(test_timer_caps_default_and_configured),
		cmocka_unit_test(test_init_rejects_bad_config),
		cmocka_unit_test(test_counter_halted_and_writable),
		cmocka_unit_test(test_counter_runs_only_when_enabled),
		cmocka_unit_test(test_counter_monotonic_and_split_reads),
		cmocka_unit_test(test_oneshot_64bit_edge_fires_once),
		cmocka_unit_test(test_oneshot_interrupt_disabled_is_silent),
		cmocka_unit_test(test_oneshot_32bit_match_and_wrap),
		cmocka_unit_test(test_32mode_on_64bit_timer),
		cmocka_unit_test(test_periodic_val_set_accumulator),
		cmocka_unit_test(test_periodic_disabled_edge_needs_no_host_timer),
		cmocka_unit_test(test_periodic_write_without_val_set_changes_rate),
		cmocka_unit_test(test_periodic_split_halves_with_val_set),
		cmocka_unit_test(test_periodic_32bit_comparator_wraps),
		cmocka_unit_test(test_periodic_cap_enforced),
		cmocka_unit_test(test_periodic_interrupt_count),
		cmocka_unit_test(test_periodic_zero_period_matches_once),
		cmocka_unit_test(test_periodic_ceiling_bounds_interrupts),
		cmocka_unit_test(test_periodic_ceiling_rate_change_and_restore),
		cmocka_unit_test(test_disable_stops_interrupts),
		cmocka_unit_test(test_legacy_replacement_routing),
		cmocka_unit_test(test_legacy_level_moves_line),
		cmocka_unit_test(test_route_capability_enforced),
		cmocka_unit_test(test_unrouted_timer_drives_no_pin),
		cmocka_unit_test(test_level_status_and_line),
		cmocka_unit_test(test_level_status_without_interrupt_enable),
		cmocka_unit_test(test_level_wired_or),
		cmocka_unit_test(test_edge_never_sets_status_and_level_to_edge_clears),
		cmocka_unit_test(test_level_periodic_acked_by_status_write),
		cmocka_unit_test(test_edge_board_ack),
		cmocka_unit_test(test_edge_board_ack_only_for_driven_pulses),
		cmocka_unit_test(test_edge_auto_ack_discard_policy),
		cmocka_unit_test(test_fsb_msi_delivery),
		cmocka_unit_test(test_fsb_ignored_in_legacy_mode),
		cmocka_unit_test(test_access_sizes_and_offsets),
		cmocka_unit_test(test_host_misuse),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_save_restore_roundtrip),
		cmocka_unit_test(test_restore_halted_and_legacy),
		cmocka_unit_test(test_save_restore_after_mode_change_while_halted),
		cmocka_unit_test(test_restore_rejects_corrupt_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
