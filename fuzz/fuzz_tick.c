/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the tick engine: random sequences of start, stop,
 * set_period, ack, advance, stall, policy change and save/restore on a fake
 * clock.  An independent model of the period grid counts the boundaries that
 * have passed; the engine's counters must account for every one of them
 * (invariant of lib/tick.c), and its state must always validate.
 */
#include <splitchip/clock.h>
#include <splitchip/tick.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define US 1000ull
#define MS 1000000ull
#define MAX_OPS 64

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t u16(struct in *in)
{
	uint16_t lo = u8(in);
	return (uint16_t)(lo | (uint16_t)u8(in) << 8);
}

struct harness {
	struct sc_fake_clock fc;
	struct sc_tick ticks[2];
	struct sc_tick *t;
	bool auto_ack;
	unsigned depth;
	/* guest view */
	bool unacked;
	uint64_t n_delivered;
	uint64_t n_unacked;     /* deliveries on top of an unacked one */
	uint64_t n_reinjected;  /* deliveries with an owed tick left behind */
	bool have_prev;
	uint64_t prev;
	/* grid model */
	bool m_running;
	uint64_t m_next, m_period, m_elapsed;
};

static void model_sync(struct harness *h, uint64_t now)
{
	if (!h->m_running || h->m_next > now)
		return;
	uint64_t n = (now - h->m_next) / h->m_period + 1;
	h->m_elapsed += n;
	if (n > (UINT64_MAX - h->m_next) / h->m_period)
		h->m_next = UINT64_MAX;
	else
		h->m_next += n * h->m_period;
}

static void on_deliver(void *opaque, uint64_t now)
{
	struct harness *h = opaque;
	struct sc_tick *t = h->t;
	CHECK(h->depth == 0);           /* ack from deliver() never recurses */
	CHECK(now == h->fc.now);
	CHECK(t->in_flight);
	CHECK(t->last_delivery == now);
	if (t->policy == SC_TICK_CATCHUP && h->have_prev) {
		uint32_t sp = t->catchup_speedup ? t->catchup_speedup : 1;
		CHECK(now - h->prev >= t->period / sp);
	}
	h->have_prev = true;
	h->prev = now;
	if (h->unacked)
		h->n_unacked++;
	if (t->backlog)
		h->n_reinjected++;
	h->unacked = true;
	h->n_delivered++;
	if (h->auto_ack) {
		h->depth++;
		h->unacked = false;
		sc_tick_ack(t);
		h->depth--;
	}
}

static void check(struct harness *h, bool after_advance)
{
	struct sc_tick *t = h->t;
	uint64_t now = h->fc.now;
	struct sc_tick_state_v1 s;

	sc_tick_save(t, &s);
	CHECK(sc_tick_validate(&s) == 0);
	CHECK(h->unacked == t->in_flight);
	CHECK(t->stats.delivered == h->n_delivered);
	CHECK(t->stats.reinjected == h->n_reinjected);
	CHECK(!t->delivering);
	uint32_t cap = (t->policy == SC_TICK_DELAY || t->policy == SC_TICK_CATCHUP)
			       ? t->max_backlog : 1;
	CHECK(t->backlog <= cap);
	CHECK(t->running == h->m_running);
	if (!t->running) {
		CHECK(!t->timer.armed && !t->backlog && !t->in_flight);
	} else {
		CHECK(t->timer.armed);
		CHECK(t->timer.deadline <= t->next_period);
	}
	if (after_advance && t->running) {
		CHECK(t->timer.deadline > now);
		if (t->policy == SC_TICK_DISCARD)
			CHECK(t->backlog == 0);
		if (!t->in_flight && (t->policy == SC_TICK_DELAY || t->policy == SC_TICK_MERGE))
			CHECK(t->backlog == 0);
		if (!t->in_flight && t->policy == SC_TICK_CATCHUP && t->backlog) {
			uint64_t gap = t->period / t->catchup_speedup;
			uint64_t gate = t->last_delivery > UINT64_MAX - gap
					? UINT64_MAX : t->last_delivery + gap;
			CHECK(gate > now);
			CHECK(t->timer.deadline == (gate < t->next_period ? gate : t->next_period));
		}
	}
	/* Counter invariant, once the engine has accounted up to now. */
	if (!t->running || t->next_period > now) {
		model_sync(h, now);
		if (t->running)
			CHECK(t->next_period == h->m_next);
		const struct sc_tick_stats *st = &t->stats;
		CHECK(st->delivered + st->coalesced + st->dropped + t->backlog ==
		      h->m_elapsed + h->n_unacked);
	}
}

static uint64_t pick_period(struct in *in)
{
	uint8_t k = u8(in);
	if (k == 0xff)
		return UINT64_MAX - u16(in);            /* saturating grid */
	if (k == 0xfe)
		return 0;                               /* means stop */
	return 10 * US + (uint64_t)u16(in) * 150;       /* 10 us .. ~10 ms */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness hh;
	struct harness *h = &hh;
	struct in in = { data, size };

	memset(h, 0, sizeof(*h));
	sc_fake_clock_init(&h->fc, (uint64_t)u16(&in) * US);
	h->t = &h->ticks[0];
	sc_tick_init(h->t, &h->fc.clock, (enum sc_tick_policy)(u8(&in) % 5),
		     on_deliver, h);
	uint8_t cfg = u8(&in);
	h->t->max_backlog = cfg & 0x80 ? SC_TICK_DEFAULT_MAX_BACKLOG : 1u + (cfg & 0x3f);
	h->t->catchup_speedup = 1u + (u8(&in) & 7);
	h->auto_ack = u8(&in) & 1;

	for (int op = 0; op < MAX_OPS && in.n; op++) {
		struct sc_tick *t = h->t;
		uint64_t now = h->fc.now;
		bool after_advance = false;
		struct sc_tick_stats st0 = t->stats;
		enum sc_tick_policy p0 = t->policy;
		uint64_t unacked0 = h->n_unacked;
		uint8_t kind = u8(&in) % 12;
		switch (kind) {
		case 0: {       /* start */
			uint16_t off = u16(&in);
			uint64_t first = off & 0x8000
				? now - (now < (off & 0x7fffu) * US ? now : (off & 0x7fffu) * US)
				: now + (uint64_t)off * US / 8;
			uint64_t period = pick_period(&in);
			sc_tick_start(t, first, period);
			model_sync(h, now);
			h->m_running = period != 0;
			h->m_next = first;
			h->m_period = period;
			h->unacked = false;
			h->have_prev = false;
			break;
		}
		case 1:         /* stop */
			sc_tick_stop(t);
			model_sync(h, now);
			h->m_running = false;
			h->unacked = false;
			break;
		case 2: {       /* set_period */
			uint64_t period = pick_period(&in);
			sc_tick_set_period(t, period);
			if (h->m_running) {
				model_sync(h, now);
				if (period) {
					h->m_period = period;
				} else {
					h->m_running = false;
					h->unacked = false;
				}
			}
			break;
		}
		case 3:
		case 4:         /* guest ack */
			h->unacked = false;
			sc_tick_ack(t);
			break;
		case 5:
		case 6:         /* run the VM for a while */
			sc_fake_clock_advance(&h->fc, (uint64_t)u16(&in) * 80);
			after_advance = true;
			break;
		case 7:         /* host stall */
			sc_fake_clock_stall(&h->fc, (uint64_t)u16(&in) * US * (u8(&in) & 15));
			break;
		case 8:         /* policy change (4 = invalid, ignored) */
			sc_tick_set_policy(t, (enum sc_tick_policy)(u8(&in) % 5));
			break;
		case 9: {       /* save, restore into the other tick */
			struct sc_tick_state_v1 s, s2;
			sc_tick_save(t, &s);
			struct sc_tick *o = t == &h->ticks[0] ? &h->ticks[1] : &h->ticks[0];
			sc_tick_init(o, &h->fc.clock, (enum sc_tick_policy)(u8(&in) % 4),
				     on_deliver, h);
			CHECK(sc_tick_restore(o, &s) == 0);
			sc_timer_cancel(&h->fc.clock, &t->timer);
			h->t = o;
			sc_tick_save(o, &s2);
			if (s.timer_deadline)
				CHECK(!memcmp(&s, &s2, sizeof(s)));
			break;
		}
		case 10: {      /* corrupt state is rejected and changes nothing */
			struct sc_tick_state_v1 s, before, after;
			sc_tick_save(t, &s);
			before = s;
			uint8_t pos = u8(&in) % sizeof(s);
			((uint8_t *)&s)[pos] ^= (uint8_t)(u8(&in) | 1);
			if (sc_tick_validate(&s) != 0) {
				CHECK(sc_tick_restore(t, &s) == -EINVAL);
				sc_tick_save(t, &after);
				CHECK(!memcmp(&before, &after, sizeof(before)));
			}
			break;
		}
		case 11:
			if (u8(&in) & 1)
				h->auto_ack = !h->auto_ack;
			else
				sc_tick_set_affinity(t, (int)(u8(&in) % 4) - 1);
			break;
		}
		check(h, after_advance);
		/*
		 * Which counter moves: without a policy change, restart or
		 * restore, MERGE never drops, DELAY/CATCHUP never coalesce and
		 * DISCARD coalesces only by delivering on an unacked tick.
		 */
		bool steady = kind >= 3 && kind <= 7 && h->t->policy == p0;
		const struct sc_tick_stats *st = &h->t->stats;
		if (steady && p0 == SC_TICK_MERGE)
			CHECK(st->dropped == st0.dropped);
		if (steady && (p0 == SC_TICK_DELAY || p0 == SC_TICK_CATCHUP))
			CHECK(st->coalesced == st0.coalesced);
		if (steady && p0 == SC_TICK_DISCARD)
			CHECK(st->coalesced - st0.coalesced == h->n_unacked - unacked0);
	}
	sc_tick_stop(h->t);
	sc_timer_cancel(&h->fc.clock, &h->ticks[0].timer);
	sc_timer_cancel(&h->fc.clock, &h->ticks[1].timer);
	return 0;
}
