/* SPDX-License-Identifier: MIT */
/*
 * Workloads 4 and 5, library level: level-triggered round trips and EOI
 * path scalability, without KVM.  Threads stand in for vCPU threads.
 *
 * Round trips (workload 4): N threads, thread i owns GSI 24 + i on one
 * 120-pin IOAPIC (vector 0x50 + i, active high, level or edge).  One round
 * trip: sc_board_set_gsi() raises the line -> the board's MSI callback runs
 * on the raising thread (the interrupt reaches the "LAPIC") -> the handler
 * lowers the line (device ack) -> sc_board_eoi() (KVM_EXIT_IOAPIC_EOI for
 * level vectors).  The MSI is checked to have arrived every time.
 *
 * EOI scalability (workload 5): N threads calling sc_board_eoi() in a loop.
 *   fast    vectors with no level pin and no tick waiting: the lock-free
 *           filter returns without locking or writing shared memory;
 *   level1  a level vector per thread, pins on 1 IOAPIC (120 pins): each
 *           EOI clears remote IRR under that IOAPIC's lock; the line stays
 *           asserted so the IOAPIC redelivers (remote IRR set again) and
 *           the next EOI has work too.  Every 1024 EOIs the thread drops
 *           and raises its line (a fresh interrupt, keeps the EOI-storm
 *           guard out of the measurement);
 *   level8  the same with the pins spread over 8 IOAPICs (thread i on
 *           IOAPIC i % 8): 8 locks instead of 1.
 * Each against "global": the same calls with every sc_board_eoi() wrapped
 * in one process-wide pthread mutex (what a VMM with one irqchip lock does).
 *
 * Built a second time as bench_irq_locks (-DBENCH_COUNT_LOCKS, ld --wrap
 * pthread_mutex_lock): counts the library's lock acquisitions per phase of
 * a round trip and per EOI.  That build is never used for timing.
 */
#include "bench.h"

#define MAX_THREADS 64
#define MAX_REPS 32

#ifdef BENCH_COUNT_LOCKS
int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
static _Thread_local uint64_t tl_locks;
int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
	tl_locks++;
	return __real_pthread_mutex_lock(m);
}
#endif

static _Thread_local uint64_t tl_msi;
static _Thread_local uint64_t tl_gsi_eoi;

static void msi_cb(void *opaque, const struct sc_msi *m)
{
	tl_msi++;
}

static void gsi_eoi_cb(void *opaque, unsigned gsi)
{
	tl_gsi_eoi++;
}

enum path { P_FAST, P_LEVEL1, P_LEVEL8, P_COUNT };
static const char *const path_names[P_COUNT] = { "fast", "level1", "level8" };

struct bench {
	struct sc_board board;
	struct sc_host_clock hc;
	unsigned threads;
	enum path path;
	bool level;             /* round trips: level (else edge) */
	bool global;            /* EOI under one global mutex */
	bool roundtrip;         /* workload 4 (else 5) */
	pthread_barrier_t start;
	atomic_bool stop;
	pthread_mutex_t gmutex;
	uint64_t ops[MAX_THREADS];
	uint64_t msis[MAX_THREADS];
	uint64_t bad[MAX_THREADS];
	uint64_t cpu_ns[MAX_THREADS];
};

struct targ {
	struct bench *b;
	unsigned i;
};

static void where(const struct bench *bn, unsigned i, unsigned *io, unsigned *gsi, uint8_t *vec)
{
	if (bn->path == P_LEVEL8) {
		*io = i % 8;
		*gsi = 24 * (i % 8) + 16 + i / 8;
	} else {
		*io = 0;
		*gsi = 24 + i;
	}
	*vec = (uint8_t)(0x50 + i);
}

static int board_setup(struct bench *bn)
{
	struct sc_board_config cfg = {
		.ioapics = bn->path == P_LEVEL8 ? 8 : 1,
		.ioapic_pins = bn->path == P_LEVEL8 ? 24 : 120,
		.eoi_ack = true,
		.wall_ns = bench_wall_ns,
	};
	struct sc_board_ops ops = { .msi = msi_cb, .gsi_eoi = gsi_eoi_cb };
	if (sc_host_clock_init(&bn->hc, 1, NULL, NULL) ||
	    sc_board_init(&bn->board, &bn->hc.clock, &cfg, &ops, NULL))
		return -1;
	sc_board_attach_host_clock(&bn->board, &bn->hc);
	bench_pic_mask_all(&bn->board);
	if (bn->path == P_FAST && !bn->roundtrip)
		return 0;
	for (unsigned i = 0; i < bn->threads; i++) {
		unsigned io, gsi;
		uint8_t vec;
		where(bn, i, &io, &gsi, &vec);
		bool level = bn->roundtrip ? bn->level : true;
		bench_ioapic_entry(&bn->board, io, gsi - 24 * io, bench_entry(vec, level));
	}
	return 0;
}

static void board_teardown(struct bench *bn)
{
	sc_board_destroy(&bn->board);
	sc_host_clock_destroy(&bn->hc);
}

static void eoi(struct bench *bn, uint8_t vec)
{
	if (bn->global) {
		pthread_mutex_lock(&bn->gmutex);
		sc_board_eoi(&bn->board, vec);
		pthread_mutex_unlock(&bn->gmutex);
	} else {
		sc_board_eoi(&bn->board, vec);
	}
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * SC_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void *thread_fn(void *opaque)
{
	struct targ *a = opaque;
	struct bench *bn = a->b;
	struct sc_board *b = &bn->board;
	unsigned io, gsi;
	uint8_t vec;
	where(bn, a->i, &io, &gsi, &vec);
	uint64_t n = 0, bad = 0, c0 = 0;
	tl_msi = 0;
	if (bn->roundtrip) {
		pthread_barrier_wait(&bn->start);
		c0 = thread_cpu_ns();
		while (!atomic_load_explicit(&bn->stop, memory_order_relaxed)) {
			for (unsigned k = 0; k < 64; k++) {
				uint64_t m = tl_msi;
				sc_board_set_gsi(b, gsi, SC_SRC_USER, true);
				bad += tl_msi != m + 1;
				sc_board_set_gsi(b, gsi, SC_SRC_USER, false);
				eoi(bn, vec);
			}
			n += 64;
		}
	} else if (bn->path == P_FAST) {
		uint8_t v = (uint8_t)(0xa0 + a->i % 32);
		pthread_barrier_wait(&bn->start);
		c0 = thread_cpu_ns();
		while (!atomic_load_explicit(&bn->stop, memory_order_relaxed)) {
			for (unsigned k = 0; k < 256; k++)
				eoi(bn, v);
			n += 256;
		}
	} else {
		sc_board_set_gsi(b, gsi, SC_SRC_USER, true);
		pthread_barrier_wait(&bn->start);
		c0 = thread_cpu_ns();
		while (!atomic_load_explicit(&bn->stop, memory_order_relaxed)) {
			for (unsigned k = 0; k < 1024; k++)
				eoi(bn, vec);
			n += 1024;
			sc_board_set_gsi(b, gsi, SC_SRC_USER, false);
			sc_board_set_gsi(b, gsi, SC_SRC_USER, true);
		}
		sc_board_set_gsi(b, gsi, SC_SRC_USER, false);
	}
	bn->cpu_ns[a->i] = thread_cpu_ns() - c0;
	bn->ops[a->i] = n;
	bn->msis[a->i] = tl_msi;
	bn->bad[a->i] = bad;
	return NULL;
}

/*
 * One timed run; returns ops/s of wall time (or -1).  *msi_per_op, *bad,
 * *per_cpu (ops per CPU-second the threads got) and *cpus (CPU-seconds per
 * wall second: how much of the machine the threads actually had) filled.
 */
static double run_once(struct bench *bn, uint64_t dur_ns, double *msi_per_op, uint64_t *bad,
		       double *per_cpu, double *cpus)
{
	if (board_setup(bn))
		return -1;
	pthread_barrier_init(&bn->start, NULL, bn->threads + 1);
	pthread_mutex_init(&bn->gmutex, NULL);
	atomic_store(&bn->stop, false);
	pthread_t thr[MAX_THREADS];
	struct targ args[MAX_THREADS];
	for (unsigned i = 0; i < bn->threads; i++) {
		args[i] = (struct targ){ bn, i };
		if (pthread_create(&thr[i], NULL, thread_fn, &args[i])) {
			fprintf(stderr, "bench_irq: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&bn->start);
	uint64_t t0 = bench_mono_ns();
	bench_sleep_ns(dur_ns);
	atomic_store(&bn->stop, true);
	uint64_t ops = 0, msis = 0, cpu = 0;
	*bad = 0;
	/* Every counted operation happened between t0 and the last join. */
	for (unsigned i = 0; i < bn->threads; i++)
		pthread_join(thr[i], NULL);
	uint64_t t1 = bench_mono_ns();
	for (unsigned i = 0; i < bn->threads; i++) {
		ops += bn->ops[i];
		msis += bn->msis[i];
		*bad += bn->bad[i];
		cpu += bn->cpu_ns[i];
	}
	pthread_barrier_destroy(&bn->start);
	pthread_mutex_destroy(&bn->gmutex);
	board_teardown(bn);
	*msi_per_op = ops ? (double)msis / (double)ops : 0;
	*per_cpu = cpu ? (double)ops * 1e9 / (double)cpu : 0;
	*cpus = (double)cpu / (double)(t1 - t0);
	return (double)ops * 1e9 / (double)(t1 - t0);
}

static const char *arg_val(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

#ifdef BENCH_COUNT_LOCKS
/*
 * Lock acquisitions of the library per phase, single thread, @n iterations
 * (after one warm-up round trip).  Columns: what, raise, lower, eoi, msi,
 * gsi_eoi - all per round trip (or per EOI for the EOI paths).
 */
static int count_locks(FILE *f, unsigned n)
{
	static struct bench bn;
	fprintf(f, "case,locks_raise,locks_lower,locks_eoi,msi,gsi_eoi\n");
	for (int level = 1; level >= 0; level--) {
		memset(&bn, 0, sizeof(bn));
		bn.threads = 1;
		bn.roundtrip = true;
		bn.level = level;
		if (board_setup(&bn))
			return 1;
		struct sc_board *b = &bn.board;
		uint64_t lr = 0, ll = 0, le = 0;
		tl_msi = tl_gsi_eoi = 0;
		for (unsigned k = 0; k < n; k++) {
			uint64_t t0 = tl_locks;
			sc_board_set_gsi(b, 24, SC_SRC_USER, true);
			uint64_t t1 = tl_locks;
			sc_board_set_gsi(b, 24, SC_SRC_USER, false);
			uint64_t t2 = tl_locks;
			sc_board_eoi(b, 0x50);
			uint64_t t3 = tl_locks;
			lr += t1 - t0;
			ll += t2 - t1;
			le += t3 - t2;
		}
		fprintf(f, "roundtrip_%s,%.3f,%.3f,%.3f,%.3f,%.3f\n", level ? "level" : "edge",
			(double)lr / n, (double)ll / n, (double)le / n, (double)tl_msi / n,
			(double)tl_gsi_eoi / n);
		board_teardown(&bn);
	}
	for (unsigned p = 0; p < P_COUNT; p++) {
		memset(&bn, 0, sizeof(bn));
		bn.threads = 8;
		bn.path = (enum path)p;
		if (board_setup(&bn))
			return 1;
		struct sc_board *b = &bn.board;
		uint64_t le = 0, eois = 0;
		tl_msi = tl_gsi_eoi = 0;
		for (unsigned i = 0; i < bn.threads; i++) {
			unsigned io, gsi;
			uint8_t vec;
			where(&bn, i, &io, &gsi, &vec);
			if (p != P_FAST)
				sc_board_set_gsi(b, gsi, SC_SRC_USER, true);
			uint64_t m0 = tl_msi;
			for (unsigned k = 0; k < n; k++) {
				uint64_t t0 = tl_locks;
				sc_board_eoi(b, p == P_FAST ? (uint8_t)(0xa0 + i) : vec);
				le += tl_locks - t0;
				eois++;
			}
			(void)m0;
			if (p != P_FAST)
				sc_board_set_gsi(b, gsi, SC_SRC_USER, false);
		}
		uint64_t cleared = 0;
		for (unsigned i = 0; i < bn.board.cfg.ioapics; i++)
			cleared += bn.board.ioapic[i].stats.eois;
		fprintf(f, "eoi_%s,0,0,%.3f,%.3f,%.3f\n", path_names[p], (double)le / eois,
			(double)tl_msi / eois, (double)cleared / eois);
		board_teardown(&bn);
	}
	return 0;
}
#endif

/* Repetitions of one configuration. */
struct stat3 {
	double wall[MAX_REPS], cpu[MAX_REPS], cpus[MAX_REPS];
	double min, max, mpo;
	uint64_t bad;
};

static void measure(struct bench *bn, uint64_t dur, unsigned k, struct stat3 *st)
{
	uint64_t bad = 0;
	double v = run_once(bn, dur, &st->mpo, &bad, &st->cpu[k], &st->cpus[k]);
	if (v < 0) {
		fprintf(stderr, "bench_irq: board setup failed\n");
		exit(1);
	}
	st->wall[k] = v;
	st->bad += bad;
	/* A benchmark that no longer exercises its path must not publish. */
	bool want_msi = bn->roundtrip || bn->path != P_FAST;
	if (bad || (want_msi && st->mpo < 0.99) || (!want_msi && st->mpo != 0)) {
		fprintf(stderr, "bench_irq: %s path broken: %.4f MSIs per operation, %llu missed\n",
			bn->roundtrip ? "round-trip" : path_names[bn->path], st->mpo,
			(unsigned long long)bad);
		exit(1);
	}
	st->min = k == 0 || v < st->min ? v : st->min;
	st->max = k == 0 || v > st->max ? v : st->max;
}

int main(int argc, char **argv)
{
	uint64_t dur_ms = strtoull(arg_val(argc, argv, "--duration-ms", "400"), NULL, 0);
	unsigned reps = (unsigned)atoi(arg_val(argc, argv, "--reps", "3"));
	const char *rt_path = arg_val(argc, argv, "--roundtrip", "roundtrip.csv");
	const char *eoi_path = arg_val(argc, argv, "--eoi", "eoi.csv");
#ifdef BENCH_COUNT_LOCKS
	const char *locks_path = arg_val(argc, argv, "--locks", "locks.csv");
	FILE *fk = fopen(locks_path, "w");
	if (!fk)
		return 1;
	int rc = count_locks(fk, 1000);
	fclose(fk);
	return rc;
#endif
	if (dur_ms < 10 || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: %s [--duration-ms N>=10] [--reps 1..%d] [--roundtrip F]"
			" [--eoi F]\n", argv[0], MAX_REPS);
		return 2;
	}
	FILE *fr = fopen(rt_path, "w"), *fe = fopen(eoi_path, "w");
	if (!fr || !fe) {
		perror("bench_irq: open");
		return 1;
	}
	static struct bench bn;
	uint64_t dur = dur_ms * 1000000ull;

	/* Level and edge of one point run back to back in every repetition. */
	static const unsigned rt_threads[] = { 1, 2, 8, 64 };
	fprintf(fr, "threads,level_roundtrips_per_s_median,edge_roundtrips_per_s_median,"
		"level_over_edge_median,level_scaling_vs_1_thread,level_roundtrips_per_cpu_s_median,"
		"edge_roundtrips_per_cpu_s_median,cpus_used_median,msi_per_roundtrip,missed_msi,reps\n");
	double level1 = 0;
	for (size_t t = 0; t < sizeof(rt_threads) / sizeof(rt_threads[0]); t++) {
		struct stat3 st[2];
		double ratio[MAX_REPS];
		memset(st, 0, sizeof(st));
		for (unsigned k = 0; k < reps; k++) {
			for (int e = 0; e < 2; e++) {
				memset(&bn, 0, sizeof(bn));
				bn.threads = rt_threads[t];
				bn.roundtrip = true;
				bn.level = !e;
				measure(&bn, dur, k, &st[e]);
			}
			ratio[k] = st[1].wall[k] > 0 ? st[0].wall[k] / st[1].wall[k] : 0;
		}
		double lm = bench_median(st[0].wall, reps);
		if (t == 0)
			level1 = lm;
		fprintf(fr, "%u,%.0f,%.0f,%.2f,%.2f,%.0f,%.0f,%.2f,%.4f,%llu,%u\n", rt_threads[t], lm,
			bench_median(st[1].wall, reps), bench_median(ratio, reps),
			level1 > 0 ? lm / level1 : 0, bench_median(st[0].cpu, reps),
			bench_median(st[1].cpu, reps), bench_median(st[0].cpus, reps), st[0].mpo,
			(unsigned long long)(st[0].bad + st[1].bad), reps);
		fflush(fr);
	}

	/*
	 * The machine is shared and noisy: the two variants of one point run
	 * back to back in every repetition, and their ratio is taken per
	 * repetition (median of ratios), so both see the same load.
	 */
	static const unsigned eoi_threads[] = { 1, 2, 4, 8, 16, 32, 64 };
	fprintf(fe, "path,threads,board_eois_per_s_median,global_eois_per_s_median,"
		"board_over_global_median,board_scaling_vs_1_thread,board_eois_per_cpu_s_median,"
		"global_eois_per_cpu_s_median,cpus_used_median,msi_per_eoi,reps\n");
	for (unsigned p = 0; p < P_COUNT; p++) {
		double board1 = 0;
		for (size_t t = 0; t < sizeof(eoi_threads) / sizeof(eoi_threads[0]); t++) {
			struct stat3 st[2];
			double ratio[MAX_REPS];
			memset(st, 0, sizeof(st));
			for (unsigned k = 0; k < reps; k++) {
				for (int g = 0; g < 2; g++) {
					memset(&bn, 0, sizeof(bn));
					bn.threads = eoi_threads[t];
					bn.path = (enum path)p;
					bn.global = g;
					measure(&bn, dur, k, &st[g]);
				}
				ratio[k] = st[1].wall[k] > 0 ? st[0].wall[k] / st[1].wall[k] : 0;
			}
			double bm = bench_median(st[0].wall, reps);
			if (t == 0)
				board1 = bm;
			fprintf(fe, "%s,%u,%.0f,%.0f,%.2f,%.2f,%.0f,%.0f,%.2f,%.4f,%u\n",
				path_names[p], eoi_threads[t], bm,
				bench_median(st[1].wall, reps), bench_median(ratio, reps),
				board1 > 0 ? bm / board1 : 0,
				bench_median(st[0].cpu, reps), bench_median(st[1].cpu, reps),
				bench_median(st[0].cpus, reps), st[0].mpo, reps);
			fflush(fe);
		}
	}
	fclose(fr);
	fclose(fe);
	return 0;
}
