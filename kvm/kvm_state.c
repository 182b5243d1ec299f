/* SPDX-License-Identifier: MIT */
/*
 * State interop with KVM's in-kernel irqchip: see splitchip/kvm_state.h
 * for the field maps and what each direction refuses or drops.
 *
 * Every conversion builds its result in a local and copies it out only on
 * success.  Conversions into libsplitchip end with sc_<chip>_validate().
 */
#include <splitchip/kvm.h>
#include <splitchip/ioapic.h>
#include <splitchip/pic.h>
#include <splitchip/pit.h>

#include <linux/kvm.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* The KVM structs this file reads and writes, as <asm/kvm.h> has them. */
_Static_assert(sizeof(struct kvm_pic_state) == 16, "kvm_pic_state layout");
_Static_assert(sizeof(struct kvm_ioapic_state) == 24 + 8 * 24, "kvm_ioapic_state layout");
_Static_assert(KVM_IOAPIC_NUM_PINS == SC_IOAPIC_DEFAULT_PINS, "KVM's IOAPIC has 24 pins");
_Static_assert(sizeof(struct kvm_pit_channel_state) == 24, "kvm_pit_channel_state layout");
_Static_assert(sizeof(struct kvm_pit_state2) == 3 * 24 + 40, "kvm_pit_state2 layout");

unsigned sc_kvm_version(void)
{
	return SC_KVM_VERSION_MAJOR << 16 | SC_KVM_VERSION_MINOR;
}

/* ================================================================ PIC */

#define PIC_CASCADE_IR      2u
#define PIC_MASTER_ICW3     (1u << PIC_CASCADE_IR)  /* PC/AT: slave on IR2 */
#define PIC_SLAVE_ICW3      PIC_CASCADE_IR          /* slave ID 2 */

static const uint8_t pic_elcr_mask[2] = { SC_PIC_ELCR1_MASK, SC_PIC_ELCR2_MASK };
static const uint8_t pic_icw3[2] = { PIC_MASTER_ICW3, PIC_SLAVE_ICW3 };

static void pic_chip_to_kvm(const struct sc_pic_chip_state_v1 *c, unsigned n,
			    struct kvm_pic_state *k)
{
	memset(k, 0, sizeof(*k));
	/* KVM pulses the master's cascade input; its edge detector stays 0. */
	k->last_irr = n == 0 ? (uint8_t)(c->line & ~PIC_MASTER_ICW3) : c->line;
	k->irr = c->irr;
	k->imr = c->imr;
	k->isr = c->isr;
	k->priority_add = c->priority_add;
	k->irq_base = c->icw2 & ICW2_T7_T3;
	k->read_reg_select = c->read_reg_select;
	k->poll = c->poll;
	k->special_mask = c->special_mask;
	k->init_state = c->init_state;
	k->auto_eoi = (c->icw4 & ICW4_AEOI) != 0;
	k->rotate_on_auto_eoi = c->rotate_on_aeoi;
	k->special_fully_nested_mode = (c->icw4 & ICW4_SFNM) != 0;
	k->init4 = (c->icw1 & ICW1_IC4) != 0;
	k->elcr = c->elcr;
	k->elcr_mask = pic_elcr_mask[n];
}

int sc_kvm_pic_to_kvm(const struct sc_pic_state_v1 *s,
		      struct kvm_pic_state *master, struct kvm_pic_state *slave)
{
	struct kvm_pic_state k[2];

	if (!s || !master || !slave || sc_pic_validate(s))
		return -EINVAL;
	for (unsigned n = 0; n < 2; n++) {
		const struct sc_pic_chip_state_v1 *c = &s->chip[n];

		/* KVM: trigger mode from the ELCR only, always cascaded on IR2. */
		if (c->icw1 & (ICW1_LTIM | ICW1_SNGL) || c->icw3 != pic_icw3[n])
			return -EINVAL;
		pic_chip_to_kvm(c, n, &k[n]);
	}
	*master = k[0];
	*slave = k[1];
	return 0;
}

static int pic_chip_from_kvm(const struct kvm_pic_state *k, unsigned n,
			     bool latch_edges, struct sc_pic_chip_state_v1 *c)
{
	const uint8_t flags[] = {
		k->read_reg_select, k->poll, k->special_mask, k->rotate_on_auto_eoi,
		k->init4, k->auto_eoi, k->special_fully_nested_mode,
	};
	for (size_t i = 0; i < sizeof(flags); i++)
		if (flags[i] > 1)
			return -EINVAL;
	if (k->init_state > 3 || k->elcr_mask != pic_elcr_mask[n] ||
	    (k->elcr & ~pic_elcr_mask[n]))
		return -EINVAL;
	if (!k->init4 && (k->auto_eoi || k->special_fully_nested_mode))
		return -EINVAL;

	memset(c, 0, sizeof(*c));
	uint8_t level = k->elcr;                /* LTIM is never set (above) */
	/* Level inputs: the request follows the input (KVM clears last_irr on
	 * ICW1 but keeps a level IRR bit, so IRR is the better witness). */
	uint8_t line = (uint8_t)((k->last_irr & ~level) | (k->irr & level));
	uint8_t edge_irr = k->irr & (uint8_t)~level;

	/* An edge request whose input is low again exists only when latched.
	 * The master's cascade input is set by sc_kvm_pic_from_kvm. */
	uint8_t cascade = n == 0 ? PIC_MASTER_ICW3 : 0;
	if (!latch_edges && (edge_irr & ~line & ~cascade))
		return -EINVAL;
	c->irr = k->irr;
	c->isr = k->isr;
	c->imr = k->imr;
	c->line = line;
	/* Low inputs armed; high edge inputs armed while requesting; level armed. */
	c->elatch = (uint8_t)(~line | edge_irr | level);
	c->elcr = k->elcr;
	c->icw1 = (uint8_t)(ICW1_SEL | (k->init4 ? ICW1_IC4 : 0));
	c->icw2 = k->irq_base & ICW2_T7_T3;
	c->icw3 = pic_icw3[n];
	if (k->init4)
		c->icw4 = (uint8_t)(ICW4_UPM | (k->auto_eoi ? ICW4_AEOI : 0) |
				    (k->special_fully_nested_mode ? ICW4_SFNM : 0));
	c->priority_add = k->priority_add & 7u;
	if (c->priority_add != k->priority_add)
		return -EINVAL;
	c->init_state = k->init_state;
	c->read_reg_select = k->read_reg_select;
	c->poll = k->poll;
	c->special_mask = k->special_mask;
	c->rotate_on_aeoi = k->rotate_on_auto_eoi;
	return 0;
}

int sc_kvm_pic_from_kvm(const struct kvm_pic_state *master,
			const struct kvm_pic_state *slave, bool latch_edges,
			struct sc_pic_state_v1 *s)
{
	struct sc_pic_state_v1 r;
	struct sc_pic scratch;

	if (!master || !slave || !s)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.version = SC_PIC_STATE_VERSION;
	r.latch_edges = latch_edges;
	if (pic_chip_from_kvm(master, 0, latch_edges, &r.chip[0]) ||
	    pic_chip_from_kvm(slave, 1, latch_edges, &r.chip[1]))
		return -EINVAL;

	/*
	 * Master IR2 is the slave's INT output.  Find its level with the chip
	 * itself: the slave as converted, behind a master that has only IR2
	 * open, armed and idle, so the master's INT is the slave's.
	 */
	struct sc_pic_state_v1 probe = r;
	struct sc_pic_chip_state_v1 *pm = &probe.chip[0];
	memset(pm, 0, sizeof(*pm));
	pm->icw1 = ICW1_SEL;
	pm->icw3 = PIC_MASTER_ICW3;
	pm->imr = (uint8_t)~PIC_MASTER_ICW3;
	pm->elatch = 0xff;
	sc_pic_init(&scratch, NULL, NULL);
	if (sc_pic_restore(&scratch, &probe))
		return -EINVAL;
	bool slave_int = sc_pic_intr_pending(&scratch);

	struct sc_pic_chip_state_v1 *m = &r.chip[0];
	uint8_t b = PIC_MASTER_ICW3;
	bool req = master->irr & b;
	m->line = (uint8_t)((m->line & ~b) | (slave_int ? b : 0));
	m->elatch = (uint8_t)((m->elatch & ~b) | (!slave_int || req ? b : 0));
	if (!slave_int && !latch_edges)
		req = false;            /* the cascade request went with the INT */
	m->irr = (uint8_t)((m->irr & ~b) | (req ? b : 0));

	if (sc_pic_validate(&r))
		return -EINVAL;
	*s = r;
	return 0;
}

/* ================================================================ IOAPIC */

#define IOAPIC_KVM_PINS     KVM_IOAPIC_NUM_PINS
#define REDIR_KVM_OK        (IOAPIC_REDIR_VECTOR_MASK | IOAPIC_REDIR_DELMOD_MASK | \
			     IOAPIC_REDIR_DESTMOD | IOAPIC_REDIR_INTPOL | \
			     IOAPIC_REDIR_REMOTE_IRR | IOAPIC_REDIR_TRIGGER | \
			     IOAPIC_REDIR_MASK | IOAPIC_REDIR_DEST_MASK)

static bool map_bit(const uint64_t *map, unsigned n)
{
	return (map[n / 64] >> (n % 64)) & 1;
}

/* Fixed and Lowest Priority honour level trigger (82093AA 3.2.4). */
static bool redir_is_level(uint64_t e)
{
	unsigned dm = (unsigned)((e & IOAPIC_REDIR_DELMOD_MASK) >> IOAPIC_REDIR_DELMOD_SHIFT);
	return (e & IOAPIC_REDIR_TRIGGER) && (dm == SC_DM_FIXED || dm == SC_DM_LOWPRI);
}

int sc_kvm_ioapic_to_kvm(const struct sc_ioapic_state_v1 *s, uint64_t base_address,
			 struct kvm_ioapic_state *k)
{
	struct kvm_ioapic_state r;

	if (!s || !k || sc_ioapic_validate(s))
		return -EINVAL;
	if (s->pins != IOAPIC_KVM_PINS || s->chip_version != IOAPIC_VERSION_82093AA ||
	    s->ext_dest_id)
		return -EINVAL;
	/* KVM reads ARB as the ID (82093AA 3.2.3: ARB is loaded from the ID). */
	if (s->arb_reg != (s->id_reg & IOAPIC_ID_MASK))
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.base_address = base_address;
	r.ioregsel = s->ioregsel;
	r.id = (s->id_reg & IOAPIC_ID_MASK) >> IOAPIC_ID_SHIFT;
	for (unsigned p = 0; p < IOAPIC_KVM_PINS; p++) {
		uint64_t e = s->redir[p];
		bool asserted = map_bit(s->line, p) != !!(e & IOAPIC_REDIR_INTPOL);

		r.redirtbl[p].bits = e;
		if (asserted)
			r.irr |= 1u << p;
	}
	*k = r;
	return 0;
}

int sc_kvm_ioapic_from_kvm(const struct kvm_ioapic_state *k, uint64_t base_address,
			   struct sc_ioapic_state_v1 *s)
{
	/* 5 KiB: static storage would be a global, the stack is fine here. */
	struct sc_ioapic_state_v1 r;

	if (!k || !s || k->base_address != base_address || k->ioregsel > 0xff ||
	    k->id > 0xf)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.version = 1;
	r.pins = IOAPIC_KVM_PINS;
	r.chip_version = IOAPIC_VERSION_82093AA;
	r.ioregsel = (uint8_t)k->ioregsel;
	r.id_reg = k->id << IOAPIC_ID_SHIFT;
	r.arb_reg = r.id_reg;
	for (unsigned p = 0; p < IOAPIC_KVM_PINS; p++) {
		uint64_t e = k->redirtbl[p].bits;
		bool asserted = (k->irr >> p) & 1;

		if (e & ~(uint64_t)REDIR_KVM_OK)
			return -EINVAL;
		r.redir[p] = e;
		if (asserted != !!(e & IOAPIC_REDIR_INTPOL))
			r.line[p / 64] |= 1ull << (p % 64);
		if (e & IOAPIC_REDIR_REMOTE_IRR)
			r.delivered_vector[p] = (uint8_t)(e & IOAPIC_REDIR_VECTOR_MASK);
		/* Asserted level pin KVM has not delivered: deliver it later. */
		if (redir_is_level(e) && asserted &&
		    !(e & (IOAPIC_REDIR_MASK | IOAPIC_REDIR_REMOTE_IRR)))
			r.retrigger[p / 64] |= 1ull << (p % 64);
	}
	if (k->irr >> IOAPIC_KVM_PINS)
		return -EINVAL;
	if (sc_ioapic_validate(&r))
		return -EINVAL;
	*s = r;
	return 0;
}

/* ================================================================ PIT */

/* The 8254 input clock grid: sc_pit_clock_edges() / sc_pit_edge_time() (pit.h). */

/* Modes 6 and 7 are 2 and 3 (8254 "Control Word Format": M2 don't care). */
static unsigned pit_mode(unsigned m)
{
	return m > 5 ? m - 4u : m;
}

static bool pit_periodic(unsigned mode)
{
	return mode == 2 || mode == 3;
}

static uint32_t bcd_to_bin(uint16_t v)
{
	return (v & 0xfu) + ((v >> 4) & 0xfu) * 10u + ((v >> 8) & 0xfu) * 100u +
	       ((v >> 12) & 0xfu) * 1000u;
}

/* The count a count register value stands for ("0" is 2^16 or 10^4). */
static uint32_t pit_cr_count(uint16_t cr, bool bcd)
{
	uint32_t v = bcd ? bcd_to_bin(cr) : cr;
	return v ? v : (bcd ? 10000u : 65536u);
}

/* A counting element run: loaded at clock edge run_edge (pit.c "runs"). */
static void pit_start_run(struct sc_pit_channel_state_v1 *cs, uint64_t edge,
			  uint32_t phase, uint64_t *run_edge)
{
	unsigned m = pit_mode(cs->mode);

	cs->loaded = 1;
	cs->load_pending = 0;
	cs->cr_pending = 0;
	cs->n = pit_cr_count(cs->cr, cs->bcd);
	cs->phase = phase % cs->n;
	*run_edge = edge;
	cs->run_time = sc_pit_edge_time(edge);
	cs->counted = 0;
	cs->counting = m == 1 || m == 5 || cs->gate;
	cs->null_count = 0;
}

/*
 * The flip-flops and latches of one channel, both directions.  libsplitchip
 * has one read flip-flop per counter, shared by latched and live reads;
 * KVM keeps the latched read's in count_latched.
 */
static int pit_ff_to_kvm(const struct sc_pit_channel_state_v1 *cs,
			 struct kvm_pit_channel_state *k)
{
	bool word = cs->rw == PIT_CW_RW_WORD;

	if (!word && (cs->write_msb || cs->read_msb))
		return -EINVAL;
	k->rw_mode = cs->rw;
	k->write_state = word ? (cs->write_msb ? SC_KVM_PIT_RW_WORD1 : SC_KVM_PIT_RW_WORD0)
			      : cs->rw;
	k->write_latch = cs->cr_lsb;
	if (cs->ol_latched) {
		k->count_latched = word ? (cs->read_msb ? SC_KVM_PIT_RW_MSB : SC_KVM_PIT_RW_WORD0)
					: cs->rw;
		k->read_state = word ? SC_KVM_PIT_RW_WORD0 : cs->rw;
	} else {
		k->count_latched = 0;
		k->read_state = word ? (cs->read_msb ? SC_KVM_PIT_RW_WORD1 : SC_KVM_PIT_RW_WORD0)
				     : cs->rw;
	}
	k->latched_count = cs->ol;
	k->status_latched = cs->status_latched;
	k->status = cs->status;
	return 0;
}

static int pit_ff_from_kvm(const struct kvm_pit_channel_state *k,
			   struct sc_pit_channel_state_v1 *cs)
{
	unsigned rw = k->rw_mode;

	if (rw < PIT_CW_RW_LSB || rw > PIT_CW_RW_WORD || k->status_latched > 1)
		return -EINVAL;
	cs->rw = (uint8_t)rw;
	if (rw == PIT_CW_RW_WORD) {
		if (k->write_state != SC_KVM_PIT_RW_WORD0 && k->write_state != SC_KVM_PIT_RW_WORD1)
			return -EINVAL;
		if (k->read_state != SC_KVM_PIT_RW_WORD0 && k->read_state != SC_KVM_PIT_RW_WORD1)
			return -EINVAL;
		cs->write_msb = k->write_state == SC_KVM_PIT_RW_WORD1;
		switch (k->count_latched) {
		case 0:
			cs->read_msb = k->read_state == SC_KVM_PIT_RW_WORD1;
			break;
		case SC_KVM_PIT_RW_WORD0:
		case SC_KVM_PIT_RW_MSB:
			/* A latch taken mid-way through a live word read: no. */
			if (k->read_state != SC_KVM_PIT_RW_WORD0)
				return -EINVAL;
			cs->ol_latched = 1;
			cs->read_msb = k->count_latched == SC_KVM_PIT_RW_MSB;
			break;
		default:
			return -EINVAL;
		}
	} else {
		if (k->write_state != rw || k->read_state != rw ||
		    (k->count_latched && k->count_latched != rw))
			return -EINVAL;
		cs->ol_latched = k->count_latched != 0;
	}
	cs->cr_lsb = k->write_latch;
	cs->ol = k->latched_count;
	cs->status_latched = k->status_latched;
	cs->status = k->status;
	return 0;
}

static int64_t host_of_virt(const struct sc_kvm_timebase *t, uint64_t v)
{
	/* v <= t->virt_ns for every time converted here. */
	return t->host_ns - (int64_t)(t->virt_ns - v);
}

static int pit_channel_to_kvm(const struct sc_pit_channel_state_v1 *in, uint64_t e,
			      const struct sc_kvm_timebase *t,
			      struct kvm_pit_channel_state *k)
{
	struct sc_pit_channel_state_v1 cs = *in;
	uint64_t run_edge = sc_pit_clock_edges(cs.run_time);
	unsigned mode = pit_mode(cs.mode);

	memset(k, 0, sizeof(*k));
	/* Transitions due by edge e that the chip applies lazily (pit.c sync). */
	if (cs.load_pending && e >= sc_pit_clock_edges(cs.load_time))
		pit_start_run(&cs, sc_pit_clock_edges(cs.load_time), 0, &run_edge);
	if (cs.cr_pending && cs.loaded && cs.counting && cs.pending_time != UINT64_MAX &&
	    e >= sc_pit_clock_edges(cs.pending_time)) {
		uint32_t n = pit_cr_count(cs.cr, cs.bcd);
		pit_start_run(&cs, sc_pit_clock_edges(cs.pending_time),
			      cs.pending_low ? (n + 1) / 2 : 0, &run_edge);
	}

	k->gate = cs.gate;
	if (!cs.loaded && !cs.load_pending && !cs.cr_written && !cs.cr_pending &&
	    cs.mode == 3 && cs.rw == PIT_CW_RW_WORD && !cs.bcd && !cs.ol_latched &&
	    !cs.status_latched && !cs.write_msb && !cs.read_msb) {
		/* Reset state (KVM kvm_pit_reset: mode 0xff, count 65536). */
		k->mode = SC_KVM_PIT_MODE_RESET;
		k->count = 65536;
		k->count_load_time = t->host_ns;
		return 0;
	}
	if (cs.load_pending || cs.cr_pending || !cs.loaded || cs.null_count ||
	    cs.n != pit_cr_count(cs.cr, cs.bcd))
		return -EINVAL;
	if (pit_ff_to_kvm(&cs, k))
		return -EINVAL;
	k->mode = (uint8_t)mode;
	k->bcd = cs.bcd;
	k->count = cs.cr ? cs.cr : 65536u;

	/* Clocks since the run's position 0: counted, live clocks, mode 3 phase. */
	uint64_t pos = cs.counted + cs.phase;
	if (cs.counting && e > run_edge)
		pos += e - run_edge;
	if (pos > e) {
		/* Started before virtual time 0: fine for a periodic count only. */
		if (!pit_periodic(mode))
			return -EINVAL;
		pos %= cs.n;
		if (pos > e)
			return -EINVAL;
	}
	k->count_load_time = host_of_virt(t, sc_pit_edge_time(e - pos));
	return 0;
}

int sc_kvm_pit_to_kvm(const struct sc_pit_state_v1 *s, const struct sc_kvm_timebase *t,
		      bool hpet_legacy, struct kvm_pit_state2 *k)
{
	struct kvm_pit_state2 r;

	if (!s || !t || !k || sc_pit_validate(s))
		return -EINVAL;
	if (s->port61 & (PORT61_STORED_MASK & ~(PORT61_GATE2 | PORT61_SPKR_DATA)))
		return -EINVAL;
	if (s->tick.backlog)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	uint64_t e = sc_pit_clock_edges(t->virt_ns);
	for (unsigned c = 0; c < SC_PIT_CHANNELS; c++)
		if (pit_channel_to_kvm(&s->ch[c], e, t, &r.channels[c]))
			return -EINVAL;
	if (hpet_legacy)
		r.flags |= KVM_PIT_FLAGS_HPET_LEGACY;
	if (s->port61 & PORT61_SPKR_DATA)
		r.flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	*k = r;
	return 0;
}

static void pit_reset_channel(struct sc_pit_channel_state_v1 *cs, bool gate)
{
	/* As sc_pit_reset leaves a channel (pit.c reset_channel). */
	memset(cs, 0, sizeof(*cs));
	cs->mode = 3;
	cs->rw = PIT_CW_RW_WORD;
	cs->null_count = 1;
	cs->gate = gate;
	cs->out_hold = 1;
	cs->n = 1;
}

static int pit_channel_from_kvm(const struct kvm_pit_channel_state *k, uint64_t e,
				const struct sc_kvm_timebase *t,
				struct sc_pit_channel_state_v1 *cs, uint64_t *run_edge)
{
	if (k->gate > 1 || k->bcd > 1)
		return -EINVAL;
	if (k->mode == SC_KVM_PIT_MODE_RESET) {
		if (k->rw_mode || k->read_state || k->write_state || k->count_latched ||
		    k->status_latched)
			return -EINVAL;
		pit_reset_channel(cs, k->gate);
		*run_edge = 0;
		return 0;
	}
	if (k->mode > 5 || k->count < 1 || k->count > 65536)
		return -EINVAL;
	memset(cs, 0, sizeof(*cs));
	if (pit_ff_from_kvm(k, cs))
		return -EINVAL;
	cs->mode = k->mode;
	cs->bcd = k->bcd;
	cs->gate = k->gate;
	cs->cr = (uint16_t)k->count;            /* 65536 is written as 0 */
	cs->cr_written = 1;
	cs->loaded = 1;
	cs->n = pit_cr_count(cs->cr, cs->bcd);

	/* Clocks counted since count_load_time, on the grid (rounded down). */
	if (k->count_load_time > t->host_ns)
		return -EINVAL;
	uint64_t ago = (uint64_t)(t->host_ns - k->count_load_time);
	uint64_t d;
	if (ago <= t->virt_ns)
		d = e - sc_pit_clock_edges(t->virt_ns - ago);
	else
		d = e + sc_pit_clock_edges(ago - t->virt_ns);   /* loaded before virtual 0 */

	unsigned m = k->mode;
	cs->counting = m == 1 || m == 5 || k->gate;
	if (!cs->counting || d > e) {
		/* Held by GATE low, or the run began before edge 0. */
		*run_edge = e;
		cs->counted = d;
	} else {
		*run_edge = e - d;
	}
	cs->run_time = sc_pit_edge_time(*run_edge);
	cs->load_time = cs->run_time;
	return 0;
}

/* Counter 0's IRQ0 outputs for a converted channel (pit.c ch0_* rules). */
static void pit_ch0_outputs(struct sc_pit_state_v1 *s, uint64_t run_edge, uint64_t e,
			    enum sc_tick_policy policy)
{
	const struct sc_pit_channel_state_v1 *cs = &s->ch[0];
	struct sc_tick_state_v1 *tk = &s->tick;
	unsigned m = pit_mode(cs->mode);

	memset(tk, 0, sizeof(*tk));
	tk->policy = (uint8_t)policy;
	tk->max_backlog = SC_TICK_DEFAULT_MAX_BACKLOG;
	tk->catchup_speedup = SC_TICK_DEFAULT_CATCHUP_SPEEDUP;
	if (!cs->loaded)
		return;
	if (!pit_periodic(m)) {
		/* OUT rises at terminal count (0, 1) or one clock later (4, 5). */
		uint64_t target = cs->n + (m >= 4 ? 1u : 0u);
		if (cs->counted >= target)
			return;
		uint64_t ev = run_edge + (target - cs->counted);
		if (ev > e)
			s->timer_deadline = sc_pit_edge_time(ev);
		else
			s->out0_level = m == 0;
		return;
	}
	/* Modes 2/3: OUT0 rises where the run's position is a multiple of n. */
	uint64_t pos = cs->counted + (e > run_edge ? e - run_edge : 0);
	uint64_t next = e + (cs->n - pos % cs->n);
	uint64_t period = sc_pit_edge_time(next + cs->n) - sc_pit_edge_time(next);
	if (period < SC_PIT_MIN_TICK_NS) {
		period = SC_PIT_MIN_TICK_NS;    /* above the interrupt ceiling */
	} else {
		s->tick_edge0_time = sc_pit_edge_time(next);
		s->tick_n = cs->n;
	}
	tk->running = 1;
	tk->period = period;
	tk->next_period = sc_pit_edge_time(next);
	tk->timer_deadline = tk->next_period;
	tk->last_delivery = tk->next_period > period ? tk->next_period - period : 0;
}

int sc_kvm_pit_from_kvm(const struct kvm_pit_state2 *k, const struct sc_kvm_timebase *t,
			enum sc_tick_policy policy, struct sc_pit_state_v1 *s,
			bool *hpet_legacy)
{
	struct sc_pit_state_v1 r;
	uint64_t run_edge[SC_PIT_CHANNELS];

	if (!k || !t || !s || (unsigned)policy > SC_TICK_MERGE)
		return -EINVAL;
	if (k->flags & ~(uint32_t)(KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(k->reserved) / sizeof(k->reserved[0]); i++)
		if (k->reserved[i])
			return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.version = 1;
	uint64_t e = sc_pit_clock_edges(t->virt_ns);
	for (unsigned c = 0; c < SC_PIT_CHANNELS; c++)
		if (pit_channel_from_kvm(&k->channels[c], e, t, &r.ch[c], &run_edge[c]))
			return -EINVAL;
	r.port61 = (uint8_t)((r.ch[2].gate ? PORT61_GATE2 : 0) |
			     (k->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON ? PORT61_SPKR_DATA : 0));
	pit_ch0_outputs(&r, run_edge[0], e, policy);
	if (sc_pit_validate(&r))
		return -EINVAL;
	*s = r;
	if (hpet_legacy)
		*hpet_legacy = k->flags & KVM_PIT_FLAGS_HPET_LEGACY;
	return 0;
}
