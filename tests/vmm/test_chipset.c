/* SPDX-License-Identifier: MIT */
/*
 * splitvm chipset glue (vmm/chipset.c) on the fake clock with a fake
 * hypervisor: GSI route mirroring (masked entries too, trigger bit for EOI
 * exits), batching, MSI delivery, PIC INT/INTA, kernel-irqchip lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <splitchip/ioapic.h>
#include <splitchip/pit.h>

#include "acpi.h"
#include "chipset.h"
#include "devices.h"

struct hv {
	unsigned n_msi;
	struct sc_msi msi[64];
	unsigned set_routes_calls;
	unsigned nroutes;
	struct chipset_route routes[CHIPSET_MAX_GSI];
	bool intr;
	unsigned intr_changes;
	bool line[32];
	unsigned line_calls;
};

static void hv_msi(void *o, const struct sc_msi *m)
{
	struct hv *h = o;

	if (h->n_msi < 64)
		h->msi[h->n_msi] = *m;
	h->n_msi++;
}

static void hv_routes(void *o, const struct chipset_route *r, unsigned n)
{
	struct hv *h = o;

	h->set_routes_calls++;
	h->nroutes = n;
	memcpy(h->routes, r, n * sizeof(*r));
}

static void hv_intr(void *o, bool level)
{
	struct hv *h = o;

	h->intr = level;
	h->intr_changes++;
}

static void hv_line(void *o, unsigned gsi, bool level)
{
	struct hv *h = o;

	if (gsi < 32)
		h->line[gsi] = level;
	h->line_calls++;
}

static uint64_t wall(void *o) { (void)o; return 1700000000ull * SC_NSEC_PER_SEC; }

struct env {
	struct sc_fake_clock clk;
	struct hv hv;
	struct chipset *cs;
};

static struct chipset *make(struct env *e, bool split, unsigned nioapics)
{
	struct chipset_config c;
	struct chipset_ops ops = { hv_msi, hv_routes, hv_intr, hv_line, &e->hv, NULL };
	char err[128];

	memset(e, 0, sizeof(*e));
	sc_fake_clock_init(&e->clk, 0);
	memset(&c, 0, sizeof(c));
	c.split = split;
	c.ncpus = 2;
	c.nioapics = nioapics;
	c.hpet = true;
	c.policy[VM_SRC_PIT] = c.policy[VM_SRC_RTC] = c.policy[VM_SRC_HPET] = SC_TICK_DELAY;
	c.clock = &e->clk.clock;
	c.ram_size = 256ull << 20;
	c.wall_ns = wall;
	assert_int_equal(chipset_create(&e->cs, &c, &ops, err, sizeof(err)), 0);
	return e->cs;
}

static void ioapic_write(struct chipset *cs, unsigned idx, unsigned reg, uint32_t v)
{
	chipset_mmio(cs, VM_IOAPIC_ADDR(idx) + IOAPIC_IOREGSEL, 4, true, reg);
	chipset_mmio(cs, VM_IOAPIC_ADDR(idx) + IOAPIC_IOWIN, 4, true, v);
}

static uint32_t ioapic_read(struct chipset *cs, unsigned idx, unsigned reg)
{
	chipset_mmio(cs, VM_IOAPIC_ADDR(idx) + IOAPIC_IOREGSEL, 4, true, reg);
	return (uint32_t)chipset_mmio(cs, VM_IOAPIC_ADDR(idx) + IOAPIC_IOWIN, 4, false, 0);
}

/* redirection entry of @pin: @lo low dword, destination APIC 0 */
static void redir(struct chipset *cs, unsigned idx, unsigned pin, uint32_t lo)
{
	ioapic_write(cs, idx, IOAPIC_REG_REDTBL + 2 * pin + 1, 0);
	ioapic_write(cs, idx, IOAPIC_REG_REDTBL + 2 * pin, lo);
}

static void test_start_pushes_one_table_with_every_gsi(void **state)
{
	struct env e;
	unsigned i;

	(void)state;
	make(&e, true, 2);
	assert_int_equal(e.hv.set_routes_calls, 0);        /* nothing before start */
	chipset_start(e.cs);
	assert_int_equal(e.hv.set_routes_calls, 1);
	assert_int_equal(e.hv.nroutes, 48);
	for (i = 0; i < 48; i++)
		assert_int_equal(e.hv.routes[i].gsi, i);
	chipset_destroy(e.cs);
}

static void test_masked_entry_mirrored_with_its_vector(void **state)
{
	struct env e;
	unsigned before;

	(void)state;
	make(&e, true, 1);
	chipset_start(e.cs);
	before = e.hv.set_routes_calls;
	redir(e.cs, 0, 5, 0x55 | (uint32_t)IOAPIC_REDIR_MASK);
	assert_true(e.hv.set_routes_calls > before);
	assert_int_equal(e.hv.routes[5].msg.data & 0xff, 0x55);
	assert_int_equal((e.hv.routes[5].msg.address & 0xfff00000u), SC_MSI_ADDR_BASE);
	chipset_destroy(e.cs);
}

static void test_level_entry_route_has_trigger_bit_edge_does_not(void **state)
{
	struct env e;

	(void)state;
	make(&e, true, 1);
	chipset_start(e.cs);
	redir(e.cs, 0, 4, 0x44);                                  /* edge */
	redir(e.cs, 0, 9, 0x49 | (uint32_t)IOAPIC_REDIR_TRIGGER); /* level */
	assert_false(e.hv.routes[4].msg.data & SC_MSI_DATA_TRIGGER_LEVEL);
	assert_true(e.hv.routes[9].msg.data & SC_MSI_DATA_TRIGGER_LEVEL);
	chipset_destroy(e.cs);
}

static void test_timer_pin_route_asks_eoi_exit_but_msi_is_edge(void **state)
{
	struct env e;
	unsigned i;

	(void)state;
	make(&e, true, 1);
	chipset_start(e.cs);
	redir(e.cs, 0, 2, 0x30);                                  /* PIT pin, edge */
	/* the KVM route carries the trigger bit: the vector is in the EOI-exit bitmap */
	assert_true(e.hv.routes[2].msg.data & SC_MSI_DATA_TRIGGER_LEVEL);
	assert_int_equal(e.hv.routes[2].msg.data & 0xff, 0x30);
	/* start PIT channel 0, mode 2: the tick arrives as an edge MSI */
	chipset_pio(e.cs, PIT_PORT_CONTROL, 1, true, 0x34);
	chipset_pio(e.cs, PIT_PORT_COUNTER0, 1, true, 0xa9);
	chipset_pio(e.cs, PIT_PORT_COUNTER0, 1, true, 0x04);     /* 1193 ~ 1 ms */
	sc_fake_clock_advance(&e.clk, 1500000);
	assert_true(e.hv.n_msi >= 1);
	for (i = 0; i < e.hv.n_msi && i < 64; i++) {
		assert_int_equal(e.hv.msi[i].data & 0xff, 0x30);
		assert_false(e.hv.msi[i].data & SC_MSI_DATA_TRIGGER_LEVEL);
	}
	chipset_destroy(e.cs);
}

static void test_device_irq_reaches_ioapic_as_msi(void **state)
{
	struct env e;
	struct chipset_stats *st = calloc(1, sizeof(*st));

	(void)state;
	make(&e, true, 1);
	chipset_start(e.cs);
	redir(e.cs, 0, 4, 0x44);
	assert_int_equal(chipset_set_isa_irq(e.cs, 4, CHIPSET_SRC_UART, true), 0);
	assert_int_equal(e.hv.n_msi, 1);
	assert_int_equal(e.hv.msi[0].data & 0xff, 0x44);
	chipset_set_isa_irq(e.cs, 4, CHIPSET_SRC_UART, false);
	/* IRQ 16-23 (pc-testdev) go to the IOAPIC only (active high: no PCI INTx#) */
	redir(e.cs, 0, 17, 0x57);
	assert_int_equal(chipset_set_isa_irq(e.cs, 17, CHIPSET_SRC_TESTDEV, true), 0);
	assert_int_equal(e.hv.n_msi, 2);
	assert_int_equal(e.hv.msi[1].data & 0xff, 0x57);
	assert_int_equal(chipset_set_isa_irq(e.cs, 4, (enum chipset_source)7, true), -22);
	chipset_get_stats(e.cs, st);
	assert_int_equal(st->gsi_irqs[4], 1);
	assert_int_equal(st->gsi_irqs[17], 1);
	assert_true(st->route_updates >= 1);
	assert_true(st->ntick >= 1);
	assert_string_equal(st->tick_name[0], "pit");
	free(st);
	chipset_destroy(e.cs);
}

static void test_level_eoi_redelivers_while_line_high(void **state)
{
	struct env e;

	(void)state;
	make(&e, true, 1);
	chipset_start(e.cs);
	redir(e.cs, 0, 9, 0x49 | (uint32_t)IOAPIC_REDIR_TRIGGER);
	chipset_set_isa_irq(e.cs, 9, CHIPSET_SRC_SCI, true);
	assert_int_equal(e.hv.n_msi, 1);
	assert_true(e.hv.msi[0].data & SC_MSI_DATA_TRIGGER_LEVEL);
	chipset_eoi(e.cs, 0x33);                  /* someone else's vector: nothing */
	assert_int_equal(e.hv.n_msi, 1);
	chipset_eoi(e.cs, 0x49);                  /* still asserted: again */
	assert_int_equal(e.hv.n_msi, 2);
	chipset_set_isa_irq(e.cs, 9, CHIPSET_SRC_SCI, false);
	chipset_eoi(e.cs, 0x49);
	assert_int_equal(e.hv.n_msi, 2);
	chipset_destroy(e.cs);
}

static void test_pic_int_and_inta(void **state)
{
	struct env e;

	(void)state;
	make(&e, true, 1);
	chipset_start(e.cs);
	chipset_pio(e.cs, 0x20, 1, true, 0x11);
	chipset_pio(e.cs, 0x21, 1, true, 0x20);
	chipset_pio(e.cs, 0x21, 1, true, 0x04);
	chipset_pio(e.cs, 0x21, 1, true, 0x01);
	chipset_pio(e.cs, 0x21, 1, true, 0xfd);                  /* only IRQ1 */
	assert_int_equal(chipset_pio(e.cs, 0x21, 1, false, 0), 0xfd);
	assert_false(chipset_pic_intr(e.cs));
	assert_int_equal(chipset_pic_inta(e.cs), -1);            /* no INT: no spurious 7 */
	chipset_set_isa_irq(e.cs, 1, CHIPSET_SRC_TESTDEV, true);
	assert_true(e.hv.intr);
	assert_true(chipset_pic_intr(e.cs));
	assert_int_equal(chipset_pic_inta(e.cs), 0x21);
	assert_false(chipset_pic_intr(e.cs));
	chipset_destroy(e.cs);
}

static void test_ioapic_windows_and_holes(void **state)
{
	struct env e;

	(void)state;
	make(&e, true, 2);
	/* IOAPIC 1 answers at 0xFEC01000 with 24 entries */
	assert_int_equal((ioapic_read(e.cs, 1, IOAPIC_REG_VER) >> 16) & 0xff, 23);
	assert_int_equal(ioapic_read(e.cs, 1, IOAPIC_REG_VER) & 0xff,
			 chipset_ioapic_version(e.cs));
	/* IOAPIC IDs are their index, as the MADT and the MP table say */
	assert_int_equal(ioapic_read(e.cs, 0, IOAPIC_REG_ID) >> 24, 0);
	assert_int_equal(ioapic_read(e.cs, 1, IOAPIC_REG_ID) >> 24, 1);
	/* no third IOAPIC: all ones */
	assert_int_equal(chipset_mmio(e.cs, VM_IOAPIC_ADDR(2) + IOAPIC_IOWIN, 4, false, 0),
			 0xffffffffu);
	assert_int_equal(chipset_mmio(e.cs, VM_IOAPIC_ADDR(0), 0, false, 0), ~0ull);
	assert_int_equal(chipset_pio(e.cs, 0x21, 3, false, 0), 0xffffff);
	assert_int_equal(chipset_pio(e.cs, 0x1234, 1, false, 0), 0xff);
	/* HPET capabilities: vendor in the block ID */
	assert_int_equal(chipset_hpet_block_id(e.cs) >> 16, 0x8086);
	chipset_destroy(e.cs);
}

static void test_kernel_mode_lines_go_to_kvm(void **state)
{
	struct env e;

	(void)state;
	make(&e, false, 1);
	chipset_start(e.cs);                                     /* no routes in kernel mode */
	assert_int_equal(e.hv.set_routes_calls, 0);
	chipset_set_isa_irq(e.cs, 4, CHIPSET_SRC_UART, true);
	assert_true(e.hv.line[4]);
	chipset_set_isa_irq(e.cs, 4, CHIPSET_SRC_UART, false);
	assert_false(e.hv.line[4]);
	assert_int_equal(chipset_ioapic_version(e.cs), IOAPIC_VERSION_82093AA);
	/* PIC ports are KVM's: not decoded here */
	assert_int_equal(chipset_pio(e.cs, 0x21, 1, false, 0), 0xff);
	/* RTC still ours */
	chipset_pio(e.cs, 0x70, 1, true, 0x0a);
	assert_int_not_equal(chipset_pio(e.cs, 0x71, 1, false, 0), 0xff);
	chipset_destroy(e.cs);
}

static unsigned legacy_calls;
static bool legacy_on;

static void hv_pit_legacy(void *o, bool on)
{
	(void)o;
	legacy_calls++;
	legacy_on = on;
}

/* kernel mode: HPET LEG_RT_CNF tells KVM's PIT to let go of IRQ0, once per change */
static void test_kernel_mode_hpet_legacy_disconnects_pit(void **state)
{
	struct chipset_config c;
	struct chipset_ops ops = { hv_msi, hv_routes, hv_intr, hv_line, NULL, hv_pit_legacy };
	struct sc_fake_clock clk;
	struct hv hv;
	struct chipset *cs;
	char err[128];

	(void)state;
	memset(&hv, 0, sizeof(hv));
	ops.opaque = &hv;
	sc_fake_clock_init(&clk, 0);
	memset(&c, 0, sizeof(c));
	c.split = false;
	c.ncpus = 1;
	c.nioapics = 1;
	c.hpet = true;
	c.clock = &clk.clock;
	c.ram_size = 256ull << 20;
	c.wall_ns = wall;
	assert_int_equal(chipset_create(&cs, &c, &ops, err, sizeof(err)), 0);
	legacy_calls = 0;
	chipset_mmio(cs, VM_HPET_ADDR + 0x10, 4, true, 0x1);        /* ENABLE_CNF only */
	assert_int_equal(legacy_calls, 0);
	chipset_mmio(cs, VM_HPET_ADDR + 0x10, 4, true, 0x3);        /* + LEG_RT_CNF */
	assert_int_equal(legacy_calls, 1);
	assert_true(legacy_on);
	chipset_mmio(cs, VM_HPET_ADDR + 0x10, 8, true, 0x3);        /* no change */
	assert_int_equal(legacy_calls, 1);
	chipset_mmio(cs, VM_HPET_ADDR + 0x10, 4, true, 0x1);
	assert_int_equal(legacy_calls, 2);
	assert_false(legacy_on);
	chipset_destroy(cs);

	/* split mode: the board's own PIT is disconnected, KVM is not asked */
	c.split = true;
	assert_int_equal(chipset_create(&cs, &c, &ops, err, sizeof(err)), 0);
	chipset_mmio(cs, VM_HPET_ADDR + 0x10, 4, true, 0x3);
	assert_int_equal(legacy_calls, 2);
	chipset_destroy(cs);
}

static void test_bad_config_rejected(void **state)
{
	struct chipset_config c;
	struct chipset_ops ops = { 0 };
	struct chipset *cs;
	char err[64];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(chipset_create(&cs, &c, &ops, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "configuration"));
}

static void exit_ignored(void *o, enum vm_exit_kind k, int st) { (void)o; (void)k; (void)st; }
static void uart_line(void *o, bool level) { chipset_set_isa_irq(o, 4, CHIPSET_SRC_UART, level); }
static void tdev_line(void *o, unsigned irq, bool level)
{
	chipset_set_isa_irq(o, irq, CHIPSET_SRC_TESTDEV, level);
}

/*
 * A hostile guest: random accesses of every width to every decoded range
 * (and around them), with time moving, in both modes.  Nothing may crash
 * (ASan/UBSan), and ranges nothing decodes keep reading all ones.
 */
static void test_hostile_guest_random_accesses(void **state)
{
	static const uint64_t mmio_bases[] = { 0xfec00000ull, 0xfec01000ull, 0xfec07000ull,
					       0xfed00000ull, 0xfed003f8ull };
	unsigned n, mode;
	const struct vm_io_range *t = vm_io_table(&n);

	(void)state;
	for (mode = 0; mode < 2; mode++) {
		struct env e;
		struct vm_devs d;
		uint64_t x = 0x243f6a8885a308d3ull + mode;
		unsigned i;
		struct sc_line l;

		make(&e, mode == 0, mode == 0 ? 3 : 1);
		chipset_start(e.cs);
		memset(&d, 0, sizeof(d));
		pthread_mutex_init(&d.lock, NULL);
		l.set = uart_line;
		l.opaque = e.cs;
		vm_uart_init(&d.uart, &l, NULL, NULL);
		vm_fwcfg_init(&d.fwcfg, 1ull << 30, 2);
		vm_testdev_init(&d.testdev, tdev_line, e.cs);
		vm_pm_init(&d.pm, &e.clk.clock, true, NULL, NULL, NULL);
		d.cs = e.cs;
		d.request_exit = exit_ignored;
		for (i = 0; i < 200000; i++) {
			unsigned size, r;
			uint64_t addr, val;
			bool mmio;

			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			size = 1u << ((x >> 3) & 3);            /* 1, 2, 4, 8 */
			r = (unsigned)((x >> 8) % (n + 5));
			mmio = r >= n ? true : t[r].space == VM_MMIO;
			if (r >= n)
				addr = mmio_bases[r - n] + ((x >> 20) & 0x3ff);
			else
				addr = t[r].base + ((x >> 20) % (t[r].len + 2));
			if (!mmio && size == 8)
				size = 4;
			val = x * 0x9e3779b97f4a7c15ull;
			vm_io_dispatch(&d, mmio ? VM_MMIO : VM_PIO, addr, size, (x >> 5) & 1, val);
			if ((i & 1023) == 0)
				sc_fake_clock_advance(&e.clk, (x >> 32) % 5000000);
		}
		/* still decoding sanely afterwards */
		assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0x1234, 4, false, 0), 0xffffffffu);
		chipset_destroy(e.cs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_pushes_one_table_with_every_gsi),
		cmocka_unit_test(test_masked_entry_mirrored_with_its_vector),
		cmocka_unit_test(test_level_entry_route_has_trigger_bit_edge_does_not),
		cmocka_unit_test(test_timer_pin_route_asks_eoi_exit_but_msi_is_edge),
		cmocka_unit_test(test_device_irq_reaches_ioapic_as_msi),
		cmocka_unit_test(test_level_eoi_redelivers_while_line_high),
		cmocka_unit_test(test_pic_int_and_inta),
		cmocka_unit_test(test_ioapic_windows_and_holes),
		cmocka_unit_test(test_kernel_mode_lines_go_to_kvm),
		cmocka_unit_test(test_kernel_mode_hpet_legacy_disconnects_pit),
		cmocka_unit_test(test_bad_config_rejected),
		cmocka_unit_test(test_hostile_guest_random_accesses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
