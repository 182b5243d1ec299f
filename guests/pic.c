/* SPDX-License-Identifier: MIT */
/*
 * pic: the 8259A pair as seen through LINT0 in ExtINT (virtual wire) mode on
 * the BSP.  IRQ lines are driven with pc-testdev (port 0x2000 + n).
 * References: Intel 8259A datasheet (ICW/OCW formats, "Interrupt Sequence",
 * "Rotation", "Special Mask Mode", "Poll Command", "Edge and Level Triggered
 * Modes"), ELCR at 0x4d0/0x4d1 (Intel 82371AB PIIX4 datasheet 4.1.10).
 */
#include "runtime.h"

const char guest_name[] = "pic";

enum eoi_mode { EOI_NS, EOI_ROTATE, EOI_SPECIFIC, EOI_NONE };

static volatile enum eoi_mode eoi_mode;
static volatile unsigned nev;
static volatile uint8_t ev_irq[16];
static volatile uint16_t ev_isr[16];
static volatile int level_irq = -1, level_lower_after, level_count;
static void (*volatile irq3_hook)(void);

static void send_eoi(unsigned irq)
{
	switch (eoi_mode) {
	case EOI_NS:
		if (irq >= 8)
			outb(PIC2_CMD, 0x20);
		outb(PIC1_CMD, 0x20);
		break;
	case EOI_ROTATE: /* OCW2 R=1 SL=0 EOI=1: rotate on non-specific EOI */
		if (irq >= 8)
			outb(PIC2_CMD, 0xA0);
		outb(PIC1_CMD, 0xA0);
		break;
	case EOI_SPECIFIC: /* OCW2 SL=1 EOI=1 L2..L0 */
		if (irq >= 8) {
			outb(PIC2_CMD, (uint8_t)(0x60 | (irq & 7)));
			outb(PIC1_CMD, 0x62);
		} else {
			outb(PIC1_CMD, (uint8_t)(0x60 | irq));
		}
		break;
	case EOI_NONE:
		break;
	}
}

static void pic_handler(struct frame *f)
{
	unsigned irq = f->vector - 0x20;
	unsigned n = nev;
	nev = n + 1;
	if (n < 16) {
		ev_irq[n] = (uint8_t)irq;
		ev_isr[n] = pic_read_isr();
	}
	if (irq == 3 && irq3_hook) {
		irq3_hook();
		return;
	}
	if ((int)irq == level_irq && ++level_count >= level_lower_after)
		testdev_irq(irq, 0);
	send_eoi(irq);
}

static void reset_events(void)
{
	nev = 0;
	for (unsigned i = 0; i < 16; i++) {
		ev_irq[i] = 0xFF;
		ev_isr[i] = 0;
	}
}

/* Unmask the given IRQs (plus the cascade if a slave IRQ is included), open
 * the interrupt window until `want` events arrived or timeout, then mask all. */
static unsigned run(uint16_t irqs, unsigned want, uint32_t timeout_us)
{
	if (irqs & 0xFF00)
		irqs |= 1u << 2;
	pic_set_mask((uint16_t)~irqs);
	sti();
	WAIT_US(nev >= want, timeout_us);
	delay_us(1000); /* catch extra, unexpected deliveries */
	cli();
	pic_set_mask(0xFFFF);
	return nev;
}

static void lower_all(void)
{
	for (unsigned i = 3; i < 12; i++)
		if (i != 4 && i != 6 && i != 8 && i != 9)
			testdev_irq(i, 0);
}

static unsigned smm_blocked_count, smm_nested_count;

/* IRQ3 handler for the special mask mode test (8259A "Special Mask Mode"). */
static void smm_irq3(void)
{
	testdev_irq(5, 1);
	sti();
	delay_us(3000);
	cli();
	smm_blocked_count = vec_total(0x25);
	outb(PIC1_CMD, 0x68);                /* OCW3: ESMM=1 SMM=1 */
	outb(PIC1_DATA, 0xFF & ~(1u << 5));  /* mask IR3 (in service), IR5 open */
	sti();
	WAIT_US(vec_total(0x25) > 0, 200000);
	cli();
	smm_nested_count = vec_total(0x25);
	outb(PIC1_CMD, 0x48);                /* OCW3: ESMM=1 SMM=0 */
	outb(PIC1_CMD, 0x63);                /* specific EOI IR3 */
}

int guest_main(void)
{
	cli();
	ioapic_mask_all();
	pic_init(0x20, 0x28, false);
	lapic_write(LAPIC_LVT_LINT0, LVT_DM_EXTINT); /* virtual wire: PIC INTR -> LINT0 */
	for (unsigned v = 0x20; v < 0x30; v++)
		set_handler(v, pic_handler);
	uint8_t elcr1 = inb(ELCR1), elcr2 = inb(ELCR2);
	value("elcr_at_boot", "%x", (unsigned)(elcr1 | (elcr2 << 8)));
	outb(ELCR1, elcr1 & (uint8_t)~0xA8);  /* IRQ3, 5, 7 edge */
	outb(ELCR2, elcr2 & (uint8_t)~0x0C);  /* IRQ10, 11 edge */
	lower_all();

	/* OCW1 reads back as the IMR */
	outb(PIC1_DATA, 0xA5);
	uint8_t imr = inb(PIC1_DATA);
	pic_set_mask(0xFFFF);
	check(imr == 0xA5, "imr_readback", "imr=%x", imr);

	/* IRR latches a masked request (OCW3 RR=1 RIS=0) */
	reset_events();
	testdev_irq(5, 1);
	uint16_t irr = pic_read_irr();
	check(irr & (1u << 5), "irr_masked_request", "irr=%x", irr);
	run(1u << 5, 1, 200000);
	check(nev == 1 && ev_irq[0] == 5, "deliver_irq5", "events=%u irq=%u", nev, ev_irq[0]);
	check(ev_isr[0] == (1u << 5), "isr_in_handler", "isr=%x", ev_isr[0]);
	uint16_t isr = pic_read_isr();
	check(isr == 0, "isr_clear_after_eoi", "isr=%x", isr);
	testdev_irq(5, 0);

	/* fixed priority: IR3 before IR5 */
	reset_events();
	testdev_irq(3, 1);
	testdev_irq(5, 1);
	run((1u << 3) | (1u << 5), 2, 200000);
	check(nev == 2 && ev_irq[0] == 3 && ev_irq[1] == 5 && ev_isr[0] == (1u << 3),
	      "fixed_priority", "order %u,%u isr %x", ev_irq[0], ev_irq[1], ev_isr[0]);
	lower_all();

	/* cascade: slave IR2 (IRQ10) arrives through master IR2, above IRQ3 */
	reset_events();
	testdev_irq(10, 1);
	testdev_irq(3, 1);
	run((1u << 3) | (1u << 10), 2, 200000);
	check(nev == 2 && ev_irq[0] == 10 && ev_irq[1] == 3 &&
	      ev_isr[0] == ((1u << 10) | (1u << 2)),
	      "cascade_priority", "order %u,%u isr %x", ev_irq[0], ev_irq[1], ev_isr[0]);
	lower_all();

	/* rotate on non-specific EOI: after IR3 is serviced it becomes lowest */
	reset_events();
	eoi_mode = EOI_ROTATE;
	testdev_irq(3, 1);
	run(1u << 3, 1, 200000);
	testdev_irq(3, 0);
	eoi_mode = EOI_NS;
	reset_events();
	testdev_irq(3, 1);
	testdev_irq(5, 1);
	run((1u << 3) | (1u << 5), 2, 200000);
	check(nev == 2 && ev_irq[0] == 5 && ev_irq[1] == 3, "rotate_on_eoi",
	      "order %u,%u", ev_irq[0], ev_irq[1]);
	lower_all();
	outb(PIC1_CMD, 0xC7); /* OCW2 set priority: IR7 lowest */

	/* specific rotation: set priority, IR4 lowest -> IR5 highest */
	outb(PIC1_CMD, 0xC4);
	reset_events();
	testdev_irq(3, 1);
	testdev_irq(5, 1);
	run((1u << 3) | (1u << 5), 2, 200000);
	check(nev == 2 && ev_irq[0] == 5 && ev_irq[1] == 3, "set_priority",
	      "order %u,%u", ev_irq[0], ev_irq[1]);
	lower_all();
	outb(PIC1_CMD, 0xC7);

	/* automatic EOI (ICW4 AEOI): ISR bit never visible in the handler */
	pic_init(0x20, 0x28, true);
	eoi_mode = EOI_NONE;
	reset_events();
	testdev_irq(5, 1);
	run(1u << 5, 1, 200000);
	isr = pic_read_isr();
	check(nev == 1 && ev_isr[0] == 0 && isr == 0, "aeoi", "events=%u isr in handler %x after %x",
	      nev, ev_isr[0], isr);
	testdev_irq(5, 0);
	pic_init(0x20, 0x28, false);
	eoi_mode = EOI_NS;

	/* poll command (OCW3 P=1): next read is the INTA, I bit + level */
	pic_set_mask((uint16_t)~(1u << 5));
	outb(PIC1_CMD, 0x0C);
	uint8_t none = inb(PIC1_CMD);
	testdev_irq(5, 1);
	outb(PIC1_CMD, 0x0C);
	uint8_t poll = inb(PIC1_CMD);
	isr = pic_read_isr();
	outb(PIC1_CMD, 0x20);
	uint16_t isr2 = pic_read_isr();
	pic_set_mask(0xFFFF);
	testdev_irq(5, 0);
	check((none & 0x80) == 0 && poll == 0x85 && isr == (1u << 5) && isr2 == 0, "poll",
	      "idle=%x poll=%x isr=%x after eoi %x", none, poll, isr, isr2);

	/* special mask mode: masking the in-service IR3 lets IR5 nest */
	eoi_mode = EOI_SPECIFIC;
	irq3_hook = smm_irq3;
	vec_clear(0x25);
	reset_events();
	testdev_irq(3, 1);
	run((1u << 3) | (1u << 5), 2, 50000);
	irq3_hook = NULL;
	check(smm_blocked_count == 0, "smm_blocked_without_smm", "irq5 count %u while IR3 in service",
	      smm_blocked_count);
	check(smm_nested_count == 1, "special_mask_mode", "irq5 count %u after SMM+mask IR3",
	      smm_nested_count);
	isr = pic_read_isr();
	check(isr == 0, "smm_isr_clear", "isr=%x", isr);
	lower_all();
	eoi_mode = EOI_NS;

	/* ELCR level mode: a line still high after EOI requests again */
	outb(ELCR1, (uint8_t)(inb(ELCR1) | (1u << 5)));
	value("elcr_irq5_level", "%x", inb(ELCR1));
	reset_events();
	level_irq = 5;
	level_count = 0;
	level_lower_after = 3;
	testdev_irq(5, 1);
	run(1u << 5, 3, 200000);
	level_irq = -1;
	check(nev == 3, "elcr_level_retrigger", "%u interrupts for 3 EOIs with line high", nev);
	testdev_irq(5, 1);
	uint16_t irr_hi = pic_read_irr();
	testdev_irq(5, 0);
	uint16_t irr_lo = pic_read_irr();
	check((irr_hi & 0x20) && !(irr_lo & 0x20), "level_irr_follows_line", "irr high %x low %x",
	      irr_hi, irr_lo);

	/* request withdrawn before INTA: no IRQ5; if anything, a spurious IR7
	 * with ISR bit 7 clear (8259A "Edge and Level Triggered Modes") */
	reset_events();
	vec_clear(0x25);
	vec_clear(0x27);
	pic_set_mask((uint16_t)~((1u << 5) | (1u << 7)));
	testdev_irq(5, 1);
	delay_us(200);
	testdev_irq(5, 0);
	sti();
	delay_us(3000);
	cli();
	pic_set_mask(0xFFFF);
	unsigned sp = vec_total(0x27);
	value("spurious_irq7", "%u (isr at entry %x)", sp, sp ? ev_isr[0] : 0);
	check(vec_total(0x25) == 0 && (sp == 0 || !(ev_isr[0] & 0x80)), "withdrawn_request",
	      "irq5=%u irq7=%u", vec_total(0x25), sp);
	outb(ELCR1, elcr1 & (uint8_t)~0xA8);

	/* a real IRQ7 has ISR bit 7 set, unlike the spurious one */
	reset_events();
	testdev_irq(7, 1);
	run(1u << 7, 1, 200000);
	check(nev == 1 && ev_irq[0] == 7 && ev_isr[0] == 0x80, "irq7_real_isr", "events=%u isr=%x",
	      nev, ev_isr[0]);
	testdev_irq(7, 0);

	/* INT held high across an LVT0 change, with no new edge at the PIC:
	 * Linux's setup_local_APIC() soft-disables the APIC, which masks every
	 * LVT (SDM 10.4.7.2), and then writes LVT0 = ExtINT again while IRQ 0
	 * is pending.  A masked LINT0 takes nothing; once unmasked it takes the
	 * request that waited (8259A INT stays high until INTA). */
	reset_events();
	lapic_write(LAPIC_LVT_LINT0, LVT_DM_EXTINT | LVT_MASKED);
	pic_set_mask((uint16_t)~(1u << 3));
	testdev_irq(3, 1);
	sti();
	delay_us(30000);   /* longer than splitvm's 10 ms LVT0 sample */
	cli();
	unsigned while_masked = nev;
	uint32_t svr = lapic_read(LAPIC_SVR);
	lapic_write(LAPIC_SVR, svr & ~0x100u);   /* software disable ... */
	lapic_write(LAPIC_SVR, svr);             /* ... and enable */
	lapic_write(LAPIC_LVT_LINT0, LVT_DM_EXTINT);
	sti();
	WAIT_US(nev >= 1, 200000);
	delay_us(1000);
	cli();
	pic_set_mask(0xFFFF);
	testdev_irq(3, 0);
	check(while_masked == 0 && nev == 1 && ev_irq[0] == 3, "lint0_unmask_with_int_high",
	      "%u while LVT0 masked, then %u (irq %u)", while_masked, nev, ev_irq[0]);

	outb(ELCR1, elcr1);
	outb(ELCR2, elcr2);
	return 0;
}
