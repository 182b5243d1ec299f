/* SPDX-License-Identifier: MIT */
/*
 * splitchip common types: interrupt outputs, MSI messages and the trace hook.
 *
 * Chips never call each other.  Each chip reports what leaves its pins
 * through a small callback struct supplied by its owner (the board or the
 * VMM), in the spirit of a schematic: an INTR wire, an MSI write on the
 * system bus, a trace probe.
 */
#ifndef SPLITCHIP_TYPES_H
#define SPLITCHIP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A single wire driven by a chip (e.g. the i8259A INT output). */
struct sc_line {
	void (*set)(void *opaque, bool level);
	void *opaque;
};

/*
 * An MSI / APIC bus message (Intel SDM vol. 3, 11.11 "Message Signalled
 * Interrupts").  Address 0xFEExxxxx: bits 19:12 destination ID, bit 3
 * redirection hint, bit 2 destination mode; bits 11:5 may carry the
 * extended destination ID (APIC ID bits 14:8) when enabled.  Data: bits 7:0
 * vector, 10:8 delivery mode, 14 level (assert), 15 trigger mode.
 */
struct sc_msi {
	uint64_t address;
	uint32_t data;
};

#define SC_MSI_ADDR_BASE          0xfee00000u
#define SC_MSI_ADDR_DEST_SHIFT    12
#define SC_MSI_ADDR_EXT_DEST_SHIFT 5
#define SC_MSI_ADDR_RH            (1u << 3)
#define SC_MSI_ADDR_DM_LOGICAL    (1u << 2)
#define SC_MSI_DATA_VECTOR_MASK   0xffu
#define SC_MSI_DATA_DM_SHIFT      8
#define SC_MSI_DATA_LEVEL_ASSERT  (1u << 14)
#define SC_MSI_DATA_TRIGGER_LEVEL (1u << 15)

/* APIC delivery modes (SDM 11.6.1, 82093AA 3.2.4). */
enum sc_delivery_mode {
	SC_DM_FIXED = 0,
	SC_DM_LOWPRI = 1,
	SC_DM_SMI = 2,
	SC_DM_RESERVED3 = 3,
	SC_DM_NMI = 4,
	SC_DM_INIT = 5,
	SC_DM_RESERVED6 = 6,
	SC_DM_EXTINT = 7,
};

struct sc_msi_sink {
	void (*send)(void *opaque, const struct sc_msi *msg);
	void *opaque;
};

/*
 * Trace probe.  @chip and @event are string literals; a and b are
 * event-specific (port/value, pin/level, vector, ...).  May be NULL.
 */
struct sc_trace {
	void (*event)(void *opaque, const char *chip, const char *event,
		      uint64_t a, uint64_t b);
	void *opaque;
};

static inline void sc_trace_emit(const struct sc_trace *t, const char *chip,
				 const char *event, uint64_t a, uint64_t b)
{
	if (t && t->event)
		t->event(t->opaque, chip, event, a, b);
}

static inline void sc_line_set(const struct sc_line *l, bool level)
{
	if (l && l->set)
		l->set(l->opaque, level);
}

static inline void sc_msi_send(const struct sc_msi_sink *s, const struct sc_msi *m)
{
	if (s && s->send)
		s->send(s->opaque, m);
}

#ifdef __cplusplus
}
#endif
#endif
