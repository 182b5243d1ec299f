/* SPDX-License-Identifier: MIT */
/*
 * Tick engine tests on the fake clock: the four lost-tick policies, the
 * 1 kHz / 50 ms host stall scenario, period changes, stop/start, save/restore
 * and the counter invariant documented in lib/tick.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splitchip/clock.h>
#include <splitchip/tick.h>

#define US 1000ull
#define MS 1000000ull
#define MAX_LOG 4096

struct harness {
	struct sc_fake_clock fc;
	struct sc_tick t;
	bool ack_in_callback;   /* guest acks inside deliver() */
	bool stop_in_callback;  /* owner stops the tick from deliver() */
	unsigned depth, max_depth;
	unsigned n;             /* deliveries */
	unsigned n_unacked;     /* deliveries made while the previous was unacked */
	bool guest_unacked;
	uint64_t at[MAX_LOG];   /* delivery times */
	uint32_t backlog_after[MAX_LOG];
};

static void on_deliver(void *opaque, uint64_t now)
{
	struct harness *h = opaque;
	h->depth++;
	if (h->depth > h->max_depth)
		h->max_depth = h->depth;
	assert_int_equal(now, h->fc.now);
	if (h->guest_unacked)
		h->n_unacked++;
	h->guest_unacked = true;
	if (h->n < MAX_LOG) {
		h->at[h->n] = now;
		h->backlog_after[h->n] = h->t.backlog;
	}
	h->n++;
	if (h->stop_in_callback)
		sc_tick_stop(&h->t);
	if (h->ack_in_callback) {
		h->guest_unacked = false;
		sc_tick_ack(&h->t);
	}
	h->depth--;
}

static struct harness *harness_new(enum sc_tick_policy p, bool ack_in_callback)
{
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	sc_fake_clock_init(&h->fc, 0);
	sc_tick_init(&h->t, &h->fc.clock, p, on_deliver, h);
	h->ack_in_callback = ack_in_callback;
	return h;
}

static void guest_ack(struct harness *h)
{
	h->guest_unacked = false;
	sc_tick_ack(&h->t);
}

/* The invariant of lib/tick.c for @elapsed accounted boundaries. */
static void check_invariant(const struct harness *h, uint64_t elapsed)
{
	const struct sc_tick_stats *s = &h->t.stats;
	assert_int_equal(s->delivered, h->n);
	assert_int_equal(s->delivered + s->coalesced + s->dropped + h->t.backlog,
			 elapsed + h->n_unacked);
}

/* ---------------------------------------------------------------- names */

static void test_policy_parse_and_name_round_trip(void **state)
{
	(void)state;
	static const char *names[] = { "discard", "delay", "catchup", "merge" };
	for (int i = 0; i < 4; i++) {
		enum sc_tick_policy p = SC_TICK_MERGE;
		assert_int_equal(sc_tick_policy_parse(names[i], &p), 0);
		assert_int_equal(p, i);
		assert_string_equal(sc_tick_policy_name(p), names[i]);
	}
	enum sc_tick_policy p = SC_TICK_DELAY;
	assert_int_equal(sc_tick_policy_parse("slew", &p), -EINVAL);
	assert_int_equal(sc_tick_policy_parse("", &p), -EINVAL);
	assert_int_equal(sc_tick_policy_parse("DELAY", &p), -EINVAL);
	assert_int_equal(sc_tick_policy_parse(NULL, &p), -EINVAL);
	assert_int_equal(sc_tick_policy_parse("delay", NULL), -EINVAL);
	assert_int_equal(p, SC_TICK_DELAY);
	assert_string_equal(sc_tick_policy_name((enum sc_tick_policy)4), "invalid");
	assert_string_equal(sc_tick_policy_name((enum sc_tick_policy)-1), "invalid");
}

static void test_init_defaults_and_invalid_policy(void **state)
{
	(void)state;
	struct harness *h = harness_new((enum sc_tick_policy)7, true);
	assert_int_equal(h->t.policy, SC_TICK_DISCARD);
	assert_int_equal(h->t.max_backlog, SC_TICK_DEFAULT_MAX_BACKLOG);
	assert_int_equal(h->t.catchup_speedup, SC_TICK_DEFAULT_CATCHUP_SPEEDUP);
	assert_false(h->t.running);
	assert_false(h->t.timer.armed);
	assert_int_equal(h->t.timer.affinity, -1);
	free(h);
}

/* ------------------------------------------------------ steady state */

static void run_no_stall(enum sc_tick_policy p, bool ack_in_callback)
{
	struct harness *h = harness_new(p, ack_in_callback);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	assert_true(h->t.timer.armed);
	assert_int_equal(h->t.timer.deadline, 1 * MS);
	for (int i = 0; i < 100; i++) {
		sc_fake_clock_advance(&h->fc, 1 * MS);
		if (!ack_in_callback)
			guest_ack(h);  /* right after the interrupt */
	}
	assert_int_equal(h->n, 100);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(h->at[i], (i + 1) * MS);
	assert_int_equal(h->t.stats.delivered, 100);
	assert_int_equal(h->t.stats.coalesced, 0);
	assert_int_equal(h->t.stats.reinjected, 0);
	assert_int_equal(h->t.stats.dropped, 0);
	assert_int_equal(h->t.backlog, 0);
	assert_int_equal(h->t.next_period, 101 * MS);
	check_invariant(h, 100);
	free(h);
}

static void test_no_stall_one_tick_per_period_all_policies(void **state)
{
	(void)state;
	for (int p = 0; p < 4; p++) {
		run_no_stall((enum sc_tick_policy)p, true);
		run_no_stall((enum sc_tick_policy)p, false);
	}
}

/* ------------------------------------- 1 kHz source, 50 ms host stall */

/*
 * 10 ms of normal running, then the host does not run the VM for 50 ms:
 * boundaries 11..60 ms pass unseen and the timer runs late at 60 ms.
 */
static struct harness *stall_scenario(enum sc_tick_policy p, bool ack_in_callback)
{
	struct harness *h = harness_new(p, ack_in_callback);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 10 * MS);
	assert_int_equal(h->n, 10);
	sc_fake_clock_stall(&h->fc, 50 * MS);
	assert_int_equal(h->n, 10);     /* nothing ran during the stall */
	assert_int_equal(h->fc.now, 60 * MS);
	return h;
}

static void test_stall_discard_delivers_one_drops_rest(void **state)
{
	(void)state;
	struct harness *h = stall_scenario(SC_TICK_DISCARD, true);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 11);
	assert_int_equal(h->at[10], 60 * MS);
	assert_int_equal(h->t.stats.dropped, 49);
	assert_int_equal(h->t.stats.coalesced, 0);
	assert_int_equal(h->t.stats.reinjected, 0);
	assert_int_equal(h->t.next_period, 61 * MS);
	check_invariant(h, 60);
	sc_fake_clock_advance(&h->fc, 40 * MS);
	assert_int_equal(h->n, 51);
	assert_int_equal(h->at[11], 61 * MS);
	assert_int_equal(h->at[50], 100 * MS);
	assert_int_equal(h->t.stats.dropped, 49);
	check_invariant(h, 100);
	free(h);
}

static void test_stall_delay_reinjects_back_to_back(void **state)
{
	(void)state;
	struct harness *h = stall_scenario(SC_TICK_DELAY, true);
	sc_fake_clock_run_due(&h->fc);
	/* Every owed tick is delivered at 60 ms, one per (immediate) ack. */
	assert_int_equal(h->n, 60);
	for (unsigned i = 10; i < 60; i++)
		assert_int_equal(h->at[i], 60 * MS);
	assert_int_equal(h->t.stats.reinjected, 49);
	assert_int_equal(h->t.stats.dropped, 0);
	assert_int_equal(h->t.stats.coalesced, 0);
	assert_int_equal(h->t.backlog, 0);
	assert_int_equal(h->max_depth, 1);      /* no recursion through ack */
	check_invariant(h, 60);
	sc_fake_clock_advance(&h->fc, 40 * MS);
	assert_int_equal(h->n, 100);
	assert_int_equal(h->at[60], 61 * MS);
	assert_int_equal(h->t.stats.reinjected, 49);
	check_invariant(h, 100);
	free(h);
}

static void test_stall_delay_ack_after_delivery(void **state)
{
	(void)state;
	/* The guest acks right after each interrupt, outside deliver(). */
	struct harness *h = harness_new(SC_TICK_DELAY, false);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	for (int i = 0; i < 10; i++) {
		sc_fake_clock_advance(&h->fc, 1 * MS);
		guest_ack(h);
	}
	sc_fake_clock_stall(&h->fc, 50 * MS);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 11);
	assert_int_equal(h->t.backlog, 49);
	assert_true(h->t.in_flight);
	for (unsigned i = 0; i < 49; i++) {
		guest_ack(h);   /* each ack presents the next owed tick at once */
		assert_int_equal(h->n, 12 + i);
		assert_int_equal(h->at[11 + i], 60 * MS);
	}
	assert_int_equal(h->t.backlog, 0);
	guest_ack(h);
	assert_int_equal(h->n, 60);
	assert_int_equal(h->t.stats.reinjected, 49);
	check_invariant(h, 60);
	free(h);
}

static void test_stall_catchup_bounded_rate(void **state)
{
	(void)state;
	struct harness *h = stall_scenario(SC_TICK_CATCHUP, true);
	const uint64_t gap = 1 * MS / SC_TICK_DEFAULT_CATCHUP_SPEEDUP;
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 11);
	assert_int_equal(h->at[10], 60 * MS);
	assert_int_equal(h->t.backlog, 49);
	/* The next owed tick waits for the rate limit, not the grid. */
	assert_int_equal(h->t.timer.deadline, 60 * MS + gap);
	sc_fake_clock_advance(&h->fc, 40 * MS);
	assert_int_equal(h->n, 100);                /* every tick delivered */
	assert_int_equal(h->t.stats.dropped, 0);
	assert_int_equal(h->t.stats.coalesced, 0);
	assert_int_equal(h->t.backlog, 0);
	for (unsigned i = 1; i < 100; i++)
		assert_true(h->at[i] - h->at[i - 1] >= gap);
	/*
	 * Caught up when deliveries (4 per ms from 60 ms) meet boundaries
	 * (1 per ms): 50 owed at 60 ms, 4x + 1 = 50 + floor(x) -> x = 16.25 ms,
	 * about 50 / (speedup - 1) ms.
	 */
	unsigned caught = 0;
	for (unsigned i = 10; i < 100; i++) {
		if (h->backlog_after[i] == 0) {
			caught = i;
			break;
		}
	}
	assert_int_equal(h->at[caught], 76 * MS + 250 * US);
	for (unsigned i = 10; i <= caught; i++)
		assert_int_equal(h->at[i], 60 * MS + (i - 10) * gap);
	/* Then back on the grid. */
	assert_int_equal(h->at[caught + 1], 77 * MS);
	assert_int_equal(h->at[99], 100 * MS);
	/* Deliveries with a newer boundary already passed behind them. */
	assert_int_equal(h->t.stats.reinjected, caught - 10);
	check_invariant(h, 100);
	free(h);
}

static void test_stall_merge_one_delivery_rest_coalesced(void **state)
{
	(void)state;
	struct harness *h = stall_scenario(SC_TICK_MERGE, true);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 11);
	assert_int_equal(h->at[10], 60 * MS);
	assert_int_equal(h->t.stats.coalesced, 49);
	assert_int_equal(h->t.stats.dropped, 0);
	assert_int_equal(h->t.stats.reinjected, 0);
	check_invariant(h, 60);
	sc_fake_clock_advance(&h->fc, 40 * MS);
	assert_int_equal(h->n, 51);
	check_invariant(h, 100);
	free(h);
}

/* ------------------------------------------------ guest that doesn't ack */

static void test_delay_no_ack_backlog_bounded_then_drained(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, false);
	h->t.max_backlog = 5;
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 20 * MS);
	assert_int_equal(h->n, 1);              /* held until the ack */
	assert_true(h->t.in_flight);
	assert_int_equal(h->t.backlog, 5);
	assert_int_equal(h->t.stats.dropped, 14);
	check_invariant(h, 20);
	/* While in flight the timer only follows the grid. */
	assert_int_equal(h->t.timer.deadline, 21 * MS);
	guest_ack(h);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->at[1], 20 * MS);
	assert_int_equal(h->t.stats.reinjected, 1);
	for (int i = 0; i < 4; i++)
		guest_ack(h);
	assert_int_equal(h->n, 6);
	assert_int_equal(h->t.stats.reinjected, 4);  /* the last one was current */
	guest_ack(h);
	assert_int_equal(h->n, 6);
	check_invariant(h, 20);
	free(h);
}

static void test_delay_tick_held_within_period_not_reinjected(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, false);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 2 * MS);  /* 1 ms delivered, 2 ms held */
	assert_int_equal(h->n, 1);
	assert_int_equal(h->t.backlog, 1);
	sc_fake_clock_advance(&h->fc, 500 * US);
	guest_ack(h);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->at[1], 2 * MS + 500 * US);
	assert_int_equal(h->t.stats.reinjected, 0);
	free(h);
}

static void test_merge_holds_one_pending_until_ack(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_MERGE, false);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 5 * MS + 500 * US);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->t.backlog, 1);
	assert_int_equal(h->t.stats.coalesced, 3);
	guest_ack(h);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->at[1], 5 * MS + 500 * US);
	assert_int_equal(h->t.stats.reinjected, 0);
	assert_int_equal(h->t.backlog, 0);
	guest_ack(h);
	sc_fake_clock_advance(&h->fc, 500 * US);
	assert_int_equal(h->n, 3);
	assert_int_equal(h->at[2], 6 * MS);
	check_invariant(h, 6);
	free(h);
}

static void test_discard_keeps_delivering_unacked_counts_coalesced(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DISCARD, false);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 10 * MS);
	assert_int_equal(h->n, 10);
	assert_int_equal(h->t.stats.coalesced, 9);
	assert_int_equal(h->t.stats.dropped, 0);
	assert_int_equal(h->n_unacked, 9);
	check_invariant(h, 10);
	free(h);
}

static void test_catchup_ack_waits_for_rate_limit(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_CATCHUP, false);
	h->t.catchup_speedup = 2;
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_stall(&h->fc, 4 * MS);
	sc_fake_clock_run_due(&h->fc);          /* 1..4 ms owed, one delivered */
	assert_int_equal(h->n, 1);
	assert_int_equal(h->t.backlog, 3);
	sc_fake_clock_advance(&h->fc, 100 * US);
	guest_ack(h);                           /* 100 us < 500 us: must wait */
	assert_int_equal(h->n, 1);
	assert_true(h->t.timer.armed);
	assert_int_equal(h->t.timer.deadline, 4 * MS + 500 * US);
	sc_fake_clock_advance(&h->fc, 400 * US);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->at[1], 4 * MS + 500 * US);
	/* An ack after the gap delivers at once. */
	sc_fake_clock_advance(&h->fc, 600 * US);
	guest_ack(h);
	assert_int_equal(h->n, 3);
	assert_int_equal(h->at[2], 5 * MS + 100 * US);
	free(h);
}

static void test_catchup_host_call_after_stall_arms_at_now(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_CATCHUP, true);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 1 * MS);
	sc_fake_clock_stall(&h->fc, 3 * MS + 100 * US);     /* 2..4 ms missed */
	sc_tick_set_period(&h->t, 2 * MS);
	assert_int_equal(h->t.backlog, 3);
	/* The gate (1.5 ms) has long passed: deliverable now, not at 5 ms. */
	assert_int_equal(h->t.timer.deadline, 4 * MS + 100 * US);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->at[1], 4 * MS + 100 * US);
	/* The rest at the new gap (2 ms / 4 = 500 us), the grid at 5, 7 ms. */
	sc_fake_clock_advance(&h->fc, 3 * MS);
	assert_int_equal(h->n, 6);
	assert_int_equal(h->at[2], 4 * MS + 600 * US);
	assert_int_equal(h->at[3], 5 * MS + 100 * US);
	assert_int_equal(h->at[4], 5 * MS + 600 * US);
	assert_int_equal(h->at[5], 7 * MS);
	check_invariant(h, 6);
	free(h);
}

static void test_catchup_speedup_one_and_zero_field(void **state)
{
	(void)state;
	/* speedup 1: the backlog is never reduced, but bounded and live. */
	struct harness *h = harness_new(SC_TICK_CATCHUP, true);
	h->t.catchup_speedup = 0;       /* owner wrote nonsense: acts as 1 */
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_stall(&h->fc, 3 * MS);
	sc_fake_clock_advance(&h->fc, 10 * MS);
	for (unsigned i = 1; i < h->n; i++)
		assert_true(h->at[i] - h->at[i - 1] >= 1 * MS);
	assert_int_equal(h->n, 11);
	assert_int_equal(h->t.backlog, 2);
	check_invariant(h, 13);
	free(h);
}

/* ------------------------------------------------------ set_period */

static void test_set_period_takes_effect_from_next_boundary(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, true);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 2 * MS + 500 * US);
	sc_tick_set_period(&h->t, 3 * MS);
	assert_int_equal(h->t.period, 3 * MS);
	assert_int_equal(h->t.next_period, 3 * MS);   /* already scheduled */
	sc_fake_clock_advance(&h->fc, 7 * MS);
	assert_int_equal(h->n, 5);
	assert_int_equal(h->at[2], 3 * MS);
	assert_int_equal(h->at[3], 6 * MS);
	assert_int_equal(h->at[4], 9 * MS);
	check_invariant(h, 5);
	free(h);
}

static void test_set_period_after_stall_accounts_old_period_first(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, true);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 10 * MS);
	sc_fake_clock_stall(&h->fc, 5 * MS + 500 * US);     /* 11..15 ms missed */
	sc_tick_set_period(&h->t, 2 * MS);
	assert_int_equal(h->t.backlog, 5);
	assert_int_equal(h->t.next_period, 16 * MS);
	/* Owed ticks are presented when the clock runs, not inside set_period. */
	assert_int_equal(h->n, 10);
	assert_int_equal(h->t.timer.deadline, 15 * MS + 500 * US);
	sc_fake_clock_advance(&h->fc, 4 * MS + 500 * US);
	assert_int_equal(h->n, 18);
	assert_int_equal(h->at[14], 15 * MS + 500 * US);
	assert_int_equal(h->at[15], 16 * MS);
	assert_int_equal(h->at[16], 18 * MS);
	assert_int_equal(h->at[17], 20 * MS);
	check_invariant(h, 18);
	free(h);
}

static void test_set_period_zero_stops_and_stopped_is_noop(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DISCARD, true);
	sc_tick_set_period(&h->t, 5 * MS);      /* not running: nothing */
	assert_false(h->t.running);
	assert_int_equal(h->t.period, 0);
	assert_false(h->t.timer.armed);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 3 * MS);
	sc_tick_set_period(&h->t, 0);
	assert_false(h->t.running);
	assert_false(h->t.timer.armed);
	sc_fake_clock_advance(&h->fc, 10 * MS);
	assert_int_equal(h->n, 3);
	free(h);
}

/* ------------------------------------------------------ stop / start */

static void test_stop_drops_backlog_cancels_and_ignores_late_ack(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, false);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 4 * MS);
	assert_int_equal(h->t.backlog, 3);
	sc_tick_stop(&h->t);
	assert_false(h->t.running);
	assert_false(h->t.in_flight);
	assert_false(h->t.timer.armed);
	assert_int_equal(h->t.period, 0);
	assert_int_equal(h->t.backlog, 0);
	assert_int_equal(h->t.stats.dropped, 3);
	guest_ack(h);                           /* late ack: ignored */
	sc_fake_clock_advance(&h->fc, 10 * MS);
	assert_int_equal(h->n, 1);
	check_invariant(h, 4);
	/* Start again: ticks resume, nothing stale in flight blocks them. */
	sc_tick_start(&h->t, h->fc.now + 1 * MS, 2 * MS);
	sc_fake_clock_advance(&h->fc, 1 * MS);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->at[1], 15 * MS);
	guest_ack(h);
	sc_fake_clock_advance(&h->fc, 2 * MS);
	assert_int_equal(h->n, 3);
	assert_int_equal(h->at[2], 17 * MS);
	check_invariant(h, 4 + 2);
	free(h);
}

static void test_stop_after_stall_counts_missed_as_dropped(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_MERGE, true);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 2 * MS);
	sc_fake_clock_stall(&h->fc, 5 * MS);
	sc_tick_stop(&h->t);
	/* 3..7 ms: merged to one owed tick (4 coalesced), which stop drops. */
	assert_int_equal(h->t.stats.coalesced, 4);
	assert_int_equal(h->t.stats.dropped, 1);
	check_invariant(h, 7);
	free(h);
}

static void test_start_while_running_restarts_grid(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, false);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 3 * MS);
	assert_int_equal(h->t.backlog, 2);
	sc_tick_start(&h->t, 3 * MS + 100 * US, 500 * US);
	assert_int_equal(h->t.stats.dropped, 2);
	assert_false(h->t.in_flight);
	assert_int_equal(h->t.timer.deadline, 3 * MS + 100 * US);
	sc_fake_clock_advance(&h->fc, 100 * US);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->at[1], 3 * MS + 100 * US);
	free(h);
}

static void test_start_first_in_past_accounts_elapsed(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DISCARD, true);
	sc_fake_clock_advance(&h->fc, 10 * MS);
	sc_tick_start(&h->t, 5 * MS + 500 * US, 1 * MS);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->t.stats.dropped, 4);    /* 5.5 .. 9.5 ms */
	assert_int_equal(h->t.next_period, 10 * MS + 500 * US);
	free(h);
}

static void test_start_period_zero_stops(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DISCARD, true);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_tick_start(&h->t, 1 * MS, 0);
	assert_false(h->t.running);
	assert_false(h->t.timer.armed);
	sc_fake_clock_advance(&h->fc, 5 * MS);
	assert_int_equal(h->n, 0);
	free(h);
}

static void test_deliver_callback_may_stop_tick(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, true);
	h->stop_in_callback = true;
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_stall(&h->fc, 5 * MS);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 1);
	assert_false(h->t.running);
	assert_false(h->t.timer.armed);
	assert_int_equal(h->t.stats.dropped, 4);
	sc_fake_clock_advance(&h->fc, 5 * MS);
	assert_int_equal(h->n, 1);
	free(h);
}

static void test_no_deliver_callback_still_counts(void **state)
{
	(void)state;
	struct sc_fake_clock fc;
	struct sc_tick t;
	sc_fake_clock_init(&fc, 0);
	sc_tick_init(&t, &fc.clock, SC_TICK_DELAY, NULL, NULL);
	sc_tick_start(&t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&fc, 3 * MS);
	assert_int_equal(t.stats.delivered, 1);
	assert_int_equal(t.backlog, 2);
	sc_tick_ack(&t);
	assert_int_equal(t.stats.delivered, 2);
}

/* ------------------------------------------------------ set_policy */

static void test_set_policy_rebounds_backlog(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, false);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 6 * MS);
	assert_int_equal(h->t.backlog, 5);
	sc_tick_set_policy(&h->t, (enum sc_tick_policy)9);   /* ignored */
	assert_int_equal(h->t.policy, SC_TICK_DELAY);
	sc_tick_set_policy(&h->t, SC_TICK_DELAY);            /* same: nothing */
	assert_int_equal(h->t.backlog, 5);
	sc_tick_set_policy(&h->t, SC_TICK_MERGE);
	assert_int_equal(h->t.backlog, 1);
	assert_int_equal(h->t.stats.coalesced, 4);
	check_invariant(h, 6);
	sc_tick_set_policy(&h->t, SC_TICK_DISCARD);
	assert_int_equal(h->t.backlog, 1);
	/* DISCARD presents it even though one is in flight, at "now". */
	assert_int_equal(h->t.timer.deadline, 6 * MS);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->at[1], 6 * MS);
	assert_int_equal(h->t.stats.coalesced, 5);
	check_invariant(h, 6);
	free(h);
}

static void test_set_policy_after_stall_uses_old_policy(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DISCARD, true);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_stall(&h->fc, 5 * MS);
	sc_tick_set_policy(&h->t, SC_TICK_DELAY);
	assert_int_equal(h->t.stats.dropped, 4);    /* discarded before switch */
	assert_int_equal(h->t.backlog, 1);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 1);
	check_invariant(h, 5);
	/* Stopped ticks switch silently. */
	sc_tick_stop(&h->t);
	sc_tick_set_policy(&h->t, SC_TICK_CATCHUP);
	assert_int_equal(h->t.policy, SC_TICK_CATCHUP);
	assert_false(h->t.timer.armed);
	free(h);
}

static void test_lowered_max_backlog_trims_excess(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, false);
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 6 * MS);
	assert_int_equal(h->t.backlog, 5);
	h->t.max_backlog = 2;
	sc_fake_clock_advance(&h->fc, 1 * MS);
	assert_int_equal(h->t.backlog, 2);
	assert_int_equal(h->t.stats.dropped, 4);
	check_invariant(h, 7);
	h->t.max_backlog = 0;           /* nonsense: acts as 1 */
	sc_fake_clock_advance(&h->fc, 1 * MS);
	assert_int_equal(h->t.backlog, 1);
	check_invariant(h, 8);
	free(h);
}

/* ------------------------------------------------------ robustness */

static void test_ack_inside_deliver_does_not_recurse(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, true);
	h->t.max_backlog = 100000;
	sc_tick_start(&h->t, 1 * US, 1 * US);
	sc_fake_clock_stall(&h->fc, 100000 * US);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 100000);
	assert_int_equal(h->max_depth, 1);
	assert_int_equal(h->t.stats.reinjected, 99999);
	check_invariant(h, 100000);
	free(h);
}

static void test_huge_period_saturates_grid(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, true);
	sc_tick_start(&h->t, 1 * MS, UINT64_MAX - 10);
	sc_fake_clock_advance(&h->fc, 1 * MS);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->t.next_period, UINT64_MAX);
	assert_int_equal(h->t.timer.deadline, UINT64_MAX);
	sc_fake_clock_advance(&h->fc, 1000 * MS);
	assert_int_equal(h->n, 1);
	/* A period of 1 ns over a long stall: the backlog stays bounded. */
	sc_tick_start(&h->t, h->fc.now, 1);
	h->ack_in_callback = false;
	sc_fake_clock_stall(&h->fc, UINT64_MAX - h->fc.now - 5);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->t.backlog, SC_TICK_DEFAULT_MAX_BACKLOG - 1);
	assert_true(h->t.stats.dropped > (1ull << 63));
	free(h);
}

static void test_set_affinity_moves_timer_to_vcpu_queue(void **state)
{
	(void)state;
	struct sc_host_clock hc;
	struct sc_tick t;
	assert_int_equal(sc_host_clock_init(&hc, 2, NULL, NULL), 0);
	sc_tick_init(&t, &hc.clock, SC_TICK_DISCARD, NULL, NULL);
	uint64_t first = sc_clock_now(&hc.clock) + 1000 * MS;
	sc_tick_start(&t, first, 1 * MS);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), first);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 1), UINT64_MAX);
	sc_tick_set_affinity(&t, 1);
	assert_int_equal(t.timer.affinity, 1);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 0), UINT64_MAX);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 1), first);
	sc_tick_stop(&t);
	assert_int_equal(sc_host_clock_next_deadline(&hc, 1), UINT64_MAX);
	sc_host_clock_destroy(&hc);
}

/* ------------------------------------------------------ save / restore */

static void test_state_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct sc_tick_state_v1), 80);
}

/*
 * Save a CATCHUP tick mid-backlog (timer armed at the rate-limit deadline,
 * between grid boundaries), restore into a fresh tick on a second clock at
 * the same time, and run both identically.
 */
static void test_save_restore_round_trip_mid_backlog(void **state)
{
	(void)state;
	for (int p = 0; p < 4; p++) {
		struct harness *a = harness_new((enum sc_tick_policy)p, false);
		a->t.max_backlog = 30;
		a->t.catchup_speedup = 3;
		sc_tick_start(&a->t, 1 * MS, 1 * MS);
		sc_fake_clock_advance(&a->fc, 3 * MS);
		guest_ack(a);
		sc_fake_clock_stall(&a->fc, 20 * MS);
		sc_fake_clock_run_due(&a->fc);
		guest_ack(a);
		sc_fake_clock_advance(&a->fc, 100 * US);
		guest_ack(a);   /* CATCHUP: next owed tick waits for the gap */

		struct sc_tick_state_v1 s;
		sc_tick_save(&a->t, &s);
		assert_int_equal(sc_tick_validate(&s), 0);
		assert_int_equal(s.running, 1);
		assert_int_equal(s.policy, p);
		if (p == SC_TICK_DELAY || p == SC_TICK_CATCHUP)
			assert_true(s.backlog > 10);
		if (p == SC_TICK_CATCHUP)
			assert_int_equal(s.timer_deadline, 23 * MS + 333333);

		struct harness *b = harness_new(SC_TICK_DISCARD, false);
		sc_fake_clock_advance(&b->fc, a->fc.now);
		b->guest_unacked = a->guest_unacked;
		assert_int_equal(sc_tick_restore(&b->t, &s), 0);
		assert_int_equal(b->t.timer.armed, a->t.timer.armed);
		assert_int_equal(b->t.timer.deadline, a->t.timer.deadline);

		unsigned a0 = a->n;
		for (int i = 0; i < 60; i++) {
			sc_fake_clock_advance(&a->fc, 150 * US);
			sc_fake_clock_advance(&b->fc, 150 * US);
			if (i % 3 == 0) {
				guest_ack(a);
				guest_ack(b);
			}
		}
		assert_true(a->n > a0);
		assert_int_equal(a->n - a0, b->n);
		for (unsigned i = 0; i < b->n; i++) {
			if (a->at[a0 + i] != b->at[i])
				print_error("policy %d delivery %u\n", p, i);
			assert_int_equal(a->at[a0 + i], b->at[i]);
		}
		assert_memory_equal(&a->t.stats, &b->t.stats, sizeof(a->t.stats));
		assert_int_equal(a->t.backlog, b->t.backlog);
		assert_int_equal(a->t.next_period, b->t.next_period);
		free(a);
		free(b);
	}
}

static void test_save_stopped_round_trip(void **state)
{
	(void)state;
	struct harness *a = harness_new(SC_TICK_MERGE, true);
	sc_tick_start(&a->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&a->fc, 2 * MS);
	sc_tick_stop(&a->t);
	struct sc_tick_state_v1 s;
	sc_tick_save(&a->t, &s);
	assert_int_equal(s.running, 0);
	assert_int_equal(s.timer_deadline, 0);
	struct harness *b = harness_new(SC_TICK_DISCARD, true);
	sc_tick_start(&b->t, 1 * MS, 1 * MS);   /* restore cancels this */
	assert_int_equal(sc_tick_restore(&b->t, &s), 0);
	assert_false(b->t.timer.armed);
	assert_false(b->t.running);
	assert_int_equal(b->t.policy, SC_TICK_MERGE);
	assert_int_equal(b->t.stats.delivered, 2);
	sc_fake_clock_advance(&b->fc, 5 * MS);
	assert_int_equal(b->n, 0);
	free(a);
	free(b);
}

static void test_restore_zero_deadline_rearms_from_state(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, true);
	struct sc_tick_state_v1 s;
	sc_tick_save(&h->t, &s);
	s.running = 1;
	s.period = 1 * MS;
	s.next_period = 2 * MS;
	s.timer_deadline = 0;
	assert_int_equal(sc_tick_restore(&h->t, &s), 0);
	assert_true(h->t.timer.armed);
	assert_int_equal(h->t.timer.deadline, 2 * MS);
	/* With deliverable backlog: armed at now. */
	s.backlog = 3;
	sc_fake_clock_advance(&h->fc, 1 * MS);
	assert_int_equal(sc_tick_restore(&h->t, &s), 0);
	assert_int_equal(h->t.timer.deadline, 1 * MS);
	sc_fake_clock_run_due(&h->fc);
	assert_int_equal(h->n, 3);
	free(h);
}

static void test_restore_rejects_corrupt_state_unchanged(void **state)
{
	(void)state;
	struct harness *h = harness_new(SC_TICK_DELAY, false);
	h->t.max_backlog = 10;
	sc_tick_start(&h->t, 1 * MS, 1 * MS);
	sc_fake_clock_advance(&h->fc, 4 * MS);
	struct sc_tick_state_v1 good, before, after, s;
	sc_tick_save(&h->t, &good);
	assert_int_equal(sc_tick_validate(&good), 0);
	assert_int_equal(sc_tick_validate(NULL), -EINVAL);
	assert_int_equal(sc_tick_restore(&h->t, NULL), -EINVAL);

	struct sc_tick_state_v1 stopped = good;
	stopped.running = 0;
	stopped.period = 0;
	stopped.backlog = 0;
	stopped.in_flight = 0;
	stopped.timer_deadline = 0;
	assert_int_equal(sc_tick_validate(&stopped), 0);

#define BAD(base, stmt) do { \
		s = (base); stmt; \
		sc_tick_save(&h->t, &before); \
		assert_int_equal(sc_tick_validate(&s), -EINVAL); \
		assert_int_equal(sc_tick_restore(&h->t, &s), -EINVAL); \
		sc_tick_save(&h->t, &after); \
		assert_memory_equal(&before, &after, sizeof(before)); \
	} while (0)

	BAD(good, s.policy = 4);
	BAD(good, s.policy = 0xff);
	BAD(good, s.in_flight = 2);
	BAD(good, s.running = 2);
	BAD(good, s.pad = 1);
	BAD(good, s.max_backlog = 0);
	BAD(good, s.catchup_speedup = 0);
	BAD(good, s.backlog = 11);
	BAD(good, (s.policy = SC_TICK_MERGE, s.backlog = 2));
	BAD(good, (s.policy = SC_TICK_DISCARD, s.backlog = 2));
	BAD(good, s.period = 0);
	BAD(good, s.timer_deadline = s.next_period + 1);
	BAD(good, s.last_delivery = s.next_period + 1);
	BAD(stopped, s.backlog = 1);
	BAD(stopped, s.in_flight = 1);
	BAD(stopped, s.period = 1 * MS);
	BAD(stopped, s.timer_deadline = 1);
#undef BAD
	/* The tick still runs as before. */
	assert_true(h->t.timer.armed);
	assert_int_equal(h->t.timer.deadline, 5 * MS);
	guest_ack(h);
	assert_int_equal(h->n, 2);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_parse_and_name_round_trip),
		cmocka_unit_test(test_init_defaults_and_invalid_policy),
		cmocka_unit_test(test_no_stall_one_tick_per_period_all_policies),
		cmocka_unit_test(test_stall_discard_delivers_one_drops_rest),
		cmocka_unit_test(test_stall_delay_reinjects_back_to_back),
		cmocka_unit_test(test_stall_delay_ack_after_delivery),
		cmocka_unit_test(test_stall_catchup_bounded_rate),
		cmocka_unit_test(test_stall_merge_one_delivery_rest_coalesced),
		cmocka_unit_test(test_delay_no_ack_backlog_bounded_then_drained),
		cmocka_unit_test(test_delay_tick_held_within_period_not_reinjected),
		cmocka_unit_test(test_merge_holds_one_pending_until_ack),
		cmocka_unit_test(test_discard_keeps_delivering_unacked_counts_coalesced),
		cmocka_unit_test(test_catchup_ack_waits_for_rate_limit),
		cmocka_unit_test(test_catchup_host_call_after_stall_arms_at_now),
		cmocka_unit_test(test_catchup_speedup_one_and_zero_field),
		cmocka_unit_test(test_set_period_takes_effect_from_next_boundary),
		cmocka_unit_test(test_set_period_after_stall_accounts_old_period_first),
		cmocka_unit_test(test_set_period_zero_stops_and_stopped_is_noop),
		cmocka_unit_test(test_stop_drops_backlog_cancels_and_ignores_late_ack),
		cmocka_unit_test(test_stop_after_stall_counts_missed_as_dropped),
		cmocka_unit_test(test_start_while_running_restarts_grid),
		cmocka_unit_test(test_start_first_in_past_accounts_elapsed),
		cmocka_unit_test(test_start_period_zero_stops),
		cmocka_unit_test(test_deliver_callback_may_stop_tick),
		cmocka_unit_test(test_no_deliver_callback_still_counts),
		cmocka_unit_test(test_set_policy_rebounds_backlog),
		cmocka_unit_test(test_set_policy_after_stall_uses_old_policy),
		cmocka_unit_test(test_lowered_max_backlog_trims_excess),
		cmocka_unit_test(test_ack_inside_deliver_does_not_recurse),
		cmocka_unit_test(test_huge_period_saturates_grid),
		cmocka_unit_test(test_set_affinity_moves_timer_to_vcpu_queue),
		cmocka_unit_test(test_state_layout),
		cmocka_unit_test(test_save_restore_round_trip_mid_backlog),
		cmocka_unit_test(test_save_stopped_round_trip),
		cmocka_unit_test(test_restore_zero_deadline_rearms_from_state),
		cmocka_unit_test(test_restore_rejects_corrupt_state_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
