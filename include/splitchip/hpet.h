/* SPDX-License-Identifier: MIT */
/*
 * HPET: IA-PC High Precision Event Timers, specification revision 1.0a
 * (October 2004).  Section numbers below refer to that document.
 *
 * Model summary
 *   - One 1 KiB MMIO block (2.3.1, Table 2).  The main counter is 64 bits
 *     and runs at 100 MHz: COUNTER_CLK_PERIOD = 10,000,000 fs = 10 ns
 *     (2.3.4; the spec allows <= 100 ns).  Its value is computed from
 *     virtual time, never ticked.
 *   - 3..32 timers (NUM_TIM_CAP = timers - 1).  Timer 0 is always periodic
 *     capable and 64 bits wide; the other timers' capabilities come from
 *     struct sc_hpet_config (default: 32-bit, one-shot only, like the ICH).
 *   - Interrupt route capability (Tn_INT_ROUTE_CAP) defaults to IOAPIC pins
 *     20..23 for every timer (SC_HPET_DEFAULT_ROUTE_CAP); the VMM must keep
 *     those pins free of other devices (ACPI _PRT / MADT).  A write of an
 *     unsupported Tn_INT_ROUTE_CNF value leaves the field unchanged.  The
 *     reset value 0 is "not routed" unless pin 0 is in the capability: such
 *     a timer fires (status bit, comparator) but drives no pin.
 *   - Legacy replacement (LEG_RT_CNF, 2.3.7): timer 0 drives ISA IRQ0 and
 *     timer 1 ISA IRQ8 through sc_hpet_irq_ops.set_legacy(); the board maps
 *     ISA IRQ0 to PIC IRQ0 / IOAPIC pin 2 and IRQ8 to PIC IRQ8 / pin 8 and
 *     disconnects PIT OUT0 and the RTC IRQ8 while legacy_mode() says on.
 *     Every other route is an IOAPIC pin, reported through set_irq().
 *   - FSB delivery (Tn_FSB_EN_CNF, 2.3.8): an MSI write of Tn_FSB_INT_VAL to
 *     Tn_FSB_INT_ADDR through the sc_msi_sink.  FSB interrupts are edge
 *     messages: the status bit is not used for them.
 *   - Edge interrupts are pulses (set_*(.., true) then set_*(.., false)).
 *     Level interrupts set Tn_INT_STS (2.3.6) and hold the line while the
 *     bit is set, Tn_INT_ENB_CNF is set and ENABLE_CNF is set; writing 1 to
 *     the status bit clears it and acknowledges the tick.  Several level
 *     timers on one pin are wired-OR.  A status bit is set for level timers
 *     even when Tn_INT_ENB_CNF is 0 ("the timer will still operate and
 *     generate appropriate status bits", 2.3.8); edge timers never set it.
 *   - Periodic timers (Tn_TYPE_CNF) deliver through a struct sc_tick per
 *     timer (lost-tick policy configurable).  Edge deliveries are
 *     acknowledged right away, unless the timer's bit is in
 *     config.board_ack_mask and the pulse reached a pin: then the board
 *     calls sc_hpet_ack() (e.g. on PIC EOI of IRQ0).  Deliveries that drive
 *     nothing (Tn_INT_ENB_CNF clear, unrouted, line held by a level timer)
 *     are acknowledged right away.  FSB deliveries are always acknowledged right away (an
 *     edge MSI gives no EOI exit in split mode).  Level deliveries are
 *     acknowledged by the status write.  A period shorter than
 *     config.min_tick_ns (default SC_HPET_MIN_TICK_NS) interrupts at that
 *     ceiling instead, on its own grid from the first match (host
 *     protection: a 10 ns period would otherwise have the host run a timer
 *     callback every 10 ns); the comparator the guest reads still advances
 *     by the programmed period.
 *   - Comparator write semantics (2.3.8, 2.3.9.2.2): in one-shot mode a
 *     write sets the comparator.  In periodic mode a write sets the period
 *     (the value added at each match, "the last value written") and, when
 *     Tn_VAL_SET_CNF was set before it, also the comparator itself.  Each
 *     comparator write (also a 32-bit write of one half) consumes
 *     Tn_VAL_SET_CNF.  Tn_VAL_SET_CNF reads as 0; writing 0 has no effect.
 *     In periodic mode the comparator reads back the next match.  A periodic
 *     period of 0 means the comparator never moves: it matches again only
 *     when the low 32 bits of the counter wrap around to it (32-bit mode).
 *   - 32-bit timers (Tn_SIZE_CAP = 0, or Tn_32MODE_CNF): comparator and
 *     period are 32 bits, compared with the low 32 bits of the counter; the
 *     upper comparator half reads 0 and ignores writes.  Setting
 *     Tn_32MODE_CNF truncates comparator and period to 32 bits.  A one-shot
 *     32-bit timer interrupts when the low counter bits equal the comparator
 *     and also whenever the 32-bit counter wraps to 0 (2.3.9.2.1).
 *   - Reset: comparators read all ones (model choice), period 0, every
 *     Tn_CONF writable bit 0 (route 0), counter halted at 0.
 *   - ENABLE_CNF = 0 halts the counter and stops all interrupts (level lines
 *     drop; they come back if the status bits are still set on re-enable).
 *     The main counter is writable only while halted; writes while it runs
 *     are ignored (the spec says software must not do it, 2.3.5).
 *   - Access sizes: 4-byte accesses at 4-aligned offsets (either half of a
 *     64-bit register) and 8-byte accesses at 8-aligned offsets.  Any other
 *     size or alignment reads all ones (of the access size) and ignores
 *     writes.  Reserved offsets inside the block, and the registers of
 *     timers beyond NUM_TIM_CAP, read 0 and ignore writes; offsets >=
 *     SC_HPET_MMIO_SIZE_MAX read all ones.  With more than 24 timers the
 *     VMM must map SC_HPET_MMIO_SIZE_MAX bytes (the spec's 1 KiB holds 24).
 */
#ifndef SPLITCHIP_HPET_H
#define SPLITCHIP_HPET_H

#include <splitchip/clock.h>
#include <splitchip/tick.h>
#include <splitchip/types.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_HPET_MMIO_SIZE          0x400u      /* 2.3.1: one 1 KiB block */
/* The register file of timers 24..31 lies past 1 KiB (0x100 + 0x20 * n):
 * the spec allows 32 timers but only 24 fit.  The chip decodes up to here. */
#define SC_HPET_MMIO_SIZE_MAX      0x500u
#define SC_HPET_MIN_TIMERS         3u
#define SC_HPET_MAX_TIMERS         32u
#define SC_HPET_DEFAULT_TIMERS     3u
#define SC_HPET_CLK_PERIOD_FS      10000000u   /* 10 ns: 100 MHz */
#define SC_HPET_TICK_NS            10u
/* Interrupt ceiling of periodic timers (20 kHz, as SC_PIT_MIN_TICK_NS). */
#define SC_HPET_MIN_TICK_NS        50000u
#define SC_HPET_VENDOR_INTEL       0x8086u
#define SC_HPET_DEFAULT_ROUTE_CAP  0x00f00000u /* IOAPIC pins 20..23 */
#define SC_HPET_LEGACY_IRQ_TIMER0  0u          /* ISA IRQ0 (2.3.7) */
#define SC_HPET_LEGACY_IRQ_TIMER1  8u          /* ISA IRQ8 */

/* Register offsets (2.3.1, Table 2). */
#define HPET_GCAP_ID               0x000u
#define HPET_GEN_CONF              0x010u
#define HPET_GINTR_STA             0x020u
#define HPET_MAIN_CNT              0x0f0u
#define HPET_TN_CONF(n)            (0x100u + 0x20u * (n))
#define HPET_TN_CMP(n)             (0x108u + 0x20u * (n))
#define HPET_TN_FSB_ROUTE(n)       (0x110u + 0x20u * (n))

/* General Capabilities and ID Register (2.3.4). */
#define HPET_GCAP_REV_ID_MASK              0xffull
#define HPET_GCAP_NUM_TIM_CAP_SHIFT        8
#define HPET_GCAP_NUM_TIM_CAP_MASK         (0x1full << 8)
#define HPET_GCAP_COUNT_SIZE_CAP           (1ull << 13)
#define HPET_GCAP_LEG_RT_CAP               (1ull << 15)
#define HPET_GCAP_VENDOR_ID_SHIFT          16
#define HPET_GCAP_COUNTER_CLK_PERIOD_SHIFT 32

/* General Configuration Register (2.3.5). */
#define HPET_ENABLE_CNF            (1ull << 0)
#define HPET_LEG_RT_CNF            (1ull << 1)

/* Timer N Configuration and Capabilities Register (2.3.8). */
#define HPET_TN_INT_TYPE_CNF       (1ull << 1)   /* 1 = level */
#define HPET_TN_INT_ENB_CNF        (1ull << 2)
#define HPET_TN_TYPE_CNF           (1ull << 3)   /* 1 = periodic */
#define HPET_TN_PER_INT_CAP        (1ull << 4)
#define HPET_TN_SIZE_CAP           (1ull << 5)   /* 1 = 64-bit */
#define HPET_TN_VAL_SET_CNF        (1ull << 6)
#define HPET_TN_32MODE_CNF         (1ull << 8)
#define HPET_TN_INT_ROUTE_CNF_SHIFT 9
#define HPET_TN_INT_ROUTE_CNF_MASK (0x1full << 9)
#define HPET_TN_FSB_EN_CNF         (1ull << 14)
#define HPET_TN_FSB_INT_DEL_CAP    (1ull << 15)
#define HPET_TN_INT_ROUTE_CAP_SHIFT 32

struct sc_hpet_config {
	unsigned timers;            /* 3..32; 0 = SC_HPET_DEFAULT_TIMERS */
	uint32_t periodic_mask;     /* Tn_PER_INT_CAP timers (bit 0 forced) */
	uint32_t size64_mask;       /* Tn_SIZE_CAP timers (bit 0 forced) */
	uint32_t fsb_mask;          /* Tn_FSB_INT_DEL_CAP timers */
	uint32_t board_ack_mask;    /* edge deliveries acked by sc_hpet_ack() */
	uint32_t route_cap[SC_HPET_MAX_TIMERS]; /* 0 = SC_HPET_DEFAULT_ROUTE_CAP */
	uint16_t vendor_id;         /* 0 = SC_HPET_VENDOR_INTEL */
	enum sc_tick_policy policy; /* initial policy of every timer */
	/* Periodic interrupt ceiling (ns); 0 = SC_HPET_MIN_TICK_NS. */
	uint32_t min_tick_ns;
};

struct sc_hpet_irq_ops {
	/* IOAPIC pin @gsi (Tn_INT_ROUTE_CNF, 0..31) goes to @level. */
	void (*set_irq)(void *opaque, unsigned gsi, bool level);
	/* ISA IRQ @isa_irq (0 or 8, legacy replacement) goes to @level. */
	void (*set_legacy)(void *opaque, unsigned isa_irq, bool level);
	/* LEG_RT_CNF changed (optional). */
	void (*legacy_mode)(void *opaque, bool on);
	void *opaque;
};

struct sc_hpet;

struct sc_hpet_timer {
	struct sc_hpet *hpet;
	unsigned index;
	uint64_t caps;       /* read-only bits of Tn_CONF incl. Tn_INT_ROUTE_CAP */
	uint64_t config;     /* writable bits of Tn_CONF */
	uint64_t cmp;        /* comparator as stored (periodic: see readback) */
	uint64_t period;     /* last value written to the comparator */
	uint64_t fsb;        /* Tn_FSB_INT_ROUTE: value low, address high */
	bool val_set;        /* Tn_VAL_SET_CNF pending */
	/* Schedule, valid while ENABLE_CNF is set; ticks since counter_time. */
	uint8_t sched;       /* private: none / equality match / tick */
	bool wrap;           /* equality schedule also fires on 32-bit wraps */
	uint64_t next_e;     /* equality: next event */
	uint64_t from_e;     /* first tick still eligible for an event */
	uint64_t anchor_e;   /* tick: first match */
	struct sc_timer timer;
	struct sc_tick tick;
};

struct sc_hpet {
	struct sc_clock *clock;
	struct sc_hpet_irq_ops irq;
	struct sc_msi_sink fsb_sink;
	struct sc_trace trace;
	unsigned timers;
	uint16_t vendor_id;
	uint32_t board_ack_mask;
	uint32_t min_tick_ns;   /* periodic interrupt ceiling */
	uint64_t gen_conf;
	uint64_t isr;
	uint64_t counter;       /* main counter value at counter_time */
	uint64_t counter_time;  /* virtual ns; counting from there if enabled */
	uint32_t pin_level;     /* IOAPIC pins currently driven high */
	uint32_t legacy_level;  /* bit 0: ISA IRQ0, bit 1: ISA IRQ8 */
	struct sc_hpet_timer t[SC_HPET_MAX_TIMERS];
};

/*
 * @cfg may be NULL (defaults); @irq, @fsb and @trace may be NULL.  The ops
 * structs are copied.  Returns 0 or -EINVAL (no clock, bad timer count).
 */
int sc_hpet_init(struct sc_hpet *h, struct sc_clock *clock,
		 const struct sc_hpet_config *cfg,
		 const struct sc_hpet_irq_ops *irq,
		 const struct sc_msi_sink *fsb, const struct sc_trace *trace);
/* Cancel every clock timer (call before freeing the chip). */
void sc_hpet_destroy(struct sc_hpet *h);
/* Power-on state: registers to their defaults, counter halted at 0. */
void sc_hpet_reset(struct sc_hpet *h);

/* Guest accesses; @offset relative to the block base. */
uint64_t sc_hpet_mmio_read(struct sc_hpet *h, uint64_t offset, unsigned size);
void sc_hpet_mmio_write(struct sc_hpet *h, uint64_t offset, unsigned size,
			uint64_t val);

/* Host controls; -EINVAL on a bad timer number or policy. */
int sc_hpet_set_policy(struct sc_hpet *h, unsigned timer, enum sc_tick_policy p);
/* The tick engine of @timer (stats, tuning), or NULL. */
struct sc_tick *sc_hpet_tick(struct sc_hpet *h, unsigned timer);
/* The board saw the guest take @timer's edge interrupt (EOI). */
int sc_hpet_ack(struct sc_hpet *h, unsigned timer);
/* Which vCPU takes @timer's interrupt (timer follows the vCPU). */
int sc_hpet_set_affinity(struct sc_hpet *h, unsigned timer, int vcpu);
bool sc_hpet_legacy_enabled(const struct sc_hpet *h);

/* ---- save/restore ---- */
struct sc_hpet_timer_state_v1 {
	uint64_t config;        /* writable Tn_CONF bits */
	uint64_t cmp;
	uint64_t period;
	uint64_t fsb;
	uint64_t next_e;        /* ticks since counter_time */
	uint64_t from_e;
	uint64_t anchor_e;
	uint64_t deadline;      /* one-shot timer deadline, absolute virtual ns */
	uint8_t sched;          /* 0 none, 1 equality match, 2 tick */
	uint8_t wrap;
	uint8_t val_set;
	uint8_t armed;          /* deadline valid */
	uint32_t pad;
	struct sc_tick_state_v1 tick;
};

struct sc_hpet_state_v1 {
	uint32_t version;       /* 1 */
	uint32_t timers;
	uint64_t gen_conf;
	uint64_t isr;
	uint64_t counter;       /* main counter value at counter_time */
	uint64_t counter_time;  /* absolute virtual ns */
	struct sc_hpet_timer_state_v1 timer[SC_HPET_MAX_TIMERS];
};

void sc_hpet_save(const struct sc_hpet *h, struct sc_hpet_state_v1 *s);
int sc_hpet_validate(const struct sc_hpet_state_v1 *s);
/*
 * Validates (also against this chip's configuration) first; -EINVAL and no
 * change on bad state.  Does not call the output callbacks: the line levels
 * implied by the state are recorded as already driven (the board restores
 * the receivers' pin state itself).
 */
int sc_hpet_restore(struct sc_hpet *h, const struct sc_hpet_state_v1 *s);

#ifdef __cplusplus
}
#endif
#endif
