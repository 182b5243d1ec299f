/* SPDX-License-Identifier: MIT */
/*
 * The tick engine: one implementation of periodic interrupt delivery and
 * lost-tick policy, shared by every periodic source (PIT channel 0, the RTC
 * periodic interrupt, HPET periodic timers).
 *
 * A chip computes what the guest *reads* (counters, flags) from virtual time
 * on its own; it hands the *interrupts* of a periodic source to an sc_tick.
 * The engine calls deliver() once per interrupt it decides to present and
 * learns that the guest took it through sc_tick_ack() - the acknowledgement
 * signal is chosen by the owner (PIC INTA/EOI, IOAPIC EOI, RTC register C
 * read, HPET status write, LAPIC ISR/IRR sampling).  An owner without any
 * acknowledgement signal calls sc_tick_ack() right after each delivery.
 *
 * Policies, for a tick whose period boundary passed while the host did not
 * run the VM (n = periods elapsed at a late expiry):
 *   SC_TICK_DISCARD  deliver once when the timer runs; the other n-1 ticks
 *                    are dropped.  Delivering while the previous tick is not
 *                    acknowledged yet counts as coalesced.
 *   SC_TICK_DELAY    every tick is owed and delivered, one per
 *                    acknowledgement, as soon as the previous one is acked
 *                    (KVM in-kernel PIT reinjection, Xen delay_for_missed).
 *   SC_TICK_CATCHUP  every tick is owed; the backlog is delivered one per
 *                    acknowledgement but no faster than one per
 *                    period / catchup_speedup, until guest ticks match time.
 *   SC_TICK_MERGE    a late expiry covering n periods delivers one tick
 *                    (n-1 coalesced); a tick due while the previous one is
 *                    unacknowledged is held as one pending tick delivered at
 *                    the ack (Xen one_missed_tick_pending).
 * The backlog of owed ticks is bounded by max_backlog; excess is dropped.
 *
 * Counters: delivered = deliver() calls; reinjected = deliveries of ticks
 * that were owed past their period; coalesced = ticks folded into another
 * delivery; dropped = ticks never delivered.  For DELAY and CATCHUP with an
 * unbounded-enough backlog, every elapsed period is eventually delivered.
 *
 * The engine is not thread-safe; it runs under its owner's lock.
 */
#ifndef SPLITCHIP_TICK_H
#define SPLITCHIP_TICK_H

#include <splitchip/clock.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sc_tick_policy {
	SC_TICK_DISCARD = 0,
	SC_TICK_DELAY = 1,
	SC_TICK_CATCHUP = 2,
	SC_TICK_MERGE = 3,
};

/* "discard", "delay", "catchup", "merge" <-> enum; -EINVAL on unknown. */
int sc_tick_policy_parse(const char *name, enum sc_tick_policy *out);
const char *sc_tick_policy_name(enum sc_tick_policy p);

struct sc_tick_stats {
	uint64_t delivered;
	uint64_t coalesced;
	uint64_t reinjected;
	uint64_t dropped;
};

typedef void sc_tick_fn(void *opaque, uint64_t now);

#define SC_TICK_DEFAULT_MAX_BACKLOG 1000u
#define SC_TICK_DEFAULT_CATCHUP_SPEEDUP 4u

struct sc_tick {
	struct sc_clock *clock;
	struct sc_timer timer;
	enum sc_tick_policy policy;
	sc_tick_fn *deliver;
	void *opaque;
	uint64_t period;          /* ns; 0 = stopped */
	uint64_t next_period;     /* next period boundary (virtual ns) */
	uint32_t backlog;         /* owed ticks not yet delivered */
	uint32_t max_backlog;
	uint32_t catchup_speedup;
	bool in_flight;           /* delivered, not yet acknowledged */
	bool running;
	uint64_t last_delivery;   /* virtual ns of the last deliver() */
	struct sc_tick_stats stats;
	/* private: inside deliver(); an ack from the callback does not recurse */
	bool delivering;
};

void sc_tick_init(struct sc_tick *t, struct sc_clock *clock,
		  enum sc_tick_policy policy, sc_tick_fn *deliver, void *opaque);
void sc_tick_set_policy(struct sc_tick *t, enum sc_tick_policy policy);
/* First tick at absolute virtual time @first, then every @period ns. */
void sc_tick_start(struct sc_tick *t, uint64_t first, uint64_t period);
/* Change the period from the next boundary on (RTC rate, PIT reload). */
void sc_tick_set_period(struct sc_tick *t, uint64_t period);
void sc_tick_stop(struct sc_tick *t);
/*
 * The guest took the last delivered tick.  May call deliver() before it
 * returns (a tick owed by then, under any policy): call it only where the
 * owner's deliver() may run.  It may be called from inside deliver().
 * Ignored when no tick is in flight.
 */
void sc_tick_ack(struct sc_tick *t);
void sc_tick_set_affinity(struct sc_tick *t, int vcpu);

/* Save/restore (part of the owning chip's state). */
struct sc_tick_state_v1 {
	uint64_t period;
	uint64_t next_period;
	uint64_t last_delivery;
	uint32_t backlog;
	uint32_t max_backlog;
	uint32_t catchup_speedup;
	uint8_t policy;
	uint8_t in_flight;
	uint8_t running;
	uint8_t pad;
	uint64_t timer_deadline;  /* 0 = not armed */
	struct sc_tick_stats stats;
};
void sc_tick_save(const struct sc_tick *t, struct sc_tick_state_v1 *s);
int sc_tick_validate(const struct sc_tick_state_v1 *s);
/* Validates first; returns -EINVAL and changes nothing on bad state. */
int sc_tick_restore(struct sc_tick *t, const struct sc_tick_state_v1 *s);

#ifdef __cplusplus
}
#endif
#endif
