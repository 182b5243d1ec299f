/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng over legacy virtio-pci (vmm/virtio_rng.c) and the split
 * virtqueue (vmm/virtq.c): the driver's view of the PCI header and BAR0,
 * requests filled from the entropy source, INTA# held until the ISR read,
 * and hostile rings (descriptors outside RAM, loops, bad indices, huge
 * lengths) refused without a crash.  No KVM, no chipset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "virtio_rng.h"

#define RAM_LOW   (2u << 20)
#define RAM_HIGH  (64u << 10)
#define RING_GPA  0x10000u
#define QSZ       VIRTIO_RNG_QUEUE_SIZE
#define BUF_GPA   0x40000u

struct drv {
	uint8_t *ram;
	struct vm_guest_mem mem;
	struct vm_virtio_rng r;
	bool intx;
	unsigned intx_rises, intx_falls;
	unsigned entropy_calls;
	size_t entropy_short;           /* > 0: the source gives at most this */
	struct virtq_desc *desc;
	uint16_t *avail, *used;
	uint16_t avail_idx;
};

static void probe_intx(void *o, bool asserted)
{
	struct drv *d = o;

	assert_true(asserted != d->intx);  /* only changes are reported */
	d->intx = asserted;
	if (asserted)
		d->intx_rises++;
	else
		d->intx_falls++;
}

static size_t fake_entropy(void *o, uint8_t *buf, size_t len)
{
	struct drv *d = o;
	size_t i;

	d->entropy_calls++;
	if (d->entropy_short && len > d->entropy_short)
		len = d->entropy_short;
	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(0xA5 ^ i);
	return len;
}

static uint64_t rd(struct drv *d, unsigned off, unsigned size)
{
	return vm_virtio_rng_io(&d->r, off, size, false, 0);
}

static void wr(struct drv *d, unsigned off, unsigned size, uint64_t v)
{
	vm_virtio_rng_io(&d->r, off, size, true, v);
}

static struct drv *drv_new(void)
{
	struct drv *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->ram = calloc(1, RAM_LOW + RAM_HIGH);
	assert_non_null(d->ram);
	d->mem = (struct vm_guest_mem){ d->ram, RAM_LOW, RAM_HIGH };
	vm_virtio_rng_init(&d->r, 1, &d->mem, 0xC000, 17, probe_intx, d, fake_entropy, d);
	return d;
}

static void drv_free(struct drv *d)
{
	free(d->ram);
	free(d);
}

/* what Linux's virtio_pci legacy probe and setup_vq do */
static void drv_setup(struct drv *d)
{
	wr(d, VIRTIO_PCI_STATUS, 1, 0);
	memset(d->ram + RING_GPA, 0, 0x2000);               /* a fresh ring */
	wr(d, VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	assert_int_equal(rd(d, VIRTIO_PCI_HOST_FEATURES, 4), 0);
	wr(d, VIRTIO_PCI_GUEST_FEATURES, 4, 0);
	wr(d, VIRTIO_PCI_QUEUE_SEL, 2, 0);
	assert_int_equal(rd(d, VIRTIO_PCI_QUEUE_NUM, 2), QSZ);
	assert_int_equal(rd(d, VIRTIO_PCI_QUEUE_PFN, 4), 0);     /* not active yet */
	wr(d, VIRTIO_PCI_QUEUE_PFN, 4, RING_GPA >> 12);
	assert_int_equal(rd(d, VIRTIO_PCI_QUEUE_PFN, 4), RING_GPA >> 12);
	wr(d, VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	   VIRTIO_STATUS_DRIVER_OK);
	d->desc = (struct virtq_desc *)(void *)(d->ram + RING_GPA);
	d->avail = (uint16_t *)(void *)(d->ram + RING_GPA + 16 * QSZ);
	d->used = (uint16_t *)(void *)(d->ram + RING_GPA + 0x1000);
	d->avail_idx = 0;
}

static void set_desc(struct drv *d, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	d->desc[i] = (struct virtq_desc){ addr, len, flags, next };
}

static void offer(struct drv *d, uint16_t head)
{
	d->avail[2 + (d->avail_idx % QSZ)] = head;
	d->avail_idx++;
	d->avail[1] = d->avail_idx;
}

static void kick(struct drv *d)
{
	wr(d, VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
}

static uint32_t used_len(struct drv *d, unsigned slot)
{
	uint32_t v;

	memcpy(&v, (uint8_t *)(d->used + 2) + 8 * slot + 4, 4);
	return v;
}

static uint32_t used_id(struct drv *d, unsigned slot)
{
	uint32_t v;

	memcpy(&v, (uint8_t *)(d->used + 2) + 8 * slot, 4);
	return v;
}

/* ------------------------------------------------------------ guest RAM */

static void test_gpa_checks_both_regions_and_wrap(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	assert_ptr_equal(vm_gpa(&d->mem, 0, RAM_LOW), d->ram);
	assert_null(vm_gpa(&d->mem, 0, RAM_LOW + 1));
	assert_null(vm_gpa(&d->mem, RAM_LOW - 4, 8));               /* straddles the end */
	assert_non_null(vm_gpa(&d->mem, RAM_LOW, 0));               /* empty range at end */
	assert_ptr_equal(vm_gpa(&d->mem, 0x100000000ull, 16), d->ram + RAM_LOW);
	assert_ptr_equal(vm_gpa(&d->mem, 0x100000000ull + RAM_HIGH - 1, 1),
			 d->ram + RAM_LOW + RAM_HIGH - 1);
	assert_null(vm_gpa(&d->mem, 0x100000000ull + RAM_HIGH - 1, 2));
	assert_null(vm_gpa(&d->mem, 0xFFFFFFFFull, 2));            /* the hole below 4 GiB */
	assert_null(vm_gpa(&d->mem, ~0ull - 3, 16));                /* addr + len wraps */
	assert_null(vm_gpa(&d->mem, 16, ~0ull));
	assert_null(vm_gpa(NULL, 0, 1));
	drv_free(d);
}

static void test_legacy_ring_layout(void **state)
{
	(void)state;
	/* 2.4.2: 64 descriptors (1 KiB) + avail (6 + 128) -> used at 4 KiB */
	assert_int_equal(virtq_legacy_bytes(64), 0x1000 + 6 + 8 * 64);
	assert_int_equal(virtq_legacy_bytes(256), 0x2000 + 6 + 8 * 256);
}

/* ------------------------------------------------------- discovery, init */

static void test_pci_header_is_a_transitional_virtio_rng(void **state)
{
	struct drv *d = drv_new();
	const uint8_t *c = d->r.pci.cfg;

	(void)state;
	assert_int_equal(c[0] | c[1] << 8, 0x1AF4);
	assert_int_equal(c[2] | c[3] << 8, 0x1005);
	assert_int_equal(c[PCI_REVISION_ID], 0);                 /* 4.1.2.1 transitional */
	assert_int_equal(c[0x2C] | c[0x2D] << 8, 0x1AF4);
	assert_int_equal(c[0x2E] | c[0x2F] << 8, VIRTIO_ID_RNG);  /* subsystem = device ID */
	assert_int_equal(c[PCI_INTERRUPT_PIN], 1);               /* INTA# */
	assert_int_equal(c[PCI_INTERRUPT_LINE], 17);
	assert_int_equal(c[PCI_CAPABILITY_LIST], 0);             /* no MSI-X: INTx */
	assert_int_equal(c[PCI_BASE_ADDRESS_0] | c[0x11] << 8, 0xC000 | PCI_BAR_SPACE_IO);
	assert_int_equal(d->r.pci.bar_size[0], 32);
	drv_free(d);
}

static void test_linux_init_sequence_and_one_request(void **state)
{
	struct drv *d = drv_new();
	unsigned i;

	(void)state;
	drv_setup(d);
	assert_int_equal(rd(d, VIRTIO_PCI_STATUS, 1), 7);
	set_desc(d, 0, BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	assert_false(d->intx);
	kick(d);
	assert_int_equal(d->used[1], 1);                          /* used idx */
	assert_int_equal(used_id(d, 0), 0);
	assert_int_equal(used_len(d, 0), 64);
	for (i = 0; i < 64; i++)
		assert_int_equal(d->ram[BUF_GPA + i], (uint8_t)(0xA5 ^ i));
	assert_int_equal(d->ram[BUF_GPA + 64], 0);                /* not past the buffer */
	/* INTA# asserted, Status.Interrupt set, until the ISR read */
	assert_true(d->intx);
	assert_true(d->r.pci.cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
	assert_false(d->intx);
	assert_false(d->r.pci.cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR, 1), 0);            /* read cleared it */
	assert_int_equal(d->intx_rises, 1);
	assert_int_equal(d->r.requests, 1);
	assert_int_equal(d->r.bytes, 64);
	drv_free(d);
}

static void test_line_stays_asserted_over_requests_until_isr_read(void **state)
{
	struct drv *d = drv_new();
	unsigned i;

	(void)state;
	drv_setup(d);
	for (i = 0; i < 3; i++) {
		set_desc(d, i, BUF_GPA + 0x100 * i, 16, VIRTQ_DESC_F_WRITE, 0);
		offer(d, (uint16_t)i);
		kick(d);
		assert_true(d->intx);                              /* a level: held */
	}
	assert_int_equal(d->intx_rises, 1);
	assert_int_equal(d->used[1], 3);
	/* reading other registers does not acknowledge */
	rd(d, VIRTIO_PCI_STATUS, 1);
	rd(d, VIRTIO_PCI_QUEUE_NUM, 2);
	assert_true(d->intx);
	rd(d, VIRTIO_PCI_ISR, 1);
	assert_false(d->intx);
	/* a new request after the acknowledgement asserts again */
	set_desc(d, 3, BUF_GPA, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 3);
	kick(d);
	assert_true(d->intx);
	assert_int_equal(d->intx_rises, 2);
	drv_free(d);
}

static void test_chained_buffers_and_partial_fill(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	drv_setup(d);
	set_desc(d, 5, BUF_GPA, 10, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 9);
	set_desc(d, 9, BUF_GPA + 0x1000, 20, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 5);
	kick(d);
	assert_int_equal(used_id(d, 0), 5);
	assert_int_equal(used_len(d, 0), 30);
	assert_int_equal(d->ram[BUF_GPA + 0x1000 + 19], (uint8_t)(0xA5 ^ 19));
	/* a source that runs dry: the used length says what was written */
	d->entropy_short = 7;
	set_desc(d, 1, BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 1);
	kick(d);
	assert_int_equal(used_len(d, 1), 7);
	drv_free(d);
}

static void test_huge_buffer_inside_ram_is_capped(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	drv_setup(d);
	set_desc(d, 0, 0x100000, 0x100000, VIRTQ_DESC_F_WRITE, 0);   /* 1 MiB */
	offer(d, 0);
	kick(d);
	assert_int_equal(used_len(d, 0), VIRTIO_RNG_MAX_FILL);
	assert_int_equal(d->ram[0x100000 + VIRTIO_RNG_MAX_FILL], 0);
	drv_free(d);
}

static void test_no_interrupt_flag_suppresses_the_interrupt(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	drv_setup(d);
	d->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	kick(d);
	assert_int_equal(d->used[1], 1);
	assert_false(d->intx);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR, 1), 0);
	drv_free(d);
}

static void test_buffers_before_driver_ok_and_at_driver_ok(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	drv_setup(d);
	wr(d, VIRTIO_PCI_STATUS, 1, 0);                           /* reset */
	assert_int_equal(rd(d, VIRTIO_PCI_QUEUE_PFN, 4), 0);
	wr(d, VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	memset(d->ram + RING_GPA, 0, 0x2000);
	d->avail_idx = 0;
	wr(d, VIRTIO_PCI_QUEUE_PFN, 4, RING_GPA >> 12);
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	/* no notify: DRIVER_OK takes what is already there */
	wr(d, VIRTIO_PCI_STATUS, 1, 7);
	assert_int_equal(d->used[1], 1);
	/* 3.1.2: a legacy driver may notify before DRIVER_OK */
	wr(d, VIRTIO_PCI_STATUS, 1, 0);
	wr(d, VIRTIO_PCI_STATUS, 1, 3);
	memset(d->ram + RING_GPA, 0, 0x2000);
	d->avail_idx = 0;
	wr(d, VIRTIO_PCI_QUEUE_PFN, 4, RING_GPA >> 12);
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	kick(d);
	assert_int_equal(d->used[1], 1);
	drv_free(d);
}

static void test_reset_clears_isr_and_deasserts(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	drv_setup(d);
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	kick(d);
	assert_true(d->intx);
	wr(d, VIRTIO_PCI_STATUS, 1, 0);
	assert_false(d->intx);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR, 1), 0);
	assert_int_equal(rd(d, VIRTIO_PCI_STATUS, 1), 0);
	assert_int_equal(rd(d, VIRTIO_PCI_QUEUE_PFN, 4), 0);
	/* a notify on the reset device does nothing */
	kick(d);
	assert_int_equal(d->r.requests, 1);
	drv_free(d);
}

static void test_intx_disable_masks_the_line_not_the_status(void **state)
{
	struct drv *d = drv_new();
	uint16_t cmd;

	(void)state;
	drv_setup(d);
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	kick(d);
	assert_true(d->intx);
	/* PCI 6.2.2 Command bit 10, as the config write path applies it */
	cmd = (uint16_t)(PCI_COMMAND_IO | PCI_COMMAND_INTX_DISABLE);
	memcpy(d->r.pci.cfg + PCI_COMMAND, &cmd, 2);
	d->r.pci.cfg_written(d->r.pci.opaque, PCI_COMMAND, 2);
	assert_false(d->intx);
	assert_true(d->r.pci.cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT);
	cmd = PCI_COMMAND_IO;
	memcpy(d->r.pci.cfg + PCI_COMMAND, &cmd, 2);
	d->r.pci.cfg_written(d->r.pci.opaque, PCI_COMMAND, 2);
	assert_true(d->intx);
	drv_free(d);
}

static void test_any_width_and_offset(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	drv_setup(d);
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	kick(d);
	/* one dword over notify, status and ISR: the ISR byte is read, cleared */
	assert_int_equal(rd(d, 16, 4), (uint32_t)7 << 16 | (uint32_t)VIRTIO_ISR_QUEUE << 24);
	assert_false(d->intx);
	assert_int_equal(rd(d, 12, 4), QSZ);                      /* size | sel 0 */
	assert_int_equal(rd(d, 13, 1), 0);
	assert_int_equal(rd(d, 8, 1), (RING_GPA >> 12) & 0xFF);
	assert_int_equal(rd(d, 20, 4), 0xFFFFFFFFu);               /* no device config */
	assert_int_equal(rd(d, 18, 8), 0xFFFFFFFFFFFF0007ull);
	assert_int_equal(rd(d, 32, 2), 0xFFFF);                   /* past the BAR */
	assert_int_equal(rd(d, 0, 0), 0);
	wr(d, 0, 4, 0xFFFFFFFF);                                  /* host features: RO */
	assert_int_equal(rd(d, 0, 4), 0);
	wr(d, 4, 4, 0xFFFFFFFF);                                  /* only offered bits */
	assert_int_equal(rd(d, 4, 4), 0);
	wr(d, 19, 1, 0xFF);                                       /* ISR: RO */
	assert_int_equal(rd(d, 19, 1), 0);
	wr(d, 12, 2, 5);                                          /* queue size: RO */
	assert_int_equal(rd(d, 12, 2), QSZ);
	/* only queue 0 exists */
	wr(d, VIRTIO_PCI_QUEUE_SEL, 2, 1);
	assert_int_equal(rd(d, VIRTIO_PCI_QUEUE_NUM, 2), 0);
	wr(d, VIRTIO_PCI_QUEUE_PFN, 4, 0x77);
	assert_int_equal(rd(d, VIRTIO_PCI_QUEUE_PFN, 4), 0);
	wr(d, VIRTIO_PCI_QUEUE_NOTIFY, 2, 1);                     /* no such queue */
	wr(d, VIRTIO_PCI_QUEUE_SEL, 2, 0);
	assert_int_equal(rd(d, VIRTIO_PCI_QUEUE_PFN, 4), RING_GPA >> 12);
	drv_free(d);
}

/* ---------------------------------------------------------- hostile rings */

/* the device stopped with NEEDS_RESET, told the driver, wrote nothing */
static void assert_refused(struct drv *d, uint16_t used_before)
{
	assert_true(d->r.status & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(d->used[1], used_before);
	assert_true(d->r.errors >= 1);
	assert_true(d->intx);
	assert_int_equal(rd(d, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_CONFIG);
	/* broken stays broken: a valid buffer is not taken before a reset */
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	kick(d);
	assert_int_equal(d->used[1], used_before);
	/* a reset brings the device back */
	wr(d, VIRTIO_PCI_STATUS, 1, 0);
	assert_int_equal(rd(d, VIRTIO_PCI_STATUS, 1), 0);
	assert_int_equal(d->r.vq.broken, false);
}

static void test_descriptor_outside_ram_refused(void **state)
{
	static const uint64_t bad[][2] = {
		{ RAM_LOW - 4, 8 },                     /* straddles the end of low RAM */
		{ 0xFEC00000u, 4 },                     /* the IOAPIC */
		{ 0x100000000ull + RAM_HIGH, 1 },       /* past high RAM */
		{ ~0ull - 8, 64 },                      /* addr + len wraps */
		{ BUF_GPA, 0xFFFFFFFFu },               /* 4 GiB from inside RAM */
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct drv *d = drv_new();

		drv_setup(d);
		set_desc(d, 3, bad[i][0], (uint32_t)bad[i][1], VIRTQ_DESC_F_WRITE, 0);
		offer(d, 3);
		kick(d);
		assert_int_equal(d->entropy_calls, 0);
		assert_refused(d, 0);
		drv_free(d);
	}
}

static void test_loop_in_chain_refused(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	drv_setup(d);
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(d, 1, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	offer(d, 0);
	kick(d);
	assert_refused(d, 0);
	/* a self loop */
	drv_setup(d);
	set_desc(d, 7, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 7);
	offer(d, 7);
	kick(d);
	assert_refused(d, 0);
	drv_free(d);
}

static void test_bad_indices_refused(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	/* head out of range: where the unchecked index would point sits a
	 * good descriptor, so only the index check refuses it */
	drv_setup(d);
	set_desc(d, 0x8000, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0x8000);
	kick(d);
	assert_refused(d, 0);
	drv_setup(d);
	offer(d, QSZ);
	kick(d);
	assert_refused(d, 0);
	/* next out of range */
	drv_setup(d);
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0x8000);
	set_desc(d, 0x8000, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(d, 0);
	kick(d);
	assert_refused(d, 0);
	/* avail index more than a queue ahead (every entry names a good
	 * descriptor 0) */
	drv_setup(d);
	set_desc(d, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	d->avail[1] = QSZ + 1;
	kick(d);
	assert_refused(d, 0);
	drv_free(d);
}

static void test_indirect_and_readonly_refused(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	drv_setup(d);
	set_desc(d, 0, BUF_GPA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT, 0);
	offer(d, 0);
	kick(d);
	assert_refused(d, 0);
	/* 5.4.6.1: no device-readable buffers in the requestq */
	drv_setup(d);
	set_desc(d, 0, BUF_GPA, 16, 0, 0);
	offer(d, 0);
	kick(d);
	assert_int_equal(d->entropy_calls, 0);
	assert_refused(d, 0);
	drv_free(d);
}

static void test_ring_outside_ram_refused(void **state)
{
	struct drv *d = drv_new();

	(void)state;
	wr(d, VIRTIO_PCI_STATUS, 1, 3);
	/* the used ring would end past low RAM */
	wr(d, VIRTIO_PCI_QUEUE_PFN, 4, (RAM_LOW >> 12) - 1);
	assert_true(d->r.status & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(d->r.vq.size, 0);
	kick(d);
	wr(d, VIRTIO_PCI_STATUS, 1, 0);
	wr(d, VIRTIO_PCI_QUEUE_PFN, 4, 0xFFFFFFFFu);               /* 16 TiB */
	assert_int_equal(d->r.vq.size, 0);
	kick(d);
	wr(d, VIRTIO_PCI_STATUS, 1, 7);
	assert_int_equal(d->r.requests, 0);
	drv_free(d);
}

/* Random register traffic and random ring contents: never a crash, the
 * line always matches ISR, nothing written outside guest RAM (ASan). */
static void test_hostile_guest_random(void **state)
{
	struct drv *d = drv_new();
	uint64_t x = 0x9E3779B97F4A7C15ull;
	unsigned i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		unsigned op, off, size;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		op = (unsigned)(x % 10);
		off = (unsigned)((x >> 8) % 40);
		size = 1u + (unsigned)((x >> 16) % 8);
		if (op < 3) {
			rd(d, off, size);
		} else if (op < 5) {
			wr(d, off, size, x >> 20);
		} else if (op < 6) {
			/* a ring somewhere in (or past) RAM */
			wr(d, VIRTIO_PCI_QUEUE_PFN, 4, (uint32_t)((x >> 24) % ((RAM_LOW >> 12) + 4)));
		} else if (op < 9 && d->r.vq.size) {
			/* scribble on the live ring */
			uint8_t *ring = d->ram + d->r.vq.desc_gpa;
			uint64_t span = virtq_legacy_bytes(d->r.vq.size);
			unsigned k;

			for (k = 0; k < 8; k++)
				ring[(x >> (4 * k)) % span] = (uint8_t)(x >> (3 * k));
			if (op == 8)
				kick(d);
		} else {
			wr(d, VIRTIO_PCI_STATUS, 1, (x >> 30) & 1 ? 0 : 7);
		}
		assert_int_equal(d->intx, d->r.isr != 0);
	}
	drv_free(d);
}

/* The default source really is getrandom(2). */
static void test_getrandom_source(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };

	(void)state;
	assert_int_equal(vm_getrandom(NULL, a, sizeof(a)), sizeof(a));
	assert_int_equal(vm_getrandom(NULL, b, sizeof(b)), sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpa_checks_both_regions_and_wrap),
		cmocka_unit_test(test_legacy_ring_layout),
		cmocka_unit_test(test_pci_header_is_a_transitional_virtio_rng),
		cmocka_unit_test(test_linux_init_sequence_and_one_request),
		cmocka_unit_test(test_line_stays_asserted_over_requests_until_isr_read),
		cmocka_unit_test(test_chained_buffers_and_partial_fill),
		cmocka_unit_test(test_huge_buffer_inside_ram_is_capped),
		cmocka_unit_test(test_no_interrupt_flag_suppresses_the_interrupt),
		cmocka_unit_test(test_buffers_before_driver_ok_and_at_driver_ok),
		cmocka_unit_test(test_reset_clears_isr_and_deasserts),
		cmocka_unit_test(test_intx_disable_masks_the_line_not_the_status),
		cmocka_unit_test(test_any_width_and_offset),
		cmocka_unit_test(test_descriptor_outside_ram_refused),
		cmocka_unit_test(test_loop_in_chain_refused),
		cmocka_unit_test(test_bad_indices_refused),
		cmocka_unit_test(test_indirect_and_readonly_refused),
		cmocka_unit_test(test_ring_outside_ram_refused),
		cmocka_unit_test(test_hostile_guest_random),
		cmocka_unit_test(test_getrandom_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
