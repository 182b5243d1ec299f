/* SPDX-License-Identifier: MIT */
/* TSC timing, fw_cfg, and small helpers for the 8259A, I/O APIC, 8254 and RTC. */
#include "runtime.h"

/* ---- TSC, calibrated against 8254 channel 2 (gate = port 0x61 bit 0, OUT2 = bit 5) ---- */
uint32_t tsc_khz;
static uint32_t tsc_us_mul;    /* 2^32 * 1000 / tsc_khz */
static uint64_t tsc_base;      /* TSC at calibration: now_us() counts from there */

static uint64_t tsc_calibrate_once(void)
{
	const uint16_t count = 11932; /* 10 ms at 1.193182 MHz */
	uint8_t p61 = inb(PORT61);
	outb(PORT61, (uint8_t)((p61 & ~0x02) | 0x01)); /* speaker off, gate 2 high */
	outb(PIT_CMD, 0xB0);                            /* ch2, LSB/MSB, mode 0, binary */
	outb(PIT_CH2, count & 0xFF);
	outb(PIT_CH2, count >> 8);
	uint64_t t0 = rdtsc(), t1 = t0;
	/* mode 0: OUT2 goes high at terminal count; a PIT that never gets
	 * there ends the wait after ~4e9 TSC cycles or 20M polls */
	for (uint32_t i = 0; i < 20000000u; i++) {
		t1 = rdtsc();
		if ((inb(PORT61) & 0x20) || t1 - t0 > 4000000000ull)
			break;
	}
	outb(PORT61, p61 & ~0x03);
	return (t1 - t0) / 10;
}

/* Median of five 10 ms runs: a preempted run (or a host whose TSC jumps, as
 * under QEMU TCG on a host with an unstable TSC) must not skew every timing. */
static void tsc_calibrate(void)
{
	uint64_t k[5];
	for (int i = 0; i < 5; i++)
		k[i] = tsc_calibrate_once();
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (k[j] < k[i]) {
				uint64_t t = k[i];
				k[i] = k[j];
				k[j] = t;
			}
	uint64_t khz = k[2];
	if (khz < 1000 || khz > 100000000) {
		printf("tsc: calibration against PIT ch2 failed (%u kHz), assuming 1 GHz\n",
		       (uint32_t)khz);
		khz = 1000000;
	}
	tsc_khz = (uint32_t)khz;
	uint64_t m = (1ull << 32) * 1000 / khz;
	tsc_us_mul = m > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)m;
	tsc_base = rdtsc();
}

/* ---- ACPI PM timer (ACPI spec 4.8.2.1 / 5.2.9: FADT PM_TMR_BLK at 76,
 * FLAGS.TMR_VAL_EXT bit 8 at 112) ---- */
const char *timebase = "tsc";
static uint16_t pmtmr_port;
static uint32_t pmtmr_mask = 0xFFFFFF;

static bool sig_eq(const void *p, const char *sig, size_t n)
{
	return !memcmp(p, sig, n);
}

static const uint8_t *find_rsdp(void)
{
	uint16_t seg;
	__asm__ volatile("movw 0x40E, %0" : "=r"(seg)); /* BDA: EBDA segment */
	uint32_t ebda = (uint32_t)seg << 4;
	if (ebda >= 0x80000 && ebda < 0xA0000)
		for (uint32_t a = ebda; a < ebda + 1024; a += 16)
			if (sig_eq((const void *)(uintptr_t)a, "RSD PTR ", 8))
				return (const uint8_t *)(uintptr_t)a;
	for (uint32_t a = 0xE0000; a < 0x100000; a += 16)
		if (sig_eq((const void *)(uintptr_t)a, "RSD PTR ", 8))
			return (const uint8_t *)(uintptr_t)a;
	return NULL;
}

static void find_pmtmr(void)
{
	const uint8_t *rsdp = find_rsdp();
	if (!rsdp)
		return;
	uint32_t rsdt = *(const uint32_t *)(rsdp + 16);
	if (rsdt < 0x1000 || rsdt >= 0xFEC00000u)
		return;
	const uint8_t *t = (const uint8_t *)(uintptr_t)rsdt;
	uint32_t len = *(const uint32_t *)(t + 4);
	if (!sig_eq(t, "RSDT", 4) || len < 36 || len > 4096)
		return;
	for (uint32_t off = 36; off + 4 <= len; off += 4) {
		uint32_t a = *(const uint32_t *)(t + off);
		if (a < 0x1000 || a >= 0xFEC00000u)
			continue;
		const uint8_t *f = (const uint8_t *)(uintptr_t)a;
		if (!sig_eq(f, "FACP", 4) || *(const uint32_t *)(f + 4) < 116)
			continue;
		uint32_t port = *(const uint32_t *)(f + 76);
		uint32_t flags = *(const uint32_t *)(f + 112);
		if (port && port < 0x10000) {
			pmtmr_port = (uint16_t)port;
			pmtmr_mask = (flags & (1u << 8)) ? 0xFFFFFFFFu : 0xFFFFFFu;
		}
		return;
	}
}

/* Per CPU extension of the 24/32-bit counter to 64 bits; every CPU starts
 * from the epoch taken in time_init(), so CPUs agree as long as each reads
 * the timer at least once per wrap (4.7 s for 24 bits). */
static struct {
	uint32_t last;
	uint64_t ext;
} pm_cpu[MAX_CPUS];

static uint64_t pm_ticks(void)
{
	uint32_t fl;
	__asm__ volatile("pushfl; popl %0; cli" : "=r"(fl) : : "memory");
	unsigned c = this_cpu();
	uint32_t raw = inl(pmtmr_port) & pmtmr_mask;
	uint32_t delta = (raw - pm_cpu[c].last) & pmtmr_mask;
	pm_cpu[c].last = raw;
	pm_cpu[c].ext += delta;
	uint64_t v = pm_cpu[c].ext;
	if (fl & 0x200)
		sti();
	return v;
}

/* (a * m) >> 32 without overflow and without a 64-bit division: now_us()
 * runs in every wait loop, and a guest may execute only a few million
 * instructions per second under a nested hypervisor. */
static inline uint64_t mul_shift32(uint64_t a, uint32_t m)
{
	uint64_t hi = (a >> 32) * m;
	uint64_t lo = ((a & 0xFFFFFFFFu) * m) >> 32;
	return hi + lo;
}

#define PM_US_MUL 1199864032u /* 2^32 * 1e6 / 3579545 Hz */
uint64_t now_us(void)
{
	if (pmtmr_port)
		return mul_shift32(pm_ticks(), PM_US_MUL);
	return mul_shift32(rdtsc() - tsc_base, tsc_us_mul);
}

void delay_us(uint64_t us)
{
	uint64_t end = now_us() + us;
	while (now_us() < end)
		pause();
}

void time_init(void)
{
	tsc_calibrate();
	if (strstr(mb_cmdline, "timebase=tsc"))
		return;
	find_pmtmr();
	if (pmtmr_port) {
		/* a timer that does not count (unimplemented port) must not
		 * turn every bounded wait into a hang: fall back to the TSC */
		uint32_t a = inl(pmtmr_port) & pmtmr_mask, b = a;
		for (unsigned i = 0; i < 1000 && b == a; i++)
			b = inl(pmtmr_port) & pmtmr_mask;
		if (b == a) {
			printf("time: PM timer at port %x does not count, using the TSC\n", pmtmr_port);
			pmtmr_port = 0;
			return;
		}
		timebase = "acpi-pm-timer";
		uint32_t raw = inl(pmtmr_port) & pmtmr_mask;
		for (unsigned c = 0; c < MAX_CPUS; c++)
			pm_cpu[c].last = raw; /* one epoch for every CPU */
	}
}

/* ---- fw_cfg: selector 0x510 (16-bit), data 0x511 (8-bit) ---- */
void fwcfg_read(uint16_t key, void *buf, uint32_t len)
{
	uint8_t *p = buf;
	outw(0x510, key);
	for (uint32_t i = 0; i < len; i++)
		p[i] = inb(0x511);
}

bool fwcfg_present(void)
{
	char sig[4];
	fwcfg_read(0x0000, sig, 4);
	return !memcmp(sig, "QEMU", 4);
}

uint16_t fwcfg_cpu_count(void)
{
	uint16_t n = 0;
	if (!fwcfg_present())
		return 0;
	fwcfg_read(0x0005, &n, 2);
	return n;
}

/* ---- 8259A ---- */
void pic_init(uint8_t base1, uint8_t base2, bool aeoi)
{
	uint8_t icw4 = (uint8_t)(0x01 | (aeoi ? 0x02 : 0)); /* 8086 mode [, AEOI] */
	outb(PIC1_CMD, 0x11);    /* ICW1: edge, cascade, ICW4 needed */
	outb(PIC1_DATA, base1);  /* ICW2 */
	outb(PIC1_DATA, 0x04);   /* ICW3: slave on IR2 */
	outb(PIC1_DATA, icw4);
	outb(PIC2_CMD, 0x11);
	outb(PIC2_DATA, base2);
	outb(PIC2_DATA, 0x02);   /* ICW3: slave ID 2 */
	outb(PIC2_DATA, icw4);
	pic_set_mask(0xFFFF);
}

void pic_set_mask(uint16_t mask)
{
	outb(PIC1_DATA, (uint8_t)mask);
	outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

uint16_t pic_read_irr(void)
{
	outb(PIC1_CMD, 0x0A);
	outb(PIC2_CMD, 0x0A);
	return (uint16_t)(inb(PIC1_CMD) | (inb(PIC2_CMD) << 8));
}

uint16_t pic_read_isr(void)
{
	outb(PIC1_CMD, 0x0B);
	outb(PIC2_CMD, 0x0B);
	return (uint16_t)(inb(PIC1_CMD) | (inb(PIC2_CMD) << 8));
}

/* ---- I/O APIC (82093AA datasheet 3.0: IOREGSEL at +0x00, IOWIN at +0x10) ---- */
uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	return mmio_read32(IOAPIC_BASE + IOAPIC_IOWIN);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOAPIC_IOWIN, v);
}

uint64_t ioapic_rte_read(unsigned pin)
{
	uint32_t lo = ioapic_read(IOAPIC_REDTBL(pin));
	uint32_t hi = ioapic_read(IOAPIC_REDTBL(pin) + 1);
	return ((uint64_t)hi << 32) | lo;
}

void ioapic_rte_write(unsigned pin, uint64_t rte)
{
	/* mask first so a half-written entry never delivers */
	ioapic_write(IOAPIC_REDTBL(pin), RTE_MASKED);
	ioapic_write(IOAPIC_REDTBL(pin) + 1, (uint32_t)(rte >> 32));
	ioapic_write(IOAPIC_REDTBL(pin), (uint32_t)rte);
}

unsigned ioapic_pins(void)
{
	return ((ioapic_read(IOAPIC_REG_VER) >> 16) & 0xFF) + 1;
}

void ioapic_mask_all(void)
{
	unsigned n = ioapic_pins();
	for (unsigned p = 0; p < n && p < 240; p++)
		ioapic_write(IOAPIC_REDTBL(p), RTE_MASKED);
}

/* ---- 8254 ---- */
void pit_ch0_periodic(uint16_t count)
{
	outb(PIT_CMD, 0x34); /* ch0, LSB/MSB, mode 2, binary */
	outb(PIT_CH0, count & 0xFF);
	outb(PIT_CH0, count >> 8);
}

/* ---- MC146818: index 0x70 (bit 7 = NMI disable, kept 0), data 0x71 ---- */
uint8_t cmos_read(uint8_t idx)
{
	outb(0x70, idx & 0x7F);
	return inb(0x71);
}

void cmos_write(uint8_t idx, uint8_t v)
{
	outb(0x70, idx & 0x7F);
	outb(0x71, v);
}
