/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs (bench/bench_*.c): host time,
 * order statistics, a CPU hog, the guest-side programming of the board's
 * chips (what a guest OS writes to set up its timers), and CSV output.
 *
 * Benchmarks are host programs: they may read host clocks and start
 * threads (the library itself never does).
 */
#ifndef SPLITCHIP_BENCH_H
#define SPLITCHIP_BENCH_H

#include <splitchip/board.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SC_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bench_wall_ns(void *opaque)
{
	(void)opaque;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SC_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Sleep until host CLOCK_MONOTONIC time @t (ns). */
static inline void bench_sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / SC_NSEC_PER_SEC), (long)(t % SC_NSEC_PER_SEC) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static inline void bench_sleep_ns(uint64_t ns)
{
	bench_sleep_until(bench_mono_ns() + ns);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* @q-quantile (0..1, nearest rank) of @v[0..n); sorts @v.  0 if n == 0. */
static inline double bench_quantile(double *v, size_t n, double q)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	size_t k = (size_t)(q * (double)n);
	if (k >= n)
		k = n - 1;
	return v[k];
}

static inline double bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline double bench_max(const double *v, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i] > m)
			m = v[i];
	return m;
}

/* ---- CPU hog: spinning threads competing with the measured thread ---- */

struct bench_hog {
	unsigned n;
	atomic_bool stop;
	pthread_t thr[16];
};

static inline void *bench_hog_fn(void *opaque)
{
	struct bench_hog *h = opaque;
	volatile uint64_t x = 0;
	while (!atomic_load_explicit(&h->stop, memory_order_relaxed))
		for (unsigned i = 0; i < 4096; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
	return NULL;
}

/* Start @n spinning threads (0: one per online CPU plus one). */
static inline void bench_hog_start(struct bench_hog *h, unsigned n)
{
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = (unsigned)(c > 0 ? c : 1) + 1;
	}
	if (n > 16)
		n = 16;
	h->n = 0;
	atomic_store(&h->stop, false);
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&h->thr[h->n], NULL, bench_hog_fn, h) == 0)
			h->n++;
}

static inline void bench_hog_stop(struct bench_hog *h)
{
	atomic_store(&h->stop, true);
	for (unsigned i = 0; i < h->n; i++)
		pthread_join(h->thr[i], NULL);
	h->n = 0;
}

/* ---- guest-side programming (what an OS writes) ---- */

static inline void bench_out(struct sc_board *b, uint16_t port, uint8_t v)
{
	sc_board_pio_write(b, port, 1, v);
}

static inline uint8_t bench_in(struct sc_board *b, uint16_t port)
{
	uint32_t v = 0xff;
	sc_board_pio_read(b, port, 1, &v);
	return (uint8_t)v;
}

/* i8259A pair initialised (ICW1-ICW4, 8259A "Initialization Command
 * Words") and every input masked (OCW1), as an OS using the IOAPIC does. */
static inline void bench_pic_mask_all(struct sc_board *b)
{
	static const uint8_t seq[2][4] = { { 0x11, 0x20, 0x04, 0x01 },
					   { 0x11, 0x28, 0x02, 0x01 } };
	static const uint16_t base[2] = { 0x20, 0xa0 };
	for (unsigned c = 0; c < 2; c++) {
		bench_out(b, base[c], seq[c][0]);
		for (unsigned i = 1; i < 4; i++)
			bench_out(b, (uint16_t)(base[c] + 1), seq[c][i]);
		bench_out(b, (uint16_t)(base[c] + 1), 0xff);
	}
}

/* Redirection entry @pin of IOAPIC @io (82093AA 3.2.4) via IOREGSEL/IOWIN. */
static inline void bench_ioapic_entry(struct sc_board *b, unsigned io, unsigned pin,
				      uint64_t entry)
{
	uint64_t base = SC_BOARD_IOAPIC_BASE + io * SC_BOARD_IOAPIC_STRIDE;
	sc_board_mmio_write(b, base + IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * pin + 1);
	sc_board_mmio_write(b, base + IOAPIC_IOWIN, 4, (uint32_t)(entry >> 32));
	sc_board_mmio_write(b, base + IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * pin);
	sc_board_mmio_write(b, base + IOAPIC_IOWIN, 4, (uint32_t)entry);
}

/*
 * Fixed delivery to APIC 0, physical, active high: the board's lines are
 * active high unless a PCI INTx# is attached to the GSI (board.h), and the
 * benchmarks attach none.
 */
static inline uint64_t bench_entry(uint8_t vector, bool level)
{
	uint64_t e = vector;
	if (level)
		e |= IOAPIC_REDIR_TRIGGER;
	return e;
}

/* PIT counter 0, mode 2 (rate generator), binary, LSB then MSB (8254
 * "Control Word Format"): 0x34, then the count. */
static inline void bench_pit_rate(struct sc_board *b, uint16_t count)
{
	bench_out(b, PIT_PORT_CONTROL, 0x34);
	bench_out(b, PIT_PORT_COUNTER0, (uint8_t)count);
	bench_out(b, PIT_PORT_COUNTER0, (uint8_t)(count >> 8));
}

/* RTC periodic interrupt at the reset rate (register A RS = 6: 1024 Hz),
 * register B PIE set (MC146818 "Register B"). */
static inline void bench_rtc_pie(struct sc_board *b)
{
	bench_out(b, SC_RTC_PORT_INDEX, RTC_REG_A);
	bench_out(b, SC_RTC_PORT_DATA, SC_RTC_RESET_REG_A);
	bench_out(b, SC_RTC_PORT_INDEX, RTC_REG_B);
	uint8_t rb = bench_in(b, SC_RTC_PORT_DATA);
	bench_out(b, SC_RTC_PORT_INDEX, RTC_REG_B);
	bench_out(b, SC_RTC_PORT_DATA, (uint8_t)(rb | RTC_REG_B_PIE));
}

/* Register C read: the RTC interrupt handler's acknowledgement. */
static inline uint8_t bench_rtc_ack(struct sc_board *b)
{
	bench_out(b, SC_RTC_PORT_INDEX, RTC_REG_C);
	return bench_in(b, SC_RTC_PORT_DATA);
}

/* HPET timer 0 periodic, edge, routed to IOAPIC pin @gsi, @ticks counter
 * ticks per period (HPET 1.0a 2.3.8, 2.3.9.2.2), counter enabled. */
static inline void bench_hpet_periodic(struct sc_board *b, unsigned gsi, uint64_t ticks)
{
	uint64_t base = SC_BOARD_HPET_BASE;
	uint64_t conf = HPET_TN_INT_ENB_CNF | HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF |
			((uint64_t)gsi << HPET_TN_INT_ROUTE_CNF_SHIFT);
	sc_board_mmio_write(b, base + HPET_TN_CONF(0), 8, conf);
	sc_board_mmio_write(b, base + HPET_TN_CMP(0), 8, ticks);
	sc_board_mmio_write(b, base + HPET_GEN_CONF, 8, HPET_ENABLE_CNF);
}

#endif
