/* SPDX-License-Identifier: MIT */
/*
 * Intel 8254 Programmable Interval Timer.  See include/splitchip/pit.h for
 * the port map, the modes and the interrupt wiring.
 *
 * Time model
 * ----------
 * The input clock (1193182 Hz) is a global grid of edges: C(t) is the
 * number of edges up to virtual time t, E(k) the time of edge k, so that
 * C(t) >= k exactly when t >= E(k).  A counter is described by a *run*:
 * the counting element (CE) holds the count n at edge run_edge (minus the
 * clocks already counted, `counted`, for a run resumed by GATE) and every
 * later edge, while `counting`, is one clock.  What the guest reads is
 * computed from the run and C(now) (8254 "Modes"); nothing ticks.
 *
 * Pending transitions are applied lazily by sync() before any access:
 *   - a CR -> CE load scheduled for the next clock edge after a count write
 *     or a GATE trigger (load_pending / load_edge);
 *   - modes 2 and 3: a count written while counting, loaded at the next
 *     reload (mode 2) or the end of the current half-cycle (mode 3), at
 *     pending_edge, computed when the count was written.
 * Until a scheduled load happens the counter shows ce_hold / out_hold (the
 * CE value when the load was scheduled and the OUT level the datasheet
 * gives for that clock).
 *
 * Counter 0 also drives the OUT0 wire (pit.h "Interrupts"): from the tick
 * engine in modes 2/3, from a one-shot sc_timer in modes 0/1/4/5.  Because
 * counter 0's gate is tied high its future is known when it is programmed,
 * so timers and ticks are (re)armed only by guest writes.
 */
#include <splitchip/pit.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(struct sc_pit_channel_state_v1) == 64,
	       "sc_pit_channel_state_v1 has fixed layout without implicit padding");
_Static_assert(offsetof(struct sc_pit_channel_state_v1, mode) == 46,
	       "sc_pit_channel_state_v1 layout");
_Static_assert(sizeof(struct sc_pit_state_v1) == 32 + 3 * 64 + 80,
	       "sc_pit_state_v1 has fixed layout without implicit padding");
_Static_assert(offsetof(struct sc_pit_state_v1, ch) == 32, "sc_pit_state_v1 layout");

#define PIT_CHIP "pit"

/* ---------------------------------------------------------------- time */

/* C(t): input clock edges up to virtual time @ns. */
uint64_t sc_pit_clock_edges(uint64_t ns)
{
	return sc_muldiv64(ns, SC_PIT_FREQ_HZ, SC_NSEC_PER_SEC);
}

/* E(k): virtual time of edge @k, ceil(k * 1e9 / f) (saturating). */
uint64_t sc_pit_edge_time(uint64_t k)
{
	uint64_t t = sc_muldiv64(k, SC_NSEC_PER_SEC, SC_PIT_FREQ_HZ);
	if (t != UINT64_MAX && sc_pit_clock_edges(t) < k)
		t++;
	return t;
}

static uint64_t now_edge(const struct sc_pit *pit)
{
	return sc_pit_clock_edges(sc_clock_now(pit->clock));
}


/* ---------------------------------------------------------------- counts */

/* Modes 6 and 7 are 2 and 3 (M2 is "don't care", 8254 "Control Word"). */
static unsigned mode_of(unsigned m)
{
	return m > 5 ? m - 4u : m;
}

static unsigned eff_mode(const struct sc_pit_channel *ch)
{
	return mode_of(ch->mode);
}

static bool periodic(const struct sc_pit_channel *ch)
{
	unsigned m = eff_mode(ch);
	return m == 2 || m == 3;
}

/* Modes 1 and 5 count regardless of GATE once triggered. */
static bool gate_triggered(const struct sc_pit_channel *ch)
{
	unsigned m = eff_mode(ch);
	return m == 1 || m == 5;
}

static uint32_t bcd_to_bin(uint16_t v)
{
	return (v & 0xf) + ((v >> 4) & 0xf) * 10u + ((v >> 8) & 0xf) * 100u +
	       ((v >> 12) & 0xf) * 1000u;
}

static uint16_t bin_to_bcd(uint32_t v)
{
	v %= 10000u;
	return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
			  (v / 1000) << 12);
}

/* Counting modulus: "0" is 2^16 in binary, 10^4 in BCD. */
static uint32_t modulus(const struct sc_pit_channel *ch)
{
	return ch->bcd ? 10000u : 65536u;
}

/* The count the count register stands for (8254 "Counter Operation"). */
static uint32_t cr_count(const struct sc_pit_channel *ch)
{
	uint32_t v = ch->bcd ? bcd_to_bin(ch->cr) : ch->cr;
	return v ? v : modulus(ch);
}

/* Mode 3 half lengths: high (N+1)/2, low (N-1)/2 for odd N, N/2 each for even. */
static uint32_t half_high(uint32_t n)
{
	return (n + 1) / 2;
}

/* ---------------------------------------------------------------- runs */

static void start_run(struct sc_pit_channel *ch, uint64_t edge, uint32_t phase)
{
	ch->loaded = true;
	ch->load_pending = false;
	ch->cr_pending = false;
	ch->n = cr_count(ch);
	ch->phase = phase % ch->n;
	ch->run_edge = edge;
	ch->counted = 0;
	ch->counting = gate_triggered(ch) || ch->gate;
	ch->null_count = false;  /* CR transferred to CE */
}

/* Apply the transitions due by edge @e. */
static void sync(struct sc_pit_channel *ch, uint64_t e)
{
	if (ch->load_pending && e >= ch->load_edge)
		start_run(ch, ch->load_edge, 0);
	if (ch->cr_pending && ch->loaded && ch->counting && e >= ch->pending_edge) {
		uint32_t n = cr_count(ch);
		start_run(ch, ch->pending_edge, ch->pending_low ? half_high(n) : 0);
	}
}

/* Clocks counted by the run at edge @e. */
static uint64_t elapsed(const struct sc_pit_channel *ch, uint64_t e)
{
	uint64_t d = ch->counted;
	if (ch->counting && e > ch->run_edge)
		d += e - ch->run_edge;
	return d;
}

/* CE value (binary, modulus not applied) and OUT at edge @e (after sync). */
static void ce_out(const struct sc_pit_channel *ch, uint64_t e, uint32_t *ce, bool *out)
{
	uint64_t d = elapsed(ch, e);
	uint32_t n = ch->n;
	uint32_t m = modulus(ch);

	switch (eff_mode(ch)) {
	case 2: {
		/* 8254 Mode 2: N, N-1, ..., 1 (OUT low), reload. */
		uint32_t q = (uint32_t)(d % n);
		*ce = n - q;
		*out = q != n - 1 || !ch->counting;
		return;
	}
	case 3: {
		/* 8254 Mode 3: the phase counts from the start of a high half. */
		uint32_t q = (uint32_t)((d + ch->phase) % n);
		uint32_t hi = half_high(n);
		bool high = q < hi;
		uint32_t p = high ? q : q - hi;
		if (!(n & 1) || p == 0)
			*ce = n - 2 * p;
		else if (high)
			*ce = n + 1 - 2 * p;    /* first clock decrements by 1 */
		else
			*ce = n - 1 - 2 * p;    /* first clock decrements by 3 */
		*out = high || !ch->counting;
		return;
	}
	default: {
		/* Modes 0, 1, 4, 5: count down and wrap through 0. */
		int64_t v = (int64_t)n - (int64_t)(d % m);
		v %= (int64_t)m;
		if (v < 0)
			v += m;
		*ce = (uint32_t)v;
		unsigned mode = eff_mode(ch);
		if (mode == 0 || mode == 1)
			*out = d >= n;
		else
			*out = d != n;
		return;
	}
	}
}

/* What the guest reads: CE as a 16-bit (or 4-digit BCD) value, and OUT. */
static void read_state(const struct sc_pit_channel *ch, uint64_t e, uint16_t *raw, bool *out)
{
	uint32_t ce;
	if (!ch->loaded || ch->load_pending) {
		*raw = ch->ce_hold;
		*out = ch->out_hold;
		return;
	}
	ce_out(ch, e, &ce, out);
	*raw = ch->bcd ? bin_to_bcd(ce) : (uint16_t)ce;
}

static uint16_t ce_raw(const struct sc_pit_channel *ch, uint64_t e)
{
	uint16_t raw;
	bool out;
	read_state(ch, e, &raw, &out);
	return raw;
}

static bool out_level(const struct sc_pit_channel *ch, uint64_t e)
{
	uint16_t raw;
	bool out;
	read_state(ch, e, &raw, &out);
	return out;
}

/* Schedule the CR -> CE transfer on the next clock edge after @e. */
static void schedule_load(struct sc_pit_channel *ch, uint64_t e, bool out_before)
{
	ch->ce_hold = ce_raw(ch, e);
	ch->out_hold = out_before;
	ch->load_pending = true;
	ch->load_edge = e + 1;
}

/* ---------------------------------------------------------------- OUT0 */

static void out0_drive(struct sc_pit *pit, bool level)
{
	if (pit->out0_level == level)
		return;
	pit->out0_level = level;
	sc_line_set(&pit->out0, level);
}

/* One interrupt on the OUT0 wire: a rising edge, back to rest (low). */
static void out0_pulse(struct sc_pit *pit, uint64_t now)
{
	out0_drive(pit, false);
	out0_drive(pit, true);
	out0_drive(pit, false);
	sc_trace_emit(pit->trace, PIT_CHIP, "irq0", now, eff_mode(&pit->ch[0]));
}

/*
 * The tick grid: rising edges at clock edges tick_edge0 + j * tick_n.
 * The engine's next boundary is already computed when this runs; set the
 * spacing of the one after it to the exact difference of the two edges.
 */
static void tick_resync(struct sc_pit *pit)
{
	struct sc_tick *t = &pit->tick;
	uint64_t np = t->next_period;
	uint64_t k = sc_pit_clock_edges(np);

	if (!pit->tick_n || !t->running || k < pit->tick_edge0)
		return;
	uint64_t j = (k - pit->tick_edge0 + pit->tick_n / 2) / pit->tick_n;
	uint64_t target = sc_pit_edge_time(pit->tick_edge0 + (j + 1) * pit->tick_n);
	if (target > np && target - np >= SC_PIT_MIN_TICK_NS && target - np != t->period)
		sc_tick_set_period(t, target - np);
}

static void tick_deliver(void *opaque, uint64_t now)
{
	struct sc_pit *pit = opaque;
	out0_pulse(pit, now);
	tick_resync(pit);
}

/*
 * (Re)start the tick with rising edges at clock edges @first + j * @n.
 * @keep: the engine's next boundary already is @first (a reload that does
 * not move the edge): only the spacing changes, owed ticks are kept.
 */
static void tick_grid(struct sc_pit *pit, uint64_t first, uint32_t n, bool keep)
{
	/* Only an exact (unclamped) running grid has its next boundary at @first. */
	if (!pit->tick_n || !pit->tick.running)
		keep = false;
	uint64_t period = sc_pit_edge_time(first + n) - sc_pit_edge_time(first);
	if (period < SC_PIT_MIN_TICK_NS) {
		/* Above the interrupt ceiling: a plain, clamped period. */
		pit->tick_n = 0;
		if (keep)
			sc_tick_set_period(&pit->tick, SC_PIT_MIN_TICK_NS);
		else
			sc_tick_start(&pit->tick, sc_pit_edge_time(first), SC_PIT_MIN_TICK_NS);
		return;
	}
	pit->tick_edge0 = first;
	pit->tick_n = n;
	if (keep) {
		sc_tick_set_period(&pit->tick, period);
		tick_resync(pit);
	} else {
		sc_tick_start(&pit->tick, sc_pit_edge_time(first), period);
	}
}

/*
 * Edge of the next OUT0 interrupt of counter 0 in a one-shot mode, as of
 * the run that is (or is about to be) loaded; false if none is coming.
 */
static bool ch0_event_edge(const struct sc_pit_channel *ch, uint64_t e, uint64_t *edge)
{
	uint64_t run, counted;
	uint32_t n;
	bool counting;
	unsigned mode = eff_mode(ch);

	if (ch->load_pending) {
		run = ch->load_edge;
		counted = 0;
		n = cr_count(ch);
		counting = gate_triggered(ch) || ch->gate;
	} else if (ch->loaded) {
		run = ch->run_edge;
		counted = ch->counted;
		n = ch->n;
		counting = ch->counting;
	} else {
		return false;
	}
	if (!counting || mode == 2 || mode == 3)
		return false;
	/* OUT rises at terminal count (0, 1) or one clock later (4, 5). */
	uint64_t target = n + (mode >= 4 ? 1u : 0u);
	if (counted >= target)
		return false;
	uint64_t ev = run + (target - counted);
	if (ev < run)
		return false;
	if (ch->loaded && !ch->load_pending && e >= ev)
		return false;   /* already happened */
	*edge = ev;
	return true;
}

static void ch0_arm_oneshot(struct sc_pit *pit, uint64_t e)
{
	uint64_t ev;
	if (ch0_event_edge(&pit->ch[0], e, &ev))
		sc_timer_arm(pit->clock, &pit->timer, sc_pit_edge_time(ev));
	else
		sc_timer_cancel(pit->clock, &pit->timer);
}

static void oneshot_fn(struct sc_timer *timer, void *opaque, uint64_t now)
{
	struct sc_pit *pit = opaque;
	struct sc_pit_channel *ch = &pit->ch[0];
	uint64_t e = sc_pit_clock_edges(now);
	uint64_t ev;

	(void)timer;
	sync(ch, e);
	if (!ch->loaded || ch->load_pending || periodic(ch))
		return;
	/* Early (should not happen): wait for the edge. */
	if (ch0_event_edge(ch, e, &ev)) {
		sc_timer_arm(pit->clock, &pit->timer, sc_pit_edge_time(ev));
		return;
	}
	if (eff_mode(ch) == 0) {
		/* Mode 0: OUT0 goes high at terminal count and stays high. */
		if (out_level(ch, e) && !pit->out0_level) {
			out0_drive(pit, true);
			sc_trace_emit(pit->trace, PIT_CHIP, "irq0", now, 0);
		}
	} else {
		out0_pulse(pit, now);
	}
}

/*
 * Counter 0 after a complete count write at edge @e: (re)arm the tick
 * (modes 2, 3) or the one-shot timer (modes 0, 1, 4, 5).
 */
static void ch0_count_written(struct sc_pit *pit, uint64_t e)
{
	struct sc_pit_channel *ch = &pit->ch[0];

	if (!periodic(ch)) {
		sc_tick_stop(&pit->tick);
		if (eff_mode(ch) == 0)
			out0_drive(pit, false);
		ch0_arm_oneshot(pit, e);
		return;
	}
	sc_timer_cancel(pit->clock, &pit->timer);
	uint32_t n = cr_count(ch);
	if (ch->load_pending) {
		/* First rising edge of OUT0: end of the first period. */
		tick_grid(pit, ch->load_edge + n, n, false);
	} else if (ch->cr_pending && ch->pending_edge != UINT64_MAX) {
		if (eff_mode(ch) == 3 && ch->pending_low) {
			/* New run starts low: next rising edge after its low half. */
			tick_grid(pit, ch->pending_edge + (n - half_high(n)), n, false);
		} else {
			/* The next rising edge is the reload itself. */
			tick_grid(pit, ch->pending_edge, n, true);
		}
	}
}

/* ---------------------------------------------------------------- writes */

static void control_word(struct sc_pit *pit, unsigned c, uint8_t val, uint64_t e)
{
	struct sc_pit_channel *ch = &pit->ch[c];

	sync(ch, e);
	/* The CE is not cleared by a control word; it keeps its value. */
	ch->ce_hold = ce_raw(ch, e);
	ch->mode = (val & PIT_CW_M_MASK) >> PIT_CW_M_SHIFT;
	ch->rw = (val & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT;
	ch->bcd = val & PIT_CW_BCD;
	ch->write_msb = false;
	ch->read_msb = false;
	ch->ol_latched = false;
	ch->status_latched = false;
	ch->cr_written = false;
	ch->null_count = true;
	ch->loaded = false;
	ch->load_pending = false;
	ch->cr_pending = false;
	ch->counting = false;
	/* 8254 Modes: OUT low after a mode 0 control word, high otherwise. */
	ch->out_hold = eff_mode(ch) != 0;
	if (c == 0) {
		sc_tick_stop(&pit->tick);
		sc_timer_cancel(pit->clock, &pit->timer);
		out0_drive(pit, false);
	}
}

static void latch_count(struct sc_pit_channel *ch, uint64_t e)
{
	/* 8254 "Counter Latch Command": a second latch before the read is ignored. */
	if (ch->ol_latched)
		return;
	ch->ol = ce_raw(ch, e);
	ch->ol_latched = true;
}

static void latch_status(struct sc_pit_channel *ch, uint64_t e)
{
	if (ch->status_latched)
		return;
	ch->status = (uint8_t)((out_level(ch, e) ? PIT_STATUS_OUT : 0) |
			       (ch->null_count ? PIT_STATUS_NULL_COUNT : 0) |
			       ch->rw << PIT_CW_RW_SHIFT | ch->mode << PIT_CW_M_SHIFT |
			       (ch->bcd ? PIT_CW_BCD : 0));
	ch->status_latched = true;
}

static void write_control(struct sc_pit *pit, uint8_t val)
{
	uint64_t e = now_edge(pit);
	unsigned sc = val >> PIT_CW_SC_SHIFT;

	if (sc == PIT_CW_SC_READBACK) {
		/* 8254 "Read-Back Command". */
		for (unsigned c = 0; c < SC_PIT_CHANNELS; c++) {
			if (!(val & PIT_RB_CNT(c)))
				continue;
			sync(&pit->ch[c], e);
			if (!(val & PIT_RB_COUNT_N))
				latch_count(&pit->ch[c], e);
			if (!(val & PIT_RB_STATUS_N))
				latch_status(&pit->ch[c], e);
		}
		return;
	}
	if (((val & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT) == PIT_CW_RW_LATCH) {
		sync(&pit->ch[sc], e);
		latch_count(&pit->ch[sc], e);
		return;
	}
	control_word(pit, sc, val, e);
}

/* A complete count was written into the count register (8254 "Modes"). */
static void count_written(struct sc_pit *pit, unsigned c, uint64_t e)
{
	struct sc_pit_channel *ch = &pit->ch[c];

	ch->cr_written = true;
	ch->null_count = true;
	switch (eff_mode(ch)) {
	case 0:
		/* Loaded on the next CLK; OUT low until terminal count. */
		schedule_load(ch, e, false);
		break;
	case 4:
		/* Loaded on the next CLK; counting restarts from the new count. */
		schedule_load(ch, e, out_level(ch, e));
		break;
	case 1:
	case 5:
		/* Used at the next trigger. */
		break;
	default:
		if (ch->load_pending)
			break;          /* the pending load takes the newest CR */
		if (!ch->loaded) {
			if (ch->gate)
				schedule_load(ch, e, true);
			break;
		}
		if (ch->cr_pending)
			break;          /* same reload, newer count */
		ch->cr_pending = true;
		if (!ch->counting) {
			ch->pending_edge = UINT64_MAX;  /* loaded by the trigger */
			break;
		}
		uint64_t d = elapsed(ch, e);
		uint32_t n = ch->n;
		if (eff_mode(ch) == 2) {
			/* Next reload: when the CE would go from 1 to N. */
			ch->pending_edge = e + (n - d % n);
			ch->pending_low = false;
		} else {
			/* End of the current half-cycle. */
			uint32_t q = (uint32_t)((d + ch->phase) % n);
			uint32_t hi = half_high(n);
			ch->pending_low = q < hi;
			ch->pending_edge = e + (q < hi ? hi - q : n - q);
		}
		break;
	}
	if (c == 0)
		ch0_count_written(pit, e);
}

static void write_counter(struct sc_pit *pit, unsigned c, uint8_t val)
{
	struct sc_pit_channel *ch = &pit->ch[c];
	uint64_t e = now_edge(pit);

	sync(ch, e);
	switch (ch->rw) {
	case PIT_CW_RW_LSB:
		ch->cr = val;
		break;
	case PIT_CW_RW_MSB:
		ch->cr = (uint16_t)(val << 8);
		break;
	default:
		if (!ch->write_msb) {
			ch->cr_lsb = val;
			ch->write_msb = true;
			if (eff_mode(ch) == 0) {
				/* Mode 0: the first byte stops counting, OUT low at once. */
				ch->ce_hold = ce_raw(ch, e);
				ch->out_hold = false;
				ch->loaded = false;
				ch->load_pending = false;
				if (c == 0) {
					sc_timer_cancel(pit->clock, &pit->timer);
					out0_drive(pit, false);
				}
			}
			return;
		}
		ch->write_msb = false;
		ch->cr = (uint16_t)(ch->cr_lsb | val << 8);
		break;
	}
	count_written(pit, c, e);
}

static uint8_t read_counter(struct sc_pit *pit, unsigned c)
{
	struct sc_pit_channel *ch = &pit->ch[c];
	uint64_t e = now_edge(pit);
	uint16_t v;

	sync(ch, e);
	/* 8254 "Read-Back Command": a latched status is read first. */
	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->status;
	}
	v = ch->ol_latched ? ch->ol : ce_raw(ch, e);
	switch (ch->rw) {
	case PIT_CW_RW_LSB:
		ch->ol_latched = false;
		return (uint8_t)v;
	case PIT_CW_RW_MSB:
		ch->ol_latched = false;
		return (uint8_t)(v >> 8);
	default:
		if (!ch->read_msb) {
			ch->read_msb = true;
			return (uint8_t)v;
		}
		ch->read_msb = false;
		ch->ol_latched = false;
		return (uint8_t)(v >> 8);
	}
}

static void set_gate(struct sc_pit *pit, unsigned c, bool gate)
{
	struct sc_pit_channel *ch = &pit->ch[c];
	uint64_t e = now_edge(pit);
	unsigned mode = eff_mode(ch);

	sync(ch, e);
	if (ch->gate == gate)
		return;
	if (gate) {
		ch->gate = true;
		switch (mode) {
		case 0:
		case 4:
			/* Counting resumes from the held count. */
			if (ch->loaded && !ch->load_pending && !ch->counting) {
				ch->counting = true;
				ch->run_edge = e;
			}
			break;
		case 1:
		case 5:
			/* Trigger: CR loaded on the next CLK (retriggerable). */
			if (ch->cr_written)
				schedule_load(ch, e, out_level(ch, e));
			break;
		default:
			/* Trigger: reload on the next CLK, OUT high. */
			if (ch->cr_written)
				schedule_load(ch, e, true);
			break;
		}
		return;
	}
	switch (mode) {
	case 0:
	case 4:
	case 2:
	case 3:
		/* GATE low disables counting; modes 2/3 force OUT high. */
		if (ch->loaded && !ch->load_pending && ch->counting) {
			ch->counted = elapsed(ch, e);
			ch->run_edge = e;
			ch->counting = false;
		}
		if (periodic(ch) && ch->load_pending) {
			ch->load_pending = false;
			ch->out_hold = true;
		}
		break;
	default:
		break;  /* modes 1, 5: GATE level has no effect */
	}
	ch->gate = false;
}

/* ---------------------------------------------------------------- API */

static void reset_channel(struct sc_pit_channel *ch, bool gate)
{
	memset(ch, 0, sizeof(*ch));
	ch->mode = 3;
	ch->rw = PIT_CW_RW_WORD;
	ch->null_count = true;
	ch->gate = gate;
	ch->out_hold = true;
	ch->n = 1;
}

void sc_pit_reset(struct sc_pit *pit)
{
	sc_tick_stop(&pit->tick);
	sc_timer_cancel(pit->clock, &pit->timer);
	out0_drive(pit, false);
	/* PC wiring: gates 0 and 1 tied high, gate 2 from port 0x61 bit 0. */
	reset_channel(&pit->ch[0], true);
	reset_channel(&pit->ch[1], true);
	reset_channel(&pit->ch[2], false);
	pit->port61 = 0;
}

void sc_pit_init(struct sc_pit *pit, struct sc_clock *clock,
		 const struct sc_line *out0, const struct sc_trace *trace)
{
	memset(pit, 0, sizeof(*pit));
	pit->clock = clock;
	if (out0)
		pit->out0 = *out0;
	pit->trace = trace;
	pit->affinity = -1;
	sc_timer_init(&pit->timer, oneshot_fn, pit);
	sc_tick_init(&pit->tick, clock, SC_TICK_DISCARD, tick_deliver, pit);
	sc_pit_reset(pit);
}

static uint8_t read_port61(struct sc_pit *pit)
{
	uint64_t e = now_edge(pit);
	struct sc_pit_channel *ch = &pit->ch[2];
	uint8_t v = pit->port61;

	sync(ch, e);
	if ((e / PORT61_REFRESH_CLOCKS) & 1)
		v |= PORT61_REFRESH;
	if (out_level(ch, e))
		v |= PORT61_OUT2;
	return v;
}

uint8_t sc_pit_ioport_read(struct sc_pit *pit, uint16_t port)
{
	uint8_t v;

	switch (port) {
	case PIT_PORT_COUNTER0:
	case PIT_PORT_COUNTER1:
	case PIT_PORT_COUNTER2:
		v = read_counter(pit, port - PIT_PORT_COUNTER0);
		break;
	case PIT_PORT_B:
		v = read_port61(pit);
		break;
	default:
		v = 0xff;       /* 0x43 is write-only; not our port */
		break;
	}
	sc_trace_emit(pit->trace, PIT_CHIP, "read", port, v);
	return v;
}

void sc_pit_ioport_write(struct sc_pit *pit, uint16_t port, uint8_t val)
{
	sc_trace_emit(pit->trace, PIT_CHIP, "write", port, val);
	switch (port) {
	case PIT_PORT_COUNTER0:
	case PIT_PORT_COUNTER1:
	case PIT_PORT_COUNTER2:
		write_counter(pit, port - PIT_PORT_COUNTER0, val);
		break;
	case PIT_PORT_CONTROL:
		write_control(pit, val);
		break;
	case PIT_PORT_B:
		pit->port61 = val & PORT61_STORED_MASK;
		set_gate(pit, 2, val & PORT61_GATE2);
		break;
	default:
		break;
	}
}

int sc_pit_set_gate(struct sc_pit *pit, unsigned channel, bool gate)
{
	if (!pit || channel == 0 || channel >= SC_PIT_CHANNELS)
		return -EINVAL;
	set_gate(pit, channel, gate);
	if (channel == 2)
		pit->port61 = (uint8_t)((pit->port61 & ~PORT61_GATE2) |
					(gate ? PORT61_GATE2 : 0));
	return 0;
}

bool sc_pit_get_out(struct sc_pit *pit, unsigned channel)
{
	if (!pit || channel >= SC_PIT_CHANNELS)
		return false;
	uint64_t e = now_edge(pit);
	sync(&pit->ch[channel], e);
	return out_level(&pit->ch[channel], e);
}

void sc_pit_set_policy(struct sc_pit *pit, enum sc_tick_policy p)
{
	sc_tick_set_policy(&pit->tick, p);
}

void sc_pit_set_affinity(struct sc_pit *pit, int vcpu)
{
	pit->affinity = vcpu;
	sc_timer_set_affinity(pit->clock, &pit->timer, vcpu);
	sc_tick_set_affinity(&pit->tick, vcpu);
}

struct sc_tick *sc_pit_tick(struct sc_pit *pit)
{
	return &pit->tick;
}

/* ---------------------------------------------------------------- state */

void sc_pit_save(const struct sc_pit *pit, struct sc_pit_state_v1 *s)
{
	memset(s, 0, sizeof(*s));
	s->version = 1;
	s->port61 = pit->port61;
	s->out0_level = pit->out0_level;
	s->timer_deadline = pit->timer.armed ? pit->timer.deadline : 0;
	s->tick_edge0_time = sc_pit_edge_time(pit->tick_edge0);
	s->tick_n = pit->tick_n;
	for (unsigned c = 0; c < SC_PIT_CHANNELS; c++) {
		const struct sc_pit_channel *ch = &pit->ch[c];
		struct sc_pit_channel_state_v1 *cs = &s->ch[c];
		cs->load_time = sc_pit_edge_time(ch->load_edge);
		cs->run_time = sc_pit_edge_time(ch->run_edge);
		cs->pending_time = ch->pending_edge == UINT64_MAX ? UINT64_MAX
								   : sc_pit_edge_time(ch->pending_edge);
		cs->counted = ch->counted;
		cs->n = ch->n;
		cs->phase = ch->phase;
		cs->cr = ch->cr;
		cs->ol = ch->ol;
		cs->ce_hold = ch->ce_hold;
		cs->mode = ch->mode;
		cs->rw = ch->rw;
		cs->bcd = ch->bcd;
		cs->write_msb = ch->write_msb;
		cs->read_msb = ch->read_msb;
		cs->cr_lsb = ch->cr_lsb;
		cs->cr_written = ch->cr_written;
		cs->null_count = ch->null_count;
		cs->gate = ch->gate;
		cs->ol_latched = ch->ol_latched;
		cs->status_latched = ch->status_latched;
		cs->status = ch->status;
		cs->loaded = ch->loaded;
		cs->load_pending = ch->load_pending;
		cs->counting = ch->counting;
		cs->cr_pending = ch->cr_pending;
		cs->pending_low = ch->pending_low;
		cs->out_hold = ch->out_hold;
	}
	sc_tick_save(&pit->tick, &s->tick);
}

static int validate_channel(const struct sc_pit_channel_state_v1 *cs)
{
	const uint8_t flags[] = {
		cs->bcd, cs->write_msb, cs->read_msb, cs->cr_written, cs->null_count,
		cs->gate, cs->ol_latched, cs->status_latched, cs->loaded,
		cs->load_pending, cs->counting, cs->cr_pending, cs->pending_low,
		cs->out_hold,
	};
	for (size_t i = 0; i < sizeof(flags); i++)
		if (flags[i] > 1)
			return -EINVAL;
	if (cs->mode > 7 || cs->rw < PIT_CW_RW_LSB || cs->rw > PIT_CW_RW_WORD)
		return -EINVAL;
	if (cs->n < 1 || cs->n > 65536 || cs->phase >= cs->n)
		return -EINVAL;
	/*
	 * A count waiting for a reload (count_written) exists only in modes
	 * 2 and 3, on a loaded run: sync() would otherwise restart a one-shot
	 * run at pending_time and the counter, OUT and the IRQ0 timer would
	 * disagree.
	 */
	unsigned m = mode_of(cs->mode);
	if (cs->cr_pending && ((m != 2 && m != 3) || !cs->loaded))
		return -EINVAL;
	return 0;
}

/* The channel a saved channel state describes (edges from absolute times). */
static void channel_from_state(struct sc_pit_channel *ch,
			       const struct sc_pit_channel_state_v1 *cs)
{
	memset(ch, 0, sizeof(*ch));
	ch->load_edge = sc_pit_clock_edges(cs->load_time);
	ch->run_edge = sc_pit_clock_edges(cs->run_time);
	ch->pending_edge = cs->pending_time == UINT64_MAX ? UINT64_MAX
							  : sc_pit_clock_edges(cs->pending_time);
	ch->counted = cs->counted;
	ch->n = cs->n;
	ch->phase = cs->phase;
	ch->cr = cs->cr;
	ch->ol = cs->ol;
	ch->ce_hold = cs->ce_hold;
	ch->mode = cs->mode;
	ch->rw = cs->rw;
	ch->bcd = cs->bcd;
	ch->write_msb = cs->write_msb;
	ch->read_msb = cs->read_msb;
	ch->cr_lsb = cs->cr_lsb;
	ch->cr_written = cs->cr_written;
	ch->null_count = cs->null_count;
	ch->gate = cs->gate;
	ch->ol_latched = cs->ol_latched;
	ch->status_latched = cs->status_latched;
	ch->status = cs->status;
	ch->loaded = cs->loaded;
	ch->load_pending = cs->load_pending;
	ch->counting = cs->counting;
	ch->cr_pending = cs->cr_pending;
	ch->pending_low = cs->pending_low;
	ch->out_hold = cs->out_hold;
}

/*
 * Counter 0 in a one-shot mode: the timer, when armed, waits for the clock
 * edge of the next OUT0 event; without an event nothing is armed and the
 * wire is low.  In mode 0 the wire is high exactly when the terminal count
 * fired (the timer is done), so a restored chip neither loses the IRQ0 edge
 * of a pending terminal count nor raises one twice.
 */
static int validate_oneshot0(const struct sc_pit_state_v1 *s)
{
	struct sc_pit_channel ch;
	uint64_t ev;

	channel_from_state(&ch, &s->ch[0]);
	if (!ch0_event_edge(&ch, 0, &ev))
		return s->timer_deadline || s->out0_level ? -EINVAL : 0;
	if (s->timer_deadline && s->timer_deadline != sc_pit_edge_time(ev))
		return -EINVAL;
	if (eff_mode(&ch) == 0 && !s->timer_deadline == !s->out0_level)
		return -EINVAL;
	return 0;
}

int sc_pit_validate(const struct sc_pit_state_v1 *s)
{
	if (!s || s->version != 1 || s->pad[0] || s->pad[1] || s->pad2)
		return -EINVAL;
	if (s->tick_n > 65536)
		return -EINVAL;
	if (s->port61 & ~PORT61_STORED_MASK || s->out0_level > 1)
		return -EINVAL;
	for (unsigned c = 0; c < SC_PIT_CHANNELS; c++)
		if (validate_channel(&s->ch[c]))
			return -EINVAL;
	/* PC wiring: gate 0 tied high, gate 2 is port 0x61 bit 0. */
	if (!s->ch[0].gate || s->ch[2].gate != (s->port61 & PORT61_GATE2))
		return -EINVAL;
	/*
	 * Counter 0's outputs match its mode: the wire is high only after a
	 * mode 0 terminal count, the tick runs only in modes 2/3 (and never
	 * faster than the ceiling), the one-shot timer only in the others.
	 */
	unsigned m0 = mode_of(s->ch[0].mode);
	bool periodic0 = m0 == 2 || m0 == 3;
	if (s->out0_level && m0 != 0)
		return -EINVAL;
	if (s->tick.running && (!periodic0 || s->tick.period < SC_PIT_MIN_TICK_NS))
		return -EINVAL;
	if (s->timer_deadline && periodic0)
		return -EINVAL;
	if (!periodic0 && validate_oneshot0(s))
		return -EINVAL;
	return sc_tick_validate(&s->tick);
}

int sc_pit_restore(struct sc_pit *pit, const struct sc_pit_state_v1 *s)
{
	if (!pit || sc_pit_validate(s))
		return -EINVAL;
	sc_timer_cancel(pit->clock, &pit->timer);
	for (unsigned c = 0; c < SC_PIT_CHANNELS; c++)
		channel_from_state(&pit->ch[c], &s->ch[c]);
	pit->port61 = s->port61;
	pit->tick_edge0 = sc_pit_clock_edges(s->tick_edge0_time);
	pit->tick_n = s->tick_n;
	/*
	 * The wire level is taken over without driving it: the consumers
	 * (PIC, IOAPIC) restore their own view of the line.
	 */
	pit->out0_level = s->out0_level;
	if (s->timer_deadline)
		sc_timer_arm(pit->clock, &pit->timer, s->timer_deadline);
	sc_tick_restore(&pit->tick, &s->tick);
	return 0;
}
