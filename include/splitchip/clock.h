/* SPDX-License-Identifier: MIT */
/*
 * The injected clock: the one virtual time base of a VM.
 *
 * Chips never read a host clock.  They read virtual time (nanoseconds,
 * monotonic, starting wherever the owner chooses) with sc_clock_now() and
 * ask for wake-ups with absolute deadlines on caller-allocated timers.
 *
 * Two implementations ship with the library:
 *   - sc_fake_clock: time moves only when a test says so; due deadlines
 *     fire in deadline order (ties in arming order), with now() equal to
 *     each deadline as it fires.  sc_fake_clock_stall() moves time without
 *     firing, to model a host that did not run the VM for a while.
 *   - sc_host_clock: CLOCK_MONOTONIC minus an offset, with one deadline
 *     queue per service context ("timer follows the vCPU": a VMM makes one
 *     queue per vCPU thread and services each queue on that thread).
 *
 * Timer affinity: sc_timer.affinity names the vCPU expected to take the
 * interrupt the timer produces (-1: no preference).  Chips and the board
 * update it when routing changes; the clock implementation uses it to pick
 * the queue.  The fake clock ignores it.
 *
 * Callbacks: a timer callback runs with the timer already disarmed; it may
 * re-arm it.  The callback context is whoever serviced the clock (the test
 * for the fake clock, a VMM thread for the host clock); owners that share a
 * chip between threads take their lock in the callback.
 */
#ifndef SPLITCHIP_CLOCK_H
#define SPLITCHIP_CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_NSEC_PER_SEC 1000000000ull

struct sc_clock;
struct sc_timer;

typedef void sc_timer_fn(struct sc_timer *timer, void *opaque, uint64_t now);

struct sc_timer {
	sc_timer_fn *fn;
	void *opaque;
	uint64_t deadline;     /* absolute virtual ns, meaningful while armed */
	int affinity;          /* vCPU index that will take the interrupt, -1 any */
	bool armed;
	/* private to the clock implementation */
	uint64_t seq;
	unsigned queue;
	struct sc_timer *next;
};

struct sc_clock_ops {
	uint64_t (*now)(struct sc_clock *clock);
	void (*arm)(struct sc_clock *clock, struct sc_timer *timer, uint64_t deadline);
	void (*cancel)(struct sc_clock *clock, struct sc_timer *timer);
	/* Optional: affinity of an armed timer changed. */
	void (*moved)(struct sc_clock *clock, struct sc_timer *timer);
};

struct sc_clock {
	const struct sc_clock_ops *ops;
};

static inline uint64_t sc_clock_now(struct sc_clock *clock)
{
	return clock->ops->now(clock);
}

void sc_timer_init(struct sc_timer *timer, sc_timer_fn *fn, void *opaque);
/* Arm (or re-arm) @timer for absolute virtual time @deadline. */
void sc_timer_arm(struct sc_clock *clock, struct sc_timer *timer, uint64_t deadline);
void sc_timer_cancel(struct sc_clock *clock, struct sc_timer *timer);
/* Record which vCPU takes this timer's interrupt ("timer follows the vCPU"). */
void sc_timer_set_affinity(struct sc_clock *clock, struct sc_timer *timer, int vcpu);

/* Multiply-divide without overflow for 64-bit virtual time conversions. */
uint64_t sc_muldiv64(uint64_t a, uint64_t mul, uint64_t div);

/* ---- fake clock (tests, fuzzing, deterministic replay) ---- */
struct sc_fake_clock {
	struct sc_clock clock;
	uint64_t now;
	uint64_t seq;
	struct sc_timer *head;  /* sorted by (deadline, seq) */
	unsigned fired;         /* callbacks run so far */
};

void sc_fake_clock_init(struct sc_fake_clock *fc, uint64_t start_ns);
/* Move time forward by @delta_ns, firing every due deadline in order. */
void sc_fake_clock_advance(struct sc_fake_clock *fc, uint64_t delta_ns);
/* Move time to absolute @t (no-op if t <= now), firing due deadlines. */
void sc_fake_clock_advance_to(struct sc_fake_clock *fc, uint64_t t);
/*
 * A host stall: time jumps by @delta_ns and nothing fires during the jump.
 * Overdue timers fire late, at the new time, on the next advance (or on
 * sc_fake_clock_run_due()).
 */
void sc_fake_clock_stall(struct sc_fake_clock *fc, uint64_t delta_ns);
/* Fire timers whose deadline is <= now, at the current time. */
void sc_fake_clock_run_due(struct sc_fake_clock *fc);
/* Earliest armed deadline, or UINT64_MAX. */
uint64_t sc_fake_clock_next_deadline(const struct sc_fake_clock *fc);

/* ---- host clock (CLOCK_MONOTONIC, per-vCPU deadline queues) ---- */
#define SC_HOST_CLOCK_MAX_QUEUES 256

struct sc_host_clock {
	struct sc_clock clock;
	int64_t offset;          /* virtual = CLOCK_MONOTONIC - offset */
	unsigned nqueues;
	uint64_t seq;
	pthread_mutex_t lock;    /* covers the queues and every timer's links */
	struct sc_timer *queue[SC_HOST_CLOCK_MAX_QUEUES];
	/* Called (without the lock) when queue @q got an earlier deadline. */
	void (*wake)(void *opaque, unsigned q);
	void *wake_opaque;
	/*
	 * Optional guard around every callback: enter() takes the owner's lock
	 * (the board's chipset lock), exit() drops it and delivers what the
	 * callback produced.  Lock order: the owner's lock before the clock's
	 * own.  A timer cancelled or re-armed while its callback was being
	 * dispatched does not fire.
	 */
	void (*guard_enter)(void *opaque);
	void (*guard_exit)(void *opaque);
	void *guard_opaque;
};

/* @nqueues in 1..SC_HOST_CLOCK_MAX_QUEUES; returns 0 or -EINVAL. */
int sc_host_clock_init(struct sc_host_clock *hc, unsigned nqueues,
		       void (*wake)(void *opaque, unsigned q), void *wake_opaque);
void sc_host_clock_destroy(struct sc_host_clock *hc);
/* Run every timer callback between enter() and exit() (see guard_enter). */
void sc_host_clock_set_guard(struct sc_host_clock *hc, void (*enter)(void *opaque),
			     void (*exit_)(void *opaque), void *opaque);
/* Queue that services timers with affinity @vcpu. */
unsigned sc_host_clock_queue_of(const struct sc_host_clock *hc, int vcpu);
/* Earliest deadline on queue @q (virtual ns), or UINT64_MAX. */
uint64_t sc_host_clock_next_deadline(struct sc_host_clock *hc, unsigned q);
/* Run the callbacks of queue @q that are due; returns how many ran. */
unsigned sc_host_clock_run_due(struct sc_host_clock *hc, unsigned q);
/* Host CLOCK_MONOTONIC time (ns) of virtual time @vt, for timerfd/ppoll. */
uint64_t sc_host_clock_to_host(const struct sc_host_clock *hc, uint64_t vt);

#ifdef __cplusplus
}
#endif
#endif
