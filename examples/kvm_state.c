/* SPDX-License-Identifier: MIT */
/*
 * libsplitchip-kvm in a few lines: a PIT programmed as Linux does (mode 2,
 * HZ 1000) is handed to KVM's in-kernel PIT format and taken back, as a
 * VMM switching irqchip mode would (docs/API.md).  Prints the counter
 * before and after; exits 1 if they differ.
 */
#include <splitchip/kvm.h>
#include <splitchip/pit.h>

#include <linux/kvm.h>

#include <stdio.h>

int main(void)
{
	struct sc_fake_clock fc, fc2;
	struct sc_pit pit, pit2;
	struct sc_pit_state_v1 s, back;
	struct kvm_pit_state2 k;

	sc_fake_clock_init(&fc, 1000000000ull);
	sc_pit_init(&pit, &fc.clock, NULL, NULL);
	sc_pit_ioport_write(&pit, PIT_PORT_CONTROL, 0x34);      /* counter 0, mode 2 */
	sc_pit_ioport_write(&pit, PIT_PORT_COUNTER0, 1193 & 0xff);
	sc_pit_ioport_write(&pit, PIT_PORT_COUNTER0, 1193 >> 8);
	sc_fake_clock_advance(&fc, 12345678);

	/* The VM is stopped: one instant on both clocks. */
	struct sc_kvm_timebase t = { fc.now, (int64_t)fc.now + 5000000000ll };
	sc_pit_save(&pit, &s);
	if (sc_kvm_pit_to_kvm(&s, &t, false, &k))      /* -> KVM_SET_PIT2 */
		return 1;
	if (sc_kvm_pit_from_kvm(&k, &t, SC_TICK_DELAY, &back, NULL))
		return 1;
	sc_fake_clock_init(&fc2, fc.now);
	sc_pit_init(&pit2, &fc2.clock, NULL, NULL);
	if (sc_pit_restore(&pit2, &back))
		return 1;

	sc_pit_ioport_write(&pit, PIT_PORT_CONTROL, 0x00);
	sc_pit_ioport_write(&pit2, PIT_PORT_CONTROL, 0x00);
	unsigned a = sc_pit_ioport_read(&pit, PIT_PORT_COUNTER0);
	a |= (unsigned)sc_pit_ioport_read(&pit, PIT_PORT_COUNTER0) << 8;
	unsigned b = sc_pit_ioport_read(&pit2, PIT_PORT_COUNTER0);
	b |= (unsigned)sc_pit_ioport_read(&pit2, PIT_PORT_COUNTER0) << 8;
	printf("count %u, KVM count %u mode %u, after the round trip %u\n",
	       a, (unsigned)k.channels[0].count, (unsigned)k.channels[0].mode, b);
	return a == b ? 0 : 1;
}
