/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the i8254 PIT: the input is a sequence of
 * operations (port reads/writes on 0x40-0x43, 0x61 and stray ports, gate
 * changes, bounded clock advances and host stalls, tick acks, policy and
 * affinity changes, save/validate/restore round trips, resets) against one
 * chip on a fake clock.  Invariants are checked with __builtin_trap().
 */
#include <splitchip/pit.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct wire {
	bool level;
	uint64_t rises;
};

static void wire_set(void *opaque, bool level)
{
	struct wire *w = opaque;
	/* The PIT drives the wire only on changes. */
	if (w->level == level)
		__builtin_trap();
	w->rises += level;
	w->level = level;
}

static const uint16_t ports[] = {
	PIT_PORT_COUNTER0, PIT_PORT_COUNTER1, PIT_PORT_COUNTER2, PIT_PORT_CONTROL,
	PIT_PORT_B, 0x44, 0x60, 0x3f,
};

static void check(struct sc_pit *pit, const struct wire *w)
{
	struct sc_pit_state_v1 s;

	if (w->level != pit->out0_level)
		__builtin_trap();
	for (unsigned c = 0; c < SC_PIT_CHANNELS; c++) {
		const struct sc_pit_channel *ch = &pit->ch[c];
		if (ch->mode > 7 || ch->rw < 1 || ch->rw > 3 || ch->n < 1 ||
		    ch->n > 65536 || ch->phase >= ch->n)
			__builtin_trap();
	}
	unsigned m0 = pit->ch[0].mode > 5 ? pit->ch[0].mode - 4u : pit->ch[0].mode;
	/* The periodic tick runs only in modes 2 and 3. */
	if (pit->tick.running && m0 != 2 && m0 != 3)
		__builtin_trap();
	/* The wire rests low except after a mode 0 terminal count. */
	if (pit->out0_level && m0 != 0)
		__builtin_trap();
	if (!pit->ch[0].gate || pit->ch[2].gate != (pit->port61 & PORT61_GATE2))
		__builtin_trap();
	sc_pit_save(pit, &s);
	if (sc_pit_validate(&s))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_fake_clock fc;
	struct sc_pit pit;
	struct wire w = { 0 };
	struct sc_line line = { .set = wire_set, .opaque = &w };
	size_t i = 0;

	sc_fake_clock_init(&fc, 1000000000ull);
	sc_pit_init(&pit, &fc.clock, &line, NULL);

	while (i + 2 < size) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
		i += 3;
		switch (op % 12) {
		case 0:
		case 1:
		case 2:
			sc_pit_ioport_write(&pit, ports[a % 8], b);
			break;
		case 3:
		case 4:
			(void)sc_pit_ioport_read(&pit, ports[a % 8]);
			break;
		case 5:
			/* Up to ~4.2 ms per step: bounded tick work. */
			sc_fake_clock_advance(&fc, (uint64_t)(a << 8 | b) * 64);
			break;
		case 6: {
			int r = sc_pit_set_gate(&pit, a % 4, b & 1);
			if ((r == 0) != (a % 4 == 1 || a % 4 == 2))
				__builtin_trap();
			break;
		}
		case 7:
			sc_tick_ack(sc_pit_tick(&pit));
			break;
		case 8:
			sc_pit_set_policy(&pit, (enum sc_tick_policy)(a % 5));
			sc_pit_set_affinity(&pit, (int)(b % 4) - 1);
			break;
		case 9: {
			struct sc_pit_state_v1 s, s2;
			sc_pit_save(&pit, &s);
			if (sc_pit_restore(&pit, &s))
				__builtin_trap();
			sc_pit_save(&pit, &s2);
			if (memcmp(&s, &s2, sizeof(s)))
				__builtin_trap();
			/* A corrupted copy is refused. */
			((uint8_t *)&s)[a % sizeof(s)] ^= (uint8_t)(b | 1);
			if (sc_pit_validate(&s) == 0) {
				if (sc_pit_restore(&pit, &s))
					__builtin_trap();
				w.level = pit.out0_level;  /* taken over, not driven */
			}
			break;
		}
		case 10:
			sc_fake_clock_stall(&fc, (uint64_t)(a << 8 | b) * 256);
			if (a & 1)
				sc_fake_clock_run_due(&fc);
			break;
		default:
			if (a == 0xff)
				sc_pit_reset(&pit);
			else
				(void)sc_pit_get_out(&pit, a % 4);
			break;
		}
		check(&pit, &w);
	}
	/* Nothing may stay armed on the stack clock. */
	sc_pit_reset(&pit);
	if (pit.timer.armed || pit.tick.timer.armed)
		__builtin_trap();
	return 0;
}
