/* SPDX-License-Identifier: MIT */
/*
 * The injected clock: timer helpers, the fake clock for tests and the host
 * clock (CLOCK_MONOTONIC) with one deadline queue per service context.
 */
#include <splitchip/clock.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

void sc_timer_init(struct sc_timer *timer, sc_timer_fn *fn, void *opaque)
{
	memset(timer, 0, sizeof(*timer));
	timer->fn = fn;
	timer->opaque = opaque;
	timer->affinity = -1;
}

void sc_timer_arm(struct sc_clock *clock, struct sc_timer *timer, uint64_t deadline)
{
	clock->ops->arm(clock, timer, deadline);
}

void sc_timer_cancel(struct sc_clock *clock, struct sc_timer *timer)
{
	clock->ops->cancel(clock, timer);
}

void sc_timer_set_affinity(struct sc_clock *clock, struct sc_timer *timer, int vcpu)
{
	if (timer->affinity == vcpu)
		return;
	timer->affinity = vcpu;
	if (timer->armed && clock->ops->moved)
		clock->ops->moved(clock, timer);
}

uint64_t sc_muldiv64(uint64_t a, uint64_t mul, uint64_t div)
{
	if (div == 0)
		return UINT64_MAX;   /* saturate, like an overflowing result */
	unsigned __int128 r = (unsigned __int128)a * mul / div;
	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

/* Sorted singly linked list helpers, ordered by (deadline, seq). */
static bool timer_before(const struct sc_timer *a, const struct sc_timer *b)
{
	return a->deadline < b->deadline ||
	       (a->deadline == b->deadline && a->seq < b->seq);
}

static void list_insert(struct sc_timer **head, struct sc_timer *t)
{
	struct sc_timer **pp = head;
	while (*pp && !timer_before(t, *pp))
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

static void list_remove(struct sc_timer **head, struct sc_timer *t)
{
	for (struct sc_timer **pp = head; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			t->next = NULL;
			return;
		}
	}
}

/* ---------------------------------------------------------------- fake */

static struct sc_fake_clock *to_fake(struct sc_clock *c)
{
	return (struct sc_fake_clock *)(void *)((char *)c - offsetof(struct sc_fake_clock, clock));
}

static uint64_t fake_now(struct sc_clock *c)
{
	return to_fake(c)->now;
}

static void fake_arm(struct sc_clock *c, struct sc_timer *t, uint64_t deadline)
{
	struct sc_fake_clock *fc = to_fake(c);
	if (t->armed)
		list_remove(&fc->head, t);
	t->deadline = deadline;
	t->seq = fc->seq++;
	t->armed = true;
	list_insert(&fc->head, t);
}

static void fake_cancel(struct sc_clock *c, struct sc_timer *t)
{
	struct sc_fake_clock *fc = to_fake(c);
	if (!t->armed)
		return;
	list_remove(&fc->head, t);
	t->armed = false;
}

static const struct sc_clock_ops fake_ops = {
	.now = fake_now,
	.arm = fake_arm,
	.cancel = fake_cancel,
};

void sc_fake_clock_init(struct sc_fake_clock *fc, uint64_t start_ns)
{
	memset(fc, 0, sizeof(*fc));
	fc->clock.ops = &fake_ops;
	fc->now = start_ns;
}

/* Fire the earliest timer if it is due by @limit; time becomes its deadline
 * (or stays at now when the deadline is already in the past). */
static bool fake_fire_one(struct sc_fake_clock *fc, uint64_t limit)
{
	struct sc_timer *t = fc->head;
	if (!t || t->deadline > limit)
		return false;
	fc->head = t->next;
	t->next = NULL;
	t->armed = false;
	if (t->deadline > fc->now)
		fc->now = t->deadline;
	fc->fired++;
	t->fn(t, t->opaque, fc->now);
	return true;
}

void sc_fake_clock_advance_to(struct sc_fake_clock *fc, uint64_t target)
{
	while (fake_fire_one(fc, target))
		;
	if (target > fc->now)
		fc->now = target;
}

void sc_fake_clock_advance(struct sc_fake_clock *fc, uint64_t delta_ns)
{
	sc_fake_clock_advance_to(fc, fc->now + delta_ns);
}

void sc_fake_clock_stall(struct sc_fake_clock *fc, uint64_t delta_ns)
{
	fc->now += delta_ns;
}

void sc_fake_clock_run_due(struct sc_fake_clock *fc)
{
	sc_fake_clock_advance_to(fc, fc->now);
}

uint64_t sc_fake_clock_next_deadline(const struct sc_fake_clock *fc)
{
	return fc->head ? fc->head->deadline : UINT64_MAX;
}

/* ---------------------------------------------------------------- host */

static struct sc_host_clock *to_host(struct sc_clock *c)
{
	return (struct sc_host_clock *)(void *)((char *)c - offsetof(struct sc_host_clock, clock));
}

static uint64_t host_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SC_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t host_now(struct sc_clock *c)
{
	return (uint64_t)((int64_t)host_mono_ns() - to_host(c)->offset);
}

unsigned sc_host_clock_queue_of(const struct sc_host_clock *hc, int vcpu)
{
	return vcpu < 0 ? 0 : (unsigned)vcpu % hc->nqueues;
}

/* Called with hc->lock held; returns true if @t became the queue head. */
static bool host_insert_locked(struct sc_host_clock *hc, struct sc_timer *t)
{
	t->queue = sc_host_clock_queue_of(hc, t->affinity);
	t->seq = hc->seq++;
	t->armed = true;
	list_insert(&hc->queue[t->queue], t);
	return hc->queue[t->queue] == t;
}

static void host_arm(struct sc_clock *c, struct sc_timer *t, uint64_t deadline)
{
	struct sc_host_clock *hc = to_host(c);
	pthread_mutex_lock(&hc->lock);
	if (t->armed)
		list_remove(&hc->queue[t->queue], t);
	t->deadline = deadline;
	bool head = host_insert_locked(hc, t);
	unsigned q = t->queue;
	pthread_mutex_unlock(&hc->lock);
	if (head && hc->wake)
		hc->wake(hc->wake_opaque, q);
}

static void host_cancel(struct sc_clock *c, struct sc_timer *t)
{
	struct sc_host_clock *hc = to_host(c);
	pthread_mutex_lock(&hc->lock);
	if (t->armed) {
		list_remove(&hc->queue[t->queue], t);
		t->armed = false;
	}
	/* A new sequence number voids a dispatch already in progress. */
	t->seq = hc->seq++;
	pthread_mutex_unlock(&hc->lock);
}

static void host_moved(struct sc_clock *c, struct sc_timer *t)
{
	struct sc_host_clock *hc = to_host(c);
	pthread_mutex_lock(&hc->lock);
	bool head = false;
	if (t->armed) {
		list_remove(&hc->queue[t->queue], t);
		head = host_insert_locked(hc, t);
	}
	unsigned q = t->queue;
	pthread_mutex_unlock(&hc->lock);
	if (head && hc->wake)
		hc->wake(hc->wake_opaque, q);
}

static const struct sc_clock_ops host_ops = {
	.now = host_now,
	.arm = host_arm,
	.cancel = host_cancel,
	.moved = host_moved,
};

int sc_host_clock_init(struct sc_host_clock *hc, unsigned nqueues,
		       void (*wake)(void *opaque, unsigned q), void *wake_opaque)
{
	if (nqueues == 0 || nqueues > SC_HOST_CLOCK_MAX_QUEUES)
		return -EINVAL;
	memset(hc, 0, sizeof(*hc));
	hc->clock.ops = &host_ops;
	hc->nqueues = nqueues;
	hc->wake = wake;
	hc->wake_opaque = wake_opaque;
	/* Virtual time starts near zero, like a machine just powered on. */
	hc->offset = (int64_t)host_mono_ns();
	if (pthread_mutex_init(&hc->lock, NULL))
		return -EINVAL;
	return 0;
}

void sc_host_clock_destroy(struct sc_host_clock *hc)
{
	pthread_mutex_destroy(&hc->lock);
}

uint64_t sc_host_clock_next_deadline(struct sc_host_clock *hc, unsigned q)
{
	if (q >= hc->nqueues)
		return UINT64_MAX;
	pthread_mutex_lock(&hc->lock);
	uint64_t d = hc->queue[q] ? hc->queue[q]->deadline : UINT64_MAX;
	pthread_mutex_unlock(&hc->lock);
	return d;
}

unsigned sc_host_clock_run_due(struct sc_host_clock *hc, unsigned q)
{
	unsigned ran = 0;
	if (q >= hc->nqueues)
		return 0;
	for (;;) {
		uint64_t now = host_now(&hc->clock);
		pthread_mutex_lock(&hc->lock);
		struct sc_timer *t = hc->queue[q];
		if (!t || t->deadline > now) {
			pthread_mutex_unlock(&hc->lock);
			return ran;
		}
		hc->queue[q] = t->next;
		t->next = NULL;
		t->armed = false;
		uint64_t seq = t->seq;
		pthread_mutex_unlock(&hc->lock);
		/*
		 * The callback runs without the clock lock (it may re-arm its
		 * timer) but inside the owner's guard.  Between popping
		 * and taking that lock the owner may have cancelled or re-armed
		 * the timer: then this expiry is stale and is skipped.
		 */
		if (hc->guard_enter) {
			hc->guard_enter(hc->guard_opaque);
			pthread_mutex_lock(&hc->lock);
			bool stale = t->armed || t->seq != seq;
			pthread_mutex_unlock(&hc->lock);
			if (!stale) {
				t->fn(t, t->opaque, now);
				ran++;
			}
			hc->guard_exit(hc->guard_opaque);
		} else {
			t->fn(t, t->opaque, now);
			ran++;
		}
	}
}

void sc_host_clock_set_guard(struct sc_host_clock *hc, void (*enter)(void *opaque),
			     void (*exit_)(void *opaque), void *opaque)
{
	hc->guard_enter = enter;
	hc->guard_exit = exit_;
	hc->guard_opaque = opaque;
}

uint64_t sc_host_clock_to_host(const struct sc_host_clock *hc, uint64_t vt)
{
	return (uint64_t)((int64_t)vt + hc->offset);
}
