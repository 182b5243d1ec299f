/* SPDX-License-Identifier: MIT */
/*
 * HPET: IA-PC HPET specification 1.0a.  See include/splitchip/hpet.h for
 * the model's choices.
 *
 * Time model.  While ENABLE_CNF is set the main counter is
 *     counter + (now - counter_time) / SC_HPET_TICK_NS
 * and every timer's schedule is kept in "elapsed ticks since counter_time"
 * (e), so counter wrap-around never confuses a comparison.  Clearing
 * ENABLE_CNF folds the elapsed ticks into h->counter, materialises each
 * comparator and stops every timer; setting it restarts them from the
 * registers.  Nothing is ever ticked.
 *
 * Schedules:
 *   SCHED_EQ    an equality comparator: an event at every e whose counter
 *               value matches the comparator in the timer's width (32 or
 *               64 bits), plus every 32-bit wrap when .wrap is set (one-shot
 *               32-bit timers, 2.3.9.2.1).  Driven by a plain sc_timer.
 *   SCHED_TICK  periodic (2.3.9.2.2): matches at anchor_e + k * period.  The
 *               interrupts go through the tick engine; the comparator value
 *               the guest reads is computed from time.
 */
#include <splitchip/hpet.h>

#include <errno.h>
#include <string.h>

enum { SCHED_NONE = 0, SCHED_EQ = 1, SCHED_TICK = 2 };

#define HPET_REV_ID 1u
#define TN_WRITABLE (HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF | \
		     HPET_TN_TYPE_CNF | HPET_TN_32MODE_CNF | \
		     HPET_TN_INT_ROUTE_CNF_MASK | HPET_TN_FSB_EN_CNF)
#define GEN_CONF_WRITABLE (HPET_ENABLE_CNF | HPET_LEG_RT_CNF)
/* Largest period (ticks) whose length in ns still fits the tick engine. */
#define MAX_TICK_PERIOD (UINT64_MAX / SC_HPET_TICK_NS / 2)

_Static_assert(HPET_TN_CONF(24) == SC_HPET_MMIO_SIZE,
	       "24 timers fill the 1 KiB block (2.3.1)");
_Static_assert(HPET_TN_CONF(SC_HPET_MAX_TIMERS) == SC_HPET_MMIO_SIZE_MAX,
	       "32 timers need 0x500 bytes");
_Static_assert(HPET_TN_FSB_ROUTE(0) == 0x110u, "Table 2");
_Static_assert(sizeof(struct sc_hpet_timer_state_v1) == 152,
	       "timer state has no implicit padding");
_Static_assert(sizeof(struct sc_hpet_state_v1) == 40 + 32 * 152,
	       "state has no implicit padding");

static const char CHIP[] = "hpet";

/* ------------------------------------------------------------ helpers */

static bool enabled(const struct sc_hpet *h)
{
	return h->gen_conf & HPET_ENABLE_CNF;
}

static bool legacy(const struct sc_hpet *h)
{
	return h->gen_conf & HPET_LEG_RT_CNF;
}

static bool is32(const struct sc_hpet_timer *t)
{
	return !(t->caps & HPET_TN_SIZE_CAP) || (t->config & HPET_TN_32MODE_CNF);
}

static uint64_t width_mask(const struct sc_hpet_timer *t)
{
	return is32(t) ? UINT32_MAX : UINT64_MAX;
}

static bool periodic(const struct sc_hpet_timer *t)
{
	return t->config & HPET_TN_TYPE_CNF;
}

static bool level(const struct sc_hpet_timer *t)
{
	return t->config & HPET_TN_INT_TYPE_CNF;
}

static unsigned route_of(const struct sc_hpet_timer *t)
{
	return (unsigned)((t->config & HPET_TN_INT_ROUTE_CNF_MASK) >>
			  HPET_TN_INT_ROUTE_CNF_SHIFT);
}

static uint32_t route_cap(const struct sc_hpet_timer *t)
{
	return (uint32_t)(t->caps >> HPET_TN_INT_ROUTE_CAP_SHIFT);
}

/* Timers 0 and 1 ignore their routes in legacy replacement mode (2.3.5). */
static bool legacy_routed(const struct sc_hpet *h, unsigned n)
{
	return legacy(h) && n < 2;
}

/*
 * Can a match of @t be seen at all?  Level mode sets the status bit (2.3.6)
 * and Tn_INT_ENB_CNF lets it interrupt; an edge timer with its interrupt
 * disabled changes nothing but its comparator, which cmp_read() computes
 * from time.  A periodic timer that cannot be seen keeps its schedule
 * (SCHED_TICK, anchor and period) with the tick engine stopped: no host
 * timer per period for a comparator nobody looks at (Linux leaves timer 0
 * periodic with the interrupt off once the LAPIC timer takes over: 250 host
 * wake-ups a second, each an exit of the vCPU the timer follows).
 */
static bool observable_cfg(uint64_t config)
{
	return config & (HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF);
}

static bool uses_fsb(const struct sc_hpet *h, const struct sc_hpet_timer *t)
{
	return (t->config & HPET_TN_FSB_EN_CNF) && !legacy_routed(h, t->index);
}

/* Elapsed ticks since counter_time (0 while halted). */
static uint64_t elapsed(const struct sc_hpet *h)
{
	if (!enabled(h))
		return 0;
	uint64_t now = sc_clock_now(h->clock);
	if (now <= h->counter_time)
		return 0;
	return (now - h->counter_time) / SC_HPET_TICK_NS;
}

/* Virtual time of elapsed tick @e; false if beyond the end of time. */
static bool e_to_ns(const struct sc_hpet *h, uint64_t e, uint64_t *ns)
{
	if (e > (UINT64_MAX - h->counter_time) / SC_HPET_TICK_NS)
		return false;
	*ns = h->counter_time + e * SC_HPET_TICK_NS;
	return true;
}

/*
 * A periodic timer's interrupts follow its comparator exactly unless the
 * period (ticks, <= MAX_TICK_PERIOD) is shorter than the interrupt ceiling
 * min_tick_ns (host protection, as the PIT's SC_PIT_MIN_TICK_NS).
 */
static bool exact_period(uint64_t min_tick_ns, uint64_t period)
{
	return period * SC_HPET_TICK_NS >= min_tick_ns;
}

/* Tick engine period: the comparator period, raised to the ceiling.  The
 * comparator the guest reads keeps the programmed period. */
static uint64_t tick_period_ns(const struct sc_hpet *h, uint64_t period)
{
	return exact_period(h->min_tick_ns, period) ? period * SC_HPET_TICK_NS
						    : h->min_tick_ns;
}

/* ------------------------------------------------------------ outputs */

/* Level of every output implied by the status bits (2.3.6). */
static void levels(const struct sc_hpet *h, uint32_t *pins, uint32_t *leg)
{
	*pins = 0;
	*leg = 0;
	if (!enabled(h))
		return;
	for (unsigned n = 0; n < h->timers; n++) {
		const struct sc_hpet_timer *t = &h->t[n];
		if (!(h->isr & (1ull << n)) || !level(t) ||
		    !(t->config & HPET_TN_INT_ENB_CNF) || uses_fsb(h, t))
			continue;
		if (legacy_routed(h, n))
			*leg |= 1u << n;
		else if (route_cap(t) & (1u << route_of(t)))
			*pins |= 1u << route_of(t);
	}
}

static void drive_pin(struct sc_hpet *h, unsigned pin, bool lvl)
{
	sc_trace_emit(&h->trace, CHIP, "set_irq", pin, lvl);
	if (h->irq.set_irq)
		h->irq.set_irq(h->irq.opaque, pin, lvl);
}

static void drive_legacy(struct sc_hpet *h, unsigned which, bool lvl)
{
	unsigned irq = which ? SC_HPET_LEGACY_IRQ_TIMER1 : SC_HPET_LEGACY_IRQ_TIMER0;
	sc_trace_emit(&h->trace, CHIP, "set_legacy", irq, lvl);
	if (h->irq.set_legacy)
		h->irq.set_legacy(h->irq.opaque, irq, lvl);
}

/* Bring every output to the level the state implies. */
static void update_lines(struct sc_hpet *h)
{
	uint32_t pins, leg;
	levels(h, &pins, &leg);
	uint32_t dp = pins ^ h->pin_level, dl = leg ^ h->legacy_level;
	h->pin_level = pins;
	h->legacy_level = leg;
	for (unsigned i = 0; i < 32; i++)
		if (dp & (1u << i))
			drive_pin(h, i, pins & (1u << i));
	for (unsigned i = 0; i < 2; i++)
		if (dl & (1u << i))
			drive_legacy(h, i, leg & (1u << i));
}

/* One timer event: edge pulse, level status, or FSB message. */
static void fire(struct sc_hpet *h, struct sc_hpet_timer *t, bool from_tick)
{
	unsigned n = t->index;
	bool enb = t->config & HPET_TN_INT_ENB_CNF;
	bool auto_ack = true;

	sc_trace_emit(&h->trace, CHIP, "fire", n, sc_clock_now(h->clock));
	if (uses_fsb(h, t)) {
		if (enb) {
			struct sc_msi m = {
				.address = t->fsb >> 32,
				.data = (uint32_t)t->fsb,
			};
			sc_trace_emit(&h->trace, CHIP, "fsb", m.address, m.data);
			sc_msi_send(&h->fsb_sink, &m);
		}
	} else if (level(t)) {
		h->isr |= 1ull << n;
		update_lines(h);
		auto_ack = false;   /* acked by the status write */
	} else if (enb) {
		/* A pulse; a line held high by a level timer shows no edge. */
		bool pulsed = false;
		if (legacy_routed(h, n)) {
			if (!(h->legacy_level & (1u << n))) {
				drive_legacy(h, n, true);
				drive_legacy(h, n, false);
				pulsed = true;
			}
		} else if (route_cap(t) & (1u << route_of(t))) {
			unsigned pin = route_of(t);
			if (!(h->pin_level & (1u << pin))) {
				drive_pin(h, pin, true);
				drive_pin(h, pin, false);
				pulsed = true;
			}
		}
		/* The board can only acknowledge what reached a pin. */
		auto_ack = !pulsed || !(h->board_ack_mask & (1u << n));
	}
	if (from_tick && auto_ack)
		sc_tick_ack(&t->tick);
}

/* ------------------------------------------------------------ schedule */

/*
 * Next event of an equality schedule at or after elapsed tick @from, the
 * main counter reading @counter at elapsed tick 0.
 */
static bool eq_next_from(uint64_t counter, const struct sc_hpet_timer *t,
			 uint64_t from, uint64_t *out)
{
	uint64_t c = counter + from;
	uint64_t d = (t->cmp - c) & width_mask(t);
	if (t->wrap) {
		/* A wrap is the counter stepping to a multiple of 2^32; the
		 * value the counter was started at is no wrap. */
		uint64_t dw = (0 - c) & UINT32_MAX;
		if (!dw && !from)
			dw = 1ull << 32;
		if (dw < d)
			d = dw;
	}
	if (d > UINT64_MAX - from)
		return false;
	*out = from + d;
	return true;
}

static bool eq_next(const struct sc_hpet *h, const struct sc_hpet_timer *t,
		    uint64_t from, uint64_t *out)
{
	return eq_next_from(h->counter, t, from, out);
}

static void eq_arm(struct sc_hpet *h, struct sc_hpet_timer *t)
{
	uint64_t e, ns;
	if (eq_next(h, t, t->from_e, &e) && e_to_ns(h, e, &ns)) {
		t->next_e = e;
		sc_timer_arm(h->clock, &t->timer, ns);
	} else {
		sc_timer_cancel(h->clock, &t->timer);
	}
}

static void eq_timer_fn(struct sc_timer *timer, void *opaque, uint64_t now)
{
	struct sc_hpet_timer *t = opaque;
	struct sc_hpet *h = t->hpet;
	(void)timer;
	(void)now;
	if (!enabled(h) || t->sched != SCHED_EQ)
		return;
	fire(h, t, false);
	/* Events missed during a host stall collapse into this one. */
	uint64_t e = elapsed(h);
	t->from_e = t->next_e + 1 > e ? t->next_e + 1 : e;
	if (t->next_e == UINT64_MAX)
		t->sched = SCHED_NONE;
	else
		eq_arm(h, t);
}

static void tick_deliver(void *opaque, uint64_t now)
{
	struct sc_hpet_timer *t = opaque;
	(void)now;
	fire(t->hpet, t, true);
}

/* Comparator as the guest reads it (2.3.9.2.2: the next match). */
static uint64_t cmp_read(const struct sc_hpet *h, const struct sc_hpet_timer *t)
{
	if (t->sched != SCHED_TICK || !enabled(h))
		return t->cmp & width_mask(t);
	uint64_t e = elapsed(h), next = t->anchor_e;
	if (e >= t->anchor_e)
		next += ((e - t->anchor_e) / t->period + 1) * t->period;
	return (h->counter + next) & width_mask(t);
}

static void sched_stop(struct sc_hpet *h, struct sc_hpet_timer *t)
{
	sc_timer_cancel(h->clock, &t->timer);
	sc_tick_stop(&t->tick);
	t->sched = SCHED_NONE;
	t->wrap = false;
}

/* Fold the running schedule into the comparator register. */
static void materialise(struct sc_hpet *h, struct sc_hpet_timer *t)
{
	t->cmp = cmp_read(h, t);
}

/*
 * (Re)start @t's schedule from its registers at the current time.  Callers
 * materialise() first when the old schedule may have moved the comparator.
 */
static void sched_start(struct sc_hpet *h, struct sc_hpet_timer *t)
{
	sched_stop(h, t);
	if (!enabled(h))
		return;
	uint64_t e = elapsed(h);
	if (t->from_e < e)
		t->from_e = e;
	if (periodic(t) && t->period != 0 && t->period <= MAX_TICK_PERIOD) {
		uint64_t first, ns;
		if (!eq_next(h, t, t->from_e, &first) || !e_to_ns(h, first, &ns))
			return;   /* 64-bit comparator behind the counter: never */
		t->anchor_e = first;
		t->sched = SCHED_TICK;
		if (observable_cfg(t->config))
			sc_tick_start(&t->tick, ns, tick_period_ns(h, t->period));
		return;
	}
	/*
	 * One-shot, or a periodic comparator that never moves.  An unobservable
	 * one-shot (edge, interrupt disabled: no status, no pin) needs no timer.
	 */
	if (!periodic(t) && !level(t) && !(t->config & HPET_TN_INT_ENB_CNF))
		return;
	t->wrap = !periodic(t) && is32(t);
	t->sched = SCHED_EQ;
	eq_arm(h, t);
}

/* ------------------------------------------------------------ lifecycle */

static void timer_reset(struct sc_hpet *h, struct sc_hpet_timer *t)
{
	sched_stop(h, t);
	t->config = 0;
	/* Model choice: all ones, so enabling the counter before the guest
	 * programs a comparator produces no match for a very long time. */
	t->cmp = width_mask(t);
	t->period = 0;
	t->fsb = 0;
	t->val_set = false;
	t->wrap = false;
	t->next_e = t->from_e = t->anchor_e = 0;
}

void sc_hpet_reset(struct sc_hpet *h)
{
	bool was_legacy = legacy(h);
	h->gen_conf = 0;
	h->isr = 0;
	h->counter = 0;
	h->counter_time = sc_clock_now(h->clock);
	for (unsigned n = 0; n < h->timers; n++)
		timer_reset(h, &h->t[n]);
	update_lines(h);
	if (was_legacy && h->irq.legacy_mode)
		h->irq.legacy_mode(h->irq.opaque, false);
}

int sc_hpet_init(struct sc_hpet *h, struct sc_clock *clock,
		 const struct sc_hpet_config *cfg,
		 const struct sc_hpet_irq_ops *irq,
		 const struct sc_msi_sink *fsb, const struct sc_trace *trace)
{
	static const struct sc_hpet_config defaults;
	if (!h || !clock)
		return -EINVAL;
	if (!cfg)
		cfg = &defaults;
	unsigned timers = cfg->timers ? cfg->timers : SC_HPET_DEFAULT_TIMERS;
	if (timers < SC_HPET_MIN_TIMERS || timers > SC_HPET_MAX_TIMERS ||
	    (unsigned)cfg->policy > SC_TICK_MERGE)
		return -EINVAL;

	memset(h, 0, sizeof(*h));
	h->clock = clock;
	if (irq)
		h->irq = *irq;
	if (fsb)
		h->fsb_sink = *fsb;
	if (trace)
		h->trace = *trace;
	h->timers = timers;
	h->vendor_id = cfg->vendor_id ? cfg->vendor_id : SC_HPET_VENDOR_INTEL;
	h->board_ack_mask = cfg->board_ack_mask;
	h->min_tick_ns = cfg->min_tick_ns ? cfg->min_tick_ns : SC_HPET_MIN_TICK_NS;
	for (unsigned n = 0; n < timers; n++) {
		struct sc_hpet_timer *t = &h->t[n];
		uint32_t bit = 1u << n;
		uint32_t cap = cfg->route_cap[n] ? cfg->route_cap[n]
						 : SC_HPET_DEFAULT_ROUTE_CAP;
		t->hpet = h;
		t->index = n;
		t->caps = (uint64_t)cap << HPET_TN_INT_ROUTE_CAP_SHIFT;
		if (n == 0 || (cfg->periodic_mask & bit))
			t->caps |= HPET_TN_PER_INT_CAP;
		if (n == 0 || (cfg->size64_mask & bit))
			t->caps |= HPET_TN_SIZE_CAP;
		if (cfg->fsb_mask & bit)
			t->caps |= HPET_TN_FSB_INT_DEL_CAP;
		sc_timer_init(&t->timer, eq_timer_fn, t);
		sc_tick_init(&t->tick, clock, cfg->policy, tick_deliver, t);
	}
	sc_hpet_reset(h);
	return 0;
}

void sc_hpet_destroy(struct sc_hpet *h)
{
	if (!h || !h->clock)
		return;
	for (unsigned n = 0; n < h->timers; n++)
		sched_stop(h, &h->t[n]);
}

/* ------------------------------------------------------------ registers */

static uint64_t gcap(const struct sc_hpet *h)
{
	return HPET_REV_ID |
	       ((uint64_t)(h->timers - 1) << HPET_GCAP_NUM_TIM_CAP_SHIFT) |
	       HPET_GCAP_COUNT_SIZE_CAP | HPET_GCAP_LEG_RT_CAP |
	       ((uint64_t)h->vendor_id << HPET_GCAP_VENDOR_ID_SHIFT) |
	       ((uint64_t)SC_HPET_CLK_PERIOD_FS << HPET_GCAP_COUNTER_CLK_PERIOD_SHIFT);
}

static uint64_t main_counter(const struct sc_hpet *h)
{
	return h->counter + elapsed(h);
}

/* Read the whole 64-bit register at 8-aligned @reg. */
static uint64_t reg_read(struct sc_hpet *h, uint64_t reg)
{
	switch (reg) {
	case HPET_GCAP_ID:
		return gcap(h);
	case HPET_GEN_CONF:
		return h->gen_conf;
	case HPET_GINTR_STA:
		return h->isr;
	case HPET_MAIN_CNT:
		return main_counter(h);
	}
	if (reg < HPET_TN_CONF(0))
		return 0;
	unsigned n = (unsigned)((reg - HPET_TN_CONF(0)) / 0x20);
	if (n >= h->timers)
		return 0;
	struct sc_hpet_timer *t = &h->t[n];
	switch ((reg - HPET_TN_CONF(0)) % 0x20) {
	case 0x00:
		return t->caps | t->config;
	case 0x08:
		return cmp_read(h, t);
	case 0x10:
		return (t->caps & HPET_TN_FSB_INT_DEL_CAP) ? t->fsb : 0;
	}
	return 0;
}

static void set_gen_conf(struct sc_hpet *h, uint64_t val)
{
	uint64_t old = h->gen_conf;
	uint64_t now = sc_clock_now(h->clock);
	val &= GEN_CONF_WRITABLE;
	if (val == old)
		return;
	if ((old & HPET_ENABLE_CNF) && !(val & HPET_ENABLE_CNF)) {
		/* Halt: fold time into the registers, stop every timer. */
		for (unsigned n = 0; n < h->timers; n++) {
			materialise(h, &h->t[n]);
			sched_stop(h, &h->t[n]);
		}
		h->counter = main_counter(h);
		h->counter_time = now;
		h->gen_conf = val;
	} else if (!(old & HPET_ENABLE_CNF) && (val & HPET_ENABLE_CNF)) {
		h->counter_time = now;
		h->gen_conf = val;
		for (unsigned n = 0; n < h->timers; n++) {
			h->t[n].from_e = 0;
			sched_start(h, &h->t[n]);
		}
	} else {
		h->gen_conf = val;
	}
	update_lines(h);
	if (((old ^ val) & HPET_LEG_RT_CNF) && h->irq.legacy_mode)
		h->irq.legacy_mode(h->irq.opaque, val & HPET_LEG_RT_CNF);
}

static void write_status(struct sc_hpet *h, uint64_t val)
{
	uint64_t clr = val & h->isr;
	h->isr &= ~clr;
	update_lines(h);
	for (unsigned n = 0; n < h->timers; n++)
		if ((clr & (1ull << n)) && h->t[n].sched == SCHED_TICK)
			sc_tick_ack(&h->t[n].tick);
}

static void write_tn_conf(struct sc_hpet *h, struct sc_hpet_timer *t,
			  uint64_t val)
{
	uint64_t wmask = TN_WRITABLE & ~HPET_TN_INT_ROUTE_CNF_MASK;
	if (!(t->caps & HPET_TN_PER_INT_CAP))
		wmask &= ~HPET_TN_TYPE_CNF;
	if (!(t->caps & HPET_TN_SIZE_CAP))
		wmask &= ~HPET_TN_32MODE_CNF;
	if (!(t->caps & HPET_TN_FSB_INT_DEL_CAP))
		wmask &= ~HPET_TN_FSB_EN_CNF;
	uint64_t nc = (t->config & ~wmask) | (val & wmask);
	unsigned route = (unsigned)((val & HPET_TN_INT_ROUTE_CNF_MASK) >>
				    HPET_TN_INT_ROUTE_CNF_SHIFT);
	if (route_cap(t) & (1u << route))
		nc = (nc & ~HPET_TN_INT_ROUTE_CNF_MASK) |
		     (val & HPET_TN_INT_ROUTE_CNF_MASK);
	else if (route != route_of(t))
		sc_trace_emit(&h->trace, CHIP, "route_refused", t->index, route);
	if (val & HPET_TN_VAL_SET_CNF)
		t->val_set = true;

	uint64_t changed = nc ^ t->config;
	if (!changed)
		return;
	materialise(h, t);
	t->config = nc;
	if ((changed & HPET_TN_32MODE_CNF) && is32(t)) {
		t->cmp &= UINT32_MAX;
		t->period &= UINT32_MAX;
	}
	if ((changed & HPET_TN_INT_TYPE_CNF) && !level(t) &&
	    (h->isr & (1ull << t->index))) {
		/* Edge mode ignores the status bit (2.3.6): drop it. */
		h->isr &= ~(1ull << t->index);
		if (t->sched == SCHED_TICK)
			sc_tick_ack(&t->tick);
	}
	if ((changed & (HPET_TN_TYPE_CNF | HPET_TN_32MODE_CNF)) ||
	    (!periodic(t) &&
	     (changed & (HPET_TN_INT_TYPE_CNF | HPET_TN_INT_ENB_CNF))) ||
	    (periodic(t) && observable_cfg(t->config) != observable_cfg(t->config ^ changed)))
		sched_start(h, t);   /* a periodic one seen again: from its next match */
	update_lines(h);
}

/* Comparator write of the bits in @mask (2.3.8, 2.3.9.2). */
static void write_tn_cmp(struct sc_hpet *h, struct sc_hpet_timer *t,
			 uint64_t val, uint64_t mask)
{
	mask &= width_mask(t);
	if (!mask)
		return;
	if (t->sched == SCHED_TICK && periodic(t) && !t->val_set && t->tick.running) {
		/*
		 * A new rate: the pending match stays, the value is added from
		 * that match on (2.3.9.2.2).  The tick engine keeps its
		 * backlog and spaces the boundaries after the next one anew.
		 * A clamped grid (either period below the ceiling) is not the
		 * comparator's: restart from the pending match instead (below).
		 */
		uint64_t np = (t->period & ~mask) | (val & mask);
		if (np && np <= MAX_TICK_PERIOD && exact_period(h->min_tick_ns, np) &&
		    exact_period(h->min_tick_ns, t->period)) {
			uint64_t e = elapsed(h);
			if (e >= t->anchor_e)
				t->anchor_e += ((e - t->anchor_e) / t->period + 1) *
					       t->period;
			t->period = np;
			sc_tick_set_period(&t->tick, np * SC_HPET_TICK_NS);
			return;
		}
	}
	materialise(h, t);
	if (!periodic(t) || t->val_set)
		t->cmp = (t->cmp & ~mask) | (val & mask);
	t->period = (t->period & ~mask) | (val & mask);
	t->val_set = false;
	sched_start(h, t);
}

static void write_tn_fsb(struct sc_hpet_timer *t, uint64_t val, uint64_t mask)
{
	if (t->caps & HPET_TN_FSB_INT_DEL_CAP)
		t->fsb = (t->fsb & ~mask) | (val & mask);
}

/* Write the bits @mask of the 64-bit register at 8-aligned @reg. */
static void reg_write(struct sc_hpet *h, uint64_t reg, uint64_t val,
		      uint64_t mask)
{
	val &= mask;
	switch (reg) {
	case HPET_GCAP_ID:
		return;
	case HPET_GEN_CONF:
		set_gen_conf(h, (h->gen_conf & ~mask) | val);
		return;
	case HPET_GINTR_STA:
		write_status(h, val);
		return;
	case HPET_MAIN_CNT:
		if (enabled(h)) {
			sc_trace_emit(&h->trace, CHIP, "counter_write_running", val, mask);
			return;
		}
		h->counter = (h->counter & ~mask) | val;
		return;
	}
	if (reg < HPET_TN_CONF(0))
		return;
	unsigned n = (unsigned)((reg - HPET_TN_CONF(0)) / 0x20);
	if (n >= h->timers)
		return;
	struct sc_hpet_timer *t = &h->t[n];
	switch ((reg - HPET_TN_CONF(0)) % 0x20) {
	case 0x00:
		if (mask & UINT32_MAX)
			write_tn_conf(h, t, (t->config & ~mask) | val);
		return;
	case 0x08:
		write_tn_cmp(h, t, val, mask);
		return;
	case 0x10:
		write_tn_fsb(t, val, mask);
		return;
	}
}

static uint64_t ones(unsigned size)
{
	return size >= 1 && size < 8 ? (1ull << (8 * size)) - 1 : UINT64_MAX;
}

static bool access_ok(uint64_t offset, unsigned size)
{
	return (size == 4 && !(offset & 3)) || (size == 8 && !(offset & 7));
}

uint64_t sc_hpet_mmio_read(struct sc_hpet *h, uint64_t offset, unsigned size)
{
	if (offset >= SC_HPET_MMIO_SIZE_MAX || !access_ok(offset, size))
		return ones(size);
	uint64_t v = reg_read(h, offset & ~7ull);
	if (size == 4)
		v = (uint32_t)(v >> (8 * (offset & 4)));
	return v;
}

void sc_hpet_mmio_write(struct sc_hpet *h, uint64_t offset, unsigned size,
			uint64_t val)
{
	if (offset >= SC_HPET_MMIO_SIZE_MAX || !access_ok(offset, size)) {
		sc_trace_emit(&h->trace, CHIP, "bad_write", offset, size);
		return;
	}
	uint64_t mask = UINT64_MAX;
	if (size == 4) {
		unsigned shift = 8 * (offset & 4);
		mask = (uint64_t)UINT32_MAX << shift;
		val = (val & UINT32_MAX) << shift;
	}
	reg_write(h, offset & ~7ull, val, mask);
}

/* ------------------------------------------------------------ host API */

int sc_hpet_set_policy(struct sc_hpet *h, unsigned timer, enum sc_tick_policy p)
{
	if (!h || timer >= h->timers || (unsigned)p > SC_TICK_MERGE)
		return -EINVAL;
	sc_tick_set_policy(&h->t[timer].tick, p);
	return 0;
}

struct sc_tick *sc_hpet_tick(struct sc_hpet *h, unsigned timer)
{
	if (!h || timer >= h->timers)
		return NULL;
	return &h->t[timer].tick;
}

int sc_hpet_ack(struct sc_hpet *h, unsigned timer)
{
	if (!h || timer >= h->timers)
		return -EINVAL;
	struct sc_hpet_timer *t = &h->t[timer];
	if (t->sched == SCHED_TICK && !level(t) && t->tick.running)
		sc_tick_ack(&t->tick);
	return 0;
}

int sc_hpet_set_affinity(struct sc_hpet *h, unsigned timer, int vcpu)
{
	if (!h || timer >= h->timers || vcpu < -1)
		return -EINVAL;
	sc_timer_set_affinity(h->clock, &h->t[timer].timer, vcpu);
	sc_tick_set_affinity(&h->t[timer].tick, vcpu);
	return 0;
}

bool sc_hpet_legacy_enabled(const struct sc_hpet *h)
{
	return h && legacy(h);
}

/* ------------------------------------------------------------ save/restore */

void sc_hpet_save(const struct sc_hpet *h, struct sc_hpet_state_v1 *s)
{
	memset(s, 0, sizeof(*s));
	s->version = 1;
	s->timers = h->timers;
	s->gen_conf = h->gen_conf;
	s->isr = h->isr;
	s->counter = h->counter;
	s->counter_time = h->counter_time;
	for (unsigned n = 0; n < h->timers; n++) {
		const struct sc_hpet_timer *t = &h->t[n];
		struct sc_hpet_timer_state_v1 *ts = &s->timer[n];
		ts->config = t->config;
		ts->cmp = t->cmp;
		ts->period = t->period;
		ts->fsb = t->fsb;
		ts->next_e = t->next_e;
		ts->from_e = t->from_e;
		ts->anchor_e = t->anchor_e;
		ts->sched = t->sched;
		ts->wrap = t->wrap;
		ts->val_set = t->val_set;
		ts->armed = t->timer.armed;
		ts->deadline = t->timer.armed ? t->timer.deadline : 0;
		sc_tick_save(&t->tick, &ts->tick);
	}
}

static bool zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

static int validate_timer(const struct sc_hpet_state_v1 *s,
			  const struct sc_hpet_timer_state_v1 *ts)
{
	bool is64 = !(ts->config & HPET_TN_32MODE_CNF);
	if (ts->config & ~TN_WRITABLE)
		return -EINVAL;
	if (ts->sched > SCHED_TICK || ts->wrap > 1 || ts->val_set > 1 ||
	    ts->armed > 1 || ts->pad)
		return -EINVAL;
	if (!is64 && ((ts->cmp | ts->period) >> 32))
		return -EINVAL;
	if (ts->sched != SCHED_NONE && !(s->gen_conf & HPET_ENABLE_CNF))
		return -EINVAL;
	if (ts->armed && ts->sched != SCHED_EQ)
		return -EINVAL;
	if (!ts->armed && ts->deadline)
		return -EINVAL;
	if (ts->sched == SCHED_TICK &&
	    (!(ts->config & HPET_TN_TYPE_CNF) || ts->period == 0 ||
	     ts->period > MAX_TICK_PERIOD || ts->wrap ||
	     ts->tick.running != observable_cfg(ts->config)))
		return -EINVAL;   /* the tick runs exactly while a match can be seen */
	if (ts->sched != SCHED_TICK && ts->tick.running)
		return -EINVAL;
	if (ts->wrap && (ts->config & HPET_TN_TYPE_CNF))
		return -EINVAL;
	return sc_tick_validate(&ts->tick);
}

/* Schedule fields agree with each other and with the counter origin. */
static int validate_sched(const struct sc_hpet_state_v1 *s,
			  const struct sc_hpet_timer_state_v1 *ts)
{
	uint64_t lim = (UINT64_MAX - s->counter_time) / SC_HPET_TICK_NS;
	if (ts->armed &&
	    (ts->next_e > lim ||
	     ts->deadline != s->counter_time + ts->next_e * SC_HPET_TICK_NS))
		return -EINVAL;
	if (ts->sched == SCHED_TICK && !ts->tick.running && ts->anchor_e > lim)
		return -EINVAL;
	if (ts->sched == SCHED_TICK && ts->tick.running) {
		/* The tick runs at the period or at a (chip-specific, see
		 * compatible()) ceiling above it. */
		if (ts->anchor_e > lim || ts->tick.period < ts->period * SC_HPET_TICK_NS)
			return -EINVAL;
		uint64_t first = s->counter_time + ts->anchor_e * SC_HPET_TICK_NS;
		/* A clamped tick runs on its own grid from the first match. */
		if (ts->tick.next_period != UINT64_MAX &&
		    (ts->tick.next_period < first ||
		     (ts->tick.period == ts->period * SC_HPET_TICK_NS &&
		      (ts->tick.next_period - first) % ts->tick.period)))
			return -EINVAL;
	}
	return 0;
}

int sc_hpet_validate(const struct sc_hpet_state_v1 *s)
{
	if (!s || s->version != 1 || s->timers < SC_HPET_MIN_TIMERS ||
	    s->timers > SC_HPET_MAX_TIMERS)
		return -EINVAL;
	if (s->gen_conf & ~GEN_CONF_WRITABLE)
		return -EINVAL;
	if (s->isr >> s->timers)
		return -EINVAL;
	for (unsigned n = 0; n < s->timers; n++) {
		const struct sc_hpet_timer_state_v1 *ts = &s->timer[n];
		if (validate_timer(s, ts) || validate_sched(s, ts))
			return -EINVAL;
		if ((s->isr & (1ull << n)) && !(ts->config & HPET_TN_INT_TYPE_CNF))
			return -EINVAL;
	}
	for (unsigned n = s->timers; n < SC_HPET_MAX_TIMERS; n++)
		if (!zero(&s->timer[n], sizeof(s->timer[n])))
			return -EINVAL;
	return 0;
}

/* Checks that depend on this chip's capabilities. */
static int compatible(const struct sc_hpet *h, const struct sc_hpet_state_v1 *s)
{
	if (s->timers != h->timers)
		return -EINVAL;
	for (unsigned n = 0; n < h->timers; n++) {
		const struct sc_hpet_timer *t = &h->t[n];
		const struct sc_hpet_timer_state_v1 *ts = &s->timer[n];
		unsigned route = (unsigned)((ts->config & HPET_TN_INT_ROUTE_CNF_MASK) >>
					    HPET_TN_INT_ROUTE_CNF_SHIFT);
		if ((ts->config & HPET_TN_TYPE_CNF) && !(t->caps & HPET_TN_PER_INT_CAP))
			return -EINVAL;
		if ((ts->config & HPET_TN_32MODE_CNF) && !(t->caps & HPET_TN_SIZE_CAP))
			return -EINVAL;
		if ((ts->config & HPET_TN_FSB_EN_CNF) &&
		    !(t->caps & HPET_TN_FSB_INT_DEL_CAP))
			return -EINVAL;
		if (!(t->caps & HPET_TN_FSB_INT_DEL_CAP) && ts->fsb)
			return -EINVAL;
		if (route && !(route_cap(t) & (1u << route)))
			return -EINVAL;
		if (!(t->caps & HPET_TN_SIZE_CAP) && ((ts->cmp | ts->period) >> 32))
			return -EINVAL;
		if (ts->sched == SCHED_TICK && ts->tick.running &&
		    ts->tick.period != tick_period_ns(h, ts->period))
			return -EINVAL;   /* another interrupt ceiling */
		/*
		 * An equality schedule waits for the comparator's next event
		 * from from_e (eq_arm); a timer armed elsewhere, or not armed
		 * for a reachable event, would fire late, early or never.
		 */
		if (ts->sched == SCHED_EQ) {
			struct sc_hpet_timer tmp = *t;
			uint64_t e;
			tmp.config = ts->config;
			tmp.cmp = ts->cmp;
			tmp.wrap = ts->wrap;
			bool due = eq_next_from(s->counter, &tmp, ts->from_e, &e) &&
				   e <= (UINT64_MAX - s->counter_time) / SC_HPET_TICK_NS;
			if (due ? !ts->armed || ts->next_e != e : ts->armed)
				return -EINVAL;
		}
		if (ts->wrap && (t->caps & HPET_TN_SIZE_CAP) &&
		    !(ts->config & HPET_TN_32MODE_CNF))
			return -EINVAL;   /* wrap events are for 32-bit timers */
	}
	return 0;
}

int sc_hpet_restore(struct sc_hpet *h, const struct sc_hpet_state_v1 *s)
{
	if (!h || sc_hpet_validate(s) || compatible(h, s))
		return -EINVAL;
	bool was_legacy = legacy(h);
	for (unsigned n = 0; n < h->timers; n++)
		sched_stop(h, &h->t[n]);
	h->gen_conf = s->gen_conf;
	h->isr = s->isr;
	h->counter = s->counter;
	h->counter_time = s->counter_time;
	for (unsigned n = 0; n < h->timers; n++) {
		struct sc_hpet_timer *t = &h->t[n];
		const struct sc_hpet_timer_state_v1 *ts = &s->timer[n];
		t->config = ts->config;
		t->cmp = ts->cmp;
		t->period = ts->period;
		t->fsb = ts->fsb;
		t->next_e = ts->next_e;
		t->from_e = ts->from_e;
		t->anchor_e = ts->anchor_e;
		t->sched = ts->sched;
		t->wrap = ts->wrap;
		t->val_set = ts->val_set;
		/* validated above, cannot fail */
		(void)sc_tick_restore(&t->tick, &ts->tick);
		if (ts->armed)
			sc_timer_arm(h->clock, &t->timer, ts->deadline);
	}
	levels(h, &h->pin_level, &h->legacy_level);
	if (was_legacy != legacy(h) && h->irq.legacy_mode)
		h->irq.legacy_mode(h->irq.opaque, legacy(h));
	return 0;
}
