/* SPDX-License-Identifier: MIT */
/* TSC timing, fw_cfg, and small helpers for the 8259A, I/O APIC, 8254 and RTC. */
#include "runtime.h"

/* ---- TSC, calibrated against 8254 channel 2 (gate = port 0x61 bit 0, OUT2 = bit 5) ---- */
uint32_t tsc_khz;

void tsc_calibrate(void)
{
	const uint16_t count = 11932; /* 10 ms at 1.193182 MHz */
	uint8_t p61 = inb(PORT61);
	outb(PORT61, (uint8_t)((p61 & ~0x02) | 0x01)); /* speaker off, gate 2 high */
	outb(PIT_CMD, 0xB0);                            /* ch2, LSB/MSB, mode 0, binary */
	outb(PIT_CH2, count & 0xFF);
	outb(PIT_CH2, count >> 8);
	uint64_t t0 = rdtsc(), t1 = t0;
	/* mode 0: OUT2 goes high at terminal count; bound the wait by iterations */
	for (uint32_t i = 0; i < 200000000u; i++) {
		t1 = rdtsc();
		if (inb(PORT61) & 0x20)
			break;
	}
	outb(PORT61, p61 & ~0x03);
	uint64_t khz = (t1 - t0) / 10;
	if (khz < 1000 || khz > 100000000) {
		printf("tsc: calibration against PIT ch2 failed (delta %u), assuming 1 GHz\n",
		       (uint32_t)(t1 - t0));
		khz = 1000000;
	}
	tsc_khz = (uint32_t)khz;
}

uint64_t us_to_tsc(uint64_t us)
{
	return us * tsc_khz / 1000;
}

uint64_t tsc_to_us(uint64_t t)
{
	return t * 1000 / (tsc_khz ? tsc_khz : 1);
}

void delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us_to_tsc(us);
	while (rdtsc() < end)
		pause();
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
