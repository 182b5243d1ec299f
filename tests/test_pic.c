/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the i8259A pair (lib/pic.c).  The PIC has no notion of
 * time, so no clock is involved: every test drives ports, lines and INTA
 * cycles and checks registers, vectors and callbacks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splitchip/pic.h>

#define MBASE 0x20
#define SBASE 0x28

struct rec {
	int intr_calls;
	bool intr_level;
	unsigned n_inta, n_eoi;
	unsigned inta[32], eoi[32];
	unsigned traces;
	/* re-entrancy: raise this IRQ from the EOI callback (-1: none) */
	int reraise_on_eoi;
	struct sc_pic *pic;
};

struct fix {
	struct sc_pic pic;
	struct rec rec;
};

static void line_cb(void *opaque, bool level)
{
	struct rec *r = opaque;

	r->intr_calls++;
	r->intr_level = level;
}

static void inta_cb(void *opaque, unsigned irq)
{
	struct rec *r = opaque;

	if (r->n_inta < 32)
		r->inta[r->n_inta++] = irq;
}

static void eoi_cb(void *opaque, unsigned irq)
{
	struct rec *r = opaque;

	if (r->n_eoi < 32)
		r->eoi[r->n_eoi++] = irq;
	if (r->reraise_on_eoi >= 0) {
		sc_pic_set_irq(r->pic, (unsigned)r->reraise_on_eoi, false);
		sc_pic_set_irq(r->pic, (unsigned)r->reraise_on_eoi, true);
	}
}

static void trace_cb(void *opaque, const char *chip, const char *event,
		     uint64_t a, uint64_t b)
{
	struct rec *r = opaque;

	assert_string_equal(chip, "pic");
	assert_non_null(event);
	r->traces++;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct sc_line line = { line_cb, NULL };
	struct sc_trace trace = { trace_cb, NULL };
	struct sc_pic_ack ack = { eoi_cb, inta_cb, NULL };

	if (!f)
		return -1;
	line.opaque = &f->rec;
	trace.opaque = &f->rec;
	ack.opaque = &f->rec;
	f->rec.reraise_on_eoi = -1;
	f->rec.pic = &f->pic;
	sc_pic_init(&f->pic, &line, &trace);
	sc_pic_set_ack(&f->pic, &ack);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void wr(struct sc_pic *p, uint16_t port, uint8_t v)
{
	sc_pic_ioport_write(p, port, v);
}

static uint8_t rd(struct sc_pic *p, uint16_t port)
{
	return sc_pic_ioport_read(p, port);
}

/* Standard PC programming: cascade on IR2, 8086 mode, given ICW4 extras. */
static void program(struct sc_pic *p, uint8_t icw4)
{
	wr(p, 0x20, ICW1_SEL | ICW1_IC4);
	wr(p, 0x21, MBASE);
	wr(p, 0x21, 1u << 2);
	wr(p, 0x21, (uint8_t)(ICW4_UPM | icw4));
	wr(p, 0xa0, ICW1_SEL | ICW1_IC4);
	wr(p, 0xa1, SBASE);
	wr(p, 0xa1, 2);
	wr(p, 0xa1, (uint8_t)(ICW4_UPM | (icw4 & ~ICW4_SFNM)));
	wr(p, 0x21, 0x00);
	wr(p, 0xa1, 0x00);
}

static uint8_t read_isr(struct sc_pic *p, uint16_t cmd)
{
	wr(p, cmd, OCW3_SEL | OCW3_RR | OCW3_RIS);
	return rd(p, cmd);
}

static uint8_t read_irr(struct sc_pic *p, uint16_t cmd)
{
	wr(p, cmd, OCW3_SEL | OCW3_RR);
	return rd(p, cmd);
}

static void pulse(struct sc_pic *p, unsigned irq)
{
	sc_pic_set_irq(p, irq, true);
	sc_pic_set_irq(p, irq, false);
}

/* ---------------------------------------------------------------- reset */

static void test_reset_masks_everything(void **state)
{
	struct fix *f = *state;

	assert_int_equal(rd(&f->pic, 0x21), 0xff);
	assert_int_equal(rd(&f->pic, 0xa1), 0xff);
	assert_int_equal(rd(&f->pic, 0x4d0), 0);
	assert_int_equal(rd(&f->pic, 0x4d1), 0);
	sc_pic_set_irq(&f->pic, 0, true);
	assert_false(sc_pic_intr_pending(&f->pic));
	assert_int_equal(f->rec.intr_calls, 0);
	/* IRR records the request even though it is masked. */
	assert_int_equal(read_irr(&f->pic, 0x20), 0x01);
}

static void test_reset_clears_state_keeps_lines(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x4d0, 0x20);
	sc_pic_set_irq(&f->pic, 1, true);
	sc_pic_set_irq(&f->pic, 5, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 1);
	assert_false(f->rec.intr_level);                 /* 5 below IS1 */
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_true(f->rec.intr_level);
	sc_pic_reset(&f->pic);
	assert_false(sc_pic_intr_pending(&f->pic));
	assert_false(f->rec.intr_level);
	assert_int_equal(rd(&f->pic, 0x4d0), 0);
	assert_int_equal(read_isr(&f->pic, 0x20), 0);
	/* Line 1 is still high but was acknowledged: disarmed.  Line 5 is
	 * high, its edge latch was cleared by reset too. */
	wr(&f->pic, 0x21, 0);
	assert_false(sc_pic_intr_pending(&f->pic));
	sc_pic_set_irq(&f->pic, 5, false);
	sc_pic_set_irq(&f->pic, 5, true);
	assert_true(sc_pic_intr_pending(&f->pic));
}

/* ------------------------------------------------------------------ ICW */

static void test_icw_sequence_sets_vector_base(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 1, true);
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 1);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x02);
	/* ICW2 low bits (A10-A8) do not change the 8086-mode vector. */
	wr(&f->pic, 0x20, ICW1_SEL | ICW1_IC4);
	wr(&f->pic, 0x21, 0x47);
	wr(&f->pic, 0x21, 0x04);
	wr(&f->pic, 0x21, ICW4_UPM);
	sc_pic_set_irq(&f->pic, 1, false);
	sc_pic_set_irq(&f->pic, 1, true);
	assert_int_equal(sc_pic_inta(&f->pic), 0x41);
}

static void test_icw1_sngl_skips_icw3(void **state)
{
	struct fix *f = *state;

	wr(&f->pic, 0x20, ICW1_SEL | ICW1_SNGL | ICW1_IC4);
	wr(&f->pic, 0x21, 0x40);
	wr(&f->pic, 0x21, ICW4_UPM);       /* ICW4, not ICW3 */
	wr(&f->pic, 0x21, 0xfe);           /* OCW1 */
	assert_int_equal(rd(&f->pic, 0x21), 0xfe);
	wr(&f->pic, 0x21, 0x00);
	/* Single mode: IR2 is an ordinary input (driven by the slave INT). */
	wr(&f->pic, 0xa0, ICW1_SEL | ICW1_IC4);
	wr(&f->pic, 0xa1, SBASE);
	wr(&f->pic, 0xa1, 2);
	wr(&f->pic, 0xa1, ICW4_UPM);
	wr(&f->pic, 0xa1, 0);
	sc_pic_set_irq(&f->pic, 9, true);
	assert_int_equal(sc_pic_inta(&f->pic), 0x42);
	assert_int_equal(read_isr(&f->pic, 0xa0), 0);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x04);
	/* Single mode, no IC4: after ICW2 the chip is ready. */
	wr(&f->pic, 0x20, ICW1_SEL | ICW1_SNGL);
	wr(&f->pic, 0x21, 0x50);
	wr(&f->pic, 0x21, 0x3c);
	assert_int_equal(rd(&f->pic, 0x21), 0x3c);
}

static void test_icw1_without_ic4_zeroes_icw4(void **state)
{
	struct fix *f = *state;

	program(&f->pic, ICW4_AEOI);
	sc_pic_set_irq(&f->pic, 3, true);
	sc_pic_inta(&f->pic);
	assert_int_equal(read_isr(&f->pic, 0x20), 0);   /* AEOI active */
	wr(&f->pic, 0x20, ICW1_SEL);                     /* IC4 = 0 */
	wr(&f->pic, 0x21, MBASE);
	wr(&f->pic, 0x21, 0x04);                         /* ICW3, then ready */
	wr(&f->pic, 0x21, 0x00);                         /* OCW1 */
	assert_int_equal(rd(&f->pic, 0x21), 0x00);
	sc_pic_set_irq(&f->pic, 3, false);
	sc_pic_set_irq(&f->pic, 3, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 3);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x08); /* no AEOI now */
}

static void test_icw1_resets_imr_isr_priority_smm_readsel(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 4, true);
	sc_pic_inta(&f->pic);
	wr(&f->pic, 0x20, OCW2_R | OCW2_SL | 5);          /* 6 highest */
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_ESMM | OCW3_SMM | OCW3_RR | OCW3_RIS);
	wr(&f->pic, 0x21, 0x80);
	assert_int_equal(rd(&f->pic, 0x20), 0x10);        /* ISR selected */
	f->rec.n_eoi = 0;

	wr(&f->pic, 0x20, ICW1_SEL | ICW1_IC4);
	/* ISR cleared (reported as EOI), IMR cleared, IRR selected. */
	assert_int_equal(f->rec.n_eoi, 1);
	assert_int_equal(f->rec.eoi[0], 4);
	assert_int_equal(rd(&f->pic, 0x21), 0x00);
	wr(&f->pic, 0x21, MBASE);
	wr(&f->pic, 0x21, 0x04);
	wr(&f->pic, 0x21, ICW4_UPM);
	sc_pic_set_irq(&f->pic, 6, true);
	assert_int_equal(rd(&f->pic, 0x20), 0x40);        /* IRR selected */
	assert_int_equal(read_isr(&f->pic, 0x20), 0x00);
	/* Priority back to IR0 highest: 7 and 0 pending -> 0 first. */
	pulse(&f->pic, 7);
	sc_pic_set_latch_edges(&f->pic, true);
	pulse(&f->pic, 7);
	pulse(&f->pic, 0);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 0);
	/* Special mask mode cleared: IR0 in service blocks IR7. */
	wr(&f->pic, 0x21, 0x01);
	assert_false(sc_pic_intr_pending(&f->pic));
}

static void test_icw1_clears_edge_sense_latch(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x21, 0xff);
	sc_pic_set_irq(&f->pic, 3, true);
	assert_int_equal(read_irr(&f->pic, 0x20), 0x08);
	program(&f->pic, 0);
	/* The input is still high but the latch was cleared: no request. */
	assert_int_equal(read_irr(&f->pic, 0x20), 0x00);
	assert_false(sc_pic_intr_pending(&f->pic));
	sc_pic_set_irq(&f->pic, 3, true);                /* no new edge */
	assert_false(sc_pic_intr_pending(&f->pic));
	/* Level and back to edge before any acknowledge: the cleared latch
	 * still holds, so the edge-mode request goes away again. */
	wr(&f->pic, 0x4d0, 0x08);
	assert_true(sc_pic_intr_pending(&f->pic));
	wr(&f->pic, 0x4d0, 0x00);
	assert_false(sc_pic_intr_pending(&f->pic));
	{
		struct sc_pic_state_v1 s;

		sc_pic_save(&f->pic, &s);
		assert_int_equal(sc_pic_validate(&s), 0);
	}
	sc_pic_set_irq(&f->pic, 3, false);
	sc_pic_set_irq(&f->pic, 3, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 3);
}

static void test_icw3_slave_id_bits_and_icw4_reserved_ignored(void **state)
{
	struct fix *f = *state;
	struct sc_pic_state_v1 s;

	wr(&f->pic, 0xa0, ICW1_SEL | ICW1_IC4);
	wr(&f->pic, 0xa1, SBASE);
	wr(&f->pic, 0xa1, 0xfa);            /* ID 2, bits 7-3 not stored */
	wr(&f->pic, 0xa1, 0xe1);            /* ICW4 D7-D5 not stored */
	sc_pic_save(&f->pic, &s);
	assert_int_equal(s.chip[1].icw3, 2);
	assert_int_equal(s.chip[1].icw4, ICW4_UPM);
	assert_int_equal(s.chip[1].init_state, 0);
}

static void test_icw4_buffered_bits_stored(void **state)
{
	struct fix *f = *state;
	struct sc_pic_state_v1 s;

	program(&f->pic, ICW4_BUF | ICW4_MS);
	sc_pic_save(&f->pic, &s);
	assert_int_equal(s.chip[0].icw4, ICW4_UPM | ICW4_BUF | ICW4_MS);
	/* Buffered mode changes nothing in the model's delivery. */
	sc_pic_set_irq(&f->pic, 6, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 6);
}

/* ----------------------------------------------------------------- OCW1 */

static void test_ocw1_imr_masks_and_reads_back(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x21, 0x08);
	wr(&f->pic, 0xa1, 0x81);
	assert_int_equal(rd(&f->pic, 0x21), 0x08);
	assert_int_equal(rd(&f->pic, 0xa1), 0x81);
	sc_pic_set_irq(&f->pic, 3, true);
	assert_false(sc_pic_intr_pending(&f->pic));
	assert_true(sc_pic_irq_masked(&f->pic, 3));
	assert_false(sc_pic_irq_masked(&f->pic, 4));
	assert_true(sc_pic_irq_masked(&f->pic, 8));
	assert_false(sc_pic_irq_masked(&f->pic, 9));
	assert_true(sc_pic_irq_masked(&f->pic, 16));
	/* Unmasking delivers the latched request. */
	wr(&f->pic, 0x21, 0x00);
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_true(f->rec.intr_level);
	/* Master IR2 masked masks the whole slave. */
	wr(&f->pic, 0x21, 0x04);
	assert_true(sc_pic_irq_masked(&f->pic, 9));
}

/* ------------------------------------------------------- edge and level */

static void test_edge_held_high_requests_once(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 0, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE);
	assert_int_equal(read_irr(&f->pic, 0x20), 0x00);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_false(sc_pic_intr_pending(&f->pic));
	sc_pic_set_irq(&f->pic, 0, true);                /* still no edge */
	assert_false(sc_pic_intr_pending(&f->pic));
	sc_pic_set_irq(&f->pic, 0, false);
	sc_pic_set_irq(&f->pic, 0, true);
	assert_true(sc_pic_intr_pending(&f->pic));
}

static void test_edge_dropped_before_inta_gives_default_ir7(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 3, true);
	assert_true(f->rec.intr_level);
	sc_pic_set_irq(&f->pic, 3, false);
	assert_false(sc_pic_intr_pending(&f->pic));
	assert_false(f->rec.intr_level);
	assert_int_equal(read_irr(&f->pic, 0x20), 0x00);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x00); /* IS7 not set */
	assert_int_equal(f->rec.n_inta, 0);
}

static void test_masked_after_int_gives_default_ir7(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 4, true);
	assert_true(sc_pic_intr_pending(&f->pic));
	wr(&f->pic, 0x21, 0x10);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7);
	assert_int_equal(read_isr(&f->pic, 0x20), 0);
}

static void test_latch_edges_keeps_pulsed_request(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_latch_edges(&f->pic, true);
	pulse(&f->pic, 0);
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(read_irr(&f->pic, 0x20), 0x01);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE);
	assert_int_equal(read_irr(&f->pic, 0x20), 0x00);
	wr(&f->pic, 0x20, OCW2_EOI);
	/* A new pulse latches again; turning the option off drops it. */
	pulse(&f->pic, 0);
	assert_true(sc_pic_intr_pending(&f->pic));
	sc_pic_set_latch_edges(&f->pic, false);
	assert_false(sc_pic_intr_pending(&f->pic));
	assert_false(f->rec.intr_level);
}

static void test_elcr_level_reasserts_after_eoi(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x4d0, 0x20);                        /* IRQ5 level */
	assert_true(sc_pic_irq_level_mode(&f->pic, 5));
	assert_false(sc_pic_irq_level_mode(&f->pic, 4));
	sc_pic_set_irq(&f->pic, 5, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 5);
	/* Transparent request latch: IRR follows the line. */
	assert_int_equal(read_irr(&f->pic, 0x20), 0x20);
	assert_false(sc_pic_intr_pending(&f->pic));       /* IS5 blocks */
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_true(sc_pic_intr_pending(&f->pic));        /* re-asserts */
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 5);
	sc_pic_set_irq(&f->pic, 5, false);
	assert_int_equal(read_irr(&f->pic, 0x20), 0x00);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_false(sc_pic_intr_pending(&f->pic));
}

static void test_elcr_slave_level(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x4d1, 0x08);                        /* IRQ11 level */
	assert_true(sc_pic_irq_level_mode(&f->pic, 11));
	sc_pic_set_irq(&f->pic, 11, true);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 3);
	wr(&f->pic, 0xa0, OCW2_EOI);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 3);
	/* Line dropped before the next INTA: slave no longer requests. */
	wr(&f->pic, 0xa0, OCW2_EOI);
	wr(&f->pic, 0x20, OCW2_EOI);
	sc_pic_set_irq(&f->pic, 11, false);
	assert_false(sc_pic_intr_pending(&f->pic));
}

static void test_elcr_fixed_bits_read_zero(void **state)
{
	struct fix *f = *state;

	wr(&f->pic, 0x4d0, 0xff);
	wr(&f->pic, 0x4d1, 0xff);
	assert_int_equal(rd(&f->pic, 0x4d0), 0xf8);       /* IRQ0,1,2 edge */
	assert_int_equal(rd(&f->pic, 0x4d1), 0xde);       /* IRQ8,13 edge */
	assert_false(sc_pic_irq_level_mode(&f->pic, 0));
	assert_false(sc_pic_irq_level_mode(&f->pic, 8));
	assert_false(sc_pic_irq_level_mode(&f->pic, 13));
	assert_true(sc_pic_irq_level_mode(&f->pic, 15));
	assert_false(sc_pic_irq_level_mode(&f->pic, 99));
	wr(&f->pic, 0x4d0, 0x00);
	assert_int_equal(rd(&f->pic, 0x4d0), 0x00);
}

static void test_elcr_mode_switch_keeps_ack_state(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	/* Edge input held high, acknowledged: switching it to level makes it
	 * request again after the EOI. */
	sc_pic_set_irq(&f->pic, 6, true);
	sc_pic_inta(&f->pic);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_false(sc_pic_intr_pending(&f->pic));
	wr(&f->pic, 0x4d0, 0x40);
	assert_true(sc_pic_intr_pending(&f->pic));
	sc_pic_inta(&f->pic);
	wr(&f->pic, 0x20, OCW2_EOI);
	/* Back to edge: the high input has been acknowledged, no request. */
	wr(&f->pic, 0x4d0, 0x00);
	assert_false(sc_pic_intr_pending(&f->pic));
	/* A level request not yet acknowledged survives a switch to edge. */
	wr(&f->pic, 0x4d0, 0x80);
	sc_pic_set_irq(&f->pic, 7, true);
	wr(&f->pic, 0x4d0, 0x00);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x80);
}

static void test_ltim_makes_all_inputs_level(void **state)
{
	struct fix *f = *state;

	wr(&f->pic, 0x20, ICW1_SEL | ICW1_LTIM | ICW1_IC4);
	wr(&f->pic, 0x21, MBASE);
	wr(&f->pic, 0x21, 0x04);
	wr(&f->pic, 0x21, ICW4_UPM);
	wr(&f->pic, 0x21, 0x00);
	assert_true(sc_pic_irq_level_mode(&f->pic, 0));
	sc_pic_set_irq(&f->pic, 0, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE);     /* again */
}

/* ------------------------------------------------------- OCW2 EOI forms */

static void test_fully_nested_priority(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 3, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 3);
	sc_pic_set_irq(&f->pic, 5, true);                 /* lower: blocked */
	assert_false(sc_pic_intr_pending(&f->pic));
	sc_pic_set_irq(&f->pic, 1, true);                 /* higher: nests */
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 1);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x0a);
	/* Non-specific EOI clears the highest-priority ISR bit (1). */
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x08);
	assert_false(sc_pic_intr_pending(&f->pic));
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x00);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 5);
	/* Non-specific EOI with nothing in service is harmless. */
	wr(&f->pic, 0x20, OCW2_EOI);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x00);
}

static void test_specific_eoi(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 3, true);
	sc_pic_inta(&f->pic);
	sc_pic_set_irq(&f->pic, 1, true);
	sc_pic_inta(&f->pic);
	wr(&f->pic, 0x20, OCW2_SL | OCW2_EOI | 3);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x02);
	wr(&f->pic, 0x20, OCW2_SL | OCW2_EOI | 6);        /* not in service */
	assert_int_equal(read_isr(&f->pic, 0x20), 0x02);
	wr(&f->pic, 0x20, OCW2_SL | OCW2_EOI | 1);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x00);
}

static void test_rotate_on_nonspecific_eoi(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_latch_edges(&f->pic, true);
	pulse(&f->pic, 4);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 4);
	wr(&f->pic, 0x20, OCW2_R | OCW2_EOI);             /* 4 -> lowest */
	assert_int_equal(read_isr(&f->pic, 0x20), 0);
	pulse(&f->pic, 4);
	pulse(&f->pic, 0);
	pulse(&f->pic, 5);
	/* Order now 5,6,7,0,1,2,3,4. */
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 5);
	wr(&f->pic, 0x20, OCW2_R | OCW2_EOI);             /* 5 -> lowest */
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 0);
	wr(&f->pic, 0x20, OCW2_R | OCW2_EOI);             /* 0 -> lowest */
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 4);
	/* Rotate with nothing in service keeps the priority. */
	wr(&f->pic, 0x20, OCW2_EOI);
	wr(&f->pic, 0x20, OCW2_R | OCW2_EOI);
	pulse(&f->pic, 1);
	pulse(&f->pic, 2);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 1);
}

static void test_rotate_on_specific_eoi_and_set_priority(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_latch_edges(&f->pic, true);
	pulse(&f->pic, 2 + 1);
	sc_pic_inta(&f->pic);
	wr(&f->pic, 0x20, OCW2_R | OCW2_SL | OCW2_EOI | 3); /* 4 highest */
	assert_int_equal(read_isr(&f->pic, 0x20), 0);
	pulse(&f->pic, 1);
	pulse(&f->pic, 4);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 4);
	wr(&f->pic, 0x20, OCW2_SL | OCW2_EOI | 4);
	/* Set priority: L = 0 lowest -> 1 highest. */
	wr(&f->pic, 0x20, OCW2_R | OCW2_SL | 0);
	pulse(&f->pic, 0);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 1);
	wr(&f->pic, 0x20, OCW2_SL | OCW2_EOI | 1);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 0);
	/* Set priority with 6 lowest: now a pending 7 beats 3. */
	wr(&f->pic, 0x20, OCW2_SL | OCW2_EOI | 0);
	wr(&f->pic, 0x20, OCW2_R | OCW2_SL | 6);
	pulse(&f->pic, 3);
	pulse(&f->pic, 7);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7);
	/* In-service 7 (now highest) blocks 3. */
	assert_false(sc_pic_intr_pending(&f->pic));
}

static void test_ocw2_noop_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct sc_pic_state_v1 a, b;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 3, true);
	sc_pic_inta(&f->pic);
	sc_pic_save(&f->pic, &a);
	wr(&f->pic, 0x20, OCW2_SL | 3);
	sc_pic_save(&f->pic, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_aeoi_clears_isr_at_inta(void **state)
{
	struct fix *f = *state;

	program(&f->pic, ICW4_AEOI);
	sc_pic_set_irq(&f->pic, 3, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 3);
	assert_int_equal(read_isr(&f->pic, 0x20), 0);
	assert_int_equal(f->rec.n_inta, 1);
	assert_int_equal(f->rec.inta[0], 3);
	assert_int_equal(f->rec.n_eoi, 1);
	assert_int_equal(f->rec.eoi[0], 3);
	/* Nothing in service: a lower request is taken at once. */
	sc_pic_set_irq(&f->pic, 6, true);
	assert_true(sc_pic_intr_pending(&f->pic));
	/* Without rotation the priority did not change. */
	sc_pic_set_latch_edges(&f->pic, true);
	sc_pic_set_irq(&f->pic, 3, false);
	pulse(&f->pic, 3);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 3);
}

static void test_rotate_in_aeoi_mode(void **state)
{
	struct fix *f = *state;

	program(&f->pic, ICW4_AEOI);
	sc_pic_set_latch_edges(&f->pic, true);
	wr(&f->pic, 0x20, OCW2_R);                        /* set */
	pulse(&f->pic, 0);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 0);
	pulse(&f->pic, 0);
	pulse(&f->pic, 7);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7); /* 0 is lowest */
	/* 7 now lowest: 0 first. */
	pulse(&f->pic, 7);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 0);
	wr(&f->pic, 0x20, 0x00);                          /* clear */
	/* Priority stays where the last rotation put it (0 lowest)... */
	pulse(&f->pic, 0);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7);
	/* ...and no longer rotates: 7 keeps beating 0. */
	pulse(&f->pic, 7);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 0);
}

static void test_aeoi_level_input_reinterrupts_at_once(void **state)
{
	struct fix *f = *state;

	/* Datasheet caution: AEOI + level mode re-interrupts while high. */
	program(&f->pic, ICW4_AEOI);
	wr(&f->pic, 0x4d0, 0x08);
	sc_pic_set_irq(&f->pic, 3, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 3);
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 3);
	sc_pic_set_irq(&f->pic, 3, false);
	assert_false(sc_pic_intr_pending(&f->pic));
}

static void test_icw1_cancels_poll_and_rotate_in_aeoi(void **state)
{
	struct fix *f = *state;

	program(&f->pic, ICW4_AEOI);
	sc_pic_set_latch_edges(&f->pic, true);
	wr(&f->pic, 0x20, OCW2_R);                        /* rotate in AEOI */
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_P);
	program(&f->pic, ICW4_AEOI);
	pulse(&f->pic, 1);
	/* No poll pending: A0=0 reads the IRR, the request stays. */
	assert_int_equal(rd(&f->pic, 0x20), 0x02);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 1);
	/* No rotation: 1 still beats 6. */
	pulse(&f->pic, 6);
	pulse(&f->pic, 1);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 1);
}

static void test_slave_aeoi_delivers_each_request(void **state)
{
	struct fix *f = *state;

	program(&f->pic, ICW4_AEOI);
	sc_pic_set_irq(&f->pic, 9, true);
	sc_pic_set_irq(&f->pic, 12, true);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 1);
	/* The slave INT fell during its acknowledge and rose again. */
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 4);
	assert_false(sc_pic_intr_pending(&f->pic));
	assert_int_equal(f->rec.n_eoi, 2);
	assert_int_equal(f->rec.eoi[0], 9);
	assert_int_equal(f->rec.eoi[1], 12);
}

/* ----------------------------------------------------------------- OCW3 */

static void test_ocw3_read_irr_isr_selection_persists(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x21, 0xff);
	sc_pic_set_irq(&f->pic, 0, true);
	sc_pic_set_irq(&f->pic, 6, true);
	assert_int_equal(rd(&f->pic, 0x20), 0x41);        /* IRR by default */
	wr(&f->pic, 0x21, 0x00);
	sc_pic_inta(&f->pic);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_RR | OCW3_RIS);
	assert_int_equal(rd(&f->pic, 0x20), 0x01);
	assert_int_equal(rd(&f->pic, 0x20), 0x01);        /* persists */
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_RIS);           /* RR=0: no action */
	assert_int_equal(rd(&f->pic, 0x20), 0x01);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_RR);
	assert_int_equal(rd(&f->pic, 0x20), 0x40);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_RIS);           /* RR=0: no action */
	assert_int_equal(rd(&f->pic, 0x20), 0x40);
	/* A0=1 reads the IMR whatever OCW3 selected. */
	assert_int_equal(rd(&f->pic, 0x21), 0x00);
}

static void test_poll_command(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_P);
	assert_int_equal(rd(&f->pic, 0x20), 0x00);        /* nothing */
	sc_pic_set_irq(&f->pic, 5, true);
	sc_pic_set_irq(&f->pic, 3, true);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_P | OCW3_RR | OCW3_RIS);
	assert_int_equal(rd(&f->pic, 0x20), SC_PIC_POLL_I | 3); /* overrides RR */
	assert_int_equal(f->rec.n_inta, 1);
	assert_int_equal(f->rec.inta[0], 3);
	/* The poll acted as INTA and the RR/RIS selection took effect. */
	assert_int_equal(rd(&f->pic, 0x20), 0x08);
	/* Poll works through A0=1 as well; 5 is blocked by IS3. */
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_P);
	assert_int_equal(rd(&f->pic, 0x21), 0x00);
	wr(&f->pic, 0x20, OCW2_EOI);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_P);
	assert_int_equal(rd(&f->pic, 0x21), SC_PIC_POLL_I | 5);
	/* An OCW3 without P cancels a pending poll. */
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_P);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_RR);
	assert_int_equal(rd(&f->pic, 0x21), 0x00);        /* IMR */
}

static void test_poll_slave_and_no_aeoi(void **state)
{
	struct fix *f = *state;

	program(&f->pic, ICW4_AEOI);
	sc_pic_set_irq(&f->pic, 14, true);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_P);
	assert_int_equal(rd(&f->pic, 0x20), SC_PIC_POLL_I | 2); /* cascade */
	assert_int_equal(f->rec.n_inta, 0);      /* IR2 is not an ISA IRQ */
	wr(&f->pic, 0xa0, OCW3_SEL | OCW3_P);
	assert_int_equal(rd(&f->pic, 0xa0), SC_PIC_POLL_I | 6);
	assert_int_equal(f->rec.n_inta, 1);
	assert_int_equal(f->rec.inta[0], 14);
	/* A poll is not an INTA pulse: no automatic EOI. */
	assert_int_equal(read_isr(&f->pic, 0xa0), 0x40);
	assert_int_equal(f->rec.n_eoi, 0);
}

static void test_special_mask_mode(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 3, true);
	sc_pic_inta(&f->pic);
	wr(&f->pic, 0x21, 0x08);                          /* mask own level */
	sc_pic_set_irq(&f->pic, 5, true);
	assert_false(sc_pic_intr_pending(&f->pic));       /* nested: blocked */
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_SMM);           /* ESMM=0: ignored */
	assert_false(sc_pic_intr_pending(&f->pic));
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_ESMM | OCW3_SMM);
	assert_true(sc_pic_intr_pending(&f->pic));        /* lower enabled */
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 5);
	/* Non-specific EOI skips the masked IS3 and clears IS5. */
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x08);
	wr(&f->pic, 0x20, OCW2_EOI);                      /* nothing eligible */
	assert_int_equal(read_isr(&f->pic, 0x20), 0x08);
	/* Reset special mask: IS3 blocks lower levels again. */
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_ESMM);
	sc_pic_set_irq(&f->pic, 5, false);
	sc_pic_set_irq(&f->pic, 5, true);
	assert_false(sc_pic_intr_pending(&f->pic));
	wr(&f->pic, 0x20, OCW2_SL | OCW2_EOI | 3);
	assert_true(sc_pic_intr_pending(&f->pic));
}

/* -------------------------------------------------------------- cascade */

static void test_cascade_vector_and_isr(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 10, true);
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(read_irr(&f->pic, 0x20), 0x04);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 2);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x04);
	assert_int_equal(read_isr(&f->pic, 0xa0), 0x04);
	assert_int_equal(f->rec.n_inta, 1);
	assert_int_equal(f->rec.inta[0], 10);
	/* Master lower levels blocked by IS2; higher ones nest. */
	sc_pic_set_irq(&f->pic, 4, true);
	assert_false(sc_pic_intr_pending(&f->pic));
	sc_pic_set_irq(&f->pic, 1, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 1);
	wr(&f->pic, 0x20, OCW2_EOI);                      /* IS1 */
	/* Slave EOI then master EOI: reported once, as IRQ10. */
	f->rec.n_eoi = 0;
	wr(&f->pic, 0xa0, OCW2_EOI);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(f->rec.n_eoi, 1);
	assert_int_equal(f->rec.eoi[0], 10);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 4);
}

static void test_cascade_slave_priority_inside_slave(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x21, 0xff);
	sc_pic_set_irq(&f->pic, 15, true);
	sc_pic_set_irq(&f->pic, 8, true);
	wr(&f->pic, 0x21, 0x00);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 0);
	wr(&f->pic, 0xa0, OCW2_EOI);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 7);
	assert_int_equal(read_isr(&f->pic, 0xa0), 0x80);  /* real IS7 */
}

static void test_spurious_irq15(void **state)
{
	struct fix *f = *state;

	/* Master's cascade request latched, slave's request gone. */
	program(&f->pic, 0);
	sc_pic_set_latch_edges(&f->pic, true);
	wr(&f->pic, 0x4d1, 0x08);                         /* IRQ11 level */
	sc_pic_set_irq(&f->pic, 11, true);
	sc_pic_set_irq(&f->pic, 11, false);
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 7);
	assert_int_equal(read_isr(&f->pic, 0xa0), 0x00);  /* no IS7 */
	assert_int_equal(read_isr(&f->pic, 0x20), 0x04);  /* master IS2 */
	assert_int_equal(f->rec.n_inta, 0);
	/* Spurious handlers EOI the master only. */
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x00);
	assert_int_equal(f->rec.n_eoi, 0);
}

static void test_spurious_irq15_slave_masked(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_latch_edges(&f->pic, true);
	sc_pic_set_irq(&f->pic, 12, true);
	wr(&f->pic, 0xa1, 0x10);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 7);
	/* Without latching, the slave INT falling drops the master request:
	 * the master gives its own default IR7. */
	sc_pic_set_latch_edges(&f->pic, false);
	wr(&f->pic, 0x20, OCW2_EOI);
	wr(&f->pic, 0xa1, 0x00);
	assert_true(sc_pic_intr_pending(&f->pic));
	wr(&f->pic, 0xa1, 0x10);
	assert_false(sc_pic_intr_pending(&f->pic));
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7);
}

static void test_sfnm_slave_higher_request_while_in_service(void **state)
{
	struct fix *f = *state;

	program(&f->pic, ICW4_SFNM);
	sc_pic_set_irq(&f->pic, 12, true);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 4);
	sc_pic_set_irq(&f->pic, 9, true);                 /* higher on slave */
	assert_true(sc_pic_intr_pending(&f->pic));
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 1);
	assert_int_equal(read_isr(&f->pic, 0xa0), 0x12);
	/* Lower slave level stays blocked by the slave's own ISR. */
	sc_pic_set_irq(&f->pic, 14, true);
	assert_false(sc_pic_intr_pending(&f->pic));
	/* Master lower level stays blocked by IS2. */
	sc_pic_set_irq(&f->pic, 5, true);
	assert_false(sc_pic_intr_pending(&f->pic));
}

static void test_normal_nested_locks_out_slave(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	sc_pic_set_irq(&f->pic, 12, true);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 4);
	sc_pic_set_irq(&f->pic, 9, true);
	assert_false(sc_pic_intr_pending(&f->pic));
	wr(&f->pic, 0xa0, OCW2_EOI);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(sc_pic_inta(&f->pic), SBASE + 1);
}

static void test_cascade_unanswered_is_open_bus(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0xa0, ICW1_SEL | ICW1_IC4);
	wr(&f->pic, 0xa1, SBASE);
	wr(&f->pic, 0xa1, 5);                             /* wrong ID */
	wr(&f->pic, 0xa1, ICW4_UPM);
	wr(&f->pic, 0xa1, 0);
	sc_pic_set_irq(&f->pic, 10, true);
	assert_int_equal(sc_pic_inta(&f->pic), SC_PIC_OPEN_BUS);
	assert_int_equal(read_isr(&f->pic, 0xa0), 0x00);
	assert_int_equal(read_isr(&f->pic, 0x20), 0x04);
}

static void test_master_icw3_without_cascade_bit(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	wr(&f->pic, 0x20, ICW1_SEL | ICW1_IC4);
	wr(&f->pic, 0x21, MBASE);
	wr(&f->pic, 0x21, 0x00);                          /* no slaves */
	wr(&f->pic, 0x21, ICW4_UPM);
	sc_pic_set_irq(&f->pic, 13, true);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 2);
	assert_int_equal(f->rec.n_inta, 1);
	assert_int_equal(f->rec.inta[0], 2);
}

/* ---------------------------------------------------- host-side checks */

static void test_inta_without_request_is_spurious_ir7(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE + 7);
	assert_int_equal(read_isr(&f->pic, 0x20), 0);
	assert_int_equal(f->rec.n_inta, 0);
}

static void test_set_irq_rejects_bad_irq(void **state)
{
	struct fix *f = *state;
	struct sc_pic_state_v1 a, b;

	program(&f->pic, 0);
	sc_pic_set_latch_edges(&f->pic, true);
	sc_pic_save(&f->pic, &a);
	assert_int_equal(sc_pic_set_irq(&f->pic, 16, true), -EINVAL);
	assert_int_equal(sc_pic_set_irq(&f->pic, 0xffffffffu, true), -EINVAL);
	/* IRQ2 is the cascade: accepted, no effect. */
	assert_int_equal(sc_pic_set_irq(&f->pic, 2, true), 0);
	sc_pic_save(&f->pic, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(sc_pic_set_irq(&f->pic, 15, true), 0);
}

static void test_unknown_ports(void **state)
{
	struct fix *f = *state;
	struct sc_pic_state_v1 a, b;
	static const uint16_t ports[] = { 0, 0x1f, 0x22, 0x24, 0x60, 0x9f,
					  0xa2, 0x4cf, 0x4d2, 0xffff };

	program(&f->pic, 0);
	sc_pic_save(&f->pic, &a);
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		assert_int_equal(rd(&f->pic, ports[i]), 0xff);
		wr(&f->pic, ports[i], 0x11);
		wr(&f->pic, ports[i], 0x00);
	}
	sc_pic_save(&f->pic, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_intr_wire_follows_master_int(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	assert_int_equal(f->rec.intr_calls, 0);
	sc_pic_set_irq(&f->pic, 1, true);
	assert_int_equal(f->rec.intr_calls, 1);
	assert_true(f->rec.intr_level);
	sc_pic_set_irq(&f->pic, 4, true);                 /* still high */
	assert_int_equal(f->rec.intr_calls, 1);
	sc_pic_inta(&f->pic);                             /* 4 blocked by 1 */
	assert_int_equal(f->rec.intr_calls, 2);
	assert_false(f->rec.intr_level);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(f->rec.intr_calls, 3);
	assert_true(f->rec.intr_level);
	assert_true(f->rec.traces > 0);
}

static void test_ack_observer_reentrant_eoi(void **state)
{
	struct fix *f = *state;

	program(&f->pic, 0);
	f->rec.reraise_on_eoi = 0;       /* tick engine: next tick on EOI */
	sc_pic_set_irq(&f->pic, 0, true);
	sc_pic_set_irq(&f->pic, 0, false);
	sc_pic_set_latch_edges(&f->pic, true);
	pulse(&f->pic, 0);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(f->rec.n_eoi, 1);
	assert_true(f->rec.intr_level);
	assert_int_equal(sc_pic_inta(&f->pic), MBASE);
	/* No observer: nothing is called and nothing breaks. */
	sc_pic_set_ack(&f->pic, NULL);
	wr(&f->pic, 0x20, OCW2_EOI);
	assert_int_equal(f->rec.n_eoi, 1);
}

static void test_init_without_callbacks(void **state)
{
	struct sc_pic pic;

	(void)state;
	sc_pic_init(&pic, NULL, NULL);
	program(&pic, 0);
	sc_pic_set_irq(&pic, 7, true);
	assert_true(sc_pic_intr_pending(&pic));
	assert_int_equal(sc_pic_inta(&pic), MBASE + 7);
	assert_int_equal(read_isr(&pic, 0x20), 0x80);     /* real IR7 */
}

/* ---------------------------------------------------------- save/restore */

static void build_rich_state(struct sc_pic *p)
{
	program(p, ICW4_SFNM);
	wr(p, 0x4d0, 0x20);
	wr(p, 0x4d1, 0x0c);
	sc_pic_set_irq(p, 5, true);
	sc_pic_set_irq(p, 11, true);
	sc_pic_set_irq(p, 3, true);
	sc_pic_inta(p);
	wr(p, 0x20, OCW2_R | OCW2_SL | 1);
	wr(p, 0xa0, OCW3_SEL | OCW3_RR | OCW3_RIS);
	wr(p, 0x21, 0x40);
	sc_pic_set_irq(p, 14, true);
	sc_pic_set_irq(p, 6, true);
}

static void test_save_restore_round_trip(void **state)
{
	struct fix *f = *state;
	struct sc_pic q;
	struct rec r2;
	struct sc_line line = { line_cb, &r2 };
	struct sc_pic_state_v1 s, s2;

	memset(&r2, 0, sizeof(r2));
	build_rich_state(&f->pic);
	sc_pic_save(&f->pic, &s);
	assert_int_equal(s.version, SC_PIC_STATE_VERSION);
	assert_int_equal(sc_pic_validate(&s), 0);
	sc_pic_init(&q, &line, NULL);
	assert_int_equal(sc_pic_restore(&q, &s), 0);
	assert_int_equal(r2.intr_calls, 1);                /* wire driven */
	assert_int_equal(r2.intr_level, sc_pic_intr_pending(&f->pic));
	sc_pic_save(&q, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
	/* Identical behaviour afterwards. */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(rd(&q, 0xa0), rd(&f->pic, 0xa0));
		assert_int_equal(sc_pic_inta(&q), sc_pic_inta(&f->pic));
		wr(&q, 0xa0, OCW2_EOI);
		wr(&f->pic, 0xa0, OCW2_EOI);
		wr(&q, 0x20, OCW2_EOI);
		wr(&f->pic, 0x20, OCW2_EOI);
		assert_int_equal(sc_pic_intr_pending(&q),
				 sc_pic_intr_pending(&f->pic));
	}
	sc_pic_save(&f->pic, &s);
	sc_pic_save(&q, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
	/* Mid-initialisation state and latch option round-trip too. */
	sc_pic_set_latch_edges(&f->pic, true);
	wr(&f->pic, 0xa0, ICW1_SEL | ICW1_IC4);
	wr(&f->pic, 0xa1, 0x70);
	wr(&f->pic, 0x20, OCW3_SEL | OCW3_P);
	sc_pic_save(&f->pic, &s);
	assert_int_equal(s.chip[1].init_state, 2);
	assert_int_equal(sc_pic_restore(&q, &s), 0);
	wr(&q, 0xa1, 2);
	wr(&q, 0xa1, ICW4_UPM);
	assert_int_equal(rd(&q, 0x20), rd(&f->pic, 0x20)); /* poll */
}

typedef void corrupt_fn(struct sc_pic_state_v1 *s);

static void c_version(struct sc_pic_state_v1 *s) { s->version = 2; }
static void c_latch(struct sc_pic_state_v1 *s) { s->latch_edges = 2; }
static void c_pad(struct sc_pic_state_v1 *s) { s->pad[1] = 1; }
static void c_chip_pad(struct sc_pic_state_v1 *s) { s->chip[1].pad[3] = 1; }
static void c_prio(struct sc_pic_state_v1 *s) { s->chip[0].priority_add = 8; }
static void c_init(struct sc_pic_state_v1 *s) { s->chip[1].init_state = 4; }
static void c_rrs(struct sc_pic_state_v1 *s) { s->chip[0].read_reg_select = 2; }
static void c_poll(struct sc_pic_state_v1 *s) { s->chip[0].poll = 3; }
static void c_smm(struct sc_pic_state_v1 *s) { s->chip[1].special_mask = 0xff; }
static void c_raeoi(struct sc_pic_state_v1 *s) { s->chip[0].rotate_on_aeoi = 2; }
static void c_icw1(struct sc_pic_state_v1 *s) { s->chip[0].icw1 &= (uint8_t)~ICW1_SEL; }
static void c_icw4(struct sc_pic_state_v1 *s) { s->chip[0].icw4 |= 0x80; }
static void c_elcr1(struct sc_pic_state_v1 *s) { s->chip[0].elcr |= 0x01; }
static void c_elcr2(struct sc_pic_state_v1 *s) { s->chip[1].elcr |= 0x20; }
static void c_sid(struct sc_pic_state_v1 *s) { s->chip[1].icw3 = 0x12; }
static void c_icw3_sngl(struct sc_pic_state_v1 *s)
{
	s->chip[0].init_state = 2;
	s->chip[0].icw1 |= ICW1_SNGL;
}
static void c_icw4_noic4(struct sc_pic_state_v1 *s)
{
	s->chip[1].init_state = 3;
	s->chip[1].icw1 &= (uint8_t)~ICW1_IC4;
	s->chip[1].icw4 = 0;
}
static void c_icw4_val(struct sc_pic_state_v1 *s)
{
	s->chip[1].icw1 &= (uint8_t)~ICW1_IC4;         /* icw4 still set */
}
static void c_line_latch(struct sc_pic_state_v1 *s)
{
	s->chip[0].line &= (uint8_t)~0x80;
	s->chip[0].elatch &= (uint8_t)~0x80;
}
static void c_irr_level(struct sc_pic_state_v1 *s)
{
	s->chip[0].irr &= (uint8_t)~0x20;              /* IRQ5 level, high */
}
static void c_irr_unarmed(struct sc_pic_state_v1 *s)
{
	s->latch_edges = 1;                            /* IRQ7 high, acked */
	s->chip[0].line |= 0x80;
	s->chip[0].elatch &= (uint8_t)~0x80;
	s->chip[0].irr |= 0x80;
}
static void c_irr_edge(struct sc_pic_state_v1 *s)
{
	s->chip[0].irr |= 0x80;                        /* IRQ7 low, edge */
}

static void test_restore_rejects_corrupt_state(void **state)
{
	struct fix *f = *state;
	static corrupt_fn *const cases[] = {
		c_version, c_latch, c_pad, c_chip_pad, c_prio, c_init, c_rrs,
		c_poll, c_smm, c_raeoi, c_icw1, c_icw4, c_elcr1, c_elcr2,
		c_sid, c_icw3_sngl, c_icw4_noic4, c_icw4_val, c_line_latch,
		c_irr_level, c_irr_unarmed, c_irr_edge,
	};
	struct sc_pic_state_v1 good, bad, after;
	struct sc_pic q;

	build_rich_state(&f->pic);
	sc_pic_save(&f->pic, &good);
	assert_int_equal(sc_pic_validate(&good), 0);
	assert_int_equal(sc_pic_validate(NULL), -EINVAL);
	assert_int_equal(sc_pic_restore(NULL, &good), -EINVAL);
	sc_pic_init(&q, NULL, NULL);
	assert_int_equal(sc_pic_restore(&q, &good), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad = good;
		cases[i](&bad);
		if (sc_pic_validate(&bad) != -EINVAL)
			fail_msg("corruption case %zu accepted", i);
		assert_int_equal(sc_pic_restore(&q, &bad), -EINVAL);
		sc_pic_save(&q, &after);
		assert_memory_equal(&good, &after, sizeof(good));
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reset_masks_everything),
		T(test_reset_clears_state_keeps_lines),
		T(test_icw_sequence_sets_vector_base),
		T(test_icw1_sngl_skips_icw3),
		T(test_icw1_without_ic4_zeroes_icw4),
		T(test_icw1_resets_imr_isr_priority_smm_readsel),
		T(test_icw1_clears_edge_sense_latch),
		T(test_icw3_slave_id_bits_and_icw4_reserved_ignored),
		T(test_icw4_buffered_bits_stored),
		T(test_ocw1_imr_masks_and_reads_back),
		T(test_edge_held_high_requests_once),
		T(test_edge_dropped_before_inta_gives_default_ir7),
		T(test_masked_after_int_gives_default_ir7),
		T(test_latch_edges_keeps_pulsed_request),
		T(test_elcr_level_reasserts_after_eoi),
		T(test_elcr_slave_level),
		T(test_elcr_fixed_bits_read_zero),
		T(test_elcr_mode_switch_keeps_ack_state),
		T(test_ltim_makes_all_inputs_level),
		T(test_fully_nested_priority),
		T(test_specific_eoi),
		T(test_rotate_on_nonspecific_eoi),
		T(test_rotate_on_specific_eoi_and_set_priority),
		T(test_ocw2_noop_changes_nothing),
		T(test_aeoi_clears_isr_at_inta),
		T(test_rotate_in_aeoi_mode),
		T(test_aeoi_level_input_reinterrupts_at_once),
		T(test_icw1_cancels_poll_and_rotate_in_aeoi),
		T(test_slave_aeoi_delivers_each_request),
		T(test_ocw3_read_irr_isr_selection_persists),
		T(test_poll_command),
		T(test_poll_slave_and_no_aeoi),
		T(test_special_mask_mode),
		T(test_cascade_vector_and_isr),
		T(test_cascade_slave_priority_inside_slave),
		T(test_spurious_irq15),
		T(test_spurious_irq15_slave_masked),
		T(test_sfnm_slave_higher_request_while_in_service),
		T(test_normal_nested_locks_out_slave),
		T(test_cascade_unanswered_is_open_bus),
		T(test_master_icw3_without_cascade_bit),
		T(test_inta_without_request_is_spurious_ir7),
		T(test_set_irq_rejects_bad_irq),
		T(test_unknown_ports),
		T(test_intr_wire_follows_master_int),
		T(test_ack_observer_reentrant_eoi),
		T(test_init_without_callbacks),
		T(test_save_restore_round_trip),
		T(test_restore_rejects_corrupt_state),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
