/* SPDX-License-Identifier: MIT */
/*
 * I/O APIC: Intel 82093AA (version 0x11) / ICH I/O(x)APIC (version 0x20).
 * See include/splitchip/ioapic.h for the model's contract.
 *
 * References: Intel 82093AA I/O APIC datasheet (290566), section 3;
 * ICH4..ICH10 / PCH datasheets, "I/O APIC registers" (EOI register 40h,
 * ID scratchpad bit, VER PRQ bit).
 */
#include <splitchip/ioapic.h>

#include <errno.h>
#include <string.h>

#define CHIP "ioapic"

/* Writable bits of a redirection entry (82093AA 3.2.4): vector, delivery
 * mode, destination mode, polarity, trigger, mask, destination.  Delivery
 * status and remote IRR are read-only; 55:17 are reserved, except 55:49
 * which carry the extended destination ID when the instance enables it. */
#define REDIR_WRITABLE_LO  (IOAPIC_REDIR_VECTOR_MASK | IOAPIC_REDIR_DELMOD_MASK | \
			    IOAPIC_REDIR_DESTMOD | IOAPIC_REDIR_INTPOL | \
			    IOAPIC_REDIR_TRIGGER | IOAPIC_REDIR_MASK)
#define REDIR_WRITABLE_HI  IOAPIC_REDIR_DEST_MASK
_Static_assert(REDIR_WRITABLE_LO == 0x1afffull, "redirection low dword layout");
_Static_assert(IOAPIC_REDIR_EXT_DEST_MASK == 0x00fe000000000000ull,
	       "extended destination ID is entry bits 55:49");
_Static_assert(IOAPIC_REG_REDTBL + 2 * 119 + 1 == 0xff,
	       "IOREGSEL reaches 120 entries");

/* Delivery nesting bound: an MSI sink that EOIs synchronously would
 * otherwise recurse once per redelivery. */
#define MAX_NEST 4

static inline bool bit_test(const uint64_t *map, unsigned n)
{
	return (map[n / 64] >> (n % 64)) & 1;
}

static inline void bit_set(uint64_t *map, unsigned n)
{
	map[n / 64] |= 1ull << (n % 64);
}

static inline void bit_clear(uint64_t *map, unsigned n)
{
	map[n / 64] &= ~(1ull << (n % 64));
}

static inline unsigned entry_vector(uint64_t e)
{
	return (unsigned)(e & IOAPIC_REDIR_VECTOR_MASK);
}

static inline unsigned entry_delmod(uint64_t e)
{
	return (unsigned)((e & IOAPIC_REDIR_DELMOD_MASK) >> IOAPIC_REDIR_DELMOD_SHIFT);
}

/* Only Fixed and Lowest Priority honour level trigger; SMI, NMI, INIT and
 * ExtINT "are always treated as edge triggered" (82093AA 3.2.4). */
static bool entry_is_level(uint64_t e)
{
	unsigned dm = entry_delmod(e);

	return (e & IOAPIC_REDIR_TRIGGER) && (dm == SC_DM_FIXED || dm == SC_DM_LOWPRI);
}

static bool delmod_reserved(unsigned dm)
{
	return dm == SC_DM_RESERVED3 || dm == SC_DM_RESERVED6;
}

static bool pin_asserted(const struct sc_ioapic *io, unsigned pin)
{
	bool lvl = bit_test(io->line, pin);

	return (io->redir[pin] & IOAPIC_REDIR_INTPOL) ? !lvl : lvl;
}

static inline void build_msi(const struct sc_ioapic *io, uint64_t e, struct sc_msi *m)
{
	uint64_t addr = SC_MSI_ADDR_BASE;
	uint32_t data;

	addr |= (uint64_t)((e & IOAPIC_REDIR_DEST_MASK) >> IOAPIC_REDIR_DEST_SHIFT)
		<< SC_MSI_ADDR_DEST_SHIFT;
	if (io->cfg.ext_dest_id)
		addr |= ((e & IOAPIC_REDIR_EXT_DEST_MASK) >> IOAPIC_REDIR_EXT_DEST_SHIFT)
			<< SC_MSI_ADDR_EXT_DEST_SHIFT;
	if (e & IOAPIC_REDIR_DESTMOD)
		addr |= SC_MSI_ADDR_DM_LOGICAL;
	data = entry_vector(e) | entry_delmod(e) << SC_MSI_DATA_DM_SHIFT;
	if (entry_is_level(e))
		data |= SC_MSI_DATA_TRIGGER_LEVEL | SC_MSI_DATA_LEVEL_ASSERT;
	m->address = addr;
	m->data = data;
}

/* ---- vector -> pins indices ---- */

/*
 * Owner-side publication of the lock-free vector filters: only the owner
 * (under its lock) writes them, so a relaxed load plus a release store
 * suffices.  Called only when the bit flips (a vector's pin count moves
 * between 0 and 1), so nothing is written otherwise.
 */
static inline void filter_set(_Atomic uint64_t *map, unsigned v)
{
	_Atomic uint64_t *w = &map[v / 64];

	atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) |
			      1ull << (v % 64), memory_order_release);
}

static inline void filter_clear(_Atomic uint64_t *map, unsigned v)
{
	_Atomic uint64_t *w = &map[v / 64];

	atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) &
			      ~(1ull << (v % 64)), memory_order_release);
}

static inline void rirr_add(struct sc_ioapic *io, unsigned v, unsigned pin)
{
	bit_set(io->rirr_pins[v], pin);
	if (io->rirr_cnt[v]++ == 0)
		filter_set(io->eoi_wanted, v);
}

static inline void rirr_del(struct sc_ioapic *io, unsigned v, unsigned pin)
{
	bit_clear(io->rirr_pins[v], pin);
	if (--io->rirr_cnt[v] == 0)
		filter_clear(io->eoi_wanted, v);
}

/* The vectors @pin belongs under: level by the entry's vector when
 * level-triggered; remote IRR by the entry's vector and by the delivered
 * vector (when different) while remote IRR is set.  -1 = none. */
static inline void pin_keys(const struct sc_ioapic *io, unsigned pin,
			    int *l, int *r0, int *r1)
{
	uint64_t e = io->redir[pin];
	int v = (int)entry_vector(e);

	*l = entry_is_level(e) ? v : -1;
	*r0 = *r1 = -1;
	/* 82093AA 3.2.4: an EOI clears remote IRR of the entries whose vector
	 * field matches the EOI's vector - the current field, not the vector
	 * the interrupt went out with (KVM's in-kernel IOAPIC matches the same
	 * way).  r1 stays unused: delivered_vector is information only. */
	if (e & IOAPIC_REDIR_REMOTE_IRR)
		*r0 = v;
}

/*
 * Re-file @pin under the vectors its current state calls for, touching
 * only the vectors it joins or leaves.  A vector the pin stays under is
 * not touched, so its filter bit never flickers.  The atomic filters are
 * updated before returning, i.e. before any message that needs them is
 * sent.
 */
static void reindex(struct sc_ioapic *io, unsigned pin)
{
	int old_l = io->lvl_key[pin];
	int old_r0 = io->rirr_key[pin][0], old_r1 = io->rirr_key[pin][1];
	int new_l, new_r0, new_r1;

	pin_keys(io, pin, &new_l, &new_r0, &new_r1);
	if (new_l != old_l) {
		if (new_l >= 0 && io->lvl_cnt[new_l]++ == 0)
			filter_set(io->level_vec, (unsigned)new_l);
		if (old_l >= 0 && --io->lvl_cnt[old_l] == 0)
			filter_clear(io->level_vec, (unsigned)old_l);
		io->lvl_key[pin] = (int16_t)new_l;
	}
	if (new_r0 != old_r0 || new_r1 != old_r1) {
		/* r0 != r1 whenever both are set, old and new alike. */
		if (new_r0 >= 0 && new_r0 != old_r0 && new_r0 != old_r1)
			rirr_add(io, (unsigned)new_r0, pin);
		if (new_r1 >= 0 && new_r1 != old_r0 && new_r1 != old_r1)
			rirr_add(io, (unsigned)new_r1, pin);
		if (old_r0 >= 0 && old_r0 != new_r0 && old_r0 != new_r1)
			rirr_del(io, (unsigned)old_r0, pin);
		if (old_r1 >= 0 && old_r1 != new_r0 && old_r1 != new_r1)
			rirr_del(io, (unsigned)old_r1, pin);
		io->rirr_key[pin][0] = (int16_t)new_r0;
		io->rirr_key[pin][1] = (int16_t)new_r1;
	}
}

/*
 * The two remote IRR transitions of the hot path, without recomputing the
 * pin's keys.  Set: by deliver(), entry vector == delivered vector, so the
 * pin belongs under that one vector (callers only deliver with remote IRR
 * clear; anything else takes the general path).  Clear: by an EOI, only
 * remote IRR changed, so the pin leaves its RIRR vectors and keeps its
 * level key.
 */
static inline void rirr_file(struct sc_ioapic *io, unsigned pin, unsigned v)
{
	if (io->rirr_key[pin][0] >= 0 || io->rirr_key[pin][1] >= 0) {
		reindex(io, pin);
		return;
	}
	rirr_add(io, v, pin);
	io->rirr_key[pin][0] = (int16_t)v;
}

static inline void rirr_unfile(struct sc_ioapic *io, unsigned pin)
{
	int r0 = io->rirr_key[pin][0], r1 = io->rirr_key[pin][1];

	if (r0 >= 0)
		rirr_del(io, (unsigned)r0, pin);
	if (r1 >= 0)
		rirr_del(io, (unsigned)r1, pin);
	io->rirr_key[pin][0] = io->rirr_key[pin][1] = -1;
}

/* From scratch (reset, restore): the indices first, then each filter word
 * published once, and only if it changes. */
static void rebuild_index(struct sc_ioapic *io)
{
	uint64_t lvl[4] = { 0 }, rirr[4] = { 0 };

	memset(io->lvl_cnt, 0, sizeof(io->lvl_cnt));
	memset(io->rirr_cnt, 0, sizeof(io->rirr_cnt));
	memset(io->rirr_pins, 0, sizeof(io->rirr_pins));
	for (unsigned p = 0; p < SC_IOAPIC_MAX_PINS; p++) {
		int l = -1, r0 = -1, r1 = -1;

		if (p < io->cfg.pins)
			pin_keys(io, p, &l, &r0, &r1);
		io->lvl_key[p] = (int16_t)l;
		io->rirr_key[p][0] = (int16_t)r0;
		io->rirr_key[p][1] = (int16_t)r1;
		if (l >= 0) {
			io->lvl_cnt[l]++;
			bit_set(lvl, (unsigned)l);
		}
		if (r0 >= 0) {
			io->rirr_cnt[r0]++;
			bit_set(io->rirr_pins[r0], p);
			bit_set(rirr, (unsigned)r0);
		}
		if (r1 >= 0) {
			io->rirr_cnt[r1]++;
			bit_set(io->rirr_pins[r1], p);
			bit_set(rirr, (unsigned)r1);
		}
	}
	for (unsigned i = 0; i < 4; i++) {
		if (atomic_load_explicit(&io->level_vec[i], memory_order_relaxed) != lvl[i])
			atomic_store_explicit(&io->level_vec[i], lvl[i], memory_order_release);
		if (atomic_load_explicit(&io->eoi_wanted[i], memory_order_relaxed) != rirr[i])
			atomic_store_explicit(&io->eoi_wanted[i], rirr[i], memory_order_release);
	}
}

/* ---- delivery ---- */

static void report_route(struct sc_ioapic *io, unsigned pin)
{
	struct sc_msi m;
	bool masked = true, level = false;

	if (!io->routes.changed)
		return;
	sc_ioapic_route(io, pin, &m, &masked, &level);
	io->routes.changed(io->routes.opaque, pin, &m, masked, level);
}

/*
 * Send the message of @pin.  For a level entry remote IRR is set (the LAPIC
 * accepts at once in this model) and the EOI filter is published before
 * the message leaves.
 */
static void deliver(struct sc_ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];
	struct sc_msi m;

	if (delmod_reserved(entry_delmod(e))) {
		io->stats.dropped++;
		sc_trace_emit(io->trace, CHIP, "drop_reserved_dm", pin, entry_delmod(e));
		return;
	}
	if (entry_is_level(e)) {
		io->redir[pin] |= IOAPIC_REDIR_REMOTE_IRR;
		io->delivered_vector[pin] = (uint8_t)entry_vector(e);
		rirr_file(io, pin, entry_vector(e));
	}
	build_msi(io, e, &m);
	io->stats.delivered++;
	/* after remote IRR: a lock-free reader that sees this count sees it set */
	__atomic_store_n(&io->pin_deliveries[pin], io->pin_deliveries[pin] + 1, __ATOMIC_RELEASE);
	sc_trace_emit(io->trace, CHIP, "deliver", pin, m.data);
	io->nest++;
	sc_msi_send(&io->out, &m);
	io->nest--;
}

/* Level sensing: an asserted, unmasked level pin without remote IRR sends. */
static bool level_ready(const struct sc_ioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];

	return entry_is_level(e) && !(e & (IOAPIC_REDIR_MASK | IOAPIC_REDIR_REMOTE_IRR)) &&
	       pin_asserted(io, pin);
}

/* ---- init / reset ---- */

int sc_ioapic_init(struct sc_ioapic *io, const struct sc_ioapic_config *cfg,
		   const struct sc_msi_sink *out,
		   const struct sc_ioapic_route_ops *routes,
		   const struct sc_trace *trace)
{
	struct sc_ioapic_config c;

	if (!io || !cfg)
		return -EINVAL;
	c = *cfg;
	if (c.pins == 0)
		c.pins = SC_IOAPIC_DEFAULT_PINS;
	if (c.version == 0)
		c.version = IOAPIC_VERSION_ICH;
	if (c.eoi_storm_limit == 0)
		c.eoi_storm_limit = SC_IOAPIC_DEFAULT_EOI_STORM_LIMIT;
	if (c.pins > SC_IOAPIC_MAX_PINS || c.id > 15 ||
	    (c.version != IOAPIC_VERSION_82093AA && c.version != IOAPIC_VERSION_ICH))
		return -EINVAL;

	memset(io, 0, sizeof(*io));
	for (unsigned i = 0; i < 4; i++) {
		atomic_init(&io->eoi_wanted[i], 0);
		atomic_init(&io->level_vec[i], 0);
	}
	io->cfg = c;
	if (out)
		io->out = *out;
	if (routes)
		io->routes = *routes;
	io->trace = trace;
	io->pin_words = (uint8_t)((c.pins + 63) / 64);
	sc_ioapic_reset(io);
	return 0;
}

void sc_ioapic_set_hooks(struct sc_ioapic *io, const struct sc_ioapic_hooks *hooks)
{
	if (hooks)
		io->hooks = *hooks;
	else
		memset(&io->hooks, 0, sizeof(io->hooks));
}

void sc_ioapic_reset(struct sc_ioapic *io)
{
	/* 82093AA 3.2.4: IOREDTBL default xxx1 xxxx xxxx xxxxh - masked; the
	 * undefined bits are cleared here.  ID: the firmware-assigned value. */
	io->id_reg = (uint32_t)io->cfg.id << IOAPIC_ID_SHIFT;
	io->arb_reg = io->id_reg;
	io->ioregsel = 0;
	for (unsigned p = 0; p < SC_IOAPIC_MAX_PINS; p++) {
		io->redir[p] = p < io->cfg.pins ? IOAPIC_REDIR_MASK : 0;
		io->delivered_vector[p] = 0;
		io->storm_count[p] = 0;
	}
	memset(io->retrigger, 0, sizeof(io->retrigger));
	rebuild_index(io);
	sc_trace_emit(io->trace, CHIP, "reset", io->cfg.gsi_base, io->cfg.pins);
	for (unsigned p = 0; p < io->cfg.pins; p++)
		report_route(io, p);
}

/* ---- indirect registers ---- */

static uint32_t reg_read(struct sc_ioapic *io, unsigned idx)
{
	switch (idx) {
	case IOAPIC_REG_ID:
		return io->id_reg;
	case IOAPIC_REG_VER:
		/* PRQ (bit 15) stays 0: no IRQ pin assertion register. */
		return io->cfg.version | (io->cfg.pins - 1) << IOAPIC_VER_MRE_SHIFT;
	case IOAPIC_REG_ARB:
		return io->arb_reg;
	default:
		break;
	}
	if (idx >= IOAPIC_REG_REDTBL && (idx - IOAPIC_REG_REDTBL) / 2 < io->cfg.pins) {
		uint64_t e = io->redir[(idx - IOAPIC_REG_REDTBL) / 2];

		return (idx & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	return 0xffffffffu;
}

static void redir_write(struct sc_ioapic *io, unsigned pin, bool high, uint32_t val)
{
	uint64_t old = io->redir[pin];
	uint64_t e = old;
	uint64_t hi_mask = REDIR_WRITABLE_HI;

	if (io->cfg.ext_dest_id)
		hi_mask |= IOAPIC_REDIR_EXT_DEST_MASK;
	if (high)
		e = (e & ~hi_mask) | (((uint64_t)val << 32) & hi_mask);
	else
		e = (e & ~REDIR_WRITABLE_LO) | ((uint64_t)val & REDIR_WRITABLE_LO);
	/* Remote IRR is meaningful for level entries only: switching to edge
	 * (or an edge-only delivery mode) drops it, so it cannot stick. */
	if (!entry_is_level(e))
		e &= ~IOAPIC_REDIR_REMOTE_IRR;
	io->redir[pin] = e;
	/* The line no longer belongs to a level pin that was deferred. */
	if (!entry_is_level(e))
		bit_clear(io->retrigger, pin);
	reindex(io, pin);
	sc_trace_emit(io->trace, CHIP, high ? "redir_hi" : "redir_lo", pin, e);
	report_route(io, pin);
	/* Level inputs are sensed continuously: an asserted line delivers as
	 * soon as the entry allows it (unmask, switch to level, ...). */
	if (level_ready(io, pin))
		deliver(io, pin);
}

static void reg_write(struct sc_ioapic *io, unsigned idx, uint32_t val)
{
	switch (idx) {
	case IOAPIC_REG_ID: {
		uint32_t mask = IOAPIC_ID_MASK;

		if (io->cfg.version == IOAPIC_VERSION_ICH)
			mask |= IOAPIC_ID_SCRATCHPAD;
		io->id_reg = val & mask;
		/* 82093AA 3.2.3: the arbitration ID is loaded with the ID. */
		io->arb_reg = val & IOAPIC_ID_MASK;
		return;
	}
	case IOAPIC_REG_VER:
	case IOAPIC_REG_ARB:
		return;
	default:
		break;
	}
	if (idx >= IOAPIC_REG_REDTBL && (idx - IOAPIC_REG_REDTBL) / 2 < io->cfg.pins)
		redir_write(io, (idx - IOAPIC_REG_REDTBL) / 2, idx & 1, val);
}

/* ---- MMIO ---- */

static uint32_t size_ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static bool in_dword(uint64_t offset, unsigned size, uint64_t base)
{
	return (size == 1 || size == 2 || size == 4) &&
	       offset >= base && offset - base < 4 && offset - base + size <= 4;
}

uint32_t sc_ioapic_mmio_read(struct sc_ioapic *io, uint64_t offset, unsigned size)
{
	if (in_dword(offset, size, IOAPIC_IOREGSEL)) {
		/* IOREGSEL bits 31:8 are reserved and read 0. */
		return (io->ioregsel >> (8 * offset)) & size_ones(size);
	}
	if (in_dword(offset, size, IOAPIC_IOWIN)) {
		uint32_t v = reg_read(io, io->ioregsel);

		return (v >> (8 * (offset - IOAPIC_IOWIN))) & size_ones(size);
	}
	/* The EOI register is write-only; everything else is unimplemented. */
	return size_ones(size);
}

void sc_ioapic_mmio_write(struct sc_ioapic *io, uint64_t offset, unsigned size,
			  uint32_t val)
{
	val &= size_ones(size);
	if (in_dword(offset, size, IOAPIC_IOREGSEL)) {
		/* An 8-bit register at the bottom of the dword. */
		if (offset == IOAPIC_IOREGSEL)
			io->ioregsel = (uint8_t)val;
		return;
	}
	if (in_dword(offset, size, IOAPIC_IOWIN)) {
		unsigned shift = 8 * (unsigned)(offset - IOAPIC_IOWIN);
		uint32_t mask = size_ones(size) << shift;
		uint32_t cur = size == 4 ? 0 : reg_read(io, io->ioregsel);

		reg_write(io, io->ioregsel, (cur & ~mask) | (val << shift));
		return;
	}
	if (io->cfg.version == IOAPIC_VERSION_ICH && in_dword(offset, size, IOAPIC_EOI)) {
		/* ICH "EOI register": bits 7:0 vector, 31:8 ignored. */
		if (offset == IOAPIC_EOI)
			sc_ioapic_eoi(io, (uint8_t)val);
		return;
	}
	sc_trace_emit(io->trace, CHIP, "bad_write", offset, val);
}

/* ---- pins ---- */

int sc_ioapic_set_irq(struct sc_ioapic *io, unsigned pin, bool level)
{
	bool was, now;

	if (!io || pin >= io->cfg.pins)
		return -EINVAL;
	was = pin_asserted(io, pin);
	if (level)
		bit_set(io->line, pin);
	else
		bit_clear(io->line, pin);
	now = pin_asserted(io, pin);
	if (!now) {
		/* The line went low: the EOI storm run is over. */
		io->storm_count[pin] = 0;
		return 0;
	}
	if (io->redir[pin] & IOAPIC_REDIR_MASK)
		return 0;	/* 82093AA 3.2.4: ignored on a masked pin */
	if (entry_is_level(io->redir[pin])) {
		if (!(io->redir[pin] & IOAPIC_REDIR_REMOTE_IRR))
			deliver(io, pin);
	} else if (!was) {
		deliver(io, pin);	/* rising edge */
	}
	return 0;
}

/* ---- EOI ---- */

bool sc_ioapic_eoi_wanted(const struct sc_ioapic *io, uint8_t vector)
{
	return (atomic_load_explicit(&io->eoi_wanted[vector / 64], memory_order_acquire)
		>> (vector % 64)) & 1;
}

bool sc_ioapic_vector_has_level_pin(const struct sc_ioapic *io, uint8_t vector)
{
	return (atomic_load_explicit(&io->level_vec[vector / 64], memory_order_acquire)
		>> (vector % 64)) & 1;
}

/* After remote IRR of @pin was cleared: re-sample the line (ICH "EOI
 * register": "if still asserted, cause more MSI interrupts"). */
static void eoi_resample(struct sc_ioapic *io, unsigned pin)
{
	if (!level_ready(io, pin))
		return;
	if (io->storm_count[pin] >= io->cfg.eoi_storm_limit || io->nest >= MAX_NEST) {
		/* Linux-style EOI storm throttle: let the board deliver later,
		 * like the natural delay of real hardware. */
		if (io->storm_count[pin] >= io->cfg.eoi_storm_limit)
			io->storm_count[pin] = 0;
		bit_set(io->retrigger, pin);
		io->stats.storm_deferred++;
		sc_trace_emit(io->trace, CHIP, "eoi_storm", pin, 0);
		if (io->hooks.retrigger)
			io->hooks.retrigger(io->hooks.opaque, pin);
		return;
	}
	io->storm_count[pin]++;
	io->stats.eoi_redelivered++;
	deliver(io, pin);
}

void sc_ioapic_eoi(struct sc_ioapic *io, uint8_t vector)
{
	uint64_t pins[SC_IOAPIC_PIN_WORDS];
	unsigned words = io->pin_words;

	if (!sc_ioapic_eoi_wanted(io, vector))
		return;
	/* A snapshot: pins that hooks file under @vector meanwhile wait for
	 * the next EOI. */
	memcpy(pins, io->rirr_pins[vector], sizeof(pins));
	for (unsigned w = 0; w < words; w++) {
		for (uint64_t m = pins[w]; m; m &= m - 1) {
			unsigned pin = w * 64 + (unsigned)__builtin_ctzll(m);
			uint64_t e = io->redir[pin];

			/* Hooks of earlier pins may have changed this one. */
			if (!(e & IOAPIC_REDIR_REMOTE_IRR) || entry_vector(e) != vector)
				continue;
			io->redir[pin] = e & ~IOAPIC_REDIR_REMOTE_IRR;
			rirr_unfile(io, pin);
			io->stats.eois++;
			sc_trace_emit(io->trace, CHIP, "eoi", pin, vector);
			if (io->hooks.eoi)
				io->hooks.eoi(io->hooks.opaque, pin);
			eoi_resample(io, pin);
		}
	}
}

bool sc_ioapic_retrigger_pending(const struct sc_ioapic *io, unsigned pin)
{
	return pin < io->cfg.pins && bit_test(io->retrigger, pin);
}

unsigned sc_ioapic_retrigger(struct sc_ioapic *io)
{
	unsigned sent = 0;

	for (unsigned pin = 0; pin < io->cfg.pins; pin++) {
		if (!bit_test(io->retrigger, pin))
			continue;
		bit_clear(io->retrigger, pin);
		if (level_ready(io, pin)) {
			deliver(io, pin);
			sent++;
		}
	}
	return sent;
}

/* ---- queries ---- */

int sc_ioapic_route(const struct sc_ioapic *io, unsigned pin, struct sc_msi *msg,
		    bool *masked, bool *level)
{
	uint64_t e;

	if (!io || pin >= io->cfg.pins)
		return -EINVAL;
	e = io->redir[pin];
	if (msg)
		build_msi(io, e, msg);
	if (masked)
		*masked = (e & IOAPIC_REDIR_MASK) || delmod_reserved(entry_delmod(e));
	if (level)
		*level = entry_is_level(e);
	return 0;
}

uint64_t sc_ioapic_entry(const struct sc_ioapic *io, unsigned pin)
{
	return pin < io->cfg.pins ? io->redir[pin] : 0;
}

/* ---- save / restore ---- */

void sc_ioapic_save(const struct sc_ioapic *io, struct sc_ioapic_state_v1 *s)
{
	memset(s, 0, sizeof(*s));
	s->version = 1;
	s->pins = io->cfg.pins;
	s->id_reg = io->id_reg;
	s->arb_reg = io->arb_reg;
	s->chip_version = io->cfg.version;
	s->ioregsel = io->ioregsel;
	s->ext_dest_id = io->cfg.ext_dest_id;
	memcpy(s->redir, io->redir, sizeof(s->redir));
	memcpy(s->line, io->line, sizeof(s->line));
	memcpy(s->retrigger, io->retrigger, sizeof(s->retrigger));
	memcpy(s->storm_count, io->storm_count, sizeof(s->storm_count));
	memcpy(s->delivered_vector, io->delivered_vector, sizeof(s->delivered_vector));
}

static bool map_within(const uint64_t *map, unsigned pins)
{
	for (unsigned n = pins; n < SC_IOAPIC_PIN_WORDS * 64; n++)
		if (bit_test(map, n))
			return false;
	return true;
}

int sc_ioapic_validate(const struct sc_ioapic_state_v1 *s)
{
	uint32_t id_mask = IOAPIC_ID_MASK;
	uint64_t ok = REDIR_WRITABLE_LO | IOAPIC_REDIR_REMOTE_IRR | REDIR_WRITABLE_HI;

	if (!s || s->version != 1 || s->pins < 1 || s->pins > SC_IOAPIC_MAX_PINS)
		return -EINVAL;
	if (s->chip_version != IOAPIC_VERSION_82093AA && s->chip_version != IOAPIC_VERSION_ICH)
		return -EINVAL;
	if (s->ext_dest_id > 1 || s->pad0 || s->pad1)
		return -EINVAL;
	if (s->chip_version == IOAPIC_VERSION_ICH)
		id_mask |= IOAPIC_ID_SCRATCHPAD;
	if ((s->id_reg & ~id_mask) || (s->arb_reg & ~IOAPIC_ID_MASK))
		return -EINVAL;
	if (s->ext_dest_id)
		ok |= IOAPIC_REDIR_EXT_DEST_MASK;
	for (unsigned p = 0; p < SC_IOAPIC_MAX_PINS; p++) {
		uint64_t e = s->redir[p];

		if (p >= s->pins) {
			if (e || s->storm_count[p] || s->delivered_vector[p])
				return -EINVAL;
			continue;
		}
		if (e & ~ok)
			return -EINVAL;
		/* Remote IRR exists only on level entries (see redir_write). */
		if ((e & IOAPIC_REDIR_REMOTE_IRR) && !entry_is_level(e))
			return -EINVAL;
		if (bit_test(s->retrigger, p) && !entry_is_level(e))
			return -EINVAL;
		/*
		 * Level sensing: an asserted, unmasked level pin without remote
		 * IRR has either sent (remote IRR set) or is deferred by the
		 * storm guard; restored otherwise, nothing would ever deliver it.
		 */
		bool asserted = bit_test(s->line, p) != !!(e & IOAPIC_REDIR_INTPOL);
		if (entry_is_level(e) && asserted &&
		    !(e & (IOAPIC_REDIR_MASK | IOAPIC_REDIR_REMOTE_IRR)) &&
		    !bit_test(s->retrigger, p))
			return -EINVAL;
	}
	if (!map_within(s->line, s->pins) || !map_within(s->retrigger, s->pins))
		return -EINVAL;
	return 0;
}

int sc_ioapic_restore(struct sc_ioapic *io, const struct sc_ioapic_state_v1 *s)
{
	if (!io || sc_ioapic_validate(s))
		return -EINVAL;
	if (s->pins != io->cfg.pins || s->chip_version != io->cfg.version ||
	    (bool)s->ext_dest_id != io->cfg.ext_dest_id)
		return -EINVAL;
	for (unsigned p = 0; p < s->pins; p++)
		if (s->storm_count[p] > io->cfg.eoi_storm_limit)
			return -EINVAL;
	io->id_reg = s->id_reg;
	io->arb_reg = s->arb_reg;
	io->ioregsel = s->ioregsel;
	memcpy(io->redir, s->redir, sizeof(io->redir));
	memcpy(io->line, s->line, sizeof(io->line));
	memcpy(io->retrigger, s->retrigger, sizeof(io->retrigger));
	memcpy(io->storm_count, s->storm_count, sizeof(io->storm_count));
	memcpy(io->delivered_vector, s->delivered_vector, sizeof(io->delivered_vector));
	rebuild_index(io);
	sc_trace_emit(io->trace, CHIP, "restore", io->cfg.gsi_base, io->cfg.pins);
	for (unsigned p = 0; p < io->cfg.pins; p++)
		report_route(io, p);
	return 0;
}
