/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM as a device sees it (DMA), and the split virtqueue of the
 * Virtual I/O Device (VIRTIO) Specification 1.0 (2.4 "Virtqueues") in its
 * legacy layout (2.4.2 "Legacy Interfaces: A Note on Virtqueue Layout").
 *
 * Everything in a ring is hostile input: every index, address and length
 * the guest wrote is checked before use, a descriptor is copied once and
 * only the copy is used, a chain longer than the queue (a loop) is
 * refused, and a queue found broken stays broken until the device resets
 * it.  Not thread-safe: the owning device's lock covers a queue.
 */
#ifndef SPLITVM_VIRTQ_H
#define SPLITVM_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Guest physical RAM: [0, low_size) and [4 GiB, 4 GiB + high_size), both
 * backed by @ram contiguously (vmm/vm.c's memory slots). */
struct vm_guest_mem {
	uint8_t *ram;
	uint64_t low_size, high_size;
};

/* Host pointer for guest [gpa, gpa + len), or NULL unless it lies wholly
 * inside one RAM region (len 0 is a valid, empty range). */
void *vm_gpa(const struct vm_guest_mem *m, uint64_t gpa, uint64_t len);

#define VIRTQ_DESC_F_NEXT       1u
#define VIRTQ_DESC_F_WRITE      2u
#define VIRTQ_DESC_F_INDIRECT   4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_LEGACY_ALIGN      4096u     /* VIRTIO_PCI_VRING_ALIGN */
#define VIRTQ_LEGACY_PFN_SHIFT  12
#define VIRTQ_MAX_SIZE          256u

struct virtq_desc {                /* 2.4.5 */
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "2.4.5 virtq_desc");

struct virtq {
	uint16_t size;                 /* 0 = not set up */
	bool broken;
	uint16_t last_avail;           /* next avail ring slot to take */
	uint16_t used_idx;             /* our copy of used->idx */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct virtq_desc *desc;       /* host pointers into guest RAM */
	uint16_t *avail;               /* flags, idx, ring[size], used_event */
	uint16_t *used;                /* flags, idx, then {u32 id, u32 len}[size] */
};

/* One chain the device took: its segments, checked to lie in RAM. */
struct virtq_seg {
	uint8_t *p;
	uint32_t len;
	bool write;                    /* device-writable */
};
struct virtq_chain {
	uint16_t head;
	unsigned nseg;
	struct virtq_seg seg[VIRTQ_MAX_SIZE];
};

/* Bytes of the legacy ring area of @size entries (2.4.2). */
uint64_t virtq_legacy_bytes(uint16_t size);
/* Set the queue up at page frame @pfn; -EINVAL (queue left unset) when the
 * size is not a power of two <= VIRTQ_MAX_SIZE or the rings are not all in
 * RAM.  @pfn 0 turns the queue off and returns 0. */
int virtq_legacy_setup(struct virtq *q, const struct vm_guest_mem *m, uint32_t pfn,
		       uint16_t size);
void virtq_reset(struct virtq *q);
/* Take the next available chain: 1 and @c filled, 0 when none is
 * available, -EINVAL when the ring is broken (q->broken is then set:
 * avail index more than a queue ahead, head or next out of range, a loop,
 * a descriptor outside RAM, or INDIRECT, which is never negotiated). */
int virtq_pop(struct virtq *q, const struct vm_guest_mem *m, struct virtq_chain *c);
/* Return chain @head with @len bytes written to the used ring. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* After pushes: does the driver want an interrupt (avail flags, 2.4.7)? */
bool virtq_wants_interrupt(const struct virtq *q);

#endif
