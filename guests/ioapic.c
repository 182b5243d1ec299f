/* SPDX-License-Identifier: MIT */
/*
 * ioapic: the I/O APIC redirection table as the guest sees it.
 * References: Intel 82093AA I/O APIC datasheet (3.2.4 redirection table:
 * delivery status, remote IRR, trigger mode, mask), ICH/PCH datasheets for
 * the version 0x20 EOI register at offset 0x40, Intel SDM vol. 3 11.8.4
 * (IRR coalescing), 11.8.5 (TMR and EOI broadcast), 11.6.2 (logical flat).
 * IRQ lines are driven with pc-testdev (0x2000 + n), PIC fully masked.
 */
#include "runtime.h"

const char guest_name[] = "ioapic";

#define PIN_EDGE 5
#define PIN_LEVEL 10
#define PIN_MASK 11
#define PIN_NMI 7

static volatile unsigned count;
static volatile bool tmr_at[4], rirr_at[4];
static volatile unsigned lower_after;
static volatile unsigned cur_pin;
static volatile bool reprogram;
static volatile uint32_t rte_after_reprogram;

static void record(unsigned vec)
{
	unsigned n = count;
	if (n < 4) {
		tmr_at[n] = lapic_vec_bit(LAPIC_TMR0, vec);
		rirr_at[n] = (ioapic_read(IOAPIC_REDTBL(cur_pin)) & RTE_REMOTE_IRR) != 0;
	}
	count = n + 1;
}

static void edge_handler(struct frame *f)
{
	record(f->vector);
	lapic_eoi();
}

static void level_handler(struct frame *f)
{
	record(f->vector);
	if (count >= lower_after)
		testdev_irq(cur_pin, 0);
	if (reprogram) {
		/* move the entry to another vector while remote IRR is set */
		ioapic_write(IOAPIC_REDTBL(cur_pin), 0x53 | RTE_LEVEL);
		rte_after_reprogram = ioapic_read(IOAPIC_REDTBL(cur_pin));
	}
	lapic_eoi();
}

static volatile uint32_t nmi_count;
static void nmi_handler(struct frame *f)
{
	(void)f;
	nmi_count++;
}

static uint64_t rte(uint8_t vec, uint32_t flags, uint8_t dest)
{
	return ((uint64_t)dest << 56) | flags | vec;
}

static void window(uint32_t want_total, unsigned vec, uint32_t us)
{
	sti();
	WAIT_US(vec_total(vec) >= want_total, us);
	delay_us(1000);
	cli();
}

int guest_main(void)
{
	cli();
	pic_init(0x20, 0x28, false);                        /* all masked */
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED | LVT_DM_EXTINT);
	ioapic_mask_all();
	for (unsigned i = 3; i < 12; i++)
		if (i != 4 && i != 6 && i != 8 && i != 9)
			testdev_irq(i, 0);
	uint8_t bsp = (uint8_t)lapic_id();

	uint32_t ver = ioapic_read(IOAPIC_REG_VER);
	unsigned version = ver & 0xFF, pins = ((ver >> 16) & 0xFF) + 1;
	value("version", "%x", version);
	value("pins", "%u", pins);
	check(version == 0x11 || version == 0x20, "version", "%x", version);
	check(pins >= 24, "redirection_entries", "%u", pins);

	/* IOAPIC ID register bits 27:24 are read/write (82093AA 3.2.1) */
	uint32_t id0 = ioapic_read(IOAPIC_REG_ID);
	ioapic_write(IOAPIC_REG_ID, 0x0A000000);
	uint32_t id1 = ioapic_read(IOAPIC_REG_ID);
	ioapic_write(IOAPIC_REG_ID, id0);
	check(((id1 >> 24) & 0xF) == 0xA, "id_register_rw", "wrote 0a000000 read %x", id1);

	/* redirection entry read/write of the R/W fields */
	ioapic_rte_write(PIN_EDGE, rte(0x40, RTE_MASKED | RTE_DEST_LOGICAL, 0x5A));
	uint64_t e = ioapic_rte_read(PIN_EDGE);
	check((uint32_t)e == (0x40 | RTE_MASKED | RTE_DEST_LOGICAL) && (e >> 56) == 0x5A,
	      "rte_readback", "%x:%08x", (uint32_t)(e >> 32), (uint32_t)e);

	unsigned ncpu = fwcfg_cpu_count();
	unsigned online = smp_start(ncpu ? ncpu : 1, 2000);
	for (unsigned i = 0; i < online; i++)
		smp_call(i, lapic_set_flat_logical_id, NULL, 1000);

	/* edge, physical destination BSP */
	set_handler(0x40, edge_handler);
	cur_pin = PIN_EDGE;
	count = 0;
	ioapic_rte_write(PIN_EDGE, rte(0x40, 0, bsp));
	testdev_irq(PIN_EDGE, 1);
	window(1, 0x40, 200000);
	testdev_irq(PIN_EDGE, 0);
	testdev_irq(PIN_EDGE, 1);
	window(2, 0x40, 200000);
	testdev_irq(PIN_EDGE, 0);
	check(count == 2, "edge_delivery", "%u interrupts for 2 edges", count);
	check(!tmr_at[0] && !tmr_at[1], "edge_tmr_clear", "TMR bit %u", tmr_at[0]);

	/* edge coalescing in the LAPIC IRR while IF=0 */
	count = 0;
	for (int i = 0; i < 3; i++) {
		testdev_irq(PIN_EDGE, 1);
		testdev_irq(PIN_EDGE, 0);
	}
	bool irr = lapic_vec_bit(LAPIC_IRR0, 0x40);
	window(1, 0x40, 200000);
	check(irr && count == 1, "edge_coalesced", "irr=%u, %u interrupts for 3 edges", irr, count);

	/* TPR (SDM 11.8.3.1): a vector whose priority class (vector >> 4) is not
	 * above TPR[7:4] stays in IRR until TPR drops */
	count = 0;
	lapic_write(LAPIC_TPR, 0x40);
	testdev_irq(PIN_EDGE, 1);
	testdev_irq(PIN_EDGE, 0);
	sti();
	delay_us(3000);
	cli();
	unsigned tpr_blocked = count;
	bool tpr_irr = lapic_vec_bit(LAPIC_IRR0, 0x40);
	lapic_write(LAPIC_TPR, 0x30);
	window(vec_total(0x40) + 1, 0x40, 200000);
	lapic_write(LAPIC_TPR, 0);
	check(tpr_blocked == 0 && tpr_irr && count == 1, "tpr_masks_priority_class",
	      "%u delivered with TPR=0x40 (IRR %u), %u after TPR=0x30", tpr_blocked, tpr_irr, count);

	/* edge on a masked entry is ignored (82093AA: masked edge interrupts are lost) */
	count = 0;
	ioapic_rte_write(PIN_EDGE, rte(0x40, RTE_MASKED, bsp));
	testdev_irq(PIN_EDGE, 1);
	testdev_irq(PIN_EDGE, 0);
	ioapic_rte_write(PIN_EDGE, rte(0x40, 0, bsp));
	window(1, 0x40, 5000);
	check(count == 0, "masked_edge_lost", "%u interrupts", count);
	ioapic_rte_write(PIN_EDGE, rte(0x40, RTE_MASKED, bsp));

	/* level: remote IRR, TMR, retrigger on EOI while asserted */
	set_handler(0x50, level_handler);
	cur_pin = PIN_LEVEL;
	count = 0;
	lower_after = 2;
	ioapic_rte_write(PIN_LEVEL, rte(0x50, RTE_LEVEL, bsp));
	testdev_irq(PIN_LEVEL, 1);
	window(2, 0x50, 200000);
	uint32_t lo = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
	check(count == 2, "level_retrigger_on_eoi", "%u interrupts (EOI once with line high)", count);
	check(rirr_at[0] && rirr_at[1], "level_remote_irr_set", "remote IRR in handler %u,%u",
	      rirr_at[0], rirr_at[1]);
	check(tmr_at[0], "level_tmr_set", "TMR bit %u", tmr_at[0]);
	check(!(lo & RTE_REMOTE_IRR), "remote_irr_cleared_by_eoi", "rte %x", lo);
	ioapic_rte_write(PIN_LEVEL, rte(0x50, RTE_MASKED | RTE_LEVEL, bsp));

	/* pending level line on a masked entry is delivered on unmask */
	set_handler(0x51, level_handler);
	cur_pin = PIN_MASK;
	count = 0;
	lower_after = 1;
	ioapic_rte_write(PIN_MASK, rte(0x51, RTE_LEVEL | RTE_MASKED, bsp));
	testdev_irq(PIN_MASK, 1);
	window(1, 0x51, 3000);
	unsigned masked_count = count;
	lo = ioapic_read(IOAPIC_REDTBL(PIN_MASK));
	ioapic_write(IOAPIC_REDTBL(PIN_MASK), 0x51 | RTE_LEVEL);
	window(1, 0x51, 200000);
	check(masked_count == 0 && !(lo & RTE_REMOTE_IRR), "masked_level_held",
	      "%u interrupts while masked, rte %x", masked_count, lo);
	check(count == 1, "unmask_delivers_pending_level", "%u interrupts after unmask", count);
	testdev_irq(PIN_MASK, 0);
	ioapic_rte_write(PIN_MASK, rte(0x51, RTE_MASKED | RTE_LEVEL, bsp));

	/* reprogram an entry while remote IRR is set: remote IRR is read-only and
	 * only an EOI carrying the entry's current vector clears it */
	set_handler(0x52, level_handler);
	cur_pin = PIN_LEVEL;
	count = 0;
	lower_after = 1;
	reprogram = true;
	ioapic_rte_write(PIN_LEVEL, rte(0x52, RTE_LEVEL, bsp));
	testdev_irq(PIN_LEVEL, 1);
	window(1, 0x52, 200000);
	reprogram = false;
	lo = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
	check(count == 1 && (rte_after_reprogram & RTE_REMOTE_IRR) && (rte_after_reprogram & 0xFF) == 0x53,
	      "reprogram_keeps_remote_irr", "rte after write %x", rte_after_reprogram);
	value("remote_irr_after_eoi_of_old_vector", "%u", (lo & RTE_REMOTE_IRR) ? 1 : 0);
	check(lo & RTE_REMOTE_IRR, "eoi_old_vector_no_clear", "rte %x", lo);
	if (version >= 0x20) {
		mmio_write32(IOAPIC_BASE + IOAPIC_EOIR, 0x53);
		lo = ioapic_read(IOAPIC_REDTBL(PIN_LEVEL));
		check(!(lo & RTE_REMOTE_IRR), "eoi_register", "rte after EOIR(0x53) %x", lo);
	} else {
		skip("eoi_register", "version %x has no EOI register", version);
		/* 82093AA: switching to edge and back is what Linux uses instead */
		ioapic_write(IOAPIC_REDTBL(PIN_LEVEL), 0x53 | RTE_MASKED);
	}
	ioapic_rte_write(PIN_LEVEL, rte(0x53, RTE_MASKED | RTE_LEVEL, bsp));

	/* NMI delivery mode */
	set_handler(2, nmi_handler);
	nmi_count = 0;
	ioapic_rte_write(PIN_NMI, rte(0, RTE_DM_NMI, bsp));
	testdev_irq(PIN_NMI, 1);
	testdev_irq(PIN_NMI, 0);
	WAIT_US(nmi_count > 0, 200000);
	delay_us(1000);
	check(nmi_count == 1, "nmi_delivery_mode", "%u NMIs", nmi_count);
	ioapic_rte_write(PIN_NMI, rte(0, RTE_MASKED, bsp));

	/* logical flat destination to the BSP */
	vec_clear(0x42);
	ioapic_rte_write(PIN_EDGE, rte(0x42, RTE_DEST_LOGICAL, 0x01));
	testdev_irq(PIN_EDGE, 1);
	testdev_irq(PIN_EDGE, 0);
	window(1, 0x42, 200000);
	check(vec_count[0][0x42] == 1, "logical_dest_bsp", "cpu0 got %u", vec_count[0][0x42]);

	if (online >= 2) {
		/* physical destination: the second CPU */
		vec_clear(0x43);
		ioapic_rte_write(PIN_EDGE, rte(0x43, 0, (uint8_t)cpu_apic_id[1]));
		testdev_irq(PIN_EDGE, 1);
		testdev_irq(PIN_EDGE, 0);
		WAIT_US(vec_total(0x43) > 0, 200000);
		delay_us(1000);
		check(vec_count[1][0x43] == 1 && vec_count[0][0x43] == 0, "physical_dest_ap",
		      "cpu1 %u cpu0 %u", vec_count[1][0x43], vec_count[0][0x43]);
		/* logical flat, two CPUs in the mask: fixed mode delivers to both */
		vec_clear(0x44);
		ioapic_rte_write(PIN_EDGE, rte(0x44, RTE_DEST_LOGICAL, 0x03));
		testdev_irq(PIN_EDGE, 1);
		testdev_irq(PIN_EDGE, 0);
		sti();
		WAIT_US(vec_total(0x44) >= 2, 200000);
		delay_us(1000);
		cli();
		check(vec_count[0][0x44] == 1 && vec_count[1][0x44] == 1, "logical_dest_multi",
		      "cpu0 %u cpu1 %u", vec_count[0][0x44], vec_count[1][0x44]);
	} else {
		skip("physical_dest_ap", "single CPU");
		skip("logical_dest_multi", "single CPU");
	}
	ioapic_mask_all();
	return 0;
}
