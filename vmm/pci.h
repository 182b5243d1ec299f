/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0 of splitvm: configuration mechanism #1 (PCI Local Bus
 * Specification 3.0, 3.2.2.3.2), the host bridge at 00:00.0, the
 * functions attached to the other slots, I/O and memory BAR decode in the
 * root bridge's windows, and the reset control register at 0xCF9.
 *
 * Address map (what the DSDT's PCI0._CRS and the e820 map describe):
 *   0xCF8 (dword)          CONFIG_ADDRESS
 *   0xCF9 (byte)           reset control register (Intel PIIX4 / ICH "RCR")
 *   0xCFC-0xCFF            CONFIG_DATA
 *   0xC000-0xFFFF          I/O window: the I/O BARs the firmware assigns
 *   0xC0000000-0xFEBFFFFF  memory window (below the IOAPIC)
 *
 * Not thread-safe: the dispatch glue (vmm/devices.c) holds vm_pci.lock
 * around every entry point; it covers the bus, every function's config
 * space and the devices behind them.  Lock order: vm_pci.lock, then the
 * chipset's locks (a device's INTx# goes to the chipset).
 */
#ifndef SPLITVM_PCI_H
#define SPLITVM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_ADDRESS   0xCF8u
#define PCI_RCR_PORT         0xCF9u
#define PCI_CONFIG_DATA      0xCFCu
#define PCI_CONF_PORTS       8u              /* 0xCF8-0xCFF */

/* CONFIG_ADDRESS fields (3.2.2.3.2, figure 3-2) */
#define PCI_CA_ENABLE        0x80000000u     /* bit 31 */
#define PCI_CA_BUS_SHIFT     16              /* bits 23:16 */
#define PCI_CA_DEV_SHIFT     11              /* bits 15:11 */
#define PCI_CA_FN_SHIFT      8               /* bits 10:8 */
#define PCI_CA_REG_MASK      0xFCu           /* bits 7:2; 1:0 read as 0 */
#define PCI_CA_WRITABLE      0x80FFFFFCu     /* 30:24 reserved, 1:0 hardwired 0 */

/* Reset control register, I/O 0CF9h (Intel 82371AB PIIX4 datasheet, "RC") */
#define RCR_SYS_RST          0x02u           /* hard (system) reset type */
#define RCR_RST_CPU          0x04u           /* 0->1: start the reset */
#define RCR_FULL_RST         0x08u           /* full reset (power cycle) */
#define RCR_MASK             0x0Eu

#define VM_PCI_IO_BASE       0xC000u
#define VM_PCI_IO_LEN        0x4000u
#define VM_PCI_MMIO_BASE     0xC0000000u
#define VM_PCI_MMIO_LEN      0x3EC00000u     /* up to 0xFEBFFFFF */
#define VM_PCI_SLOTS         32u

/* Type 0 configuration header (PCI LB 3.0, 6.1, figure 6-1) */
#define PCI_VENDOR_ID        0x00
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define PCI_STATUS           0x06
#define PCI_REVISION_ID      0x08
#define PCI_CLASS_PROG       0x09
#define PCI_CLASS_DEVICE     0x0A            /* sub-class, base class */
#define PCI_CACHE_LINE_SIZE  0x0C
#define PCI_LATENCY_TIMER    0x0D
#define PCI_HEADER_TYPE      0x0E
#define PCI_BIST             0x0F
#define PCI_BASE_ADDRESS_0   0x10
#define PCI_NUM_BARS         6
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID     0x2E
#define PCI_ROM_ADDRESS      0x30
#define PCI_CAPABILITY_LIST  0x34
#define PCI_INTERRUPT_LINE   0x3C
#define PCI_INTERRUPT_PIN    0x3D            /* 1 = INTA# .. 4 = INTD# */
#define PCI_CFG_SPACE        256u

/* Command register (6.2.2) */
#define PCI_COMMAND_IO       0x0001u
#define PCI_COMMAND_MEMORY   0x0002u
#define PCI_COMMAND_MASTER   0x0004u
#define PCI_COMMAND_PARITY   0x0040u
#define PCI_COMMAND_SERR     0x0100u
#define PCI_COMMAND_INTX_DISABLE 0x0400u
/* Status register (6.2.3) */
#define PCI_STATUS_INTERRUPT 0x0008u         /* INTx# pending, even if disabled */
/* Base address registers (6.2.5.1) */
#define PCI_BAR_SPACE_IO     0x1u
#define PCI_BAR_IO_MASK      (~0x3u)
#define PCI_BAR_MEM_MASK     (~0xFu)

#define PCI_CLASS_BRIDGE_HOST 0x0600u

struct vm_pci_fn {
	uint8_t cfg[PCI_CFG_SPACE];
	uint8_t wmask[PCI_CFG_SPACE];       /* guest-writable bits */
	uint32_t bar_size[PCI_NUM_BARS];    /* power of two, 0 = no BAR */
	/* An access to BAR @bar at @off (decoded by vm_pci_bar_io/mmio). */
	uint64_t (*bar_access)(void *opaque, unsigned bar, uint64_t off, unsigned size,
			       bool write, uint64_t val);
	/* Config bytes [off, off + size) were written (after the update). */
	void (*cfg_written)(void *opaque, unsigned off, unsigned size);
	void *opaque;
};

struct vm_pci {
	pthread_mutex_t lock;
	uint32_t config_address;
	uint8_t rcr;
	struct vm_pci_fn host;              /* 00:00.0 */
	struct vm_pci_fn *slot[VM_PCI_SLOTS];   /* function 0 of each device */
	void (*reset)(void *opaque);        /* RCR RST_CPU 0->1 */
	void *reset_opaque;
	uint64_t cfg_reads, cfg_writes, master_aborts;
};

/* The bus with its host bridge in slot 0. */
void vm_pci_init(struct vm_pci *pci, void (*reset)(void *opaque), void *opaque);
/* -EINVAL: slot 0 or out of range; -EBUSY: taken. */
int vm_pci_attach(struct vm_pci *pci, unsigned slot, struct vm_pci_fn *fn);

/*
 * A function's header: IDs, class code (base << 16 | sub << 8 | prog-if),
 * revision, subsystem IDs, interrupt pin (0 none, 1 INTA#..) and the
 * firmware's Interrupt Line value.  Command, cache line size, latency
 * timer and Interrupt Line are writable; everything else reads as set.
 */
void vm_pci_fn_init(struct vm_pci_fn *fn, uint16_t vendor, uint16_t device,
		    uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		    uint16_t subsys_id, uint8_t int_pin, uint8_t int_line);
/* BAR @bar of @size bytes (power of two, I/O >= 4, memory >= 16) at @addr. */
int vm_pci_fn_set_bar(struct vm_pci_fn *fn, unsigned bar, bool io, uint32_t size,
		      uint32_t addr);
/* Where BAR @bar decodes now: false if not implemented or disabled by Command. */
bool vm_pci_fn_bar_decodes(const struct vm_pci_fn *fn, unsigned bar, uint32_t *base);
/* Device-side config bits the guest cannot write (Status bit 3, ...). */
void vm_pci_fn_set_status(struct vm_pci_fn *fn, uint16_t set, uint16_t clear);
uint16_t vm_pci_fn_command(const struct vm_pci_fn *fn);

/* Guest access to 0xCF8-0xCFF (@port absolute), any width 1..8. */
uint64_t vm_pci_conf_io(struct vm_pci *pci, uint16_t port, unsigned size, bool write,
			uint64_t val);
/* Guest access inside the I/O or memory window: the BARs decode it. */
uint64_t vm_pci_bar_io(struct vm_pci *pci, uint64_t port, unsigned size, bool write,
		       uint64_t val);
uint64_t vm_pci_bar_mmio(struct vm_pci *pci, uint64_t addr, unsigned size, bool write,
			 uint64_t val);
/* Config read/write of bus/dev/fn/off (what CONFIG_DATA does); absent
 * functions read all ones, writes to them vanish. */
uint32_t vm_pci_cfg_read(struct vm_pci *pci, unsigned bus, unsigned dev, unsigned fn,
			 unsigned off, unsigned size);
void vm_pci_cfg_write(struct vm_pci *pci, unsigned bus, unsigned dev, unsigned fn,
		      unsigned off, unsigned size, uint32_t val);

#endif
