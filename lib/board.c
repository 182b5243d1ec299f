/* SPDX-License-Identifier: MIT */
/*
 * The board: a PC's interrupt wiring around the chips, the GSI router with
 * per-source wired-OR lines, tick acknowledgement, and the lock domains.
 * See include/splitchip/board.h for the wiring and the locking model.
 */
#include <splitchip/board.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHIP "board"

/* Ticker slots. */
#define TICKER_PIT 0u
#define TICKER_HPET(n) (1u + (n))
#define NR_TICKERS (1u + SC_HPET_MAX_TIMERS)

/* IOAPIC EOI-storm redelivery delay (hardware's natural delay, ~10 ms). */
#define RETRIGGER_DELAY_NS 10000000ull

/*
 * GSIs a timer may tick on: with eoi_ack their routes ask for EOI exits.
 * GSI 8 only while the HPET is in legacy replacement (timer 1); otherwise
 * it carries the RTC, which is acknowledged by register C reads.
 */
#define TIMER_GSI_MASK ((1u << 2) | SC_HPET_DEFAULT_ROUTE_CAP)

/* ------------------------------------------------------------ port table */

enum board_dev { DEV_PIC, DEV_PIT, DEV_RTC, DEV_RTC_BANK2 };

/* Explicit port map of the board's chips (board.h). */
static const struct board_port {
	uint16_t first, last;
	enum board_dev dev;
	bool irqchip;     /* absent in external_irqchip mode (KVM's chips) */
} board_ports[] = {
	{ 0x020, 0x021, DEV_PIC, true },   /* i8259A master */
	{ 0x040, 0x043, DEV_PIT, true },   /* i8254 counters, control word */
	{ 0x061, 0x061, DEV_PIT, true },   /* port B: gate 2, OUT2, refresh */
	{ 0x070, 0x071, DEV_RTC, false },  /* MC146818 index / data */
	{ 0x072, 0x073, DEV_RTC_BANK2, false },
	{ 0x0a0, 0x0a1, DEV_PIC, true },   /* i8259A slave */
	{ 0x4d0, 0x4d1, DEV_PIC, true },   /* ELCR */
};

static const struct board_port *port_lookup(const struct sc_board *b, uint16_t port)
{
	for (size_t i = 0; i < sizeof(board_ports) / sizeof(board_ports[0]); i++) {
		const struct board_port *p = &board_ports[i];
		if (port < p->first || port > p->last)
			continue;
		if (p->irqchip && b->cfg.external_irqchip)
			return NULL;
		return p;
	}
	return NULL;
}

/* ------------------------------------------------------ lock domains */

/* eoi_gsi is only meaningful once any_eoi is set (cleared on first use). */
static void outbox_init(struct sc_board_outbox *ob)
{
	ob->n_msi = 0;
	ob->n_route = 0;
	ob->intr_changed = false;
	ob->intr_fell = false;
	ob->any_eoi = false;
}

static void dom_lock(struct sc_board_domain *d, struct sc_board_outbox *ob)
{
	pthread_mutex_lock(&d->lock);
	d->outbox = ob;
}

static void dom_unlock(struct sc_board_domain *d)
{
	d->outbox = NULL;
	pthread_mutex_unlock(&d->lock);
}

/* Route order (board.h): wait until no route change is queued anywhere. */
static void routes_wait_flushed(struct sc_board *b)
{
	if (!atomic_load_explicit(&b->routes_queued, memory_order_acquire))
		return;
	pthread_mutex_lock(&b->route_mu);
	while (atomic_load_explicit(&b->routes_queued, memory_order_acquire))
		pthread_cond_wait(&b->route_cv, &b->route_mu);
	pthread_mutex_unlock(&b->route_mu);
}

/* Deliver what a locked section produced; no lock is held here. */
static void outbox_flush(struct sc_board *b, struct sc_board_outbox *ob)
{
	const struct sc_board_ops *o = &b->ops;
	if (ob->n_route) {
		for (unsigned i = 0; i < ob->n_route; i++) {
			const struct sc_board_route *r = &ob->route[i];
			if (o->route)
				o->route(o->opaque, r->gsi, &r->msg, r->masked, r->eoi_exit);
		}
		if (o->routes_done)
			o->routes_done(o->opaque);
		pthread_mutex_lock(&b->route_mu);
		atomic_fetch_sub_explicit(&b->routes_queued, ob->n_route, memory_order_release);
		pthread_cond_broadcast(&b->route_cv);
		pthread_mutex_unlock(&b->route_mu);
	}
	if (ob->n_msi)
		routes_wait_flushed(b);
	for (unsigned i = 0; i < ob->n_msi; i++)
		if (o->msi)
			o->msi(o->opaque, &ob->msi[i]);
	if (ob->intr_changed && o->pic_intr) {
		if (ob->intr_fell && ob->intr_level)
			o->pic_intr(o->opaque, false);
		o->pic_intr(o->opaque, ob->intr_level);
	}
	if (ob->any_eoi && o->gsi_eoi) {
		for (unsigned w = 0; w < (SC_BOARD_MAX_GSIS + 63) / 64; w++) {
			for (uint64_t m = ob->eoi_gsi[w]; m; m &= m - 1)
				o->gsi_eoi(o->opaque, w * 64 + (unsigned)__builtin_ctzll(m));
		}
	}
}

static void emit_msi(struct sc_board *b, struct sc_board_domain *d, const struct sc_msi *m)
{
	struct sc_board_outbox *ob = d->outbox;
	if (ob && ob->n_msi < SC_BOARD_OUTBOX) {
		ob->msi[ob->n_msi++] = *m;
		return;
	}
	/* No lock held (fake-clock callback) or a full outbox: send now. */
	routes_wait_flushed(b);
	if (b->ops.msi)
		b->ops.msi(b->ops.opaque, m);
}

/* ------------------------------------------------------------- tick acks */

static void vec_set(_Atomic uint64_t *bm, uint8_t v)
{
	atomic_fetch_or_explicit(&bm[v / 64], 1ull << (v % 64), memory_order_release);
}

static void vec_clear(_Atomic uint64_t *bm, uint8_t v)
{
	atomic_fetch_and_explicit(&bm[v / 64], ~(1ull << (v % 64)), memory_order_release);
}

static bool vec_test(const _Atomic uint64_t *bm, uint8_t v)
{
	return atomic_load_explicit(&bm[v / 64], memory_order_acquire) & (1ull << (v % 64));
}

static struct sc_tick *ticker_tick(struct sc_board *b, unsigned slot)
{
	if (slot == TICKER_PIT)
		return b->cfg.external_irqchip ? NULL : sc_pit_tick(&b->pit);
	if (b->cfg.no_hpet)
		return NULL;
	return sc_hpet_tick(&b->hpet, slot - 1);
}

static void ticker_ack(struct sc_board *b, unsigned slot)
{
	if (slot == TICKER_PIT)
		sc_tick_ack(sc_pit_tick(&b->pit));
	else
		sc_hpet_ack(&b->hpet, slot - 1);
}

/* Recompute the lock-free bit of @vector after a ticker stopped waiting. */
static void tick_vec_refresh(struct sc_board *b, uint8_t vector)
{
	for (unsigned s = 0; s < NR_TICKERS; s++)
		if (b->ticker[s].wait_eoi && b->ticker[s].eoi_vector == vector)
			return;
	vec_clear(b->tick_ack_vec, vector);
}

static void ticker_done(struct sc_board *b, unsigned slot)
{
	struct sc_board_ticker *tk = &b->ticker[slot];
	bool had_eoi = tk->wait_eoi;
	tk->wait_inta = tk->wait_eoi = false;
	if (had_eoi)
		tick_vec_refresh(b, tk->eoi_vector);
	ticker_ack(b, slot);
}

/*
 * A tick of ticker @slot has just been presented on ISA IRQ @isa_irq (-1:
 * none) and GSI @gsi (-1: none).  Decide how its acknowledgement arrives.
 * Chipset lock held.
 */
static void ticker_delivered(struct sc_board *b, unsigned slot, int isa_irq, int gsi)
{
	struct sc_board_ticker *tk = &b->ticker[slot];
	tk->isa_irq = isa_irq;
	tk->wait_inta = isa_irq >= 0 && !b->cfg.external_irqchip &&
			!sc_pic_irq_masked(&b->pic, (unsigned)isa_irq);
	tk->wait_eoi = false;
	unsigned io, pin;
	if (gsi >= 0 && b->cfg.eoi_ack &&
	    sc_board_gsi_to_pin(b, (unsigned)gsi, &io, &pin) == 0) {
		struct sc_board_domain *d = &b->io_dom[io];
		pthread_mutex_lock(&d->lock);
		uint64_t e = sc_ioapic_entry(&b->ioapic[io], pin);
		pthread_mutex_unlock(&d->lock);
		unsigned dm = (unsigned)((e & IOAPIC_REDIR_DELMOD_MASK) >> IOAPIC_REDIR_DELMOD_SHIFT);
		if (!(e & IOAPIC_REDIR_MASK) && (dm == SC_DM_FIXED || dm == SC_DM_LOWPRI)) {
			tk->wait_eoi = true;
			tk->eoi_vector = (uint8_t)(e & IOAPIC_REDIR_VECTOR_MASK);
			vec_set(b->tick_ack_vec, tk->eoi_vector);
		}
	}
	if (!tk->wait_inta && !tk->wait_eoi) {
		/* No acknowledging path: the tick counts as taken at once. */
		b->stats.tick_acks_auto++;
		ticker_ack(b, slot);
	}
}

/* ------------------------------------------------------------- router */

int sc_board_gsi_to_pin(const struct sc_board *b, unsigned gsi, unsigned *ioapic, unsigned *pin)
{
	if (b->cfg.external_irqchip || gsi >= b->nr_gsis)
		return -EINVAL;
	*ioapic = gsi / b->cfg.ioapic_pins;
	*pin = gsi % b->cfg.ioapic_pins;
	return 0;
}

/* KVM GSI of a line in external mode: ISA IRQ n is KVM GSI n (0 -> pin 2). */
static unsigned external_gsi(unsigned gsi)
{
	return gsi == 2 ? 0 : gsi;
}

static bool external_level(const struct sc_board *b, unsigned kgsi)
{
	bool l = false;
	if (kgsi < 16)
		l = b->isa_src[kgsi] != 0;
	unsigned g = kgsi == 0 ? 2 : kgsi;
	if (g < b->nr_gsis)
		l = l || b->gsi_src[g] != 0;
	return l;
}

/*
 * Electrical level of a GSI's wire.  Lines are active high (ISA IRQs, the
 * HPET's outputs) unless the VMM attached a PCI INTx# to the GSI
 * (sc_board_attach_pci_intx): a PCI line is active low (PCI 2.3, 2.2.6)
 * and idles high through its pull-up, and every source on it pulls it low
 * when asserting.  The IOAPIC takes the electrical level and applies the
 * polarity its entry holds, as the 82093AA does.
 */
static bool gsi_active_low(const struct sc_board *b, unsigned gsi)
{
	return b->active_low[gsi / 64] & (1ull << (gsi % 64));
}

static bool gsi_electrical(const struct sc_board *b, unsigned gsi, bool asserted)
{
	return gsi_active_low(b, gsi) ? !asserted : asserted;
}

/* Chipset lock held: give the IOAPIC pin of @gsi its current wire level. */
static void gsi_sync_pin(struct sc_board *b, unsigned gsi)
{
	unsigned io, pin;
	if (sc_board_gsi_to_pin(b, gsi, &io, &pin))
		return;
	struct sc_board_domain *d = &b->io_dom[io];
	pthread_mutex_lock(&d->lock);
	d->outbox = b->chipset.outbox;
	sc_ioapic_set_irq(&b->ioapic[io], pin, gsi_electrical(b, gsi, b->gsi_src[gsi] != 0));
	d->outbox = NULL;
	pthread_mutex_unlock(&d->lock);
}

/* Chipset lock held.  Drive GSI @gsi's wired-OR for @source. */
static void gsi_drive(struct sc_board *b, unsigned gsi, unsigned source, bool level)
{
	uint32_t bit = 1u << source;
	uint32_t old = b->gsi_src[gsi];
	uint32_t now = level ? old | bit : old & ~bit;
	b->gsi_src[gsi] = now;
	if (!old == !now)
		return;
	if (now)
		b->stats.gsi_raised[gsi]++;
	if (b->cfg.external_irqchip) {
		unsigned k = external_gsi(gsi);
		if (b->ops.gsi_line)
			b->ops.gsi_line(b->ops.opaque, k, external_level(b, k));
		return;
	}
	gsi_sync_pin(b, gsi);
}

/* Chipset lock held.  ISA IRQ @irq: PIC input @irq and GSI (0 -> 2). */
static void isa_drive(struct sc_board *b, unsigned irq, unsigned source, bool level)
{
	uint32_t bit = 1u << source;
	uint32_t old = b->isa_src[irq];
	uint32_t now = level ? old | bit : old & ~bit;
	b->isa_src[irq] = now;
	if (!old != !now && !b->cfg.external_irqchip)
		sc_pic_set_irq(&b->pic, irq, now != 0);
	unsigned gsi = irq == 0 ? 2 : irq;
	if (b->cfg.external_irqchip) {
		if (!old == !now)
			return;
		if (now)
			b->stats.gsi_raised[gsi]++;
		if (b->ops.gsi_line)
			b->ops.gsi_line(b->ops.opaque, irq, external_level(b, irq));
		return;
	}
	gsi_drive(b, gsi, source, level);
}

/* A timer's edge on ISA IRQ @irq: lower and raise again, then hold high.
 * Real timer outputs stay high between edges (i8254 modes 2/3), and the
 * i8259A needs the request to stay up until INTA (8259A "Edge triggered
 * mode"); the next edge re-creates the transition. */
static void isa_edge(struct sc_board *b, unsigned irq, unsigned source)
{
	isa_drive(b, irq, source, false);
	isa_drive(b, irq, source, true);
}

/* ------------------------------------------------------------- chip glue */

static void pic_intr_cb(void *opaque, bool level)
{
	struct sc_board *b = opaque;
	struct sc_board_outbox *ob = b->chipset.outbox;
	if (ob) {
		/* Keep a dip: a low-high inside one section is a new edge for
		 * an NMI-mode LINT0, which must not collapse into "still high". */
		if (!level)
			ob->intr_fell = true;
		ob->intr_changed = true;
		ob->intr_level = level;
	} else if (b->ops.pic_intr) {
		b->ops.pic_intr(b->ops.opaque, level);
	}
}

/*
 * INTA of @irq (an INTA cycle or a poll command).  Runs inside the PIC; the
 * acks (which may deliver the next tick into the PIC) are applied by
 * inta_settle() once the PIC call has returned.
 */
static void pic_inta_cb(void *opaque, unsigned irq)
{
	struct sc_board *b = opaque;
	b->inta_pending |= 1u << irq;
}

/* Chipset lock held, outside any chip call. */
static void inta_settle(struct sc_board *b)
{
	while (b->inta_pending) {
		unsigned irq = (unsigned)__builtin_ctz(b->inta_pending);
		b->inta_pending &= b->inta_pending - 1;
		for (unsigned s = 0; s < NR_TICKERS; s++) {
			struct sc_board_ticker *tk = &b->ticker[s];
			if (tk->wait_inta && tk->isa_irq == (int)irq) {
				b->stats.tick_acks_inta++;
				ticker_done(b, s);
			}
		}
	}
}

/*
 * HPET legacy replacement (IA-PC HPET 1.0a, 2.4.1 / table 2): timer 0 takes
 * IRQ0 and timer 1 IRQ8; "the 8254 timer will not cause any interrupts" and
 * neither will the RTC.  The board disconnects their outputs.
 */
static bool hpet_legacy(const struct sc_board *b)
{
	return !b->cfg.no_hpet && sc_hpet_legacy_enabled(&b->hpet);
}

static void pit_out0_cb(void *opaque, bool level)
{
	struct sc_board *b = opaque;
	if (!level)
		return;   /* held high until the next edge, see isa_edge() */
	if (hpet_legacy(b)) {
		/* Disconnected: a tick that reaches no CPU is taken at once. */
		struct sc_tick *t = sc_pit_tick(&b->pit);
		if (t->running && t->in_flight) {
			b->stats.tick_acks_auto++;
			sc_tick_ack(t);
		}
		return;
	}
	isa_edge(b, 0, SC_SRC_PIT);
	struct sc_tick *t = sc_pit_tick(&b->pit);
	if (t->running && t->in_flight && !b->ticker[TICKER_PIT].wait_inta &&
	    !b->ticker[TICKER_PIT].wait_eoi)
		ticker_delivered(b, TICKER_PIT, 0, 2);
}

static void rtc_irq8_cb(void *opaque, bool level)
{
	struct sc_board *b = opaque;
	b->rtc_irq8 = level;
	isa_drive(b, 8, SC_SRC_RTC, level && !hpet_legacy(b));
}

/* HPET timers whose edge tick is in flight and not yet tracked. */
static void hpet_scan(struct sc_board *b)
{
	for (unsigned n = 0; n < b->hpet.timers; n++) {
		struct sc_board_ticker *tk = &b->ticker[TICKER_HPET(n)];
		struct sc_tick *t = sc_hpet_tick(&b->hpet, n);
		const struct sc_hpet_timer *ht = &b->hpet.t[n];
		if (!t || !t->running || !t->in_flight || tk->wait_inta || tk->wait_eoi)
			continue;
		if (ht->config & HPET_TN_INT_TYPE_CNF)
			continue;   /* level: acked by the status register */
		int isa = -1, gsi = -1;
		if (ht->config & HPET_TN_FSB_EN_CNF) {
			/* FSB messages bypass the IOAPIC: no EOI exit to wait for. */
		} else if (n < 2 && sc_hpet_legacy_enabled(&b->hpet)) {
			isa = n == 0 ? 0 : 8;
			gsi = n == 0 ? 2 : 8;
		} else {
			gsi = (int)((ht->config & HPET_TN_INT_ROUTE_CNF_MASK) >>
				    HPET_TN_INT_ROUTE_CNF_SHIFT);
		}
		ticker_delivered(b, TICKER_HPET(n), isa, gsi);
	}
}

static void hpet_set_irq_cb(void *opaque, unsigned gsi, bool level)
{
	struct sc_board *b = opaque;
	if (gsi < b->nr_gsis)
		gsi_drive(b, gsi, SC_SRC_HPET, level);
	if (level)
		hpet_scan(b);
}

static void hpet_set_legacy_cb(void *opaque, unsigned isa_irq, bool level)
{
	struct sc_board *b = opaque;
	if (isa_irq != 0 && isa_irq != 8)
		return;
	unsigned n = isa_irq == 0 ? 0 : 1;
	bool edge = !(b->hpet.t[n].config & HPET_TN_INT_TYPE_CNF);
	if (edge) {
		/* Edge timers pulse: hold the ISA line high between edges. */
		if (level) {
			isa_edge(b, isa_irq, SC_SRC_HPET);
			b->hpet_edge_hold[n] = true;
			hpet_scan(b);
		}
		return;
	}
	if (b->hpet_edge_hold[n] && !level)
		b->hpet_edge_hold[n] = false;
	isa_drive(b, isa_irq, SC_SRC_HPET, level);
}

static void ioapic_route_cb(void *opaque, unsigned pin, const struct sc_msi *msg,
			    bool masked, bool level);

static void hpet_legacy_mode_cb(void *opaque, bool on)
{
	struct sc_board *b = opaque;
	/* Leaving legacy replacement releases the held ISA lines. */
	for (unsigned n = 0; n < 2; n++) {
		if (b->hpet_edge_hold[n]) {
			b->hpet_edge_hold[n] = false;
			isa_drive(b, n == 0 ? 0 : 8, SC_SRC_HPET, false);
		}
	}
	/* Entering it disconnects the PIT and the RTC; leaving reconnects
	 * the RTC's level (the PIT comes back with its next tick). */
	if (on)
		isa_drive(b, 0, SC_SRC_PIT, false);
	isa_drive(b, 8, SC_SRC_RTC, b->rtc_irq8 && !on);
	/* GSI 8's route asks for EOI exits only while timer 1 ticks on it. */
	atomic_store_explicit(&b->hpet_legacy_on, on, memory_order_relaxed);
	unsigned io, pin;
	if (sc_board_gsi_to_pin(b, 8, &io, &pin) == 0) {
		struct sc_board_domain *d = &b->io_dom[io];
		struct sc_msi m;
		bool masked, level;
		pthread_mutex_lock(&d->lock);
		d->outbox = b->chipset.outbox;
		if (sc_ioapic_route(&b->ioapic[io], pin, &m, &masked, &level) == 0)
			ioapic_route_cb(d, pin, &m, masked, level);
		d->outbox = NULL;
		pthread_mutex_unlock(&d->lock);
	}
}

static void hpet_fsb_cb(void *opaque, const struct sc_msi *m)
{
	struct sc_board *b = opaque;
	emit_msi(b, &b->chipset, m);
	hpet_scan(b);
}

static void ioapic_msi_cb(void *opaque, const struct sc_msi *m)
{
	struct sc_board_domain *d = opaque;
	emit_msi(d->board, d, m);
}

static void ioapic_route_cb(void *opaque, unsigned pin, const struct sc_msi *msg,
			    bool masked, bool level)
{
	struct sc_board_domain *d = opaque;
	struct sc_board *b = d->board;
	unsigned gsi = d->index * b->cfg.ioapic_pins + pin;
	uint32_t timer_gsis = TIMER_GSI_MASK;
	if (atomic_load_explicit(&b->hpet_legacy_on, memory_order_relaxed))
		timer_gsis |= 1u << 8;
	bool eoi_exit = level ||
		(b->cfg.eoi_ack && gsi < 32 && (timer_gsis & (1u << gsi)));
	struct sc_board_outbox *ob = d->outbox;
	if (ob && ob->n_route < SC_BOARD_MAX_GSIS) {
		struct sc_board_route *r = &ob->route[ob->n_route++];
		atomic_fetch_add_explicit(&b->routes_queued, 1, memory_order_relaxed);
		r->gsi = gsi;
		r->msg = *msg;
		r->masked = masked;
		r->eoi_exit = eoi_exit;
		return;
	}
	if (b->ops.route) {
		b->ops.route(b->ops.opaque, gsi, msg, masked, eoi_exit);
		if (b->ops.routes_done)
			b->ops.routes_done(b->ops.opaque);
	}
}

static void ioapic_eoi_cb(void *opaque, unsigned pin)
{
	struct sc_board_domain *d = opaque;
	struct sc_board *b = d->board;
	unsigned gsi = d->index * b->cfg.ioapic_pins + pin;
	struct sc_board_outbox *ob = d->outbox;
	if (ob) {
		if (!ob->any_eoi)
			memset(ob->eoi_gsi, 0, sizeof(ob->eoi_gsi));
		ob->eoi_gsi[gsi / 64] |= 1ull << (gsi % 64);
		ob->any_eoi = true;
	} else if (b->ops.gsi_eoi) {
		b->ops.gsi_eoi(b->ops.opaque, gsi);
	}
}

static void ioapic_retrigger_cb(void *opaque, unsigned pin)
{
	struct sc_board_domain *d = opaque;
	struct sc_board *b = d->board;
	/* Runs under this IOAPIC's lock; the timer is the clock's business
	 * (its own lock), so arming it here respects the lock order. */
	if (!b->retrigger_timer.armed)
		sc_timer_arm(b->clock, &b->retrigger_timer,
			     sc_clock_now(b->clock) + RETRIGGER_DELAY_NS);
}

static void retrigger_timer_cb(struct sc_timer *t, void *opaque, uint64_t now)
{
	struct sc_board *b = opaque;
	for (unsigned i = 0; i < b->cfg.ioapics; i++) {
		struct sc_board_domain *d = &b->io_dom[i];
		pthread_mutex_lock(&d->lock);
		d->outbox = b->chipset.outbox;
		sc_ioapic_retrigger(&b->ioapic[i]);
		d->outbox = NULL;
		pthread_mutex_unlock(&d->lock);
	}
}

/* ------------------------------------------------------------ init */

static int config_check(struct sc_board_config *c)
{
	if (c->ioapics == 0)
		c->ioapics = 1;
	if (c->ioapic_pins == 0)
		c->ioapic_pins = SC_IOAPIC_DEFAULT_PINS;
	if (c->ioapic_version == 0)
		c->ioapic_version = IOAPIC_VERSION_ICH;
	if (c->ioapics > SC_BOARD_MAX_IOAPICS || c->ioapic_pins < 24 ||
	    c->ioapic_pins > 120 || c->ioapics * c->ioapic_pins > SC_BOARD_MAX_GSIS ||
	    !c->wall_ns)
		return -EINVAL;
	if ((unsigned)c->pit_policy > SC_TICK_MERGE || (unsigned)c->rtc_policy > SC_TICK_MERGE ||
	    (unsigned)c->hpet_policy > SC_TICK_MERGE)
		return -EINVAL;
	return 0;
}

int sc_board_init(struct sc_board *b, struct sc_clock *clock,
		  const struct sc_board_config *cfg, const struct sc_board_ops *ops,
		  const struct sc_trace *trace)
{
	if (!b || !clock || !cfg)
		return -EINVAL;
	struct sc_board_config c = *cfg;
	if (config_check(&c))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->cfg = c;
	if (ops)
		b->ops = *ops;
	b->clock = clock;
	b->trace = trace;
	b->nr_gsis = c.external_irqchip ? SC_IOAPIC_DEFAULT_PINS : c.ioapics * c.ioapic_pins;
	for (unsigned s = 0; s < NR_TICKERS; s++)
		b->ticker[s].isa_irq = -1;

	pthread_mutex_init(&b->chipset.lock, NULL);
	pthread_mutex_init(&b->route_mu, NULL);
	pthread_cond_init(&b->route_cv, NULL);
	atomic_store(&b->routes_queued, 0);
	b->chipset.board = b;
	for (unsigned i = 0; i < SC_BOARD_MAX_IOAPICS; i++) {
		pthread_mutex_init(&b->io_dom[i].lock, NULL);
		b->io_dom[i].board = b;
		b->io_dom[i].index = i;
	}
	sc_timer_init(&b->retrigger_timer, retrigger_timer_cb, b);

	if (!c.external_irqchip) {
		struct sc_line intr = { pic_intr_cb, b };
		sc_pic_init(&b->pic, &intr, trace);
		struct sc_pic_ack ack = { .inta = pic_inta_cb, .opaque = b };
		sc_pic_set_ack(&b->pic, &ack);

		for (unsigned i = 0; i < c.ioapics; i++) {
			struct sc_board_domain *d = &b->io_dom[i];
			struct sc_ioapic_config ic = {
				.pins = c.ioapic_pins,
				.version = c.ioapic_version,
				.id = (uint8_t)(i & 0xf),
				.gsi_base = i * c.ioapic_pins,
				.mmio_base = SC_BOARD_IOAPIC_BASE + i * SC_BOARD_IOAPIC_STRIDE,
				.ext_dest_id = c.ext_dest_id,
			};
			struct sc_msi_sink out = { ioapic_msi_cb, d };
			struct sc_ioapic_route_ops ro = { ioapic_route_cb, d };
			if (sc_ioapic_init(&b->ioapic[i], &ic, &out, &ro, trace))
				return -EINVAL;
			struct sc_ioapic_hooks hk = {
				.eoi = ioapic_eoi_cb, .retrigger = ioapic_retrigger_cb, .opaque = d,
			};
			sc_ioapic_set_hooks(&b->ioapic[i], &hk);
		}

		struct sc_line out0 = { pit_out0_cb, b };
		sc_pit_init(&b->pit, clock, &out0, trace);
		sc_pit_set_policy(&b->pit, c.pit_policy);
	}

	struct sc_rtc_config rc = {
		.wall_ns = c.wall_ns, .wall_opaque = c.wall_opaque,
		.offset_s = c.rtc_offset_s, .policy = c.rtc_policy,
		.bank2 = true,   /* ports 0x72/0x73, as the port table maps them */
	};
	struct sc_line irq8 = { rtc_irq8_cb, b };
	if (sc_rtc_init(&b->rtc, clock, &rc, &irq8, trace))
		return -EINVAL;

	if (!c.no_hpet) {
		struct sc_hpet_config hc = {
			.policy = c.hpet_policy,
			.board_ack_mask = 0xffffffffu,
			.fsb_mask = 0xffffffffu,   /* Tn_FSB_INT_DEL_CAP on every timer */
		};
		struct sc_hpet_irq_ops hi = {
			.set_irq = hpet_set_irq_cb, .set_legacy = hpet_set_legacy_cb,
			.legacy_mode = hpet_legacy_mode_cb, .opaque = b,
		};
		struct sc_msi_sink fsb = { hpet_fsb_cb, b };
		if (sc_hpet_init(&b->hpet, clock, &hc, &hi, &fsb, trace))
			return -EINVAL;
	}
	return 0;
}

/*
 * Host clock callbacks run under the chipset lock.  Their outputs collect
 * in b->timer_ob (only touched with the lock held); exit() copies the used
 * part to its own stack frame, drops the lock and delivers from there.
 */
static void outbox_move(struct sc_board_outbox *dst, struct sc_board_outbox *src)
{
	dst->n_msi = src->n_msi;
	dst->n_route = src->n_route;
	dst->intr_changed = src->intr_changed;
	dst->intr_level = src->intr_level;
	dst->intr_fell = src->intr_fell;
	dst->any_eoi = src->any_eoi;
	if (src->any_eoi)
		memcpy(dst->eoi_gsi, src->eoi_gsi, sizeof(dst->eoi_gsi));
	memcpy(dst->msi, src->msi, src->n_msi * sizeof(src->msi[0]));
	memcpy(dst->route, src->route, src->n_route * sizeof(src->route[0]));
	outbox_init(src);
}

static void host_guard_enter(void *opaque)
{
	struct sc_board *b = opaque;
	pthread_mutex_lock(&b->chipset.lock);
	b->chipset.outbox = &b->timer_ob;
}

static void host_guard_exit(void *opaque)
{
	struct sc_board *b = opaque;
	struct sc_board_outbox ob;
	outbox_move(&ob, &b->timer_ob);
	b->chipset.outbox = NULL;
	pthread_mutex_unlock(&b->chipset.lock);
	outbox_flush(b, &ob);
}

void sc_board_attach_host_clock(struct sc_board *b, struct sc_host_clock *hc)
{
	sc_host_clock_set_guard(hc, host_guard_enter, host_guard_exit, b);
}

void sc_board_destroy(struct sc_board *b)
{
	sc_timer_cancel(b->clock, &b->retrigger_timer);
	if (!b->cfg.no_hpet)
		sc_hpet_destroy(&b->hpet);
	if (!b->cfg.external_irqchip) {
		sc_pit_reset(&b->pit);
	}
	sc_rtc_destroy(&b->rtc);
	pthread_mutex_destroy(&b->chipset.lock);
	pthread_mutex_destroy(&b->route_mu);
	pthread_cond_destroy(&b->route_cv);
	for (unsigned i = 0; i < SC_BOARD_MAX_IOAPICS; i++)
		pthread_mutex_destroy(&b->io_dom[i].lock);
}

void sc_board_reset(struct sc_board *b)
{
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	for (unsigned s = 0; s < NR_TICKERS; s++) {
		if (b->ticker[s].wait_eoi)
			vec_clear(b->tick_ack_vec, b->ticker[s].eoi_vector);
		b->ticker[s].wait_inta = b->ticker[s].wait_eoi = false;
	}
	memset(b->isa_src, 0, sizeof(b->isa_src));
	memset(b->gsi_src, 0, sizeof(b->gsi_src));
	b->hpet_edge_hold[0] = b->hpet_edge_hold[1] = false;
	if (!b->cfg.external_irqchip) {
		sc_pit_reset(&b->pit);
		sc_pic_reset(&b->pic);
		for (unsigned i = 0; i < b->cfg.ioapics; i++) {
			for (unsigned p = 0; p < b->cfg.ioapic_pins; p++)
				sc_ioapic_set_irq(&b->ioapic[i], p, false);
		}
		for (unsigned g = 0; g < b->nr_gsis; g++)
			if (gsi_active_low(b, g))
				gsi_sync_pin(b, g);
	}
	if (!b->cfg.no_hpet)
		sc_hpet_reset(&b->hpet);
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
	/* IOAPIC resets report every route: one batch per IOAPIC. */
	for (unsigned i = 0; !b->cfg.external_irqchip && i < b->cfg.ioapics; i++) {
		outbox_init(&ob);
		dom_lock(&b->io_dom[i], &ob);
		sc_ioapic_reset(&b->ioapic[i]);
		dom_unlock(&b->io_dom[i]);
		outbox_flush(b, &ob);
	}
}

/* ------------------------------------------------------------ guest I/O */

static uint8_t port_read8(struct sc_board *b, uint16_t port)
{
	const struct board_port *p = port_lookup(b, port);
	if (!p)
		return 0xff;
	switch (p->dev) {
	case DEV_PIC:
		return sc_pic_ioport_read(&b->pic, port);
	case DEV_PIT:
		return sc_pit_ioport_read(&b->pit, port);
	case DEV_RTC:
	case DEV_RTC_BANK2:
		return sc_rtc_ioport_read(&b->rtc, port);
	}
	return 0xff;
}

static void port_write8(struct sc_board *b, uint16_t port, uint8_t v)
{
	const struct board_port *p = port_lookup(b, port);
	if (!p)
		return;
	switch (p->dev) {
	case DEV_PIC:
		sc_pic_ioport_write(&b->pic, port, v);
		break;
	case DEV_PIT:
		sc_pit_ioport_write(&b->pit, port, v);
		break;
	case DEV_RTC:
	case DEV_RTC_BANK2:
		sc_rtc_ioport_write(&b->rtc, port, v);
		break;
	}
}

/*
 * The board's chips are 8-bit ISA devices: a 16- or 32-bit access is split
 * into byte accesses at consecutive ports, as the ISA bus does.
 */
bool sc_board_pio_read(struct sc_board *b, uint16_t port, unsigned size, uint32_t *val)
{
	if (!port_lookup(b, port))
		return false;
	if (size != 1 && size != 2 && size != 4)
		size = 1;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)port_read8(b, (uint16_t)(port + i)) << (8 * i);
	inta_settle(b);   /* OCW3 poll is an INTA */
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
	*val = v;
	return true;
}

bool sc_board_pio_write(struct sc_board *b, uint16_t port, unsigned size, uint32_t val)
{
	if (!port_lookup(b, port))
		return false;
	if (size != 1 && size != 2 && size != 4)
		size = 1;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	for (unsigned i = 0; i < size; i++)
		port_write8(b, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
	inta_settle(b);
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
	return true;
}

static int ioapic_of_addr(const struct sc_board *b, uint64_t addr, uint64_t *off)
{
	if (b->cfg.external_irqchip || addr < SC_BOARD_IOAPIC_BASE)
		return -1;
	uint64_t i = (addr - SC_BOARD_IOAPIC_BASE) / SC_BOARD_IOAPIC_STRIDE;
	if (i >= b->cfg.ioapics)
		return -1;
	*off = (addr - SC_BOARD_IOAPIC_BASE) % SC_BOARD_IOAPIC_STRIDE;
	return (int)i;
}

static bool hpet_addr(const struct sc_board *b, uint64_t addr)
{
	return !b->cfg.no_hpet && addr >= SC_BOARD_HPET_BASE &&
	       addr < SC_BOARD_HPET_BASE + SC_BOARD_HPET_SIZE;
}

/* One IOAPIC access; 64-bit ones are two dword accesses (low first). */
static void ioapic_access(struct sc_ioapic *io, uint64_t off, unsigned size,
			  bool write, uint64_t *val)
{
	if (size == 8) {
		uint64_t lo = *val & UINT32_MAX, hi = *val >> 32;
		ioapic_access(io, off, 4, write, &lo);
		ioapic_access(io, off + 4, 4, write, &hi);
		*val = lo | hi << 32;
	} else if (write) {
		sc_ioapic_mmio_write(io, off, size, (uint32_t)*val);
	} else {
		*val = sc_ioapic_mmio_read(io, off, size);
	}
}

/* The MMIO map of board.h: IOAPIC windows under their own lock, the
 * HPET under the chipset lock. */
static bool mmio_access(struct sc_board *b, uint64_t addr, unsigned size,
			bool write, uint64_t *val)
{
	uint64_t off;
	int io = ioapic_of_addr(b, addr, &off);
	struct sc_board_domain *d;
	if (io >= 0)
		d = &b->io_dom[io];
	else if (hpet_addr(b, addr))
		d = &b->chipset;
	else
		return false;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(d, &ob);
	if (io >= 0)
		ioapic_access(&b->ioapic[io], off, size, write, val);
	else if (write)
		sc_hpet_mmio_write(&b->hpet, addr - SC_BOARD_HPET_BASE, size, *val);
	else
		*val = sc_hpet_mmio_read(&b->hpet, addr - SC_BOARD_HPET_BASE, size);
	dom_unlock(d);
	outbox_flush(b, &ob);
	return true;
}

bool sc_board_mmio_read(struct sc_board *b, uint64_t addr, unsigned size, uint64_t *val)
{
	*val = 0;
	return mmio_access(b, addr, size, false, val);
}

bool sc_board_mmio_write(struct sc_board *b, uint64_t addr, unsigned size, uint64_t val)
{
	return mmio_access(b, addr, size, true, &val);
}

/* ------------------------------------------------------------ lines */

int sc_board_set_gsi(struct sc_board *b, unsigned gsi, unsigned source, bool level)
{
	if (gsi >= b->nr_gsis || source >= SC_SRC_MAX)
		return -EINVAL;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	gsi_drive(b, gsi, source, level);
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
	return 0;
}

int sc_board_set_isa_irq(struct sc_board *b, unsigned irq, unsigned source, bool level)
{
	if (irq >= 16 || irq == 2 || source >= SC_SRC_MAX)
		return -EINVAL;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	isa_drive(b, irq, source, level);
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
	return 0;
}

unsigned sc_board_pci_intx_gsi(unsigned bus, unsigned dev, unsigned pin)
{
	return 16u + (((dev + pin) & 3u) | ((bus & 1u) << 2));
}

int sc_board_attach_pci_intx(struct sc_board *b, unsigned bus, unsigned dev, unsigned pin)
{
	if (pin > 3 || dev > 31)
		return -EINVAL;
	unsigned gsi = sc_board_pci_intx_gsi(bus, dev, pin);
	if (gsi >= b->nr_gsis)
		return -EINVAL;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	if (!gsi_active_low(b, gsi)) {
		b->active_low[gsi / 64] |= 1ull << (gsi % 64);
		if (b->cfg.external_irqchip) {
			/* KVM's IOAPIC takes assertion levels, not wire levels. */
		} else {
			gsi_sync_pin(b, gsi);
		}
	}
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
	return 0;
}

int sc_board_set_pci_intx(struct sc_board *b, unsigned bus, unsigned dev,
			  unsigned pin, unsigned source, bool asserted)
{
	if (pin > 3 || dev > 31)
		return -EINVAL;
	unsigned gsi = sc_board_pci_intx_gsi(bus, dev, pin);
	if (gsi >= b->nr_gsis)
		return -EINVAL;
	if (!gsi_active_low(b, gsi))
		sc_board_attach_pci_intx(b, bus, dev, pin);
	return sc_board_set_gsi(b, gsi, source, asserted);
}

/* ------------------------------------------------------------ EOI path */

void sc_board_eoi(struct sc_board *b, uint8_t vector)
{
	if (b->cfg.external_irqchip)
		return;
	bool tick = vec_test(b->tick_ack_vec, vector);
	for (unsigned i = 0; i < b->cfg.ioapics; i++) {
		/* Lock-free filter: no remote IRR waits for this vector here. */
		if (!sc_ioapic_eoi_wanted(&b->ioapic[i], vector))
			continue;
		struct sc_board_outbox ob;
		outbox_init(&ob);
		dom_lock(&b->io_dom[i], &ob);
		sc_ioapic_eoi(&b->ioapic[i], vector);
		dom_unlock(&b->io_dom[i]);
		outbox_flush(b, &ob);
	}
	if (!tick)
		return;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	for (unsigned s = 0; s < NR_TICKERS; s++) {
		struct sc_board_ticker *tk = &b->ticker[s];
		if (tk->wait_eoi && tk->eoi_vector == vector) {
			b->stats.tick_acks_eoi++;
			ticker_done(b, s);
		}
	}
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
}

bool sc_board_vector_awaits_eoi(struct sc_board *b, uint8_t vector)
{
	if (b->cfg.external_irqchip)
		return false;
	if (vec_test(b->tick_ack_vec, vector))
		return true;
	for (unsigned i = 0; i < b->cfg.ioapics; i++)
		if (sc_ioapic_eoi_wanted(&b->ioapic[i], vector))
			return true;
	return false;
}

int sc_board_gsi_status(struct sc_board *b, unsigned gsi, struct sc_board_gsi_status *out)
{
	unsigned io, pin;

	if (!out || b->cfg.external_irqchip || sc_board_gsi_to_pin(b, gsi, &io, &pin))
		return -EINVAL;
	const struct sc_ioapic *ia = &b->ioapic[io];
	/* lock-free: the chip's fields change only under its lock, in single
	 * aligned stores; the counter is bumped after remote IRR is set */
	out->deliveries = __atomic_load_n(&ia->pin_deliveries[pin], __ATOMIC_ACQUIRE);
	out->entry = __atomic_load_n(&ia->redir[pin], __ATOMIC_RELAXED);
	out->delivered_vector = __atomic_load_n(&ia->delivered_vector[pin], __ATOMIC_RELAXED);
	out->line = (__atomic_load_n(&ia->line[pin / 64], __ATOMIC_RELAXED) >> (pin % 64)) & 1;
	if (out->entry & IOAPIC_REDIR_TRIGGER)
		out->awaits_eoi = (out->entry & IOAPIC_REDIR_REMOTE_IRR) != 0;
	else
		out->awaits_eoi = vec_test(b->tick_ack_vec, (uint8_t)(out->entry & IOAPIC_REDIR_VECTOR_MASK));
	return 0;
}

bool sc_board_pic_intr(struct sc_board *b)
{
	if (b->cfg.external_irqchip)
		return false;
	pthread_mutex_lock(&b->chipset.lock);
	bool l = sc_pic_intr_pending(&b->pic);
	pthread_mutex_unlock(&b->chipset.lock);
	return l;
}

int sc_board_pic_inta(struct sc_board *b)
{
	if (b->cfg.external_irqchip)
		return -EINVAL;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	int v = sc_pic_inta(&b->pic);
	inta_settle(b);
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
	return v;
}

void sc_board_pic_nmi_taken(struct sc_board *b)
{
	if (b->cfg.external_irqchip)
		return;
	struct sc_board_outbox ob;
	outbox_init(&ob);
	dom_lock(&b->chipset, &ob);
	for (unsigned s = 0; s < NR_TICKERS; s++) {
		if (b->ticker[s].wait_inta) {
			b->stats.tick_acks_nmi++;
			ticker_done(b, s);
		}
	}
	dom_unlock(&b->chipset);
	outbox_flush(b, &ob);
}

bool sc_board_nmi_masked(struct sc_board *b)
{
	pthread_mutex_lock(&b->chipset.lock);
	bool m = sc_rtc_nmi_masked(&b->rtc);
	pthread_mutex_unlock(&b->chipset.lock);
	return m;
}

void sc_board_set_timer_affinity(struct sc_board *b, int vcpu)
{
	pthread_mutex_lock(&b->chipset.lock);
	if (!b->cfg.external_irqchip)
		sc_pit_set_affinity(&b->pit, vcpu);
	sc_rtc_set_affinity(&b->rtc, vcpu);
	for (unsigned n = 0; !b->cfg.no_hpet && n < b->hpet.timers; n++)
		sc_hpet_set_affinity(&b->hpet, n, vcpu);
	pthread_mutex_unlock(&b->chipset.lock);
}

int sc_board_tick_stats(struct sc_board *b, unsigned source, struct sc_tick_stats *out)
{
	struct sc_tick *t = NULL;
	pthread_mutex_lock(&b->chipset.lock);
	if (source == 0)
		t = ticker_tick(b, TICKER_PIT);
	else if (source == 1)
		t = sc_rtc_tick(&b->rtc);
	else if (source - 2 < SC_HPET_MAX_TIMERS)
		t = ticker_tick(b, TICKER_HPET(source - 2));
	if (t)
		*out = t->stats;
	pthread_mutex_unlock(&b->chipset.lock);
	return t ? 0 : -EINVAL;
}

void sc_board_sync_routes(struct sc_board *b)
{
	for (unsigned i = 0; !b->cfg.external_irqchip && i < b->cfg.ioapics; i++) {
		struct sc_board_outbox ob;
		outbox_init(&ob);
		dom_lock(&b->io_dom[i], &ob);
		for (unsigned p = 0; p < b->cfg.ioapic_pins; p++) {
			struct sc_msi m;
			bool masked, level;
			if (sc_ioapic_route(&b->ioapic[i], p, &m, &masked, &level) == 0)
				ioapic_route_cb(&b->io_dom[i], p, &m, masked, level);
		}
		dom_unlock(&b->io_dom[i]);
		outbox_flush(b, &ob);
	}
}

/* ------------------------------------------------------------ save/restore */

/* Chipset lock and every IOAPIC lock held. */
static void save_locked(struct sc_board *b, struct sc_board_state_v1 *s)
{
	memset(s, 0, sizeof(*s));
	s->version = SC_BOARD_STATE_VERSION;
	s->ioapics = b->cfg.ioapics;
	s->ioapic_pins = b->cfg.ioapic_pins;
	s->external_irqchip = b->cfg.external_irqchip;
	s->has_hpet = !b->cfg.no_hpet;
	s->hpet_edge_hold[0] = b->hpet_edge_hold[0];
	s->hpet_edge_hold[1] = b->hpet_edge_hold[1];
	memcpy(s->isa_src, b->isa_src, sizeof(s->isa_src));
	memcpy(s->gsi_src, b->gsi_src, sizeof(s->gsi_src));
	memcpy(s->active_low, b->active_low, sizeof(s->active_low));
	if (!b->cfg.external_irqchip) {
		sc_pic_save(&b->pic, &s->pic);
		sc_pit_save(&b->pit, &s->pit);
		for (unsigned i = 0; i < b->cfg.ioapics; i++)
			sc_ioapic_save(&b->ioapic[i], &s->ioapic[i]);
	}
	sc_rtc_save(&b->rtc, &s->rtc);
	if (!b->cfg.no_hpet)
		sc_hpet_save(&b->hpet, &s->hpet);
}

static void lock_all(struct sc_board *b, struct sc_board_outbox *ob)
{
	dom_lock(&b->chipset, ob);
	for (unsigned i = 0; i < b->cfg.ioapics; i++)
		dom_lock(&b->io_dom[i], ob);
}

static void unlock_ioapics(struct sc_board *b)
{
	for (unsigned i = b->cfg.ioapics; i-- > 0;)
		dom_unlock(&b->io_dom[i]);
}

void sc_board_save(struct sc_board *b, struct sc_board_state_v1 *s)
{
	lock_all(b, NULL);
	save_locked(b, s);
	unlock_ioapics(b);
	dom_unlock(&b->chipset);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static int board_validate(const struct sc_board *b, const struct sc_board_state_v1 *s)
{
	if (s->version != SC_BOARD_STATE_VERSION || s->ioapics != b->cfg.ioapics ||
	    s->ioapic_pins != b->cfg.ioapic_pins ||
	    s->external_irqchip != (uint8_t)b->cfg.external_irqchip ||
	    s->has_hpet != (uint8_t)!b->cfg.no_hpet ||
	    s->hpet_edge_hold[0] > 1 || s->hpet_edge_hold[1] > 1)
		return -EINVAL;
	for (unsigned g = b->nr_gsis; g < SC_BOARD_MAX_GSIS; g++)
		if (s->gsi_src[g] || (s->active_low[g / 64] & (1ull << (g % 64))))
			return -EINVAL;
	if (s->external_irqchip) {
		if (!all_zero(&s->pic, sizeof(s->pic)) || !all_zero(&s->pit, sizeof(s->pit)) ||
		    !all_zero(s->ioapic, sizeof(s->ioapic)))
			return -EINVAL;
	} else {
		if (sc_pic_validate(&s->pic) || sc_pit_validate(&s->pit))
			return -EINVAL;
		for (unsigned i = 0; i < SC_BOARD_MAX_IOAPICS; i++) {
			if (i >= s->ioapics) {
				if (!all_zero(&s->ioapic[i], sizeof(s->ioapic[i])))
					return -EINVAL;
			} else if (sc_ioapic_validate(&s->ioapic[i]) ||
				   s->ioapic[i].pins != b->cfg.ioapic_pins) {
				return -EINVAL;
			}
		}
	}
	if (sc_rtc_validate(&s->rtc))
		return -EINVAL;
	if (s->has_hpet ? (sc_hpet_validate(&s->hpet) != 0 || s->hpet.timers != b->hpet.timers)
			: !all_zero(&s->hpet, sizeof(s->hpet)))
		return -EINVAL;
	return 0;
}

/*
 * The IOAPICs, the PIC and the PIT, with every lock held.  The router's line state
 * goes first, so the chips that drive lines on restore find it current.
 */
static int restore_locked(struct sc_board *b, const struct sc_board_state_v1 *s)
{
	memcpy(b->isa_src, s->isa_src, sizeof(b->isa_src));
	memcpy(b->gsi_src, s->gsi_src, sizeof(b->gsi_src));
	memcpy(b->active_low, s->active_low, sizeof(b->active_low));
	b->hpet_edge_hold[0] = s->hpet_edge_hold[0];
	b->hpet_edge_hold[1] = s->hpet_edge_hold[1];
	/* Before the IOAPICs report their routes: GSI 8's EOI exits follow it. */
	atomic_store_explicit(&b->hpet_legacy_on,
			      s->has_hpet && (s->hpet.gen_conf & HPET_LEG_RT_CNF),
			      memory_order_relaxed);
	int rc = 0;
	if (!b->cfg.external_irqchip) {
		for (unsigned i = 0; i < b->cfg.ioapics && !rc; i++)
			rc = sc_ioapic_restore(&b->ioapic[i], &s->ioapic[i]);
		if (!rc)
			rc = sc_pic_restore(&b->pic, &s->pic);
		if (!rc)
			rc = sc_pit_restore(&b->pit, &s->pit);
	}
	return rc;
}

/*
 * The chips whose restore may drive lines through the router (the RTC's
 * IRQ8, the HPET's legacy-mode change): chipset lock only, so the router
 * can take the IOAPIC locks.
 */
static int restore_unlocked(struct sc_board *b, const struct sc_board_state_v1 *s)
{
	int rc = 0;
	if (!b->cfg.no_hpet)
		rc = sc_hpet_restore(&b->hpet, &s->hpet);
	if (!rc)
		rc = sc_rtc_restore(&b->rtc, &s->rtc);
	return rc;
}

/*
 * All or nothing.  board_validate() checks every field it can; a chip's
 * restore also checks the state against the live chip (capabilities,
 * limits) and may still refuse after other chips took theirs, so the board
 * keeps a copy of its own state and puts it back on any refusal.  Messages
 * produced by a refused attempt are dropped: the state they came from is
 * gone.
 */
int sc_board_restore(struct sc_board *b, const struct sc_board_state_v1 *s)
{
	if (!b || !s || board_validate(b, s))
		return -EINVAL;
	struct sc_board_outbox *ob = malloc(sizeof(*ob));
	struct sc_board_state_v1 *backup = malloc(sizeof(*backup));
	if (!ob || !backup) {
		free(ob);
		free(backup);
		return -ENOMEM;
	}
	outbox_init(ob);
	lock_all(b, ob);
	save_locked(b, backup);
	int rc = restore_locked(b, s);
	unlock_ioapics(b);
	if (!rc)
		rc = restore_unlocked(b, s);
	if (rc) {
		/* The board's own state: always accepted. */
		for (unsigned i = 0; i < b->cfg.ioapics; i++)
			dom_lock(&b->io_dom[i], ob);
		int again = restore_locked(b, backup);
		unlock_ioapics(b);
		if (!again)
			again = restore_unlocked(b, backup);
		(void)again;
		ob->n_msi = 0;
	} else {
		/*
		 * Acks in flight are not part of the state: release every tick
		 * that waits for one, so none stays stuck after the restore.
		 * With the IOAPIC locks dropped: an ack may deliver the next
		 * owed tick, which drives a line.
		 */
		for (unsigned t = 0; t < NR_TICKERS; t++) {
			struct sc_board_ticker *tk = &b->ticker[t];
			if (tk->wait_eoi)
				vec_clear(b->tick_ack_vec, tk->eoi_vector);
			tk->wait_inta = tk->wait_eoi = false;
			struct sc_tick *tick = ticker_tick(b, t);
			if (tick && tick->in_flight)
				ticker_ack(b, t);
		}
	}
	dom_unlock(&b->chipset);
	outbox_flush(b, ob);
	free(backup);
	free(ob);
	return rc;
}
