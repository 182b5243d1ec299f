/* SPDX-License-Identifier: MIT */
/*
 * Board tests: PC wiring, GSI router wired-OR, port/MMIO dispatch, route
 * mirroring, the EOI path and tick acknowledgement, on the fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <splitchip/board.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IOAPIC0 SC_BOARD_IOAPIC_BASE

struct env {
	struct sc_fake_clock clk;
	struct sc_board b;
	unsigned n_msi;
	struct sc_msi msi[4096];
	bool intr;
	unsigned intr_changes;
	unsigned n_route;
	unsigned routes_done;
	struct sc_board_route last_route[256];
	bool route_seen[256];
	unsigned gsi_eoi[256];
	bool gsi_line[256];
	unsigned gsi_line_calls;
};

static void on_msi(void *o, const struct sc_msi *m)
{
	struct env *e = o;
	if (e->n_msi < 4096)
		e->msi[e->n_msi] = *m;
	e->n_msi++;
}

static void on_intr(void *o, bool level)
{
	struct env *e = o;
	e->intr = level;
	e->intr_changes++;
}

static void on_route(void *o, unsigned gsi, const struct sc_msi *m, bool masked, bool eoi_exit)
{
	struct env *e = o;
	e->n_route++;
	if (gsi < 256) {
		e->last_route[gsi] = (struct sc_board_route){ gsi, *m, masked, eoi_exit };
		e->route_seen[gsi] = true;
	}
}

static void on_routes_done(void *o)
{
	((struct env *)o)->routes_done++;
}

static void on_gsi_eoi(void *o, unsigned gsi)
{
	struct env *e = o;
	if (gsi < 256)
		e->gsi_eoi[gsi]++;
}

static void on_gsi_line(void *o, unsigned gsi, bool level)
{
	struct env *e = o;
	e->gsi_line_calls++;
	if (gsi < 256)
		e->gsi_line[gsi] = level;
}

static uint64_t wall(void *o)
{
	(void)o;
	return 1700000000ull * SC_NSEC_PER_SEC;
}

static struct env *env_new(const struct sc_board_config *over)
{
	struct env *e = calloc(1, sizeof(*e));
	sc_fake_clock_init(&e->clk, 0);
	struct sc_board_config c = { .wall_ns = wall, .eoi_ack = true,
				     .pit_policy = SC_TICK_DELAY,
				     .hpet_policy = SC_TICK_DELAY };
	if (over) {
		c = *over;
		c.wall_ns = wall;
	}
	struct sc_board_ops ops = {
		.msi = on_msi, .pic_intr = on_intr, .route = on_route,
		.routes_done = on_routes_done, .gsi_eoi = on_gsi_eoi,
		.gsi_line = on_gsi_line, .opaque = e,
	};
	assert_int_equal(sc_board_init(&e->b, &e->clk.clock, &c, &ops, NULL), 0);
	return e;
}

static void env_free(struct env *e)
{
	sc_board_destroy(&e->b);
	free(e);
}

static void outb(struct env *e, uint16_t port, uint8_t v)
{
	assert_true(sc_board_pio_write(&e->b, port, 1, v));
}

static uint8_t inb(struct env *e, uint16_t port)
{
	uint32_t v = 0;
	assert_true(sc_board_pio_read(&e->b, port, 1, &v));
	return (uint8_t)v;
}

static void pic_setup(struct env *e, uint8_t master_mask, uint8_t slave_mask)
{
	outb(e, 0x20, 0x11); outb(e, 0x21, 0x20); outb(e, 0x21, 0x04); outb(e, 0x21, 0x01);
	outb(e, 0xa0, 0x11); outb(e, 0xa1, 0x28); outb(e, 0xa1, 0x02); outb(e, 0xa1, 0x01);
	outb(e, 0x21, master_mask);
	outb(e, 0xa1, slave_mask);
}

static void ioapic_write(struct env *e, unsigned io, uint32_t reg, uint32_t val)
{
	uint64_t base = IOAPIC0 + io * SC_BOARD_IOAPIC_STRIDE;
	assert_true(sc_board_mmio_write(&e->b, base + IOAPIC_IOREGSEL, 4, reg));
	assert_true(sc_board_mmio_write(&e->b, base + IOAPIC_IOWIN, 4, val));
}

static uint32_t ioapic_read(struct env *e, unsigned io, uint32_t reg)
{
	uint64_t base = IOAPIC0 + io * SC_BOARD_IOAPIC_STRIDE, v = 0;
	assert_true(sc_board_mmio_write(&e->b, base + IOAPIC_IOREGSEL, 4, reg));
	assert_true(sc_board_mmio_read(&e->b, base + IOAPIC_IOWIN, 4, &v));
	return (uint32_t)v;
}

static void redir(struct env *e, unsigned io, unsigned pin, uint32_t low, uint8_t dest)
{
	ioapic_write(e, io, IOAPIC_REG_REDTBL + 2 * pin + 1, (uint32_t)dest << 24);
	ioapic_write(e, io, IOAPIC_REG_REDTBL + 2 * pin, low);
}

#define LEVEL ((uint32_t)IOAPIC_REDIR_TRIGGER)
#define MASKED ((uint32_t)IOAPIC_REDIR_MASK)

static uint8_t vec(const struct sc_msi *m) { return (uint8_t)(m->data & 0xff); }

/* ---------------------------------------------------------------- */

static void test_init_rejects_bad_config(void **st)
{
	struct sc_fake_clock clk;
	struct sc_board *b = calloc(1, sizeof(*b));
	sc_fake_clock_init(&clk, 0);
	struct sc_board_config c = { .wall_ns = wall, .ioapics = 9 };
	assert_int_equal(sc_board_init(b, &clk.clock, &c, NULL, NULL), -EINVAL);
	c = (struct sc_board_config){ .ioapics = 1 };   /* no wall clock */
	assert_int_equal(sc_board_init(b, &clk.clock, &c, NULL, NULL), -EINVAL);
	c = (struct sc_board_config){ .wall_ns = wall, .pit_policy = 7 };
	assert_int_equal(sc_board_init(b, &clk.clock, &c, NULL, NULL), -EINVAL);
	c = (struct sc_board_config){ .wall_ns = wall, .ioapic_pins = 8 };
	assert_int_equal(sc_board_init(b, &clk.clock, &c, NULL, NULL), -EINVAL);
	free(b);
}

static void test_isa_irq_reaches_pic_and_ioapic(void **st)
{
	struct env *e = env_new(NULL);
	pic_setup(e, 0x00, 0x00);
	redir(e, 0, 1, 0x41, 0);
	assert_int_equal(sc_board_set_isa_irq(&e->b, 1, SC_SRC_USER, true), 0);
	/* PIC: IRR bit 1 (OCW3 read IRR) and INT high. */
	outb(e, 0x20, 0x0a);
	assert_int_equal(inb(e, 0x20) & 0x02, 0x02);
	assert_true(e->intr);
	assert_true(sc_board_pic_intr(&e->b));
	/* IOAPIC pin 1: one edge message with vector 0x41. */
	assert_int_equal(e->n_msi, 1);
	assert_int_equal(vec(&e->msi[0]), 0x41);
	assert_int_equal(sc_board_pic_inta(&e->b), 0x21);
	env_free(e);
}

static void test_irq0_goes_to_ioapic_pin2(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 2, 0x30, 0);
	redir(e, 0, 0, 0x50, 0);
	sc_board_set_isa_irq(&e->b, 0, SC_SRC_USER, true);
	assert_int_equal(e->n_msi, 1);
	assert_int_equal(vec(&e->msi[0]), 0x30);
	assert_int_equal(e->b.stats.gsi_raised[2], 1);
	assert_int_equal(e->b.stats.gsi_raised[0], 0);
	/* ISA IRQ2 is the cascade: not a device line. */
	assert_int_equal(sc_board_set_isa_irq(&e->b, 2, SC_SRC_USER, true), -EINVAL);
	assert_int_equal(sc_board_set_isa_irq(&e->b, 16, SC_SRC_USER, true), -EINVAL);
	assert_int_equal(sc_board_set_isa_irq(&e->b, 3, SC_SRC_MAX, true), -EINVAL);
	env_free(e);
}

static void test_shared_level_line_is_wired_or(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 10, LEVEL | 0x61, 0);
	sc_board_set_gsi(&e->b, 10, SC_SRC_USER, true);
	sc_board_set_gsi(&e->b, 10, SC_SRC_USER + 1, true);
	assert_int_equal(e->n_msi, 1);
	assert_true(ioapic_read(e, 0, IOAPIC_REG_REDTBL + 20) & IOAPIC_REDIR_REMOTE_IRR);
	/* One source lets go: the line stays high, EOI redelivers. */
	sc_board_set_gsi(&e->b, 10, SC_SRC_USER, false);
	sc_board_eoi(&e->b, 0x61);
	assert_int_equal(e->n_msi, 2);
	assert_int_equal(e->gsi_eoi[10], 1);
	/* The other one too: EOI clears remote IRR and nothing follows. */
	sc_board_set_gsi(&e->b, 10, SC_SRC_USER + 1, false);
	sc_board_eoi(&e->b, 0x61);
	assert_int_equal(e->n_msi, 2);
	assert_false(ioapic_read(e, 0, IOAPIC_REG_REDTBL + 20) & IOAPIC_REDIR_REMOTE_IRR);
	/* Lowering an already-low source changes nothing. */
	sc_board_set_gsi(&e->b, 10, SC_SRC_USER + 1, false);
	assert_int_equal(e->b.stats.gsi_raised[10], 1);
	assert_int_equal(sc_board_set_gsi(&e->b, 24, SC_SRC_USER, true), -EINVAL);
	env_free(e);
}

static void test_pci_intx_swizzle(void **st)
{
	assert_int_equal(sc_board_pci_intx_gsi(0, 0, 0), 16);
	assert_int_equal(sc_board_pci_intx_gsi(0, 1, 0), 17);
	assert_int_equal(sc_board_pci_intx_gsi(0, 3, 1), 16);
	assert_int_equal(sc_board_pci_intx_gsi(1, 0, 2), 22);
	struct env *e = env_new(NULL);
	assert_int_equal(sc_board_attach_pci_intx(&e->b, 0, 1, 0), 0);
	redir(e, 0, 17, LEVEL | IOAPIC_REDIR_INTPOL | 0x70, 0);
	/* Active low: the wire idles high (deasserted), so programming the
	 * entry delivers nothing; asserting pulls it low. */
	assert_int_equal(e->n_msi, 0);
	sc_board_set_pci_intx(&e->b, 0, 1, 0, SC_SRC_PCI, true);
	assert_int_equal(e->n_msi, 1);
	assert_int_equal(vec(&e->msi[0]), 0x70);
	sc_board_set_pci_intx(&e->b, 0, 1, 0, SC_SRC_PCI, false);
	sc_board_eoi(&e->b, 0x70);
	assert_int_equal(e->n_msi, 1);
	assert_int_equal(sc_board_set_pci_intx(&e->b, 0, 1, 4, SC_SRC_PCI, true), -EINVAL);
	assert_int_equal(sc_board_attach_pci_intx(&e->b, 0, 1, 4), -EINVAL);
	/* A GSI without a PCI device is an active-high wire (HPET routes). */
	redir(e, 0, 20, 0x74, 0);
	sc_board_set_gsi(&e->b, 20, SC_SRC_HPET, true);
	assert_int_equal(e->n_msi, 2);
	assert_int_equal(vec(&e->msi[1]), 0x74);
	assert_int_equal(sc_board_set_pci_intx(&e->b, 0, 32, 0, SC_SRC_PCI, true), -EINVAL);
	env_free(e);
}

static void test_routes_mirror_every_entry(void **st)
{
	struct env *e = env_new(NULL);
	memset(e->route_seen, 0, sizeof(e->route_seen));
	unsigned done = e->routes_done;
	redir(e, 0, 5, MASKED | 0x45, 3);
	assert_true(e->route_seen[5]);
	assert_true(e->last_route[5].masked);
	assert_false(e->last_route[5].eoi_exit);
	assert_int_equal(e->last_route[5].msg.address, 0xfee00000u | (3u << 12));
	assert_true(e->routes_done > done);
	redir(e, 0, 6, LEVEL | 0x46, 0);
	assert_true(e->last_route[6].eoi_exit);
	assert_true(e->last_route[6].msg.data & SC_MSI_DATA_TRIGGER_LEVEL);
	/* Timer pins ask for EOI exits with eoi_ack, although edge. */
	redir(e, 0, 2, 0x30, 0);
	assert_true(e->last_route[2].eoi_exit);
	assert_false(e->last_route[2].msg.data & SC_MSI_DATA_TRIGGER_LEVEL);
	/* GSI 8 carries the RTC (acked by register C): no EOI exits, until
	 * HPET legacy replacement puts timer 1's ticks on it. */
	redir(e, 0, 8, 0x38, 0);
	assert_false(e->last_route[8].eoi_exit);
	unsigned n8 = e->n_route;
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x010, 8, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	assert_true(e->n_route > n8);
	assert_true(e->last_route[8].eoi_exit);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x010, 8, HPET_ENABLE_CNF);
	assert_false(e->last_route[8].eoi_exit);
	/* sync_routes pushes all 24. */
	memset(e->route_seen, 0, sizeof(e->route_seen));
	sc_board_sync_routes(&e->b);
	for (unsigned g = 0; g < 24; g++)
		assert_true(e->route_seen[g]);
	env_free(e);
}

static void test_second_ioapic(void **st)
{
	struct sc_board_config c = { .ioapics = 2 };
	struct env *e = env_new(&c);
	assert_int_equal(e->b.nr_gsis, 48);
	redir(e, 1, 6, 0x66, 1);
	assert_true(e->route_seen[30]);
	assert_int_equal(e->n_msi, 0);
	sc_board_set_gsi(&e->b, 30, SC_SRC_USER, true);
	assert_int_equal(e->n_msi, 1);
	assert_int_equal(vec(&e->msi[0]), 0x66);
	/* The second IOAPIC answers at 0xfec01000 with its own ID. */
	assert_int_equal((ioapic_read(e, 1, IOAPIC_REG_ID) >> 24) & 0xf, 1);
	unsigned io, pin;
	assert_int_equal(sc_board_gsi_to_pin(&e->b, 30, &io, &pin), 0);
	assert_int_equal(io, 1);
	assert_int_equal(pin, 6);
	uint64_t v;
	assert_false(sc_board_mmio_read(&e->b, IOAPIC0 + 2 * SC_BOARD_IOAPIC_STRIDE, 4, &v));
	env_free(e);
}

static void test_eoi_for_unwanted_vector_does_nothing(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 9, 0x59, 0);          /* edge */
	sc_board_set_gsi(&e->b, 9, SC_SRC_USER, true);
	assert_int_equal(e->n_msi, 1);
	for (unsigned v = 0; v < 256; v++)
		sc_board_eoi(&e->b, (uint8_t)v);
	assert_int_equal(e->n_msi, 1);
	assert_int_equal(e->gsi_eoi[9], 0);
	env_free(e);
}

static void pit_program_mode2(struct env *e, uint16_t count)
{
	outb(e, 0x43, 0x34);
	outb(e, 0x40, (uint8_t)count);
	outb(e, 0x40, (uint8_t)(count >> 8));
}

/* 1193 clocks = 999.8 us */
#define PIT_1KHZ 1193
#define PIT_PERIOD_NS 999847ull

static void test_pit_tick_acked_by_ioapic_eoi(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 2, 0x30, 0);
	pit_program_mode2(e, PIT_1KHZ);
	sc_fake_clock_advance(&e->clk, 1500000);
	assert_int_equal(e->n_msi, 1);
	/* No EOI: the next ticks are owed (delay policy), not sent. */
	sc_fake_clock_advance(&e->clk, 5 * PIT_PERIOD_NS);
	assert_int_equal(e->n_msi, 1);
	/* Each EOI of vector 0x30 releases one owed tick. */
	sc_board_eoi(&e->b, 0x30);
	assert_int_equal(e->n_msi, 2);
	for (int i = 0; i < 10; i++)
		sc_board_eoi(&e->b, 0x30);
	struct sc_tick_stats st_;
	assert_int_equal(sc_board_tick_stats(&e->b, 0, &st_), 0);
	/* 6 boundaries passed (at ~1, 2, .. 6 ms): all delivered, none lost. */
	assert_int_equal(st_.delivered, 6);
	assert_int_equal(st_.dropped, 0);
	assert_int_equal(e->n_msi, 6);
	assert_int_equal(e->b.stats.tick_acks_eoi, 6);
	env_free(e);
}

static void test_pit_tick_auto_acked_without_path(void **st)
{
	struct env *e = env_new(NULL);
	pic_setup(e, 0xff, 0xff);         /* PIC IRQ0 masked, pin 2 masked */
	pit_program_mode2(e, PIT_1KHZ);
	sc_fake_clock_advance(&e->clk, 10 * PIT_PERIOD_NS + 1000);
	struct sc_tick_stats s;
	sc_board_tick_stats(&e->b, 0, &s);
	assert_int_equal(s.delivered, 10);
	assert_int_equal(e->b.stats.tick_acks_auto, 10);
	assert_int_equal(e->n_msi, 0);
	env_free(e);
}

static void test_pit_tick_acked_by_pic_inta(void **st)
{
	struct env *e = env_new(NULL);
	pic_setup(e, 0xfe, 0xff);         /* only IRQ0 */
	pit_program_mode2(e, PIT_1KHZ);
	sc_fake_clock_advance(&e->clk, 3 * PIT_PERIOD_NS + 1000);
	assert_true(e->intr);
	struct sc_tick_stats s;
	sc_board_tick_stats(&e->b, 0, &s);
	assert_int_equal(s.delivered, 1);     /* waiting for the INTA */
	unsigned n = 0;
	while (sc_board_pic_intr(&e->b) && n < 10) {
		assert_int_equal(sc_board_pic_inta(&e->b), 0x20);
		outb(e, 0x20, 0x20);              /* non-specific EOI */
		n++;
	}
	sc_board_tick_stats(&e->b, 0, &s);
	assert_int_equal(n, 3);
	assert_int_equal(s.delivered, 3);
	assert_int_equal(e->b.stats.tick_acks_inta, 3);
	env_free(e);
}

static void test_rtc_on_irq8_and_cmos_ports(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 8, 0x38, 0);
	/* Register B: PIE; register A: 1024 Hz (RS = 6). */
	outb(e, 0x70, 0x0a); outb(e, 0x71, 0x26);
	outb(e, 0x70, 0x0b); outb(e, 0x71, 0x42);
	sc_fake_clock_advance(&e->clk, 1000000);
	assert_int_equal(e->n_msi, 1);
	assert_int_equal(vec(&e->msi[0]), 0x38);
	/* Reading C clears IRQF; the line drops and the next tick re-edges. */
	outb(e, 0x70, 0x0c);
	assert_true(inb(e, 0x71) & 0xc0);
	sc_fake_clock_advance(&e->clk, 1000000);
	assert_int_equal(e->n_msi, 2);
	/* NMI mask through port 0x70 bit 7. */
	outb(e, 0x70, 0x8d);
	assert_true(sc_board_nmi_masked(&e->b));
	outb(e, 0x70, 0x0d);
	assert_false(sc_board_nmi_masked(&e->b));
	/* A 16-bit read of 0x70 is two byte reads: 0x70 (0xff: index is
	 * write-only on a PC) and 0x71 (register D: VRT). */
	uint32_t v;
	assert_true(sc_board_pio_read(&e->b, 0x70, 2, &v));
	assert_int_equal((v >> 8) & 0xff, 0x80);
	env_free(e);
}

static void test_hpet_mmio_and_legacy_ticks(void **st)
{
	struct env *e = env_new(NULL);
	uint64_t cap;
	assert_true(sc_board_mmio_read(&e->b, SC_BOARD_HPET_BASE, 8, &cap));
	assert_true(cap & HPET_GCAP_LEG_RT_CAP);
	redir(e, 0, 2, 0x31, 0);
	/* Timer 0 periodic, 1 ms, legacy replacement. */
	uint64_t period = (cap >> 32);        /* fs per tick */
	uint64_t ticks = 1000000000000ull / period;
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x100, 8,
			    HPET_TN_INT_ENB_CNF | HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x108, 8, ticks);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x010, 8, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	sc_fake_clock_advance(&e->clk, 3500000);
	assert_int_equal(e->n_msi, 1);        /* waiting for the EOI */
	sc_board_eoi(&e->b, 0x31);
	sc_board_eoi(&e->b, 0x31);
	sc_board_eoi(&e->b, 0x31);
	assert_int_equal(e->n_msi, 3);
	struct sc_tick_stats s;
	assert_int_equal(sc_board_tick_stats(&e->b, 2, &s), 0);
	assert_int_equal(s.delivered, 3);
	/* Unknown MMIO is not the board's. */
	uint64_t v;
	assert_false(sc_board_mmio_read(&e->b, SC_BOARD_HPET_BASE + 0x400, 4, &v));
	assert_false(sc_board_mmio_write(&e->b, 0x1000, 4, 0));
	assert_int_equal(sc_board_tick_stats(&e->b, 99, &s), -EINVAL);
	env_free(e);
}

static void test_external_irqchip_mode(void **st)
{
	struct sc_board_config c = { .external_irqchip = true };
	struct env *e = env_new(&c);
	uint32_t v;
	/* KVM owns the PIC and PIT ports, and the IOAPIC window. */
	assert_false(sc_board_pio_read(&e->b, 0x20, 1, &v));
	assert_false(sc_board_pio_read(&e->b, 0x40, 1, &v));
	assert_true(sc_board_pio_read(&e->b, 0x71, 1, &v));
	uint64_t m;
	assert_false(sc_board_mmio_read(&e->b, IOAPIC0, 4, &m));
	sc_board_set_isa_irq(&e->b, 4, SC_SRC_UART, true);
	assert_true(e->gsi_line[4]);
	sc_board_set_isa_irq(&e->b, 4, SC_SRC_UART, false);
	assert_false(e->gsi_line[4]);
	/* GSI 2 is KVM's GSI 0 (IRQ0 -> pin 2 override). */
	sc_board_set_gsi(&e->b, 2, SC_SRC_HPET, true);
	assert_true(e->gsi_line[0]);
	assert_int_equal(sc_board_pic_inta(&e->b), -EINVAL);
	assert_false(sc_board_pic_intr(&e->b));
	sc_board_eoi(&e->b, 0x30);
	env_free(e);
}

static void test_reset_masks_and_reports_routes(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 4, 0x44, 0);
	sc_board_set_isa_irq(&e->b, 4, SC_SRC_UART, true);
	memset(e->route_seen, 0, sizeof(e->route_seen));
	sc_board_reset(&e->b);
	assert_true(e->route_seen[4]);
	assert_true(e->last_route[4].masked);
	assert_true(ioapic_read(e, 0, IOAPIC_REG_REDTBL + 8) & IOAPIC_REDIR_MASK);
	/* Lines were released by the reset: raising again is a new edge. */
	redir(e, 0, 4, 0x44, 0);
	unsigned before = e->n_msi;
	sc_board_set_isa_irq(&e->b, 4, SC_SRC_UART, true);
	assert_int_equal(e->n_msi, before + 1);
	env_free(e);
}

/* Many threads EOI non-level vectors while one reprograms and drives a
 * level line and EOIs it: no lost EOI, no crash (ASan/TSan-clean). */
struct mt_arg {
	struct env *e;
	int stop;
};

static void *mt_eoier(void *p)
{
	struct mt_arg *a = p;
	unsigned v = 0;
	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE))
		sc_board_eoi(&a->e->b, (uint8_t)(0x80 + (v++ % 64)));
	return NULL;
}

static void test_concurrent_eois(void **st)
{
	struct env *e = env_new(NULL);
	struct mt_arg a = { e, 0 };
	pthread_t th[4];
	redir(e, 0, 11, LEVEL | 0x6b, 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, mt_eoier, &a);
	unsigned rounds = 2000;
	for (unsigned r = 0; r < rounds; r++) {
		sc_board_set_gsi(&e->b, 11, SC_SRC_USER, true);
		sc_board_set_gsi(&e->b, 11, SC_SRC_USER, false);
		sc_board_eoi(&e->b, 0x6b);
	}
	__atomic_store_n(&a.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(e->n_msi, rounds);
	assert_int_equal(e->gsi_eoi[11], rounds);
	assert_false(ioapic_read(e, 0, IOAPIC_REG_REDTBL + 22) & IOAPIC_REDIR_REMOTE_IRR);
	env_free(e);
}

static void test_save_restore_round_trip(void **st)
{
	struct env *e = env_new(NULL);
	pic_setup(e, 0xfa, 0xff);
	redir(e, 0, 2, 0x30, 0);
	redir(e, 0, 10, LEVEL | 0x61, 0);
	pit_program_mode2(e, PIT_1KHZ);
	sc_board_set_gsi(&e->b, 10, SC_SRC_USER, true);
	sc_fake_clock_advance(&e->clk, 2500000);
	struct sc_board_state_v1 *s = calloc(1, sizeof(*s));
	sc_board_save(&e->b, s);

	/* A fresh board on a clock at the same time takes the state. */
	struct env *f = env_new(NULL);
	sc_fake_clock_advance_to(&f->clk, e->clk.now);
	assert_int_equal(sc_board_restore(&f->b, s), 0);
	assert_int_equal(ioapic_read(f, 0, IOAPIC_REG_REDTBL + 20),
			 ioapic_read(e, 0, IOAPIC_REG_REDTBL + 20));
	assert_true(ioapic_read(f, 0, IOAPIC_REG_REDTBL + 20) & IOAPIC_REDIR_REMOTE_IRR);
	assert_int_equal(f->b.gsi_src[10], 1u << SC_SRC_USER);
	/* The restored level line still redelivers on EOI. */
	unsigned before = f->n_msi;
	sc_board_eoi(&f->b, 0x61);
	assert_int_equal(f->n_msi, before + 1);
	/* The PIT keeps ticking in the restored board: owed ticks come one
	 * per EOI of the timer vector (delay policy). */
	before = f->n_msi;
	sc_fake_clock_advance(&f->clk, 3 * PIT_PERIOD_NS);
	for (int i = 0; i < 3; i++)
		sc_board_eoi(&f->b, 0x30);
	assert_int_equal(f->n_msi, before + 3);

	/* Corrupt states are refused and change nothing. */
	struct sc_board_state_v1 *bad = calloc(1, sizeof(*bad));
	*bad = *s;
	bad->version = 2;
	assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
	*bad = *s;
	bad->ioapics = 2;
	assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
	*bad = *s;
	bad->gsi_src[100] = 1;
	assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
	*bad = *s;
	bad->ioapic[3].version = 1;
	assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
	*bad = *s;
	bad->pic.version = 9;
	assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
	*bad = *s;
	bad->hpet.timers = 40;
	assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
	*bad = *s;
	bad->hpet_edge_hold[1] = 7;
	assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
	/* Refused by a chip after the others took theirs: the RTC's bank 2
	 * flag does not match this board.  Everything is put back. */
	struct sc_board_state_v1 *now_ = calloc(1, sizeof(*now_));
	sc_board_save(&f->b, now_);
	*bad = *s;
	bad->rtc.bank2_enabled = 0;
	memset(bad->rtc.bank2, 0, sizeof(bad->rtc.bank2));
	bad->ioapic[0].redir[10] ^= 0x7;            /* would change a vector */
	assert_int_equal(sc_rtc_validate(&bad->rtc), 0);
	{
		unsigned before_msi = f->n_msi;
		assert_int_equal(sc_board_restore(&f->b, bad), -EINVAL);
		struct sc_board_state_v1 *after = calloc(1, sizeof(*after));
		sc_board_save(&f->b, after);
		assert_memory_equal(after->ioapic, now_->ioapic, sizeof(now_->ioapic));
		assert_int_equal(f->n_msi, before_msi);
		free(after);
	}
	free(now_);
	assert_int_equal(f->b.gsi_src[10], 1u << SC_SRC_USER);
	free(bad);
	free(s);
	env_free(f);
	env_free(e);
}

/* The host clock runs board callbacks inside its guard: the chipset lock
 * is held during the callback and the outputs arrive after it is dropped. */
struct host_env {
	struct sc_host_clock hc;
	struct sc_board b;
	unsigned n_msi;
	bool lock_free_in_cb;
	bool intr;
	unsigned intr_rises;
};

static void host_intr(void *o, bool level)
{
	struct host_env *h = o;
	if (level && !h->intr)
		h->intr_rises++;
	h->intr = level;
}

static void host_msi(void *o, const struct sc_msi *m)
{
	struct host_env *h = o;
	h->n_msi++;
	/* Delivered after unlock: the chipset lock must be free here. */
	if (pthread_mutex_trylock(&h->b.chipset.lock) == 0) {
		pthread_mutex_unlock(&h->b.chipset.lock);
	} else {
		h->lock_free_in_cb = false;
	}
}

static void test_host_clock_callbacks_deliver_after_unlock(void **st)
{
	struct host_env *h = calloc(1, sizeof(*h));
	h->lock_free_in_cb = true;
	assert_int_equal(sc_host_clock_init(&h->hc, 2, NULL, NULL), 0);
	struct sc_board_config c = { .wall_ns = wall, .eoi_ack = true,
				     .pit_policy = SC_TICK_DISCARD };
	struct sc_board_ops ops = { .msi = host_msi, .pic_intr = host_intr, .opaque = h };
	assert_int_equal(sc_board_init(&h->b, &h->hc.clock, &c, &ops, NULL), 0);
	sc_board_attach_host_clock(&h->b, &h->hc);
	sc_board_set_timer_affinity(&h->b, 1);
	assert_int_equal(h->b.pit.affinity, 1);
	/* Pin 2 unmasked, PIT at 1 kHz; the ticks live on queue 1. */
	assert_true(sc_board_mmio_write(&h->b, IOAPIC0, 4, IOAPIC_REG_REDTBL + 4));
	assert_true(sc_board_mmio_write(&h->b, IOAPIC0 + 0x10, 4, 0x30));
	sc_board_pio_write(&h->b, 0x43, 1, 0x34);
	sc_board_pio_write(&h->b, 0x40, 1, PIT_1KHZ & 0xff);
	sc_board_pio_write(&h->b, 0x40, 1, PIT_1KHZ >> 8);
	assert_true(sc_host_clock_next_deadline(&h->hc, 1) != UINT64_MAX);
	struct timespec ts = { 0, 3000000 };
	nanosleep(&ts, NULL);
	assert_true(sc_host_clock_run_due(&h->hc, 1) >= 1);
	assert_true(h->n_msi >= 1);
	assert_true(h->lock_free_in_cb);
	/* PIC path with LINT0 in NMI mode: INT stays high between ticks (no
	 * INTA), yet each tick must reach the VMM as a new rising edge. */
	sc_board_pio_write(&h->b, 0x20, 1, 0x11);
	sc_board_pio_write(&h->b, 0x21, 1, 0x20);
	sc_board_pio_write(&h->b, 0x21, 1, 0x04);
	sc_board_pio_write(&h->b, 0x21, 1, 0x01);
	sc_board_pio_write(&h->b, 0x21, 1, 0xfe);
	unsigned rises = h->intr_rises;
	for (int i = 0; i < 3; i++) {
		nanosleep(&ts, NULL);
		sc_host_clock_run_due(&h->hc, 1);
		sc_board_pic_nmi_taken(&h->b);
	}
	assert_true(h->intr);
	assert_true(h->intr_rises >= rises + 3);
	sc_board_destroy(&h->b);
	sc_host_clock_destroy(&h->hc);
	free(h);
}

static void test_eoi_storm_is_deferred(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 12, LEVEL | 0x6c, 0);
	sc_board_set_gsi(&e->b, 12, SC_SRC_USER, true);
	/* A guest that EOIs without ever quieting the device. */
	for (unsigned i = 0; i < SC_IOAPIC_DEFAULT_EOI_STORM_LIMIT + 5; i++)
		sc_board_eoi(&e->b, 0x6c);
	unsigned n = e->n_msi;
	assert_true(n <= SC_IOAPIC_DEFAULT_EOI_STORM_LIMIT + 2);
	assert_true(e->b.retrigger_timer.armed);
	/* The board's retrigger timer delivers it ~10 ms later. */
	sc_fake_clock_advance(&e->clk, 20000000);
	assert_int_equal(e->n_msi, n + 1);
	env_free(e);
}

static void test_hpet_fsb_and_level_legacy(void **st)
{
	struct env *e = env_new(NULL);
	uint64_t cap, tconf;
	sc_board_mmio_read(&e->b, SC_BOARD_HPET_BASE, 8, &cap);
	uint64_t ticks_1ms = 1000000000000ull / (cap >> 32);
	/* Timer 2: FSB capable (board default), one-shot FSB message. */
	sc_board_mmio_read(&e->b, SC_BOARD_HPET_BASE + 0x140, 8, &tconf);
	assert_true(tconf & HPET_TN_FSB_INT_DEL_CAP);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x150, 8,
			    (0xfee00000ull << 32) | 0x4e);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x148, 8, ticks_1ms);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x140, 8,
			    HPET_TN_INT_ENB_CNF | HPET_TN_FSB_EN_CNF);
	/* Timer 1: level, legacy replacement -> IRQ8 -> IOAPIC pin 8. */
	redir(e, 0, 8, LEVEL | 0x38, 0);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x128, 8, 2 * ticks_1ms);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x120, 8,
			    HPET_TN_INT_ENB_CNF | HPET_TN_INT_TYPE_CNF);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x010, 8,
			    HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	sc_fake_clock_advance(&e->clk, 1500000);
	assert_int_equal(e->n_msi, 1);
	assert_int_equal(e->msi[0].data, 0x4e);
	sc_fake_clock_advance(&e->clk, 1000000);
	assert_int_equal(e->n_msi, 2);
	assert_int_equal(vec(&e->msi[1]), 0x38);
	assert_true(e->b.isa_src[8] & (1u << SC_SRC_HPET));
	/* Status write-1-clear drops the line; the EOI then finds it low. */
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x020, 8, 2);
	assert_false(e->b.isa_src[8] & (1u << SC_SRC_HPET));
	sc_board_eoi(&e->b, 0x38);
	assert_int_equal(e->n_msi, 2);
	/* Leaving legacy replacement releases the lines. */
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x010, 8, HPET_ENABLE_CNF);
	assert_false(e->b.isa_src[0] & (1u << SC_SRC_HPET));
	env_free(e);
}

static void test_odd_access_sizes(void **st)
{
	struct env *e = env_new(NULL);
	uint32_t v;
	/* Size 3 is not an x86 port access: treated as a byte. */
	assert_true(sc_board_pio_write(&e->b, 0x70, 3, 0x0d));
	assert_true(sc_board_pio_read(&e->b, 0x71, 3, &v));
	assert_int_equal(v, 0x80);
	/* 32-bit write to 0x20 writes 0x20, 0x21, 0x22 (not ours), 0x23. */
	assert_true(sc_board_pio_write(&e->b, 0x20, 4, 0x00002011));
	assert_false(sc_board_pio_read(&e->b, 0x22, 1, &v));
	/* 64-bit IOAPIC access is two dword accesses. */
	uint64_t q;
	assert_true(sc_board_mmio_write(&e->b, IOAPIC0, 8, IOAPIC_REG_VER));
	assert_true(sc_board_mmio_read(&e->b, IOAPIC0 + 0x10, 8, &q));
	assert_int_equal(q & 0xff, IOAPIC_VERSION_ICH);
	env_free(e);
}

static void test_external_mode_shares_kvm_gsi(void **st)
{
	struct sc_board_config c = { .external_irqchip = true, .no_hpet = true };
	struct env *e = env_new(&c);
	/* ISA IRQ0 (a VMM device) and GSI 2 share KVM GSI 0. */
	sc_board_set_isa_irq(&e->b, 0, SC_SRC_USER, true);
	assert_true(e->gsi_line[0]);
	sc_board_set_gsi(&e->b, 2, SC_SRC_USER + 1, true);
	sc_board_set_isa_irq(&e->b, 0, SC_SRC_USER, false);
	assert_true(e->gsi_line[0]);
	sc_board_set_gsi(&e->b, 2, SC_SRC_USER + 1, false);
	assert_false(e->gsi_line[0]);
	/* RTC ticks reach KVM as IRQ 8. */
	outb(e, 0x70, 0x0b); outb(e, 0x71, 0x42);
	sc_fake_clock_advance(&e->clk, 1000000);
	assert_true(e->gsi_line[8]);
	struct sc_tick_stats s;
	assert_int_equal(sc_board_tick_stats(&e->b, 0, &s), -EINVAL);
	assert_int_equal(sc_board_tick_stats(&e->b, 2, &s), -EINVAL);
	assert_int_equal(sc_board_tick_stats(&e->b, 1, &s), 0);
	struct sc_board_state_v1 *st_ = calloc(1, sizeof(*st_));
	sc_board_save(&e->b, st_);
	assert_int_equal(sc_board_restore(&e->b, st_), 0);
	st_->pic.version = 1;
	assert_int_equal(sc_board_restore(&e->b, st_), -EINVAL);
	free(st_);
	sc_board_reset(&e->b);
	env_free(e);
}

static void test_pit_tick_acked_by_nmi(void **st)
{
	struct env *e = env_new(NULL);
	pic_setup(e, 0xfe, 0xff);          /* IRQ0 at the PIC, pin 2 masked */
	pit_program_mode2(e, PIT_1KHZ);
	/* LINT0 in NMI mode: INT rises per tick, the VMM sends NMIs and says
	 * so; each tick is then acknowledged without an INTA cycle. */
	unsigned rises = 0;
	sc_fake_clock_advance(&e->clk, PIT_PERIOD_NS / 2);   /* off the grid */
	for (int i = 0; i < 5; i++) {
		unsigned c = e->intr_changes;
		sc_fake_clock_advance(&e->clk, PIT_PERIOD_NS);
		if (e->intr_changes != c && e->intr)
			rises++;
		sc_board_pic_nmi_taken(&e->b);
	}
	struct sc_tick_stats s;
	sc_board_tick_stats(&e->b, 0, &s);
	assert_int_equal(s.delivered, 5);
	assert_int_equal(rises, 5);
	assert_int_equal(e->b.stats.tick_acks_nmi, 5);
	env_free(e);
}

static unsigned count_vec(const struct env *e, uint8_t v)
{
	unsigned n = 0;
	for (unsigned i = 0; i < e->n_msi && i < 4096; i++)
		n += vec(&e->msi[i]) == v;
	return n;
}

static void test_hpet_legacy_disconnects_pit_and_rtc(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 2, 0x30, 0);
	redir(e, 0, 8, 0x38, 0);
	pit_program_mode2(e, PIT_1KHZ);
	outb(e, 0x70, 0x0b); outb(e, 0x71, 0x42);        /* RTC PIE, 1024 Hz */
	sc_fake_clock_advance(&e->clk, 1500000);
	assert_int_equal(count_vec(e, 0x30), 1);
	assert_int_equal(count_vec(e, 0x38), 1);
	/* HPET legacy replacement with timer 0 periodic at 1 ms. */
	uint64_t cap;
	sc_board_mmio_read(&e->b, SC_BOARD_HPET_BASE, 8, &cap);
	uint64_t t1ms = 1000000000000ull / (cap >> 32);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x100, 8,
			    HPET_TN_INT_ENB_CNF | HPET_TN_TYPE_CNF | HPET_TN_VAL_SET_CNF);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x108, 8, t1ms);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x010, 8,
			    HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	assert_false(e->b.isa_src[8] & (1u << SC_SRC_RTC));
	unsigned pin2 = count_vec(e, 0x30), pin8 = count_vec(e, 0x38);
	for (int i = 0; i < 5; i++) {
		sc_fake_clock_advance(&e->clk, 1000000);
		sc_board_eoi(&e->b, 0x30);
		outb(e, 0x70, 0x0c); inb(e, 0x71);       /* RTC still acked */
	}
	/* Pin 2 now carries HPET timer 0 only: ~5 ticks, not 10. */
	unsigned got2 = count_vec(e, 0x30) - pin2;
	assert_true(got2 >= 4 && got2 <= 6);
	assert_int_equal(count_vec(e, 0x38), pin8);  /* RTC silent */
	struct sc_tick_stats s;
	sc_board_tick_stats(&e->b, 0, &s);
	assert_true(e->b.stats.tick_acks_auto >= 4); /* PIT ticks went nowhere */
	/* Leaving legacy mode reconnects the RTC. */
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x010, 8, HPET_ENABLE_CNF);
	sc_fake_clock_advance(&e->clk, 2000000);
	assert_true(count_vec(e, 0x38) > pin8);
	env_free(e);
}

static void test_restore_across_hpet_legacy_mode(void **st)
{
	struct env *e = env_new(NULL);
	redir(e, 0, 8, 0x38, 0);
	sc_board_mmio_write(&e->b, SC_BOARD_HPET_BASE + 0x010, 8,
			    HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	struct sc_board_state_v1 *s = calloc(1, sizeof(*s));
	sc_board_save(&e->b, s);
	/* A board not in legacy mode takes it: the HPET's legacy change
	 * drives lines and re-reports GSI 8's route during the restore. */
	struct env *f = env_new(NULL);
	sc_fake_clock_advance_to(&f->clk, e->clk.now);
	assert_int_equal(sc_board_restore(&f->b, s), 0);
	assert_true(sc_hpet_legacy_enabled(&f->b.hpet));
	assert_true(f->last_route[8].eoi_exit);
	/* And back. */
	struct sc_board_state_v1 *s2 = calloc(1, sizeof(*s2));
	struct env *g = env_new(NULL);
	sc_fake_clock_advance_to(&g->clk, e->clk.now);
	redir(g, 0, 8, 0x38, 0);
	sc_board_save(&g->b, s2);
	assert_int_equal(sc_board_restore(&f->b, s2), 0);
	assert_false(sc_hpet_legacy_enabled(&f->b.hpet));
	assert_false(f->last_route[8].eoi_exit);
	free(s2);
	free(s);
	env_free(g);
	env_free(f);
	env_free(e);
}

/*
 * Route order (board.h): a message sent under a new redirection entry
 * reaches ops.msi only after that entry's route change went through
 * ops.route and ops.routes_done(), even when another thread raises the
 * line while the writer is still inside routes_done (a slow
 * KVM_SET_GSI_ROUTING).  Otherwise a vCPU could take - and EOI - the
 * interrupt before KVM's EOI-exit bitmap knows its new destination.
 */
struct order_env {
	struct sc_fake_clock clk;
	struct sc_board b;
	_Atomic int routed_dest, pushed_dest, sent_dest;
	atomic_uint early, sent, slow_done;
};

static void ord_msi(void *o, const struct sc_msi *m)
{
	struct order_env *e = o;
	int dest = (int)((m->address >> SC_MSI_ADDR_DEST_SHIFT) & 0xff);
	if (dest != atomic_load(&e->pushed_dest))
		atomic_fetch_add(&e->early, 1);
	atomic_store(&e->sent_dest, dest);
	atomic_fetch_add(&e->sent, 1);
}

static void ord_route(void *o, unsigned gsi, const struct sc_msi *m, bool masked, bool eoi_exit)
{
	struct order_env *e = o;
	(void)masked; (void)eoi_exit;
	if (gsi == 10)
		atomic_store(&e->routed_dest, (int)((m->address >> SC_MSI_ADDR_DEST_SHIFT) & 0xff));
}

static void ord_routes_done(void *o)
{
	struct order_env *e = o;
	int d = atomic_load(&e->routed_dest);
	if (d != atomic_load(&e->pushed_dest)) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);            /* the slow routing ioctl */
		atomic_store(&e->pushed_dest, d);
		atomic_fetch_add(&e->slow_done, 1);
	}
}

static void *ord_writer(void *arg)
{
	struct order_env *e = arg;
	/* upper dword only: destination APIC 1 */
	assert_true(sc_board_mmio_write(&e->b, IOAPIC0 + IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * 10 + 1));
	assert_true(sc_board_mmio_write(&e->b, IOAPIC0 + IOAPIC_IOWIN, 4, 1u << 24));
	return NULL;
}

static void test_msi_never_overtakes_its_route(void **state)
{
	(void)state;
	struct order_env *e = calloc(1, sizeof(*e));
	sc_fake_clock_init(&e->clk, 0);
	struct sc_board_config c = { .wall_ns = wall, .eoi_ack = true };
	struct sc_board_ops ops = { .msi = ord_msi, .route = ord_route,
				    .routes_done = ord_routes_done, .opaque = e };
	assert_int_equal(sc_board_init(&e->b, &e->clk.clock, &c, &ops, NULL), 0);
	/* pin 10: level, vector 0x50, physical destination 0 */
	assert_true(sc_board_mmio_write(&e->b, IOAPIC0 + IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 2 * 10));
	assert_true(sc_board_mmio_write(&e->b, IOAPIC0 + IOAPIC_IOWIN, 4, 0x50 | IOAPIC_REDIR_TRIGGER));
	assert_int_equal(sc_board_set_gsi(&e->b, 10, 0, true), 0);
	assert_int_equal(atomic_load(&e->sent), 1);
	assert_int_equal(sc_board_set_gsi(&e->b, 10, 0, false), 0);
	sc_board_eoi(&e->b, 0x50);

	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, ord_writer, e), 0);
	/* the writer is inside its slow routes_done when the line rises */
	while (atomic_load(&e->routed_dest) != 1)
		sched_yield();
	assert_int_equal(sc_board_set_gsi(&e->b, 10, 0, true), 0);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&e->slow_done), 1);
	assert_int_equal(atomic_load(&e->sent), 2);
	assert_int_equal(atomic_load(&e->sent_dest), 1);
	assert_int_equal(atomic_load(&e->early), 0);
	assert_int_equal(atomic_load(&e->b.routes_queued), 0);
	sc_board_destroy(&e->b);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_config),
		cmocka_unit_test(test_isa_irq_reaches_pic_and_ioapic),
		cmocka_unit_test(test_irq0_goes_to_ioapic_pin2),
		cmocka_unit_test(test_shared_level_line_is_wired_or),
		cmocka_unit_test(test_pci_intx_swizzle),
		cmocka_unit_test(test_routes_mirror_every_entry),
		cmocka_unit_test(test_second_ioapic),
		cmocka_unit_test(test_eoi_for_unwanted_vector_does_nothing),
		cmocka_unit_test(test_pit_tick_acked_by_ioapic_eoi),
		cmocka_unit_test(test_pit_tick_auto_acked_without_path),
		cmocka_unit_test(test_pit_tick_acked_by_pic_inta),
		cmocka_unit_test(test_rtc_on_irq8_and_cmos_ports),
		cmocka_unit_test(test_hpet_mmio_and_legacy_ticks),
		cmocka_unit_test(test_external_irqchip_mode),
		cmocka_unit_test(test_reset_masks_and_reports_routes),
		cmocka_unit_test(test_concurrent_eois),
		cmocka_unit_test(test_save_restore_round_trip),
		cmocka_unit_test(test_host_clock_callbacks_deliver_after_unlock),
		cmocka_unit_test(test_eoi_storm_is_deferred),
		cmocka_unit_test(test_hpet_fsb_and_level_legacy),
		cmocka_unit_test(test_odd_access_sizes),
		cmocka_unit_test(test_external_mode_shares_kvm_gsi),
		cmocka_unit_test(test_pit_tick_acked_by_nmi),
		cmocka_unit_test(test_hpet_legacy_disconnects_pit_and_rtc),
		cmocka_unit_test(test_restore_across_hpet_legacy_mode),
		cmocka_unit_test(test_msi_never_overtakes_its_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
