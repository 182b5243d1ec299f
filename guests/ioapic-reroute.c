/* SPDX-License-Identifier: MIT */
/*
 * ioapic-reroute: I/O APIC redirection entries rewritten while their
 * interrupt is in flight (delivered, remote IRR set, EOI not yet written).
 * With KVM's split irqchip the EOI-exit bitmap of a vCPU comes from the
 * routes the VMM sets, so a VMM that only mirrors the new entry loses the
 * EOI of an interrupt delivered under the old one: remote IRR never clears
 * and the line is dead (issue 13).  Every wait here is bounded: a dead line
 * is a FAIL, never a hang.
 *
 * Reference behaviour: 82093AA datasheet 3.2.4 (remote IRR set on
 * delivery of a level interrupt, cleared by an EOI whose vector matches
 * the entry's vector field; meaningless for edge entries), the ICH EOI
 * register (version 0x20, offset 0x40), and KVM's in-kernel IOAPIC, which
 * agree on every case below.  Lines are driven with pc-testdev (0x2000+n),
 * the 8259A is masked.  Needs 2 CPUs or more for the moves; "stress_ms="
 * sets the length of the round-robin stress (default 1000 ms).
 */
#include "runtime.h"

const char guest_name[] = "ioapic-reroute";

#define PIN_A 10
#define PIN_B 11
#define PIN_S 5
#define VEC_A 0x64
#define VEC_B 0x84
#define WAIT_SHORT_US 200000

static volatile uint32_t hits[MAX_CPUS][4];   /* per CPU: A, B, S, other */
/* The IOAPIC under test: 0 at 0xFEC00000 (GSI 0-23) or, with --ioapics 2 on
 * splitvm, 1 at 0xFEC01000 (GSI 24-47; pc-testdev lines 24-47 drive it). */
static uint32_t io_base = IOAPIC_BASE;
static unsigned gsi_base;
static char prefix[16];
static volatile bool stop_stress;
static unsigned ncpus;
static uint8_t bsp_id, ap_id;


static uint32_t ioa_read(uint32_t reg)
{
	mmio_write32(io_base + IOAPIC_REGSEL, reg);
	return mmio_read32(io_base + IOAPIC_IOWIN);
}

static void ioa_write(uint32_t reg, uint32_t v)
{
	mmio_write32(io_base + IOAPIC_REGSEL, reg);
	mmio_write32(io_base + IOAPIC_IOWIN, v);
}

static void ioa_rte_write(unsigned pin, uint64_t e)
{
	ioa_write(IOAPIC_REDTBL(pin), (uint32_t)e | RTE_MASKED);
	ioa_write(IOAPIC_REDTBL(pin) + 1, (uint32_t)(e >> 32));
	ioa_write(IOAPIC_REDTBL(pin), (uint32_t)e);
}

static void line(unsigned pin, int level)
{
	testdev_irq(gsi_base + pin, level);
}

/* check() with the IOAPIC's prefix in the name */
#define CHECK(ok, name, ...) ({                                         \
	char _n[64];                                                    \
	snprintf_lite(_n, sizeof(_n), "%s%s", prefix, name);            \
	check(ok, _n, __VA_ARGS__); })
#define SKIP(name, ...) ({                                              \
	char _n[64];                                                    \
	snprintf_lite(_n, sizeof(_n), "%s%s", prefix, name);            \
	skip(_n, __VA_ARGS__); })

static uint64_t rte(uint8_t vec, uint32_t flags, uint8_t dest)
{
	return ((uint64_t)dest << 56) | flags | vec;
}

static bool rirr(unsigned pin)
{
	return (ioa_read(IOAPIC_REDTBL(pin)) & RTE_REMOTE_IRR) != 0;
}

/* Remote IRR of @pin clear within @us? */
static bool rirr_clears(unsigned pin, uint32_t us)
{
	return WAIT_US(!rirr(pin), us);
}

static uint32_t hits_on(unsigned cpu, unsigned slot)
{
	return hits[cpu][slot];
}

static uint32_t hits_total(unsigned slot)
{
	uint32_t n = 0;
	for (unsigned c = 0; c < ncpus; c++)
		n += hits[c][slot];
	return n;
}

static void reset_pins(void)
{
	ioa_rte_write(PIN_A, rte(VEC_A, RTE_MASKED, bsp_id));
	ioa_rte_write(PIN_B, rte(VEC_B, RTE_MASKED, bsp_id));
	ioa_rte_write(PIN_S, rte(0x70, RTE_MASKED, bsp_id));
	line(PIN_A, 0);
	line(PIN_B, 0);
	line(PIN_S, 0);
	memset((void *)hits, 0, sizeof(hits));
}

/* Let interrupts in on the BSP until @cond or @us. */
#define OPEN_WINDOW(cond, us) ({ sti(); bool _r = WAIT_US(cond, us); delay_us(2000); cli(); _r; })

/* ---- 1: the case: both destinations moved inside A's handler ---- */
static void h1_a(struct frame *f)
{
	(void)f;
	hits[this_cpu()][0]++;
	line(PIN_B, 1);                        /* B pends on this CPU (IRR) */
	ioa_write(IOAPIC_REDTBL(PIN_A) + 1, (uint32_t)ap_id << 24);
	ioa_write(IOAPIC_REDTBL(PIN_B) + 1, (uint32_t)ap_id << 24);
	line(PIN_A, 0);
	lapic_eoi();
}

static void h1_b(struct frame *f)
{
	(void)f;
	hits[this_cpu()][1]++;
	line(PIN_B, 0);
	lapic_eoi();
}

static void case_moved_in_handler(void)
{
	reset_pins();
	set_handler(VEC_A, h1_a);
	set_handler(VEC_B, h1_b);
	ioa_rte_write(PIN_A, rte(VEC_A, RTE_LEVEL, bsp_id));
	ioa_rte_write(PIN_B, rte(VEC_B, RTE_LEVEL, bsp_id));
	line(PIN_A, 1);
	OPEN_WINDOW(hits_total(1) >= 1, WAIT_SHORT_US);
	bool ca = rirr_clears(PIN_A, 100000), cb = rirr_clears(PIN_B, 100000);
	CHECK(hits_on(0, 0) == 1 && hits_total(0) == 1, "moved_in_handler_a_once",
	      "A: cpu0 %u, all %u", hits_on(0, 0), hits_total(0));
	CHECK(hits_on(0, 1) == 1 && hits_total(1) == 1, "moved_in_handler_b_once_on_old_cpu",
	      "B: cpu0 %u, all %u", hits_on(0, 1), hits_total(1));
	CHECK(ca && cb, "moved_in_handler_remote_irr_clear", "A %s, B %s",
	      ca ? "clear" : "STUCK", cb ? "clear" : "STUCK");
	/* the lines still work, now on the new CPU */
	line(PIN_B, 1);
	WAIT_US(hits_total(1) >= 2, WAIT_SHORT_US);
	delay_us(2000);
	CHECK(hits_on(1, 1) == 1 && rirr_clears(PIN_B, 100000), "moved_line_works_on_new_cpu",
	      "B on cpu1 %u, remote IRR %u", hits_on(1, 1), rirr(PIN_B));
	reset_pins();
}

/* ---- 2: masked and moved while remote IRR is set, unmasked with the line high ---- */
static volatile int h2_mode;   /* 0: mask and move on the first interrupt */
static void h2(struct frame *f)
{
	(void)f;
	hits[this_cpu()][0]++;
	if (h2_mode == 0 && hits_total(0) == 1) {
		/* mask and move; the EOI still clears remote IRR (the vector matches) */
		ioa_write(IOAPIC_REDTBL(PIN_A), VEC_A | RTE_LEVEL | RTE_MASKED);
		ioa_write(IOAPIC_REDTBL(PIN_A) + 1, (uint32_t)ap_id << 24);
	} else {
		line(PIN_A, 0);
	}
	lapic_eoi();
}

static void case_mask_move_unmask(void)
{
	reset_pins();
	set_handler(VEC_A, h2);
	h2_mode = 0;
	ioa_rte_write(PIN_A, rte(VEC_A, RTE_LEVEL, bsp_id));
	line(PIN_A, 1);
	OPEN_WINDOW(hits_total(0) >= 1, WAIT_SHORT_US);
	bool cleared = rirr_clears(PIN_A, 100000);
	uint32_t while_masked = hits_total(0);      /* masked: the high line waits */
	bool held = while_masked == 1;
	ioa_write(IOAPIC_REDTBL(PIN_A), VEC_A | RTE_LEVEL);   /* unmask, line still high */
	WAIT_US(hits_total(0) >= 2, WAIT_SHORT_US);
	delay_us(2000);
	CHECK(cleared && held, "masked_moved_eoi_clears_remote_irr", "remote IRR %s, %u interrupts while masked",
	      cleared ? "clear" : "STUCK", while_masked);
	CHECK(hits_on(1, 0) == 1 && hits_total(0) == 2 && rirr_clears(PIN_A, 100000),
	      "unmask_delivers_to_new_cpu", "cpu0 %u cpu1 %u, remote IRR %u", hits_on(0, 0),
	      hits_on(1, 0), rirr(PIN_A));
	reset_pins();
}

/* ---- 3: vector changed while remote IRR is set ---- */
static void h3(struct frame *f)
{
	hits[this_cpu()][f->vector == VEC_A ? 0 : 1]++;
	if (f->vector == VEC_A) {
		ioa_write(IOAPIC_REDTBL(PIN_A), (VEC_A + 1) | RTE_LEVEL);
		ioa_write(IOAPIC_REDTBL(PIN_A) + 1, (uint32_t)ap_id << 24);
	}
	line(PIN_A, 0);
	lapic_eoi();
}

static void case_vector_change(unsigned version)
{
	reset_pins();
	set_handler(VEC_A, h3);
	set_handler(VEC_A + 1, h3);
	ioa_rte_write(PIN_A, rte(VEC_A, RTE_LEVEL, bsp_id));
	line(PIN_A, 1);
	OPEN_WINDOW(hits_total(0) >= 1, WAIT_SHORT_US);
	/* the EOI of the old vector does not match the entry: remote IRR stays */
	delay_us(20000);
	bool kept = rirr(PIN_A);
	CHECK(kept && hits_total(0) == 1, "vector_change_keeps_remote_irr",
	      "remote IRR %u after the EOI of the old vector, %u interrupts", kept, hits_total(0));
	if (version >= 0x20) {
		mmio_write32(io_base + IOAPIC_EOIR, VEC_A + 1);
		CHECK(!rirr(PIN_A), "eoi_register_clears_moved_entry", "remote IRR %u after EOIR(0x%x)",
		      rirr(PIN_A), VEC_A + 1);
	} else {
		SKIP("eoi_register_clears_moved_entry", "version %x has no EOI register", version);
		ioa_write(IOAPIC_REDTBL(PIN_A), (VEC_A + 1) | RTE_MASKED);   /* edge */
		ioa_write(IOAPIC_REDTBL(PIN_A), (VEC_A + 1) | RTE_LEVEL);
	}
	CHECK(!rirr(PIN_A), "edge_or_eoir_clears_remote_irr", "remote IRR %u", rirr(PIN_A));
	line(PIN_A, 1);
	WAIT_US(hits_total(1) >= 1, WAIT_SHORT_US);
	delay_us(2000);
	CHECK(hits_on(1, 1) == 1 && rirr_clears(PIN_A, 100000), "new_vector_delivered_on_new_cpu",
	      "vector 0x%x on cpu1 %u, remote IRR %u", VEC_A + 1, hits_on(1, 1), rirr(PIN_A));
	reset_pins();
}

/* ---- 4: level -> edge -> level while remote IRR is set ---- */
static void h4(struct frame *f)
{
	(void)f;
	hits[this_cpu()][0]++;
	if (hits_total(0) == 1)
		ioa_write(IOAPIC_REDTBL(PIN_A), VEC_A);        /* edge: drops remote IRR */
	else
		line(PIN_A, 0);
	lapic_eoi();
}

static void case_trigger_change(void)
{
	reset_pins();
	set_handler(VEC_A, h4);
	ioa_rte_write(PIN_A, rte(VEC_A, RTE_LEVEL, bsp_id));
	line(PIN_A, 1);
	OPEN_WINDOW(hits_total(0) >= 1, WAIT_SHORT_US);
	bool edge_clear = !rirr(PIN_A) && hits_total(0) == 1;
	/* back to level with the line still high: sensed, delivered again */
	ioa_write(IOAPIC_REDTBL(PIN_A), VEC_A | RTE_LEVEL);
	OPEN_WINDOW(hits_total(0) >= 2, WAIT_SHORT_US);
	CHECK(edge_clear, "edge_switch_drops_remote_irr", "remote IRR %u, %u interrupts",
	      rirr(PIN_A), hits_total(0));
	CHECK(hits_total(0) == 2 && rirr_clears(PIN_A, 100000), "back_to_level_redelivers",
	      "%u interrupts, remote IRR %u", hits_total(0), rirr(PIN_A));
	reset_pins();
}

/* ---- 5: delivery mode and destination mode changed while in flight ---- */
static volatile uint32_t h5_flags;
static void h5(struct frame *f)
{
	(void)f;
	hits[this_cpu()][0]++;
	ioa_write(IOAPIC_REDTBL(PIN_A), VEC_A | RTE_LEVEL | h5_flags);
	ioa_write(IOAPIC_REDTBL(PIN_A) + 1, (h5_flags & RTE_DEST_LOGICAL) ? 0x02u << 24 : (uint32_t)ap_id << 24);
	line(PIN_A, 0);
	lapic_eoi();
}

static void case_mode_change(const char *name, uint32_t flags)
{
	reset_pins();
	set_handler(VEC_A, h5);
	h5_flags = flags;
	ioa_rte_write(PIN_A, rte(VEC_A, RTE_LEVEL, bsp_id));
	line(PIN_A, 1);
	OPEN_WINDOW(hits_total(0) >= 1, WAIT_SHORT_US);
	bool c1 = rirr_clears(PIN_A, 100000);
	line(PIN_A, 1);                        /* now goes to cpu 1 */
	WAIT_US(hits_on(1, 0) >= 1, WAIT_SHORT_US);
	delay_us(2000);
	CHECK(c1 && hits_on(0, 0) == 1 && hits_on(1, 0) == 1 && rirr_clears(PIN_A, 100000), name,
	      "remote IRR after first EOI %s, cpu0 %u cpu1 %u", c1 ? "clear" : "STUCK",
	      hits_on(0, 0), hits_on(1, 0));
	reset_pins();
}

/* ---- 6: Directed EOI (EOI register) for an entry whose route moved ---- */
static void h6(struct frame *f)
{
	(void)f;
	hits[this_cpu()][0]++;
	ioa_write(IOAPIC_REDTBL(PIN_A) + 1, (uint32_t)ap_id << 24);
	line(PIN_A, 0);
	mmio_write32(io_base + IOAPIC_EOIR, VEC_A);
	lapic_eoi();
}

static void case_directed_eoi(unsigned version)
{
	if (version < 0x20) {
		SKIP("directed_eoi_moved_entry", "version %x has no EOI register", version);
		return;
	}
	reset_pins();
	set_handler(VEC_A, h6);
	ioa_rte_write(PIN_A, rte(VEC_A, RTE_LEVEL, bsp_id));
	line(PIN_A, 1);
	OPEN_WINDOW(hits_total(0) >= 1, WAIT_SHORT_US);
	bool c1 = rirr_clears(PIN_A, 100000);
	line(PIN_A, 1);
	WAIT_US(hits_on(1, 0) >= 1, WAIT_SHORT_US);
	delay_us(2000);
	CHECK(c1 && hits_on(0, 0) == 1 && hits_on(1, 0) == 1 && rirr_clears(PIN_A, 100000),
	      "directed_eoi_moved_entry", "cpu0 %u cpu1 %u, remote IRR %u", hits_on(0, 0),
	      hits_on(1, 0), rirr(PIN_A));
	reset_pins();
}

/* ---- 7: stress: the destination moves round robin while the line keeps asserting ---- */
static volatile uint32_t s_pending, s_raised;

static void hs(struct frame *f)
{
	(void)f;
	hits[this_cpu()][2]++;
	line(PIN_S, 0);
	barrier();
	s_pending = 0;
	lapic_eoi();
}

static void case_stress(uint32_t ms)
{
	reset_pins();
	set_handler(0x70, hs);
	s_pending = 0;
	s_raised = 0;
	ioa_rte_write(PIN_S, rte(0x70, RTE_LEVEL, bsp_id));
	uint64_t end = now_us() + (uint64_t)ms * 1000, last = now_us();
	unsigned next = 0, stuck = 0, moves = 0;
	sti();
	while (now_us() < end) {
		if (!s_pending) {
			s_pending = 1;
			s_raised++;
			line(PIN_S, 1);
			/* move while this interrupt is in flight */
			next = (next + 1) % ncpus;
			ioa_write(IOAPIC_REDTBL(PIN_S) + 1, cpu_apic_id[next] << 24);
			moves++;
			last = now_us();
		} else if (now_us() - last > 500000) {
			stuck = 1;
			break;
		}
		pause();
	}
	WAIT_US(!s_pending, 500000);
	delay_us(2000);
	cli();
	uint32_t got = hits_total(2);
	value("stress_raised", "%s%u", prefix, s_raised);
	value("stress_delivered", "%s%u", prefix, got);
	value("stress_moves", "%s%u", prefix, moves);
	for (unsigned c = 0; c < ncpus; c++)
		value("stress_cpu", "%s%u: %u", prefix, c, hits_on(c, 2));
	bool clear = rirr_clears(PIN_S, 100000);
	CHECK(!stuck && got == s_raised && clear && s_raised > ncpus, "stress_round_robin",
	      "%u raised, %u delivered, %u moves over %u cpus, %s, remote IRR %s", s_raised, got,
	      moves, ncpus, stuck ? "line STUCK" : "no stall", clear ? "clear" : "STUCK");
	reset_pins();
}

int guest_main(void)
{
	cli();
	pic_init(0x20, 0x28, false);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED | LVT_DM_EXTINT);
	ioapic_mask_all();
	bsp_id = (uint8_t)lapic_id();
	unsigned version = ioa_read(IOAPIC_REG_VER) & 0xFF;
	value("version", "%x", version);
	unsigned want = fwcfg_cpu_count();
	ncpus = smp_start(want ? want : 1, 2000);
	value("cpus", "%u", ncpus);
	reset_pins();
	if (ncpus < 2) {
		SKIP("reroute", "needs 2 CPUs, have %u", ncpus);
		return 0;
	}
	ap_id = (uint8_t)cpu_apic_id[1];
	/* logical flat IDs for case 5: CPU i has bit i */
	for (unsigned i = 0; i < ncpus; i++)
		smp_call(i, lapic_set_flat_logical_id, NULL, 1000);

	for (unsigned io = 0; io < 2; io++) {
		io_base = IOAPIC_BASE + 0x1000 * io;
		gsi_base = 24 * io;
		snprintf_lite(prefix, sizeof(prefix), io ? "ioapic1_" : "");
		if (io) {
			/* a second IOAPIC (splitvm --ioapics 2): its version register
			 * reads like the first's; unassigned MMIO reads all ones */
			uint32_t ver = ioa_read(IOAPIC_REG_VER);
			if (ver == 0xFFFFFFFFu || (ver & 0xFF) != version) {
				value("second_ioapic", "absent");
				break;
			}
			value("second_ioapic", "version %x", ver & 0xFF);
			for (unsigned p = 0; p < ((ver >> 16) & 0xFF) + 1; p++)
				ioa_rte_write(p, rte(0, RTE_MASKED, bsp_id));
		}
		reset_pins();
		case_moved_in_handler();
		case_mask_move_unmask();
		case_vector_change(version);
		case_trigger_change();
		case_mode_change("lowest_priority_mode_change", 1u << 8);
		case_mode_change("logical_dest_change", RTE_DEST_LOGICAL);
		case_directed_eoi(version);
		case_stress(arg_uint("stress_ms", 1000));
		reset_pins();
	}
	io_base = IOAPIC_BASE;
	ioapic_mask_all();
	return 0;
}
