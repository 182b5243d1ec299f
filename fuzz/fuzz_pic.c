/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the i8259A pair.  The input is a sequence of
 * operations: port writes/reads (the PIC's ports, ELCR and arbitrary ones),
 * line changes (including out-of-range IRQs), INTA cycles, the edge-latch
 * option, resets and save/restore round trips.  Invariants are checked
 * after every operation; a violation traps.
 */
#include <splitchip/pic.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_OPS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct obs {
	bool level;
	unsigned calls;
	struct sc_pic *pic;
	unsigned depth;
};

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void on_line(void *opaque, bool level)
{
	struct obs *o = opaque;

	o->level = level;
	o->calls++;
}

static void on_ack(void *opaque, unsigned irq)
{
	struct obs *o = opaque;

	check(irq < 16);
	/* Re-enter once, as a tick engine raising its next tick would. */
	if (o->depth == 0 && irq == 0) {
		o->depth++;
		check(sc_pic_set_irq(o->pic, 0, false) == 0);
		check(sc_pic_set_irq(o->pic, 0, true) == 0);
		o->depth--;
	}
}

static void on_trace(void *opaque, const char *chip, const char *event,
		     uint64_t a, uint64_t b)
{
	check(chip != NULL && event != NULL);
}

static const uint16_t ports[] = {
	SC_PIC_MASTER_CMD, SC_PIC_MASTER_DATA, SC_PIC_SLAVE_CMD,
	SC_PIC_SLAVE_DATA, SC_PIC_ELCR1, SC_PIC_ELCR2, 0x22, 0xa2,
};

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t pick_port(struct input *in)
{
	uint8_t sel = next(in);

	if (sel < 0xf0)
		return ports[sel % (sizeof(ports) / sizeof(ports[0]))];
	return (uint16_t)(next(in) | (next(in) << 8));
}

static void check_state(struct sc_pic *pic, struct obs *o)
{
	struct sc_pic_state_v1 s;

	/* The wire always carries the master INT level. */
	check(o->level == sc_pic_intr_pending(pic));
	/* Every state the model reaches is a valid saved state. */
	sc_pic_save(pic, &s);
	check(sc_pic_validate(&s) == 0);
	check((s.chip[0].elcr & ~SC_PIC_ELCR1_MASK) == 0);
	check((s.chip[1].elcr & ~SC_PIC_ELCR2_MASK) == 0);
}

static void check_vector(const struct sc_pic_state_v1 *before, int vec)
{
	unsigned mb = before->chip[0].icw2 & ICW2_T7_T3;
	unsigned sb = before->chip[1].icw2 & ICW2_T7_T3;

	check(vec >= 0 && vec <= 255);
	check(((unsigned)vec & ~7u) == mb || ((unsigned)vec & ~7u) == sb ||
	      vec == SC_PIC_OPEN_BUS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_pic pic, twin;
	struct obs o = { .level = false, .calls = 0, .pic = &pic, .depth = 0 };
	struct obs ot = { .level = false, .calls = 0, .pic = &twin, .depth = 0 };
	struct sc_line line = { on_line, &o };
	struct sc_line tline = { on_line, &ot };
	struct sc_trace trace = { on_trace, NULL };
	struct sc_pic_ack ack = { on_ack, on_ack, &o };
	struct sc_pic_state_v1 s, s2;
	struct input in = { data, size };

	sc_pic_init(&pic, &line, &trace);
	sc_pic_set_ack(&pic, &ack);
	sc_pic_init(&twin, &tline, NULL);

	for (unsigned op = 0; op < MAX_OPS && in.n; op++) {
		uint8_t kind = next(&in);

		switch (kind % 8) {
		case 0:
		case 1: {
			uint16_t port = pick_port(&in);

			sc_pic_ioport_write(&pic, port, next(&in));
			break;
		}
		case 2: {
			uint16_t port = pick_port(&in);
			struct sc_pic_state_v1 before;
			uint8_t v;

			sc_pic_save(&pic, &before);
			v = sc_pic_ioport_read(&pic, port);
			if (port != SC_PIC_MASTER_CMD && port != SC_PIC_MASTER_DATA &&
			    port != SC_PIC_SLAVE_CMD && port != SC_PIC_SLAVE_DATA &&
			    port != SC_PIC_ELCR1 && port != SC_PIC_ELCR2)
				check(v == 0xff);
			/* A poll read returns 0 or I + W2-W0. */
			if ((port == SC_PIC_MASTER_CMD || port == SC_PIC_MASTER_DATA) &&
			    before.chip[0].poll)
				check(v == 0 || (v & ~7u) == SC_PIC_POLL_I);
			if ((port == SC_PIC_SLAVE_CMD || port == SC_PIC_SLAVE_DATA) &&
			    before.chip[1].poll)
				check(v == 0 || (v & ~7u) == SC_PIC_POLL_I);
			break;
		}
		case 3:
		case 4: {
			uint8_t b = next(&in);
			unsigned irq = b & 0x1f;
			int rc = sc_pic_set_irq(&pic, irq, (b & 0x80) != 0);

			check(irq > 15 ? rc == -EINVAL : rc == 0);
			break;
		}
		case 5: {
			int vec;

			sc_pic_save(&pic, &s);
			vec = sc_pic_inta(&pic);
			check_vector(&s, vec);
			break;
		}
		case 6: {
			uint8_t b = next(&in);

			if (b & 1)
				sc_pic_set_latch_edges(&pic, (b & 2) != 0);
			else if (b == 0xfe)
				sc_pic_reset(&pic);
			else {
				(void)sc_pic_irq_masked(&pic, b);
				(void)sc_pic_irq_level_mode(&pic, b);
			}
			break;
		}
		default: {
			uint8_t b = next(&in);

			/* Round trip through the twin; optionally corrupt a byte. */
			sc_pic_save(&pic, &s);
			check(sc_pic_restore(&twin, &s) == 0);
			check(ot.level == sc_pic_intr_pending(&twin));
			sc_pic_save(&twin, &s2);
			check(memcmp(&s, &s2, sizeof(s)) == 0);
			if (b & 1) {
				uint8_t *raw = (uint8_t *)&s;
				size_t at = next(&in) % sizeof(s);

				raw[at] ^= next(&in);
				if (sc_pic_restore(&twin, &s) != 0) {
					sc_pic_save(&twin, &s2);
					/* Rejected: twin untouched. */
					sc_pic_save(&pic, &s);
					check(memcmp(&s, &s2, sizeof(s)) == 0);
				} else {
					check(sc_pic_validate(&s) == 0);
				}
			}
			break;
		}
		}
		check_state(&pic, &o);
	}
	return 0;
}
