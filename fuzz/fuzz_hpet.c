/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the HPET.  The input is a sequence of operations
 * (MMIO reads/writes of any width and offset, targeted register writes,
 * clock advances and host stalls, board acks, policy changes, save/restore,
 * reset) against a chip on the fake clock.  Invariants, checked after every
 * operation, trap when violated:
 *   - every output call changes the line it drives (no double raise);
 *   - the line levels the board saw equal the chip's own view;
 *   - outputs stay in range (IOAPIC pins < 32, ISA IRQ 0 or 8), MSIs only
 *     from FSB-capable timers, status bits only for existing timers;
 *   - the main counter never goes backwards while it runs;
 *   - with the default interrupt ceiling, a 4 us advance runs at most a
 *     few timer callbacks per timer (no 10 ns period storm);
 *   - save -> validate succeeds, restore of it succeeds and a second save
 *     is identical.
 * Work per input is bounded: small advances are at most 4 us, large jumps
 * are host stalls whose missed ticks the tick engine collapses.
 */
#include <splitchip/hpet.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

struct harness {
	struct sc_fake_clock fc;
	struct sc_hpet h;
	uint32_t pins;
	uint32_t legacy;
	uint32_t fsb_mask;
	unsigned calls;
};

static void cb_irq(void *o, unsigned gsi, bool level)
{
	struct harness *x = o;
	CHECK(gsi < 32);
	CHECK(((x->pins >> gsi) & 1) != level);
	x->pins ^= 1u << gsi;
	x->calls++;
}

static void cb_legacy(void *o, unsigned irq, bool level)
{
	struct harness *x = o;
	CHECK(irq == 0 || irq == 8);
	CHECK(((x->legacy >> irq) & 1) != level);
	x->legacy ^= 1u << irq;
	x->calls++;
}

static void cb_msi(void *o, const struct sc_msi *m)
{
	struct harness *x = o;
	CHECK(x->fsb_mask);
	CHECK(m->address <= UINT32_MAX);
	x->calls++;
}

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

static const unsigned sizes[] = { 4, 8, 4, 8, 1, 2, 3, 0 };

static uint32_t board_levels(const struct sc_hpet *h)
{
	return (h->legacy_level & 1) | ((h->legacy_level & 2) << 7);
}

static void check(struct harness *x, struct sc_hpet_state_v1 *s,
		  struct sc_hpet_state_v1 *s2)
{
	struct sc_hpet *h = &x->h;
	CHECK(x->pins == h->pin_level);
	CHECK(x->legacy == board_levels(h));
	uint64_t sta = sc_hpet_mmio_read(h, HPET_GINTR_STA, 8);
	CHECK(!(sta >> h->timers));
	sc_hpet_save(h, s);
	CHECK(sc_hpet_validate(s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness x;
	static struct sc_hpet_state_v1 s, s2;
	struct input in = { data, size };

	memset(&x, 0, sizeof(x));
	sc_fake_clock_init(&x.fc, take(&in, 2) * 1000);
	struct sc_hpet_config cfg = {
		.timers = 3 + (unsigned)(take(&in, 1) % 30),
		.periodic_mask = (uint32_t)take(&in, 4),
		.size64_mask = (uint32_t)take(&in, 4),
		.fsb_mask = (uint32_t)take(&in, 4),
		.board_ack_mask = (uint32_t)take(&in, 4),
		.route_cap = { [0] = (uint32_t)take(&in, 4), [1] = (uint32_t)take(&in, 4) },
		.policy = (enum sc_tick_policy)(take(&in, 1) % 4),
	};
	/* Fast periods reach more tick-engine paths; the default ceiling
	 * bounds the callbacks (checked below). */
	bool ceiling = take(&in, 1) & 1;
	cfg.min_tick_ns = ceiling ? 0 : SC_HPET_TICK_NS;
	if (cfg.timers < 32)
		cfg.fsb_mask &= (1u << cfg.timers) - 1;
	x.fsb_mask = cfg.fsb_mask;
	struct sc_hpet_irq_ops ops = {
		.set_irq = cb_irq, .set_legacy = cb_legacy, .opaque = &x,
	};
	struct sc_msi_sink msi = { .send = cb_msi, .opaque = &x };
	CHECK(sc_hpet_init(&x.h, &x.fc.clock, &cfg, &ops, &msi, NULL) == 0);
	struct sc_hpet *h = &x.h;

	uint64_t last = 0;
	bool last_valid = false;
	for (unsigned ops_done = 0; in.n && ops_done < 256; ops_done++) {
		uint8_t op = (uint8_t)take(&in, 1);
		unsigned n = (unsigned)take(&in, 1) % h->timers;
		switch (op % 10) {
		case 0: {
			uint64_t off = take(&in, 2) & 0x7ff;
			(void)sc_hpet_mmio_read(h, off, sizes[take(&in, 1) % 8]);
			break;
		}
		case 1: {
			uint64_t off = take(&in, 2) & 0x7ff;
			unsigned sz = sizes[take(&in, 1) % 8];
			sc_hpet_mmio_write(h, off, sz, take(&in, 8));
			last_valid = false;
			break;
		}
		case 2: case 3: {
			/* a register of timer n, 32- or 64-bit */
			static const uint64_t regs[] = { 0x100, 0x108, 0x110, 0x104, 0x10c, 0x114 };
			unsigned r = (unsigned)take(&in, 1) % 6;
			uint64_t off = regs[r] + 0x20u * n;
			sc_hpet_mmio_write(h, off, r >= 3 || (op & 16) ? 4 : 8, take(&in, 8));
			break;
		}
		case 4: {
			/* general registers */
			static const uint64_t regs[] = { HPET_GEN_CONF, HPET_GINTR_STA, HPET_MAIN_CNT, HPET_MAIN_CNT + 4 };
			unsigned r = (unsigned)take(&in, 1) % 4;
			sc_hpet_mmio_write(h, regs[r], r == 3 ? 4 : 8, take(&in, 8));
			if (r != 1)
				last_valid = false;
			break;
		}
		case 5: {
			unsigned fired = x.fc.fired;
			sc_fake_clock_advance(&x.fc, take(&in, 2) % 4096);
			/* < SC_HPET_MIN_TICK_NS: a tick and a one-shot match plus
			 * a 32-bit wrap per timer at most */
			if (ceiling)
				CHECK(x.fc.fired - fired <= 4 * h->timers);
			break;
		}
		case 6:
			/* host stall: up to ~70 s, missed ticks collapse */
			sc_fake_clock_stall(&x.fc, take(&in, 2) * (take(&in, 1) + 1) * 4096);
			sc_fake_clock_run_due(&x.fc);
			break;
		case 7:
			if (op & 0x80)
				(void)sc_hpet_set_policy(h, n, (enum sc_tick_policy)(op >> 4 & 3));
			else
				(void)sc_hpet_ack(h, n);
			break;
		case 8: {
			/* save -> restore into itself is a no-op */
			sc_hpet_save(h, &s);
			CHECK(sc_hpet_validate(&s) == 0);
			CHECK(sc_hpet_restore(h, &s) == 0);
			sc_hpet_save(h, &s2);
			CHECK(!memcmp(&s, &s2, sizeof(s)));
			/* a corrupted copy is refused and changes nothing */
			size_t at = take(&in, 2) % sizeof(s2);
			((uint8_t *)&s2)[at] ^= (uint8_t)(take(&in, 1) | 1);
			if (sc_hpet_restore(h, &s2) != 0) {
				sc_hpet_save(h, &s2);
				CHECK(!memcmp(&s, &s2, sizeof(s)));
			} else {
				/* Accepted (e.g. another valid status bit): the
				 * restore drives nothing, the board restores the
				 * receivers' view of the lines. */
				x.pins = h->pin_level;
				x.legacy = board_levels(h);
			}
			last_valid = false;
			break;
		}
		case 9:
			if (op & 0x80) {
				sc_hpet_reset(h);
				last_valid = false;
			} else {
				(void)sc_hpet_mmio_read(h, HPET_TN_CMP(n), 8);
			}
			break;
		}
		check(&x, &s, &s2);
		if (h->gen_conf & HPET_ENABLE_CNF) {
			uint64_t c = sc_hpet_mmio_read(h, HPET_MAIN_CNT, 8);
			if (last_valid)
				CHECK(c - last < (1ull << 62));
			last = c;
			last_valid = true;
		} else {
			last_valid = false;
		}
	}
	sc_hpet_destroy(h);
	return 0;
}
