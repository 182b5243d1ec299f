/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng over legacy virtio-pci.  Section numbers: VIRTIO 1.0 (2.1
 * device status, 3.1.2 legacy device initialisation, 4.1.2 PCI discovery,
 * 4.1.4.5 ISR status, 4.1.4.8 legacy header, 5.4 entropy device).
 */
#include "virtio_rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

size_t vm_getrandom(void *opaque, uint8_t *buf, size_t len)
{
	size_t got = 0;

	(void)opaque;
	while (got < len) {
		ssize_t r = getrandom(buf + got, len - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;              /* no entropy: the request is short */
		got += (size_t)r;
	}
	return got;
}

static void update_intx(struct vm_virtio_rng *r)
{
	/* 4.1.4.5: the interrupt is pending while ISR is non-zero; PCI 6.2.2:
	 * Interrupt Disable masks INTx# but not Status.Interrupt */
	bool pending = r->isr != 0;
	bool asserted = pending && !(vm_pci_fn_command(&r->pci) & PCI_COMMAND_INTX_DISABLE);

	vm_pci_fn_set_status(&r->pci, pending ? PCI_STATUS_INTERRUPT : 0,
			     pending ? 0 : PCI_STATUS_INTERRUPT);
	if (asserted != r->intx) {
		r->intx = asserted;
		if (asserted)
			r->interrupts++;
		if (r->set_intx)
			r->set_intx(r->intx_opaque, asserted);
	}
}

static void raise_isr(struct vm_virtio_rng *r, uint8_t bits)
{
	r->isr |= bits;
	update_intx(r);
}

static void device_reset(struct vm_virtio_rng *r)
{
	/* 2.1 / 4.1.4.8: writing 0 to status resets the device */
	r->guest_features = 0;
	r->queue_pfn = 0;
	r->queue_sel = 0;
	r->status = 0;
	r->isr = 0;
	virtq_reset(&r->vq);
	update_intx(r);
}

/* A guest error the device cannot go on from (2.1.2): NEEDS_RESET, and a
 * configuration change notification once the driver is up (4.1.4.5). */
static void device_error(struct vm_virtio_rng *r)
{
	r->errors++;
	r->vq.broken = true;
	r->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (r->status & VIRTIO_STATUS_DRIVER_OK)
		raise_isr(r, VIRTIO_ISR_CONFIG);
}

static void process_queue(struct vm_virtio_rng *r)
{
	struct virtq_chain *c = &r->chain;
	unsigned n, used = 0;

	/* 3.1.2: legacy drivers may supply buffers before DRIVER_OK; the
	 * queue being set up is enough */
	if (!r->vq.size || r->vq.broken || (r->status & VIRTIO_STATUS_FAILED))
		return;
	/* at most one ring's worth per notification: the avail index can be
	 * at most a queue ahead, more is a broken ring */
	for (n = 0; n < r->vq.size; n++) {
		uint32_t done = 0;
		unsigned i;
		int got = virtq_pop(&r->vq, &r->mem, c);

		if (got == 0)
			break;
		if (got < 0) {
			device_error(r);
			break;
		}
		for (i = 0; i < c->nseg; i++) {
			if (!c->seg[i].write) {
				/* 5.4.6.1: the driver MUST NOT place
				 * device-readable buffers in the requestq */
				device_error(r);
				goto out;
			}
		}
		for (i = 0; i < c->nseg && done < VIRTIO_RNG_MAX_FILL; i++) {
			uint32_t want = c->seg[i].len;
			size_t f;

			if (want > VIRTIO_RNG_MAX_FILL - done)
				want = VIRTIO_RNG_MAX_FILL - done;
			f = want && r->entropy ? r->entropy(r->entropy_opaque, c->seg[i].p, want) : 0;
			if (f > want)
				f = want;   /* a bad source cannot inflate the count */
			done += (uint32_t)f;
			if (f < want)
				break;
		}
		virtq_push(&r->vq, c->head, done);
		r->requests++;
		r->bytes += done;
		used++;
	}
out:
	/* 2.4.7: VIRTQ_AVAIL_F_NO_INTERRUPT asks us not to interrupt */
	if (used && virtq_wants_interrupt(&r->vq))
		raise_isr(r, VIRTIO_ISR_QUEUE);
}

static void set_queue_pfn(struct vm_virtio_rng *r, uint32_t pfn)
{
	if (r->queue_sel != 0)
		return;                     /* only queue 0 (requestq) exists */
	r->queue_pfn = pfn;
	if (virtq_legacy_setup(&r->vq, &r->mem, pfn, VIRTIO_RNG_QUEUE_SIZE)) {
		/* rings outside RAM: the queue stays off, the device needs a reset */
		virtq_reset(&r->vq);
		device_error(r);
	}
}

static void set_status(struct vm_virtio_rng *r, uint8_t val)
{
	uint8_t old = r->status;

	if (val == 0) {
		device_reset(r);
		return;
	}
	r->status = (uint8_t)(val | (old & VIRTIO_STATUS_NEEDS_RESET));
	if ((val & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK))
		process_queue(r);
}

/* the legacy header's registers (4.1.4.8) */
struct reg { uint8_t off, width; };
static const struct reg regs[] = {
	{ VIRTIO_PCI_HOST_FEATURES, 4 }, { VIRTIO_PCI_GUEST_FEATURES, 4 },
	{ VIRTIO_PCI_QUEUE_PFN, 4 }, { VIRTIO_PCI_QUEUE_NUM, 2 },
	{ VIRTIO_PCI_QUEUE_SEL, 2 }, { VIRTIO_PCI_QUEUE_NOTIFY, 2 },
	{ VIRTIO_PCI_STATUS, 1 }, { VIRTIO_PCI_ISR, 1 },
};

static uint32_t reg_value(const struct vm_virtio_rng *r, unsigned off)
{
	switch (off) {
	case VIRTIO_PCI_HOST_FEATURES:
		return VIRTIO_RNG_HOST_FEATURES;
	case VIRTIO_PCI_GUEST_FEATURES:
		return r->guest_features;
	case VIRTIO_PCI_QUEUE_PFN:
		return r->queue_sel == 0 ? r->queue_pfn : 0;
	case VIRTIO_PCI_QUEUE_NUM:
		return r->queue_sel == 0 ? VIRTIO_RNG_QUEUE_SIZE : 0;   /* 0: no queue */
	case VIRTIO_PCI_QUEUE_SEL:
		return r->queue_sel;
	case VIRTIO_PCI_STATUS:
		return r->status;
	case VIRTIO_PCI_ISR:
		return r->isr;
	default:
		return 0;                   /* QUEUE_NOTIFY reads 0 */
	}
}

static void reg_write(struct vm_virtio_rng *r, unsigned off, uint32_t val)
{
	switch (off) {
	case VIRTIO_PCI_GUEST_FEATURES:
		r->guest_features = val & VIRTIO_RNG_HOST_FEATURES;   /* a subset of the offer */
		break;
	case VIRTIO_PCI_QUEUE_PFN:
		set_queue_pfn(r, val);
		break;
	case VIRTIO_PCI_QUEUE_SEL:
		r->queue_sel = (uint16_t)val;
		break;
	case VIRTIO_PCI_QUEUE_NOTIFY:
		if (val == 0)
			process_queue(r);
		break;
	case VIRTIO_PCI_STATUS:
		set_status(r, (uint8_t)val);
		break;
	default:
		break;                      /* features offered, size, ISR: read-only */
	}
}

uint64_t vm_virtio_rng_io(struct vm_virtio_rng *r, uint64_t off, unsigned size, bool write,
			  uint64_t val)
{
	uint64_t v = 0, end;
	bool isr_read = false;
	unsigned i, k;

	if (size < 1 || size > 8 || off >= VIRTIO_RNG_BAR0_SIZE)
		return write ? 0 : (size >= 8 ? ~0ull : (1ull << (8 * size)) - 1);
	end = off + size;
	if (!write) {
		/* bytes past the header (no device config) read all ones */
		for (i = 0; i < size; i++)
			if (off + i >= VIRTIO_PCI_LEGACY_HDR)
				v |= 0xFFull << (8 * i);
	}
	/* an access of any width touches every register it overlaps; a
	 * partial write merges into the register's current value */
	for (k = 0; k < sizeof(regs) / sizeof(regs[0]); k++) {
		unsigned ro = regs[k].off, rw = regs[k].width;
		uint32_t cur;

		if (ro + rw <= off || ro >= end)
			continue;
		cur = reg_value(r, ro);
		for (i = 0; i < rw; i++) {
			uint64_t a = ro + i;

			if (a < off || a >= end)
				continue;
			if (write) {
				uint32_t b = (uint32_t)(val >> (8 * (a - off))) & 0xFF;

				cur = (cur & ~(0xFFu << (8 * i))) | (b << (8 * i));
			} else {
				v |= (uint64_t)((cur >> (8 * i)) & 0xFF) << (8 * (a - off));
			}
		}
		if (write)
			reg_write(r, ro, cur);
		else if (ro == VIRTIO_PCI_ISR)
			isr_read = true;
	}
	if (isr_read) {
		/* 4.1.4.5: reading ISR status resets it to 0 and deasserts INTx */
		r->isr = 0;
		update_intx(r);
	}
	return write ? 0 : v;
}

static uint64_t bar_access(void *opaque, unsigned bar, uint64_t off, unsigned size,
			   bool write, uint64_t val)
{
	struct vm_virtio_rng *r = opaque;

	if (bar != 0)
		return write ? 0 : ~0ull;
	return vm_virtio_rng_io(r, off, size, write, val);
}

static void cfg_written(void *opaque, unsigned off, unsigned size)
{
	struct vm_virtio_rng *r = opaque;

	/* Command.Interrupt Disable may have changed */
	if (off < PCI_COMMAND + 2 && off + size > PCI_COMMAND)
		update_intx(r);
}

void vm_virtio_rng_init(struct vm_virtio_rng *r, unsigned slot, const struct vm_guest_mem *mem,
			uint16_t io_base, uint8_t int_line,
			void (*set_intx)(void *opaque, bool asserted), void *intx_opaque,
			size_t (*entropy)(void *opaque, uint8_t *buf, size_t len),
			void *entropy_opaque)
{
	memset(r, 0, sizeof(*r));
	r->slot = slot;
	if (mem)
		r->mem = *mem;
	r->set_intx = set_intx;
	r->intx_opaque = intx_opaque;
	r->entropy = entropy ? entropy : vm_getrandom;
	r->entropy_opaque = entropy_opaque;
	/* 4.1.2.1: transitional device - revision 0, subsystem device ID =
	 * virtio device ID; INTA# */
	vm_pci_fn_init(&r->pci, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_RNG, VIRTIO_RNG_CLASS, 0,
		       VIRTIO_PCI_VENDOR, VIRTIO_ID_RNG, 1, int_line);
	vm_pci_fn_set_bar(&r->pci, 0, true, VIRTIO_RNG_BAR0_SIZE, io_base);
	/* decoding on, as firmware leaves a device it assigned resources to */
	r->pci.cfg[PCI_COMMAND] = PCI_COMMAND_IO;
	r->pci.bar_access = bar_access;
	r->pci.cfg_written = cfg_written;
	r->pci.opaque = r;
}
