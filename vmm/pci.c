/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0: configuration mechanism #1, the host bridge, BAR decode and
 * the reset control register.  Section numbers: PCI Local Bus
 * Specification 3.0 (3.2.2.3.2 configuration mechanism #1, 6.1 header,
 * 6.2.5 base address registers).
 */
#include "pci.h"

#include <errno.h>
#include <string.h>

/* The host bridge carries the IDs of the Intel 82441FX PMC (440FX), the
 * bridge guests know best; none of that chip's chipset registers (PAM,
 * SMRAM) exists.  Linux's pci_sanity_check() only needs class 0x0600. */
#define HOST_VENDOR   0x8086u
#define HOST_DEVICE   0x1237u
#define HOST_REVISION 0x02u

static uint64_t ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static uint32_t get32(const uint8_t *p) { return get16(p) | ((uint32_t)get16(p + 2) << 16); }

void vm_pci_fn_init(struct vm_pci_fn *fn, uint16_t vendor, uint16_t device,
		    uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		    uint16_t subsys_id, uint8_t int_pin, uint8_t int_line)
{
	memset(fn, 0, sizeof(*fn));
	put16(fn->cfg + PCI_VENDOR_ID, vendor);
	put16(fn->cfg + PCI_DEVICE_ID, device);
	fn->cfg[PCI_REVISION_ID] = revision;
	fn->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	put16(fn->cfg + PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
	fn->cfg[PCI_HEADER_TYPE] = 0x00;            /* type 0, single function */
	put16(fn->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	put16(fn->cfg + PCI_SUBSYSTEM_ID, subsys_id);
	fn->cfg[PCI_INTERRUPT_PIN] = int_pin;
	fn->cfg[PCI_INTERRUPT_LINE] = int_line;
	/* 6.2.2: the Command bits this model implements */
	put16(fn->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
	      PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
	      (int_pin ? PCI_COMMAND_INTX_DISABLE : 0));
	fn->wmask[PCI_CACHE_LINE_SIZE] = 0xFF;
	fn->wmask[PCI_LATENCY_TIMER] = 0xFF;
	fn->wmask[PCI_INTERRUPT_LINE] = 0xFF;       /* 6.2.4: scratch for software */
	/* the Expansion ROM BAR and the capability pointer read 0: none */
}

int vm_pci_fn_set_bar(struct vm_pci_fn *fn, unsigned bar, bool io, uint32_t size,
		      uint32_t addr)
{
	uint32_t mask;

	if (bar >= PCI_NUM_BARS || size == 0 || (size & (size - 1)) ||
	    size < (io ? 4u : 16u) || (io && size > 0x100u) || (addr & (size - 1)) ||
	    (io && addr > 0xFFFFu))
		return -EINVAL;
	/* 6.2.5.1: the bits below the size read 0 (sizing), the type bits are
	 * read-only; I/O BARs decode 16 bits, their upper half is hardwired 0 */
	mask = ~(size - 1) & (io ? (PCI_BAR_IO_MASK & 0xFFFFu) : PCI_BAR_MEM_MASK);
	fn->bar_size[bar] = size;
	put32(fn->cfg + PCI_BASE_ADDRESS_0 + 4 * bar, (addr & mask) | (io ? PCI_BAR_SPACE_IO : 0));
	put32(fn->wmask + PCI_BASE_ADDRESS_0 + 4 * bar, mask);
	return 0;
}

uint16_t vm_pci_fn_command(const struct vm_pci_fn *fn)
{
	return get16(fn->cfg + PCI_COMMAND);
}

bool vm_pci_fn_bar_decodes(const struct vm_pci_fn *fn, unsigned bar, uint32_t *base)
{
	uint32_t v;
	bool io;

	if (bar >= PCI_NUM_BARS || !fn->bar_size[bar])
		return false;
	v = get32(fn->cfg + PCI_BASE_ADDRESS_0 + 4 * bar);
	io = v & PCI_BAR_SPACE_IO;
	if (!(vm_pci_fn_command(fn) & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
		return false;
	*base = v & (io ? PCI_BAR_IO_MASK : PCI_BAR_MEM_MASK);
	return true;
}

void vm_pci_fn_set_status(struct vm_pci_fn *fn, uint16_t set, uint16_t clear)
{
	uint16_t s = get16(fn->cfg + PCI_STATUS);

	put16(fn->cfg + PCI_STATUS, (uint16_t)((s & ~clear) | set));
}

void vm_pci_init(struct vm_pci *pci, void (*reset)(void *opaque), void *opaque)
{
	memset(pci, 0, sizeof(*pci));
	pthread_mutex_init(&pci->lock, NULL);
	pci->reset = reset;
	pci->reset_opaque = opaque;
	vm_pci_fn_init(&pci->host, HOST_VENDOR, HOST_DEVICE, PCI_CLASS_BRIDGE_HOST << 8,
		       HOST_REVISION, 0, 0, 0, 0);
	put16(pci->host.cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci->slot[0] = &pci->host;
}

int vm_pci_attach(struct vm_pci *pci, unsigned slot, struct vm_pci_fn *fn)
{
	if (!fn || slot == 0 || slot >= VM_PCI_SLOTS)
		return -EINVAL;
	if (pci->slot[slot])
		return -EBUSY;
	pci->slot[slot] = fn;
	return 0;
}

static struct vm_pci_fn *lookup(struct vm_pci *pci, unsigned bus, unsigned dev, unsigned fn)
{
	/* only bus 0 exists and every device is single-function */
	if (bus != 0 || dev >= VM_PCI_SLOTS || fn != 0)
		return NULL;
	return pci->slot[dev];
}

uint32_t vm_pci_cfg_read(struct vm_pci *pci, unsigned bus, unsigned dev, unsigned fn,
			 unsigned off, unsigned size)
{
	struct vm_pci_fn *f = lookup(pci, bus, dev, fn);
	uint32_t v = 0;
	unsigned i;

	if (size < 1 || size > 4)
		return ~0u;
	pci->cfg_reads++;
	if (!f) {
		/* 3.2.2.3.2 / 6.1: master abort, the host bridge returns all ones */
		pci->master_aborts++;
		return (uint32_t)ones(size);
	}
	for (i = 0; i < size; i++)
		v |= (uint32_t)(off + i < PCI_CFG_SPACE ? f->cfg[off + i] : 0xFF) << (8 * i);
	return v;
}

void vm_pci_cfg_write(struct vm_pci *pci, unsigned bus, unsigned dev, unsigned fn,
		      unsigned off, unsigned size, uint32_t val)
{
	struct vm_pci_fn *f = lookup(pci, bus, dev, fn);
	unsigned i, n = 0;

	if (size < 1 || size > 4)
		return;
	pci->cfg_writes++;
	if (!f) {
		pci->master_aborts++;
		return;
	}
	for (i = 0; i < size && off + i < PCI_CFG_SPACE; i++, n++) {
		uint8_t m = f->wmask[off + i], b = (uint8_t)(val >> (8 * i));

		f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | (b & m));
	}
	if (n && f->cfg_written)
		f->cfg_written(f->opaque, off, n);
}

/* CONFIG_DATA bytes [first, first + n) of the dword CONFIG_ADDRESS selects */
static uint32_t data_access(struct vm_pci *pci, unsigned first, unsigned n, bool write,
			    uint32_t val)
{
	uint32_t ca = pci->config_address;
	unsigned bus = (ca >> PCI_CA_BUS_SHIFT) & 0xFF, dev = (ca >> PCI_CA_DEV_SHIFT) & 0x1F;
	unsigned fn = (ca >> PCI_CA_FN_SHIFT) & 7, off = (ca & PCI_CA_REG_MASK) + first;

	/* 3.2.2.3.2: with the Enable bit clear, CONFIG_DATA is plain I/O -
	 * nothing else decodes it here, so it floats */
	if (!(ca & PCI_CA_ENABLE))
		return write ? 0 : (uint32_t)ones(n);
	if (write) {
		vm_pci_cfg_write(pci, bus, dev, fn, off, n, val);
		return 0;
	}
	return vm_pci_cfg_read(pci, bus, dev, fn, off, n);
}

static uint8_t rcr_access(struct vm_pci *pci, bool write, uint8_t val)
{
	uint8_t old = pci->rcr;

	if (!write)
		return pci->rcr;
	pci->rcr = val & RCR_MASK;
	/* RST_CPU going 0 -> 1 starts the reset SYS_RST/FULL_RST select; in
	 * splitvm every reset type ends the VM (docs/SPLITVM.md, exit status) */
	if ((val & RCR_RST_CPU) && !(old & RCR_RST_CPU) && pci->reset)
		pci->reset(pci->reset_opaque);
	return 0;
}

uint64_t vm_pci_conf_io(struct vm_pci *pci, uint16_t port, unsigned size, bool write,
			uint64_t val)
{
	uint64_t v = 0;
	unsigned i, dfirst = 0, dn = 0, dshift = 0;

	if (size < 1 || size > 8)
		return write ? 0 : ~0ull;
	/* 3.2.2.3.2: only a full dword access at 0xCF8 reaches CONFIG_ADDRESS */
	if (port == PCI_CONFIG_ADDRESS && size == 4) {
		if (write)
			pci->config_address = (uint32_t)val & PCI_CA_WRITABLE;
		return write ? 0 : pci->config_address;
	}
	for (i = 0; i < size; i++) {
		unsigned p = port + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (p >= PCI_CONFIG_DATA && p < PCI_CONFIG_DATA + 4) {
			if (!dn) {
				dfirst = p - PCI_CONFIG_DATA;
				dshift = 8 * i;
			}
			dn++;                   /* the data bytes are one access below */
			continue;
		}
		/* other bytes of 0xCF8-0xCFB are ordinary I/O: the RCR at 0xCF9 */
		if (p == PCI_RCR_PORT)
			v |= (uint64_t)rcr_access(pci, write, b) << (8 * i);
		else if (!write)
			v |= 0xFFull << (8 * i);
	}
	if (dn) {
		uint32_t d = data_access(pci, dfirst, dn, write,
					 (uint32_t)((val >> dshift) & ones(dn)));

		v |= (uint64_t)d << dshift;
	}
	return write ? 0 : v;
}

static uint64_t bar_dispatch(struct vm_pci *pci, bool io, uint64_t addr, unsigned size,
			     bool write, uint64_t val)
{
	unsigned s, b;

	for (s = 0; s < VM_PCI_SLOTS; s++) {
		struct vm_pci_fn *f = pci->slot[s];

		if (!f || !f->bar_access)
			continue;
		for (b = 0; b < PCI_NUM_BARS; b++) {
			uint32_t base, raw = get32(f->cfg + PCI_BASE_ADDRESS_0 + 4 * b);

			if (!f->bar_size[b] || !(raw & PCI_BAR_SPACE_IO) != !io ||
			    !vm_pci_fn_bar_decodes(f, b, &base))
				continue;
			if (addr >= base && addr - base < f->bar_size[b])
				return f->bar_access(f->opaque, b, addr - base, size, write, val);
		}
	}
	return write ? 0 : ones(size);   /* no BAR claims it: master abort */
}

uint64_t vm_pci_bar_io(struct vm_pci *pci, uint64_t port, unsigned size, bool write,
		       uint64_t val)
{
	return bar_dispatch(pci, true, port, size, write, val);
}

uint64_t vm_pci_bar_mmio(struct vm_pci *pci, uint64_t addr, unsigned size, bool write,
			 uint64_t val)
{
	return bar_dispatch(pci, false, addr, size, write, val);
}
