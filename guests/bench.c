/* SPDX-License-Identifier: MIT */
/*
 * bench: the guest side of `make bench` (docs/BENCHMARKS.md, workloads 1, 3
 * and 4).  Runs the phases named by "run=" on the command line (default
 * "exits,latency,level,edge") and prints "value bench.<key> = <n>" lines
 * that scripts/bench-kvm.sh turns into CSV.  Every duration is measured
 * with the TSC, calibrated here against the ACPI PM timer (the VMM's clock),
 * so durations in split and kernel irqchip mode share one scale.
 *
 *   exits    cost of one guest access, median over batches, per device:
 *            an unclaimed port (the floor: a bare userspace exit), PIC IMR,
 *            PIT latch + 2 counter reads, RTC index + data, HPET main
 *            counter, IOAPIC select + window read, LAPIC TPR (always in the
 *            kernel: the in-kernel floor).
 *   latency  timer deadline -> guest handler entry, p50/p99/max, for an
 *            HPET one-shot (timer 0), an 8254 mode 0 one-shot (IRQ0 through
 *            I/O APIC pin 2) and the LAPIC timer (in the kernel in both
 *            modes: the reference).  The guest waits in HLT, as an idle OS.
 *   level    level-triggered round trips (raise -> handler -> lower + EOI)
 *            through pc-testdev lines, one line per vCPU on up to 8 (16) vCPUs,
 *            each waiting for its interrupt in HLT (a LAPIC timer backstop
 *            counts HLTs its interrupt did not end); further vCPUs idle in
 *            HLT meanwhile.
 *   edge     edge-triggered I/O APIC interrupts from a pc-testdev line: the
 *            runner checks that they cost no KVM_EXIT_IOAPIC_EOI.
 *
 * Options: lat_n=<samples> (100), lat_us=<deadline distance> (2000),
 * level_ms=<window> (500), level_lines=<8 or 16> (8), level_settle_us=<pause
 * between programming the lines and the window> (2000), edge_n=<interrupts> (200).
 */
#include "runtime.h"

const char guest_name[] = "bench";

#define HPET_BASE   0xFED00000u
#define NOOP_PORT   0x2E0 /* no device in splitvm, KVM or QEMU */
#define VEC_HPET    0x41
#define VEC_PIT     0x42
#define VEC_LAPIC   0x43
#define VEC_LEVEL   0x60 /* + vCPU index, up to 16 */
#define VEC_EDGE    0x70
#define VEC_GO      0x90 /* level phase: the window starts */
#define VEC_WAKE    0x9F /* LAPIC timer backstop while waiting in HLT */
#define MAX_SAMPLES 256

static uint64_t tsc_hz;

static uint64_t cyc_to_ns(uint64_t c)
{
	return c * 1000000u / (tsc_hz / 1000u);
}

static uint64_t ns_to_cyc(uint64_t ns)
{
	return ns * (tsc_hz / 1000u) / 1000000u;
}

static void calibrate(void)
{
	uint64_t t0 = now_us(), c0 = rdtsc();
	delay_us(200000);
	uint64_t t1 = now_us(), c1 = rdtsc();
	tsc_hz = t1 > t0 ? (c1 - c0) * 1000000u / (t1 - t0) : 0;
	if (tsc_hz < 1000000u)
		tsc_hz = (uint64_t)tsc_khz * 1000u;
	value("tsc_hz", "%u", (uint32_t)tsc_hz);
}

static void sort32(uint32_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint32_t x = v[i];
		unsigned j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* ------------------------------------------------------------- exits */
static void op_noop(void) { (void)inb(NOOP_PORT); }
static void op_pic(void) { (void)inb(PIC1_DATA); }
static void op_pit(void)
{
	outb(PIT_CMD, 0x00); /* counter latch, channel 0 (8254 datasheet, "Counter Latch Command") */
	(void)inb(PIT_CH0);
	(void)inb(PIT_CH0);
}
static void op_rtc(void) { (void)cmos_read(0x0A); }
static void op_hpet(void) { (void)mmio_read32(HPET_BASE + 0x0F0); }
static void op_ioapic(void) { (void)ioapic_read(IOAPIC_REG_VER); }
static void op_lapic(void) { (void)lapic_read(LAPIC_TPR); }

static const struct {
	const char *name;
	void (*fn)(void);
} ops[] = {
	{ "noop", op_noop }, { "pic", op_pic }, { "pit", op_pit }, { "rtc", op_rtc },
	{ "hpet", op_hpet }, { "ioapic", op_ioapic }, { "lapic", op_lapic },
};

#define BATCH 16
#define NBATCH 21

static void phase_exits(void)
{
	uint32_t med[sizeof(ops) / sizeof(ops[0])];

	/* the PIT counts (mode 2) so that the latch reads a live counter */
	pit_ch0_periodic(0);
	cli();
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		uint32_t ns[NBATCH];
		for (unsigned i = 0; i < 4; i++)
			ops[o].fn();
		for (unsigned b = 0; b < NBATCH; b++) {
			uint64_t t0 = rdtsc();
			for (unsigned i = 0; i < BATCH; i++)
				ops[o].fn();
			ns[b] = (uint32_t)(cyc_to_ns(rdtsc() - t0) / BATCH);
		}
		sort32(ns, NBATCH);
		med[o] = ns[NBATCH / 2];
		char key[32];
		snprintf_lite(key, sizeof(key), "exit.%s_ns", ops[o].name);
		value(key, "%u", med[o]);
		check(med[o] > 0, key, "median %u ns over %u batches of %u", med[o], NBATCH, BATCH);
	}
	for (unsigned o = 1; o < sizeof(ops) / sizeof(ops[0]); o++) {
		char key[40];
		snprintf_lite(key, sizeof(key), "exit.%s_per_noop_pct", ops[o].name);
		value(key, "%u", med[0] ? (uint32_t)((uint64_t)med[o] * 100u / med[0]) : 0);
	}
	outb(PIT_CMD, 0x30); /* channel 0 back to mode 0, no count: quiet */
}

/* ----------------------------------------------------------- latency */
static volatile uint64_t fired_tsc;
static volatile uint32_t fired;

static void timer_handler(struct frame *f)
{
	uint64_t t = rdtsc();
	(void)f;
	if (!fired)
		fired_tsc = t;
	fired++;
	lapic_eoi();
}

static void wake_handler(struct frame *f)
{
	(void)f;
	lapic_eoi();
}

static bool lapic_backstop = true;

/* this vCPU's LAPIC timer, periodic, every 10 ms: wakes a HLT whose
 * interrupt is late or never comes (VEC_WAKE, SDM vol. 3A 10.5.4) */
static void backstop_on(void)
{
	lapic_write(0x3E0, 0xB);                             /* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, (1u << 17) | VEC_WAKE); /* periodic */
	lapic_write(0x380, 10000000u);                       /* 10 ms at 1 GHz */
}

static void backstop_off(void)
{
	lapic_write(0x380, 0);
}

/* waits in HLT, as an idle guest does, for at most ~100 ms of TSC; the
 * LAPIC timer (in the kernel in both modes) wakes the HLT every 10 ms so
 * that an interrupt that never comes cannot hang the guest */
static bool wait_fired(void)
{
	uint64_t end = rdtsc() + ns_to_cyc(100000000u);
	if (lapic_backstop)
		backstop_on();
	for (;;) {
		cli();
		if (fired || rdtsc() > end)
			break;
		__asm__ volatile("sti; hlt" ::: "memory");
	}
	cli();
	if (lapic_backstop)
		backstop_off();
	return fired != 0;
}

struct lat {
	uint32_t ns[MAX_SAMPLES];
	unsigned n, missed, early;
};

/* The device took its deadline from a write (or read) somewhere in TSC
 * [a, b]; the deadline is dist cycles after that.  It is known to within
 * half that window plus 1 % (the TSC calibration): earlier is "early". */
static void lat_record(struct lat *l, uint64_t a, uint64_t b, uint64_t dist)
{
	uint64_t deadline_tsc = a + (b - a) / 2 + dist, slack = (b - a) / 2 + dist / 100;

	if (!wait_fired()) {
		l->missed++;
		return;
	}
	if (fired_tsc < deadline_tsc) {
		if (fired_tsc + slack < deadline_tsc)
			l->early++;
		l->ns[l->n++] = 0;
		return;
	}
	uint64_t ns = cyc_to_ns(fired_tsc - deadline_tsc);
	l->ns[l->n++] = ns > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)ns;
}

static void lat_report(const char *src, struct lat *l, unsigned want)
{
	char key[40];
	sort32(l->ns, l->n);
	uint32_t p50 = l->n ? l->ns[l->n / 2] : 0;
	uint32_t p99 = l->n ? l->ns[(l->n * 99) / 100 < l->n ? (l->n * 99) / 100 : l->n - 1] : 0;
	uint32_t max = l->n ? l->ns[l->n - 1] : 0;
	snprintf_lite(key, sizeof(key), "lat.%s_p50_ns", src);
	value(key, "%u", p50);
	snprintf_lite(key, sizeof(key), "lat.%s_p99_ns", src);
	value(key, "%u", p99);
	snprintf_lite(key, sizeof(key), "lat.%s_max_ns", src);
	value(key, "%u", max);
	snprintf_lite(key, sizeof(key), "lat.%s_samples", src);
	value(key, "%u", l->n);
	/* before the deadline by more than the measurement's slack: the
	 * device's clock and the PM timer disagree (seen on QEMU TCG) */
	snprintf_lite(key, sizeof(key), "lat.%s_early", src);
	value(key, "%u", l->early);
	snprintf_lite(key, sizeof(key), "lat.%s", src);
	check(l->n == want, key, "%u of %u interrupts, %u early, %u missed", l->n, want, l->early,
	      l->missed);
}

static struct lat lat_buf;

/* the 64-bit main counter, read high-low-high so a carry cannot tear it */
static uint64_t hpet_counter(void)
{
	uint32_t hi, lo;
	do {
		hi = mmio_read32(HPET_BASE + 0x0F4);
		lo = mmio_read32(HPET_BASE + 0x0F0);
	} while (mmio_read32(HPET_BASE + 0x0F4) != hi);
	return ((uint64_t)hi << 32) | lo;
}

static void lat_hpet(unsigned n, uint32_t us, uint64_t dest)
{
	uint32_t cap = mmio_read32(HPET_BASE + 0x000), period_fs = mmio_read32(HPET_BASE + 0x004);
	uint32_t route = mmio_read32(HPET_BASE + 0x104);
	int pin = -1;
	for (int p = 16; p < 32 && pin < 0; p++) /* GSIs of their own first */
		if (route & (1u << p))
			pin = p;
	for (int p = 0; p < 16 && pin < 0; p++) /* QEMU offers only pin 2 */
		if (route & (1u << p))
			pin = p;
	if (cap == 0xFFFFFFFFu || period_fs == 0 || pin < 0) {
		skip("lat.hpet", "no HPET timer 0 with an interrupt route (cap %x route %x)", cap, route);
		return;
	}
	struct lat *l = &lat_buf;
	memset(l, 0, sizeof(*l));
	uint64_t ticks = (uint64_t)us * 1000000000u / period_fs;
	ioapic_rte_write((unsigned)pin, VEC_HPET | dest);
	mmio_write32(HPET_BASE + 0x010, 1); /* ENABLE_CNF */
	unsigned late = 0;
	for (unsigned i = 0; i < n && late < n; i++) {
		fired = 0;
		/* HPET 1.0a 2.3.9.2.1: a non-periodic timer fires when the main
		 * counter equals the comparator */
		uint64_t a = rdtsc();
		uint64_t now = hpet_counter();
		uint64_t b = rdtsc();
		uint64_t cmp = now + ticks;
		mmio_write32(HPET_BASE + 0x100, (uint32_t)(pin << 9) | (1u << 2)); /* edge, INT_ENB, one-shot */
		mmio_write32(HPET_BASE + 0x10C, (uint32_t)(cmp >> 32));
		mmio_write32(HPET_BASE + 0x108, (uint32_t)cmp);
		/* A comparator the counter passed before the last write never
		 * matches (64-bit: not before the wrap) - on real hardware too.
		 * Under a slow nested hypervisor the three writes can take
		 * longer than the deadline distance: such a sample is re-armed,
		 * not counted as a lost interrupt (the OS's "-ETIME" case). */
		bool passed = hpet_counter() >= cmp;
		/* the counter was sampled between a and b */
		uint64_t dist = ns_to_cyc(ticks * period_fs / 1000000u);
		unsigned missed = l->missed;
		lat_record(l, a, b, dist);
		mmio_write32(HPET_BASE + 0x100, 0);
		if (l->missed != missed && passed) {
			l->missed = missed;
			late++;
			i--;
		} else if (l->missed != missed && l->missed == 1) {
			printf("bench: HPET timer 0 missed: counter %x armed for %x, now %x, "
			       "conf %x, RTE %x\n", (uint32_t)now, (uint32_t)cmp,
			       (uint32_t)hpet_counter(), mmio_read32(HPET_BASE + 0x100),
			       (uint32_t)ioapic_rte_read((unsigned)pin));
		}
	}
	value("lat.hpet_late_arms", "%u", late);
	mmio_write32(HPET_BASE + 0x010, 0);
	ioapic_write(IOAPIC_REDTBL(pin), RTE_MASKED);
	lat_report("hpet", l, n);
}

static void lat_pit(unsigned n, uint32_t us, uint64_t dest)
{
	struct lat *l = &lat_buf;
	memset(l, 0, sizeof(*l));
	uint32_t count = (uint32_t)((uint64_t)us * PIT_HZ / 1000000u);
	if (count > 0xFFFF)
		count = 0xFFFF;
	ioapic_rte_write(2, VEC_PIT | dest);
	for (unsigned i = 0; i < n; i++) {
		fired = 0;
		/* 8254 mode 0: OUT rises when the count reaches 0; counting
		 * starts on the CLK pulse after the MSB is written */
		outb(PIT_CMD, 0x30);
		outb(PIT_CH0, count & 0xFF);
		uint64_t a = rdtsc();
		outb(PIT_CH0, (uint8_t)(count >> 8));
		uint64_t b = rdtsc();
		lat_record(l, a, b, ns_to_cyc((uint64_t)(count + 1) * 1000000000u / PIT_HZ));
		if (!fired && l->missed == 1)
			printf("bench: PIT mode 0 missed (count %u, RTE %x)\n", count,
			       (uint32_t)ioapic_rte_read(2));
	}
	ioapic_write(IOAPIC_REDTBL(2), RTE_MASKED);
	lat_report("pit", l, n);
}

static void lat_lapic(unsigned n, uint32_t us)
{
	struct lat *l = &lat_buf;
	memset(l, 0, sizeof(*l));
	/* SDM vol. 3 11.5.4: divide by 1; rate measured against the TSC */
	lapic_write(0x3E0, 0xB);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC);
	lapic_write(0x380, 0xFFFFFFFFu);
	uint64_t c0 = rdtsc();
	uint32_t r0 = lapic_read(0x390);
	while (rdtsc() - c0 < ns_to_cyc(100000000u))
		pause();
	uint32_t r1 = lapic_read(0x390);
	uint64_t c1 = rdtsc();
	lapic_write(0x380, 0);
	uint64_t per_s = (uint64_t)(r0 - r1) * tsc_hz / (c1 - c0);
	value("lapic_timer_hz", "%u", (uint32_t)per_s);
	if (per_s < 1000000u) {
		skip("lat.lapic", "LAPIC timer does not count (%u Hz)", (uint32_t)per_s);
		return;
	}
	uint32_t count = (uint32_t)(per_s * us / 1000000u);
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC); /* one-shot */
	for (unsigned i = 0; i < n; i++) {
		fired = 0;
		uint64_t a = rdtsc();
		lapic_write(0x380, count);
		uint64_t b = rdtsc();
		lat_record(l, a, b, ns_to_cyc((uint64_t)count * 1000000000u / per_s));
	}
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_LAPIC);
	lat_report("lapic", l, n);
}

static void phase_latency(void)
{
	unsigned n = arg_uint("lat_n", 100);
	uint32_t us = arg_uint("lat_us", 2000);
	uint64_t dest = (uint64_t)lapic_id() << 56;
	if (n > MAX_SAMPLES)
		n = MAX_SAMPLES;
	value("lat.deadline_us", "%u", us);
	set_handler(VEC_HPET, timer_handler);
	set_handler(VEC_PIT, timer_handler);
	set_handler(VEC_LAPIC, timer_handler);
	set_handler(VEC_WAKE, wake_handler);
	lat_hpet(n, us, dest);
	lat_pit(n, us, dest);
	lapic_backstop = false;
	lat_lapic(n, us);
}

/* ------------------------------------------------------------- level */
/* ISA lines no device of splitvm or QEMU drives, then (level_lines=16, for
 * splitvm only: QEMU's pc-testdev aborts on lines >= 16) GSIs 16-23 */
static const uint8_t level_lines[] = { 5, 6, 7, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 };
#define NLEVEL (sizeof(level_lines) / sizeof(level_lines[0]))

static volatile uint32_t lvl_count[MAX_CPUS];
static volatile uint32_t lvl_backstop[MAX_CPUS]; /* HLT ended by the backstop */
static volatile uint32_t go, stop;
static uint64_t tsc_end; /* the BSP's: TSCs of other vCPUs may be offset */
static unsigned n_level_cpus;

static void level_handler(struct frame *f)
{
	unsigned k = f->vector - VEC_LEVEL;
	/* the device drops the line, then the EOI: the 82093AA clears remote
	 * IRR and the line is low, so no retrigger */
	testdev_irq(level_lines[k], 0);
	lvl_count[k]++;
	lapic_eoi();
}

static void go_handler(struct frame *f)
{
	(void)f;
	lapic_eoi();
}

/* the BSP (k = 0) ends the window; other vCPUs run until it says stop */
static bool level_more(unsigned k)
{
	if (k == 0 && rdtsc() >= tsc_end)
		stop = 1;
	return !stop;
}

static void level_worker(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;
	unsigned line = level_lines[k], cpu = this_cpu();
	/* wait for the window in HLT; the BSP's VEC_GO IPI ends it */
	cli();
	while (!go)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	/* raise with IF clear, then STI; HLT: the interrupt is taken in HLT
	 * (SDM vol. 2B STI: the shadow of one instruction), so the vCPU waits
	 * as a real guest does and a round trip includes the wake-up; no
	 * spinning vCPU starves the others when there are more vCPUs than
	 * host CPUs */
	backstop_on();
	while (level_more(k)) {
		uint32_t done = lvl_count[k];
		testdev_irq(line, 1);
		while (lvl_count[k] == done) {
			uint32_t w = vec_count[cpu][VEC_WAKE];
			__asm__ volatile("sti; hlt; cli" ::: "memory");
			if (lvl_count[k] == done && vec_count[cpu][VEC_WAKE] != w)
				lvl_backstop[k]++;
		}
	}
	backstop_off();
}

static void phase_level(unsigned ncpus)
{
	uint32_t ms = arg_uint("level_ms", 500);
	unsigned pins = ioapic_pins();
	unsigned nlines = arg_uint("level_lines", 8);
	if (nlines > NLEVEL)
		nlines = NLEVEL;
	n_level_cpus = ncpus < nlines ? ncpus : nlines;
	while (n_level_cpus > 0 && level_lines[n_level_cpus - 1] >= pins)
		n_level_cpus--;
	for (unsigned k = 0; k < n_level_cpus; k++) {
		set_handler(VEC_LEVEL + k, level_handler);
		testdev_irq(level_lines[k], 0);
		ioapic_rte_write(level_lines[k], (VEC_LEVEL + k) | RTE_LEVEL |
				 ((uint64_t)cpu_apic_id[k] << 56));
	}
	set_handler(VEC_GO, go_handler);
	set_handler(VEC_WAKE, wake_handler);
	go = 0;
	stop = 0;
	/* only the vCPUs with a line work; the others stay in the runtime's
	 * idle loop, in HLT, as the idle vCPUs of a big guest do */
	for (unsigned k = 1; k < n_level_cpus; k++)
		smp_call_async(k, level_worker, (void *)(uintptr_t)k);
	delay_us(arg_uint("level_settle_us", 2000));
	uint64_t t0 = now_us();
	tsc_end = rdtsc() + ns_to_cyc((uint64_t)ms * 1000000u);
	go = 1;
	for (unsigned k = 1; k < n_level_cpus; k++) /* fixed, physical */
		lapic_icr(cpu_apic_id[k], 0x00004000u | VEC_GO);
	level_worker((void *)0);
	bool all = true;
	for (unsigned k = 1; k < n_level_cpus; k++)
		all &= smp_wait(k, 5000);
	uint64_t el = now_us() - t0;
	uint64_t lv = 0, bs = 0;
	unsigned idle = 0;
	for (unsigned k = 0; k < ncpus; k++) {
		lv += lvl_count[k];
		bs += lvl_backstop[k];
		if (k < n_level_cpus && lvl_count[k] == 0)
			idle++;
	}
	for (unsigned k = 0; k < n_level_cpus; k++)
		ioapic_write(IOAPIC_REDTBL(level_lines[k]), RTE_MASKED);
	value("level.vcpus", "%u", ncpus);
	value("level.level_vcpus", "%u", n_level_cpus);
	value("level.interval_us", "%u", (uint32_t)el);
	value("level.round_trips", "%u", (uint32_t)lv);
	value("level.round_trips_per_s", "%u", el ? (uint32_t)(lv * 1000000u / el) : 0);
	value("level.idle_vcpus", "%u", ncpus - n_level_cpus);
	value("level.backstop_wakes", "%u", (uint32_t)bs);
	if (!all || idle)
		for (unsigned k = 0; k < n_level_cpus; k++)
			printf("level vCPU %u: %u round trips, %u backstop wakes%s\n", k,
			       lvl_count[k], lvl_backstop[k],
			       k && !smp_wait(k, 0) ? ", still running" : "");
	check(all && idle == 0 && lv > 0, "level.round_trips",
	      "%u round trips on %u vCPUs in %u us, %u vCPUs without any", (uint32_t)lv,
	      n_level_cpus, (uint32_t)el, idle);
}

/* -------------------------------------------------------------- edge */
static volatile uint32_t edge_count;

static void edge_handler(struct frame *f)
{
	(void)f;
	edge_count++;
	lapic_eoi();
}

static void phase_edge(void)
{
	unsigned n = arg_uint("edge_n", 200), got = 0;
	set_handler(VEC_EDGE, edge_handler);
	ioapic_rte_write(5, VEC_EDGE | ((uint64_t)lapic_id() << 56));
	edge_count = 0;
	for (unsigned i = 0; i < n; i++) {
		testdev_irq(5, 1);
		testdev_irq(5, 0);
		sti();
		WAIT_US(edge_count > i, 100000);
		cli();
	}
	got = edge_count;
	ioapic_write(IOAPIC_REDTBL(5), RTE_MASKED);
	value("edge.interrupts", "%u", got);
	check(got == n, "edge.interrupts", "%u of %u edge interrupts", got, n);
}

int guest_main(void)
{
	char run[64];
	const char *phases = arg_str("run", run, sizeof(run), "exits,latency,level,edge");
	unsigned want = fwcfg_cpu_count();

	cli();
	pic_init(0x20, 0x28, false);
	pic_set_mask(0xFFFF);
	ioapic_mask_all();
	calibrate();
	unsigned ncpus = 1;
	if (strstr(phases, "level") && want > 1)
		ncpus = smp_start(want > MAX_CPUS ? MAX_CPUS : want, 20000);
	value("vcpus", "%u", ncpus);
	if (strstr(phases, "exits"))
		phase_exits();
	if (strstr(phases, "latency"))
		phase_latency();
	if (strstr(phases, "level"))
		phase_level(ncpus);
	if (strstr(phases, "edge"))
		phase_edge();
	return 0;
}
