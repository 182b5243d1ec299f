/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the MC146818A RTC: the input is a sequence of guest
 * port accesses, clock advances, host stalls, wall-clock steps, policy
 * changes, VMM CMOS writes and save/restore round trips, against a chip on
 * the fake clock.  Invariants are checked with __builtin_trap().
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <splitchip/rtc.h>

struct harness {
	struct sc_fake_clock fc;
	struct sc_rtc rtc;
	uint64_t wall_base;
	int64_t wall_jump;
	bool line;
};

static uint64_t fuzz_wall(void *opaque)
{
	struct harness *h = opaque;
	return (uint64_t)((int64_t)(h->wall_base + h->fc.now) + h->wall_jump);
}

static void fuzz_line(void *opaque, bool level)
{
	struct harness *h = opaque;
	h->line = level;
}

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static void check_state(struct harness *h)
{
	struct sc_rtc_state_v1 s;
	/* The line mirrors the chip's own view of IRQ#. */
	check(h->line == h->rtc.irq_level);
	/* Whatever the guest did, the chip's own state is valid. */
	sc_rtc_save(&h->rtc, &s);
	check(sc_rtc_validate(&s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h;
	size_t i = 0;

	if (size < 3)
		return 0;
	memset(&h, 0, sizeof(h));
	uint64_t vstart = (uint64_t)data[0] << 24;
	sc_fake_clock_init(&h.fc, vstart);
	/* Wall clock anywhere from 1970 to ~2500, any sub-second phase. */
	h.wall_base = ((uint64_t)data[1] << 27) * 1000000000ull / 8 +
		      (uint64_t)data[2] * 3906251ull - vstart;
	struct sc_rtc_config cfg = {
		.wall_ns = fuzz_wall, .wall_opaque = &h, .bank2 = data[0] & 1,
		.offset_s = (int64_t)(int8_t)data[1] * 3600,
		.policy = (enum sc_tick_policy)(data[2] & 3),
	};
	struct sc_line line = { fuzz_line, &h };
	check(sc_rtc_init(&h.rtc, &h.fc.clock, &cfg, &line, NULL) == 0);
	i = 3;

	unsigned big_stalls = 0;
	uint64_t run_budget = 30ull * 1000000000ull;   /* virtual ns run per input */
	while (i + 2 < size) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
		i += 3;
		switch (op % 10) {
		case 0:
		case 1: {       /* guest write to 0x70..0x73 (or elsewhere) */
			uint16_t port = (op & 0x80) ? (uint16_t)(0x60 + (op >> 3)) :
						      (uint16_t)(0x70 + (a & 3));
			sc_rtc_ioport_write(&h.rtc, port, b);
			break;
		}
		case 2:
		case 3: {       /* select and read a register */
			sc_rtc_ioport_write(&h.rtc, 0x70, a);
			uint8_t idx = a & 0x7f;
			bool upd = (h.rtc.cmos[RTC_REG_A] & RTC_REG_A_DV_MASK) ==
				   RTC_REG_A_DV_32K &&
				   !(h.rtc.cmos[RTC_REG_B] & RTC_REG_B_SET);
			uint8_t v = sc_rtc_ioport_read(&h.rtc, 0x71);
			if (idx == RTC_REG_D)
				check(v == RTC_REG_D_VRT);
			if (idx == RTC_REG_C)
				check((v & 0x0f) == 0);
			if (idx == RTC_REG_A && !upd)
				check(!(v & RTC_REG_A_UIP));
			if (b & 1)
				(void)sc_rtc_ioport_read(&h.rtc, (uint16_t)(0x70 + (b >> 6)));
			break;
		}
		case 4: {       /* run the VM: up to ~65 ms */
			uint64_t d = ((uint64_t)a << 8 | b) * 1000;
			if (d <= run_budget) {
				run_budget -= d;
				sc_fake_clock_advance(&h.fc, d);
			}
			break;
		}
		case 5:         /* run the VM: up to ~1.3 s in 5 ms steps */
			for (unsigned k = 0; k < a && run_budget >= 5000000; k++) {
				run_budget -= 5000000;
				sc_fake_clock_advance(&h.fc, 5000000);
			}
			break;
		case 6:         /* host stall: seconds to days */
			if (big_stalls++ < 8)
				sc_fake_clock_stall(&h.fc, (uint64_t)a * a * b * 1000000ull);
			else
				sc_fake_clock_stall(&h.fc, (uint64_t)b * 1000000ull);
			sc_fake_clock_run_due(&h.fc);
			break;
		case 7:         /* wall clock step */
			h.wall_jump += (int64_t)(int8_t)a * 1000000000ll + (int64_t)b * 7;
			break;
		case 8:         /* host: policy, CMOS byte, affinity */
			if (a & 0x80)
				check(sc_rtc_set_policy(&h.rtc, (enum sc_tick_policy)(b & 3)) == 0);
			else if (a & 0x40)
				sc_rtc_set_affinity(&h.rtc, (int)(b & 7) - 1);
			else
				(void)sc_rtc_cmos_set(&h.rtc, (unsigned)b << (a & 1), a);
			break;
		case 9: {       /* save / restore round trip */
			struct sc_rtc_state_v1 s, s2;
			sc_rtc_save(&h.rtc, &s);
			check(sc_rtc_validate(&s) == 0);
			if (a & 1) {
				/* Corrupt one byte: restore either rejects it
				 * or the state it accepts validates. */
				((uint8_t *)&s)[((unsigned)a << 8 | b) % sizeof(s)] ^=
					(uint8_t)(b | 1);
				if (sc_rtc_validate(&s) == 0 &&
				    s.bank2_enabled == h.rtc.bank2_enabled) {
					check(sc_rtc_restore(&h.rtc, &s) == 0);
				} else {
					check(sc_rtc_restore(&h.rtc, &s) == -EINVAL);
				}
			} else {
				check(sc_rtc_restore(&h.rtc, &s) == 0);
				sc_rtc_save(&h.rtc, &s2);
				check(memcmp(&s, &s2, sizeof(s)) == 0);
			}
			break;
		}
		}
		check_state(&h);
	}
	/* Leave no timer of this run on the (static) clock. */
	sc_rtc_destroy(&h.rtc);
	return 0;
}
