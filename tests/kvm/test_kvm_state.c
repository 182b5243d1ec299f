/* SPDX-License-Identifier: MIT */
/*
 * libsplitchip-kvm state interop (splitchip/kvm_state.h): round trips in
 * both directions, the refusals, and behaviour: a chip driven through its
 * registers, saved, converted to KVM's struct and back, restored into a
 * fresh chip, behaves as the original from then on (fake clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <splitchip/kvm.h>
#include <splitchip/ioapic.h>
#include <splitchip/pic.h>
#include <splitchip/pit.h>

#include <linux/kvm.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define F       1193182ull
#define E0      F                       /* edge at t = 1 s */
#define HOST_OFFSET 7000000123ll        /* host CLOCK_MONOTONIC - virtual */

static uint64_t edge_ns(uint64_t k)
{
	return (k * 1000000000ull + F - 1) / F;
}

static struct sc_kvm_timebase tb_at(uint64_t virt)
{
	struct sc_kvm_timebase t = { virt, (int64_t)virt + HOST_OFFSET };
	return t;
}

/* ================================================================ PIC */

static void pic_w(struct sc_pic *p, uint16_t port, uint8_t v)
{
	sc_pic_ioport_write(p, port, v);
}

/* The PC BIOS / Linux sequence: ICW1 edge + IC4, vectors 0x20/0x28, AT cascade, 8086. */
static void pic_program(struct sc_pic *p)
{
	pic_w(p, SC_PIC_MASTER_CMD, ICW1_SEL | ICW1_IC4);
	pic_w(p, SC_PIC_MASTER_DATA, 0x20);
	pic_w(p, SC_PIC_MASTER_DATA, 0x04);
	pic_w(p, SC_PIC_MASTER_DATA, ICW4_UPM);
	pic_w(p, SC_PIC_SLAVE_CMD, ICW1_SEL | ICW1_IC4);
	pic_w(p, SC_PIC_SLAVE_DATA, 0x28);
	pic_w(p, SC_PIC_SLAVE_DATA, 0x02);
	pic_w(p, SC_PIC_SLAVE_DATA, ICW4_UPM);
	pic_w(p, SC_PIC_MASTER_DATA, 0x00);
	pic_w(p, SC_PIC_SLAVE_DATA, 0x00);
}

/* IRQ 1 in service, IRQ 3 and 4 pending, IRQ 10 (slave) pending, IRQ 12 high and acked. */
static void pic_busy(struct sc_pic *p, bool latch)
{
	sc_pic_init(p, NULL, NULL);
	sc_pic_set_latch_edges(p, latch);
	pic_program(p);
	sc_pic_set_irq(p, 1, true);
	assert_int_equal(sc_pic_inta(p), 0x21);
	sc_pic_set_irq(p, 12, true);
	sc_pic_set_irq(p, 3, true);
	sc_pic_set_irq(p, 4, true);
	if (latch)
		sc_pic_set_irq(p, 4, false);    /* a latched pulse */
	sc_pic_set_irq(p, 10, true);
}

static void pic_round_trip(const struct sc_pic_state_v1 *in, struct sc_pic_state_v1 *out)
{
	struct kvm_pic_state m, s;
	assert_int_equal(sc_kvm_pic_to_kvm(in, &m, &s), 0);
	assert_int_equal(sc_kvm_pic_from_kvm(&m, &s, in->latch_edges, out), 0);
}

static void test_pic_reset_round_trips_identically(void **st)
{
	struct sc_pic p;
	struct sc_pic_state_v1 a, b;
	(void)st;
	sc_pic_init(&p, NULL, NULL);
	sc_pic_save(&p, &a);
	pic_round_trip(&a, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_pic_pending_and_in_service_round_trip_identically(void **st)
{
	(void)st;
	for (int latch = 0; latch < 2; latch++) {
		struct sc_pic p;
		struct sc_pic_state_v1 a, b;
		struct kvm_pic_state m, s;

		pic_busy(&p, latch);
		sc_pic_save(&p, &a);
		assert_int_equal(sc_kvm_pic_to_kvm(&a, &m, &s), 0);
		assert_int_equal(m.irq_base, 0x20);
		assert_int_equal(s.irq_base, 0x28);
		assert_int_equal(m.isr, 0x02);
		assert_int_equal(m.irr & 0x18, 0x18);
		assert_int_equal(s.irr, 0x14);          /* IRQ 10 and 12 */
		assert_int_equal(m.irr & 0x04, 0x04);   /* cascade request */
		assert_int_equal(m.last_irr & 0x04, 0); /* KVM pulses IR2 */
		assert_int_equal(m.init4, 1);
		assert_int_equal(m.elcr_mask, 0xf8);
		assert_int_equal(s.elcr_mask, 0xde);
		assert_int_equal(sc_kvm_pic_from_kvm(&m, &s, latch, &b), 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void test_pic_kvm_round_trip_identically(void **st)
{
	struct sc_pic p;
	struct sc_pic_state_v1 a, b;
	struct kvm_pic_state m, s, m2, s2;
	(void)st;
	pic_busy(&p, true);
	sc_pic_save(&p, &a);
	assert_int_equal(sc_kvm_pic_to_kvm(&a, &m, &s), 0);
	/* What KVM reports after ICW4 with AEOI, a rotated priority, ELCR level IRQ 9. */
	s.auto_eoi = 1;
	m.priority_add = 3;
	s.elcr = 0x02;
	s.last_irr |= 0x02;
	s.irr |= 0x02;
	assert_int_equal(sc_kvm_pic_from_kvm(&m, &s, true, &b), 0);
	assert_int_equal(sc_kvm_pic_to_kvm(&b, &m2, &s2), 0);
	assert_memory_equal(&m, &m2, sizeof(m));
	assert_memory_equal(&s, &s2, sizeof(s));
}

/* Drive the same guest sequence on both and compare every observable. */
static void pic_same_behaviour(struct sc_pic *x, struct sc_pic *y)
{
	for (int i = 0; i < 6; i++) {
		assert_int_equal(sc_pic_intr_pending(x), sc_pic_intr_pending(y));
		pic_w(x, SC_PIC_MASTER_CMD, OCW3_SEL | OCW3_RR | OCW3_RIS);
		pic_w(y, SC_PIC_MASTER_CMD, OCW3_SEL | OCW3_RR | OCW3_RIS);
		assert_int_equal(sc_pic_ioport_read(x, SC_PIC_MASTER_CMD),
				 sc_pic_ioport_read(y, SC_PIC_MASTER_CMD));
		if (sc_pic_intr_pending(x))
			assert_int_equal(sc_pic_inta(x), sc_pic_inta(y));
		/* EOI slave then master, as Linux does for IRQ 8-15. */
		pic_w(x, SC_PIC_SLAVE_CMD, OCW2_EOI);
		pic_w(y, SC_PIC_SLAVE_CMD, OCW2_EOI);
		pic_w(x, SC_PIC_MASTER_CMD, OCW2_EOI);
		pic_w(y, SC_PIC_MASTER_CMD, OCW2_EOI);
	}
	/* The held IRQ 12 was acknowledged: it must go low before it requests. */
	sc_pic_set_irq(x, 12, false);
	sc_pic_set_irq(y, 12, false);
	sc_pic_set_irq(x, 12, true);
	sc_pic_set_irq(y, 12, true);
	assert_int_equal(sc_pic_intr_pending(x), sc_pic_intr_pending(y));
	assert_int_equal(sc_pic_inta(x), sc_pic_inta(y));
}

static void test_pic_restored_from_kvm_struct_behaves_the_same(void **st)
{
	(void)st;
	for (int latch = 0; latch < 2; latch++) {
		struct sc_pic a, b;
		struct sc_pic_state_v1 s, r;

		pic_busy(&a, latch);
		/* EOI IRQ 1, take IRQ 10: slave IR2 and master cascade in service. */
		pic_w(&a, SC_PIC_MASTER_CMD, OCW2_EOI);
		assert_int_equal(sc_pic_inta(&a), 0x2a);
		sc_pic_save(&a, &s);
		pic_round_trip(&s, &r);
		sc_pic_init(&b, NULL, NULL);
		assert_int_equal(sc_pic_restore(&b, &r), 0);
		pic_same_behaviour(&a, &b);
	}
}

static void test_pic_refuses_what_kvm_cannot_express(void **st)
{
	struct sc_pic p;
	struct sc_pic_state_v1 s, bad;
	struct kvm_pic_state m, sl, m0;
	(void)st;
	pic_busy(&p, false);
	sc_pic_save(&p, &s);
	memset(&m0, 0x5a, sizeof(m0));
	m = m0;

	bad = s;
	bad.chip[0].icw1 |= ICW1_LTIM;          /* level mode by ICW1 */
	bad.chip[0].irr = bad.chip[0].line;     /* keep it valid */
	assert_int_equal(sc_pic_validate(&bad), 0);
	assert_int_equal(sc_kvm_pic_to_kvm(&bad, &m, &sl), -EINVAL);
	assert_memory_equal(&m, &m0, sizeof(m));
	bad = s;
	bad.chip[1].icw3 = 3;                   /* slave ID 3 */
	assert_int_equal(sc_kvm_pic_to_kvm(&bad, &m, &sl), -EINVAL);
	bad = s;
	bad.chip[0].icw3 = 0x0c;                /* a second cascade input */
	assert_int_equal(sc_kvm_pic_to_kvm(&bad, &m, &sl), -EINVAL);
	bad = s;
	bad.version = 2;
	assert_int_equal(sc_kvm_pic_to_kvm(&bad, &m, &sl), -EINVAL);
	/* Single mode programmed through the ports. */
	struct sc_pic q;
	sc_pic_init(&q, NULL, NULL);
	pic_w(&q, SC_PIC_MASTER_CMD, ICW1_SEL | ICW1_SNGL);
	pic_w(&q, SC_PIC_MASTER_DATA, 0x20);
	sc_pic_save(&q, &bad);
	assert_int_equal(sc_kvm_pic_to_kvm(&bad, &m, &sl), -EINVAL);

	/* From KVM. */
	struct sc_pic_state_v1 out, out0;
	memset(&out0, 0x33, sizeof(out0));
	out = out0;
	assert_int_equal(sc_kvm_pic_to_kvm(&s, &m, &sl), 0);
	struct kvm_pic_state k = m;
	k.elcr_mask = 0xff;
	assert_int_equal(sc_kvm_pic_from_kvm(&k, &sl, false, &out), -EINVAL);
	k = m;
	k.init_state = 4;
	assert_int_equal(sc_kvm_pic_from_kvm(&k, &sl, false, &out), -EINVAL);
	k = m;
	k.init4 = 0;
	k.auto_eoi = 1;
	assert_int_equal(sc_kvm_pic_from_kvm(&k, &sl, false, &out), -EINVAL);
	k = m;
	k.elcr = 0x04;                          /* IRQ 2 cannot be level */
	assert_int_equal(sc_kvm_pic_from_kvm(&k, &sl, false, &out), -EINVAL);
	k = m;
	k.poll = 2;
	assert_int_equal(sc_kvm_pic_from_kvm(&k, &sl, false, &out), -EINVAL);
	/* A latched edge request with its input low: only with latch_edges. */
	k = m;
	k.irr |= 0x40;
	k.last_irr &= (uint8_t)~0x40;
	assert_int_equal(sc_kvm_pic_from_kvm(&k, &sl, false, &out), -EINVAL);
	assert_memory_equal(&out, &out0, sizeof(out));
	assert_int_equal(sc_kvm_pic_from_kvm(&k, &sl, true, &out), 0);
	assert_int_equal(out.chip[0].irr & 0x40, 0x40);
}

/* ================================================================ IOAPIC */

#define IOAPIC_BASE 0xfec00000ull

struct msis {
	unsigned n;
	struct sc_msi last;
};

static void msi_send(void *opaque, const struct sc_msi *m)
{
	struct msis *r = opaque;
	r->n++;
	r->last = *m;
}

struct io_fx {
	struct sc_ioapic io;
	struct msis rec;
};

static void io_init(struct io_fx *f, uint8_t version, unsigned pins, bool ext)
{
	struct sc_ioapic_config cfg = {
		.pins = pins, .version = version, .id = 2,
		.mmio_base = IOAPIC_BASE, .ext_dest_id = ext,
	};
	struct sc_msi_sink sink = { msi_send, &f->rec };
	memset(&f->rec, 0, sizeof(f->rec));
	assert_int_equal(sc_ioapic_init(&f->io, &cfg, &sink, NULL, NULL), 0);
}

static void io_entry(struct sc_ioapic *io, unsigned pin, uint64_t e)
{
	sc_ioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * pin + 1);
	sc_ioapic_mmio_write(io, IOAPIC_IOWIN, 4, (uint32_t)(e >> 32));
	sc_ioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * pin);
	sc_ioapic_mmio_write(io, IOAPIC_IOWIN, 4, (uint32_t)e);
}

/* Pin 9 level with remote IRR set, pin 4 edge, pin 11 active-low level masked, pin 1 edge high. */
static void io_busy(struct io_fx *f)
{
	io_init(f, IOAPIC_VERSION_82093AA, 24, false);
	io_entry(&f->io, 9, 0x39 | IOAPIC_REDIR_TRIGGER | (1ull << 56));
	io_entry(&f->io, 4, 0x34 | (3ull << 56));
	io_entry(&f->io, 11, 0x3b | IOAPIC_REDIR_TRIGGER | IOAPIC_REDIR_INTPOL | IOAPIC_REDIR_MASK);
	io_entry(&f->io, 1, 0x31 | IOAPIC_REDIR_DESTMOD | (0x0full << 56));
	sc_ioapic_set_irq(&f->io, 11, true);    /* active low: deasserted */
	sc_ioapic_set_irq(&f->io, 9, true);
	sc_ioapic_set_irq(&f->io, 1, true);
	sc_ioapic_set_irq(&f->io, 4, true);
	sc_ioapic_set_irq(&f->io, 4, false);
	sc_ioapic_mmio_write(&f->io, IOAPIC_IOREGSEL, 1, 0x13);
	assert_int_equal(f->rec.n, 3);
	assert_true(sc_ioapic_entry(&f->io, 9) & IOAPIC_REDIR_REMOTE_IRR);
}

static void test_ioapic_remote_irr_round_trips_identically(void **st)
{
	struct io_fx *f = calloc(1, sizeof(*f));
	struct sc_ioapic_state_v1 *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct kvm_ioapic_state k;
	(void)st;
	io_busy(f);
	sc_ioapic_save(&f->io, a);
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), 0);
	assert_int_equal(k.base_address, IOAPIC_BASE);
	assert_int_equal(k.id, 2);
	assert_int_equal(k.ioregsel, 0x13);
	assert_int_equal(k.irr, (1u << 9) | (1u << 1));   /* 11 is active low */
	assert_int_equal(k.redirtbl[9].fields.remote_irr, 1);
	assert_int_equal(k.redirtbl[9].fields.vector, 0x39);
	assert_int_equal(k.redirtbl[9].fields.trig_mode, 1);
	assert_int_equal(k.redirtbl[1].fields.dest_id, 0x0f);
	assert_int_equal(k.redirtbl[1].fields.dest_mode, 1);
	assert_int_equal(k.redirtbl[11].fields.polarity, 1);
	assert_int_equal(k.redirtbl[11].fields.mask, 1);
	assert_int_equal(sc_kvm_ioapic_from_kvm(&k, IOAPIC_BASE, b), 0);
	assert_memory_equal(a, b, sizeof(*a));

	/* KVM -> libsplitchip -> KVM. */
	struct kvm_ioapic_state k2;
	k.redirtbl[20].bits = 0x45 | IOAPIC_REDIR_TRIGGER | IOAPIC_REDIR_REMOTE_IRR | (5ull << 56);
	k.irr |= 1u << 20;
	k.id = 9;
	assert_int_equal(sc_kvm_ioapic_from_kvm(&k, IOAPIC_BASE, b), 0);
	assert_int_equal(sc_kvm_ioapic_to_kvm(b, IOAPIC_BASE, &k2), 0);
	assert_memory_equal(&k, &k2, sizeof(k));
	free(a);
	free(b);
	free(f);
}

static void test_ioapic_restored_remote_irr_behaves_the_same(void **st)
{
	struct io_fx *f = calloc(1, sizeof(*f)), *g = calloc(1, sizeof(*g));
	struct sc_ioapic_state_v1 *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct kvm_ioapic_state k;
	(void)st;
	io_busy(f);
	sc_ioapic_save(&f->io, a);
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), 0);
	assert_int_equal(sc_kvm_ioapic_from_kvm(&k, IOAPIC_BASE, b), 0);
	io_init(g, IOAPIC_VERSION_82093AA, 24, false);
	assert_int_equal(sc_ioapic_restore(&g->io, b), 0);
	f->rec.n = g->rec.n = 0;
	/* Line still high: the EOI redelivers on both; nothing else does. */
	sc_ioapic_set_irq(&f->io, 9, true);
	sc_ioapic_set_irq(&g->io, 9, true);
	assert_int_equal(g->rec.n, 0);
	assert_true(sc_ioapic_eoi_wanted(&g->io, 0x39));
	sc_ioapic_eoi(&f->io, 0x39);
	sc_ioapic_eoi(&g->io, 0x39);
	assert_int_equal(f->rec.n, 1);
	assert_int_equal(g->rec.n, 1);
	assert_int_equal(f->rec.last.data, g->rec.last.data);
	assert_int_equal(f->rec.last.address, g->rec.last.address);
	/* Line low, EOI: remote IRR clears on both, no message. */
	sc_ioapic_set_irq(&f->io, 9, false);
	sc_ioapic_set_irq(&g->io, 9, false);
	sc_ioapic_eoi(&f->io, 0x39);
	sc_ioapic_eoi(&g->io, 0x39);
	assert_int_equal(g->rec.n, 1);
	assert_false(sc_ioapic_entry(&g->io, 9) & IOAPIC_REDIR_REMOTE_IRR);
	/* The edge pin 1 is high: only a new rising edge delivers. */
	sc_ioapic_set_irq(&g->io, 1, true);
	assert_int_equal(g->rec.n, 1);
	for (unsigned r = 0; r < 0x40; r++) {
		sc_ioapic_mmio_write(&f->io, IOAPIC_IOREGSEL, 1, r);
		sc_ioapic_mmio_write(&g->io, IOAPIC_IOREGSEL, 1, r);
		assert_int_equal(sc_ioapic_mmio_read(&f->io, IOAPIC_IOWIN, 4),
				 sc_ioapic_mmio_read(&g->io, IOAPIC_IOWIN, 4));
	}
	free(a);
	free(b);
	free(f);
	free(g);
}

static void test_ioapic_undelivered_level_pin_is_retriggered(void **st)
{
	struct io_fx *g = calloc(1, sizeof(*g));
	struct sc_ioapic_state_v1 *b = calloc(1, sizeof(*b));
	struct kvm_ioapic_state k;
	(void)st;
	memset(&k, 0, sizeof(k));
	k.base_address = IOAPIC_BASE;
	for (unsigned p = 0; p < 24; p++)
		k.redirtbl[p].bits = IOAPIC_REDIR_MASK;
	k.redirtbl[5].bits = 0x55 | IOAPIC_REDIR_TRIGGER;      /* asserted, no RIRR */
	k.irr = 1u << 5;
	assert_int_equal(sc_kvm_ioapic_from_kvm(&k, IOAPIC_BASE, b), 0);
	io_init(g, IOAPIC_VERSION_82093AA, 24, false);
	assert_int_equal(sc_ioapic_restore(&g->io, b), 0);
	assert_int_equal(g->rec.n, 0);
	assert_true(sc_ioapic_retrigger_pending(&g->io, 5));
	assert_int_equal(sc_ioapic_retrigger(&g->io), 1);
	assert_int_equal(g->rec.n, 1);
	assert_int_equal(g->rec.last.data & 0xff, 0x55);
	free(b);
	free(g);
}

static void test_ioapic_refuses_what_kvm_cannot_express(void **st)
{
	struct io_fx *f = calloc(1, sizeof(*f));
	struct sc_ioapic_state_v1 *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct kvm_ioapic_state k, k0, kk;
	(void)st;
	memset(&k0, 0x5a, sizeof(k0));
	k = k0;
	io_init(f, IOAPIC_VERSION_ICH, 24, false);      /* EOI register */
	sc_ioapic_save(&f->io, a);
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), -EINVAL);
	assert_memory_equal(&k, &k0, sizeof(k));
	io_init(f, IOAPIC_VERSION_82093AA, 48, false);  /* more than 24 pins */
	sc_ioapic_save(&f->io, a);
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), -EINVAL);
	io_init(f, IOAPIC_VERSION_82093AA, 16, false);
	sc_ioapic_save(&f->io, a);
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), -EINVAL);
	io_init(f, IOAPIC_VERSION_82093AA, 24, true);   /* extended destination */
	sc_ioapic_save(&f->io, a);
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), -EINVAL);
	io_busy(f);
	sc_ioapic_save(&f->io, a);
	a->arb_reg = 5u << 24;
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), -EINVAL);
	a->arb_reg = a->id_reg;
	a->pad1 = 1;
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), -EINVAL);
	a->pad1 = 0;
	assert_int_equal(sc_kvm_ioapic_to_kvm(a, IOAPIC_BASE, &k), 0);

	memset(b, 0x33, sizeof(*b));
	memcpy(a, b, sizeof(*a));
	assert_int_equal(sc_kvm_ioapic_from_kvm(&k, IOAPIC_BASE + 0x1000, b), -EINVAL);
	kk = k;
	kk.ioregsel = 0x100;
	assert_int_equal(sc_kvm_ioapic_from_kvm(&kk, IOAPIC_BASE, b), -EINVAL);
	kk = k;
	kk.id = 16;
	assert_int_equal(sc_kvm_ioapic_from_kvm(&kk, IOAPIC_BASE, b), -EINVAL);
	kk = k;
	kk.redirtbl[3].fields.delivery_status = 1;
	assert_int_equal(sc_kvm_ioapic_from_kvm(&kk, IOAPIC_BASE, b), -EINVAL);
	kk = k;
	kk.redirtbl[3].bits |= 1ull << 40;          /* reserved */
	assert_int_equal(sc_kvm_ioapic_from_kvm(&kk, IOAPIC_BASE, b), -EINVAL);
	kk = k;
	kk.redirtbl[4].fields.remote_irr = 1;       /* on an edge entry */
	assert_int_equal(sc_kvm_ioapic_from_kvm(&kk, IOAPIC_BASE, b), -EINVAL);
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
	free(f);
}

/* ================================================================ PIT */

struct rises {
	struct sc_pit *pit;
	struct sc_fake_clock *fc;
	bool level;
	unsigned n;
	uint64_t t[32];
};

static void rise_set(void *opaque, bool level)
{
	struct rises *r = opaque;
	if (level && !r->level) {
		if (r->n < 32)
			r->t[r->n] = r->fc->now;
		r->n++;
		sc_tick_ack(sc_pit_tick(r->pit));
	}
	r->level = level;
}

struct pit_fx {
	struct sc_fake_clock fc;
	struct sc_pit pit;
	struct rises rec;
};

static void pit_fx_init(struct pit_fx *f, uint64_t now)
{
	memset(f, 0, sizeof(*f));
	sc_fake_clock_init(&f->fc, now);
	f->rec.pit = &f->pit;
	f->rec.fc = &f->fc;
	struct sc_line l = { rise_set, &f->rec };
	sc_pit_init(&f->pit, &f->fc.clock, &l, NULL);
}

static void pw(struct pit_fx *f, uint16_t port, uint8_t v)
{
	sc_pit_ioport_write(&f->pit, port, v);
}

static uint8_t pr(struct pit_fx *f, uint16_t port)
{
	return sc_pit_ioport_read(&f->pit, port);
}

static void pit_cw(struct pit_fx *f, unsigned c, unsigned rw, unsigned m)
{
	pw(f, PIT_PORT_CONTROL, (uint8_t)(c << 6 | rw << 4 | m << 1));
}

static void pit_count16(struct pit_fx *f, unsigned c, uint16_t v)
{
	pw(f, (uint16_t)(PIT_PORT_COUNTER0 + c), (uint8_t)v);
	pw(f, (uint16_t)(PIT_PORT_COUNTER0 + c), (uint8_t)(v >> 8));
}

static uint16_t pit_latch16(struct pit_fx *f, unsigned c)
{
	pw(f, PIT_PORT_CONTROL, (uint8_t)(c << 6));
	uint16_t lo = pr(f, (uint16_t)(PIT_PORT_COUNTER0 + c));
	return (uint16_t)(lo | pr(f, (uint16_t)(PIT_PORT_COUNTER0 + c)) << 8);
}

/* Save @f, convert to KVM and back at the current time, restore into @g. */
static void pit_move(struct pit_fx *f, struct pit_fx *g, struct kvm_pit_state2 *k)
{
	struct sc_pit_state_v1 s, r;
	struct sc_kvm_timebase t = tb_at(f->fc.now);
	bool legacy = true;

	sc_pit_save(&f->pit, &s);
	assert_int_equal(sc_kvm_pit_to_kvm(&s, &t, false, k), 0);
	assert_int_equal(sc_kvm_pit_from_kvm(k, &t, SC_TICK_DISCARD, &r, &legacy), 0);
	assert_false(legacy);
	pit_fx_init(g, f->fc.now);
	assert_int_equal(sc_pit_restore(&g->pit, &r), 0);
}

/* Advance both by @step ns @n times; counters, OUT2 and IRQ0 agree throughout. */
static void pit_same_behaviour(struct pit_fx *f, struct pit_fx *g, uint64_t step, unsigned n)
{
	unsigned f0 = f->rec.n, g0 = g->rec.n;
	for (unsigned i = 0; i < n; i++) {
		sc_fake_clock_advance(&f->fc, step);
		sc_fake_clock_advance(&g->fc, step);
		for (unsigned c = 0; c < 3; c++)
			assert_int_equal(pit_latch16(f, c), pit_latch16(g, c));
		assert_int_equal(pr(f, PIT_PORT_B), pr(g, PIT_PORT_B));
		assert_int_equal(f->rec.n - f0, g->rec.n - g0);
	}
	for (unsigned i = 0; i < f->rec.n - f0 && f0 + i < 32 && g0 + i < 32; i++)
		assert_int_equal(f->rec.t[f0 + i], g->rec.t[g0 + i]);
}

static void test_pit_periodic_counter_reads_the_same_after_kvm_round_trip(void **st)
{
	struct pit_fx *f = calloc(1, sizeof(*f)), *g = calloc(1, sizeof(*g));
	struct kvm_pit_state2 k;
	(void)st;
	pit_fx_init(f, edge_ns(E0));
	pit_cw(f, 0, PIT_CW_RW_WORD, 2);        /* Linux's PIT tick: mode 2, HZ 1000 */
	pit_count16(f, 0, 1193);
	pw(f, PIT_PORT_B, PORT61_GATE2);
	pit_cw(f, 2, PIT_CW_RW_WORD, 0);        /* TSC calibration: mode 0 on counter 2 */
	pit_count16(f, 2, 0xffff);
	sc_fake_clock_advance(&f->fc, 3456789);
	uint16_t c0 = pit_latch16(f, 0), c2 = pit_latch16(f, 2);

	pit_move(f, g, &k);
	assert_int_equal(k.channels[0].count, 1193);
	assert_int_equal(k.channels[0].mode, 2);
	assert_int_equal(k.channels[0].rw_mode, PIT_CW_RW_WORD);
	assert_int_equal(k.channels[0].read_state, SC_KVM_PIT_RW_WORD0);
	assert_int_equal(k.channels[2].count, 0xffff);
	assert_int_equal(k.channels[2].gate, 1);
	assert_int_equal(k.channels[1].mode, SC_KVM_PIT_MODE_RESET);
	/* KVM's view: count minus the clocks since count_load_time. */
	int64_t ago = (int64_t)f->fc.now + HOST_OFFSET - k.channels[0].count_load_time;
	uint64_t d = sc_muldiv64((uint64_t)ago, F, 1000000000ull);
	assert_int_equal(1193 - d % 1193, c0);
	assert_int_equal(pit_latch16(g, 0), c0);
	assert_int_equal(pit_latch16(g, 2), c2);
	pit_same_behaviour(f, g, 333333, 40);
	assert_true(g->rec.n >= 12);
	free(f);
	free(g);
}

static void test_pit_square_wave_phase_and_held_gate_survive(void **st)
{
	struct pit_fx *f = calloc(1, sizeof(*f)), *g = calloc(1, sizeof(*g));
	struct kvm_pit_state2 k;
	(void)st;
	pit_fx_init(f, edge_ns(E0));
	pit_cw(f, 0, PIT_CW_RW_WORD, 3);        /* mode 3, odd count */
	pit_count16(f, 0, 4001);
	pw(f, PIT_PORT_B, PORT61_GATE2 | PORT61_SPKR_DATA);
	pit_cw(f, 2, PIT_CW_RW_WORD, 3);        /* a beep */
	pit_count16(f, 2, 1355);
	sc_fake_clock_advance(&f->fc, 1000000);
	/* A new count in mode 3 at the end of the half-cycle: a phase. */
	pit_count16(f, 0, 3001);
	sc_fake_clock_advance(&f->fc, 3000000);
	pw(f, PIT_PORT_B, PORT61_SPKR_DATA);     /* gate 2 low: counter 2 held */
	sc_fake_clock_advance(&f->fc, 777777);

	pit_move(f, g, &k);
	assert_int_equal(k.channels[0].count, 3001);
	assert_int_equal(k.channels[2].gate, 0);
	assert_int_equal(k.flags, KVM_PIT_FLAGS_SPEAKER_DATA_ON);
	pit_same_behaviour(f, g, 250000, 40);
	/* Gate 2 high again: both restart counter 2 the same way. */
	pw(f, PIT_PORT_B, PORT61_GATE2);
	pw(g, PIT_PORT_B, PORT61_GATE2);
	pit_same_behaviour(f, g, 100000, 10);
	free(f);
	free(g);
}

static void test_pit_oneshot_irq0_fires_once_at_the_same_time(void **st)
{
	struct pit_fx *f = calloc(1, sizeof(*f)), *g = calloc(1, sizeof(*g));
	struct kvm_pit_state2 k;
	(void)st;
	pit_fx_init(f, edge_ns(E0));
	pit_cw(f, 0, PIT_CW_RW_WORD, 0);        /* mode 0: IRQ0 at terminal count */
	pit_count16(f, 0, 50000);
	sc_fake_clock_advance(&f->fc, 20000000);
	pit_move(f, g, &k);
	assert_int_equal(g->rec.n, 0);
	pit_same_behaviour(f, g, 5000000, 10);
	assert_int_equal(f->rec.n, 1);
	assert_int_equal(g->rec.n, 1);
	/* Long past terminal count: OUT0 stays high, nothing more fires. */
	struct pit_fx *h = calloc(1, sizeof(*h));
	pit_move(f, h, &k);
	assert_true(h->rec.level == false);     /* restore takes the level over silently */
	assert_true(sc_pit_get_out(&h->pit, 0));
	pit_same_behaviour(f, h, 5000000, 4);
	assert_int_equal(h->rec.n, 0);
	free(f);
	free(g);
	free(h);
}

static void test_pit_latched_word_read_half_way_survives(void **st)
{
	struct pit_fx *f = calloc(1, sizeof(*f)), *g = calloc(1, sizeof(*g));
	struct kvm_pit_state2 k;
	(void)st;
	pit_fx_init(f, edge_ns(E0));
	pit_cw(f, 1, PIT_CW_RW_WORD, 2);
	pit_count16(f, 1, 18);                  /* refresh counter */
	pit_cw(f, 0, PIT_CW_RW_WORD, 2);
	pit_count16(f, 0, 0);                   /* 65536 */
	sc_fake_clock_advance(&f->fc, 12345678);
	pw(f, PIT_PORT_CONTROL, 0x00);          /* latch counter 0 */
	uint8_t lo = pr(f, PIT_PORT_COUNTER0);
	pw(f, PIT_PORT_CONTROL, 0xe2);          /* read-back: latch status of counter 0 */
	sc_fake_clock_advance(&f->fc, 1000);
	pit_move(f, g, &k);
	assert_int_equal(k.channels[0].count, 65536);
	assert_int_equal(k.channels[0].count_latched, SC_KVM_PIT_RW_MSB);
	assert_int_equal(k.channels[0].status_latched, 1);
	assert_int_equal(pr(g, PIT_PORT_COUNTER0), pr(f, PIT_PORT_COUNTER0)); /* status */
	uint8_t hi = pr(g, PIT_PORT_COUNTER0);
	assert_int_equal(hi, pr(f, PIT_PORT_COUNTER0));
	(void)lo;
	pit_same_behaviour(f, g, 1000000, 5);
	free(f);
	free(g);
}

static void test_pit_canonical_states_round_trip_identically(void **st)
{
	struct kvm_pit_state2 k, k2;
	struct sc_pit_state_v1 a, b;
	struct sc_kvm_timebase t = tb_at(edge_ns(E0) + 5555555);
	struct sc_kvm_timebase later = tb_at(t.virt_ns + 987654);
	bool legacy = false;
	(void)st;
	memset(&k, 0, sizeof(k));
	/* On-grid load times: what sc_kvm_pit_to_kvm produces. */
	k.channels[0] = (struct kvm_pit_channel_state){
		.count = 11932, .rw_mode = 3, .read_state = 3, .write_state = 4,
		.write_latch = 0x9c, .mode = 2, .gate = 1,
		.count_load_time = (int64_t)edge_ns(E0 + 100) + HOST_OFFSET,
	};
	k.channels[1] = (struct kvm_pit_channel_state){
		.count = 65536, .mode = SC_KVM_PIT_MODE_RESET, .gate = 1,
		.count_load_time = t.host_ns,
	};
	k.channels[2] = (struct kvm_pit_channel_state){
		.count = 0x1234, .latched_count = 0x1111, .count_latched = 1,
		.status_latched = 1, .status = 0xb1, .rw_mode = 1, .read_state = 1,
		.write_state = 1, .mode = 4, .bcd = 1, .gate = 1,
		.count_load_time = (int64_t)edge_ns(E0 + 4000) + HOST_OFFSET,
	};
	k.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	assert_int_equal(sc_kvm_pit_from_kvm(&k, &t, SC_TICK_DELAY, &a, &legacy), 0);
	assert_true(legacy);
	assert_int_equal(a.tick.policy, SC_TICK_DELAY);
	assert_int_equal(sc_kvm_pit_to_kvm(&a, &t, true, &k2), 0);
	assert_memory_equal(&k, &k2, sizeof(k));
	/* libsplitchip -> KVM -> libsplitchip, also at a later instant. */
	assert_int_equal(sc_kvm_pit_from_kvm(&k2, &t, SC_TICK_DELAY, &b, NULL), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(sc_kvm_pit_to_kvm(&a, &later, true, &k2), 0);
	k2.channels[1].count_load_time = t.host_ns;     /* reset channel: no time */
	assert_memory_equal(&k, &k2, sizeof(k));

	/* Off the grid: snapped down to the clock edge, less than one clock. */
	k.channels[0].count_load_time += 500;
	assert_int_equal(sc_kvm_pit_from_kvm(&k, &t, SC_TICK_DELAY, &a, NULL), 0);
	assert_int_equal(sc_kvm_pit_to_kvm(&a, &t, true, &k2), 0);
	assert_true(k2.channels[0].count_load_time <= k.channels[0].count_load_time);
	assert_true(k.channels[0].count_load_time - k2.channels[0].count_load_time < 839);
}

static void test_pit_refuses_what_kvm_cannot_express(void **st)
{
	struct pit_fx *f = calloc(1, sizeof(*f));
	struct sc_pit_state_v1 s, bad;
	struct kvm_pit_state2 k, k0;
	(void)st;
	memset(&k0, 0x5a, sizeof(k0));
	k = k0;
	pit_fx_init(f, edge_ns(E0) + 10);
	struct sc_kvm_timebase t = tb_at(f->fc.now);

	pit_cw(f, 0, PIT_CW_RW_WORD, 2);        /* control word, no count yet */
	sc_pit_save(&f->pit, &s);
	assert_int_equal(sc_kvm_pit_to_kvm(&s, &t, false, &k), -EINVAL);
	pit_count16(f, 0, 1000);                /* load pending until the next edge */
	sc_pit_save(&f->pit, &s);
	assert_int_equal(sc_kvm_pit_to_kvm(&s, &t, false, &k), -EINVAL);
	assert_memory_equal(&k, &k0, sizeof(k));
	t = tb_at(edge_ns(E0 + 1));             /* one clock later it is loaded */
	assert_int_equal(sc_kvm_pit_to_kvm(&s, &t, false, &k), 0);
	sc_fake_clock_advance(&f->fc, 100000);
	pit_count16(f, 0, 2000);                /* mode 2: waits for the reload */
	t = tb_at(f->fc.now);
	sc_pit_save(&f->pit, &s);
	assert_int_equal(sc_kvm_pit_to_kvm(&s, &t, false, &k), -EINVAL);
	t = tb_at(f->fc.now + 900000);          /* after the reload: fine */
	assert_int_equal(sc_kvm_pit_to_kvm(&s, &t, false, &k), 0);
	bad = s;
	bad.tick.backlog = 1;
	bad.tick.policy = SC_TICK_DELAY;
	assert_int_equal(sc_pit_validate(&bad), 0);
	assert_int_equal(sc_kvm_pit_to_kvm(&bad, &t, false, &k), -EINVAL);
	bad = s;
	bad.port61 |= 0x04;                     /* parity check enable */
	assert_int_equal(sc_kvm_pit_to_kvm(&bad, &t, false, &k), -EINVAL);
	bad = s;
	bad.ch[1].write_msb = 1;
	bad.ch[1].rw = PIT_CW_RW_LSB;
	assert_int_equal(sc_kvm_pit_to_kvm(&bad, &t, false, &k), -EINVAL);
	bad = s;
	bad.version = 0;
	assert_int_equal(sc_kvm_pit_to_kvm(&bad, &t, false, &k), -EINVAL);
	/* Mode 1 on counter 2: the count waits for a GATE trigger. */
	pit_cw(f, 2, PIT_CW_RW_WORD, 1);
	pit_count16(f, 2, 100);
	sc_pit_save(&f->pit, &s);
	t = tb_at(f->fc.now + 1000000);
	assert_int_equal(sc_kvm_pit_to_kvm(&s, &t, false, &k), -EINVAL);

	/* From KVM. */
	struct sc_pit_state_v1 out, out0;
	struct kvm_pit_state2 kk;
	memset(&out0, 0x33, sizeof(out0));
	out = out0;
	pw(f, PIT_PORT_B, PORT61_GATE2);
	sc_fake_clock_advance(&f->fc, 1000000);
	t = tb_at(f->fc.now);
	sc_pit_save(&f->pit, &s);
	assert_int_equal(sc_kvm_pit_to_kvm(&s, &t, false, &k), 0);
	assert_int_equal(sc_kvm_pit_from_kvm(&k, &t, SC_TICK_DISCARD, &out, NULL), 0);
	out = out0;
	kk = k;
	kk.channels[0].mode = 6;
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.channels[0].count = 0;
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.channels[0].count = 65537;
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.channels[0].rw_mode = 0;
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;                                 /* latch after a live LSB read */
	kk.channels[0].read_state = SC_KVM_PIT_RW_WORD1;
	kk.channels[0].count_latched = SC_KVM_PIT_RW_WORD0;
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.channels[0].count_latched = SC_KVM_PIT_RW_LSB;      /* rw_mode is word */
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.channels[0].count_load_time = t.host_ns + 1;        /* in the future */
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.channels[0].gate = 0;                /* counter 0's gate is tied high */
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.channels[1].mode = SC_KVM_PIT_MODE_RESET;
	kk.channels[1].rw_mode = 3;
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.reserved[3] = 1;
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	kk = k;
	kk.flags = 0x4;
	assert_int_equal(sc_kvm_pit_from_kvm(&kk, &t, SC_TICK_DISCARD, &out, NULL), -EINVAL);
	assert_int_equal(sc_kvm_pit_from_kvm(&k, &t, (enum sc_tick_policy)9, &out, NULL), -EINVAL);
	assert_memory_equal(&out, &out0, sizeof(out));
	free(f);
}

static void test_version(void **st)
{
	(void)st;
	assert_int_equal(sc_kvm_version(), SC_KVM_VERSION_MAJOR << 16 | SC_KVM_VERSION_MINOR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pic_reset_round_trips_identically),
		cmocka_unit_test(test_pic_pending_and_in_service_round_trip_identically),
		cmocka_unit_test(test_pic_kvm_round_trip_identically),
		cmocka_unit_test(test_pic_restored_from_kvm_struct_behaves_the_same),
		cmocka_unit_test(test_pic_refuses_what_kvm_cannot_express),
		cmocka_unit_test(test_ioapic_remote_irr_round_trips_identically),
		cmocka_unit_test(test_ioapic_restored_remote_irr_behaves_the_same),
		cmocka_unit_test(test_ioapic_undelivered_level_pin_is_retriggered),
		cmocka_unit_test(test_ioapic_refuses_what_kvm_cannot_express),
		cmocka_unit_test(test_pit_periodic_counter_reads_the_same_after_kvm_round_trip),
		cmocka_unit_test(test_pit_square_wave_phase_and_held_gate_survive),
		cmocka_unit_test(test_pit_oneshot_irq0_fires_once_at_the_same_time),
		cmocka_unit_test(test_pit_latched_word_read_half_way_survives),
		cmocka_unit_test(test_pit_canonical_states_round_trip_identically),
		cmocka_unit_test(test_pit_refuses_what_kvm_cannot_express),
		cmocka_unit_test(test_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
