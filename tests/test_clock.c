/* SPDX-License-Identifier: MIT */
/*
 * Clock tests: the fake clock (ordering, re-arm from a callback, cancel,
 * stalls), the host clock (per-vCPU queues, wake-ups, affinity moves, a
 * short real deadline) and sc_muldiv64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include <splitchip/clock.h>

#define MS 1000000ull

struct rec {
	unsigned n;
	int order[32];
	uint64_t at[32];
};

struct probe {
	struct sc_timer timer;
	struct rec *rec;
	int id;
	struct sc_clock *clock;
	uint64_t rearm_delta;   /* re-arm from the callback when nonzero */
	unsigned rearm_left;
	bool armed_in_callback; /* timer->armed as seen by the callback */
	struct probe *cancel_other;
	struct probe *arm_other;
	uint64_t arm_other_at;
};

static void probe_fn(struct sc_timer *timer, void *opaque, uint64_t now)
{
	struct probe *p = opaque;
	assert_ptr_equal(timer, &p->timer);
	p->armed_in_callback = timer->armed;
	if (p->rec->n < 32) {
		p->rec->order[p->rec->n] = p->id;
		p->rec->at[p->rec->n] = now;
	}
	p->rec->n++;
	if (p->cancel_other)
		sc_timer_cancel(p->clock, &p->cancel_other->timer);
	if (p->arm_other)
		sc_timer_arm(p->clock, &p->arm_other->timer, p->arm_other_at);
	if (p->rearm_delta && p->rearm_left) {
		p->rearm_left--;
		sc_timer_arm(p->clock, timer, now + p->rearm_delta);
	}
}

static void probe_init(struct probe *p, struct sc_clock *clock, struct rec *rec, int id)
{
	memset(p, 0, sizeof(*p));
	p->rec = rec;
	p->id = id;
	p->clock = clock;
	sc_timer_init(&p->timer, probe_fn, p);
}

/* ---------------------------------------------------------------- fake */

static void test_timer_init_defaults(void **state)
{
	(void)state;
	struct sc_timer t;
	memset(&t, 0xa5, sizeof(t));
	sc_timer_init(&t, probe_fn, &t);
	assert_ptr_equal(t.fn, probe_fn);
	assert_ptr_equal(t.opaque, &t);
	assert_int_equal(t.affinity, -1);
	assert_false(t.armed);
	assert_null(t.next);
}

static void test_fake_fires_in_deadline_then_arming_order(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe p[5];
	sc_fake_clock_init(&fc, 100);
	assert_int_equal(sc_clock_now(&fc.clock), 100);
	for (int i = 0; i < 5; i++)
		probe_init(&p[i], &fc.clock, &rec, i);
	sc_timer_arm(&fc.clock, &p[0].timer, 300);
	sc_timer_arm(&fc.clock, &p[1].timer, 200);
	sc_timer_arm(&fc.clock, &p[2].timer, 300);
	sc_timer_arm(&fc.clock, &p[3].timer, 250);
	sc_timer_arm(&fc.clock, &p[4].timer, 200);
	assert_int_equal(sc_fake_clock_next_deadline(&fc), 200);
	sc_fake_clock_advance(&fc, 1000);
	assert_int_equal(rec.n, 5);
	static const int want[5] = { 1, 4, 3, 0, 2 };
	static const uint64_t want_at[5] = { 200, 200, 250, 300, 300 };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(rec.order[i], want[i]);
		assert_int_equal(rec.at[i], want_at[i]);
		assert_false(p[i].armed_in_callback);   /* disarmed before fn */
		assert_false(p[i].timer.armed);
	}
	assert_int_equal(fc.fired, 5);
	assert_int_equal(fc.now, 1100);
	assert_int_equal(sc_fake_clock_next_deadline(&fc), UINT64_MAX);
}

static void test_fake_rearm_moves_timer(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe a, b;
	sc_fake_clock_init(&fc, 0);
	probe_init(&a, &fc.clock, &rec, 0);
	probe_init(&b, &fc.clock, &rec, 1);
	sc_timer_arm(&fc.clock, &a.timer, 10);
	sc_timer_arm(&fc.clock, &b.timer, 20);
	sc_timer_arm(&fc.clock, &a.timer, 30);  /* re-arm: moves, not duplicates */
	assert_int_equal(sc_fake_clock_next_deadline(&fc), 20);
	sc_fake_clock_advance(&fc, 100);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.order[0], 1);
	assert_int_equal(rec.order[1], 0);
	assert_int_equal(rec.at[1], 30);
}

static void test_fake_rearm_from_callback(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe a;
	sc_fake_clock_init(&fc, 0);
	probe_init(&a, &fc.clock, &rec, 0);
	a.rearm_delta = 10;
	a.rearm_left = 3;
	sc_timer_arm(&fc.clock, &a.timer, 5);
	sc_fake_clock_advance(&fc, 100);
	/* 5, 15, 25, 35: every re-arm inside the window fires in the same call */
	assert_int_equal(rec.n, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(rec.at[i], 5 + 10 * i);
	assert_false(a.timer.armed);
}

static void test_fake_callback_arms_earlier_timer_fires_in_order(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe a, b, c;
	sc_fake_clock_init(&fc, 0);
	probe_init(&a, &fc.clock, &rec, 0);
	probe_init(&b, &fc.clock, &rec, 1);
	probe_init(&c, &fc.clock, &rec, 2);
	a.arm_other = &c;
	a.arm_other_at = 15;
	sc_timer_arm(&fc.clock, &a.timer, 10);
	sc_timer_arm(&fc.clock, &b.timer, 20);
	sc_fake_clock_advance(&fc, 50);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.order[1], 2);
	assert_int_equal(rec.at[1], 15);
	assert_int_equal(rec.order[2], 1);
}

static void test_fake_cancel(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe a, b, c;
	sc_fake_clock_init(&fc, 0);
	probe_init(&a, &fc.clock, &rec, 0);
	probe_init(&b, &fc.clock, &rec, 1);
	probe_init(&c, &fc.clock, &rec, 2);
	sc_timer_cancel(&fc.clock, &a.timer);   /* unarmed: no-op */
	sc_timer_arm(&fc.clock, &a.timer, 10);
	sc_timer_arm(&fc.clock, &b.timer, 20);
	sc_timer_arm(&fc.clock, &c.timer, 30);
	sc_timer_cancel(&fc.clock, &b.timer);   /* middle of the list */
	assert_false(b.timer.armed);
	a.cancel_other = &c;                    /* cancel from a callback */
	sc_fake_clock_advance(&fc, 100);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.order[0], 0);
	assert_false(c.timer.armed);
	sc_timer_cancel(&fc.clock, &c.timer);
	assert_int_equal(sc_fake_clock_next_deadline(&fc), UINT64_MAX);
}

static void test_fake_stall_fires_nothing_then_late(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe a, b;
	sc_fake_clock_init(&fc, 1000);
	probe_init(&a, &fc.clock, &rec, 0);
	probe_init(&b, &fc.clock, &rec, 1);
	sc_timer_arm(&fc.clock, &a.timer, 1100);
	sc_timer_arm(&fc.clock, &b.timer, 1200);
	sc_fake_clock_stall(&fc, 500);
	assert_int_equal(fc.now, 1500);
	assert_int_equal(rec.n, 0);
	assert_true(a.timer.armed);
	/* Overdue timers fire late, in deadline order, at the current time. */
	sc_fake_clock_run_due(&fc);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.order[0], 0);
	assert_int_equal(rec.at[0], 1500);
	assert_int_equal(rec.at[1], 1500);
	assert_int_equal(fc.now, 1500);
}

static void test_fake_stall_then_advance_fires_late(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe a, b;
	sc_fake_clock_init(&fc, 0);
	probe_init(&a, &fc.clock, &rec, 0);
	probe_init(&b, &fc.clock, &rec, 1);
	sc_timer_arm(&fc.clock, &a.timer, 10);
	sc_timer_arm(&fc.clock, &b.timer, 70);
	sc_fake_clock_stall(&fc, 50);
	sc_fake_clock_advance(&fc, 50);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.at[0], 50);        /* late, at the stall's end */
	assert_int_equal(rec.at[1], 70);        /* on time */
	assert_int_equal(fc.now, 100);
}

static void test_fake_advance_to(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe a, b;
	sc_fake_clock_init(&fc, 0);
	probe_init(&a, &fc.clock, &rec, 0);
	probe_init(&b, &fc.clock, &rec, 1);
	sc_timer_arm(&fc.clock, &a.timer, 40);
	sc_timer_arm(&fc.clock, &b.timer, 41);
	sc_fake_clock_advance_to(&fc, 40);      /* inclusive */
	assert_int_equal(rec.n, 1);
	assert_int_equal(fc.now, 40);
	assert_int_equal(sc_fake_clock_next_deadline(&fc), 41);
	sc_fake_clock_advance_to(&fc, 20);      /* backwards: no-op */
	assert_int_equal(fc.now, 40);
	assert_int_equal(rec.n, 1);
	sc_fake_clock_advance_to(&fc, 41);
	assert_int_equal(rec.n, 2);
	assert_int_equal(fc.now, 41);
}

static void test_fake_set_affinity_ignored_but_recorded(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct rec rec = { 0 };
	struct probe a;
	sc_fake_clock_init(&fc, 0);
	probe_init(&a, &fc.clock, &rec, 0);
	sc_timer_arm(&fc.clock, &a.timer, 10);
	sc_timer_set_affinity(&fc.clock, &a.timer, 3);  /* no moved op */
	assert_int_equal(a.timer.affinity, 3);
	assert_true(a.timer.armed);
	sc_fake_clock_advance(&fc, 10);
	assert_int_equal(rec.n, 1);
}

/* ---------------------------------------------------------------- host */

struct wakes {
	unsigned n;
	unsigned q[16];
};

static void on_wake(void *opaque, unsigned q)
{
	struct wakes *w = opaque;
	if (w->n < 16)
		w->q[w->n] = q;
	w->n++;
}

static void test_host_init_rejects_bad_nqueues(void **state)
{
	(void)state;
	struct sc_host_clock hc;
	assert_int_equal(sc_host_clock_init(&hc, 0, NULL, NULL), -EINVAL);
	assert_int_equal(sc_host_clock_init(&hc, SC_HOST_CLOCK_MAX_QUEUES + 1, NULL, NULL),
			 -EINVAL);
	assert_int_equal(sc_host_clock_init(&hc, SC_HOST_CLOCK_MAX_QUEUES, NULL, NULL), 0);
	sc_host_clock_destroy(&hc);
}

static void test_host_queue_of_affinity(void **state)
{
	(void)state;
	struct sc_host_clock hc;
	assert_int_equal(sc_host_clock_init(&hc, 4, NULL, NULL), 0);
	assert_int_equal(sc_host_clock_queue_of(&hc, -1), 0);
	assert_int_equal(sc_host_clock_queue_of(&hc, 0), 0);
	assert_int_equal(sc_host_clock_queue_of(&hc, 3), 3);
	assert_int_equal(sc_host_clock_queue_of(&hc, 6), 2);
	assert_int_equal(sc_host_clock_queue_of(&hc, -7), 0);
	sc_host_clock_destroy(&hc);
}

static void test_host_time_starts_near_zero_and_maps_to_host(void **state)
{
	(void)state;
	struct sc_host_clock hc;
	assert_int_equal(sc_host_clock_init(&hc, 1, NULL, NULL), 0);
	uint64_t v1 = sc_clock_now(&hc.clock);
	uint64_t v2 = sc_clock_now(&hc.clock);
	assert_true(v2 >= v1);
	assert_true(v1 < 10000 * MS);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t mono = (uint64_t)ts.tv_sec * SC_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	uint64_t h = sc_host_clock_to_host(&hc, v2);
	assert_true(h <= mono);
	assert_true(mono - h < 10000 * MS);
	assert_int_equal(sc_host_clock_to_host(&hc, v2 + 5) - h, 5);
	sc_host_clock_destroy(&hc);
}

static void test_host_arm_cancel_next_deadline_and_wake(void **state)
{
	(void)state;
	struct sc_host_clock hc;
	struct wakes w = { 0 };
	struct rec rec = { 0 };
	struct probe a, b, c;
	assert_int_equal(sc_host_clock_init(&hc, 2, on_wake, &w), 0);
	probe_init(&a, &hc.clock, &rec, 0);
	probe_init(&b, &hc.clock, &rec, 1);
	probe_init(&c, &hc.clock, &rec, 2);
	uint64_t base = sc_clock_now(&hc.clock) + 3600000 * MS; /* never due */
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), UINT64_MAX);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 2), UINT64_MAX);
	assert_int_equal(sc_host_clock_run_due(&hc, 2), 0);

	sc_timer_arm(&hc.clock, &a.timer, base + 100);
	assert_int_equal(w.n, 1);                       /* new head of queue 0 */
	assert_int_equal(w.q[0], 0);
	sc_timer_arm(&hc.clock, &b.timer, base + 200);
	assert_int_equal(w.n, 1);                       /* behind the head */
	sc_timer_arm(&hc.clock, &c.timer, base + 50);
	assert_int_equal(w.n, 2);                       /* earlier head */
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), base + 50);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 1), UINT64_MAX);

	sc_timer_cancel(&hc.clock, &c.timer);
	assert_false(c.timer.armed);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), base + 100);
	sc_timer_cancel(&hc.clock, &c.timer);           /* twice: no-op */
	sc_timer_arm(&hc.clock, &a.timer, base + 300);  /* re-arm moves it */
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), base + 200);
	assert_int_equal(sc_host_clock_run_due(&hc, 0), 0);
	assert_int_equal(rec.n, 0);
	sc_timer_cancel(&hc.clock, &a.timer);
	sc_timer_cancel(&hc.clock, &b.timer);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), UINT64_MAX);
	sc_host_clock_destroy(&hc);
}

static void test_host_set_affinity_moves_armed_timer(void **state)
{
	(void)state;
	struct sc_host_clock hc;
	struct wakes w = { 0 };
	struct rec rec = { 0 };
	struct probe a, b;
	assert_int_equal(sc_host_clock_init(&hc, 3, on_wake, &w), 0);
	probe_init(&a, &hc.clock, &rec, 0);
	probe_init(&b, &hc.clock, &rec, 1);
	uint64_t base = sc_clock_now(&hc.clock) + 3600000 * MS;
	b.timer.affinity = 2;
	sc_timer_arm(&hc.clock, &b.timer, base + 10);
	assert_int_equal(b.timer.queue, 2);
	sc_timer_arm(&hc.clock, &a.timer, base + 100);
	assert_int_equal(a.timer.queue, 0);
	w.n = 0;
	sc_timer_set_affinity(&hc.clock, &a.timer, 1);
	assert_int_equal(a.timer.queue, 1);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), UINT64_MAX);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 1), base + 100);
	assert_int_equal(w.n, 1);                       /* queue 1 got a head */
	assert_int_equal(w.q[0], 1);
	/* Into a queue with an earlier head: no wake. */
	sc_timer_set_affinity(&hc.clock, &a.timer, 5);  /* 5 % 3 = 2 */
	assert_int_equal(a.timer.queue, 2);
	assert_int_equal(w.n, 1);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 1), UINT64_MAX);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 2), base + 10);
	sc_timer_cancel(&hc.clock, &b.timer);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 2), base + 100);
	/* Same affinity again: nothing happens. */
	sc_timer_set_affinity(&hc.clock, &a.timer, 5);
	assert_int_equal(w.n, 1);
	/* Unarmed timer: only recorded; it lands on its queue when armed. */
	sc_timer_cancel(&hc.clock, &a.timer);
	sc_timer_set_affinity(&hc.clock, &a.timer, 1);
	assert_int_equal(w.n, 1);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 1), UINT64_MAX);
	sc_timer_arm(&hc.clock, &a.timer, base);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 1), base);
	sc_timer_cancel(&hc.clock, &a.timer);
	sc_host_clock_destroy(&hc);
}

static void test_host_run_due_after_short_real_deadline(void **state)
{
	(void)state;
	struct sc_host_clock hc;
	struct rec rec = { 0 };
	struct probe a, b, far;
	assert_int_equal(sc_host_clock_init(&hc, 2, NULL, NULL), 0);
	probe_init(&a, &hc.clock, &rec, 0);
	probe_init(&b, &hc.clock, &rec, 1);
	probe_init(&far, &hc.clock, &rec, 2);
	a.rearm_delta = 3600000 * MS;   /* re-arms itself far away */
	a.rearm_left = 1;
	uint64_t d = sc_clock_now(&hc.clock) + 3 * MS;
	sc_timer_arm(&hc.clock, &a.timer, d);
	sc_timer_arm(&hc.clock, &b.timer, d + 1 * MS);
	sc_timer_arm(&hc.clock, &far.timer, d + 3600000 * MS);
	unsigned ran = 0;
	for (int i = 0; i < 2000 && ran < 2; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
		ran += sc_host_clock_run_due(&hc, 0);
	}
	assert_int_equal(ran, 2);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.order[0], 0);
	assert_int_equal(rec.order[1], 1);
	assert_true(rec.at[0] >= d);
	assert_true(rec.at[1] >= d + 1 * MS);
	assert_true(sc_clock_now(&hc.clock) >= d + 1 * MS);
	/* a re-armed itself from its callback; far is untouched. */
	assert_true(a.timer.armed);
	assert_int_equal(a.timer.deadline, rec.at[0] + 3600000 * MS);
	assert_true(far.timer.armed);
	assert_false(b.timer.armed);
	assert_int_equal(sc_host_clock_run_due(&hc, 1), 0);
	assert_int_equal(sc_host_clock_run_due(&hc, 99), 0);
	sc_timer_cancel(&hc.clock, &a.timer);
	sc_timer_cancel(&hc.clock, &far.timer);
	sc_host_clock_destroy(&hc);
}

/* Guard hooks: the owner's lock around each callback. */
struct guard {
	struct sc_host_clock *hc;
	unsigned enter, exit;
	bool inside;
	struct sc_timer *cancel;        /* "another thread" cancels it */
	struct sc_timer *rearm;         /* "another thread" re-arms it */
	uint64_t rearm_at;
};

static void guard_enter(void *opaque)
{
	struct guard *g = opaque;
	assert_false(g->inside);
	g->inside = true;
	g->enter++;
	if (g->cancel) {
		sc_timer_cancel(&g->hc->clock, g->cancel);
		g->cancel = NULL;
	}
	if (g->rearm) {
		sc_timer_arm(&g->hc->clock, g->rearm, g->rearm_at);
		g->rearm = NULL;
	}
}

static void guard_exit(void *opaque)
{
	struct guard *g = opaque;
	assert_true(g->inside);
	g->inside = false;
	g->exit++;
}

struct guarded_probe {
	struct sc_timer timer;
	struct guard *g;
	unsigned ran;
	bool ran_inside;
};

static void guarded_fn(struct sc_timer *timer, void *opaque, uint64_t now)
{
	struct guarded_probe *p = opaque;
	(void)timer;
	(void)now;
	p->ran++;
	p->ran_inside = p->g->inside;
}

static void test_host_guard_wraps_callbacks_and_skips_stale(void **state)
{
	(void)state;
	struct sc_host_clock hc;
	struct guard g = { 0 };
	struct guarded_probe a = { 0 }, b = { 0 }, c = { 0 };
	assert_int_equal(sc_host_clock_init(&hc, 1, NULL, NULL), 0);
	g.hc = &hc;
	sc_host_clock_set_guard(&hc, guard_enter, guard_exit, &g);
	a.g = b.g = c.g = &g;
	sc_timer_init(&a.timer, guarded_fn, &a);
	sc_timer_init(&b.timer, guarded_fn, &b);
	sc_timer_init(&c.timer, guarded_fn, &c);
	uint64_t now = sc_clock_now(&hc.clock);
	uint64_t far = now + 3600000 * MS;

	/* An ordinary due timer runs inside the guard. */
	sc_timer_arm(&hc.clock, &a.timer, now);
	assert_int_equal(sc_host_clock_run_due(&hc, 0), 1);
	assert_int_equal(a.ran, 1);
	assert_true(a.ran_inside);
	assert_int_equal(g.enter, 1);
	assert_int_equal(g.exit, 1);

	/* Cancelled while being dispatched: skipped, guard still balanced. */
	sc_timer_arm(&hc.clock, &b.timer, now);
	g.cancel = &b.timer;
	assert_int_equal(sc_host_clock_run_due(&hc, 0), 0);
	assert_int_equal(b.ran, 0);
	assert_false(b.timer.armed);
	assert_int_equal(g.enter, 2);
	assert_int_equal(g.exit, 2);

	/* Re-armed while being dispatched: this expiry is skipped. */
	sc_timer_arm(&hc.clock, &c.timer, now);
	g.rearm = &c.timer;
	g.rearm_at = far;
	assert_int_equal(sc_host_clock_run_due(&hc, 0), 0);
	assert_int_equal(c.ran, 0);
	assert_true(c.timer.armed);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), far);
	assert_int_equal(g.exit, 3);

	/* Re-armed to an already due time: skipped now, runs as the new expiry. */
	g.rearm = &c.timer;
	g.rearm_at = now;
	sc_timer_arm(&hc.clock, &c.timer, now);
	assert_int_equal(sc_host_clock_run_due(&hc, 0), 1);
	assert_int_equal(c.ran, 1);
	assert_false(c.timer.armed);
	assert_int_equal(g.enter, g.exit);
	sc_host_clock_destroy(&hc);
}

/* ---------------------------------------------------------------- math */

static void test_muldiv64(void **state)
{
	(void)state;
	assert_int_equal(sc_muldiv64(0, 123, 7), 0);
	assert_int_equal(sc_muldiv64(10, 3, 4), 7);             /* truncates */
	/* PIT input clock: 1 s of virtual time = 1193182 counts. */
	assert_int_equal(sc_muldiv64(SC_NSEC_PER_SEC, 1193182, SC_NSEC_PER_SEC), 1193182);
	/* 65536 PIT counts in ns (no 64-bit overflow in the product). */
	assert_int_equal(sc_muldiv64(65536, SC_NSEC_PER_SEC, 1193182), 54925401);
	/* The product needs more than 64 bits. */
	assert_int_equal(sc_muldiv64(1ull << 62, 1000, 1000), 1ull << 62);
	assert_int_equal(sc_muldiv64(UINT64_MAX, UINT64_MAX, UINT64_MAX), UINT64_MAX);
	assert_int_equal(sc_muldiv64(UINT64_MAX, 3, 4), (uint64_t)(((unsigned __int128)UINT64_MAX * 3) / 4));
	/* Saturates instead of wrapping. */
	assert_int_equal(sc_muldiv64(UINT64_MAX, 2, 1), UINT64_MAX);
	assert_int_equal(sc_muldiv64(1ull << 40, 1ull << 40, 1), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_init_defaults),
		cmocka_unit_test(test_fake_fires_in_deadline_then_arming_order),
		cmocka_unit_test(test_fake_rearm_moves_timer),
		cmocka_unit_test(test_fake_rearm_from_callback),
		cmocka_unit_test(test_fake_callback_arms_earlier_timer_fires_in_order),
		cmocka_unit_test(test_fake_cancel),
		cmocka_unit_test(test_fake_stall_fires_nothing_then_late),
		cmocka_unit_test(test_fake_stall_then_advance_fires_late),
		cmocka_unit_test(test_fake_advance_to),
		cmocka_unit_test(test_fake_set_affinity_ignored_but_recorded),
		cmocka_unit_test(test_host_init_rejects_bad_nqueues),
		cmocka_unit_test(test_host_queue_of_affinity),
		cmocka_unit_test(test_host_time_starts_near_zero_and_maps_to_host),
		cmocka_unit_test(test_host_arm_cancel_next_deadline_and_wake),
		cmocka_unit_test(test_host_set_affinity_moves_armed_timer),
		cmocka_unit_test(test_host_run_due_after_short_real_deadline),
		cmocka_unit_test(test_host_guard_wraps_callbacks_and_skips_stale),
		cmocka_unit_test(test_muldiv64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
