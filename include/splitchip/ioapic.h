/* SPDX-License-Identifier: MIT */
/*
 * I/O APIC: Intel 82093AA (version 0x11) and the ICH/PCH I/O(x)APIC
 * (version 0x20, with the EOI register at MMIO offset 0x40).
 *
 * The chip takes MMIO offsets relative to its own base; gsi_base and
 * mmio_base are only stored for the board and the VMM (routing, MADT).
 * Interrupts leave the chip as MSI writes (struct sc_msi_sink), one message
 * per delivery, encoded as an APIC bus message would be on a system-bus
 * I/OxAPIC:
 *   address = 0xFEE00000 | dest[63:56] << 12 | destination mode << 2
 *             (| entry[55:49] << 5 when ext_dest_id is enabled)
 *   data    = vector | delivery mode << 8 | trigger << 15
 *             (| 1 << 14, "assert", for level-triggered messages)
 *
 * MMIO map (82093AA 3.1, ICH "I/O APIC registers"):
 *   0x00 IOREGSEL  8-bit index; byte/word/dword writes at 0x00 set it.
 *   0x10 IOWIN     data window; dword, word or byte accesses inside
 *                  0x10..0x13 read/modify the selected 32-bit register.
 *   0x40 EOI       version 0x20 only, write-only, bits 7:0 = vector.
 *   Anything else reads all ones (of the access size) and ignores writes.
 * Indirect registers (IOREGSEL values):
 *   0x00 ID   bits 27:24 APIC ID (R/W, both versions; 4 bits as in every
 *             Intel datasheet), bit 15 scratchpad (R/W, version 0x20 only).
 *   0x01 VER  bits 7:0 version, 23:16 pins - 1, bit 15 PRQ = 0 (no IRQ pin
 *             assertion register, as ICH4 and later).
 *   0x02 ARB  bits 27:24 arbitration ID, read-only, loaded from the ID on
 *             every ID write (82093AA 3.2.3).  Kept on version 0x20 too.
 *   0x10 + 2n / 0x11 + 2n  redirection entry n, low / high dword.
 *   Other indices (and entries >= pins) read 0xffffffff, writes ignored.
 *   IOREGSEL is 8 bits wide, so only entries 0..119 are reachable by the
 *   guest even when more pins are configured (up to 240 are accepted).
 *
 * Behaviour (82093AA 3.2.4, ICH "Redirection table"):
 *   - Delivery status (bit 12) always reads 0: a message is accepted at once.
 *   - Edge: a rising edge of the asserted level (pin level XOR polarity) on
 *     an unmasked pin sends one message.  An edge on a masked pin is lost
 *     ("not delivered or held pending").  Changing the polarity of an edge
 *     entry is not an edge.
 *   - Level (Fixed / Lowest Priority only): while asserted, unmasked and
 *     remote IRR clear, the chip sends and sets remote IRR.  Asserts on a
 *     masked pin are ignored, but the level is sensed continuously, so
 *     unmasking (or any entry write) while still asserted delivers.
 *   - SMI, NMI, INIT and ExtINT are always edge-triggered (82093AA 3.2.4):
 *     their messages carry trigger = edge and never set remote IRR.
 *     Reserved delivery modes (3, 6) send nothing; their route is reported
 *     masked.
 *   - Remote IRR is cleared by an EOI (sc_ioapic_eoi(), or a write of the
 *     EOI register on version 0x20) whose vector matches the entry's
 *     current vector field (82093AA 3.2.4; KVM's in-kernel IOAPIC matches
 *     the same way).  A guest that reprograms the vector while remote IRR
 *     is set must clear it itself, as on hardware: with the EOI register
 *     (version 0x20) or by switching the entry to edge and back, which is
 *     what Linux does (changing an entry to edge, or to an edge-only
 *     delivery mode, clears remote IRR).  After the clear, a still-asserted
 *     unmasked line is delivered again.  delivered_vector[] records the
 *     vector the pending message carried (stats and state only).
 *   - EOI storm guard: when one pin has been redelivered straight from an
 *     EOI more than eoi_storm_limit times in a row without its line going
 *     low, the next redelivery is deferred: the pin is flagged, hooks.retrigger
 *     is called, and the board calls sc_ioapic_retrigger() later (a timer).
 *
 * Locking: the chip is not thread-safe; its owner serialises every call
 * except sc_ioapic_eoi_wanted() and sc_ioapic_vector_has_level_pin(), which
 * read per-vector atomic bitmaps (acquire) and may run concurrently with
 * anything.  The bitmap bit of a vector is set (release) before the message
 * that needs its EOI is sent.  EOI path in a VMM:
 *     if (sc_ioapic_eoi_wanted(io, v)) { lock(io); sc_ioapic_eoi(io, v); unlock(io); }
 * sc_ioapic_eoi() itself returns without writing anything when no pin wants
 * the vector.
 */
#ifndef SPLITCHIP_IOAPIC_H
#define SPLITCHIP_IOAPIC_H

#include <splitchip/types.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_IOAPIC_MAX_PINS      240u
#define SC_IOAPIC_DEFAULT_PINS  24u
#define SC_IOAPIC_PIN_WORDS     ((SC_IOAPIC_MAX_PINS + 63u) / 64u)
#define SC_IOAPIC_DEFAULT_EOI_STORM_LIMIT 10000u

/* Versions (VER bits 7:0). */
#define IOAPIC_VERSION_82093AA  0x11u
#define IOAPIC_VERSION_ICH      0x20u

/* Direct (MMIO) registers. */
#define IOAPIC_IOREGSEL         0x00u
#define IOAPIC_IOWIN            0x10u
#define IOAPIC_EOI              0x40u   /* version 0x20 only */

/* Indirect registers. */
#define IOAPIC_REG_ID           0x00u
#define IOAPIC_REG_VER          0x01u
#define IOAPIC_REG_ARB          0x02u
#define IOAPIC_REG_REDTBL       0x10u   /* + 2n low, + 2n + 1 high */

#define IOAPIC_ID_SHIFT         24
#define IOAPIC_ID_MASK          (0xfu << IOAPIC_ID_SHIFT)
#define IOAPIC_ID_SCRATCHPAD    (1u << 15)      /* version 0x20 */
#define IOAPIC_VER_MRE_SHIFT    16
#define IOAPIC_VER_PRQ          (1u << 15)

/* Redirection entry fields (82093AA 3.2.4). */
#define IOAPIC_REDIR_VECTOR_MASK    0xffull
#define IOAPIC_REDIR_DELMOD_SHIFT   8
#define IOAPIC_REDIR_DELMOD_MASK    (7ull << IOAPIC_REDIR_DELMOD_SHIFT)
#define IOAPIC_REDIR_DESTMOD        (1ull << 11)   /* 1 = logical */
#define IOAPIC_REDIR_DELIVS         (1ull << 12)   /* RO */
#define IOAPIC_REDIR_INTPOL         (1ull << 13)   /* 1 = active low */
#define IOAPIC_REDIR_REMOTE_IRR     (1ull << 14)   /* RO */
#define IOAPIC_REDIR_TRIGGER        (1ull << 15)   /* 1 = level */
#define IOAPIC_REDIR_MASK           (1ull << 16)
#define IOAPIC_REDIR_EXT_DEST_SHIFT 49             /* 55:49, ext_dest_id only */
#define IOAPIC_REDIR_EXT_DEST_MASK  (0x7full << IOAPIC_REDIR_EXT_DEST_SHIFT)
#define IOAPIC_REDIR_DEST_SHIFT     56
#define IOAPIC_REDIR_DEST_MASK      (0xffull << IOAPIC_REDIR_DEST_SHIFT)

struct sc_ioapic_config {
	unsigned pins;          /* 1..240; 0 = 24 */
	uint8_t version;        /* 0x11 or 0x20; 0 = 0x20 */
	uint8_t id;             /* APIC ID after reset (as firmware set it), 0..15 */
	uint32_t gsi_base;      /* for the board: GSI of pin 0 */
	uint64_t mmio_base;     /* for the board: 0xFEC00000 for the first one */
	bool ext_dest_id;       /* entry bits 55:49 -> MSI address bits 11:5 */
	uint32_t eoi_storm_limit; /* 0 = SC_IOAPIC_DEFAULT_EOI_STORM_LIMIT */
};

/*
 * Route-change notification: called for every pin whose redirection entry
 * was written by the guest (masked ones too), and for every pin on reset
 * and restore, so a VMM can mirror the entry into the KVM MSI route of
 * GSI gsi_base + pin.  @masked: mask bit set or reserved delivery mode.
 * @level: the message is level-triggered (KVM EOI exit wanted).
 */
struct sc_ioapic_route_ops {
	void (*changed)(void *opaque, unsigned pin, const struct sc_msi *msg,
			bool masked, bool level);
	void *opaque;
};

/* Optional observers (any member may be NULL). */
struct sc_ioapic_hooks {
	/*
	 * An EOI cleared remote IRR of @pin (level resampling, tick acks).
	 * Called before the chip re-samples the line, so the callee may lower
	 * it with sc_ioapic_set_irq() to avoid a redelivery.
	 */
	void (*eoi)(void *opaque, unsigned pin);
	/*
	 * EOI storm guard tripped on @pin: call sc_ioapic_retrigger() later
	 * (e.g. from a timer) to deliver it if the line is still asserted.
	 */
	void (*retrigger)(void *opaque, unsigned pin);
	void *opaque;
};

struct sc_ioapic_stats {
	uint64_t delivered;      /* messages sent */
	uint64_t eois;           /* remote IRR clears by EOI */
	uint64_t eoi_redelivered;/* deliveries straight from an EOI */
	uint64_t storm_deferred; /* redeliveries deferred by the storm guard */
	uint64_t dropped;        /* reserved delivery modes */
};

struct sc_ioapic {
	/* Lock-free filters, read concurrently (see the locking note above). */
	_Atomic(uint64_t) eoi_wanted[4];  /* vectors with remote IRR set */
	_Atomic(uint64_t) level_vec[4];   /* vectors of level entries */

	struct sc_ioapic_config cfg;
	struct sc_msi_sink out;
	struct sc_ioapic_route_ops routes;
	struct sc_ioapic_hooks hooks;
	const struct sc_trace *trace;

	uint32_t id_reg;                  /* ID register value */
	uint32_t arb_reg;                 /* ARB register value */
	uint8_t ioregsel;
	uint8_t nest;                     /* delivery nesting depth */
	uint64_t redir[SC_IOAPIC_MAX_PINS];
	uint64_t line[SC_IOAPIC_PIN_WORDS];      /* electrical pin levels */
	uint64_t retrigger[SC_IOAPIC_PIN_WORDS]; /* storm-deferred pins */
	uint8_t delivered_vector[SC_IOAPIC_MAX_PINS]; /* vector that set RIRR */
	uint32_t storm_count[SC_IOAPIC_MAX_PINS];
	uint32_t pin_deliveries[SC_IOAPIC_MAX_PINS]; /* messages sent, wraps */

	/*
	 * vector -> pins indices, maintained incrementally on every entry /
	 * RIRR change: per pin the vectors it is filed under (-1 = none), per
	 * vector the number of level pins and the set of RIRR pins with its
	 * count.  level_vec / eoi_wanted bit v == (lvl_cnt / rirr_cnt[v] != 0).
	 */
	int16_t lvl_key[SC_IOAPIC_MAX_PINS];
	int16_t rirr_key[SC_IOAPIC_MAX_PINS][2];
	uint8_t pin_words;                /* words of a pin bitmap in use */
	uint8_t lvl_cnt[256];
	uint8_t rirr_cnt[256];
	uint64_t rirr_pins[256][SC_IOAPIC_PIN_WORDS];

	struct sc_ioapic_stats stats;
};

/*
 * @out, @routes, @trace may be NULL; they are copied except @trace (kept).
 * Returns -EINVAL on a bad config (pins > 240, version not 0x11/0x20,
 * id > 15).  Ends with sc_ioapic_reset().
 */
int sc_ioapic_init(struct sc_ioapic *io, const struct sc_ioapic_config *cfg,
		   const struct sc_msi_sink *out,
		   const struct sc_ioapic_route_ops *routes,
		   const struct sc_trace *trace);
/* Install (copy) observers; NULL removes them. */
void sc_ioapic_set_hooks(struct sc_ioapic *io, const struct sc_ioapic_hooks *hooks);
/*
 * RESET# (82093AA 2.0): every entry masked (0x00010000), remote IRR clear,
 * IOREGSEL 0, ID/ARB = cfg.id.  Pin levels are external and kept.
 * Reports every route as changed.
 */
void sc_ioapic_reset(struct sc_ioapic *io);

uint32_t sc_ioapic_mmio_read(struct sc_ioapic *io, uint64_t offset, unsigned size);
void sc_ioapic_mmio_write(struct sc_ioapic *io, uint64_t offset, unsigned size,
			  uint32_t val);

/* @level: electrical level of @pin (polarity applied inside). -EINVAL on bad pin. */
int sc_ioapic_set_irq(struct sc_ioapic *io, unsigned pin, bool level);
/* EOI broadcast for @vector (LAPIC EOI, KVM_EXIT_IOAPIC_EOI). */
void sc_ioapic_eoi(struct sc_ioapic *io, uint8_t vector);
/* Lock-free: may an EOI for @vector clear a remote IRR? */
bool sc_ioapic_eoi_wanted(const struct sc_ioapic *io, uint8_t vector);
/* Lock-free: is @vector programmed in a level-triggered entry (masked too)? */
bool sc_ioapic_vector_has_level_pin(const struct sc_ioapic *io, uint8_t vector);

/* Current MSI route of @pin; any out pointer may be NULL.  -EINVAL on bad pin. */
int sc_ioapic_route(const struct sc_ioapic *io, unsigned pin, struct sc_msi *msg,
		    bool *masked, bool *level);
/* Raw redirection entry of @pin (0 for a bad pin). */
uint64_t sc_ioapic_entry(const struct sc_ioapic *io, unsigned pin);

/* Storm guard: is @pin waiting for sc_ioapic_retrigger()? */
bool sc_ioapic_retrigger_pending(const struct sc_ioapic *io, unsigned pin);
/* Deliver every deferred pin that still needs it; returns messages sent. */
unsigned sc_ioapic_retrigger(struct sc_ioapic *io);

/* ---- save / restore ---- */
struct sc_ioapic_state_v1 {
	uint32_t version;                 /* 1 */
	uint32_t pins;
	uint32_t id_reg;
	uint32_t arb_reg;
	uint8_t chip_version;             /* 0x11 / 0x20 */
	uint8_t ioregsel;
	uint8_t ext_dest_id;
	uint8_t pad0;
	uint32_t pad1;
	uint64_t redir[SC_IOAPIC_MAX_PINS];
	uint64_t line[SC_IOAPIC_PIN_WORDS];
	uint64_t retrigger[SC_IOAPIC_PIN_WORDS];
	uint32_t storm_count[SC_IOAPIC_MAX_PINS];
	uint8_t delivered_vector[SC_IOAPIC_MAX_PINS];
};

void sc_ioapic_save(const struct sc_ioapic *io, struct sc_ioapic_state_v1 *s);
int sc_ioapic_validate(const struct sc_ioapic_state_v1 *s);
/*
 * Validates (also against this chip's pins, version and ext_dest_id) and
 * returns -EINVAL leaving the chip untouched on a bad state.  Rebuilds the
 * vector indices and reports every route as changed; sends nothing.
 */
int sc_ioapic_restore(struct sc_ioapic *io, const struct sc_ioapic_state_v1 *s);

#ifdef __cplusplus
}
#endif
#endif
