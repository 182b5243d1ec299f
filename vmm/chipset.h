/* SPDX-License-Identifier: MIT */
/*
 * The chipset of a splitvm VM: the one file (chipset.c) that wires the
 * splitchip library's chips (PIC pair, IOAPICs, PIT, RTC, HPET) to each
 * other and to KVM.  KVM itself stays behind struct chipset_ops so the
 * chipset runs in tests without /dev/kvm.
 */
#ifndef SPLITVM_CHIPSET_H
#define SPLITVM_CHIPSET_H

#include <pthread.h>
#include <splitchip/clock.h>
#include <splitchip/tick.h>
#include <splitchip/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

struct chipset;

/* One KVM GSI route: GSI = IOAPIC input (24 * ioapic + pin). */
struct chipset_route {
	uint32_t gsi;
	struct sc_msi msg;
};

/* What the chipset asks of the hypervisor (kvm.c, or a test fake). */
struct chipset_ops {
	/* split: deliver an IOAPIC/HPET message (KVM_SIGNAL_MSI) */
	void (*send_msi)(void *opaque, const struct sc_msi *msg);
	/* split: replace the whole GSI routing table (KVM_SET_GSI_ROUTING) */
	void (*set_routes)(void *opaque, const struct chipset_route *r, unsigned n);
	/* split: the PIC INT output changed level (present it at LINT0) */
	void (*pic_intr)(void *opaque, bool level);
	/* kernel mode: drive in-kernel irqchip input @gsi (KVM_IRQ_LINE) */
	void (*irq_line)(void *opaque, unsigned gsi, bool level);
	void *opaque;
	/* kernel mode: the HPET's LegacyReplacement route (LEG_RT_CNF) went
	 * on or off: disconnect KVM's PIT from IRQ0 / reconnect it
	 * (KVM_SET_PIT2 flag KVM_PIT_FLAGS_HPET_LEGACY).  Optional. */
	void (*pit_hpet_legacy)(void *opaque, bool on);
};

struct chipset_config {
	bool split;
	unsigned ncpus;
	unsigned nioapics;            /* split mode; 1 in kernel mode */
	bool hpet;
	bool no_ghost_routes;         /* diagnostic (--no-ghost-routes): QEMU's way */
	enum sc_tick_policy policy[VM_NSRC];
	struct sc_clock *clock;
	struct sc_host_clock *host_clock;   /* NULL in tests (fake clock) */
	uint64_t ram_size;            /* for the CMOS memory-size bytes */
	uint64_t (*wall_ns)(void *opaque);  /* RTC wall clock (CLOCK_REALTIME) */
};

#define CHIPSET_MAX_GSI (VM_MAX_IOAPICS * 24u)
#define CHIPSET_MAX_STUCK 8u
/* GSIs to reserve with KVM_CAP_SPLIT_IRQCHIP: the IOAPIC inputs and as
 * many for the ghost routes that keep an in-flight EOI (chipset.c). */
static inline unsigned chipset_reserved_gsis(unsigned nioapics)
{
	return 2u * 24u * nioapics;
}

struct chipset_stats {
	unsigned ngsi;
	uint64_t gsi_irqs[CHIPSET_MAX_GSI];   /* rising edges per GSI */
	uint64_t tick_acks_eoi, tick_acks_inta, tick_acks_auto;
	uint64_t route_updates;               /* KVM_SET_GSI_ROUTING calls */
	uint64_t ghosts_made, ghosts_dropped, ghosts_live; /* old routes kept for an EOI */
	uint64_t msi_dm[8];                   /* messages sent, by delivery mode */
	unsigned nstuck;                      /* level lines stuck in remote IRR */
	struct chipset_stuck {
		unsigned gsi;
		uint8_t vector, delivered_vector, dest;
		bool logical, line;
		uint64_t ms;                  /* virtual time since the last delivery */
	} stuck[CHIPSET_MAX_STUCK];
	unsigned ntick;
	char tick_name[2 + 32][8];
	struct sc_tick_stats tick[2 + 32];    /* pit, rtc, hpet0.. */
};

/* Returns 0, or -1 with a reason in @err. */
int chipset_create(struct chipset **out, const struct chipset_config *cfg,
		   const struct chipset_ops *ops, char *err, size_t errlen);
void chipset_destroy(struct chipset *cs);
/* Push the whole GSI routing table to ops->set_routes (split mode). */
void chipset_start(struct chipset *cs);

/* Guest accesses, any width; reads of undecoded bytes give all ones. */
uint64_t chipset_pio(struct chipset *cs, uint16_t port, unsigned size, bool write, uint64_t val);
uint64_t chipset_mmio(struct chipset *cs, uint64_t addr, unsigned size, bool write, uint64_t val);

/* ISA IRQ @irq from a VM device (0..15: PIC and IOAPIC, IRQ0 -> pin 2;
 * 16..23 IOAPIC only).  Each caller is its own wired-OR source. */
enum chipset_source { CHIPSET_SRC_TESTDEV, CHIPSET_SRC_UART, CHIPSET_SRC_SCI };
int chipset_set_isa_irq(struct chipset *cs, unsigned irq, enum chipset_source src, bool level);
/* PCI INTx# of bus 0 device @dev, @pin 0..3 = INTA#..INTD# (board.h: GSI
 * 16 + ((dev + pin) & 3), level, active low).  Attach at device creation
 * so the line idles high before the first interrupt. */
int chipset_attach_pci_intx(struct chipset *cs, unsigned dev, unsigned pin);
int chipset_set_pci_intx(struct chipset *cs, unsigned dev, unsigned pin, bool asserted);

/* vCPU side (split mode). */
bool chipset_pic_intr(struct chipset *cs);
/* INTA cycle: vector, or -1 when INT dropped meanwhile. */
int chipset_pic_inta(struct chipset *cs);
/* PIC INT went to the vCPUs as NMIs (LINT0 in NMI mode): acks its ticks. */
void chipset_pic_nmi_taken(struct chipset *cs);
/* KVM_EXIT_IOAPIC_EOI for @vector: tick acks, then the IOAPIC EOI path. */
void chipset_eoi(struct chipset *cs, uint8_t vector);
/* vCPU loop: apply deferred work (timer affinity after a route change). */
void chipset_poll(struct chipset *cs);
/* PIT ticks delivered so far (NMI watchdog). */
void chipset_get_pit_delivered(struct chipset *cs, uint64_t *delivered);

/* IOAPIC version (for the firmware tables) and HPET GCAP_ID low half. */
uint8_t chipset_ioapic_version(struct chipset *cs);
uint32_t chipset_hpet_block_id(struct chipset *cs);
void chipset_get_stats(struct chipset *cs, struct chipset_stats *st);

#endif
