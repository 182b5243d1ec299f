/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0 (vmm/pci.c): configuration mechanism #1 as Linux probes it,
 * the host bridge, absent functions, BAR sizing and decode, the 0xCF9
 * reset control register; then the same through splitvm's dispatch table
 * (vmm/devices.c) and the virtio-rng's INTA# on a real chipset
 * (vmm/chipset.c): level, active low on GSI 17, redelivered on EOI while
 * the ISR is unread.  No KVM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <splitchip/ioapic.h>

#include "acpi.h"
#include "chipset.h"
#include "devices.h"
#include "pci.h"

static unsigned resets;

static void count_reset(void *o)
{
	(void)o;
	resets++;
}

static uint32_t cf8(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return PCI_CA_ENABLE | bus << 16 | dev << 11 | fn << 8 | reg;
}

static uint32_t cfg_rd(struct vm_pci *p, uint32_t ca, unsigned off, unsigned size)
{
	vm_pci_conf_io(p, PCI_CONFIG_ADDRESS, 4, true, ca);
	return (uint32_t)vm_pci_conf_io(p, (uint16_t)(PCI_CONFIG_DATA + off), size, false, 0);
}

static void cfg_wr(struct vm_pci *p, uint32_t ca, unsigned off, unsigned size, uint32_t v)
{
	vm_pci_conf_io(p, PCI_CONFIG_ADDRESS, 4, true, ca);
	vm_pci_conf_io(p, (uint16_t)(PCI_CONFIG_DATA + off), size, true, v);
}

static void test_config_address_latches_only_dwords(void **state)
{
	struct vm_pci p;

	(void)state;
	vm_pci_init(&p, NULL, NULL);
	/* Linux pci_check_type1(): byte write to 0xCFB, then the dword probe */
	vm_pci_conf_io(&p, 0xCFB, 1, true, 0x01);
	assert_int_equal(vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 4, false, 0), 0);
	vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 4, true, 0x80000000u);
	assert_int_equal(vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 4, false, 0), 0x80000000u);
	/* bits 1:0 read 0, 30:24 reserved */
	vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 4, true, 0xFFFFFFFFu);
	assert_int_equal(vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 4, false, 0), 0x80FFFFFCu);
	/* word and byte accesses are ordinary I/O: CONFIG_ADDRESS unchanged */
	vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 2, true, 0);
	vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 1, true, 0);
	assert_int_equal(vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 4, false, 0), 0x80FFFFFCu);
	/* a word read: 0xCF8 floats, 0xCF9 is the reset control register */
	assert_int_equal(vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 2, false, 0), 0x00FF);
	/* Enable clear: CONFIG_DATA is not a config cycle */
	vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 4, true, 0);
	assert_int_equal(vm_pci_conf_io(&p, PCI_CONFIG_DATA, 4, false, 0), 0xFFFFFFFFu);
	assert_int_equal(p.cfg_reads, 0);
}

static void test_host_bridge_at_00_0(void **state)
{
	struct vm_pci p;

	(void)state;
	vm_pci_init(&p, NULL, NULL);
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 0), 0, 4), 0x12378086u);
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 8), 0, 4) >> 8, 0x060000u);  /* host bridge */
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 0xC), 2, 1), 0);            /* header type 0 */
	/* sub-dword data accesses at 0xCFC + n */
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 0), 2, 2), 0x1237);
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 8), 3, 1), 0x06);
	/* read-only IDs */
	cfg_wr(&p, cf8(0, 0, 0, 0), 0, 4, 0);
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 0), 0, 4), 0x12378086u);
	/* no BARs: sizing reads 0 */
	cfg_wr(&p, cf8(0, 0, 0, 0x10), 0, 4, 0xFFFFFFFFu);
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 0x10), 0, 4), 0);
	/* the scratch Interrupt Line is writable */
	cfg_wr(&p, cf8(0, 0, 0, 0x3C), 0, 1, 0x5A);
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 0x3C), 0, 1), 0x5A);
}

static void test_absent_functions_read_all_ones(void **state)
{
	struct vm_pci p;
	uint32_t cas[] = { cf8(0, 5, 0, 0), cf8(0, 0, 1, 0), cf8(1, 0, 0, 0),
			   cf8(255, 31, 7, 0xFC), cf8(0, 31, 0, 0x40) };
	unsigned i;

	(void)state;
	vm_pci_init(&p, NULL, NULL);
	for (i = 0; i < sizeof(cas) / sizeof(cas[0]); i++) {
		assert_int_equal(cfg_rd(&p, cas[i], 0, 4), 0xFFFFFFFFu);
		assert_int_equal(cfg_rd(&p, cas[i], 1, 2), 0xFFFF);
		assert_int_equal(cfg_rd(&p, cas[i], 3, 1), 0xFF);
		cfg_wr(&p, cas[i], 0, 4, 0x12345678);
		assert_int_equal(cfg_rd(&p, cas[i], 0, 4), 0xFFFFFFFFu);
	}
	assert_int_equal(p.master_aborts, 5 * 5);
}

static void test_bar_sizing_decode_and_command(void **state)
{
	struct vm_pci p;
	struct vm_pci_fn fn;

	(void)state;
	vm_pci_init(&p, NULL, NULL);
	vm_pci_fn_init(&fn, 0x1AF4, 0x1005, 0xFF00, 0, 0x1AF4, 4, 1, 17);
	assert_int_equal(vm_pci_fn_set_bar(&fn, 0, true, 32, 0xC000), 0);
	assert_int_equal(vm_pci_fn_set_bar(&fn, 1, true, 24, 0xC000), -22);  /* not 2^n */
	assert_int_equal(vm_pci_fn_set_bar(&fn, 1, true, 32, 0xC010), -22);  /* misaligned */
	assert_int_equal(vm_pci_fn_set_bar(&fn, 6, true, 32, 0xC000), -22);
	assert_int_equal(vm_pci_attach(&p, 3, &fn), 0);
	assert_int_equal(vm_pci_attach(&p, 3, &fn), -16);
	assert_int_equal(vm_pci_attach(&p, 0, &fn), -22);
	assert_int_equal(vm_pci_attach(&p, 32, &fn), -22);
	/* 6.2.5.1 sizing: all ones in, the size mask and the I/O bit out */
	cfg_wr(&p, cf8(0, 3, 0, 0x10), 0, 4, 0xFFFFFFFFu);
	assert_int_equal(cfg_rd(&p, cf8(0, 3, 0, 0x10), 0, 4), 0x0000FFE1u);
	cfg_wr(&p, cf8(0, 3, 0, 0x10), 0, 4, 0xD000);
	assert_int_equal(cfg_rd(&p, cf8(0, 3, 0, 0x10), 0, 4), 0xD001u);
	/* decode needs Command.IO */
	cfg_wr(&p, cf8(0, 3, 0, 4), 0, 2, 0);
	{
		uint32_t base;

		assert_false(vm_pci_fn_bar_decodes(&fn, 0, &base));
		cfg_wr(&p, cf8(0, 3, 0, 4), 0, 2, PCI_COMMAND_IO);
		assert_true(vm_pci_fn_bar_decodes(&fn, 0, &base));
		assert_int_equal(base, 0xD000);
		assert_false(vm_pci_fn_bar_decodes(&fn, 1, &base));
	}
	/* Status is read-only to the guest, INTx disable writable */
	cfg_wr(&p, cf8(0, 3, 0, 4), 0, 4, 0xFFFF0000u | PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_IO);
	assert_int_equal(cfg_rd(&p, cf8(0, 3, 0, 4), 0, 4), PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_IO);
	/* the memory window: no memory BAR claims it */
	assert_int_equal(vm_pci_bar_mmio(&p, VM_PCI_MMIO_BASE, 4, false, 0), 0xFFFFFFFFu);
	assert_int_equal(vm_pci_bar_io(&p, 0xC000, 2, false, 0), 0xFFFF);   /* BAR moved */
}

static void test_rcr_0xcf9_resets_on_rst_cpu(void **state)
{
	struct vm_pci p;

	(void)state;
	resets = 0;
	vm_pci_init(&p, count_reset, NULL);
	vm_pci_conf_io(&p, PCI_RCR_PORT, 1, true, RCR_SYS_RST);   /* select only */
	assert_int_equal(resets, 0);
	assert_int_equal(vm_pci_conf_io(&p, PCI_RCR_PORT, 1, false, 0), RCR_SYS_RST);
	vm_pci_conf_io(&p, PCI_RCR_PORT, 1, true, RCR_SYS_RST | RCR_RST_CPU);   /* 0x06 */
	assert_int_equal(resets, 1);
	vm_pci_conf_io(&p, PCI_RCR_PORT, 1, true, 0x0E);            /* still set: no edge */
	assert_int_equal(resets, 1);
	vm_pci_conf_io(&p, PCI_RCR_PORT, 1, true, 0);
	vm_pci_conf_io(&p, PCI_RCR_PORT, 1, true, 0x0E);            /* full reset */
	assert_int_equal(resets, 2);
	/* a dword write to 0xCF8 is CONFIG_ADDRESS, never the RCR */
	vm_pci_conf_io(&p, PCI_RCR_PORT, 1, true, 0);
	vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 4, true, 0x80000400u);
	assert_int_equal(resets, 2);
	/* a word write at 0xCF8 covers 0xCF9 */
	vm_pci_conf_io(&p, PCI_CONFIG_ADDRESS, 2, true, 0x0600);
	assert_int_equal(resets, 3);
}

/* Every width at every port, random addresses: no crash, reads of 0xCFC+
 * past 0xCFF float, CONFIG_ADDRESS keeps its reserved bits clear. */
static void test_hostile_config_accesses(void **state)
{
	struct vm_pci p;
	struct vm_pci_fn fn;
	uint64_t x = 0x243F6A8885A308D3ull;
	unsigned i;

	(void)state;
	resets = 0;
	vm_pci_init(&p, count_reset, NULL);
	vm_pci_fn_init(&fn, 0x1AF4, 0x1005, 0xFF00, 0, 0x1AF4, 4, 1, 17);
	vm_pci_fn_set_bar(&fn, 0, true, 32, 0xC000);
	vm_pci_attach(&p, 1, &fn);
	/* dword at 0xCFE: two data bytes, two floating */
	cfg_rd(&p, cf8(0, 1, 0, 0), 0, 1);
	assert_int_equal(vm_pci_conf_io(&p, 0xCFE, 4, false, 0), 0xFFFF1005u);
	assert_int_equal(vm_pci_conf_io(&p, 0xCFF, 8, false, 0), 0xFFFFFFFFFFFFFF10ull);
	/* register 0xFC + 3 is the last byte of config space */
	assert_int_equal(cfg_rd(&p, cf8(0, 1, 0, 0xFC), 3, 1), 0);
	for (i = 0; i < 300000; i++) {
		unsigned port, size;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		port = PCI_CONFIG_ADDRESS + (unsigned)(x % 8);
		size = 1u + (unsigned)((x >> 3) % 8);
		if ((x >> 6) & 1)
			vm_pci_conf_io(&p, (uint16_t)port, size, false, 0);
		else if (port != PCI_RCR_PORT)
			vm_pci_conf_io(&p, (uint16_t)port, size, true, x >> 9);
		vm_pci_bar_io(&p, 0xC000 + ((x >> 40) % 0x4000), size, (x >> 50) & 1, x);
		assert_int_equal(p.config_address & ~PCI_CA_WRITABLE, 0);
	}
	/* the device's IDs survived */
	assert_int_equal(cfg_rd(&p, cf8(0, 1, 0, 0), 0, 4), 0x10051AF4u);
	assert_int_equal(cfg_rd(&p, cf8(0, 0, 0, 0), 0, 4), 0x12378086u);
	assert_int_equal(vm_pci_conf_io(&p, PCI_CONFIG_DATA, 0, false, 0), ~0ull);
	assert_int_equal(vm_pci_conf_io(&p, PCI_CONFIG_DATA, 9, false, 0), ~0ull);
}

/* ------------------------------------------------------ through vm_devs */

struct exitp {
	enum vm_exit_kind kind;
	int status;
	unsigned calls;
};

static void probe_exit(void *o, enum vm_exit_kind kind, int status)
{
	struct exitp *e = o;

	e->kind = kind;
	e->status = status;
	e->calls++;
}

struct board {
	uint8_t *ram;
	struct vm_devs *d;
	struct exitp e;
};

static void board_new(struct board *b, struct chipset *cs)
{
	struct vm_guest_mem m;

	memset(b, 0, sizeof(*b));
	b->ram = calloc(1, 1u << 20);
	b->d = calloc(1, sizeof(*b->d));
	assert_non_null(b->ram);
	assert_non_null(b->d);
	m = (struct vm_guest_mem){ b->ram, 1u << 20, 0 };
	pthread_mutex_init(&b->d->lock, NULL);
	b->d->cs = cs;
	b->d->request_exit = probe_exit;
	b->d->exit_opaque = &b->e;
	vm_devs_pci_init(b->d, &m);
}

static void board_free(struct board *b)
{
	free(b->ram);
	free(b->d);
}

static uint32_t io_cfg_rd(struct vm_devs *d, uint32_t ca)
{
	vm_io_dispatch(d, VM_PIO, PCI_CONFIG_ADDRESS, 4, true, ca);
	return (uint32_t)vm_io_dispatch(d, VM_PIO, PCI_CONFIG_DATA, 4, false, 0);
}

static void test_dispatch_finds_bridge_rng_and_bar(void **state)
{
	struct board b;

	(void)state;
	board_new(&b, NULL);
	assert_string_equal(vm_io_lookup(VM_PIO, 0xCF8)->name, "pci-conf");
	assert_string_equal(vm_io_lookup(VM_PIO, 0xCFF)->name, "pci-conf");
	assert_string_equal(vm_io_lookup(VM_PIO, 0xC000)->name, "pci-io");
	assert_string_equal(vm_io_lookup(VM_MMIO, 0xC0000000u)->name, "pci-mmio");
	assert_int_equal(io_cfg_rd(b.d, cf8(0, 0, 0, 0)), 0x12378086u);
	assert_int_equal(io_cfg_rd(b.d, cf8(0, VM_PCI_SLOT_RNG, 0, 0)), 0x10051AF4u);
	assert_int_equal(io_cfg_rd(b.d, cf8(0, VM_PCI_SLOT_RNG, 0, 0x10)), VM_RNG_IO_BASE | 1);
	/* Interrupt Line = the GSI of 00:01.0 INTA#, Interrupt Pin = INTA# */
	assert_int_equal(io_cfg_rd(b.d, cf8(0, VM_PCI_SLOT_RNG, 0, 0x3C)) & 0xFFFF, 0x0111);
	assert_int_equal(io_cfg_rd(b.d, cf8(0, 2, 0, 0)), 0xFFFFFFFFu);
	/* BAR0 decodes: the legacy header's queue size */
	assert_int_equal(vm_io_dispatch(b.d, VM_PIO, VM_RNG_IO_BASE + VIRTIO_PCI_QUEUE_NUM, 2,
					false, 0), VIRTIO_RNG_QUEUE_SIZE);
	assert_int_equal(vm_io_dispatch(b.d, VM_PIO, VM_RNG_IO_BASE + 0x20, 4, false, 0),
			 0xFFFFFFFFu);
	/* moved by the guest: decodes at the new place only */
	vm_io_dispatch(b.d, VM_PIO, PCI_CONFIG_ADDRESS, 4, true, cf8(0, 1, 0, 0x10));
	vm_io_dispatch(b.d, VM_PIO, PCI_CONFIG_DATA, 4, true, 0xE000);
	assert_int_equal(vm_io_dispatch(b.d, VM_PIO, 0xE000 + VIRTIO_PCI_QUEUE_NUM, 2, false, 0),
			 VIRTIO_RNG_QUEUE_SIZE);
	assert_int_equal(vm_io_dispatch(b.d, VM_PIO, VM_RNG_IO_BASE + VIRTIO_PCI_QUEUE_NUM, 2,
					false, 0), 0xFFFF);
	board_free(&b);
}

static void test_dispatch_0xcf9_reset_ends_the_vm_with_status_0(void **state)
{
	struct board b;

	(void)state;
	board_new(&b, NULL);
	vm_io_dispatch(b.d, VM_PIO, PCI_RCR_PORT, 1, true, RCR_SYS_RST);
	assert_int_equal(b.e.calls, 0);
	/* the FADT's RESET_REG and RESET_VALUE */
	vm_io_dispatch(b.d, VM_PIO, VM_RESET_PORT, 1, true, VM_RESET_VALUE);
	assert_int_equal(b.e.calls, 1);
	assert_int_equal(b.e.kind, VM_EXIT_RESET);
	assert_int_equal(b.e.status, 0);
	board_free(&b);
}

/* ------------------------------------------------ INTA# on the chipset */

struct hv {
	unsigned n_msi;
	struct sc_msi msi[64];
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
	(void)o; (void)r; (void)n;
}

static void hv_intr(void *o, bool level)
{
	(void)o; (void)level;
}

static void hv_line(void *o, unsigned gsi, bool level)
{
	(void)o; (void)gsi; (void)level;
}

static uint64_t wall(void *o) { (void)o; return 1700000000ull * SC_NSEC_PER_SEC; }

static void test_rng_intx_is_level_active_low_on_gsi17(void **state)
{
	struct sc_fake_clock clk;
	struct hv hv = { 0 };
	struct chipset_config c;
	struct chipset_ops ops = { hv_msi, hv_routes, hv_intr, hv_line, &hv, NULL };
	struct chipset *cs;
	struct board b;
	struct virtq_desc *desc;
	uint16_t *avail;
	char err[128];
	uint32_t pin17 = 0x61 | (uint32_t)(IOAPIC_REDIR_TRIGGER | IOAPIC_REDIR_INTPOL);

	(void)state;
	sc_fake_clock_init(&clk, 0);
	memset(&c, 0, sizeof(c));
	c.split = true;
	c.ncpus = 1;
	c.nioapics = 1;
	c.policy[VM_SRC_PIT] = c.policy[VM_SRC_RTC] = c.policy[VM_SRC_HPET] = SC_TICK_DELAY;
	c.clock = &clk.clock;
	c.ram_size = 1u << 20;
	c.wall_ns = wall;
	assert_int_equal(chipset_create(&cs, &c, &ops, err, sizeof(err)), 0);
	chipset_start(cs);
	board_new(&b, cs);
	/* the guest programs pin 17 as _PRT / the MP table say: level, low */
	chipset_mmio(cs, VM_IOAPIC_ADDR(0) + IOAPIC_IOREGSEL, 4, true, IOAPIC_REG_REDTBL + 2 * 17 + 1);
	chipset_mmio(cs, VM_IOAPIC_ADDR(0) + IOAPIC_IOWIN, 4, true, 0);
	chipset_mmio(cs, VM_IOAPIC_ADDR(0) + IOAPIC_IOREGSEL, 4, true, IOAPIC_REG_REDTBL + 2 * 17);
	chipset_mmio(cs, VM_IOAPIC_ADDR(0) + IOAPIC_IOWIN, 4, true, pin17);
	assert_int_equal(hv.n_msi, 0);            /* idle high line: not asserted */

	/* driver: ring at 0x10000, one 16-byte buffer, kick */
#define RNG(off) (VM_RNG_IO_BASE + (off))
	vm_io_dispatch(b.d, VM_PIO, RNG(VIRTIO_PCI_STATUS), 1, true, 3);
	vm_io_dispatch(b.d, VM_PIO, RNG(VIRTIO_PCI_QUEUE_PFN), 4, true, 0x10);
	vm_io_dispatch(b.d, VM_PIO, RNG(VIRTIO_PCI_STATUS), 1, true, 7);
	desc = (struct virtq_desc *)(void *)(b.ram + 0x10000);
	avail = (uint16_t *)(void *)(b.ram + 0x10000 + 16 * VIRTIO_RNG_QUEUE_SIZE);
	desc[0] = (struct virtq_desc){ 0x20000, 16, VIRTQ_DESC_F_WRITE, 0 };
	avail[2] = 0;
	avail[1] = 1;
	vm_io_dispatch(b.d, VM_PIO, RNG(VIRTIO_PCI_QUEUE_NOTIFY), 2, true, 0);
	assert_int_equal(hv.n_msi, 1);
	assert_int_equal(hv.msi[0].data & 0xFF, 0x61);
	assert_true(hv.msi[0].data & SC_MSI_DATA_TRIGGER_LEVEL);
	/* EOI with ISR unread: the line is still low, the IOAPIC sends again */
	chipset_eoi(cs, 0x61);
	assert_int_equal(hv.n_msi, 2);
	/* the handler reads ISR: INTA# released; the EOI sends nothing */
	assert_int_equal(vm_io_dispatch(b.d, VM_PIO, RNG(VIRTIO_PCI_ISR), 1, false, 0), 1);
	chipset_eoi(cs, 0x61);
	assert_int_equal(hv.n_msi, 2);
	/* next request: delivered again */
	desc[1] = (struct virtq_desc){ 0x20000, 16, VIRTQ_DESC_F_WRITE, 0 };
	avail[3] = 1;
	avail[1] = 2;
	vm_io_dispatch(b.d, VM_PIO, RNG(VIRTIO_PCI_QUEUE_NOTIFY), 2, true, 0);
	assert_int_equal(hv.n_msi, 3);
	assert_int_equal(b.d->rng.requests, 2);
#undef RNG
	board_free(&b);
	chipset_destroy(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_address_latches_only_dwords),
		cmocka_unit_test(test_host_bridge_at_00_0),
		cmocka_unit_test(test_absent_functions_read_all_ones),
		cmocka_unit_test(test_bar_sizing_decode_and_command),
		cmocka_unit_test(test_rcr_0xcf9_resets_on_rst_cpu),
		cmocka_unit_test(test_hostile_config_accesses),
		cmocka_unit_test(test_dispatch_finds_bridge_rng_and_bar),
		cmocka_unit_test(test_dispatch_0xcf9_reset_ends_the_vm_with_status_0),
		cmocka_unit_test(test_rng_intx_is_level_active_low_on_gsi17),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
