/* SPDX-License-Identifier: MIT */
/*
 * I/O APIC unit tests: 82093AA (0x11) and ICH I/OxAPIC (0x20) behaviour,
 * driven through MMIO like a guest, with a recording MSI sink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splitchip/clock.h>
#include <splitchip/ioapic.h>

#define MAX_MSGS 64

struct ctx {
	struct sc_ioapic io;
	struct sc_msi msgs[MAX_MSGS];
	unsigned nmsgs;
	/* route callback log */
	unsigned nroutes;
	unsigned route_pin;
	struct sc_msi route_msg;
	bool route_masked, route_level;
	unsigned route_calls[SC_IOAPIC_MAX_PINS];
	/* hooks */
	unsigned neoi, eoi_pin;
	unsigned nretrig, retrig_pin;
	bool eoi_hook_lowers_line;
	/* synchronous EOI from the sink (a "guest" that EOIs at once) */
	bool sink_eois;
	unsigned ntrace;
	struct sc_trace trace;
	/* fake clock for the deferred retrigger */
	struct sc_fake_clock fc;
	struct sc_timer retrig_timer;
};

static void sink_send(void *opaque, const struct sc_msi *m)
{
	struct ctx *c = opaque;

	if (c->nmsgs < MAX_MSGS)
		c->msgs[c->nmsgs] = *m;
	c->nmsgs++;
	if (c->sink_eois)
		sc_ioapic_eoi(&c->io, (uint8_t)(m->data & 0xff));
}

static void route_changed(void *opaque, unsigned pin, const struct sc_msi *msg,
			  bool masked, bool level)
{
	struct ctx *c = opaque;

	c->nroutes++;
	c->route_pin = pin;
	c->route_msg = *msg;
	c->route_masked = masked;
	c->route_level = level;
	if (pin < SC_IOAPIC_MAX_PINS)
		c->route_calls[pin]++;
}

static void hook_eoi(void *opaque, unsigned pin)
{
	struct ctx *c = opaque;

	c->neoi++;
	c->eoi_pin = pin;
	if (c->eoi_hook_lowers_line)
		sc_ioapic_set_irq(&c->io, pin, false);
}

static void retrig_fire(struct sc_timer *t, void *opaque, uint64_t now)
{
	struct ctx *c = opaque;

	sc_ioapic_retrigger(&c->io);
}

static void hook_retrigger(void *opaque, unsigned pin)
{
	struct ctx *c = opaque;

	c->nretrig++;
	c->retrig_pin = pin;
	/* The board: redeliver 1 ms later. */
	sc_timer_arm(&c->fc.clock, &c->retrig_timer, sc_clock_now(&c->fc.clock) + 1000000);
}

static void trace_event(void *opaque, const char *chip, const char *event,
			uint64_t a, uint64_t b)
{
	struct ctx *c = opaque;

	c->ntrace++;
}

static struct ctx *ctx_new(const struct sc_ioapic_config *cfg)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct sc_msi_sink sink = { sink_send, c };
	struct sc_ioapic_route_ops routes = { route_changed, c };
	struct sc_ioapic_hooks hooks = { hook_eoi, hook_retrigger, c };
	struct sc_ioapic_config def = { 0 };

	assert_non_null(c);
	c->trace.event = trace_event;
	c->trace.opaque = c;
	sc_fake_clock_init(&c->fc, 0);
	sc_timer_init(&c->retrig_timer, retrig_fire, c);
	assert_int_equal(sc_ioapic_init(&c->io, cfg ? cfg : &def, &sink, &routes, &c->trace), 0);
	sc_ioapic_set_hooks(&c->io, &hooks);
	return c;
}

static int teardown(void **state)
{
	free(*state);
	*state = NULL;
	return 0;
}

static int setup_default(void **state)
{
	*state = ctx_new(NULL);
	return 0;
}

static int setup_v11(void **state)
{
	struct sc_ioapic_config cfg = { .version = IOAPIC_VERSION_82093AA };

	*state = ctx_new(&cfg);
	return 0;
}

static int setup_ext(void **state)
{
	struct sc_ioapic_config cfg = { .ext_dest_id = true };

	*state = ctx_new(&cfg);
	return 0;
}

static int setup_storm3(void **state)
{
	struct sc_ioapic_config cfg = { .eoi_storm_limit = 3 };

	*state = ctx_new(&cfg);
	return 0;
}

/* ---- guest-side helpers ---- */

static void wr(struct sc_ioapic *io, unsigned idx, uint32_t val)
{
	sc_ioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, idx);
	sc_ioapic_mmio_write(io, IOAPIC_IOWIN, 4, val);
}

static uint32_t rd(struct sc_ioapic *io, unsigned idx)
{
	sc_ioapic_mmio_write(io, IOAPIC_IOREGSEL, 4, idx);
	return sc_ioapic_mmio_read(io, IOAPIC_IOWIN, 4);
}

/* Program an entry the way Linux does: high dword, then low dword. */
static void set_entry(struct sc_ioapic *io, unsigned pin, uint64_t e)
{
	wr(io, IOAPIC_REG_REDTBL + 2 * pin + 1, (uint32_t)(e >> 32));
	wr(io, IOAPIC_REG_REDTBL + 2 * pin, (uint32_t)e);
}

static uint64_t get_entry(struct sc_ioapic *io, unsigned pin)
{
	return (uint64_t)rd(io, IOAPIC_REG_REDTBL + 2 * pin + 1) << 32 |
	       rd(io, IOAPIC_REG_REDTBL + 2 * pin);
}

#define LEVEL   IOAPIC_REDIR_TRIGGER
#define MASKED  IOAPIC_REDIR_MASK
#define LOWACT  IOAPIC_REDIR_INTPOL
#define RIRR    IOAPIC_REDIR_REMOTE_IRR
#define DM(x)   ((uint64_t)(x) << IOAPIC_REDIR_DELMOD_SHIFT)
#define DEST(x) ((uint64_t)(x) << IOAPIC_REDIR_DEST_SHIFT)

/* ---- configuration ---- */

static void test_init_rejects_bad_config(void **state)
{
	struct sc_ioapic *io = malloc(sizeof(*io));
	struct sc_ioapic_config cfg = { .pins = 241 };

	assert_int_equal(sc_ioapic_init(io, &cfg, NULL, NULL, NULL), -EINVAL);
	cfg = (struct sc_ioapic_config){ .version = 0x12 };
	assert_int_equal(sc_ioapic_init(io, &cfg, NULL, NULL, NULL), -EINVAL);
	cfg = (struct sc_ioapic_config){ .id = 16 };
	assert_int_equal(sc_ioapic_init(io, &cfg, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sc_ioapic_init(io, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sc_ioapic_init(NULL, &cfg, NULL, NULL, NULL), -EINVAL);
	/* Defaults: 24 pins, version 0x20; no outputs at all is fine. */
	cfg = (struct sc_ioapic_config){ 0 };
	assert_int_equal(sc_ioapic_init(io, &cfg, NULL, NULL, NULL), 0);
	assert_int_equal(rd(io, IOAPIC_REG_VER), 0x00170020);
	assert_int_equal(sc_ioapic_set_irq(io, 0, true), 0);
	cfg = (struct sc_ioapic_config){ .pins = 240, .version = 0x11, .id = 15 };
	assert_int_equal(sc_ioapic_init(io, &cfg, NULL, NULL, NULL), 0);
	assert_int_equal(rd(io, IOAPIC_REG_VER), 0x00ef0011);
	assert_int_equal(rd(io, IOAPIC_REG_ID), 0x0f000000);
	free(io);
}

static void test_ioregsel_reaches_entries_0_to_119(void **state)
{
	struct ctx *c;
	struct sc_ioapic_config cfg = { .pins = 240 };
	bool masked;

	c = ctx_new(&cfg);
	assert_int_equal(rd(&c->io, IOAPIC_REG_VER), 0x00ef0020);
	/* Index 0xfe/0xff is the last entry an 8-bit IOREGSEL can select. */
	wr(&c->io, 0xff, 0x05000000);
	wr(&c->io, 0xfe, 0x77);
	assert_int_equal(sc_ioapic_entry(&c->io, 119), 0x0500000000000077ull);
	sc_ioapic_set_irq(&c->io, 119, true);
	assert_int_equal(c->nmsgs, 1);
	assert_int_equal(c->msgs[0].address, 0xfee05000);
	/* Entries 120..239 exist for the host but stay masked. */
	assert_int_equal(sc_ioapic_route(&c->io, 239, NULL, &masked, NULL), 0);
	assert_true(masked);
	assert_int_equal(sc_ioapic_set_irq(&c->io, 239, true), 0);
	assert_int_equal(c->nmsgs, 1);
	free(c);
}

/* ---- indirect registers ---- */

static void test_reg_ver_ich_default(void **state)
{
	struct ctx *c = *state;

	/* ICH VER: 00170020h, PRQ (bit 15) = 0, read-only. */
	assert_int_equal(rd(&c->io, IOAPIC_REG_VER), 0x00170020);
	assert_false(rd(&c->io, IOAPIC_REG_VER) & IOAPIC_VER_PRQ);
	wr(&c->io, IOAPIC_REG_VER, 0xffffffff);
	assert_int_equal(rd(&c->io, IOAPIC_REG_VER), 0x00170020);
}

static void test_reg_ver_82093aa_and_pin_count(void **state)
{
	struct ctx *c = *state;
	struct sc_ioapic io8;
	struct sc_ioapic_config cfg = { .pins = 8, .version = 0x11 };

	assert_int_equal(rd(&c->io, IOAPIC_REG_VER), 0x00170011);
	assert_int_equal(sc_ioapic_init(&io8, &cfg, NULL, NULL, NULL), 0);
	/* Maximum redirection entry = pins - 1 in bits 23:16. */
	assert_int_equal(rd(&io8, IOAPIC_REG_VER), 0x00070011);
	cfg.pins = 1;
	assert_int_equal(sc_ioapic_init(&io8, &cfg, NULL, NULL, NULL), 0);
	assert_int_equal(rd(&io8, IOAPIC_REG_VER), 0x00000011);
	/* Entry 1 does not exist on a 1-pin chip. */
	assert_int_equal(rd(&io8, IOAPIC_REG_REDTBL + 2), 0xffffffff);
	assert_int_equal(sc_ioapic_set_irq(&io8, 1, true), -EINVAL);
}

static void test_reg_id_writable_bits_82093aa(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rd(&c->io, IOAPIC_REG_ID), 0);
	/* 82093AA 3.2.1: only bits 27:24 are implemented. */
	wr(&c->io, IOAPIC_REG_ID, 0xffffffff);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ID), 0x0f000000);
}

static void test_reg_id_scratchpad_ich(void **state)
{
	struct ctx *c = *state;

	/* ICH: 27:24 APIC ID plus the bit 15 scratchpad. */
	wr(&c->io, IOAPIC_REG_ID, 0xffffffff);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ID), 0x0f008000);
	wr(&c->io, IOAPIC_REG_ID, 0x03000000);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ID), 0x03000000);
}

static void test_reg_id_from_config(void **state)
{
	struct ctx *c;
	struct sc_ioapic_config cfg = { .id = 9 };

	c = ctx_new(&cfg);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ID), 0x09000000);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ARB), 0x09000000);
	wr(&c->io, IOAPIC_REG_ID, 0x02000000);
	sc_ioapic_reset(&c->io);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ID), 0x09000000);
	free(c);
}

static void test_reg_arb_readonly_loaded_by_id_write(void **state)
{
	struct ctx *c = *state;

	wr(&c->io, IOAPIC_REG_ARB, 0x0c000000);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ARB), 0);
	/* 82093AA 3.2.3: ARB is loaded whenever the ID is written. */
	wr(&c->io, IOAPIC_REG_ID, 0x0a008000);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ARB), 0x0a000000);
}

static void test_reset_masks_every_entry(void **state)
{
	struct ctx *c = *state;

	/* 82093AA 3.2.4 default xxx1 xxxx xxxx xxxxh: masked. */
	for (unsigned p = 0; p < 24; p++) {
		assert_int_equal(rd(&c->io, IOAPIC_REG_REDTBL + 2 * p), 0x00010000);
		assert_int_equal(rd(&c->io, IOAPIC_REG_REDTBL + 2 * p + 1), 0);
	}
	set_entry(&c->io, 3, 0x41 | DEST(2));
	wr(&c->io, IOAPIC_REG_ID, 0x05000000);
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL, 4, 0x12);
	c->nroutes = 0;
	sc_ioapic_reset(&c->io);
	assert_int_equal(sc_ioapic_entry(&c->io, 3), MASKED);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOREGSEL, 4), 0);
	assert_int_equal(rd(&c->io, IOAPIC_REG_ID), 0);
	/* Every route is reported after reset. */
	assert_int_equal(c->nroutes, 24);
	assert_true(c->route_masked);
}

static void test_redir_readonly_and_reserved_bits(void **state)
{
	struct ctx *c = *state;

	wr(&c->io, IOAPIC_REG_REDTBL + 2 * 5, 0xffffffff);
	/* Delivery status (12), remote IRR (14) and 31:17 do not stick. */
	assert_int_equal(rd(&c->io, IOAPIC_REG_REDTBL + 2 * 5), 0x0001afff);
	wr(&c->io, IOAPIC_REG_REDTBL + 2 * 5 + 1, 0xffffffff);
	/* 55:32 reserved without ext_dest_id. */
	assert_int_equal(rd(&c->io, IOAPIC_REG_REDTBL + 2 * 5 + 1), 0xff000000);
	/* Delivery status always reads idle, even right after a delivery. */
	set_entry(&c->io, 6, 0x30);
	sc_ioapic_set_irq(&c->io, 6, true);
	assert_int_equal(c->nmsgs, 1);
	assert_false(get_entry(&c->io, 6) & IOAPIC_REDIR_DELIVS);
}

/* ---- MMIO decoding ---- */

static void test_ioregsel_is_8_bits(void **state)
{
	struct ctx *c = *state;

	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL, 4, 0x12345611);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOREGSEL, 4), 0x11);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOREGSEL, 1), 0x11);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOREGSEL + 1, 1), 0);
	/* Byte write of the index (ICH: 8-bit index register). */
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL, 1, IOAPIC_REG_VER);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOWIN, 4), 0x00170020);
	/* A byte write to the reserved bytes of IOREGSEL changes nothing. */
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL + 2, 1, 0x10);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOREGSEL, 4), IOAPIC_REG_VER);
}

static void test_iowin_byte_and_word_access(void **state)
{
	struct ctx *c = *state;

	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_VER);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOWIN, 1), 0x20);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOWIN + 2, 1), 0x17);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOWIN + 2, 2), 0x0017);
	/* Byte write of the vector of entry 2, then of the mask byte. */
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL, 4, IOAPIC_REG_REDTBL + 4);
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOWIN, 1, 0x55);
	assert_int_equal(sc_ioapic_entry(&c->io, 2), MASKED | 0x55);
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOWIN + 2, 1, 0);
	assert_int_equal(sc_ioapic_entry(&c->io, 2), 0x55);
	/* A dword access that straddles the window is not decoded. */
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOWIN + 2, 4), 0xffffffff);
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOWIN + 2, 4, 0x10000);
	assert_int_equal(sc_ioapic_entry(&c->io, 2), 0x55);
}

static void test_undefined_indices_read_all_ones(void **state)
{
	struct ctx *c = *state;
	struct sc_ioapic_state_v1 before, after;

	sc_ioapic_save(&c->io, &before);
	assert_int_equal(rd(&c->io, 0x03), 0xffffffff);
	assert_int_equal(rd(&c->io, 0x0f), 0xffffffff);
	/* Entry 24 does not exist on a 24-pin chip (index 0x40). */
	assert_int_equal(rd(&c->io, IOAPIC_REG_REDTBL + 48), 0xffffffff);
	assert_int_equal(rd(&c->io, 0xff), 0xffffffff);
	wr(&c->io, 0x03, 0);
	wr(&c->io, IOAPIC_REG_REDTBL + 48, 0);
	wr(&c->io, 0xff, 0);
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL, 4, 0);
	sc_ioapic_save(&c->io, &after);
	assert_memory_equal(&before, &after, sizeof(before));
}

static void test_hostile_offsets_and_sizes(void **state)
{
	struct ctx *c = *state;
	struct sc_ioapic_state_v1 before, after;
	static const uint64_t offs[] = { 0x04, 0x08, 0x0c, 0x14, 0x20, 0x3c, 0x44, 0x80,
					 0xfff, 0x1000, UINT64_MAX, UINT64_MAX - 3 };
	static const unsigned sizes[] = { 0, 1, 2, 3, 4, 8, 16 };

	sc_ioapic_save(&c->io, &before);
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (unsigned j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			uint32_t ones = sizes[j] >= 4 ? 0xffffffffu :
					(1u << (8 * sizes[j])) - 1;

			assert_int_equal(sc_ioapic_mmio_read(&c->io, offs[i], sizes[j]), ones);
			sc_ioapic_mmio_write(&c->io, offs[i], sizes[j], 0xffffffff);
		}
	}
	/* Odd sizes on the real registers are not decoded either. */
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOWIN, 8), 0xffffffff);
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_IOWIN, 3), 0xffffff);
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL, 3, 0x10);
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOWIN, 8, 0);
	sc_ioapic_save(&c->io, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(c->nmsgs, 0);
}

/* ---- delivery: edge ---- */

static void test_edge_rising_edge_sends_one_message(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 4, 0x31 | DEST(3));
	assert_int_equal(sc_ioapic_set_irq(&c->io, 4, true), 0);
	assert_int_equal(c->nmsgs, 1);
	assert_int_equal(c->msgs[0].address, 0xfee03000);
	assert_int_equal(c->msgs[0].data, 0x31);
	/* Holding the line high is no new edge. */
	sc_ioapic_set_irq(&c->io, 4, true);
	assert_int_equal(c->nmsgs, 1);
	sc_ioapic_set_irq(&c->io, 4, false);
	assert_int_equal(c->nmsgs, 1);
	sc_ioapic_set_irq(&c->io, 4, true);
	assert_int_equal(c->nmsgs, 2);
	/* Edge entries never set remote IRR nor want EOIs. */
	assert_false(sc_ioapic_entry(&c->io, 4) & RIRR);
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x31));
	assert_false(sc_ioapic_vector_has_level_pin(&c->io, 0x31));
}

static void test_edge_on_masked_pin_is_lost(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 1, 0x32 | MASKED);
	sc_ioapic_set_irq(&c->io, 1, true);
	sc_ioapic_set_irq(&c->io, 1, false);
	/* 82093AA 3.2.4: "not delivered or held pending". */
	set_entry(&c->io, 1, 0x32);
	assert_int_equal(c->nmsgs, 0);
	/* Even an edge still high at unmask is not replayed. */
	set_entry(&c->io, 1, 0x32 | MASKED);
	sc_ioapic_set_irq(&c->io, 1, true);
	set_entry(&c->io, 1, 0x32);
	assert_int_equal(c->nmsgs, 0);
}

static void test_edge_active_low_polarity(void **state)
{
	struct ctx *c = *state;

	sc_ioapic_set_irq(&c->io, 7, true);     /* idle high */
	set_entry(&c->io, 7, 0x33 | LOWACT);
	assert_int_equal(c->nmsgs, 0);
	sc_ioapic_set_irq(&c->io, 7, false);    /* falling = assertion */
	assert_int_equal(c->nmsgs, 1);
	sc_ioapic_set_irq(&c->io, 7, true);
	assert_int_equal(c->nmsgs, 1);
	/* Flipping the polarity of an edge entry is not an edge. */
	set_entry(&c->io, 7, 0x33);
	assert_int_equal(c->nmsgs, 1);
}

/* ---- message encoding ---- */

static void test_delivery_mode_encoding(void **state)
{
	struct ctx *c = *state;
	static const unsigned dms[] = { SC_DM_FIXED, SC_DM_LOWPRI, SC_DM_SMI, SC_DM_NMI,
					SC_DM_INIT, SC_DM_EXTINT };

	for (unsigned i = 0; i < 6; i++) {
		c->nmsgs = 0;
		set_entry(&c->io, 2, (0x40 + i) | DM(dms[i]) | DEST(0x12));
		sc_ioapic_set_irq(&c->io, 2, true);
		sc_ioapic_set_irq(&c->io, 2, false);
		assert_int_equal(c->nmsgs, 1);
		assert_int_equal(c->msgs[0].address, 0xfee12000);
		assert_int_equal(c->msgs[0].data, (0x40 + i) | dms[i] << 8);
	}
}

static void test_level_message_has_trigger_and_assert_bits(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 9, 0x51 | LEVEL | DM(SC_DM_LOWPRI) | DEST(1));
	sc_ioapic_set_irq(&c->io, 9, true);
	assert_int_equal(c->nmsgs, 1);
	assert_int_equal(c->msgs[0].data, 0x51 | 1 << 8 | SC_MSI_DATA_TRIGGER_LEVEL |
				 SC_MSI_DATA_LEVEL_ASSERT);
	assert_true(sc_ioapic_entry(&c->io, 9) & RIRR);
}

static void test_nmi_init_extint_smi_always_edge(void **state)
{
	struct ctx *c = *state;
	static const unsigned dms[] = { SC_DM_SMI, SC_DM_NMI, SC_DM_INIT, SC_DM_EXTINT };

	for (unsigned i = 0; i < 4; i++) {
		bool masked, level;

		c->nmsgs = 0;
		set_entry(&c->io, 0, LEVEL | DM(dms[i]));
		sc_ioapic_set_irq(&c->io, 0, true);
		/* Sent as edge, no remote IRR: asserting again after a pulse sends again. */
		assert_int_equal(c->nmsgs, 1);
		assert_int_equal(c->msgs[0].data, dms[i] << 8);
		assert_false(sc_ioapic_entry(&c->io, 0) & RIRR);
		assert_false(sc_ioapic_vector_has_level_pin(&c->io, 0));
		sc_ioapic_route(&c->io, 0, NULL, &masked, &level);
		assert_false(level);
		sc_ioapic_set_irq(&c->io, 0, false);
		sc_ioapic_set_irq(&c->io, 0, true);
		assert_int_equal(c->nmsgs, 2);
		sc_ioapic_set_irq(&c->io, 0, false);
	}
}

static void test_reserved_delivery_mode_sends_nothing(void **state)
{
	struct ctx *c = *state;
	bool masked = false;

	set_entry(&c->io, 3, 0x60 | DM(SC_DM_RESERVED3));
	sc_ioapic_route(&c->io, 3, NULL, &masked, NULL);
	assert_true(masked);
	sc_ioapic_set_irq(&c->io, 3, true);
	set_entry(&c->io, 3, 0x60 | DM(SC_DM_RESERVED6) | LEVEL);
	sc_ioapic_set_irq(&c->io, 3, false);
	sc_ioapic_set_irq(&c->io, 3, true);
	assert_int_equal(c->nmsgs, 0);
	assert_int_equal(c->io.stats.dropped, 2);
}

static void test_destination_modes(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 1, 0x70 | IOAPIC_REDIR_DESTMOD | DEST(0x0f));
	sc_ioapic_set_irq(&c->io, 1, true);
	assert_int_equal(c->msgs[0].address, 0xfee0f000 | SC_MSI_ADDR_DM_LOGICAL);
	set_entry(&c->io, 2, 0x71 | DEST(0xff));
	sc_ioapic_set_irq(&c->io, 2, true);
	assert_int_equal(c->msgs[1].address, 0xfeeff000);
}

static void test_ext_dest_id_in_address_bits_11_5(void **state)
{
	struct ctx *c = *state;
	struct ctx *plain = ctx_new(NULL);

	/* APIC ID 0x1234: bits 7:0 in 63:56, bits 14:8 in 55:49. */
	uint64_t e = 0x45 | DEST(0x34) | (uint64_t)0x12 << IOAPIC_REDIR_EXT_DEST_SHIFT;

	set_entry(&c->io, 5, e);
	assert_int_equal(get_entry(&c->io, 5), e);
	sc_ioapic_set_irq(&c->io, 5, true);
	assert_int_equal(c->msgs[0].address, 0xfee34000 | 0x12 << 5);
	wr(&c->io, IOAPIC_REG_REDTBL + 13, 0xffffffff);
	assert_int_equal(rd(&c->io, IOAPIC_REG_REDTBL + 13), 0xfffe0000);

	/* The extended bits survive save/restore on an ext_dest_id chip ... */
	{
		struct sc_ioapic_state_v1 st;
		struct sc_ioapic_config cfg = { .ext_dest_id = true };
		struct ctx *d = ctx_new(&cfg);

		sc_ioapic_save(&c->io, &st);
		assert_int_equal(sc_ioapic_validate(&st), 0);
		assert_int_equal(sc_ioapic_restore(&d->io, &st), 0);
		assert_int_equal(sc_ioapic_entry(&d->io, 5), e);
		/* ... and are refused by a chip without the option. */
		assert_int_equal(sc_ioapic_restore(&plain->io, &st), -EINVAL);
		st.ext_dest_id = 0;
		assert_int_equal(sc_ioapic_validate(&st), -EINVAL);
		free(d);
	}

	/* Without the option the bits are reserved. */
	set_entry(&plain->io, 5, e);
	assert_int_equal(get_entry(&plain->io, 5), 0x45 | DEST(0x34));
	sc_ioapic_set_irq(&plain->io, 5, true);
	assert_int_equal(plain->msgs[0].address, 0xfee34000);
	free(plain);
}

/* ---- level and remote IRR ---- */

static void test_level_sets_remote_irr_and_coalesces(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 10, 0x61 | LEVEL);
	assert_true(sc_ioapic_vector_has_level_pin(&c->io, 0x61));
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x61));
	sc_ioapic_set_irq(&c->io, 10, true);
	assert_int_equal(c->nmsgs, 1);
	assert_true(get_entry(&c->io, 10) & RIRR);
	assert_true(sc_ioapic_eoi_wanted(&c->io, 0x61));
	/* While remote IRR is set, new asserts are folded into the first. */
	sc_ioapic_set_irq(&c->io, 10, false);
	sc_ioapic_set_irq(&c->io, 10, true);
	sc_ioapic_set_irq(&c->io, 10, true);
	assert_int_equal(c->nmsgs, 1);
	/* The guest writing the RO bit cannot clear it. */
	wr(&c->io, IOAPIC_REG_REDTBL + 20, 0x61 | LEVEL);
	assert_true(get_entry(&c->io, 10) & RIRR);
	assert_int_equal(c->nmsgs, 1);
}

static void test_eoi_clears_remote_irr_no_redelivery_when_low(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 10, 0x61 | LEVEL);
	sc_ioapic_set_irq(&c->io, 10, true);
	sc_ioapic_set_irq(&c->io, 10, false);
	sc_ioapic_eoi(&c->io, 0x61);
	assert_false(get_entry(&c->io, 10) & RIRR);
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x61));
	assert_int_equal(c->nmsgs, 1);
	assert_int_equal(c->neoi, 1);
	assert_int_equal(c->eoi_pin, 10);
	/* Next assertion delivers again. */
	sc_ioapic_set_irq(&c->io, 10, true);
	assert_int_equal(c->nmsgs, 2);
}

static void test_eoi_redelivers_while_asserted(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 11, 0x62 | LEVEL);
	sc_ioapic_set_irq(&c->io, 11, true);
	sc_ioapic_eoi(&c->io, 0x62);
	assert_int_equal(c->nmsgs, 2);
	assert_true(get_entry(&c->io, 11) & RIRR);
	assert_int_equal(c->io.stats.eoi_redelivered, 1);
}

static void test_eoi_other_vector_has_no_effect(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 11, 0x62 | LEVEL);
	sc_ioapic_set_irq(&c->io, 11, true);
	sc_ioapic_eoi(&c->io, 0x63);
	assert_true(get_entry(&c->io, 11) & RIRR);
	assert_int_equal(c->neoi, 0);
	assert_int_equal(c->nmsgs, 1);
}

static void test_eoi_clears_every_pin_with_the_vector(void **state)
{
	struct ctx *c = *state;

	/* ICH: "each of those entries will have the Remote_IRR bit reset". */
	set_entry(&c->io, 12, 0x64 | LEVEL);
	set_entry(&c->io, 13, 0x64 | LEVEL);
	sc_ioapic_set_irq(&c->io, 12, true);
	sc_ioapic_set_irq(&c->io, 13, true);
	sc_ioapic_set_irq(&c->io, 12, false);
	assert_int_equal(c->nmsgs, 2);
	sc_ioapic_eoi(&c->io, 0x64);
	assert_false(get_entry(&c->io, 12) & RIRR);
	/* Pin 13 is still asserted: "the interrupt will be reissued". */
	assert_true(get_entry(&c->io, 13) & RIRR);
	assert_int_equal(c->nmsgs, 3);
	assert_int_equal(c->neoi, 2);
}

static void test_eoi_register_ich(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 14, 0x65 | LEVEL);
	sc_ioapic_set_irq(&c->io, 14, true);
	sc_ioapic_set_irq(&c->io, 14, false);
	/* Bits 31:8 are ignored. */
	sc_ioapic_mmio_write(&c->io, IOAPIC_EOI, 4, 0xabcdef65);
	assert_false(get_entry(&c->io, 14) & RIRR);
	/* Write-only: reads all ones. */
	assert_int_equal(sc_ioapic_mmio_read(&c->io, IOAPIC_EOI, 4), 0xffffffff);
	/* Byte write of the vector also works. */
	sc_ioapic_set_irq(&c->io, 14, true);
	sc_ioapic_mmio_write(&c->io, IOAPIC_EOI, 1, 0x65);
	assert_int_equal(c->nmsgs, 3);   /* line still high: redelivered */
	/* A write to the upper bytes alone is no EOI. */
	sc_ioapic_set_irq(&c->io, 14, false);
	sc_ioapic_mmio_write(&c->io, IOAPIC_EOI + 1, 1, 0x65);
	assert_true(get_entry(&c->io, 14) & RIRR);
}

static void test_no_eoi_register_on_82093aa(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 14, 0x65 | LEVEL);
	sc_ioapic_set_irq(&c->io, 14, true);
	sc_ioapic_mmio_write(&c->io, IOAPIC_EOI, 4, 0x65);
	assert_true(get_entry(&c->io, 14) & RIRR);
	assert_int_equal(c->nmsgs, 1);
	/* The EOI message from the LAPIC still works. */
	sc_ioapic_eoi(&c->io, 0x65);
	assert_int_equal(c->nmsgs, 2);
}

static void test_unmask_pending_level_delivers(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 15, 0x66 | LEVEL | MASKED);
	sc_ioapic_set_irq(&c->io, 15, true);
	assert_int_equal(c->nmsgs, 0);
	assert_false(get_entry(&c->io, 15) & RIRR);
	set_entry(&c->io, 15, 0x66 | LEVEL);
	assert_int_equal(c->nmsgs, 1);
	assert_true(get_entry(&c->io, 15) & RIRR);
	/* A level line that went low while masked does not deliver. */
	set_entry(&c->io, 16, 0x67 | LEVEL | MASKED);
	sc_ioapic_set_irq(&c->io, 16, true);
	sc_ioapic_set_irq(&c->io, 16, false);
	set_entry(&c->io, 16, 0x67 | LEVEL);
	assert_int_equal(c->nmsgs, 1);
}

static void test_level_active_low(void **state)
{
	struct ctx *c = *state;

	/* PCI INTx: active low.  Electrical low = asserted. */
	sc_ioapic_set_irq(&c->io, 16, true);
	set_entry(&c->io, 16, 0x68 | LEVEL | LOWACT);
	assert_int_equal(c->nmsgs, 0);
	sc_ioapic_set_irq(&c->io, 16, false);
	assert_int_equal(c->nmsgs, 1);
	sc_ioapic_eoi(&c->io, 0x68);
	assert_int_equal(c->nmsgs, 2);
	sc_ioapic_set_irq(&c->io, 16, true);
	sc_ioapic_eoi(&c->io, 0x68);
	assert_int_equal(c->nmsgs, 2);
	/* Switching the polarity of an idle level line makes it asserted. */
	set_entry(&c->io, 16, 0x68 | LEVEL);
	assert_int_equal(c->nmsgs, 3);
}

static void test_mask_after_delivery_keeps_remote_irr(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 17, 0x69 | LEVEL);
	sc_ioapic_set_irq(&c->io, 17, true);
	/* Linux masks a level IRQ while handling it ("ack_level"). */
	set_entry(&c->io, 17, 0x69 | LEVEL | MASKED);
	assert_true(get_entry(&c->io, 17) & RIRR);
	sc_ioapic_eoi(&c->io, 0x69);
	assert_false(get_entry(&c->io, 17) & RIRR);
	assert_int_equal(c->nmsgs, 1);     /* masked: no redelivery */
	set_entry(&c->io, 17, 0x69 | LEVEL);
	assert_int_equal(c->nmsgs, 2);     /* still asserted at unmask */
}

static void test_switch_to_edge_clears_remote_irr(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 18, 0x6a | LEVEL);
	sc_ioapic_set_irq(&c->io, 18, true);
	assert_true(sc_ioapic_eoi_wanted(&c->io, 0x6a));
	set_entry(&c->io, 18, 0x6a);
	assert_false(get_entry(&c->io, 18) & RIRR);
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x6a));
	assert_false(sc_ioapic_vector_has_level_pin(&c->io, 0x6a));
	/* Back to level with the line high: delivers again (level sensing). */
	set_entry(&c->io, 18, 0x6a | LEVEL);
	assert_int_equal(c->nmsgs, 2);
	/* Switching to an edge-only delivery mode also drops it. */
	set_entry(&c->io, 18, 0x6a | LEVEL | DM(SC_DM_NMI));
	assert_false(get_entry(&c->io, 18) & RIRR);
}

static void test_reprogram_vector_while_remote_irr_eoi_old_vector(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 19, 0x70 | LEVEL);
	sc_ioapic_set_irq(&c->io, 19, true);
	set_entry(&c->io, 19, 0x80 | LEVEL);   /* new vector, RIRR still set */
	assert_true(get_entry(&c->io, 19) & RIRR);
	assert_int_equal(c->nmsgs, 1);
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x70));
	assert_true(sc_ioapic_eoi_wanted(&c->io, 0x80));
	assert_false(sc_ioapic_vector_has_level_pin(&c->io, 0x70));
	assert_true(sc_ioapic_vector_has_level_pin(&c->io, 0x80));
	/* 82093AA 3.2.4, and KVM's in-kernel IOAPIC: the LAPIC EOIs the vector
	 * it got (the old one), which no longer matches the entry: remote IRR
	 * stays set, nothing is sent. */
	sc_ioapic_eoi(&c->io, 0x70);
	assert_true(get_entry(&c->io, 19) & RIRR);
	assert_int_equal(c->nmsgs, 1);
	assert_int_equal(c->neoi, 0);
	/* What Linux does then (82093AA has no EOI register): edge and back. */
	set_entry(&c->io, 19, 0x80 | MASKED);
	assert_false(get_entry(&c->io, 19) & RIRR);
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x80));
	sc_ioapic_set_irq(&c->io, 19, false);
	set_entry(&c->io, 19, 0x80 | LEVEL);
	assert_int_equal(c->nmsgs, 1);
	assert_false(get_entry(&c->io, 19) & RIRR);
}

static void test_reprogram_vector_while_remote_irr_eoi_new_vector(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 19, 0x70 | LEVEL);
	sc_ioapic_set_irq(&c->io, 19, true);
	sc_ioapic_set_irq(&c->io, 19, false);
	set_entry(&c->io, 19, 0x80 | LEVEL);
	/* Datasheet: match against the entry's current vector field. */
	sc_ioapic_eoi(&c->io, 0x80);
	assert_false(get_entry(&c->io, 19) & RIRR);
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x70));
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x80));
	/* A late EOI of the old vector finds nothing. */
	sc_ioapic_eoi(&c->io, 0x70);
	assert_int_equal(c->neoi, 1);
}

static void test_eoi_hook_can_lower_line_before_resample(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 20, 0x90 | LEVEL);
	sc_ioapic_set_irq(&c->io, 20, true);
	c->eoi_hook_lowers_line = true;
	sc_ioapic_eoi(&c->io, 0x90);
	assert_int_equal(c->neoi, 1);
	assert_int_equal(c->nmsgs, 1);
	assert_false(get_entry(&c->io, 20) & RIRR);
}

static void hook_eoi_reprograms_pin13(void *opaque, unsigned pin)
{
	struct ctx *c = opaque;

	c->neoi++;
	/* The EOI observer of pin 12 turns pin 13 into an edge entry. */
	if (pin == 12)
		set_entry(&c->io, 13, 0x64);
}

static void test_eoi_hook_changing_other_pin(void **state)
{
	struct ctx *c = *state;
	struct sc_ioapic_hooks hooks = { hook_eoi_reprograms_pin13, NULL, c };

	sc_ioapic_set_hooks(&c->io, &hooks);
	set_entry(&c->io, 12, 0x64 | LEVEL);
	set_entry(&c->io, 13, 0x64 | LEVEL);
	sc_ioapic_set_irq(&c->io, 12, true);
	sc_ioapic_set_irq(&c->io, 13, true);
	sc_ioapic_set_irq(&c->io, 12, false);
	sc_ioapic_eoi(&c->io, 0x64);
	/* Pin 13 lost its remote IRR to the edge switch, not to this EOI. */
	assert_int_equal(c->neoi, 1);
	assert_int_equal(c->io.stats.eois, 1);
	assert_int_equal(sc_ioapic_entry(&c->io, 13), 0x64);
	assert_false(sc_ioapic_eoi_wanted(&c->io, 0x64));
	assert_int_equal(c->nmsgs, 2);
}

/* ---- EOI storm guard ---- */

static void test_eoi_storm_guard_defers_redelivery(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 21, 0x91 | LEVEL);
	sc_ioapic_set_irq(&c->io, 21, true);
	for (unsigned i = 0; i < 3; i++)
		sc_ioapic_eoi(&c->io, 0x91);
	assert_int_equal(c->nmsgs, 4);   /* 1 + 3 immediate redeliveries */
	assert_int_equal(c->nretrig, 0);
	/* The 4th EOI in a row without the line going low is throttled. */
	sc_ioapic_eoi(&c->io, 0x91);
	assert_int_equal(c->nmsgs, 4);
	assert_int_equal(c->nretrig, 1);
	assert_int_equal(c->retrig_pin, 21);
	assert_true(sc_ioapic_retrigger_pending(&c->io, 21));
	assert_false(get_entry(&c->io, 21) & RIRR);
	assert_int_equal(c->io.stats.storm_deferred, 1);
	/* The board's timer redelivers later. */
	sc_fake_clock_advance(&c->fc, 999999);
	assert_int_equal(c->nmsgs, 4);
	sc_fake_clock_advance(&c->fc, 1);
	assert_int_equal(c->nmsgs, 5);
	assert_false(sc_ioapic_retrigger_pending(&c->io, 21));
	assert_true(get_entry(&c->io, 21) & RIRR);
	/* The count restarted: 3 more immediate redeliveries are allowed. */
	for (unsigned i = 0; i < 3; i++)
		sc_ioapic_eoi(&c->io, 0x91);
	assert_int_equal(c->nmsgs, 8);
	sc_ioapic_eoi(&c->io, 0x91);
	assert_int_equal(c->nretrig, 2);
}

static void test_eoi_storm_count_resets_when_line_low(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 22, 0x92 | LEVEL);
	sc_ioapic_set_irq(&c->io, 22, true);
	for (unsigned i = 0; i < 20; i++) {
		sc_ioapic_eoi(&c->io, 0x92);
		if (i % 3 == 2) {
			sc_ioapic_set_irq(&c->io, 22, false);
			sc_ioapic_set_irq(&c->io, 22, true);
		}
	}
	assert_int_equal(c->nretrig, 0);
	assert_int_equal(c->nmsgs, 21);
}

static void test_retrigger_skips_pins_no_longer_asserted(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 21, 0x91 | LEVEL);
	sc_ioapic_set_irq(&c->io, 21, true);
	for (unsigned i = 0; i < 4; i++)
		sc_ioapic_eoi(&c->io, 0x91);
	assert_true(sc_ioapic_retrigger_pending(&c->io, 21));
	sc_ioapic_set_irq(&c->io, 21, false);
	assert_int_equal(sc_ioapic_retrigger(&c->io), 0);
	assert_false(sc_ioapic_retrigger_pending(&c->io, 21));
	assert_int_equal(c->nmsgs, 4);
	/* A pin made edge forgets a deferred retrigger. */
	sc_ioapic_set_irq(&c->io, 21, true);
	for (unsigned i = 0; i < 4; i++)
		sc_ioapic_eoi(&c->io, 0x91);
	assert_true(sc_ioapic_retrigger_pending(&c->io, 21));
	set_entry(&c->io, 21, 0x91);
	assert_false(sc_ioapic_retrigger_pending(&c->io, 21));
	assert_false(sc_ioapic_retrigger_pending(&c->io, 1000));
}

static void test_default_storm_limit_is_10000(void **state)
{
	struct ctx *c = *state;

	set_entry(&c->io, 0, 0x93 | LEVEL);
	sc_ioapic_set_irq(&c->io, 0, true);
	for (unsigned i = 0; i < 10000; i++)
		sc_ioapic_eoi(&c->io, 0x93);
	assert_int_equal(c->nretrig, 0);
	assert_int_equal(c->io.stats.delivered, 10001);
	sc_ioapic_eoi(&c->io, 0x93);
	assert_int_equal(c->nretrig, 1);
	assert_int_equal(c->io.stats.delivered, 10001);
}

static void test_synchronous_eoi_from_sink_is_bounded(void **state)
{
	struct ctx *c = *state;

	/* A sink that EOIs inside send() must not recurse without bound. */
	c->sink_eois = true;
	set_entry(&c->io, 2, 0x94 | LEVEL);
	sc_ioapic_set_irq(&c->io, 2, true);
	assert_true(c->nmsgs <= 8);
	assert_int_equal(c->nretrig, 1);
	assert_true(sc_ioapic_retrigger_pending(&c->io, 2));
}

/* ---- route notification ---- */

static void test_route_callback_on_every_write(void **state)
{
	struct ctx *c = *state;
	struct sc_msi m;
	bool masked, level;

	c->nroutes = 0;
	memset(c->route_calls, 0, sizeof(c->route_calls));
	set_entry(&c->io, 7, 0xa1 | LEVEL | MASKED | DEST(4));
	/* Both dword writes are reported, masked included. */
	assert_int_equal(c->route_calls[7], 2);
	assert_int_equal(c->route_pin, 7);
	assert_true(c->route_masked);
	assert_true(c->route_level);
	assert_int_equal(c->route_msg.address, 0xfee04000);
	assert_int_equal(c->route_msg.data, 0xa1 | 0xc000);
	assert_int_equal(sc_ioapic_route(&c->io, 7, &m, &masked, &level), 0);
	assert_int_equal(m.address, c->route_msg.address);
	assert_int_equal(m.data, c->route_msg.data);
	assert_true(masked);
	assert_true(level);
	/* An identical rewrite is still reported. */
	wr(&c->io, IOAPIC_REG_REDTBL + 14, 0xa1 | LEVEL | MASKED);
	assert_int_equal(c->route_calls[7], 3);
	wr(&c->io, IOAPIC_REG_REDTBL + 14, 0xa1);
	assert_false(c->route_masked);
	assert_false(c->route_level);
	assert_int_equal(c->nroutes, 4);
	/* Non-entry registers are not routes. */
	wr(&c->io, IOAPIC_REG_ID, 0);
	assert_int_equal(c->nroutes, 4);
}

static void test_route_query_bad_pin(void **state)
{
	struct ctx *c = *state;
	struct sc_msi m;

	assert_int_equal(sc_ioapic_route(&c->io, 24, &m, NULL, NULL), -EINVAL);
	assert_int_equal(sc_ioapic_route(NULL, 0, &m, NULL, NULL), -EINVAL);
	assert_int_equal(sc_ioapic_route(&c->io, 23, NULL, NULL, NULL), 0);
	assert_int_equal(sc_ioapic_set_irq(&c->io, 24, true), -EINVAL);
	assert_int_equal(sc_ioapic_set_irq(NULL, 0, true), -EINVAL);
	assert_int_equal(sc_ioapic_entry(&c->io, 24), 0);
}

/* ---- instances ---- */

static void test_multiple_instances_are_independent(void **state)
{
	struct ctx *a = *state;
	struct sc_ioapic_config cfg = { .pins = 32, .gsi_base = 24,
					.mmio_base = 0xfec01000, .id = 1 };
	struct ctx *b = ctx_new(&cfg);

	assert_int_equal(b->io.cfg.gsi_base, 24);
	assert_int_equal(b->io.cfg.mmio_base, 0xfec01000);
	assert_int_equal(rd(&b->io, IOAPIC_REG_VER), 0x001f0020);
	assert_int_equal(rd(&a->io, IOAPIC_REG_VER), 0x00170020);
	set_entry(&a->io, 3, 0xb0 | LEVEL);
	set_entry(&b->io, 31, 0xb0 | LEVEL);
	sc_ioapic_set_irq(&b->io, 31, true);
	assert_int_equal(b->nmsgs, 1);
	assert_int_equal(a->nmsgs, 0);
	assert_true(sc_ioapic_eoi_wanted(&b->io, 0xb0));
	assert_false(sc_ioapic_eoi_wanted(&a->io, 0xb0));
	sc_ioapic_eoi(&a->io, 0xb0);
	assert_true(get_entry(&b->io, 31) & RIRR);
	sc_ioapic_eoi(&b->io, 0xb0);
	assert_int_equal(b->nmsgs, 2);
	free(b);
}

static void test_trace_and_null_hooks(void **state)
{
	struct ctx *c = *state;

	sc_ioapic_set_hooks(&c->io, NULL);
	c->ntrace = 0;
	set_entry(&c->io, 1, 0xc0 | LEVEL);
	sc_ioapic_set_irq(&c->io, 1, true);
	sc_ioapic_eoi(&c->io, 0xc0);
	assert_int_equal(c->neoi, 0);
	assert_int_equal(c->nmsgs, 2);
	sc_ioapic_mmio_write(&c->io, 0x20, 4, 1);
	assert_true(c->ntrace >= 6);
}

/* ---- save / restore ---- */

static void program_busy_state(struct ctx *c)
{
	wr(&c->io, IOAPIC_REG_ID, 0x07008000);
	set_entry(&c->io, 0, 0x20 | DEST(1));
	set_entry(&c->io, 4, 0x30 | LEVEL | LOWACT);       /* asserted: line low */
	set_entry(&c->io, 8, 0x40 | LEVEL);
	sc_ioapic_set_irq(&c->io, 8, true);                /* RIRR set */
	set_entry(&c->io, 8, 0x41 | LEVEL);                /* vector changed */
	set_entry(&c->io, 9, 0x50 | LEVEL | MASKED);
	sc_ioapic_set_irq(&c->io, 9, true);
	sc_ioapic_set_irq(&c->io, 23, true);
	sc_ioapic_mmio_write(&c->io, IOAPIC_IOREGSEL, 4, 0x11);
}

static void test_save_restore_round_trip(void **state)
{
	struct ctx *c = *state;
	struct ctx *d = ctx_new(NULL);
	struct sc_ioapic_state_v1 s, s2;

	program_busy_state(c);
	assert_int_equal(c->nmsgs, 2);
	sc_ioapic_save(&c->io, &s);
	assert_int_equal(sc_ioapic_validate(&s), 0);
	d->nroutes = 0;
	assert_int_equal(sc_ioapic_restore(&d->io, &s), 0);
	assert_int_equal(d->nroutes, 24);
	assert_int_equal(d->nmsgs, 0);
	sc_ioapic_save(&d->io, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
	/* Same register contents. */
	assert_int_equal(sc_ioapic_mmio_read(&d->io, IOAPIC_IOWIN, 4), 0x01000000); /* 0x11: entry 0 high */
	for (unsigned idx = 0; idx < 0x40; idx++)
		assert_int_equal(rd(&d->io, idx), rd(&c->io, idx));
	/* Index rebuilt, identical behaviour afterwards. */
	for (unsigned v = 0; v < 256; v++) {
		assert_int_equal(sc_ioapic_eoi_wanted(&d->io, (uint8_t)v),
				 sc_ioapic_eoi_wanted(&c->io, (uint8_t)v));
		assert_int_equal(sc_ioapic_vector_has_level_pin(&d->io, (uint8_t)v),
				 sc_ioapic_vector_has_level_pin(&c->io, (uint8_t)v));
	}
	/* pin 8's vector changed 0x40 -> 0x41 with remote IRR set: only 0x41
	 * clears it (82093AA 3.2.4), in both chips */
	sc_ioapic_eoi(&c->io, 0x40);
	sc_ioapic_eoi(&d->io, 0x40);
	assert_int_equal(d->nmsgs, 0);
	sc_ioapic_eoi(&c->io, 0x41);
	sc_ioapic_eoi(&d->io, 0x41);
	assert_int_equal(d->nmsgs, 1);
	assert_int_equal(d->msgs[0].address, c->msgs[2].address);
	assert_int_equal(d->msgs[0].data, c->msgs[2].data);
	set_entry(&c->io, 9, 0x50 | LEVEL);
	set_entry(&d->io, 9, 0x50 | LEVEL);
	assert_int_equal(d->nmsgs, 2);
	assert_int_equal(d->msgs[1].address, c->msgs[3].address);
	assert_int_equal(d->msgs[1].data, c->msgs[3].data);
	free(d);
}

static void test_restore_rejects_corrupt_state(void **state)
{
	struct ctx *c = *state;
	struct ctx *d = ctx_new(NULL);
	struct sc_ioapic_state_v1 good, bad, before, after;

	program_busy_state(c);
	sc_ioapic_save(&c->io, &good);
	set_entry(&d->io, 2, 0x99);
	sc_ioapic_save(&d->io, &before);

#define EXPECT_BAD(mutation) do { \
		bad = good; \
		mutation; \
		assert_int_equal(sc_ioapic_validate(&bad), -EINVAL); \
		assert_int_equal(sc_ioapic_restore(&d->io, &bad), -EINVAL); \
		sc_ioapic_save(&d->io, &after); \
		assert_memory_equal(&before, &after, sizeof(before)); \
	} while (0)

	EXPECT_BAD(bad.version = 2);
	EXPECT_BAD(bad.pins = 0);
	EXPECT_BAD(bad.pins = 241);
	EXPECT_BAD(bad.chip_version = 0x12);
	EXPECT_BAD(bad.ext_dest_id = 2);
	EXPECT_BAD(bad.pad0 = 1);
	EXPECT_BAD(bad.pad1 = 1);
	EXPECT_BAD(bad.id_reg |= 0x10000000);
	EXPECT_BAD(bad.arb_reg |= 0x8000);
	EXPECT_BAD(bad.redir[0] |= IOAPIC_REDIR_DELIVS);
	EXPECT_BAD(bad.redir[0] |= 1ull << 40);
	EXPECT_BAD(bad.redir[0] |= IOAPIC_REDIR_EXT_DEST_MASK);
	EXPECT_BAD(bad.redir[0] |= RIRR);            /* RIRR on an edge entry */
	EXPECT_BAD(bad.redir[30] = MASKED);          /* beyond pins */
	EXPECT_BAD(bad.storm_count[30] = 1);
	EXPECT_BAD(bad.delivered_vector[239] = 1);
	EXPECT_BAD(bad.line[0] |= 1ull << 24);
	EXPECT_BAD(bad.line[3] |= 1ull << 63);
	EXPECT_BAD(bad.retrigger[0] |= 1ull << 30);
	EXPECT_BAD(bad.retrigger[0] |= 1ull << 0);   /* retrigger on edge pin */
	/* asserted level pin, unmasked, no RIRR and not deferred: stranded */
	EXPECT_BAD(bad.redir[8] &= ~RIRR);
	EXPECT_BAD(bad.redir[4] &= ~RIRR);           /* active low, line low */
	EXPECT_BAD(bad.redir[9] &= ~MASKED);
	bad = good;                                  /* deferred: valid */
	bad.redir[8] &= ~RIRR;
	bad.retrigger[0] |= 1ull << 8;
	assert_int_equal(sc_ioapic_validate(&bad), 0);
	assert_int_equal(sc_ioapic_validate(NULL), -EINVAL);

	/* Valid state that does not fit this chip. */
	bad = good;
	bad.pins = 16;
	memset(&bad.redir[16], 0, 8 * sizeof(bad.redir[0]));
	bad.line[0] &= 0xffff;
	assert_int_equal(sc_ioapic_validate(&bad), 0);
	assert_int_equal(sc_ioapic_restore(&d->io, &bad), -EINVAL);
	bad = good;
	bad.chip_version = 0x11;
	bad.id_reg &= ~IOAPIC_ID_SCRATCHPAD;
	assert_int_equal(sc_ioapic_validate(&bad), 0);
	assert_int_equal(sc_ioapic_restore(&d->io, &bad), -EINVAL);
	bad = good;
	bad.ext_dest_id = 1;
	assert_int_equal(sc_ioapic_restore(&d->io, &bad), -EINVAL);
	bad = good;
	bad.storm_count[3] = SC_IOAPIC_DEFAULT_EOI_STORM_LIMIT + 1;
	assert_int_equal(sc_ioapic_restore(&d->io, &bad), -EINVAL);
	assert_int_equal(sc_ioapic_restore(NULL, &good), -EINVAL);
	sc_ioapic_save(&d->io, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	/* The good one is accepted. */
	assert_int_equal(sc_ioapic_restore(&d->io, &good), 0);
	free(d);
#undef EXPECT_BAD
}

static void test_restore_keeps_retrigger_and_storm_state(void **state)
{
	struct ctx *c = *state;
	struct sc_ioapic_config cfg = { .eoi_storm_limit = 3 };
	struct ctx *d = ctx_new(&cfg);
	struct sc_ioapic_state_v1 s;

	set_entry(&c->io, 21, 0x91 | LEVEL);
	sc_ioapic_set_irq(&c->io, 21, true);
	for (unsigned i = 0; i < 4; i++)
		sc_ioapic_eoi(&c->io, 0x91);
	assert_true(sc_ioapic_retrigger_pending(&c->io, 21));
	sc_ioapic_save(&c->io, &s);
	assert_int_equal(sc_ioapic_restore(&d->io, &s), 0);
	assert_true(sc_ioapic_retrigger_pending(&d->io, 21));
	assert_int_equal(sc_ioapic_retrigger(&d->io), 1);
	assert_int_equal(d->nmsgs, 1);
	free(d);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_config),
		cmocka_unit_test(test_ioregsel_reaches_entries_0_to_119),
		T(test_reg_ver_ich_default, setup_default),
		T(test_reg_ver_82093aa_and_pin_count, setup_v11),
		T(test_reg_id_writable_bits_82093aa, setup_v11),
		T(test_reg_id_scratchpad_ich, setup_default),
		cmocka_unit_test(test_reg_id_from_config),
		T(test_reg_arb_readonly_loaded_by_id_write, setup_default),
		T(test_reset_masks_every_entry, setup_default),
		T(test_redir_readonly_and_reserved_bits, setup_default),
		T(test_ioregsel_is_8_bits, setup_default),
		T(test_iowin_byte_and_word_access, setup_default),
		T(test_undefined_indices_read_all_ones, setup_default),
		T(test_hostile_offsets_and_sizes, setup_default),
		T(test_hostile_offsets_and_sizes, setup_v11),
		T(test_edge_rising_edge_sends_one_message, setup_default),
		T(test_edge_on_masked_pin_is_lost, setup_default),
		T(test_edge_active_low_polarity, setup_default),
		T(test_delivery_mode_encoding, setup_default),
		T(test_level_message_has_trigger_and_assert_bits, setup_default),
		T(test_nmi_init_extint_smi_always_edge, setup_default),
		T(test_reserved_delivery_mode_sends_nothing, setup_default),
		T(test_destination_modes, setup_default),
		T(test_ext_dest_id_in_address_bits_11_5, setup_ext),
		T(test_level_sets_remote_irr_and_coalesces, setup_default),
		T(test_eoi_clears_remote_irr_no_redelivery_when_low, setup_default),
		T(test_eoi_redelivers_while_asserted, setup_default),
		T(test_eoi_other_vector_has_no_effect, setup_default),
		T(test_eoi_clears_every_pin_with_the_vector, setup_default),
		T(test_eoi_register_ich, setup_default),
		T(test_no_eoi_register_on_82093aa, setup_v11),
		T(test_unmask_pending_level_delivers, setup_default),
		T(test_level_active_low, setup_default),
		T(test_mask_after_delivery_keeps_remote_irr, setup_default),
		T(test_switch_to_edge_clears_remote_irr, setup_default),
		T(test_reprogram_vector_while_remote_irr_eoi_old_vector, setup_default),
		T(test_reprogram_vector_while_remote_irr_eoi_new_vector, setup_default),
		T(test_eoi_hook_can_lower_line_before_resample, setup_default),
		T(test_eoi_hook_changing_other_pin, setup_default),
		T(test_eoi_storm_guard_defers_redelivery, setup_storm3),
		T(test_eoi_storm_count_resets_when_line_low, setup_storm3),
		T(test_retrigger_skips_pins_no_longer_asserted, setup_storm3),
		T(test_default_storm_limit_is_10000, setup_default),
		T(test_synchronous_eoi_from_sink_is_bounded, setup_default),
		T(test_route_callback_on_every_write, setup_default),
		T(test_route_query_bad_pin, setup_default),
		T(test_multiple_instances_are_independent, setup_default),
		T(test_trace_and_null_hooks, setup_default),
		T(test_save_restore_round_trip, setup_default),
		T(test_restore_rejects_corrupt_state, setup_default),
		T(test_restore_keeps_retrigger_and_storm_state, setup_storm3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
