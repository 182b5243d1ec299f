/* SPDX-License-Identifier: MIT */
/*
 * Workload 1, library side: the CPU cost of one guest access to a board
 * chip, i.e. the device work a userspace exit carries on top of the exit.
 *
 *   bench_access time [reps] [iters]
 *       wall-clock ns per access sequence on the host clock
 *       (CLOCK_MONOTONIC, what splitvm uses), median/min/max over @reps
 *       repetitions of @iters sequences.  CSV on stdout.
 *   bench_access callgrind KIND N
 *       run KIND N times through bench_access_once() on the fake clock, for
 *       `valgrind --tool=callgrind --toggle-collect=bench_access_once`:
 *       the instructions of the access alone (scripts/bench.sh runs two N
 *       and takes the difference, which cancels one-time costs).
 *
 * Access sequences (what a guest does, and how many exits it costs):
 *   noop    IN from port 0x80, which no board chip claims: the dispatcher's
 *           floor (sc_board_pio_read() returns false)            1 exit
 *   pit     OUT 0x43 counter-0 latch command, IN 0x40 twice (LSB, MSB)
 *           (8254 "Counter Latch Command")                         3 exits
 *   rtc     OUT 0x70 index 0 (seconds), IN 0x71 (MC146818)          2 exits
 *   hpet    8-byte MMIO read of the main counter at 0xfed000f0
 *           (HPET 1.0a 2.3.1, MAIN_COUNTER_VAL)                    1 exit
 *   ioapic  IOREGSEL write (VER), IOWIN read (82093AA 3.1)         2 exits
 *   eoi     sc_board_eoi() of a level vector with remote IRR set: the
 *           device work of a KVM_EXIT_IOAPIC_EOI.  The line (GSI 10) stays
 *           asserted, so the IOAPIC redelivers and sets remote IRR again
 *           for the next one; every 1000 EOIs the line is dropped and
 *           raised outside the measured call (keeps the EOI-storm guard
 *           out of it)                                              1 exit
 */
#include "bench.h"

enum kind { K_NOOP, K_PIT, K_RTC, K_HPET, K_IOAPIC, K_EOI, K_COUNT };

#define EOI_GSI 10u
#define EOI_VECTOR 0x60u

static const struct {
	const char *name;
	unsigned exits;
} kinds[K_COUNT] = {
	[K_NOOP] = { "noop", 1 },
	[K_PIT] = { "pit", 3 },
	[K_RTC] = { "rtc", 2 },
	[K_HPET] = { "hpet", 1 },
	[K_IOAPIC] = { "ioapic", 2 },
	[K_EOI] = { "eoi", 1 },
};

static uint64_t sink;

/* One access sequence; the only function callgrind collects (by name: no
 * inlining, and no GCC clone under another symbol). */
#if defined(__clang__)
#define BENCH_MEASURED __attribute__((noinline))
#else
#define BENCH_MEASURED __attribute__((noinline, noclone))
#endif
BENCH_MEASURED void bench_access_once(struct sc_board *b, int kind);
BENCH_MEASURED void bench_access_once(struct sc_board *b, int kind)
{
	uint32_t v = 0;
	uint64_t q = 0;
	switch (kind) {
	case K_NOOP:
		sc_board_pio_read(b, 0x80, 1, &v);
		break;
	case K_PIT:
		sc_board_pio_write(b, PIT_PORT_CONTROL, 1, 0x00);
		sc_board_pio_read(b, PIT_PORT_COUNTER0, 1, &v);
		sink += v;
		sc_board_pio_read(b, PIT_PORT_COUNTER0, 1, &v);
		break;
	case K_RTC:
		sc_board_pio_write(b, SC_RTC_PORT_INDEX, 1, RTC_REG_SECONDS);
		sc_board_pio_read(b, SC_RTC_PORT_DATA, 1, &v);
		break;
	case K_HPET:
		sc_board_mmio_read(b, SC_BOARD_HPET_BASE + HPET_MAIN_CNT, 8, &q);
		break;
	case K_IOAPIC:
		sc_board_mmio_write(b, SC_BOARD_IOAPIC_BASE + IOAPIC_IOREGSEL, 4, IOAPIC_REG_VER);
		sc_board_mmio_read(b, SC_BOARD_IOAPIC_BASE + IOAPIC_IOWIN, 4, &q);
		break;
	case K_EOI:
		sc_board_eoi(b, EOI_VECTOR);
		break;
	}
	sink += v + q;
}

static int kind_parse(const char *s)
{
	for (int k = 0; k < K_COUNT; k++)
		if (!strcmp(s, kinds[k].name))
			return k;
	return -1;
}

/* Outside the measured call: re-arm the level line now and then. */
static void access_prepare(struct sc_board *b, int kind, unsigned long i)
{
	if (kind == K_EOI && i % 1000 == 0) {
		sc_board_set_gsi(b, EOI_GSI, SC_SRC_USER, false);
		sc_board_set_gsi(b, EOI_GSI, SC_SRC_USER, true);
	}
}

/* The board as a guest OS leaves it: PIT at 1 kHz, HPET counting, a
 * level-triggered device on GSI 10 asserting its line. */
static int board_setup(struct sc_board *b, struct sc_clock *clock)
{
	struct sc_board_config cfg = {
		.eoi_ack = true,
		.pit_policy = SC_TICK_DELAY, .rtc_policy = SC_TICK_DELAY,
		.hpet_policy = SC_TICK_DELAY,
		.wall_ns = bench_wall_ns,
	};
	if (sc_board_init(b, clock, &cfg, NULL, NULL))
		return -1;
	bench_pic_mask_all(b);
	bench_pit_rate(b, 1193);
	sc_board_mmio_write(b, SC_BOARD_HPET_BASE + HPET_GEN_CONF, 8, HPET_ENABLE_CNF);
	bench_ioapic_entry(b, 0, EOI_GSI, bench_entry(EOI_VECTOR, true));
	sc_board_set_gsi(b, EOI_GSI, SC_SRC_USER, true);
	return 0;
}

static int run_callgrind(int kind, long n)
{
	static struct sc_board b;
	struct sc_fake_clock fc;
	sc_fake_clock_init(&fc, 1000000000ull);
	if (board_setup(&b, &fc.clock))
		return 1;
	volatile int k = kind;
	for (long i = 0; i < n; i++) {
		sc_fake_clock_advance(&fc, 997);
		access_prepare(&b, k, (unsigned long)i);
		bench_access_once(&b, k);
	}
	sc_board_destroy(&b);
	printf("%s %ld %llu\n", kinds[kind].name, n, (unsigned long long)(sink & 1));
	return 0;
}

static int run_time(unsigned reps, unsigned iters)
{
	static struct sc_board b;
	struct sc_host_clock hc;
	if (sc_host_clock_init(&hc, 1, NULL, NULL) || board_setup(&b, &hc.clock))
		return 1;
	double *ns = calloc(reps, sizeof(*ns));
	if (!ns)
		return 1;
	printf("kind,exits,ns_per_access_median,ns_per_access_min,ns_per_access_max,reps,iters\n");
	for (int k = 0; k < K_COUNT; k++) {
		volatile int kv = k;
		for (unsigned i = 0; i < iters / 10; i++) {   /* warm-up */
			access_prepare(&b, kv, i);
			bench_access_once(&b, kv);
		}
		for (unsigned r = 0; r < reps; r++) {
			uint64_t t0 = bench_mono_ns();
			for (unsigned i = 0; i < iters; i++) {
				access_prepare(&b, kv, i);
				bench_access_once(&b, kv);
			}
			ns[r] = (double)(bench_mono_ns() - t0) / iters;
		}
		double mn = ns[0], mx = ns[0];
		for (unsigned r = 1; r < reps; r++) {
			mn = ns[r] < mn ? ns[r] : mn;
			mx = ns[r] > mx ? ns[r] : mx;
		}
		printf("%s,%u,%.1f,%.1f,%.1f,%u,%u\n", kinds[k].name, kinds[k].exits,
		       bench_median(ns, reps), mn, mx, reps, iters);
	}
	free(ns);
	sc_board_destroy(&b);
	sc_host_clock_destroy(&hc);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "time")) {
		unsigned reps = argc > 2 ? (unsigned)atoi(argv[2]) : 11;
		unsigned iters = argc > 3 ? (unsigned)atoi(argv[3]) : 100000;
		if (reps < 1 || iters < 10)
			return 2;
		return run_time(reps, iters);
	}
	if (argc == 4 && !strcmp(argv[1], "callgrind")) {
		int k = kind_parse(argv[2]);
		long n = atol(argv[3]);
		if (k < 0 || n < 1)
			return 2;
		return run_callgrind(k, n);
	}
	if (argc == 2 && !strcmp(argv[1], "kinds")) {
		for (int k = 0; k < K_COUNT; k++)
			printf("%s %u\n", kinds[k].name, kinds[k].exits);
		return 0;
	}
	fprintf(stderr, "usage: %s time [reps] [iters] | callgrind KIND N | kinds\n", argv[0]);
	return 2;
}
