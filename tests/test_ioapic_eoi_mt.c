/* SPDX-License-Identifier: MIT */
/*
 * I/O APIC EOI path under concurrency (docs/DESIGN.md "Locking model").
 *
 * Eight reader threads hammer the lock-free filters on vectors that never
 * belong to a level pin and must always see "no".  One producer thread,
 * under the IOAPIC's mutex, raises and lowers level lines, reprograms
 * vectors (while remote IRR is clear) and masks/unmasks (also while it is set); two EOI threads
 * take every level message the sink saw and EOI its vector the way a VMM
 * does: filter first, lock only when wanted.  Afterwards no pin may be stuck
 * with remote IRR set and every level message must have found its EOI
 * wanted (no lost filter bit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <splitchip/ioapic.h>

#define NREADERS   8
#define NEOI       2
#define NLEVEL     8           /* level pins 0..7: vectors 0x40+p / 0x60+p */
#define NEDGE      8           /* edge pins 8..15: vectors 0x80+p */
#define ITERATIONS 60000
#define MIN_LEVEL_MSGS 2000

static struct sc_ioapic g_io;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned g_inflight[NLEVEL];     /* delivered vector + 1, 0 = none */
static atomic_bool g_stop_readers, g_stop_eoi;
static atomic_ulong g_false_positive, g_lost, g_level_sent, g_eoi_done, g_reader_checks;
static atomic_ulong g_locks_taken, g_double_inflight;

static void sink_send(void *opaque, const struct sc_msi *m)
{
	unsigned vec = m->data & 0xff;
	unsigned pin = vec & 0x1f;

	if (!(m->data & SC_MSI_DATA_TRIGGER_LEVEL))
		return;                 /* edge: no EOI in split mode */
	atomic_fetch_add(&g_level_sent, 1);
	/* Remote IRR makes a second message before the EOI impossible. */
	if (atomic_exchange_explicit(&g_inflight[pin], vec + 1, memory_order_acq_rel))
		atomic_fetch_add(&g_double_inflight, 1);
}

static void *reader_thread(void *arg)
{
	unsigned long n = 0;

	while (!atomic_load_explicit(&g_stop_readers, memory_order_relaxed)) {
		for (unsigned v = 0x80; v < 0x100; v++) {
			if (sc_ioapic_eoi_wanted(&g_io, (uint8_t)v) ||
			    sc_ioapic_vector_has_level_pin(&g_io, (uint8_t)v))
				atomic_fetch_add(&g_false_positive, 1);
		}
		for (unsigned v = 0; v < 0x40; v++)
			if (sc_ioapic_eoi_wanted(&g_io, (uint8_t)v))
				atomic_fetch_add(&g_false_positive, 1);
		n++;
	}
	atomic_fetch_add(&g_reader_checks, n);
	return arg;
}

/* The VMM's KVM_EXIT_IOAPIC_EOI handler. */
static void vmm_eoi(uint8_t vec)
{
	if (!sc_ioapic_eoi_wanted(&g_io, vec))
		return;
	atomic_fetch_add(&g_locks_taken, 1);
	pthread_mutex_lock(&g_lock);
	sc_ioapic_eoi(&g_io, vec);
	pthread_mutex_unlock(&g_lock);
}

static void *eoi_thread(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;

	while (!atomic_load_explicit(&g_stop_eoi, memory_order_relaxed)) {
		for (unsigned k = 0; k < NLEVEL; k++) {
			unsigned p = (k + idx) % NLEVEL;
			unsigned v = atomic_exchange_explicit(&g_inflight[p], 0,
							      memory_order_acq_rel);

			if (!v)
				continue;
			/* The filter bit was published before the message. */
			if (!sc_ioapic_eoi_wanted(&g_io, (uint8_t)(v - 1)))
				atomic_fetch_add(&g_lost, 1);
			vmm_eoi((uint8_t)(v - 1));
			atomic_fetch_add(&g_eoi_done, 1);
		}
	}
	return NULL;
}

static void program(unsigned pin, uint64_t e)
{
	sc_ioapic_mmio_write(&g_io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * pin + 1);
	sc_ioapic_mmio_write(&g_io, IOAPIC_IOWIN, 4, (uint32_t)(e >> 32));
	sc_ioapic_mmio_write(&g_io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * pin);
	sc_ioapic_mmio_write(&g_io, IOAPIC_IOWIN, 4, (uint32_t)e);
}

static uint64_t entry_of(unsigned pin)
{
	return sc_ioapic_entry(&g_io, pin) & ~IOAPIC_REDIR_REMOTE_IRR;
}

static void test_eoi_filter_concurrent(void **state)
{
	struct sc_msi_sink sink = { sink_send, NULL };
	struct sc_ioapic_config cfg = { 0 };
	pthread_t readers[NREADERS], eoiers[NEOI];
	unsigned seed = 12345;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sc_ioapic_init(&g_io, &cfg, &sink, NULL, NULL), 0);
	pthread_mutex_lock(&g_lock);
	for (unsigned p = 0; p < NLEVEL; p++)
		program(p, (0x40 + p) | IOAPIC_REDIR_TRIGGER);
	for (unsigned p = NLEVEL; p < NLEVEL + NEDGE; p++)
		program(p, 0x80 + p);
	pthread_mutex_unlock(&g_lock);

	for (unsigned i = 0; i < NREADERS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, reader_thread, NULL), 0);
	for (unsigned i = 0; i < NEOI; i++)
		assert_int_equal(pthread_create(&eoiers[i], NULL, eoi_thread,
						(void *)(uintptr_t)i), 0);

	/* Producer: the vCPU/device side, always under the IOAPIC lock. */
	for (unsigned i = 0;; i++) {
		unsigned r = rand_r(&seed);
		unsigned p = r % NLEVEL;
		uint64_t e;

		pthread_mutex_lock(&g_lock);
		switch ((r >> 8) % 6) {
		case 0:
		case 1:
			sc_ioapic_set_irq(&g_io, p, true);
			break;
		case 2:
			sc_ioapic_set_irq(&g_io, p, false);
			break;
		case 3:
			/* New vector.  Only while remote IRR is clear: after a
			 * change with it set, only an EOI of the new vector would
			 * clear it (82093AA 3.2.4), and the LAPIC EOIs the old one
			 * (test_reprogram_vector_while_remote_irr_* cover that). */
			if (sc_ioapic_entry(&g_io, p) & IOAPIC_REDIR_REMOTE_IRR) {
				e = entry_of(p) ^ IOAPIC_REDIR_MASK;
				program(p, e);
				break;
			}
			/* mask while rewriting: an entry write with the line high
			 * delivers (level sensing), and a delivery between the two
			 * dword writes would set remote IRR under the old vector */
			e = entry_of(p);
			sc_ioapic_mmio_write(&g_io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * p);
			sc_ioapic_mmio_write(&g_io, IOAPIC_IOWIN, 4, (uint32_t)(e | IOAPIC_REDIR_MASK));
			program(p, e ^ 0x20);
			break;
		case 4:
			e = entry_of(p) ^ IOAPIC_REDIR_MASK;
			program(p, e);
			break;
		default:
			sc_ioapic_set_irq(&g_io, NLEVEL + p, true);
			sc_ioapic_set_irq(&g_io, NLEVEL + p, false);
			break;
		}
		pthread_mutex_unlock(&g_lock);
		/* On a loaded 2-CPU box the EOI threads may not have run yet:
		 * keep going until enough level messages went round (<= 1 s). */
		if (i >= ITERATIONS && (i % 1024) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (atomic_load(&g_level_sent) >= MIN_LEVEL_MSGS ||
			    t1.tv_sec - t0.tv_sec >= 2)
				break;
			sched_yield();
		}
	}

	/* Quiesce: lines low, everything unmasked; EOIs drain what is in flight. */
	pthread_mutex_lock(&g_lock);
	for (unsigned p = 0; p < NLEVEL; p++) {
		sc_ioapic_set_irq(&g_io, p, false);
		program(p, entry_of(p) & ~IOAPIC_REDIR_MASK);
	}
	pthread_mutex_unlock(&g_lock);
	/* bounded: a stuck pin fails the asserts below instead of spinning */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	time_t quiesce_end = t1.tv_sec + 3;
	for (unsigned spin = 0; spin < 2000000; spin++) {
		bool busy = false;

		if ((spin & 255) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec > quiesce_end)
				break;
		}

		pthread_mutex_lock(&g_lock);
		for (unsigned p = 0; p < NLEVEL; p++)
			busy |= (sc_ioapic_entry(&g_io, p) & IOAPIC_REDIR_REMOTE_IRR) != 0;
		pthread_mutex_unlock(&g_lock);
		if (!busy)
			break;
		sched_yield();
	}
	atomic_store(&g_stop_eoi, true);
	atomic_store(&g_stop_readers, true);
	for (unsigned i = 0; i < NEOI; i++)
		pthread_join(eoiers[i], NULL);
	for (unsigned i = 0; i < NREADERS; i++)
		pthread_join(readers[i], NULL);

	/* No pin stuck, no filter bit left, no message without its EOI. */
	for (unsigned p = 0; p < NLEVEL; p++) {
		assert_false(sc_ioapic_entry(&g_io, p) & IOAPIC_REDIR_REMOTE_IRR);
		assert_int_equal(atomic_load(&g_inflight[p]), 0);
	}
	for (unsigned v = 0; v < 256; v++)
		assert_false(sc_ioapic_eoi_wanted(&g_io, (uint8_t)v));
	assert_int_equal(atomic_load(&g_false_positive), 0);
	assert_int_equal(atomic_load(&g_lost), 0);
	assert_int_equal(atomic_load(&g_double_inflight), 0);
	assert_true(atomic_load(&g_level_sent) >= 100);
	assert_int_equal(atomic_load(&g_eoi_done), atomic_load(&g_level_sent));
	assert_int_equal(g_io.stats.eois, atomic_load(&g_level_sent));
	/* Only EOIs that had work took the lock. */
	assert_int_equal(atomic_load(&g_locks_taken), atomic_load(&g_level_sent));
	assert_true(atomic_load(&g_reader_checks) > 0);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("level messages %lu, reader passes %lu, %.3f s\n",
		      atomic_load(&g_level_sent), atomic_load(&g_reader_checks),
		      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eoi_filter_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
