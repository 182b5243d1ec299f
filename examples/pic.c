/* SPDX-License-Identifier: MIT */
/* The README's example: an i8259A pair driven by hand.  Built and run by
 * `make check` against the installed library (scripts/install-test.sh). */
#include <splitchip/clock.h>
#include <splitchip/pic.h>

#include <stdio.h>

static void intr(void *opaque, bool level)
{
	(void)opaque;
	printf("INT -> %d\n", level);   /* PIC INT -> LINT0 of the vCPUs */
}

int main(void)
{
	struct sc_fake_clock clk;            /* or struct sc_host_clock in a VMM */
	struct sc_pic pic;
	struct sc_line out = { .set = intr };

	sc_fake_clock_init(&clk, 0);
	sc_pic_init(&pic, &out, NULL);
	sc_pic_ioport_write(&pic, 0x20, 0x11);   /* ICW1: edge, cascade, ICW4 */
	sc_pic_ioport_write(&pic, 0x21, 0x20);   /* ICW2: vectors 0x20-0x27 */
	sc_pic_ioport_write(&pic, 0x21, 0x04);   /* ICW3: slave on IRQ2 */
	sc_pic_ioport_write(&pic, 0x21, 0x01);   /* ICW4: 8086 mode */
	sc_pic_ioport_write(&pic, 0x21, 0x00);   /* OCW1: unmask all */
	sc_pic_set_irq(&pic, 1, true);           /* keyboard line goes high */
	int vector = sc_pic_inta(&pic);          /* the CPU's INTA cycle */
	printf("vector %#x\n", vector);
	return vector == 0x21 ? 0 : 1;
}
