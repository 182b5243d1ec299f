/* SPDX-License-Identifier: MIT */
/*
 * Workloads 2 and 3, library level: tick accuracy under overload and timer
 * latency (deadline -> the board's MSI callback), without KVM.
 *
 * One run simulates one VM with one vCPU:
 *   - a real sc_host_clock (CLOCK_MONOTONIC) with one deadline queue, and
 *     the board attached to it (callbacks under the chipset lock);
 *   - a "vCPU" thread that services the queue: it sleeps with
 *     clock_nanosleep() until the next deadline (or the next guest event),
 *     then calls sc_host_clock_run_due(), exactly as splitvm's vCPU thread
 *     does between KVM_RUN calls;
 *   - the guest, simulated on that thread: it programs the PIT at 1 kHz
 *     (mode 2, count 1193), the RTC periodic interrupt at 1024 Hz (PIE) and
 *     HPET timer 0 periodic at 1 kHz (edge, IOAPIC pin 20), all through
 *     IOAPIC pins 2, 8 and 20 (PIC masked), with eoi_ack (split mode).
 *     The board's MSIs land in a model of the local APIC's IRR: one bit per
 *     vector, so a message for a vector still pending in IRR merges with
 *     it (the guest sees one interrupt).  @guest_delay after a vector became
 *     pending the guest's handler runs: it counts the tick, reads RTC
 *     register C for the RTC, and EOIs the vector (sc_board_eoi(), which is
 *     what KVM_EXIT_IOAPIC_EOI leads to).
 * Loads: idle; hog (CPU-spinning threads, one per online CPU plus one,
 * competing with the vCPU thread); stall (the vCPU thread sleeps 50 ms at
 * one third of the run without servicing anything: a descheduled vCPU).
 *
 * At the end of the interval, on the vCPU thread: expected ticks = period
 * boundaries elapsed since the first one (virtual elapsed / period, from the
 * exact chip rates: 1193182/1193 Hz, 1024 Hz, 1000 Hz); received = handler
 * entries; owed = ticks the tick engine still holds (backlog) plus vectors
 * pending in the model IRR.  lost = expected - received - owed (ticks the
 * guest will never see), extra = received - expected (doubled ticks),
 * drift = (received - expected) / expected.
 *
 * Latency: for every MSI sent from a timer callback of a tick source,
 * host time of the MSI callback minus the host time of the deadline of the
 * timer that fired (read in a guard wrapped around the board's).  Ticks
 * released later by an EOI (owed ticks) are not latency samples.  The
 * library's part of it (lib_*): from the clock's dispatch of the callback
 * (guard entry) to the MSI callback - the rest is the host waking the
 * servicing thread.
 */
#include "bench.h"

#include <sys/prctl.h>

#define NSRC 3
#define STALL_NS 50000000ull
#define MAX_REPS 32

enum load { L_IDLE, L_HOG, L_STALL, L_COUNT };
static const char *const load_names[L_COUNT] = { "idle", "hog", "stall" };

struct src {
	const char *name;
	uint8_t vector;
	unsigned gsi;
	uint64_t rate_num, rate_den;   /* ticks per ns = num / den */
	struct sc_tick *tick;
	uint64_t first;                /* first boundary (virtual ns) */
	/* guest / LAPIC model */
	bool irr;
	uint64_t irr_time;
	uint64_t received, merged, msis;
	/* latency */
	bool fired;
	uint64_t fired_deadline, fired_host;
	double *lat_us, *lib_us;
	size_t nlat, maxlat;
};

struct result {
	uint64_t expected, received, owed, lost, extra, merged;
	double drift_pct;
	struct sc_tick_stats st;
	double p50, p99, max, lib_p50, lib_p99;
	size_t nlat;
};

struct run {
	enum sc_tick_policy policy;
	enum load load;
	uint64_t duration_ns, guest_delay_ns;
	struct sc_board board;
	struct sc_host_clock hc;
	struct src src[NSRC];
	void (*enter)(void *), (*exit_)(void *);
	void *guard_opaque;
	struct result res[NSRC];
	int err;
};

static struct src *src_of_vector(struct run *r, uint8_t v)
{
	for (unsigned i = 0; i < NSRC; i++)
		if (r->src[i].vector == v)
			return &r->src[i];
	return NULL;
}

static void msi_cb(void *opaque, const struct sc_msi *m)
{
	struct run *r = opaque;
	struct src *s = src_of_vector(r, (uint8_t)(m->data & SC_MSI_DATA_VECTOR_MASK));
	if (!s)
		return;
	uint64_t now = bench_mono_ns();
	s->msis++;
	if (s->fired) {
		uint64_t d = sc_host_clock_to_host(&r->hc, s->fired_deadline);
		if (s->nlat < s->maxlat) {
			s->lib_us[s->nlat] = (double)(now - s->fired_host) / 1000.0;
			s->lat_us[s->nlat++] = now > d ? (double)(now - d) / 1000.0 : 0.0;
		}
		s->fired = false;
	}
	if (s->irr) {
		s->merged++;        /* LAPIC IRR already set: one interrupt for both */
		return;
	}
	s->irr = true;
	s->irr_time = now;
}

/* Around the board's guard: note which tick timer is being fired. */
static void guard_enter(void *opaque)
{
	struct run *r = opaque;
	uint64_t now = bench_mono_ns();
	for (unsigned i = 0; i < NSRC; i++) {
		struct sc_tick *t = r->src[i].tick;
		r->src[i].fired = t && t->running && !t->timer.armed;
		if (r->src[i].fired) {
			r->src[i].fired_deadline = t->timer.deadline;
			r->src[i].fired_host = now;
		}
	}
	r->enter(r->guard_opaque);
}

static void guard_exit(void *opaque)
{
	struct run *r = opaque;
	r->exit_(r->guard_opaque);
	for (unsigned i = 0; i < NSRC; i++)
		r->src[i].fired = false;
}

static void wake_cb(void *opaque, unsigned q)
{
	/* Every deadline is armed on the vCPU thread itself: nothing to wake. */
}

static int setup(struct run *r)
{
	struct sc_board_config cfg = {
		.eoi_ack = true,
		.pit_policy = r->policy, .rtc_policy = r->policy, .hpet_policy = r->policy,
		.wall_ns = bench_wall_ns,
	};
	struct sc_board_ops ops = { .msi = msi_cb, .opaque = r };
	if (sc_host_clock_init(&r->hc, 1, wake_cb, r))
		return -1;
	if (sc_board_init(&r->board, &r->hc.clock, &cfg, &ops, NULL))
		return -1;
	sc_board_attach_host_clock(&r->board, &r->hc);
	r->enter = r->hc.guard_enter;
	r->exit_ = r->hc.guard_exit;
	r->guard_opaque = r->hc.guard_opaque;
	sc_host_clock_set_guard(&r->hc, guard_enter, guard_exit, r);
	sc_board_set_timer_affinity(&r->board, 0);

	struct sc_board *b = &r->board;
	struct src *s = r->src;
	s[0] = (struct src){ .name = "pit", .vector = 0x30, .gsi = 2,
			     .rate_num = SC_PIT_FREQ_HZ, .rate_den = 1193ull * SC_NSEC_PER_SEC };
	s[1] = (struct src){ .name = "rtc", .vector = 0x38, .gsi = 8,
			     .rate_num = 1024, .rate_den = SC_NSEC_PER_SEC };
	s[2] = (struct src){ .name = "hpet", .vector = 0x40, .gsi = 20,
			     .rate_num = 1, .rate_den = 1000000 };
	for (unsigned i = 0; i < NSRC; i++) {
		s[i].maxlat = (size_t)(r->duration_ns / 900000) + 1024;
		s[i].lat_us = calloc(s[i].maxlat, sizeof(double));
		s[i].lib_us = calloc(s[i].maxlat, sizeof(double));
		if (!s[i].lat_us || !s[i].lib_us)
			return -1;
	}
	bench_pic_mask_all(b);
	for (unsigned i = 0; i < NSRC; i++)
		bench_ioapic_entry(b, 0, s[i].gsi, bench_entry(s[i].vector, false));
	bench_pit_rate(b, 1193);
	bench_rtc_pie(b);
	bench_hpet_periodic(b, s[2].gsi, 100000);   /* 100000 x 10 ns = 1 ms */
	s[0].tick = sc_pit_tick(&b->pit);
	s[1].tick = sc_rtc_tick(&b->rtc);
	s[2].tick = sc_hpet_tick(&b->hpet, 0);
	pthread_mutex_lock(&b->chipset.lock);
	for (unsigned i = 0; i < NSRC; i++) {
		if (!s[i].tick || !s[i].tick->running) {
			pthread_mutex_unlock(&b->chipset.lock);
			fprintf(stderr, "bench_ticks: %s tick not running\n", s[i].name);
			return -1;
		}
		s[i].first = s[i].tick->next_period;
	}
	pthread_mutex_unlock(&b->chipset.lock);
	return 0;
}

/* The guest takes vector @s: handler entry, device ack, EOI. */
static void guest_handle(struct run *r, struct src *s)
{
	s->irr = false;
	s->received++;
	if (s == &r->src[1])
		bench_rtc_ack(&r->board);
	sc_board_eoi(&r->board, s->vector);
}

static void snapshot(struct run *r, uint64_t vt)
{
	struct sc_board *b = &r->board;
	for (unsigned i = 0; i < NSRC; i++) {
		struct src *s = &r->src[i];
		struct result *o = &r->res[i];
		pthread_mutex_lock(&b->chipset.lock);
		uint64_t backlog = s->tick->backlog;
		pthread_mutex_unlock(&b->chipset.lock);
		sc_board_tick_stats(b, i, &o->st);
		o->expected = vt >= s->first ?
			sc_muldiv64(vt - s->first, s->rate_num, s->rate_den) + 1 : 0;
		o->received = s->received;
		o->owed = backlog + (s->irr ? 1 : 0);
		o->lost = o->expected > o->received + o->owed ?
			  o->expected - o->received - o->owed : 0;
		o->extra = o->received > o->expected ? o->received - o->expected : 0;
		o->merged = s->merged;
		o->drift_pct = o->expected ?
			100.0 * ((double)o->received - (double)o->expected) / (double)o->expected : 0;
		o->nlat = s->nlat;
		o->p50 = bench_quantile(s->lat_us, s->nlat, 0.50);
		o->p99 = bench_quantile(s->lat_us, s->nlat, 0.99);
		o->max = bench_max(s->lat_us, s->nlat);
		o->lib_p50 = bench_quantile(s->lib_us, s->nlat, 0.50);
		o->lib_p99 = bench_quantile(s->lib_us, s->nlat, 0.99);
	}
}

static void *vcpu_fn(void *opaque)
{
	struct run *r = opaque;
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (setup(r)) {
		r->err = 1;
		return NULL;
	}
	uint64_t start = bench_mono_ns();
	uint64_t end = start + r->duration_ns;
	uint64_t stall_at = r->load == L_STALL ? start + r->duration_ns / 3 : UINT64_MAX;
	for (;;) {
		uint64_t now = bench_mono_ns();
		if (now >= stall_at) {
			bench_sleep_ns(STALL_NS);   /* the host did not run this vCPU */
			stall_at = UINT64_MAX;
			continue;
		}
		bool last = now >= end;
		uint64_t vt = sc_clock_now(&r->hc.clock);
		sc_host_clock_run_due(&r->hc, 0);
		now = bench_mono_ns();
		for (unsigned i = 0; i < NSRC; i++) {
			struct src *s = &r->src[i];
			if (s->irr && now >= s->irr_time + r->guest_delay_ns && !last)
				guest_handle(r, s);
		}
		if (last) {
			snapshot(r, vt);
			break;
		}
		uint64_t wake = end < stall_at ? end : stall_at;
		uint64_t d = sc_host_clock_next_deadline(&r->hc, 0);
		if (d != UINT64_MAX) {
			uint64_t hd = sc_host_clock_to_host(&r->hc, d);
			wake = hd < wake ? hd : wake;
		}
		for (unsigned i = 0; i < NSRC; i++) {
			struct src *s = &r->src[i];
			if (s->irr && s->irr_time + r->guest_delay_ns < wake)
				wake = s->irr_time + r->guest_delay_ns;
		}
		if (wake > bench_mono_ns())
			bench_sleep_until(wake);
	}
	sc_board_destroy(&r->board);
	sc_host_clock_destroy(&r->hc);
	for (unsigned i = 0; i < NSRC; i++) {
		free(r->src[i].lat_us);
		free(r->src[i].lib_us);
	}
	return NULL;
}

static int run_one(struct run *r)
{
	struct bench_hog hog;
	if (r->load == L_HOG)
		bench_hog_start(&hog, 0);
	pthread_t t;
	int rc = pthread_create(&t, NULL, vcpu_fn, r);
	if (rc == 0)
		pthread_join(t, NULL);
	if (r->load == L_HOG)
		bench_hog_stop(&hog);
	return rc || r->err ? -1 : 0;
}

static const char *arg_val(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

int main(int argc, char **argv)
{
	uint64_t dur_ms = strtoull(arg_val(argc, argv, "--duration-ms", "3000"), NULL, 0);
	unsigned reps = (unsigned)atoi(arg_val(argc, argv, "--reps", "3"));
	uint64_t delay_us = strtoull(arg_val(argc, argv, "--guest-delay-us", "20"), NULL, 0);
	const char *raw_path = arg_val(argc, argv, "--raw", NULL);
	const char *ticks_path = arg_val(argc, argv, "--ticks", "ticks.csv");
	const char *lat_path = arg_val(argc, argv, "--latency", "latency.csv");
	if (dur_ms < 200 || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: %s [--duration-ms N>=200] [--reps 1..%d] [--guest-delay-us N]"
			" [--raw F] [--ticks F] [--latency F]\n", argv[0], MAX_REPS);
		return 2;
	}
	FILE *raw = raw_path ? fopen(raw_path, "w") : NULL;
	FILE *ft = fopen(ticks_path, "w"), *fl = fopen(lat_path, "w");
	if (!ft || !fl || (raw_path && !raw)) {
		perror("bench_ticks: open");
		return 1;
	}
	if (raw)
		fprintf(raw, "policy,load,source,rep,expected,received,owed,lost,extra,drift_pct,"
			"lapic_merged,delivered,coalesced,reinjected,dropped,lat_samples,"
			"lat_p50_us,lat_p99_us,lat_max_us\n");
	fprintf(ft, "policy,load,source,reps,expected,received,lost_median,lost_max,"
		"extra_max,drift_pct_median,lapic_merged_median,engine_dropped_median,"
		"engine_coalesced_median,engine_reinjected_median\n");
	fprintf(fl, "policy,load,source,reps,samples,p50_us,p99_us,max_us,lib_p50_us,lib_p99_us\n");

	static struct run r;
	static struct result res[MAX_REPS][NSRC];
	for (unsigned p = 0; p <= SC_TICK_MERGE; p++) {
		for (unsigned l = 0; l < L_COUNT; l++) {
			for (unsigned k = 0; k < reps; k++) {
				memset(&r, 0, sizeof(r));
				r.policy = (enum sc_tick_policy)p;
				r.load = (enum load)l;
				r.duration_ns = dur_ms * 1000000ull;
				r.guest_delay_ns = delay_us * 1000ull;
				if (run_one(&r)) {
					fprintf(stderr, "bench_ticks: run failed\n");
					return 1;
				}
				memcpy(res[k], r.res, sizeof(r.res));
				for (unsigned i = 0; i < NSRC; i++) {
					if (r.res[i].received * 2 < r.res[i].expected &&
					    r.load == L_IDLE && r.policy == SC_TICK_DELAY) {
						fprintf(stderr, "bench_ticks: %s: %llu of %llu ticks"
							" received idle with delay: setup broken\n",
							r.src[i].name,
							(unsigned long long)r.res[i].received,
							(unsigned long long)r.res[i].expected);
						return 1;
					}
				}
				for (unsigned i = 0; raw && i < NSRC; i++) {
					const struct result *o = &r.res[i];
					fprintf(raw, "%s,%s,%s,%u,%llu,%llu,%llu,%llu,%llu,%.4f,%llu,"
						"%llu,%llu,%llu,%llu,%zu,%.1f,%.1f,%.1f\n",
						sc_tick_policy_name(r.policy), load_names[l],
						r.src[i].name, k,
						(unsigned long long)o->expected,
						(unsigned long long)o->received,
						(unsigned long long)o->owed,
						(unsigned long long)o->lost,
						(unsigned long long)o->extra, o->drift_pct,
						(unsigned long long)o->merged,
						(unsigned long long)o->st.delivered,
						(unsigned long long)o->st.coalesced,
						(unsigned long long)o->st.reinjected,
						(unsigned long long)o->st.dropped, o->nlat,
						o->p50, o->p99, o->max);
				}
			}
			for (unsigned i = 0; i < NSRC; i++) {
				double v[10][MAX_REPS];
				double lost_max = 0, extra_max = 0, lat_max = 0;
				size_t nlat = 0;
				for (unsigned k = 0; k < reps; k++) {
					const struct result *o = &res[k][i];
					v[0][k] = (double)o->lost;
					v[1][k] = o->drift_pct;
					v[2][k] = (double)o->merged;
					v[3][k] = (double)o->st.dropped;
					v[4][k] = (double)o->st.coalesced;
					v[5][k] = (double)o->st.reinjected;
					v[6][k] = o->p50;
					v[7][k] = o->p99;
					v[8][k] = o->lib_p50;
					v[9][k] = o->lib_p99;
					lost_max = (double)o->lost > lost_max ? (double)o->lost : lost_max;
					extra_max = (double)o->extra > extra_max ? (double)o->extra : extra_max;
					lat_max = o->max > lat_max ? o->max : lat_max;
					nlat += o->nlat;
				}
				const char *pn = sc_tick_policy_name((enum sc_tick_policy)p);
				fprintf(ft, "%s,%s,%s,%u,%llu,%llu,%.0f,%.0f,%.0f,%.3f,%.0f,%.0f,%.0f,%.0f\n",
					pn, load_names[l], r.src[i].name, reps,
					(unsigned long long)res[reps - 1][i].expected,
					(unsigned long long)res[reps - 1][i].received,
					bench_median(v[0], reps), lost_max, extra_max,
					bench_median(v[1], reps), bench_median(v[2], reps),
					bench_median(v[3], reps), bench_median(v[4], reps),
					bench_median(v[5], reps));
				fprintf(fl, "%s,%s,%s,%u,%zu,%.1f,%.1f,%.1f,%.2f,%.2f\n", pn,
					load_names[l], r.src[i].name, reps, nlat,
					bench_median(v[6], reps), bench_median(v[7], reps), lat_max,
					bench_median(v[8], reps), bench_median(v[9], reps));
			}
			fflush(ft);
			fflush(fl);
		}
	}
	fclose(ft);
	fclose(fl);
	if (raw)
		fclose(raw);
	return 0;
}
