/* SPDX-License-Identifier: MIT */
/*
 * hpet-smp: the HPET main counter read concurrently on every CPU (issue 13:
 * a foreign program doing this on 3 vCPUs once ended in a triple fault of
 * vCPU 2).  IA-PC HPET 1.0a 2.3.4: the main counter is readable at any
 * time and counts up monotonically while ENABLE_CNF is set.  Each CPU reads
 * it as one 32-bit access and, when the counter is 64-bit, as a 64-bit pair
 * (high, low, high again) for "ms=" milliseconds (default 300); checks:
 *   - per CPU the values never go back;
 *   - across CPUs a read never returns less than a value another CPU had
 *     already published before the read began (the counter is one device);
 *   - every CPU finishes (no CPU reset, fault or hang).
 * "src=" replaces the counter read, to tell the HPET model from the exit
 * path: src=mmio (an unassigned MMIO address: an exit to userspace that
 * reads all ones), src=pio (an unassigned port), src=ram (no exit at all);
 * the ordering checks then pass trivially, "every CPU finished" still counts.
 */
#include "runtime.h"

const char guest_name[] = "hpet-smp";

#define HPET_BASE 0xFED00000u
#define HPET_GCAP_ID 0x000
#define HPET_GEN_CONF 0x010
#define HPET_MAIN_CNT 0x0F0
#define GCAP_COUNT_SIZE_CAP (1u << 13)
#define GEN_ENABLE_CNF (1u << 0)

static volatile uint32_t published;        /* the largest low half seen so far */
static volatile uint32_t reads[MAX_CPUS], back[MAX_CPUS], stale[MAX_CPUS], done[MAX_CPUS];
static volatile bool go;
static uint32_t run_ms;
static bool wide;
static enum { SRC_HPET, SRC_MMIO, SRC_PIO, SRC_RAM } src;
static volatile uint32_t ram_word;

#define UNASSIGNED_MMIO 0xFE000000u   /* below the IOAPIC, nothing there */
#define UNASSIGNED_PORT 0x1234

static uint32_t read_source(void)
{
	switch (src) {
	case SRC_MMIO:
		return mmio_read32(UNASSIGNED_MMIO) & 0;
	case SRC_PIO:
		return inl(UNASSIGNED_PORT) & 0;
	case SRC_RAM:
		return ram_word;
	default:
		return mmio_read32(HPET_BASE + HPET_MAIN_CNT);
	}
}

static void reader(void *arg)
{
	(void)arg;
	unsigned c = this_cpu();
	uint32_t last = 0;
	uint64_t end;

	while (!go)
		pause();
	end = now_us() + (uint64_t)run_ms * 1000;
	while (now_us() < end) {
		uint32_t seen = published;
		uint32_t v = read_source();

		if (wide && src == SRC_HPET) {
			uint32_t hi = mmio_read32(HPET_BASE + HPET_MAIN_CNT + 4);
			uint32_t lo = mmio_read32(HPET_BASE + HPET_MAIN_CNT);
			uint32_t hi2 = mmio_read32(HPET_BASE + HPET_MAIN_CNT + 4);

			if (hi2 < hi)
				back[c]++;
			(void)lo;
		}
		/* 32-bit wrap is ~5 min at 14.3 MHz: compare as signed distance */
		if ((int32_t)(v - last) < 0)
			back[c]++;
		if ((int32_t)(v - seen) < 0)
			stale[c]++;
		last = v;
		/* publish the maximum */
		for (;;) {
			uint32_t p = published;
			if ((int32_t)(v - p) <= 0)
				break;
			if (__sync_bool_compare_and_swap(&published, p, v))
				break;
		}
		reads[c]++;
	}
	done[c] = 1;
}

int guest_main(void)
{
	cli();
	pic_init(0x20, 0x28, false);
	ioapic_mask_all();
	run_ms = arg_uint("ms", 300);
	char sb[8];
	const char *sn = arg_str("src", sb, sizeof(sb), "hpet");
	src = !strncmp(sn, "mmio", 4) ? SRC_MMIO : !strncmp(sn, "pio", 3) ? SRC_PIO
		: !strncmp(sn, "ram", 3) ? SRC_RAM : SRC_HPET;
	value("src", "%s", sn);
	uint32_t cap = mmio_read32(HPET_BASE + HPET_GCAP_ID);
	if (cap == 0xFFFFFFFFu || cap == 0) {
		skip("hpet", "no HPET (GCAP_ID %x)", cap);
		return 0;
	}
	wide = (cap & GCAP_COUNT_SIZE_CAP) != 0;
	mmio_write32(HPET_BASE + HPET_GEN_CONF, GEN_ENABLE_CNF);
	unsigned want = fwcfg_cpu_count();
	unsigned n = smp_start(want ? want : 1, 2000);
	value("cpus", "%u", n);
	printf("starting concurrent read bench on %u cpus\n", n);
	for (unsigned c = 1; c < n; c++)
		smp_call_async(c, reader, NULL);
	go = true;
	reader(NULL);
	bool all = true;
	for (unsigned c = 1; c < n; c++)
		all &= smp_wait(c, run_ms + 5000);
	uint32_t r = 0, b = 0, s = 0, fin = 0;
	for (unsigned c = 0; c < n; c++) {
		r += reads[c];
		b += back[c];
		s += stale[c];
		fin += done[c];
		value("reads_cpu", "%u: %u", c, reads[c]);
	}
	value("reads", "%u", r);
	check(all && fin == n, "every_cpu_finished", "%u of %u", fin, n);
	check(b == 0, "monotonic_per_cpu", "%u reads went back", b);
	check(s == 0, "monotonic_across_cpus", "%u reads below a value already published", s);
	check(r >= n, "reads_done", "%u reads", r);
	mmio_write32(HPET_BASE + HPET_GEN_CONF, 0);
	return 0;
}
