/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, legacy layout.  Section numbers: VIRTIO 1.0 (2.4.2
 * legacy layout, 2.4.5 descriptor table, 2.4.6 available ring, 2.4.8 used
 * ring, 3.2.1 "Supplying Buffers to The Device" and 3.2.2 for the memory
 * ordering a device must honour).
 */
#include "virtq.h"

#include <errno.h>
#include <string.h>

#define HIGHMEM_BASE 0x100000000ull

void *vm_gpa(const struct vm_guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (!m || !m->ram)
		return NULL;
	if (gpa <= m->low_size && len <= m->low_size - gpa)
		return m->ram + gpa;
	if (gpa >= HIGHMEM_BASE && gpa - HIGHMEM_BASE <= m->high_size &&
	    len <= m->high_size - (gpa - HIGHMEM_BASE))
		return m->ram + m->low_size + (gpa - HIGHMEM_BASE);
	return NULL;
}

uint64_t virtq_legacy_bytes(uint16_t size)
{
	/* 2.4.2: descriptors, then the available ring (flags, idx, ring,
	 * used_event), padded to the alignment; then the used ring (flags,
	 * idx, ring, avail_event) */
	uint64_t avail_end = 16ull * size + 2ull * (3 + size);
	uint64_t used = (avail_end + VIRTQ_LEGACY_ALIGN - 1) & ~(uint64_t)(VIRTQ_LEGACY_ALIGN - 1);

	return used + 6ull + 8ull * size;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_legacy_setup(struct virtq *q, const struct vm_guest_mem *m, uint32_t pfn,
		       uint16_t size)
{
	uint64_t gpa = (uint64_t)pfn << VIRTQ_LEGACY_PFN_SHIFT, used_off;
	uint8_t *base;

	virtq_reset(q);
	if (pfn == 0)
		return 0;
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	base = vm_gpa(m, gpa, virtq_legacy_bytes(size));
	if (!base)
		return -EINVAL;
	used_off = virtq_legacy_bytes(size) - (6ull + 8ull * size);
	q->size = size;
	q->desc_gpa = gpa;
	q->avail_gpa = gpa + 16ull * size;
	q->used_gpa = gpa + used_off;
	q->desc = (struct virtq_desc *)(void *)base;
	q->avail = (uint16_t *)(void *)(base + 16ull * size);
	q->used = (uint16_t *)(void *)(base + used_off);
	return 0;
}

static int broken(struct virtq *q)
{
	q->broken = true;
	return -EINVAL;
}

int virtq_pop(struct virtq *q, const struct vm_guest_mem *m, struct virtq_chain *c)
{
	uint16_t avail_idx, head, i;
	unsigned n = 0;

	if (!q->size || q->broken)
		return q->broken ? -EINVAL : 0;
	/* 3.2.1.4: the driver writes the ring entry, then the index; read the
	 * index first, and everything it covers after it (acquire) */
	avail_idx = __atomic_load_n(&q->avail[1], __ATOMIC_ACQUIRE);
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		return broken(q);       /* more buffers than the ring has slots */
	head = __atomic_load_n(&q->avail[2 + (q->last_avail & (q->size - 1))], __ATOMIC_RELAXED);
	if (head >= q->size)
		return broken(q);
	c->head = head;
	c->nseg = 0;
	i = head;
	for (;;) {
		struct virtq_desc d;

		/* one copy of the descriptor: the guest may rewrite it meanwhile */
		memcpy(&d, &q->desc[i], sizeof(d));
		if (++n > q->size)
			return broken(q);   /* 2.4.5.2: a chain is at most a queue long */
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return broken(q);   /* VIRTIO_RING_F_INDIRECT_DESC not offered */
		c->seg[c->nseg].p = vm_gpa(m, d.addr, d.len);
		if (!c->seg[c->nseg].p)
			return broken(q);   /* outside RAM, or addr + len wraps */
		c->seg[c->nseg].len = d.len;
		c->seg[c->nseg].write = d.flags & VIRTQ_DESC_F_WRITE;
		c->nseg++;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= q->size)
			return broken(q);
		i = d.next;
	}
	q->last_avail++;
	return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint32_t *elem;

	if (!q->size || q->broken)
		return;
	elem = (uint32_t *)(void *)(q->used + 2) + 2 * (q->used_idx & (q->size - 1));
	__atomic_store_n(&elem[0], (uint32_t)head, __ATOMIC_RELAXED);
	__atomic_store_n(&elem[1], len, __ATOMIC_RELAXED);
	q->used_idx++;
	/* 2.4.8.2: the element before the index (release) */
	__atomic_store_n(&q->used[1], q->used_idx, __ATOMIC_RELEASE);
}

bool virtq_wants_interrupt(const struct virtq *q)
{
	if (!q->size)
		return false;
	/* the used index store before the flags load (2.4.7 ordering) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(__atomic_load_n(&q->avail[0], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}
