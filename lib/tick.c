/* SPDX-License-Identifier: MIT */
/*
 * The tick engine: periodic interrupt delivery and lost-tick policy for every
 * periodic source (PIT channel 0, RTC periodic interrupt, HPET periodic
 * timers).  See include/splitchip/tick.h for the policies.
 *
 * Model
 * -----
 * The grid: sc_tick_start(first, period) defines period boundaries
 * first, first + period, ...  next_period is the earliest boundary not yet
 * accounted.  sc_tick_set_period() keeps next_period (already computed with
 * the old period) and spaces the boundaries after it with the new period.
 *
 * Two steps, run by every entry point:
 *   account(now)  every boundary <= now not yet accounted becomes an owed
 *                 tick in the backlog.  The backlog is capped per policy:
 *                 1 for DISCARD and MERGE, max_backlog for DELAY and CATCHUP.
 *                 Ticks over the cap are dropped (DISCARD, DELAY, CATCHUP) or
 *                 coalesced (MERGE).  A late timer covering n boundaries thus
 *                 gives DISCARD one delivery + n-1 dropped, MERGE one delivery
 *                 + n-1 coalesced, DELAY/CATCHUP n owed ticks.
 *   deliver(now)  the oldest owed tick is presented with deliver() when the
 *                 policy allows it:
 *                   DISCARD  always (while the previous tick is unacked the
 *                            delivery also counts as coalesced: the guest
 *                            sees one interrupt for both);
 *                   DELAY    when no tick is in flight;
 *                   MERGE    when no tick is in flight (the one held tick is
 *                            delivered at the ack);
 *                   CATCHUP  when no tick is in flight and
 *                            now >= last_delivery + period / catchup_speedup.
 * The timer is armed at min(next_period, time the next owed tick may be
 * delivered).  deliver() is called only from the timer callback and from
 * sc_tick_ack(); the other host calls (start, set_period, set_policy,
 * restore) account and re-arm, and a deliverable tick they leave behind is
 * presented when the clock runs the timer (armed at "now").
 *
 * sc_tick_ack() may be called from inside deliver() (an owner without an
 * acknowledgement signal): it clears in_flight and the delivery loop in
 * progress presents the next owed tick, iteratively (no recursion).
 *
 * Reinjected: a delivery is counted as reinjected when the delivered tick is
 * not the most recent elapsed boundary, i.e. another owed tick remains behind
 * it (backlog >= 2 before the delivery).  A 50-period stall under DELAY gives
 * 50 deliveries of which 49 are reinjected; a tick merely held until the ack
 * within its own period is not reinjected.
 *
 * Counter invariant (E = boundaries accounted since init, counting the
 * boundaries that a stop/restart accounts just before dropping them):
 *     delivered + coalesced + dropped + backlog == E + Dc
 * where Dc is the number of DISCARD deliveries made while the previous tick
 * was in flight (those count in both delivered and coalesced).  In
 * particular, for DELAY/CATCHUP/MERGE alone Dc == 0; for DISCARD alone
 * delivered + dropped + backlog == E.
 *
 * Stop and restart: sc_tick_stop() accounts the boundaries up to now, then
 * drops the backlog (counted as dropped), forgets the tick in flight (a late
 * ack is ignored), cancels the timer and sets period to 0.
 * sc_tick_start() on a running tick is a stop followed by a start.
 *
 * last_delivery is the time of the last deliver(); sc_tick_start() sets it to
 * first - period / catchup_speedup (0 if first is smaller) so that the
 * CATCHUP rate limit does not hold the first tick of a new run.
 *
 * Host misuse with a void API (an out-of-range policy, period 0) is ignored
 * or means "stop" as documented per function.
 */
#include <splitchip/tick.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(struct sc_tick_state_v1) == 80,
	       "sc_tick_state_v1 has fixed layout without implicit padding");
_Static_assert(offsetof(struct sc_tick_state_v1, timer_deadline) == 40,
	       "sc_tick_state_v1 layout");

static const char *const policy_names[] = {
	[SC_TICK_DISCARD] = "discard",
	[SC_TICK_DELAY] = "delay",
	[SC_TICK_CATCHUP] = "catchup",
	[SC_TICK_MERGE] = "merge",
};

#define NPOLICIES (sizeof(policy_names) / sizeof(policy_names[0]))

int sc_tick_policy_parse(const char *name, enum sc_tick_policy *out)
{
	if (!name || !out)
		return -EINVAL;
	for (unsigned i = 0; i < NPOLICIES; i++) {
		if (!strcmp(name, policy_names[i])) {
			*out = (enum sc_tick_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sc_tick_policy_name(enum sc_tick_policy p)
{
	if ((unsigned)p >= NPOLICIES)
		return "invalid";
	return policy_names[p];
}

static bool policy_valid(unsigned p)
{
	return p < NPOLICIES;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Backlog bound of the current policy. */
static uint32_t backlog_cap(const struct sc_tick *t)
{
	if (t->policy == SC_TICK_DELAY || t->policy == SC_TICK_CATCHUP)
		return t->max_backlog ? t->max_backlog : 1;
	return 1;
}

/* Minimum spacing of CATCHUP deliveries. */
static uint64_t catchup_gap(const struct sc_tick *t)
{
	uint32_t speedup = t->catchup_speedup ? t->catchup_speedup : 1;
	return t->period / speedup;
}

/* Ticks over the policy's backlog bound: coalesced for MERGE, else dropped. */
static void count_excess(struct sc_tick *t, uint64_t excess)
{
	if (t->policy == SC_TICK_MERGE)
		t->stats.coalesced = sat_add(t->stats.coalesced, excess);
	else
		t->stats.dropped = sat_add(t->stats.dropped, excess);
}

/* Add @n owed ticks, keeping the backlog within the policy's bound. */
static void owe(struct sc_tick *t, uint64_t n)
{
	uint32_t cap = backlog_cap(t);
	uint64_t excess = 0;

	if (t->backlog > cap) {
		/* The owner lowered max_backlog or the policy changed. */
		excess = t->backlog - cap;
		t->backlog = cap;
	}
	uint64_t room = cap - t->backlog;
	uint64_t take = n < room ? n : room;
	t->backlog += (uint32_t)take;
	excess = sat_add(excess, n - take);
	if (excess)
		count_excess(t, excess);
}

/* Turn every grid boundary <= @now into an owed tick. */
static void account(struct sc_tick *t, uint64_t now)
{
	if (!t->running || !t->period || t->next_period > now)
		return;
	uint64_t n = (now - t->next_period) / t->period + 1;
	if (n > (UINT64_MAX - t->next_period) / t->period)
		t->next_period = UINT64_MAX;    /* beyond the end of time */
	else
		t->next_period += n * t->period;
	owe(t, n);
}

static uint64_t catchup_gate(const struct sc_tick *t)
{
	return sat_add(t->last_delivery, catchup_gap(t));
}

/* May the oldest owed tick be delivered at @now? */
static bool can_deliver(const struct sc_tick *t, uint64_t now)
{
	if (!t->backlog)
		return false;
	switch (t->policy) {
	case SC_TICK_DISCARD:
		return true;
	case SC_TICK_CATCHUP:
		return !t->in_flight && now >= catchup_gate(t);
	default:
		return !t->in_flight;
	}
}

static void deliver_one(struct sc_tick *t, uint64_t now)
{
	if (t->backlog >= 2)
		t->stats.reinjected++;
	if (t->in_flight)
		t->stats.coalesced++;   /* DISCARD only: guest sees one */
	t->backlog--;
	t->stats.delivered++;
	t->in_flight = true;
	t->last_delivery = now;
	if (t->deliver)
		t->deliver(t->opaque, now);
}

/*
 * Present owed ticks while the policy allows.  Runs at most the backlog
 * present on entry (ticks owed by nested host calls wait for the timer).
 */
static void try_deliver(struct sc_tick *t, uint64_t now)
{
	if (t->delivering)
		return;
	t->delivering = true;
	for (uint32_t left = t->backlog; left && can_deliver(t, now); left--)
		deliver_one(t, now);
	t->delivering = false;
}

/* Arm the timer for the next boundary or the next possible delivery. */
static void arm_next(struct sc_tick *t, uint64_t now)
{
	if (!t->running) {
		sc_timer_cancel(t->clock, &t->timer);
		return;
	}
	uint64_t deadline = t->next_period;
	if (t->backlog && (t->policy == SC_TICK_DISCARD || !t->in_flight)) {
		uint64_t d = now;
		if (t->policy == SC_TICK_CATCHUP && catchup_gate(t) > now)
			d = catchup_gate(t);
		if (d < deadline)
			deadline = d;
	}
	if (t->timer.armed && t->timer.deadline == deadline)
		return;
	sc_timer_arm(t->clock, &t->timer, deadline);
}

static void tick_timer_fn(struct sc_timer *timer, void *opaque, uint64_t now)
{
	struct sc_tick *t = opaque;
	(void)timer;
	account(t, now);
	try_deliver(t, now);
	arm_next(t, now);
}

void sc_tick_init(struct sc_tick *t, struct sc_clock *clock,
		  enum sc_tick_policy policy, sc_tick_fn *deliver, void *opaque)
{
	memset(t, 0, sizeof(*t));
	t->clock = clock;
	t->policy = policy_valid((unsigned)policy) ? policy : SC_TICK_DISCARD;
	t->deliver = deliver;
	t->opaque = opaque;
	t->max_backlog = SC_TICK_DEFAULT_MAX_BACKLOG;
	t->catchup_speedup = SC_TICK_DEFAULT_CATCHUP_SPEEDUP;
	sc_timer_init(&t->timer, tick_timer_fn, t);
}

/* An out-of-range policy is host misuse and is ignored. */
void sc_tick_set_policy(struct sc_tick *t, enum sc_tick_policy policy)
{
	if (!policy_valid((unsigned)policy) || policy == t->policy)
		return;
	uint64_t now = sc_clock_now(t->clock);
	account(t, now);                /* under the old policy */
	t->policy = policy;
	owe(t, 0);                      /* re-apply the backlog bound */
	if (t->running)
		arm_next(t, now);
}

/* Stop: account up to @now, then drop what is owed. */
static void stop_at(struct sc_tick *t, uint64_t now)
{
	account(t, now);
	t->stats.dropped = sat_add(t->stats.dropped, t->backlog);
	t->backlog = 0;
	t->in_flight = false;
	t->running = false;
	t->period = 0;
	sc_timer_cancel(t->clock, &t->timer);
}

/* @period 0 stops the tick. */
void sc_tick_start(struct sc_tick *t, uint64_t first, uint64_t period)
{
	uint64_t now = sc_clock_now(t->clock);
	stop_at(t, now);
	if (!period)
		return;
	t->period = period;
	t->next_period = first;
	t->running = true;
	uint64_t gap = catchup_gap(t);
	t->last_delivery = first > gap ? first - gap : 0;
	arm_next(t, now);
}

/* On a stopped tick this does nothing; @period 0 stops the tick. */
void sc_tick_set_period(struct sc_tick *t, uint64_t period)
{
	if (!t->running)
		return;
	if (!period) {
		sc_tick_stop(t);
		return;
	}
	uint64_t now = sc_clock_now(t->clock);
	account(t, now);                /* boundaries so far use the old period */
	t->period = period;
	arm_next(t, now);
}

void sc_tick_stop(struct sc_tick *t)
{
	stop_at(t, sc_clock_now(t->clock));
}

void sc_tick_ack(struct sc_tick *t)
{
	if (!t->in_flight)
		return;                 /* spurious or after stop: ignored */
	t->in_flight = false;
	if (t->delivering)
		return;                 /* the delivery loop presents the next */
	uint64_t now = sc_clock_now(t->clock);
	account(t, now);
	try_deliver(t, now);
	arm_next(t, now);
}

void sc_tick_set_affinity(struct sc_tick *t, int vcpu)
{
	sc_timer_set_affinity(t->clock, &t->timer, vcpu);
}

void sc_tick_save(const struct sc_tick *t, struct sc_tick_state_v1 *s)
{
	memset(s, 0, sizeof(*s));
	s->period = t->period;
	s->next_period = t->next_period;
	s->last_delivery = t->last_delivery;
	s->backlog = t->backlog;
	s->max_backlog = t->max_backlog;
	s->catchup_speedup = t->catchup_speedup;
	s->policy = (uint8_t)t->policy;
	s->in_flight = t->in_flight;
	s->running = t->running;
	s->timer_deadline = t->timer.armed ? t->timer.deadline : 0;
	s->stats = t->stats;
}

/*
 * A running tick has a period, its timer is never later than the next
 * boundary, and the last delivery is not after the next boundary.  A stopped
 * tick owes nothing, has nothing in flight and no timer.
 */
int sc_tick_validate(const struct sc_tick_state_v1 *s)
{
	if (!s)
		return -EINVAL;
	if (!policy_valid(s->policy) || s->in_flight > 1 || s->running > 1 || s->pad)
		return -EINVAL;
	if (!s->max_backlog || !s->catchup_speedup)
		return -EINVAL;
	uint32_t cap = (s->policy == SC_TICK_DELAY || s->policy == SC_TICK_CATCHUP)
			       ? s->max_backlog : 1;
	if (s->backlog > cap)
		return -EINVAL;
	if (s->running) {
		if (!s->period || s->timer_deadline > s->next_period ||
		    s->last_delivery > s->next_period)
			return -EINVAL;
	} else {
		if (s->period || s->backlog || s->in_flight || s->timer_deadline)
			return -EINVAL;
	}
	return 0;
}

int sc_tick_restore(struct sc_tick *t, const struct sc_tick_state_v1 *s)
{
	if (sc_tick_validate(s))
		return -EINVAL;
	sc_timer_cancel(t->clock, &t->timer);
	t->period = s->period;
	t->next_period = s->next_period;
	t->last_delivery = s->last_delivery;
	t->backlog = s->backlog;
	t->max_backlog = s->max_backlog;
	t->catchup_speedup = s->catchup_speedup;
	t->policy = (enum sc_tick_policy)s->policy;
	t->in_flight = s->in_flight;
	t->running = s->running;
	t->stats = s->stats;
	if (!t->running)
		return 0;
	if (s->timer_deadline)
		sc_timer_arm(t->clock, &t->timer, s->timer_deadline);
	else    /* saved from inside a callback, or armed at time 0 */
		arm_next(t, sc_clock_now(t->clock));
	return 0;
}
