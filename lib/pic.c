/* SPDX-License-Identifier: MIT */
/*
 * i8259A PIC pair with the chipset ELCR.  References below are to the Intel
 * 8259A datasheet (231468) unless stated; ELCR per the 82371AB (PIIX4) and
 * ICH datasheets ("ELCR1/ELCR2 - Edge/Level Control Registers").
 *
 * Input model (datasheet "Edge and Level Triggered Modes", priority cell
 * figure): each IR input has an edge sense latch (elatch) that is armed
 * whenever the input is low and disarmed when the level is acknowledged
 * (INTA/poll) or by ICW1.  The request latch is transparent:
 *   level mode: IRR bit = input level;
 *   edge mode:  IRR bit = input level AND armed latch.
 * So a rising edge requests, the request goes away if the input drops
 * before the acknowledge (the default-IR7 case), and an input held high
 * after its acknowledge does not request again.  With latch_edges (see
 * pic.h) an edge-mode IRR bit survives the input dropping.
 */
#include <splitchip/pic.h>

#include <errno.h>
#include <string.h>

_Static_assert(sizeof(struct sc_pic_chip_state_v1) == 20,
	       "sc_pic_chip_state_v1 layout");
_Static_assert(sizeof(struct sc_pic_state_v1) == 48, "sc_pic_state_v1 layout");
_Static_assert(offsetof(struct sc_pic_state_v1, chip) == 8,
	       "sc_pic_state_v1 layout");

#define MASTER 0
#define SLAVE 1
#define CASCADE_IR 2   /* PC/AT: slave INT -> master IR2 */

/* ICW state machine (datasheet "Initialization Command Words", fig. 6). */
enum {
	INIT_READY = 0,
	INIT_ICW2 = 1,
	INIT_ICW3 = 2,
	INIT_ICW4 = 3,
};

static const uint8_t elcr_mask[2] = { SC_PIC_ELCR1_MASK, SC_PIC_ELCR2_MASK };
static const char *const chip_name = "pic";

/*
 * Acknowledge notifications gathered during one operation and delivered
 * once the state is consistent (callbacks may re-enter the PIC).
 */
struct pic_events {
	uint16_t eoi;   /* ISA IRQs whose ISR bit was cleared */
	int inta;       /* ISA IRQ acknowledged, or -1 */
};

static uint8_t level_mask(const struct sc_pic_chip *c)
{
	/* ICW1 LTIM makes every input level triggered; otherwise the ELCR. */
	return (c->icw1 & ICW1_LTIM) ? 0xff : c->elcr;
}

/* Master input @ir is a cascade input (ICW1 SNGL = 0 and ICW3 Sn = 1). */
static bool is_cascade(const struct sc_pic *pic, int n, unsigned ir)
{
	const struct sc_pic_chip *m = &pic->chip[MASTER];

	return n == MASTER && !(m->icw1 & ICW1_SNGL) && (m->icw3 & (1u << ir));
}

/* Highest-priority IR level set in @mask; priority_add has the highest. */
static int highest(uint8_t mask, uint8_t prio)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned ir = (prio + i) & 7;

		if (mask & (1u << ir))
			return (int)ir;
	}
	return -1;
}

static unsigned rank(int ir, uint8_t prio)
{
	return ((unsigned)ir - prio) & 7;
}

/*
 * In-service bits that block lower priorities and that a non-specific EOI
 * considers.  Special mask mode (datasheet "Special Mask Mode"): a level
 * masked in the IMR no longer inhibits other levels, and "an IS bit that
 * is masked by an IMR bit will not be cleared by a non-specific EOI".
 */
static uint8_t effective_isr(const struct sc_pic_chip *c)
{
	return c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
}

/*
 * Priority resolver: the IR level this chip asserts INT for, or -1.
 * Fully nested mode: a request must have strictly higher priority than
 * every level in service.  Special fully nested mode on the master
 * (ICW4 SFNM, datasheet "The Special Fully Nest Mode"): a slave in service
 * is not locked out, so its cascade input may request again.
 */
static int chip_request(const struct sc_pic *pic, int n)
{
	const struct sc_pic_chip *c = &pic->chip[n];
	int r = highest(c->irr & ~c->imr, c->priority_add);
	int s;

	if (r < 0)
		return -1;
	s = highest(effective_isr(c), c->priority_add);
	if (s < 0 || rank(r, c->priority_add) < rank(s, c->priority_add))
		return r;
	if (r == s && (c->icw4 & ICW4_SFNM) && is_cascade(pic, n, (unsigned)s))
		return r;
	return -1;
}

/* Drive input @ir of chip @n. */
static void pin_set(struct sc_pic *pic, int n, unsigned ir, bool level)
{
	struct sc_pic_chip *c = &pic->chip[n];
	uint8_t b = (uint8_t)(1u << ir);
	uint8_t lm = level_mask(c);

	if (level) {
		if (!(c->line & b)) {
			c->line |= b;
			if (c->elatch & b)
				c->irr |= b;    /* rising edge on an armed latch */
		}
		if (lm & b)
			c->irr |= b;
	} else {
		c->line &= (uint8_t)~b;
		c->elatch |= b;                 /* a low input arms the latch */
		if ((lm & b) || !pic->latch_edges)
			c->irr &= (uint8_t)~b;
	}
}

/* Propagate the slave INT to master IR2 and the master INT to the wire. */
static void update(struct sc_pic *pic)
{
	bool intr;

	pin_set(pic, MASTER, CASCADE_IR, chip_request(pic, SLAVE) >= 0);
	intr = chip_request(pic, MASTER) >= 0;
	if (intr != pic->intr_reported) {
		pic->intr_reported = intr;
		sc_trace_emit(&pic->trace, chip_name, "intr", intr, 0);
		sc_line_set(&pic->intr, intr);
	}
}

static void deliver_events(struct sc_pic *pic, const struct pic_events *ev)
{
	struct sc_pic_ack ack = pic->ack;

	if (ev->inta >= 0 && ack.inta)
		ack.inta(ack.opaque, (unsigned)ev->inta);
	for (unsigned irq = 0; irq < 16; irq++)
		if ((ev->eoi & (1u << irq)) && ack.eoi)
			ack.eoi(ack.opaque, irq);
}

static void finish(struct sc_pic *pic, const struct pic_events *ev)
{
	update(pic);
	deliver_events(pic, ev);
}

/* Clear ISR bit @ir of chip @n (any EOI form). */
static void isr_clear(struct sc_pic *pic, int n, unsigned ir,
		      struct pic_events *ev)
{
	struct sc_pic_chip *c = &pic->chip[n];
	uint8_t b = (uint8_t)(1u << ir);

	if (!(c->isr & b))
		return;
	c->isr &= (uint8_t)~b;
	sc_trace_emit(&pic->trace, chip_name, "eoi", (uint64_t)n * 8 + ir, 0);
	if (!is_cascade(pic, n, ir))
		ev->eoi |= (uint16_t)(1u << (n * 8 + ir));
}

/*
 * Acknowledge level @ir of chip @n (INTA or poll): "the highest priority
 * ISR bit is set and the corresponding IRR bit is reset" (datasheet
 * "Interrupt Sequence").  In level mode the request latch follows the
 * input, so the IRR bit stays set while the input is high.
 */
static void acknowledge(struct sc_pic *pic, int n, unsigned ir,
			struct pic_events *ev)
{
	struct sc_pic_chip *c = &pic->chip[n];
	uint8_t b = (uint8_t)(1u << ir);

	c->isr |= b;
	/* Disarm a high input; a low input keeps re-arming its latch. */
	c->elatch &= (uint8_t)~(b & c->line);
	if (!(level_mask(c) & b))
		c->irr &= (uint8_t)~b;
	if (!is_cascade(pic, n, ir))
		ev->inta = n * 8 + (int)ir;
}

/*
 * Automatic EOI (ICW4 AEOI): an EOI at the trailing edge of the last INTA;
 * with rotate in AEOI mode (OCW2 R=1 SL=0 EOI=0) the level just serviced
 * becomes the lowest priority (datasheet "Automatic Rotation").
 */
static void auto_eoi(struct sc_pic *pic, int n, unsigned ir,
		     struct pic_events *ev)
{
	struct sc_pic_chip *c = &pic->chip[n];

	if (!(c->icw4 & ICW4_AEOI))
		return;
	if (c->rotate_on_aeoi)
		c->priority_add = (uint8_t)((ir + 1) & 7);
	isr_clear(pic, n, ir, ev);
}

static uint8_t vector_of(const struct sc_pic_chip *c, unsigned ir)
{
	/* 8086 mode: T7-T3 from ICW2, T2-T0 = IR level (datasheet table 2). */
	return (uint8_t)((c->icw2 & ICW2_T7_T3) | ir);
}

int sc_pic_inta(struct sc_pic *pic)
{
	struct pic_events ev = { .eoi = 0, .inta = -1 };
	struct sc_pic_chip *m = &pic->chip[MASTER];
	struct sc_pic_chip *s = &pic->chip[SLAVE];
	int mir = chip_request(pic, MASTER);
	uint8_t vec;

	if (mir < 0) {
		/* No request left at INTA: default IR7, no ISR bit set. */
		vec = vector_of(m, 7);
		sc_trace_emit(&pic->trace, chip_name, "spurious", 7, vec);
		finish(pic, &ev);
		return vec;
	}
	acknowledge(pic, MASTER, (unsigned)mir, &ev);
	if (is_cascade(pic, MASTER, (unsigned)mir)) {
		/*
		 * The master puts the cascade address on CAS0-2; the slave
		 * whose ICW3 ID matches drives the vector (datasheet
		 * "Cascading").  Nothing answers otherwise: open bus.
		 */
		if (!(s->icw1 & ICW1_SNGL) &&
		    (s->icw3 & ICW3_SLAVE_ID) == (unsigned)mir) {
			int sir = chip_request(pic, SLAVE);

			if (sir < 0) {
				vec = vector_of(s, 7);
				sc_trace_emit(&pic->trace, chip_name, "spurious",
					      15, vec);
			} else {
				acknowledge(pic, SLAVE, (unsigned)sir, &ev);
				vec = vector_of(s, (unsigned)sir);
				auto_eoi(pic, SLAVE, (unsigned)sir, &ev);
			}
			/*
			 * The slave's INT falls during its acknowledge; a
			 * further slave request is a new edge on master IR2.
			 */
			pin_set(pic, MASTER, CASCADE_IR, false);
		} else {
			vec = SC_PIC_OPEN_BUS;
		}
	} else {
		vec = vector_of(m, (unsigned)mir);
	}
	auto_eoi(pic, MASTER, (unsigned)mir, &ev);
	sc_trace_emit(&pic->trace, chip_name, "inta",
		      ev.inta >= 0 ? (uint64_t)ev.inta : 0xffu, vec);
	finish(pic, &ev);
	return vec;
}

/*
 * Poll command (OCW3 P=1, datasheet "The Poll Command"): the next read is
 * an interrupt acknowledge; it returns I (bit 7) and W2-W0.  AEOI is tied
 * to the INTA pulses, so a poll does not perform one.
 */
static uint8_t poll_read(struct sc_pic *pic, int n)
{
	struct pic_events ev = { .eoi = 0, .inta = -1 };
	int ir = chip_request(pic, n);
	uint8_t val = 0;

	pic->chip[n].poll = false;
	if (ir >= 0) {
		acknowledge(pic, n, (unsigned)ir, &ev);
		val = (uint8_t)(SC_PIC_POLL_I | (unsigned)ir);
	}
	sc_trace_emit(&pic->trace, chip_name, "poll", (uint64_t)n, val);
	finish(pic, &ev);
	return val;
}

/*
 * ICW1 (datasheet "Initialization Command Words"): the edge sense latch is
 * cleared, the IMR is cleared, IR7 gets the lowest priority, special mask
 * mode is cleared and status read is set to IRR; with IC4 = 0 the ICW4
 * functions are zero.  The model also clears the ISR, a pending poll and
 * rotate-in-AEOI: a re-initialised chip starts with nothing in service.
 * Cleared ISR bits are reported to the ack observer as EOIs.
 */
static void write_icw1(struct sc_pic *pic, int n, uint8_t val,
		       struct pic_events *ev)
{
	struct sc_pic_chip *c = &pic->chip[n];

	for (unsigned ir = 0; ir < 8; ir++)
		isr_clear(pic, n, ir, ev);
	c->icw1 = val;
	c->icw4 = 0;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_on_aeoi = false;
	c->init_state = INIT_ICW2;
	/* Edge sense latch cleared: an input already high must go low first. */
	c->elatch = (uint8_t)~c->line;
	c->irr = c->line & level_mask(c);
	sc_trace_emit(&pic->trace, chip_name, "icw1", (uint64_t)n, val);
}

/* OCW2 (datasheet table "Operation Command Word 2"): R, SL, EOI, L2-L0. */
static void write_ocw2(struct sc_pic *pic, int n, uint8_t val,
		       struct pic_events *ev)
{
	struct sc_pic_chip *c = &pic->chip[n];
	unsigned l = val & OCW2_L;
	int ir;

	switch (val & (OCW2_R | OCW2_SL | OCW2_EOI)) {
	case OCW2_EOI:                          /* non-specific EOI */
		ir = highest(effective_isr(c), c->priority_add);
		if (ir >= 0)
			isr_clear(pic, n, (unsigned)ir, ev);
		break;
	case OCW2_R | OCW2_EOI:                 /* rotate on non-specific EOI */
		ir = highest(effective_isr(c), c->priority_add);
		if (ir >= 0) {
			isr_clear(pic, n, (unsigned)ir, ev);
			c->priority_add = (uint8_t)((ir + 1) & 7);
		}
		break;
	case OCW2_SL | OCW2_EOI:                /* specific EOI */
		isr_clear(pic, n, l, ev);
		break;
	case OCW2_R | OCW2_SL | OCW2_EOI:       /* rotate on specific EOI */
		isr_clear(pic, n, l, ev);
		c->priority_add = (uint8_t)((l + 1) & 7);
		break;
	case OCW2_R | OCW2_SL:                  /* set priority: L lowest */
		c->priority_add = (uint8_t)((l + 1) & 7);
		break;
	case OCW2_R:                            /* rotate in AEOI mode (set) */
		c->rotate_on_aeoi = true;
		break;
	case 0:                                 /* rotate in AEOI mode (clear) */
		c->rotate_on_aeoi = false;
		break;
	default:                                /* SL alone: no operation */
		break;
	}
}

/* OCW3 (datasheet "Operation Command Word 3"): ESMM/SMM, P, RR/RIS. */
static void write_ocw3(struct sc_pic_chip *c, uint8_t val)
{
	if (val & OCW3_ESMM)
		c->special_mask = (val & OCW3_SMM) != 0;
	if (val & OCW3_RR)
		c->read_isr = (val & OCW3_RIS) != 0;
	c->poll = (val & OCW3_P) != 0;
}

static void chip_write(struct sc_pic *pic, int n, bool a0, uint8_t val)
{
	struct pic_events ev = { .eoi = 0, .inta = -1 };
	struct sc_pic_chip *c = &pic->chip[n];

	if (!a0) {
		if (val & ICW1_SEL)
			write_icw1(pic, n, val, &ev);
		else if (val & OCW3_SEL)
			write_ocw3(c, val);
		else
			write_ocw2(pic, n, val, &ev);
	} else {
		switch (c->init_state) {
		case INIT_ICW2:
			c->icw2 = val;
			if (!(c->icw1 & ICW1_SNGL))
				c->init_state = INIT_ICW3;
			else if (c->icw1 & ICW1_IC4)
				c->init_state = INIT_ICW4;
			else
				c->init_state = INIT_READY;
			break;
		case INIT_ICW3:
			/* Slave ICW3: ID2-ID0, bits 7-3 are 0. */
			c->icw3 = n == SLAVE ? (uint8_t)(val & ICW3_SLAVE_ID) : val;
			c->init_state = (c->icw1 & ICW1_IC4) ? INIT_ICW4 : INIT_READY;
			break;
		case INIT_ICW4:
			/* D7-D5 are 0 in ICW4; BUF and M/S are stored only. */
			c->icw4 = (uint8_t)(val & ~ICW4_RESERVED);
			c->init_state = INIT_READY;
			break;
		default:
			c->imr = val;                   /* OCW1 */
			break;
		}
	}
	finish(pic, &ev);
}

static uint8_t chip_read(struct sc_pic *pic, int n, bool a0)
{
	struct sc_pic_chip *c = &pic->chip[n];

	/* "The poll command overrides a read register command". */
	if (c->poll)
		return poll_read(pic, n);
	if (a0)
		return c->imr;                          /* OCW1 */
	return c->read_isr ? c->isr : c->irr;
}

/* Switch trigger mode of chip @n from @old_lm to the current level mask. */
static void mode_changed(struct sc_pic_chip *c, uint8_t old_lm)
{
	uint8_t lm = level_mask(c);
	uint8_t to_level = lm & (uint8_t)~old_lm;
	uint8_t to_edge = old_lm & (uint8_t)~lm;

	c->irr = (uint8_t)((c->irr & ~to_level) | (c->line & to_level));
	/* An input acknowledged while level triggered stays disarmed. */
	c->irr &= (uint8_t)~(to_edge & ~c->elatch);
}

static void elcr_write(struct sc_pic *pic, int n, uint8_t val)
{
	struct pic_events ev = { .eoi = 0, .inta = -1 };
	struct sc_pic_chip *c = &pic->chip[n];
	uint8_t old_lm = level_mask(c);

	c->elcr = val & elcr_mask[n];
	mode_changed(c, old_lm);
	finish(pic, &ev);
}

uint8_t sc_pic_ioport_read(struct sc_pic *pic, uint16_t port)
{
	switch (port) {
	case SC_PIC_MASTER_CMD:
		return chip_read(pic, MASTER, false);
	case SC_PIC_MASTER_DATA:
		return chip_read(pic, MASTER, true);
	case SC_PIC_SLAVE_CMD:
		return chip_read(pic, SLAVE, false);
	case SC_PIC_SLAVE_DATA:
		return chip_read(pic, SLAVE, true);
	case SC_PIC_ELCR1:
		return pic->chip[MASTER].elcr;
	case SC_PIC_ELCR2:
		return pic->chip[SLAVE].elcr;
	default:
		return 0xff;
	}
}

void sc_pic_ioport_write(struct sc_pic *pic, uint16_t port, uint8_t val)
{
	sc_trace_emit(&pic->trace, chip_name, "write", port, val);
	switch (port) {
	case SC_PIC_MASTER_CMD:
		chip_write(pic, MASTER, false, val);
		break;
	case SC_PIC_MASTER_DATA:
		chip_write(pic, MASTER, true, val);
		break;
	case SC_PIC_SLAVE_CMD:
		chip_write(pic, SLAVE, false, val);
		break;
	case SC_PIC_SLAVE_DATA:
		chip_write(pic, SLAVE, true, val);
		break;
	case SC_PIC_ELCR1:
		elcr_write(pic, MASTER, val);
		break;
	case SC_PIC_ELCR2:
		elcr_write(pic, SLAVE, val);
		break;
	default:
		break;
	}
}

int sc_pic_set_irq(struct sc_pic *pic, unsigned irq, bool level)
{
	if (irq > 15)
		return -EINVAL;
	if (irq == CASCADE_IR)
		return 0;               /* master IR2 is the slave's INT */
	pin_set(pic, (int)(irq >> 3), irq & 7, level);
	update(pic);
	return 0;
}

bool sc_pic_intr_pending(const struct sc_pic *pic)
{
	return chip_request(pic, MASTER) >= 0;
}

bool sc_pic_irq_masked(const struct sc_pic *pic, unsigned irq)
{
	if (irq > 15)
		return true;
	if (irq < 8)
		return (pic->chip[MASTER].imr >> irq) & 1;
	return ((pic->chip[SLAVE].imr >> (irq - 8)) & 1) ||
	       ((pic->chip[MASTER].imr >> CASCADE_IR) & 1);
}

bool sc_pic_irq_level_mode(const struct sc_pic *pic, unsigned irq)
{
	if (irq > 15)
		return false;
	return (level_mask(&pic->chip[irq >> 3]) >> (irq & 7)) & 1;
}

static void chip_reset(struct sc_pic_chip *c, int n)
{
	uint8_t line = c->line;

	memset(c, 0, sizeof(*c));
	c->line = line;
	c->elatch = (uint8_t)~line;
	c->icw1 = ICW1_SEL;                     /* cascade mode, edge, no ICW4 */
	c->icw3 = n == MASTER ? (uint8_t)(1u << CASCADE_IR) : CASCADE_IR;
	c->imr = 0xff;
}

void sc_pic_reset(struct sc_pic *pic)
{
	chip_reset(&pic->chip[MASTER], MASTER);
	chip_reset(&pic->chip[SLAVE], SLAVE);
	update(pic);
}

void sc_pic_init(struct sc_pic *pic, const struct sc_line *intr,
		 const struct sc_trace *trace)
{
	memset(pic, 0, sizeof(*pic));
	if (intr)
		pic->intr = *intr;
	if (trace)
		pic->trace = *trace;
	sc_pic_reset(pic);
}

void sc_pic_set_ack(struct sc_pic *pic, const struct sc_pic_ack *ack)
{
	if (ack)
		pic->ack = *ack;
	else
		memset(&pic->ack, 0, sizeof(pic->ack));
}

void sc_pic_set_latch_edges(struct sc_pic *pic, bool on)
{
	pic->latch_edges = on;
	if (!on) {
		/* Back to the transparent latch: drop requests whose input fell. */
		for (int n = 0; n < 2; n++) {
			struct sc_pic_chip *c = &pic->chip[n];

			c->irr &= (uint8_t)(c->line | level_mask(c));
		}
	}
	update(pic);
}

/* ---- save/restore ---- */

void sc_pic_save(const struct sc_pic *pic, struct sc_pic_state_v1 *s)
{
	memset(s, 0, sizeof(*s));
	s->version = SC_PIC_STATE_VERSION;
	s->latch_edges = pic->latch_edges;
	for (int n = 0; n < 2; n++) {
		const struct sc_pic_chip *c = &pic->chip[n];
		struct sc_pic_chip_state_v1 *cs = &s->chip[n];

		cs->irr = c->irr;
		cs->isr = c->isr;
		cs->imr = c->imr;
		cs->line = c->line;
		cs->elatch = c->elatch;
		cs->elcr = c->elcr;
		cs->icw1 = c->icw1;
		cs->icw2 = c->icw2;
		cs->icw3 = c->icw3;
		cs->icw4 = c->icw4;
		cs->priority_add = c->priority_add;
		cs->init_state = c->init_state;
		cs->read_reg_select = c->read_isr;
		cs->poll = c->poll;
		cs->special_mask = c->special_mask;
		cs->rotate_on_aeoi = c->rotate_on_aeoi;
	}
}

static int validate_chip(const struct sc_pic_chip_state_v1 *cs, int n,
			 bool latch_edges)
{
	uint8_t lm;

	if (cs->priority_add > 7 || cs->init_state > INIT_ICW4)
		return -EINVAL;
	if (cs->read_reg_select > 1 || cs->poll > 1 || cs->special_mask > 1 ||
	    cs->rotate_on_aeoi > 1)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(cs->pad); i++)
		if (cs->pad[i])
			return -EINVAL;
	/* Register reserved bits. */
	if (!(cs->icw1 & ICW1_SEL) || (cs->icw4 & ICW4_RESERVED) ||
	    (cs->elcr & ~elcr_mask[n]))
		return -EINVAL;
	if (n == SLAVE && (cs->icw3 & ~ICW3_SLAVE_ID))
		return -EINVAL;
	/* ICW sequence consistent with ICW1. */
	if (cs->init_state == INIT_ICW3 && (cs->icw1 & ICW1_SNGL))
		return -EINVAL;
	if (cs->init_state == INIT_ICW4 && !(cs->icw1 & ICW1_IC4))
		return -EINVAL;
	if (!(cs->icw1 & ICW1_IC4) && cs->icw4)
		return -EINVAL;
	/* Input model: a low input is armed; IRR consistent with the inputs. */
	if ((uint8_t)(cs->line | cs->elatch) != 0xff)
		return -EINVAL;
	lm = (cs->icw1 & ICW1_LTIM) ? 0xff : cs->elcr;
	if ((cs->irr & lm) != (cs->line & lm))
		return -EINVAL;
	if (cs->irr & ~lm & ~cs->elatch)
		return -EINVAL;
	if (!latch_edges && (cs->irr & ~lm) != (cs->line & cs->elatch & ~lm))
		return -EINVAL;
	return 0;
}

int sc_pic_validate(const struct sc_pic_state_v1 *s)
{
	if (!s || s->version != SC_PIC_STATE_VERSION || s->latch_edges > 1)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(s->pad); i++)
		if (s->pad[i])
			return -EINVAL;
	for (int n = 0; n < 2; n++)
		if (validate_chip(&s->chip[n], n, s->latch_edges))
			return -EINVAL;
	return 0;
}

int sc_pic_restore(struct sc_pic *pic, const struct sc_pic_state_v1 *s)
{
	if (!pic || sc_pic_validate(s))
		return -EINVAL;
	pic->latch_edges = s->latch_edges;
	for (int n = 0; n < 2; n++) {
		struct sc_pic_chip *c = &pic->chip[n];
		const struct sc_pic_chip_state_v1 *cs = &s->chip[n];

		c->irr = cs->irr;
		c->isr = cs->isr;
		c->imr = cs->imr;
		c->line = cs->line;
		c->elatch = cs->elatch;
		c->elcr = cs->elcr;
		c->icw1 = cs->icw1;
		c->icw2 = cs->icw2;
		c->icw3 = cs->icw3;
		c->icw4 = cs->icw4;
		c->priority_add = cs->priority_add;
		c->init_state = cs->init_state;
		c->read_isr = cs->read_reg_select;
		c->poll = cs->poll;
		c->special_mask = cs->special_mask;
		c->rotate_on_aeoi = cs->rotate_on_aeoi;
	}
	/* Drive the INT wire with the restored level, changed or not. */
	pin_set(pic, MASTER, CASCADE_IR, chip_request(pic, SLAVE) >= 0);
	pic->intr_reported = chip_request(pic, MASTER) >= 0;
	sc_line_set(&pic->intr, pic->intr_reported);
	return 0;
}
