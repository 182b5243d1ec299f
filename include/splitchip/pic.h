/* SPDX-License-Identifier: MIT */
/*
 * i8259A Programmable Interrupt Controller pair (PC/AT wiring) plus the
 * chipset's Edge/Level Control Registers (ELCR, 82371/ICH ports 0x4d0/0x4d1).
 *
 * Wiring modelled (as on the PC/AT): chip[0] is the master at ports
 * 0x20/0x21, chip[1] the slave at 0xa0/0xa1; the slave's INT output drives
 * the master's IR2 and the CAS lines connect both, so the master's IR2 is
 * the cascade input (ICW3 on the master selects which inputs are cascades;
 * a cascade acknowledge is answered by the slave whose ICW3 ID matches).
 * IRQ n (0..7) is master IRn, IRQ 8+n is slave IRn.  sc_pic_set_irq(2, ...)
 * is accepted and ignored: master IR2 is driven by the slave only.
 *
 * Edge-triggered inputs: the 8259A datasheet ("Edge and Level Triggered
 * Modes") says the request latch is a transparent D latch and the IR input
 * must stay high until the first INTA, else a default IR7 occurs.  The
 * model follows the datasheet by default: a rising edge arms the request
 * and the IRR bit drops again if the line drops before the acknowledge.
 * Sources that present edges as short pulses (a set_irq(1) followed at
 * once by set_irq(0), e.g. a tick engine delivering PIT OUT0 as a pulse)
 * should call sc_pic_set_latch_edges(pic, true): edge-mode IRR bits then
 * stay set once latched until acknowledged (INTA/poll) or ICW1.
 *
 * Power-up state is undefined in the datasheet; sc_pic_reset() leaves both
 * chips as after an ICW1 with SNGL=0 and no ICW4, ICW3 as wired (master
 * 0x04, slave ID 2), vector base 0, all inputs masked (IMR 0xff) so nothing
 * is delivered before the guest programs them, and ELCR 0 (all edge).
 *
 * Trigger mode of an input: level if ICW1 LTIM is set or its ELCR bit is
 * set (the 82371/ICH ignore LTIM; a plain 8259A has no ELCR).  Vectors are
 * always formed the 8086 way (ICW2 T7-T3 + level) whatever ICW4 uPM says:
 * no x86 guest uses MCS-80/85 mode.  ICW1 also clears the ISR (the
 * datasheet does not say so); ISR bits cleared that way are reported to
 * the ack observer as EOIs so a tick waiting for one is not stranded.
 *
 * Guest ports are byte wide: sc_pic_ioport_read/write take one byte; the
 * VMM splits wider accesses.
 *
 * Not thread-safe: the owner serialises calls.  Callbacks (INT wire, ack
 * observer, trace) are invoked after the state is consistent, and may call
 * back into the PIC (e.g. the ack observer raising the next tick).
 */
#ifndef SPLITCHIP_PIC_H
#define SPLITCHIP_PIC_H

#include <splitchip/types.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- I/O ports ---- */
#define SC_PIC_MASTER_CMD   0x20   /* A0 = 0 */
#define SC_PIC_MASTER_DATA  0x21   /* A0 = 1 */
#define SC_PIC_SLAVE_CMD    0xa0
#define SC_PIC_SLAVE_DATA   0xa1
#define SC_PIC_ELCR1        0x4d0  /* IRQ 0-7 */
#define SC_PIC_ELCR2        0x4d1  /* IRQ 8-15 */

/* ELCR bits that are writable (IRQ 0, 1, 2, 8, 13 are always edge). */
#define SC_PIC_ELCR1_MASK   0xf8u
#define SC_PIC_ELCR2_MASK   0xdeu

/* ---- 8259A command words (datasheet "Programming the 8259A") ---- */
/* ICW1: A0 = 0, D4 = 1 */
#define ICW1_IC4            0x01u  /* ICW4 needed */
#define ICW1_SNGL           0x02u  /* single (no ICW3) */
#define ICW1_ADI            0x04u  /* call address interval (MCS-80/85) */
#define ICW1_LTIM           0x08u  /* level triggered mode */
#define ICW1_SEL            0x10u  /* identifies ICW1 */
#define ICW1_A7_A5          0xe0u  /* MCS-80/85 vector address */
/* ICW2: T7-T3 vector base (8086 mode) */
#define ICW2_T7_T3          0xf8u
/* ICW3 (slave): ID2-ID0 */
#define ICW3_SLAVE_ID       0x07u
/* ICW4 */
#define ICW4_UPM            0x01u  /* 8086/8088 mode */
#define ICW4_AEOI           0x02u  /* automatic EOI */
#define ICW4_MS             0x04u  /* buffered: master(1)/slave(0) */
#define ICW4_BUF            0x08u  /* buffered mode */
#define ICW4_SFNM           0x10u  /* special fully nested mode */
#define ICW4_RESERVED       0xe0u
/* OCW2: A0 = 0, D4 = D3 = 0 */
#define OCW2_L              0x07u
#define OCW2_EOI            0x20u
#define OCW2_SL             0x40u
#define OCW2_R              0x80u
/* OCW3: A0 = 0, D4 = 0, D3 = 1 */
#define OCW3_RIS            0x01u
#define OCW3_RR             0x02u
#define OCW3_P              0x04u
#define OCW3_SEL            0x08u
#define OCW3_SMM            0x20u
#define OCW3_ESMM           0x40u

/* Poll word (datasheet "The Poll Command"): I bit + W2-W0. */
#define SC_PIC_POLL_I       0x80u

/* Vector driven when a cascade address is answered by no slave (open bus). */
#define SC_PIC_OPEN_BUS     0xffu

/* One 8259A.  Fields are private; use the functions below. */
struct sc_pic_chip {
	uint8_t irr;             /* interrupt request register */
	uint8_t isr;             /* in-service register */
	uint8_t imr;             /* interrupt mask register (OCW1) */
	uint8_t line;            /* current IR input levels */
	uint8_t elatch;          /* edge sense latch: armed inputs */
	uint8_t elcr;            /* chipset ELCR bits for this chip */
	uint8_t icw1, icw2, icw3, icw4;
	uint8_t priority_add;    /* IR level that has the highest priority */
	uint8_t init_state;      /* 0 ready, 1..3 expecting ICW2..ICW4 */
	bool read_isr;           /* OCW3 RR/RIS: next A0=0 read gives ISR */
	bool poll;               /* OCW3 P: next read is a poll */
	bool special_mask;       /* OCW3 SMM */
	bool rotate_on_aeoi;     /* OCW2 rotate in AEOI mode */
};

/* Acknowledge observer: irq 0..15 (never a cascade input). */
struct sc_pic_ack {
	/* An ISR bit was cleared by an EOI command, by AEOI or by ICW1. */
	void (*eoi)(void *opaque, unsigned irq);
	/* An IRQ was acknowledged by an INTA cycle or a poll (ISR set). */
	void (*inta)(void *opaque, unsigned irq);
	void *opaque;
};

struct sc_pic {
	struct sc_pic_chip chip[2];  /* [0] master, [1] slave */
	bool latch_edges;
	bool intr_reported;          /* last level given to intr */
	struct sc_line intr;
	struct sc_trace trace;
	struct sc_pic_ack ack;
};

/* @intr: master INT output wire; @trace may be NULL.  Both are copied. */
void sc_pic_init(struct sc_pic *pic, const struct sc_line *intr,
		 const struct sc_trace *trace);
/* Hardware reset (see above); keeps callbacks and the latch_edges option. */
void sc_pic_reset(struct sc_pic *pic);
/* Install (copy) the acknowledge observer; NULL removes it. */
void sc_pic_set_ack(struct sc_pic *pic, const struct sc_pic_ack *ack);
/* Keep edge-latched requests when the line drops before INTA (see above). */
void sc_pic_set_latch_edges(struct sc_pic *pic, bool on);

/* Drive ISA IRQ @irq (0..15); -EINVAL for irq > 15. */
int sc_pic_set_irq(struct sc_pic *pic, unsigned irq, bool level);
/* Level of the master INT output. */
bool sc_pic_intr_pending(const struct sc_pic *pic);
/*
 * A full INTA cycle: returns the vector (0..255).  With no request, the
 * master's default IR7 vector (spurious, no ISR bit set); a cascade request
 * the slave no longer has yields the slave's IR7 vector with the master's
 * cascade ISR bit set.
 */
int sc_pic_inta(struct sc_pic *pic);
/* True if IRQ @irq is masked (IMR, or the master's cascade input for 8..15). */
bool sc_pic_irq_masked(const struct sc_pic *pic, unsigned irq);
/* Trigger mode in effect for @irq: true = level (ELCR or ICW1 LTIM). */
bool sc_pic_irq_level_mode(const struct sc_pic *pic, unsigned irq);

/* Ports 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1; other ports read 0xff. */
uint8_t sc_pic_ioport_read(struct sc_pic *pic, uint16_t port);
void sc_pic_ioport_write(struct sc_pic *pic, uint16_t port, uint8_t val);

/* ---- save/restore ---- */
struct sc_pic_chip_state_v1 {
	uint8_t irr;
	uint8_t isr;
	uint8_t imr;
	uint8_t line;
	uint8_t elatch;
	uint8_t elcr;
	uint8_t icw1;
	uint8_t icw2;
	uint8_t icw3;
	uint8_t icw4;
	uint8_t priority_add;      /* 0..7 */
	uint8_t init_state;        /* 0..3 */
	uint8_t read_reg_select;   /* 0 IRR, 1 ISR */
	uint8_t poll;              /* 0/1 */
	uint8_t special_mask;      /* 0/1 */
	uint8_t rotate_on_aeoi;    /* 0/1 */
	uint8_t pad[4];            /* 0 */
};

#define SC_PIC_STATE_VERSION 1u

struct sc_pic_state_v1 {
	uint32_t version;          /* SC_PIC_STATE_VERSION */
	uint8_t latch_edges;       /* 0/1 */
	uint8_t pad[3];            /* 0 */
	struct sc_pic_chip_state_v1 chip[2];
};

void sc_pic_save(const struct sc_pic *pic, struct sc_pic_state_v1 *s);
int sc_pic_validate(const struct sc_pic_state_v1 *s);
/*
 * Validates first (-EINVAL, PIC untouched).  On success the INT wire is
 * driven with the restored level.
 */
int sc_pic_restore(struct sc_pic *pic, const struct sc_pic_state_v1 *s);

#ifdef __cplusplus
}
#endif
#endif
