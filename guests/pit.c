/* SPDX-License-Identifier: MIT */
/*
 * pit: the 8254 seen from the guest.  Counter latch and read-back commands,
 * modes 0, 1, 2, 3 and BCD counting, channel 2 gate / OUT2 through port 0x61
 * (bit 0 GATE2, bit 5 OUT2), and IRQ0 through IOAPIC pin 2 and the 8259A.
 * References: Intel 8254 datasheet ("Control Word Format", "Counter Latch
 * Command", "Read-Back Command", "Status Byte", "Mode Definitions", "Gate");
 * MultiProcessor Specification / ACPI MADT: ISA IRQ0 -> I/O APIC pin 2.
 */
#include "runtime.h"

const char guest_name[] = "pit";

static uint16_t latch_read(unsigned ch)
{
	outb(PIT_CMD, (uint8_t)(ch << 6)); /* counter latch command */
	uint8_t lo = inb((uint16_t)(PIT_CH0 + ch));
	uint8_t hi = inb((uint16_t)(PIT_CH0 + ch));
	return (uint16_t)(lo | (hi << 8));
}

/* Latch and read, with the time of the latch (midpoint of a narrow bracket). */
static uint16_t latch_sample(unsigned ch, uint64_t *when)
{
	uint16_t c = 0;
	for (int i = 0; i < 20; i++) {
		uint64_t a = now_us();
		c = latch_read(ch);
		uint64_t b = now_us();
		*when = (a + b) / 2;
		if (b - a <= 50)
			break;
	}
	return c;
}

static void ch2_program(uint8_t mode, uint16_t count, bool bcd)
{
	outb(PIT_CMD, (uint8_t)(0x80 | 0x30 | (mode << 1) | (bcd ? 1 : 0)));
	outb(PIT_CH2, count & 0xFF);
	outb(PIT_CH2, count >> 8);
}

static void gate2(bool high)
{
	uint8_t v = inb(PORT61) & (uint8_t)~0x03; /* speaker data off */
	outb(PORT61, (uint8_t)(v | (high ? 1 : 0)));
}

static bool out2(void)
{
	return (inb(PORT61) & 0x20) != 0;
}

static volatile unsigned ticks;
static void ioapic_tick(struct frame *f)
{
	(void)f;
	ticks++;
	lapic_eoi();
}
static void pic_tick(struct frame *f)
{
	(void)f;
	ticks++;
	outb(PIC1_CMD, 0x20);
}

static bool is_bcd(uint16_t v)
{
	for (int i = 0; i < 4; i++, v >>= 4)
		if ((v & 0xF) > 9)
			return false;
	return true;
}

int guest_main(void)
{
	cli();
	pic_init(0x20, 0x28, false);
	ioapic_mask_all();
	lapic_write(LAPIC_LVT_LINT0, LVT_DM_EXTINT);

	/* mode 2 on ch0: the counter counts down at 1.193182 MHz.  Each latch
	 * is bracketed by two time-base reads; a sample whose bracket is wide
	 * (vCPU preempted) is taken again. */
	pit_ch0_periodic(0); /* 0 = 65536 */
	delay_us(100);
	uint64_t t1, t2;
	uint16_t c1 = latch_sample(0, &t1);
	delay_us(20000);
	uint16_t c2 = latch_sample(0, &t2);
	uint32_t dticks = (uint16_t)(c1 - c2);
	uint32_t dus = (uint32_t)(t2 - t1);
	uint32_t khz = dus ? (uint32_t)((uint64_t)dticks * 1000 / dus) : 0;
	value("ch0_rate_khz", "%u", khz);
	check(khz > 1134 && khz < 1253, "counter_rate", "%u ticks in %u us (%u kHz)", dticks, dus, khz);

	/* counter latch holds the value until read */
	outb(PIT_CMD, 0x00);
	delay_us(500);
	uint16_t held = (uint16_t)(inb(PIT_CH0) | (inb(PIT_CH0) << 8));
	uint16_t now = latch_read(0);
	uint32_t held_age = (uint16_t)(held - now);
	check(held_age >= 400 && held_age < 0x8000, "latch_holds_value",
	      "latched value %u ticks older than a fresh latch", held_age);

	/* read-back: status byte of ch0 = OUT, null count, RW=11, mode 2, binary */
	outb(PIT_CMD, 0xC2); /* latch count and status, ch0 */
	uint8_t st = inb(PIT_CH0);
	uint16_t rb = (uint16_t)(inb(PIT_CH0) | (inb(PIT_CH0) << 8));
	value("readback_status_ch0", "%x", st);
	check((st & 0x3F) == 0x34, "readback_status", "status %x (want RW=3 mode=2 binary)", st);
	value("readback_count", "%u", rb);
	outb(PIT_CMD, 0xE2); /* status only */
	uint8_t st2 = inb(PIT_CH0);
	check((st2 & 0x3F) == 0x34, "readback_status_only", "status %x", st2);

	/* null count: set by a control word, cleared when the count is loaded */
	gate2(false);
	outb(PIT_CMD, 0xB0);
	outb(PIT_CMD, 0xE8); /* status only, ch2 */
	uint8_t nc = inb(PIT_CH2);
	value("null_count_after_control_word", "%u", (nc >> 6) & 1);
	check(nc & 0x40, "null_count_after_control_word", "status %x", nc);
	/* "Mode 0: OUT will be initially low after the mode set" */
	check(!(nc & 0x80), "mode0_out_low_after_control_word", "status %x (OUT is bit 7)", nc);

	/* mode 0, gate low: counting is disabled */
	ch2_program(0, 0x4000, false);
	bool out_after_load = out2();
	delay_us(50);
	uint16_t g1 = latch_read(2);
	delay_us(1000);
	uint16_t g2 = latch_read(2);
	value("mode0_gate_low_advance", "%u", (uint16_t)(g1 - g2));
	check(!out_after_load, "mode0_out_low_after_load", "OUT2=%u", out_after_load);
	check(g1 == g2, "mode0_gate_low_holds", "count %u then %u with GATE2=0", g1, g2);

	/* Counts below are long (55 ms) so that a vCPU preempted for a few ms
	 * still samples OUT2 on the right side of each edge. */

	/* mode 0, gate high: OUT low after the count is written, high at terminal
	 * count */
	gate2(true);
	ch2_program(0, 0xFFFF, false);
	uint64_t s0 = now_us();
	bool low = !out2();
	bool hi = WAIT_US(out2(), 500000);
	uint32_t el = (uint32_t)(now_us() - s0);
	check(low && hi && el >= 50000, "mode0_terminal_count",
	      "OUT2 low=%u then high after %u us (want 54925)", low, el);

	/* mode 1: OUT high until a gate rising edge triggers the one-shot; OUT
	 * low during the count, high at terminal count */
	gate2(false);
	ch2_program(1, 0xFFFF, false);
	delay_us(20);
	bool m1_before = out2();
	check(m1_before, "mode1_out_high_before_trigger", "OUT2=%u", m1_before);
	gate2(true);
	s0 = now_us();
	bool m1_low = !out2();
	bool m1_hi = WAIT_US(out2(), 500000);
	el = (uint32_t)(now_us() - s0);
	value("mode1_out_after_trigger", "low=%u, high after %u us", m1_low, el);
	check(m1_low && m1_hi && el >= 50000, "mode1_gate_trigger",
	      "OUT2 low=%u after the gate edge, high after %u us (want 54925)", m1_low, el);

	/* mode 3: square wave, OUT high and low for half a period (27.5 ms) each.
	 * The median interval between observed transitions is robust to a
	 * sample delayed by preemption. */
	ch2_program(3, 0xFFFF, false);
	unsigned trans = 0;
	uint64_t tt[16];
	bool last = out2();
	uint64_t t_start = now_us(), end = t_start + 300000;
	for (uint64_t t = t_start; t < end; t = now_us()) {
		bool o = out2();
		if (o != last) {
			if (trans < 16)
				tt[trans] = t;
			trans++;
		}
		last = o;
	}
	unsigned nint = trans < 16 ? (trans ? trans - 1 : 0) : 15;
	uint32_t iv[15];
	for (unsigned i = 0; i < nint; i++)
		iv[i] = (uint32_t)(tt[i + 1] - tt[i]);
	for (unsigned i = 0; i < nint; i++)
		for (unsigned j = i + 1; j < nint; j++)
			if (iv[j] < iv[i]) {
				uint32_t x = iv[i];
				iv[i] = iv[j];
				iv[j] = x;
			}
	uint32_t med = nint ? iv[nint / 2] : 0;
	value("mode3_half_period_us", "%u (%u transitions in 300 ms)", med, trans);
	check(trans >= 4 && trans <= 12 && med >= 22000 && med <= 33000, "mode3_square_wave",
	      "%u transitions in 300 ms, median half period %u us (want 27462)", trans, med);

	/* BCD counting: the counter only takes BCD values */
	ch2_program(0, 0x1000, true);
	uint16_t b1 = latch_read(2);
	delay_us(300);
	uint16_t b2 = latch_read(2);
	check(is_bcd(b1) && is_bcd(b2) && b1 <= 0x1000, "bcd_counting", "counts %x %x", b1, b2);
	gate2(false);

	/* IRQ0 through I/O APIC pin 2 (not pin 0), 1 kHz for 20 ms */
	set_handler(0x30, ioapic_tick);
	vec_clear(0x31);
	ticks = 0;
	ioapic_rte_write(2, 0x30 | ((uint64_t)lapic_id() << 56));
	ioapic_rte_write(0, 0x31 | ((uint64_t)lapic_id() << 56));
	pit_ch0_periodic(1193);
	sti();
	delay_us(50000);
	cli();
	ioapic_mask_all();
	unsigned io_ticks = ticks;
	value("irq0_ioapic_ticks_50ms", "%u", io_ticks);
	check(io_ticks >= 2 && io_ticks <= 67, "irq0_ioapic_pin2", "%u ticks in 50 ms at 1 kHz",
	      io_ticks);
	check(vec_total(0x31) == 0, "irq0_not_on_pin0", "%u on pin 0", vec_total(0x31));

	/* IRQ0 through the 8259A (ExtINT on LINT0) */
	set_handler(0x20, pic_tick);
	ticks = 0;
	pic_set_mask((uint16_t)~1u);
	sti();
	delay_us(50000);
	cli();
	pic_set_mask(0xFFFF);
	unsigned pic_ticks = ticks;
	value("irq0_pic_ticks_50ms", "%u", pic_ticks);
	check(pic_ticks >= 2 && pic_ticks <= 67, "irq0_pic", "%u ticks in 50 ms at 1 kHz", pic_ticks);
	return 0;
}
