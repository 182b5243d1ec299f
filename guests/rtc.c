/* SPDX-License-Identifier: MIT */
/*
 * rtc: the MC146818A real-time clock.  Register C flags and their clearing,
 * periodic interrupt rates, update-ended and alarm interrupts, the UIP window,
 * BCD / binary and 12 / 24 hour formats.  IRQ8 via I/O APIC pin 8 (edge).
 * References: Motorola MC146818A datasheet ("Register A": UIP, DV, RS;
 * "Register B": SET PIE AIE UIE DM 24/12; "Register C": IRQF PF AF UF;
 * "Register D": VRT; "Update Cycle"; Table 5 periodic rates).
 */
#include "runtime.h"

const char guest_name[] = "rtc";

#define REG_A 0x0A
#define REG_B 0x0B
#define REG_C 0x0C
#define REG_D 0x0D
#define REG_A_UIP 0x80
#define REG_A_DV_32K 0x20
#define REG_B_SET 0x80
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_DM_BINARY 0x04
#define REG_B_24H 0x02
#define REG_C_IRQF 0x80
#define REG_C_PF 0x40
#define REG_C_AF 0x20
#define REG_C_UF 0x10

static volatile unsigned n_irq, n_pf, n_af, n_uf, n_af_with_uf;
static volatile bool read_c_in_handler = true;
static volatile uint64_t t_af;

static void rtc_handler(struct frame *f)
{
	(void)f;
	n_irq++;
	if (read_c_in_handler) {
		uint8_t c = cmos_read(REG_C);
		if (c & REG_C_PF)
			n_pf++;
		if (c & REG_C_AF) {
			n_af++;
			t_af = now_us();
			if (c & REG_C_UF)
				n_af_with_uf++;
		}
		if (c & REG_C_UF)
			n_uf++;
	}
	lapic_eoi();
}

static void reset_counts(void)
{
	n_irq = n_pf = n_af = n_uf = n_af_with_uf = 0;
}

static uint8_t bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xF);
}

/* Count periodic interrupts at rate select rs over ms milliseconds. */
static void periodic(uint8_t rs, unsigned ms, const char *name)
{
	unsigned hz = 32768u >> (rs - 1);
	unsigned want = hz * ms / 1000;
	cmos_write(REG_A, (uint8_t)(REG_A_DV_32K | rs));
	cmos_read(REG_C);
	reset_counts();
	cmos_write(REG_B, REG_B_PIE | REG_B_24H);
	sti();
	delay_us(ms * 1000u);
	cli();
	cmos_write(REG_B, REG_B_24H);
	unsigned got = n_pf;
	value(name, "%u (want %u)", got, want);
	check(got >= 2 && got * 100 <= want * 130 + 200, name,
	      "%u periodic interrupts in %u ms at %u Hz (want %u)", got, ms, hz, want);
}

int guest_main(void)
{
	cli();
	pic_init(0x20, 0x28, false);
	ioapic_mask_all();
	set_handler(0x38, rtc_handler);
	ioapic_rte_write(8, 0x38 | ((uint64_t)lapic_id() << 56));

	uint8_t d = cmos_read(REG_D);
	check(d & 0x80, "reg_d_vrt", "register D %x", d);

	/* register C: PF is set at the periodic rate even with PIE=0, IRQF is
	 * not; a read clears every flag */
	cmos_write(REG_B, REG_B_24H);
	cmos_write(REG_A, REG_A_DV_32K | 10); /* 64 Hz */
	cmos_read(REG_C);
	delay_us(40000);
	uint8_t c1 = cmos_read(REG_C);
	uint8_t c2 = cmos_read(REG_C);
	value("reg_c_pie_off", "%x then %x", c1, c2);
	check((c1 & REG_C_PF) && !(c1 & REG_C_IRQF), "reg_c_pf_without_pie", "C=%x", c1);
	check(!(c2 & (REG_C_PF | REG_C_IRQF)), "reg_c_read_clears", "second read C=%x", c2);

	/* periodic rates (datasheet table: rate = 32768 >> (RS - 1)) */
	periodic(6, 30, "periodic_1024hz");
	periodic(8, 50, "periodic_256hz");
	periodic(10, 100, "periodic_64hz");

	/* IRQ stays asserted until register C is read: with an edge-triggered
	 * input only one interrupt arrives */
	cmos_write(REG_A, REG_A_DV_32K | 6);
	cmos_read(REG_C);
	reset_counts();
	read_c_in_handler = false;
	cmos_write(REG_B, REG_B_PIE | REG_B_24H);
	sti();
	delay_us(20000);
	cli();
	/* read C while PIE is still set: IRQF = PF.PIE + AF.AIE + UF.UIE
	 * (MC146818A register C), so clearing PIE first would clear IRQF */
	uint8_t c3 = cmos_read(REG_C);
	cmos_write(REG_B, REG_B_24H);
	read_c_in_handler = true;
	value("irqs_without_reg_c_read_20ms", "%u", n_irq);
	check(n_irq == 1 && (c3 & REG_C_IRQF), "irq_held_until_reg_c_read",
	      "%u interrupts in 20 ms at 1024 Hz without reading C (want 1), C=%x", n_irq, c3);
	cmos_write(REG_A, REG_A_DV_32K | 6);

	/* UIP window: set before the update, cleared after it; the seconds
	 * change across it */
	/* UIP=0 guarantees 244 us of stable time registers: sample the seconds
	 * under that guarantee until UIP is seen (up to five updates: a preempted
	 * vCPU can miss a 244 us window) */
	uint8_t s0 = 0;
	bool rose = false;
	for (uint64_t end = now_us() + 5500000; now_us() < end;) {
		if (cmos_read(REG_A) & REG_A_UIP) {
			rose = true;
			break;
		}
		s0 = cmos_read(0x00);
	}
	uint64_t t_rise = now_us();
	bool fell = WAIT_US(!(cmos_read(REG_A) & REG_A_UIP), 100000);
	uint32_t uip_us = (uint32_t)(now_us() - t_rise);
	uint8_t s1 = cmos_read(0x00);
	value("uip_high_us", "%u", uip_us);
	check(rose && fell && uip_us <= 20000, "uip_window", "UIP seen %u, high for %u us", rose,
	      uip_us);
	if (rose)
		check(s1 == bcd((from_bcd(s0) + 1) % 60), "update_after_uip", "seconds %x -> %x", s0,
		      s1);
	else
		skip("update_after_uip", "UIP never seen");

	/* update-ended and alarm interrupts; alarm at the next second with
	 * "don't care" (0xC0..0xFF) hours and minutes */
	uint8_t sec = cmos_read(0x00);
	cmos_write(0x01, bcd((from_bcd(sec) + 1) % 60));
	cmos_write(0x03, 0xFF);
	cmos_write(0x05, 0xFF);
	cmos_read(REG_C);
	reset_counts();
	uint64_t t0 = now_us();
	cmos_write(REG_B, REG_B_UIE | REG_B_AIE | REG_B_24H);
	sti();
	WAIT_US(n_af > 0, 2500000);
	delay_us(20000);
	cli();
	cmos_write(REG_B, REG_B_24H);
	uint32_t af_ms = n_af ? (uint32_t)(t_af - t0) / 1000 : 0;
	value("alarm_after_ms", "%u", af_ms);
	check(n_uf >= 1, "update_ended_irq", "%u UF interrupts", n_uf);
	check(n_af == 1 && af_ms <= 1900, "alarm_irq", "%u AF after %u ms (at the next update)", n_af,
	      af_ms);
	check(n_af_with_uf == n_af && n_af, "alarm_at_update", "%u of %u AF with UF in the same read",
	      n_af_with_uf, n_af);

	/* 12-hour BCD: 11:59:59 AM rolls over to 12:00:00 PM (hour 0x92) */
	cmos_write(REG_B, REG_B_SET);
	cmos_write(0x04, 0x11);
	cmos_write(0x02, 0x59);
	cmos_write(0x00, 0x59);
	uint8_t h = cmos_read(0x04);
	check(h == 0x11, "set_holds_time_12h", "hour %x", h);
	cmos_write(REG_B, 0);
	WAIT_US(cmos_read(0x00) != 0x59, 1500000);
	WAIT_US(!(cmos_read(REG_A) & REG_A_UIP), 10000);
	uint8_t hh = cmos_read(0x04), mm = cmos_read(0x02), ss = cmos_read(0x00);
	value("rollover_12h", "%x:%x:%x", hh, mm, ss);
	check(hh == 0x92 && mm == 0 && ss == 0, "bcd_12h_rollover", "11:59:59 AM -> %x:%x:%x",
	      hh, mm, ss);

	/* 24-hour binary: 23:59:59 on day 15 rolls over to 00:00:00 on day 16.
	 * Changing DM requires rewriting every time and date register, including
	 * the PC century byte at 0x32. */
	cmos_write(REG_B, REG_B_SET | REG_B_DM_BINARY | REG_B_24H);
	cmos_write(0x32, 20);
	cmos_write(0x09, 26);
	cmos_write(0x08, 6);
	cmos_write(0x06, 2);
	cmos_write(0x07, 15);
	cmos_write(0x04, 23);
	cmos_write(0x02, 59);
	cmos_write(0x00, 59);
	h = cmos_read(0x04);
	check(h == 23, "binary_readback", "hour %u", h);
	cmos_write(REG_B, REG_B_DM_BINARY | REG_B_24H);
	WAIT_US(cmos_read(0x00) != 59, 1500000);
	WAIT_US(!(cmos_read(REG_A) & REG_A_UIP), 10000);
	uint8_t day = cmos_read(0x07);
	hh = cmos_read(0x04);
	mm = cmos_read(0x02);
	ss = cmos_read(0x00);
	value("rollover_24h_binary", "day %u %u:%u:%u", day, hh, mm, ss);
	check(day == 16 && hh == 0 && mm == 0 && ss == 0, "binary_24h_rollover",
	      "day %u %u:%u:%u", day, hh, mm, ss);

	/* back to BCD with the century byte in BCD */
	cmos_write(REG_B, REG_B_SET | REG_B_24H);
	cmos_write(0x32, 0x20);
	cmos_write(0x09, 0x26);
	cmos_write(REG_B, REG_B_24H);
	cmos_write(REG_A, REG_A_DV_32K | 6);
	ioapic_mask_all();
	return 0;
}
