/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the whole board: a hostile guest driving every
 * chip at once through ports and MMIO, with device lines, EOIs, INTA
 * cycles and time steps interleaved.  Checks: no crash, no UB, no hang
 * (bounded work per input), messages stay in the MSI window, and the
 * router's wired-OR matches what was driven.
 */
#include <splitchip/board.h>

#include <stdlib.h>
#include <string.h>

struct fz {
	struct sc_fake_clock clk;
	struct sc_board b;
	uint64_t msis;
	uint32_t driven[SC_BOARD_MAX_GSIS];   /* model of set_gsi() */
};

static void on_msi(void *o, const struct sc_msi *m)
{
	struct fz *f = o;
	if ((m->address & 0xfff00000u) != SC_MSI_ADDR_BASE)
		__builtin_trap();
	/* A board cannot produce an unbounded burst from one input. */
	if (++f->msis > 2000000)
		__builtin_trap();
}

static uint64_t wall(void *o)
{
	(void)o;
	return 1600000000ull * SC_NSEC_PER_SEC;
}

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct cursor *c, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && c->n; i++, c->n--, c->p++)
		v |= (uint64_t)*c->p << (8 * i);
	return v;
}

static const uint16_t ports[] = {
	0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61,
	0x70, 0x71, 0x72, 0x73, 0x80, 0x3f8,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz *f;   /* reused buffer: the board is re-initialised */
	if (!f)
		f = malloc(sizeof(*f));
	memset(f, 0, sizeof(*f));
	struct cursor c = { data, size };
	sc_fake_clock_init(&f->clk, 0);
	struct sc_board_config cfg = {
		.wall_ns = wall,
		.ioapics = 1 + (unsigned)(take(&c, 1) % 2),
		.eoi_ack = true,
		.pit_policy = (enum sc_tick_policy)(take(&c, 1) % 4),
		.rtc_policy = (enum sc_tick_policy)(take(&c, 1) % 4),
		.hpet_policy = (enum sc_tick_policy)(take(&c, 1) % 4),
	};
	struct sc_board_ops ops = { .msi = on_msi, .opaque = f };
	if (sc_board_init(&f->b, &f->clk.clock, &cfg, &ops, NULL))
		__builtin_trap();
	unsigned steps = 0;
	while (c.n && steps++ < 4096) {
		unsigned op = (unsigned)take(&c, 1);
		switch (op % 12) {
		case 0: {   /* port write */
			uint16_t port = ports[take(&c, 1) % (sizeof(ports) / sizeof(ports[0]))];
			unsigned sz = 1u << (take(&c, 1) % 3);
			sc_board_pio_write(&f->b, port, sz, (uint32_t)take(&c, 4));
			break;
		}
		case 1: {   /* port read */
			uint16_t port = ports[take(&c, 1) % (sizeof(ports) / sizeof(ports[0]))];
			uint32_t v;
			sc_board_pio_read(&f->b, port, 1u << (take(&c, 1) % 3), &v);
			break;
		}
		case 2: {   /* IOAPIC MMIO */
			uint64_t a = SC_BOARD_IOAPIC_BASE + (take(&c, 2) % 0x2100);
			unsigned sz = 1u << (take(&c, 1) % 4);
			if (take(&c, 1) & 1) {
				uint64_t v;
				sc_board_mmio_read(&f->b, a, sz, &v);
			} else {
				sc_board_mmio_write(&f->b, a, sz, take(&c, 4));
			}
			break;
		}
		case 3: {   /* IOAPIC redirection entry, the likely target */
			uint64_t a = SC_BOARD_IOAPIC_BASE + (take(&c, 1) & 1) * SC_BOARD_IOAPIC_STRIDE;
			sc_board_mmio_write(&f->b, a, 4, 0x10 + take(&c, 1) % 48);
			sc_board_mmio_write(&f->b, a + 0x10, 4, (uint32_t)take(&c, 4));
			break;
		}
		case 4: {   /* HPET MMIO */
			uint64_t a = SC_BOARD_HPET_BASE + (take(&c, 2) % 0x420);
			unsigned sz = 1u << (take(&c, 1) % 4);
			if (take(&c, 1) & 1) {
				uint64_t v;
				sc_board_mmio_read(&f->b, a, sz, &v);
			} else {
				sc_board_mmio_write(&f->b, a, sz, take(&c, 8));
			}
			break;
		}
		case 5: {   /* a device line */
			unsigned gsi = (unsigned)take(&c, 1) % 50;
			unsigned src = SC_SRC_USER + (unsigned)take(&c, 1) % 3;
			bool level = take(&c, 1) & 1;
			if (sc_board_set_gsi(&f->b, gsi, src, level) == 0) {
				if (level)
					f->driven[gsi] |= 1u << src;
				else
					f->driven[gsi] &= ~(1u << src);
			}
			if (gsi < f->b.nr_gsis &&
			    (f->b.gsi_src[gsi] & 0xffffff00u) != f->driven[gsi])
				__builtin_trap();
			break;
		}
		case 6:
			sc_board_set_isa_irq(&f->b, (unsigned)take(&c, 1) % 17, SC_SRC_TESTDEV,
					     take(&c, 1) & 1);
			break;
		case 7:
			sc_board_eoi(&f->b, (uint8_t)take(&c, 1));
			break;
		case 8:
			if (sc_board_pic_intr(&f->b)) {
				int v = sc_board_pic_inta(&f->b);
				if (v < 0 || v > 255)
					__builtin_trap();
			}
			break;
		case 9:   /* up to ~65 ms of virtual time */
			sc_fake_clock_advance(&f->clk, take(&c, 2) * 1000);
			break;
		case 10:  /* host stall */
			sc_fake_clock_stall(&f->clk, take(&c, 2) * 1000);
			sc_fake_clock_run_due(&f->clk);
			break;
		case 11:
			if ((take(&c, 1) & 15) == 0) {
				sc_board_reset(&f->b);   /* releases every line */
				memset(f->driven, 0, sizeof(f->driven));
			}
			break;
		}
	}
	sc_board_destroy(&f->b);
	return 0;
}
