/* SPDX-License-Identifier: MIT */
/*
 * The board: the chips wired as on a PC, the GSI router, and the locking
 * model a multi-threaded VMM needs.
 *
 * Wiring (what a PC chipset does, and what the MADT / MP table describe):
 *   PIT OUT0 ............ ISA IRQ0  -> PIC IR0 and IOAPIC 0 pin 2
 *   RTC IRQ# ............ ISA IRQ8  -> PIC IR8 and IOAPIC 0 pin 8
 *   HPET legacy replacement: timer 0 -> ISA IRQ0, timer 1 -> ISA IRQ8,
 *                         and the PIT and RTC outputs are disconnected
 *   HPET Tn_INT_ROUTE_CNF  -> GSI (IOAPIC 0 pins 0..23)
 *   ISA IRQ n (n != 0) .. PIC IRn and GSI n
 *   PCI INTx ............ GSI 16 + ((device + pin) & 3) | 4 * (bus & 1),
 *                         level, active low (MADT/MP table: no override);
 *                         a GSI with a PCI INTx# attached idles high
 *                         (pull-up), every other line idles low
 *   GSI g ............... IOAPIC i with gsi_base <= g < gsi_base + pins;
 *                         IOAPIC i has gsi_base = i * pins_per_ioapic.
 * A GSI's line is the wired-OR of its sources: each source (PIT, RTC,
 * HPET, a VMM device ...) drives its own bit and the chips see the OR.
 *
 * Port and MMIO map of the board's chips (one table, sc_board_pio_read()
 * and friends dispatch through it):
 *   0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1   i8259A pair and ELCR
 *   0x40-0x43, 0x61                     i8254 and NMI status/control port B
 *   0x70-0x71 (0x72-0x73 bank 2)        MC146818 RTC/CMOS
 *   0xfec00000 + 0x1000 * i             IOAPIC i (4 KiB window)
 *   0xfed00000                          HPET (1 KiB)
 * In kernel-irqchip mode (cfg.external_irqchip) the PIC, IOAPIC and PIT are
 * KVM's: their ports are not claimed and GSI lines leave through
 * ops.gsi_line (KVM_IRQ_LINE).
 *
 * Tick acknowledgement (the lost-tick policies need to know the guest took
 * a tick).  The PIT's and the HPET's edge ticks are acknowledged by:
 *   - an INTA cycle of their ISA IRQ on the PIC (ExtINT delivery);
 *   - an EOI of the vector their IOAPIC pin carries, when cfg.eoi_ack is
 *     set: the VMM asks KVM for EOI exits on that vector (ops.route gets
 *     eoi_exit = true for GSI 2, the HPET route pins, and GSI 8 while the
 *     HPET is in legacy replacement) although the message is edge-triggered;
 *     see docs/DESIGN.md "Tick acknowledgement in split mode";
 *   - immediately, when no acknowledging path is open (the pin and the PIC
 *     input are masked, or eoi_ack is off): the tick is then as good as
 *     delivered on time, exactly what hardware does.
 * The RTC acknowledges its own ticks (register C read), level-triggered
 * HPET timers theirs (status register write).
 *
 * Locking.  The board has one lock per IOAPIC and one chipset lock (PIC,
 * PIT, RTC, HPET, the router's line state and the tick acks).  Lock order:
 * chipset lock, then IOAPIC locks in index order.  sc_board_eoi() - the hot
 * path of KVM_EXIT_IOAPIC_EOI - first reads lock-free per-vector bitmaps
 * (sc_ioapic_eoi_wanted() of each IOAPIC and the board's tick-ack bitmap):
 * an EOI for a vector nobody waits for takes no lock and writes no shared
 * memory; otherwise it takes only the lock of the IOAPIC that owns the
 * vector (never a global lock), or the chipset lock for a tick ack.
 * Outputs (MSIs, the PIC INT level, route changes, EOI notifications) are
 * collected while a lock is held and passed to ops after every lock is
 * dropped, so a VMM may kick vCPUs and issue ioctls from its callbacks.
 * Callbacks must not call back into the board's locked entry points on the
 * same thread.
 *
 * Route order.  A route change (ops.route) is queued under the IOAPIC lock
 * with the entry write that causes it; a message that pin sends afterwards,
 * from any thread, is passed to ops.msi only after every queued route
 * change has been handed over and ops.routes_done() returned.  A VMM that
 * mirrors routes into KVM (KVM_SET_GSI_ROUTING in routes_done) thus knows
 * that no vCPU can receive, and EOI, an interrupt sent under a route KVM
 * has not seen yet: its EOI-exit bitmap is right before the interrupt
 * arrives.  (A thread waits for another's routes_done at most for the
 * length of that call; routes are flushed before messages, so no thread
 * waits for itself.)
 */
#ifndef SPLITCHIP_BOARD_H
#define SPLITCHIP_BOARD_H

#include <splitchip/clock.h>
#include <splitchip/hpet.h>
#include <splitchip/ioapic.h>
#include <splitchip/pic.h>
#include <splitchip/pit.h>
#include <splitchip/rtc.h>
#include <splitchip/tick.h>
#include <splitchip/types.h>

#include <pthread.h>
#include <stdatomic.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_BOARD_MAX_IOAPICS   8u
#define SC_BOARD_MAX_GSIS      (SC_BOARD_MAX_IOAPICS * SC_IOAPIC_DEFAULT_PINS)
#define SC_BOARD_IOAPIC_BASE   0xfec00000ull
#define SC_BOARD_IOAPIC_STRIDE 0x1000ull
#define SC_BOARD_HPET_BASE     0xfed00000ull
#define SC_BOARD_HPET_SIZE     0x400ull
#define SC_BOARD_OUTBOX        (SC_IOAPIC_MAX_PINS + 16u)

/* Who drives a line.  Each source owns one bit of every GSI's wired-OR. */
enum sc_board_source {
	SC_SRC_PIT = 0,
	SC_SRC_RTC = 1,
	SC_SRC_HPET = 2,
	SC_SRC_TESTDEV = 3,   /* QEMU pc-testdev 0x2000+n */
	SC_SRC_UART = 4,
	SC_SRC_SCI = 5,
	SC_SRC_PCI = 6,
	SC_SRC_USER = 8,      /* first source id free for the VMM */
	SC_SRC_MAX = 32,
};

struct sc_board_config {
	unsigned ioapics;          /* 1..8; 0 = 1 */
	unsigned ioapic_pins;      /* pins per IOAPIC, 24..120; 0 = 24 */
	uint8_t ioapic_version;    /* 0x11 / 0x20; 0 = 0x20 */
	bool ext_dest_id;          /* IOAPIC extended destination ID */
	bool no_hpet;
	bool external_irqchip;     /* KVM's PIC/IOAPIC/PIT (kernel mode) */
	bool eoi_ack;              /* tick acks from IOAPIC EOIs (split mode) */
	enum sc_tick_policy pit_policy, rtc_policy, hpet_policy;
	uint64_t (*wall_ns)(void *opaque);   /* RTC's wall clock; required */
	void *wall_opaque;
	int64_t rtc_offset_s;
};

struct sc_board_ops {
	/* An interrupt message (IOAPIC, HPET FSB) for the local APICs. */
	void (*msi)(void *opaque, const struct sc_msi *msg);
	/* The PIC's INT output changed: present it at LINT0 of every vCPU. */
	void (*pic_intr)(void *opaque, bool level);
	/*
	 * The MSI route of @gsi changed (every redirection entry write, masked
	 * ones too).  @eoi_exit: the VMM must make KVM exit on EOIs of this
	 * route's vector (set the trigger bit in the KVM route): level entries
	 * and, with eoi_ack, pins that carry timer ticks.  Called once per
	 * changed GSI, then routes_done() once per batch.
	 */
	void (*route)(void *opaque, unsigned gsi, const struct sc_msi *msg,
		      bool masked, bool eoi_exit);
	void (*routes_done)(void *opaque);
	/* External irqchip: drive GSI @gsi (KVM_IRQ_LINE). */
	void (*gsi_line)(void *opaque, unsigned gsi, bool level);
	/* An EOI cleared remote IRR of @gsi (level device resampling). */
	void (*gsi_eoi)(void *opaque, unsigned gsi);
	void *opaque;
};

struct sc_board_route {
	unsigned gsi;
	struct sc_msi msg;
	bool masked;
	bool eoi_exit;
};

/* Deferred outputs of one locked section (lives on the caller's stack). */
struct sc_board_outbox {
	unsigned n_msi;
	unsigned n_route;
	bool intr_changed;
	bool intr_level;
	bool intr_fell;           /* INT went low at some point */
	bool any_eoi;
	uint64_t eoi_gsi[(SC_BOARD_MAX_GSIS + 63) / 64];
	struct sc_msi msi[SC_BOARD_OUTBOX];
	struct sc_board_route route[SC_BOARD_MAX_GSIS];
};

struct sc_board;

/* One lock domain: a lock and where its outputs go while it is held. */
struct sc_board_domain {
	pthread_mutex_t lock;
	struct sc_board_outbox *outbox;   /* NULL: deliver at once */
	struct sc_board *board;
	unsigned index;                   /* IOAPIC index (IOAPIC domains) */
};

/* A tick source whose edge ticks need an acknowledgement. */
struct sc_board_ticker {
	int isa_irq;              /* PIC input of the delivery, -1 none */
	bool wait_inta;           /* acked by a PIC INTA of isa_irq */
	bool wait_eoi;            /* acked by an EOI of eoi_vector */
	uint8_t eoi_vector;
};

struct sc_board_stats {
	uint64_t gsi_raised[SC_BOARD_MAX_GSIS];  /* rising edges per GSI */
	uint64_t tick_acks_eoi;
	uint64_t tick_acks_inta;
	uint64_t tick_acks_nmi;
	uint64_t tick_acks_auto;
};

struct sc_board {
	struct sc_board_config cfg;
	struct sc_board_ops ops;
	struct sc_clock *clock;
	const struct sc_trace *trace;
	unsigned nr_gsis;

	/* Lock-free: vectors with a tick waiting for its EOI. */
	_Atomic(uint64_t) tick_ack_vec[4];
	/* HPET legacy replacement on (read by route reports under IOAPIC locks). */
	atomic_bool hpet_legacy_on;
	/* Route changes queued in outboxes and not yet handed to ops.route /
	 * ops.routes_done: no message leaves (ops.msi) while any is, so a
	 * message sent under a new redirection entry never overtakes that
	 * entry's route (see "Route order" above).  route_cv under route_mu. */
	atomic_uint routes_queued;
	pthread_mutex_t route_mu;
	pthread_cond_t route_cv;

	struct sc_board_domain chipset;   /* PIC, PIT, RTC, HPET, router */
	struct sc_board_domain io_dom[SC_BOARD_MAX_IOAPICS];

	struct sc_pic pic;
	struct sc_pit pit;
	struct sc_rtc rtc;
	struct sc_hpet hpet;
	struct sc_ioapic ioapic[SC_BOARD_MAX_IOAPICS];

	/* Router state: per GSI, the sources driving it high. */
	uint32_t gsi_src[SC_BOARD_MAX_GSIS];
	/* Per ISA IRQ, the sources driving the PIC input high. */
	uint32_t isa_src[16];
	/* GSIs with a PCI INTx# attached: active-low wires. */
	uint64_t active_low[(SC_BOARD_MAX_GSIS + 63) / 64];

	/* [0] PIT counter 0, [1 + n] HPET timer n. */
	struct sc_board_ticker ticker[1 + SC_HPET_MAX_TIMERS];
	struct sc_timer retrigger_timer;  /* IOAPIC EOI-storm redelivery */
	bool hpet_edge_hold[2];           /* HPET legacy IRQ0 / IRQ8 held high */
	uint16_t inta_pending;            /* ISA IRQs INTA'd, acks to apply */
	bool rtc_irq8;                    /* the RTC's IRQ output level */

	struct sc_board_stats stats;      /* under the chipset lock */
	struct sc_board_outbox timer_ob;  /* host clock callbacks, chipset lock */
};

/*
 * Build the board.  @clock is the VM's time base (an sc_host_clock: install
 * the board's guard with sc_board_attach_host_clock()).  Returns 0 or
 * -EINVAL (bad config, missing wall clock).
 */
int sc_board_init(struct sc_board *b, struct sc_clock *clock,
		  const struct sc_board_config *cfg, const struct sc_board_ops *ops,
		  const struct sc_trace *trace);
/* Run host clock callbacks under the chipset lock, outputs after unlock. */
void sc_board_attach_host_clock(struct sc_board *b, struct sc_host_clock *hc);
void sc_board_destroy(struct sc_board *b);
/* Platform reset: every chip to its power-on state. */
void sc_board_reset(struct sc_board *b);

/* Guest port I/O: false if the port is not the board's. @size 1, 2 or 4. */
bool sc_board_pio_read(struct sc_board *b, uint16_t port, unsigned size, uint32_t *val);
bool sc_board_pio_write(struct sc_board *b, uint16_t port, unsigned size, uint32_t val);
/* Guest MMIO: false if @addr is not the board's. */
bool sc_board_mmio_read(struct sc_board *b, uint64_t addr, unsigned size, uint64_t *val);
bool sc_board_mmio_write(struct sc_board *b, uint64_t addr, unsigned size, uint64_t val);

/* GSI router.  -EINVAL on a bad gsi/irq/source. */
int sc_board_set_gsi(struct sc_board *b, unsigned gsi, unsigned source, bool level);
int sc_board_set_isa_irq(struct sc_board *b, unsigned irq, unsigned source, bool level);
/* Declare a PCI INTx# (pin 0..3 = INTA#..INTD#) wired to its GSI: the
 * line becomes active low and idles high.  Done implicitly by the first
 * sc_board_set_pci_intx(); call it at device creation so the guest sees
 * an idle line before the first interrupt. */
int sc_board_attach_pci_intx(struct sc_board *b, unsigned bus, unsigned dev, unsigned pin);
/* PCI INTx (pin 0..3 = INTA#..INTD#), asserted = true. */
int sc_board_set_pci_intx(struct sc_board *b, unsigned bus, unsigned dev,
			  unsigned pin, unsigned source, bool asserted);
unsigned sc_board_pci_intx_gsi(unsigned bus, unsigned dev, unsigned pin);

/*
 * A local APIC EOI for @vector (KVM_EXIT_IOAPIC_EOI).  Safe to call from
 * any number of vCPU threads at once; see the locking note above.
 */
void sc_board_eoi(struct sc_board *b, uint8_t vector);

/*
 * Lock-free: does an interrupt that went out with @vector still wait for
 * its EOI - a level entry with remote IRR set whose vector field is
 * @vector, or a timer tick on @vector awaiting its EOI acknowledgement?
 * A VMM that mirrors routes into KVM keeps an EOI exit for the old
 * destination while this holds (see vmm/chipset.c, ghost routes).
 */
bool sc_board_vector_awaits_eoi(struct sc_board *b, uint8_t vector);

/*
 * One GSI as its IOAPIC sees it.  Lock-free (a racy snapshot: each field is
 * read atomically, the set of them is not), so a VMM may call it from any
 * callback.
 */
struct sc_board_gsi_status {
	uint64_t entry;          /* redirection entry (remote IRR, vector, dest) */
	uint32_t deliveries;     /* messages sent for this pin so far (wraps) */
	uint8_t delivered_vector;
	bool line;               /* electrical level */
	/* the last delivery still waits for its EOI: remote IRR set (level),
	 * or a timer tick on the entry's vector unacknowledged (eoi_ack) */
	bool awaits_eoi;
};
/* -EINVAL when @gsi is not an IOAPIC input of this board. */
int sc_board_gsi_status(struct sc_board *b, unsigned gsi, struct sc_board_gsi_status *out);

/* PIC output, for ExtINT delivery: INT level and the INTA cycle. */
bool sc_board_pic_intr(struct sc_board *b);
int sc_board_pic_inta(struct sc_board *b);
/*
 * The PIC's INT was taken as an NMI (a vCPU's LVT0 in NMI mode, Linux's
 * nmi_watchdog=1): no INTA cycle will come, so the ticks presented at the
 * PIC count as acknowledged.  The VMM calls it after KVM_NMI.
 */
void sc_board_pic_nmi_taken(struct sc_board *b);
/* Port 0x70 bit 7. */
bool sc_board_nmi_masked(struct sc_board *b);

/* The vCPU that takes timer interrupts (timer follows the vCPU). */
void sc_board_set_timer_affinity(struct sc_board *b, int vcpu);
/* Tick statistics: 0 = PIT, 1 = RTC, 2 + n = HPET timer n.  -EINVAL if none. */
int sc_board_tick_stats(struct sc_board *b, unsigned source, struct sc_tick_stats *out);
/* Push every route to ops.route (e.g. after the VMM set up its routing). */
void sc_board_sync_routes(struct sc_board *b);

/*
 * Save/restore of the whole board: every chip's own versioned state plus
 * the router's line state.  Chips absent in this configuration (kernel
 * mode, no HPET) are saved zeroed and must be zeroed on restore.
 */
#define SC_BOARD_STATE_VERSION 1u
struct sc_board_state_v1 {
	uint32_t version;
	uint32_t ioapics;
	uint32_t ioapic_pins;
	uint8_t external_irqchip;
	uint8_t has_hpet;
	uint8_t hpet_edge_hold[2];
	uint32_t isa_src[16];
	uint32_t gsi_src[SC_BOARD_MAX_GSIS];
	uint64_t active_low[(SC_BOARD_MAX_GSIS + 63) / 64];
	struct sc_pic_state_v1 pic;
	struct sc_pit_state_v1 pit;
	struct sc_rtc_state_v1 rtc;
	struct sc_hpet_state_v1 hpet;
	struct sc_ioapic_state_v1 ioapic[SC_BOARD_MAX_IOAPICS];
};
void sc_board_save(struct sc_board *b, struct sc_board_state_v1 *s);
/* Validates everything (also against this board's configuration) before
 * touching anything; -EINVAL leaves the board as it was. */
int sc_board_restore(struct sc_board *b, const struct sc_board_state_v1 *s);

/* Which IOAPIC owns @gsi (index), and its pin; -EINVAL if none. */
int sc_board_gsi_to_pin(const struct sc_board *b, unsigned gsi, unsigned *ioapic, unsigned *pin);

#ifdef __cplusplus
}
#endif
#endif
