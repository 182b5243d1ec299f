/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng, transitional virtio-pci device with the legacy interface
 * only (VIRTIO 1.0: 4.1.2 PCI device discovery, 4.1.4.8 "Legacy
 * Interfaces: A Note on PCI Device Layout", 5.4 Entropy Device).  Debian's
 * driver: virtio_pci (CONFIG_VIRTIO_PCI_LEGACY) + virtio_rng.
 *
 * BAR0 is an I/O BAR holding the legacy header; no MSI-X capability, so
 * the interrupt is INTA#: level, active low, asserted while ISR status is
 * non-zero, deasserted by the ISR read (4.1.4.5) or by a device reset.
 * Not thread-safe: vm_pci.lock covers it (vmm/pci.h).
 */
#ifndef SPLITVM_VIRTIO_RNG_H
#define SPLITVM_VIRTIO_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"
#include "virtq.h"

#define VIRTIO_PCI_VENDOR        0x1AF4u
#define VIRTIO_PCI_DEVICE_RNG    0x1005u   /* 4.1.2.1: transitional ID, entropy source */
#define VIRTIO_ID_RNG            4u        /* 5: Device Types */
#define VIRTIO_RNG_CLASS         0x00FF00u /* unclassified device, "other" */

/* Legacy header in BAR0 (4.1.4.8), no MSI-X: device config follows at 20 */
#define VIRTIO_PCI_HOST_FEATURES  0   /* 32 R */
#define VIRTIO_PCI_GUEST_FEATURES 4   /* 32 RW */
#define VIRTIO_PCI_QUEUE_PFN      8   /* 32 RW: queue address >> 12 */
#define VIRTIO_PCI_QUEUE_NUM      12  /* 16 R: queue size */
#define VIRTIO_PCI_QUEUE_SEL      14  /* 16 RW */
#define VIRTIO_PCI_QUEUE_NOTIFY   16  /* 16 RW */
#define VIRTIO_PCI_STATUS         18  /* 8 RW */
#define VIRTIO_PCI_ISR            19  /* 8 R, read clears */
#define VIRTIO_PCI_LEGACY_HDR     20
#define VIRTIO_RNG_BAR0_SIZE      32u /* header rounded up; rng has no config */

/* Device status (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER      0x02u
#define VIRTIO_STATUS_DRIVER_OK   0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED      0x80u
/* ISR status (4.1.4.5) */
#define VIRTIO_ISR_QUEUE          0x01u
#define VIRTIO_ISR_CONFIG         0x02u

/* Feature bits offered: none (no INDIRECT_DESC, no EVENT_IDX, 2.4.5.3 / 2.4.7) */
#define VIRTIO_RNG_HOST_FEATURES  0u
#define VIRTIO_RNG_QUEUE_SIZE     64u
/* At most this many bytes per request: a larger buffer is used in part
 * (5.4.6: the used length says how much was written). */
#define VIRTIO_RNG_MAX_FILL       65536u

struct vm_virtio_rng {
	struct vm_pci_fn pci;
	unsigned slot;                     /* PCI device number on bus 0 */
	struct vm_guest_mem mem;
	uint32_t guest_features;
	uint32_t queue_pfn;
	uint16_t queue_sel;
	uint8_t status, isr;
	struct virtq vq;
	bool intx;                         /* INTA# asserted */
	void (*set_intx)(void *opaque, bool asserted);
	void *intx_opaque;
	/* entropy source: fills @len bytes, returns how many it filled */
	size_t (*entropy)(void *opaque, uint8_t *buf, size_t len);
	void *entropy_opaque;
	uint64_t requests, bytes, interrupts, errors;
	struct virtq_chain chain;          /* scratch for one request */
};

/*
 * Slot @slot on bus 0 with BAR0 at I/O @io_base (firmware assignment),
 * INTA#; @int_line is the GSI written into Interrupt Line.  @entropy NULL
 * means getrandom(2).
 */
void vm_virtio_rng_init(struct vm_virtio_rng *r, unsigned slot, const struct vm_guest_mem *mem,
			uint16_t io_base, uint8_t int_line,
			void (*set_intx)(void *opaque, bool asserted), void *intx_opaque,
			size_t (*entropy)(void *opaque, uint8_t *buf, size_t len),
			void *entropy_opaque);
/* BAR0 access at @off, any width 1..8 (also the pci.bar_access hook). */
uint64_t vm_virtio_rng_io(struct vm_virtio_rng *r, uint64_t off, unsigned size, bool write,
			  uint64_t val);
/* The default entropy source: getrandom(2), retried on EINTR. */
size_t vm_getrandom(void *opaque, uint8_t *buf, size_t len);

#endif
