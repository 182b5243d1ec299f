/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the I/O APIC.  The input picks a configuration and
 * then a sequence of guest MMIO accesses (any offset and width), pin level
 * changes, EOIs, deferred retriggers, resets and save/restore round trips
 * (also of corrupted states).  After every step the chip's invariants are
 * re-derived independently and checked:
 *   - reserved / read-only bits never stick, entries past the pin count stay 0;
 *   - remote IRR only on level-triggered Fixed/LowPri entries;
 *   - the lock-free filters match the table (eoi_wanted <=> a pin with
 *     remote IRR whose current or delivered vector is v; has_level_pin);
 *   - no pin is stuck: a level pin that is asserted, unmasked and without
 *     remote IRR has been deferred to sc_ioapic_retrigger().
 */
#include <splitchip/ioapic.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t next8(struct input *in)
{
	uint8_t v;

	if (!in->n)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static uint32_t next32(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)next8(in) << (8 * i);
	return v;
}

static struct sc_ioapic g_io;
static struct sc_ioapic_state_v1 g_s1, g_s2;
static bool g_sync_eoi;
static unsigned g_sends;

static void sink_send(void *opaque, const struct sc_msi *m)
{
	if ((m->address & 0xfff00000u) != SC_MSI_ADDR_BASE)
		__builtin_trap();
	g_sends++;
	/* A "guest" that EOIs level messages inside the send. */
	if (g_sync_eoi && (m->data & SC_MSI_DATA_TRIGGER_LEVEL))
		sc_ioapic_eoi(&g_io, (uint8_t)m->data);
}

static void route_changed(void *opaque, unsigned pin, const struct sc_msi *msg,
			  bool masked, bool level)
{
	if (pin >= g_io.cfg.pins)
		__builtin_trap();
	if (level != !!(msg->data & SC_MSI_DATA_TRIGGER_LEVEL))
		__builtin_trap();
}

static bool is_level(uint64_t e)
{
	unsigned dm = (unsigned)(e >> 8) & 7;

	return (e & IOAPIC_REDIR_TRIGGER) && (dm == 0 || dm == 1);
}

static void check(void)
{
	const struct sc_ioapic *io = &g_io;
	bool want[256] = { false }, lvl[256] = { false };
	uint64_t ok = 0x1afffull | IOAPIC_REDIR_REMOTE_IRR | IOAPIC_REDIR_DEST_MASK;

	if (io->cfg.ext_dest_id)
		ok |= IOAPIC_REDIR_EXT_DEST_MASK;
	for (unsigned p = 0; p < SC_IOAPIC_MAX_PINS; p++) {
		uint64_t e = io->redir[p];

		if (p >= io->cfg.pins) {
			if (e)
				__builtin_trap();
			continue;
		}
		if (e & ~ok)
			__builtin_trap();
		if ((e & IOAPIC_REDIR_REMOTE_IRR) && !is_level(e))
			__builtin_trap();
		if (is_level(e))
			lvl[e & 0xff] = true;
		/* only the entry's current vector clears remote IRR (82093AA 3.2.4) */
		if (e & IOAPIC_REDIR_REMOTE_IRR)
			want[e & 0xff] = true;
		if (is_level(e) &&
		    !(e & (IOAPIC_REDIR_MASK | IOAPIC_REDIR_REMOTE_IRR))) {
			bool line = (io->line[p / 64] >> (p % 64)) & 1;
			bool asserted = (e & IOAPIC_REDIR_INTPOL) ? !line : line;

			if (asserted && !sc_ioapic_retrigger_pending(io, p))
				__builtin_trap();
		}
	}
	for (unsigned v = 0; v < 256; v++) {
		if (sc_ioapic_eoi_wanted(io, (uint8_t)v) != want[v])
			__builtin_trap();
		if (sc_ioapic_vector_has_level_pin(io, (uint8_t)v) != lvl[v])
			__builtin_trap();
	}
	if (io->nest)
		__builtin_trap();
}

static uint64_t pick_offset(uint8_t b, struct input *in)
{
	static const uint64_t offs[] = { 0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13,
					 0x40, 0x41, 0x20, 0x0f, 0x14, 0x3f, 0xfff };

	if (b < 15 * 16)
		return offs[b % 15];
	return ((uint64_t)next32(in) << 32) | next32(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct sc_ioapic_config cfg = { 0 };
	struct sc_msi_sink sink = { sink_send, NULL };
	struct sc_ioapic_route_ops routes = { route_changed, NULL };
	static const unsigned sizes[] = { 4, 4, 4, 1, 2, 0, 3, 8 };
	uint8_t c0 = next8(&in), c1 = next8(&in);
	unsigned steps = 0;

	cfg.pins = (unsigned)next8(&in) % 242;      /* 240, 241 -> default / invalid */
	cfg.version = (c0 & 1) ? IOAPIC_VERSION_82093AA : IOAPIC_VERSION_ICH;
	if (c0 & 2)
		cfg.version = c1;                     /* mostly invalid */
	cfg.ext_dest_id = c0 & 4;
	cfg.eoi_storm_limit = (c0 >> 3) & 7;      /* 0 = default */
	cfg.id = (c1 >> 4) + ((c0 & 0x80) ? 1 : 0);
	g_sync_eoi = c0 & 0x40;
	g_sends = 0;
	if (sc_ioapic_init(&g_io, &cfg, &sink, &routes, NULL))
		return 0;
	check();

	while (in.n && steps++ < 4096) {
		uint8_t op = next8(&in);
		uint8_t a = next8(&in);

		switch (op % 10) {
		case 0: {       /* MMIO write */
			uint64_t off = pick_offset(a, &in);
			unsigned sz = sizes[next8(&in) % 8];

			sc_ioapic_mmio_write(&g_io, off, sz, next32(&in));
			break;
		}
		case 1: {       /* MMIO read */
			uint64_t off = pick_offset(a, &in);
			unsigned sz = sizes[next8(&in) % 8];
			uint32_t v = sc_ioapic_mmio_read(&g_io, off, sz);

			if (sz < 4 && (v >> (8 * sz)))
				__builtin_trap();
			break;
		}
		case 2:         /* program a register through IOREGSEL/IOWIN */
			sc_ioapic_mmio_write(&g_io, IOAPIC_IOREGSEL, 4, a);
			sc_ioapic_mmio_write(&g_io, IOAPIC_IOWIN, 4, next32(&in));
			break;
		case 3:
		case 4: {       /* pin level */
			unsigned pin = a % (g_io.cfg.pins + 1);
			int r = sc_ioapic_set_irq(&g_io, pin, op & 0x10);

			if ((r != 0) != (pin >= g_io.cfg.pins))
				__builtin_trap();
			break;
		}
		case 5:
			sc_ioapic_eoi(&g_io, a);
			break;
		case 6:
			sc_ioapic_retrigger(&g_io);
			break;
		case 7:
			if (a == 0)
				sc_ioapic_reset(&g_io);
			break;
		case 8:         /* save -> restore round trip */
			sc_ioapic_save(&g_io, &g_s1);
			if (sc_ioapic_validate(&g_s1) || sc_ioapic_restore(&g_io, &g_s1))
				__builtin_trap();
			sc_ioapic_save(&g_io, &g_s2);
			if (memcmp(&g_s1, &g_s2, sizeof(g_s1)))
				__builtin_trap();
			break;
		default: {      /* restore of a corrupted state */
			size_t at = ((size_t)a << 8 | next8(&in)) % sizeof(g_s1);

			sc_ioapic_save(&g_io, &g_s1);
			g_s2 = g_s1;
			((uint8_t *)&g_s1)[at] ^= next8(&in) | 1;
			if (sc_ioapic_restore(&g_io, &g_s1)) {
				/* rejected: the chip must be untouched */
				sc_ioapic_save(&g_io, &g_s1);
				if (memcmp(&g_s1, &g_s2, sizeof(g_s1)))
					__builtin_trap();
			}
			/* Accepted states are checked like any other: validation
			 * refuses a stranded level pin. */
			break;
		}
		}
		check();
	}
	return 0;
}
