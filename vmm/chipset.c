/* SPDX-License-Identifier: MIT */
/*
 * The chipset of a splitvm VM: libsplitchip's board (PIC pair, IOAPICs,
 * PIT, RTC, HPET and the GSI router, include/splitchip/board.h) connected
 * to the hypervisor through struct chipset_ops.
 *
 * Split mode: every IOAPIC redirection entry - masked ones too - is
 * mirrored into the KVM MSI route of GSI 24 * ioapic + pin, so KVM builds
 * each vCPU's EOI-exit bitmap from the real vector and destination.  The
 * trigger bit (MSI data bit 15) of a route is set when the board asks for
 * EOI exits on it: level entries, and pins that carry edge timer ticks.
 * The interrupt itself goes in with KVM_SIGNAL_MSI carrying the entry's own
 * trigger mode (edge for the timers), so the guest's TMR stays right while
 * the EOI of a tick vector still exits: that KVM_EXIT_IOAPIC_EOI is the
 * tick engine's acknowledgement (board: cfg.eoi_ack).  Route changes are
 * collected per board batch and pushed with one KVM_SET_GSI_ROUTING.
 *
 * Routing changed while an interrupt is in flight (ghost routes).  KVM
 * rebuilds a vCPU's EOI-exit bitmap from the routes as they are now
 * (kvm_scan_ioapic_routes; unlike its in-kernel IOAPIC scan it does not
 * look at vectors still pending in IRR/ISR, at least up to Linux 6.1).  A
 * level interrupt delivered to vCPU 0, whose entry the guest then points
 * at vCPU 1 before vCPU 0 EOIs it, would lose its EOI exit: remote IRR
 * stays set and the line is dead.  So when a route that asks for EOI
 * exits changes while its old vector still waits for an EOI
 * (sc_board_vector_awaits_eoi: remote IRR set, or a tick unacknowledged),
 * the old route stays in KVM's table as a ghost on GSI ngsi + gsi (KVM
 * reserves 2 * ngsi GSIs, chipset_reserved_gsis()).  Nothing is ever sent
 * through a ghost (interrupts go in with KVM_SIGNAL_MSI); it only keeps
 * the old destination's bitmap bit.  A ghost covers one delivery, named by
 * the pin's delivery count (sc_board_gsi_status); it goes, at an EOI of its
 * vector or at the next table push, once that delivery is no longer the
 * pin's outstanding one (remote IRR cleared - by the EOI, an edge switch,
 * the EOI register or a reset - or a newer delivery made).  Why no EOI is lost: between the delivery and its EOI, the
 * vector is in the old destination's bitmap either through the route
 * itself (unchanged) or through its ghost, which is pushed in the same
 * KVM_SET_GSI_ROUTING as the new route, before the writing vCPU re-enters
 * the guest; while remote IRR is set the IOAPIC sends nothing new on that
 * pin, so there is one delivery to cover and one ghost per pin suffices.
 *
 * Locking: the board's own locks (chipset lock, one per IOAPIC) cover the
 * chips; route_lock covers routes[], ghost[] and serialises
 * KVM_SET_GSI_ROUTING so the last table pushed is the newest.  Board
 * outputs arrive here after the board dropped its locks.
 */
#include "chipset.h"
#include "errmsg.h"

#include "acpi.h"

#include <errno.h>
#include <splitchip/board.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chipset {
	struct sc_board board;
	struct chipset_ops ops;
	bool split;
	unsigned ncpus, ngsi;
	pthread_mutex_t route_lock;
	struct chipset_route routes[CHIPSET_MAX_GSI];
	struct chipset_route ghost[CHIPSET_MAX_GSI];   /* valid where ghost_on */
	bool ghost_on[CHIPSET_MAX_GSI];
	uint32_t ghost_delivery[CHIPSET_MAX_GSI];      /* the delivery it covers */
	_Atomic uint64_t ghost_vec[4];   /* vectors of live ghosts (EOI fast path) */
	struct chipset_route table[2 * CHIPSET_MAX_GSI];
	bool routes_dirty;
	bool started;
	uint64_t route_updates;
	uint64_t ghosts_made, ghosts_dropped;
	_Atomic uint64_t msi_dm[8];      /* messages sent, by delivery mode */
	bool no_ghosts;                  /* diagnostic: --no-ghost-routes */
	/* stuck level lines (stats): per GSI since when remote IRR has been
	 * set with no new delivery (virtual ns, 0 = not set) */
	pthread_mutex_t watch_lock;
	uint64_t watch_next;
	uint64_t rirr_since[CHIPSET_MAX_GSI];
	uint32_t rirr_deliveries[CHIPSET_MAX_GSI];
	_Atomic int want_affinity;     /* -1: nothing to apply */
	int affinity;
	uint8_t ioapic_version;
	uint32_t hpet_id;
	struct sc_clock *clock;
	/* kernel mode: LEG_RT_CNF as last told to ops.pit_hpet_legacy */
	pthread_mutex_t legacy_lock;
	bool hpet_legacy;
};

static void b_msi(void *opaque, const struct sc_msi *m)
{
	struct chipset *cs = opaque;

	/* by delivery mode (MSI data bits 10:8): shows whether the chipset ever
	 * sent an INIT, SMI or NMI that could explain a vCPU reset or fault */
	atomic_fetch_add_explicit(&cs->msi_dm[(m->data >> SC_MSI_DATA_DM_SHIFT) & 7], 1,
				  memory_order_relaxed);

	if (cs->ops.send_msi)
		cs->ops.send_msi(cs->ops.opaque, m);
}

static void b_pic_intr(void *opaque, bool level)
{
	struct chipset *cs = opaque;

	if (cs->ops.pic_intr)
		cs->ops.pic_intr(cs->ops.opaque, level);
}

static uint8_t route_vector(const struct chipset_route *r)
{
	return (uint8_t)(r->msg.data & SC_MSI_DATA_VECTOR_MASK);
}

static bool route_eoi_exit(const struct chipset_route *r)
{
	return (r->msg.data & SC_MSI_DATA_TRIGGER_LEVEL) != 0;
}

static void ghost_vec_rebuild_locked(struct chipset *cs)
{
	uint64_t v[4] = { 0 };
	unsigned g;

	for (g = 0; g < cs->ngsi; g++)
		if (cs->ghost_on[g])
			v[route_vector(&cs->ghost[g]) / 64] |= 1ull << (route_vector(&cs->ghost[g]) % 64);
	for (g = 0; g < 4; g++)
		atomic_store_explicit(&cs->ghost_vec[g], v[g], memory_order_release);
}

/*
 * The delivery now outstanding on @gsi: true with its number in @n when a
 * message of this pin still waits for its EOI (level: remote IRR set; a
 * tick pin: its vector's tick unacknowledged).  Lock-free.
 */
static bool in_flight(struct chipset *cs, unsigned gsi, uint32_t *n)
{
	struct sc_board_gsi_status st;

	if (sc_board_gsi_status(&cs->board, gsi, &st))
		return false;
	*n = st.deliveries;
	return st.awaits_eoi;
}

/* The route of @gsi changes from @old to @new: if a delivery made under
 * @old still waits for its EOI, keep @old as that delivery's ghost (see
 * the top of the file).  A ghost covers one delivery, named by the pin's
 * delivery count: a newer outstanding delivery was made under @old, so it
 * replaces a ghost of an older one.  route_lock held. */
static void ghost_keep_locked(struct chipset *cs, unsigned gsi, const struct chipset_route *old,
			      const struct chipset_route *new)
{
	uint32_t n;

	if (cs->no_ghosts || !route_eoi_exit(old) ||
	    (old->msg.address == new->msg.address && old->msg.data == new->msg.data) ||
	    !in_flight(cs, gsi, &n))
		return;
	if (cs->ghost_on[gsi] && cs->ghost_delivery[gsi] == n)
		return;                  /* that delivery went out under the ghost */
	cs->ghost[gsi] = *old;
	cs->ghost[gsi].gsi = cs->ngsi + gsi;
	cs->ghost_delivery[gsi] = n;
	cs->ghost_on[gsi] = true;
	cs->ghosts_made++;
	ghost_vec_rebuild_locked(cs);
}

/* Drop the ghosts whose delivery is acknowledged: nothing outstanding on
 * the pin any more, or a newer delivery is (made under the current route,
 * or covered by a newer ghost).  route_lock held. */
static void ghost_drop_locked(struct chipset *cs)
{
	bool changed = false;
	unsigned g;
	uint32_t n;

	for (g = 0; g < cs->ngsi; g++) {
		if (!cs->ghost_on[g])
			continue;
		if (in_flight(cs, g, &n) && n == cs->ghost_delivery[g])
			continue;
		cs->ghost_on[g] = false;
		cs->ghosts_dropped++;
		changed = true;
	}
	if (changed) {
		cs->routes_dirty = true;
		ghost_vec_rebuild_locked(cs);
	}
}

static void b_route(void *opaque, unsigned gsi, const struct sc_msi *msg, bool masked,
		    bool eoi_exit)
{
	struct chipset *cs = opaque;
	struct chipset_route r;

	if (gsi >= cs->ngsi)
		return;
	r.gsi = gsi;
	r.msg = *msg;
	/* KVM puts a route's vector in the EOI-exit bitmap iff its trigger bit is set */
	if (eoi_exit)
		r.msg.data |= SC_MSI_DATA_TRIGGER_LEVEL;
	else
		r.msg.data &= ~SC_MSI_DATA_TRIGGER_LEVEL;
	pthread_mutex_lock(&cs->route_lock);
	ghost_keep_locked(cs, gsi, &cs->routes[gsi], &r);
	cs->routes[gsi] = r;
	cs->routes_dirty = true;
	pthread_mutex_unlock(&cs->route_lock);
	/* timer follows the vCPU: the PIT's pin in physical mode names its target */
	if (gsi == 2 && !masked && !(msg->address & SC_MSI_ADDR_DM_LOGICAL)) {
		unsigned dest = (unsigned)(msg->address >> SC_MSI_ADDR_DEST_SHIFT) & 0xff;

		if (dest < cs->ncpus)
			atomic_store(&cs->want_affinity, (int)dest);
	}
}

static void push_routes_locked(struct chipset *cs)
{
	unsigned g, n;

	if (!cs->started || !cs->routes_dirty || !cs->ops.set_routes)
		return;
	ghost_drop_locked(cs);
	cs->routes_dirty = false;
	cs->route_updates++;
	memcpy(cs->table, cs->routes, cs->ngsi * sizeof(cs->routes[0]));
	n = cs->ngsi;
	for (g = 0; g < cs->ngsi; g++)
		if (cs->ghost_on[g])
			cs->table[n++] = cs->ghost[g];
	cs->ops.set_routes(cs->ops.opaque, cs->table, n);
}

static void b_routes_done(void *opaque)
{
	struct chipset *cs = opaque;

	pthread_mutex_lock(&cs->route_lock);
	push_routes_locked(cs);
	pthread_mutex_unlock(&cs->route_lock);
}

static void b_gsi_line(void *opaque, unsigned gsi, bool level)
{
	struct chipset *cs = opaque;

	if (cs->ops.irq_line)
		cs->ops.irq_line(cs->ops.opaque, gsi, level);
}

static void cmos_memory(struct sc_board *b, uint64_t ram, unsigned ncpus)
{
	uint64_t low = ram < 0xC0000000ull ? ram : 0xC0000000ull;
	uint64_t ext_kb = low > 0x100000 ? (low - 0x100000) / 1024 : 0;
	uint64_t above16 = low > 0x1000000 ? (low - 0x1000000) / 65536 : 0;
	uint64_t above4g = ram > low ? (ram - low) / 65536 : 0;

	/* IBM PC/AT CMOS map as PC BIOSes (and SeaBIOS) use it */
	if (ext_kb > 0xffff)
		ext_kb = 0xffff;
	if (above16 > 0xffff)
		above16 = 0xffff;
	sc_rtc_cmos_set(&b->rtc, 0x15, 0x80);            /* base memory 640 KiB */
	sc_rtc_cmos_set(&b->rtc, 0x16, 0x02);
	sc_rtc_cmos_set(&b->rtc, 0x17, (uint8_t)ext_kb);
	sc_rtc_cmos_set(&b->rtc, 0x18, (uint8_t)(ext_kb >> 8));
	sc_rtc_cmos_set(&b->rtc, 0x30, (uint8_t)ext_kb);
	sc_rtc_cmos_set(&b->rtc, 0x31, (uint8_t)(ext_kb >> 8));
	sc_rtc_cmos_set(&b->rtc, 0x34, (uint8_t)above16);
	sc_rtc_cmos_set(&b->rtc, 0x35, (uint8_t)(above16 >> 8));
	sc_rtc_cmos_set(&b->rtc, 0x5b, (uint8_t)above4g);
	sc_rtc_cmos_set(&b->rtc, 0x5c, (uint8_t)(above4g >> 8));
	sc_rtc_cmos_set(&b->rtc, 0x5d, (uint8_t)(above4g >> 16));
	sc_rtc_cmos_set(&b->rtc, 0x5f, (uint8_t)(ncpus - 1));
}

#define fail(err, errlen, ...) vm_reason(err, errlen, -1, __VA_ARGS__)

int chipset_create(struct chipset **out, const struct chipset_config *cfg,
		   const struct chipset_ops *ops, char *err, size_t errlen)
{
	struct sc_board_config bc;
	struct sc_board_ops bo;
	struct chipset *cs;
	unsigned i;
	int r;

	if (!out || !cfg || !ops || !cfg->clock || !cfg->wall_ns || cfg->ncpus < 1 ||
	    cfg->nioapics < 1 || cfg->nioapics > VM_MAX_IOAPICS)
		return fail(err, errlen, "bad chipset configuration");
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return fail(err, errlen, "out of memory");
	cs->ops = *ops;
	cs->clock = cfg->clock;
	/* Diagnostic only (--no-ghost-routes): mirror routes as QEMU's split
	 * irqchip does, without ghosts, to show a lost EOI on a given KVM. */
	cs->no_ghosts = cfg->no_ghost_routes;
	cs->split = cfg->split;
	cs->ncpus = cfg->ncpus;
	cs->ngsi = cfg->split ? VM_IOAPIC_PINS * cfg->nioapics : 0;
	pthread_mutex_init(&cs->route_lock, NULL);
	pthread_mutex_init(&cs->legacy_lock, NULL);
	pthread_mutex_init(&cs->watch_lock, NULL);
	atomic_store(&cs->want_affinity, -1);
	cs->affinity = 0;
	for (i = 0; i < CHIPSET_MAX_GSI; i++) {
		/* until the board reports it: masked-equivalent edge route, vector 0 */
		cs->routes[i].gsi = i;
		cs->routes[i].msg.address = SC_MSI_ADDR_BASE;
		cs->routes[i].msg.data = 0;
	}

	memset(&bc, 0, sizeof(bc));
	bc.ioapics = cfg->split ? cfg->nioapics : 1;
	bc.ioapic_pins = VM_IOAPIC_PINS;
	bc.ioapic_version = IOAPIC_VERSION_ICH;
	bc.no_hpet = !cfg->hpet;
	bc.external_irqchip = !cfg->split;
	bc.eoi_ack = cfg->split;
	bc.pit_policy = cfg->policy[VM_SRC_PIT];
	bc.rtc_policy = cfg->policy[VM_SRC_RTC];
	bc.hpet_policy = cfg->policy[VM_SRC_HPET];
	bc.wall_ns = cfg->wall_ns;
	bc.wall_opaque = NULL;
	memset(&bo, 0, sizeof(bo));
	bo.msi = b_msi;
	bo.pic_intr = b_pic_intr;
	bo.route = b_route;
	bo.routes_done = b_routes_done;
	bo.gsi_line = b_gsi_line;
	bo.opaque = cs;
	r = sc_board_init(&cs->board, cfg->clock, &bc, &bo, NULL);
	if (r) {
		free(cs);
		return fail(err, errlen, "board initialisation failed (%d)", r);
	}
	if (cfg->host_clock)
		sc_board_attach_host_clock(&cs->board, cfg->host_clock);
	sc_board_set_timer_affinity(&cs->board, 0);
	cmos_memory(&cs->board, cfg->ram_size, cfg->ncpus);
	/* what the guest will read: ours, or KVM's in-kernel 82093AA-like one */
	cs->ioapic_version = cfg->split ? IOAPIC_VERSION_ICH : IOAPIC_VERSION_82093AA;
	if (cfg->hpet) {
		uint64_t v = ~0ull;

		if (sc_board_mmio_read(&cs->board, SC_BOARD_HPET_BASE + HPET_GCAP_ID, 4, &v))
			cs->hpet_id = (uint32_t)v;
	}
	*out = cs;
	return 0;
}

void chipset_destroy(struct chipset *cs)
{
	if (!cs)
		return;
	sc_board_destroy(&cs->board);
	pthread_mutex_destroy(&cs->route_lock);
	pthread_mutex_destroy(&cs->legacy_lock);
	pthread_mutex_destroy(&cs->watch_lock);
	free(cs);
}

void chipset_start(struct chipset *cs)
{
	if (!cs->split)
		return;
	/* the board reports every entry (one batch per IOAPIC); with started
	 * clear its routes_done() calls only collect, then one table goes out */
	pthread_mutex_lock(&cs->route_lock);
	cs->started = false;
	pthread_mutex_unlock(&cs->route_lock);
	sc_board_sync_routes(&cs->board);
	pthread_mutex_lock(&cs->route_lock);
	cs->started = true;
	cs->routes_dirty = true;
	push_routes_locked(cs);
	pthread_mutex_unlock(&cs->route_lock);
}

static uint64_t ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

uint64_t chipset_pio(struct chipset *cs, uint16_t port, unsigned size, bool write, uint64_t val)
{
	uint32_t v = 0;

	if (size != 1 && size != 2 && size != 4)
		return write ? 0 : ones(size);
	if (write) {
		sc_board_pio_write(&cs->board, port, size, (uint32_t)val);
		return 0;
	}
	if (!sc_board_pio_read(&cs->board, port, size, &v))
		return ones(size);
	return v;
}

/*
 * Kernel mode: the PIT is KVM's, so the board cannot cut PIT OUT0 off IRQ0
 * when the guest turns the HPET's LegacyReplacement route on (HPET 1.0a
 * 2.4); KVM must be told, as QEMU does (kvm_pit_irq_control).  Called
 * after every HPET write; legacy_lock keeps the last call the newest state.
 */
static void hpet_legacy_sync(struct chipset *cs)
{
	uint64_t conf = 0;
	bool on;

	if (cs->split || !cs->ops.pit_hpet_legacy)
		return;
	pthread_mutex_lock(&cs->legacy_lock);
	if (sc_board_mmio_read(&cs->board, SC_BOARD_HPET_BASE + HPET_GEN_CONF, 4, &conf)) {
		on = (conf & HPET_LEG_RT_CNF) != 0;
		if (on != cs->hpet_legacy) {
			cs->hpet_legacy = on;
			cs->ops.pit_hpet_legacy(cs->ops.opaque, on);
		}
	}
	pthread_mutex_unlock(&cs->legacy_lock);
}

uint64_t chipset_mmio(struct chipset *cs, uint64_t addr, unsigned size, bool write, uint64_t val)
{
	uint64_t v = 0;

	if (size < 1 || size > 8)
		return write ? 0 : ~0ull;
	if (write) {
		sc_board_mmio_write(&cs->board, addr, size, val);
		if (addr >= SC_BOARD_HPET_BASE && addr - SC_BOARD_HPET_BASE < 0x400)
			hpet_legacy_sync(cs);
		return 0;
	}
	if (!sc_board_mmio_read(&cs->board, addr, size, &v))
		return ones(size);
	return v;
}

int chipset_set_isa_irq(struct chipset *cs, unsigned irq, enum chipset_source src, bool level)
{
	static const unsigned board_src[] = {
		[CHIPSET_SRC_TESTDEV] = SC_SRC_TESTDEV,
		[CHIPSET_SRC_UART] = SC_SRC_UART,
		[CHIPSET_SRC_SCI] = SC_SRC_SCI,
	};

	if ((unsigned)src >= sizeof(board_src) / sizeof(board_src[0]))
		return -EINVAL;
	if (irq < 16)
		return sc_board_set_isa_irq(&cs->board, irq, board_src[src], level);
	return sc_board_set_gsi(&cs->board, irq, board_src[src], level);
}

int chipset_attach_pci_intx(struct chipset *cs, unsigned dev, unsigned pin)
{
	return sc_board_attach_pci_intx(&cs->board, 0, dev, pin);
}

int chipset_set_pci_intx(struct chipset *cs, unsigned dev, unsigned pin, bool asserted)
{
	return sc_board_set_pci_intx(&cs->board, 0, dev, pin, SC_SRC_PCI, asserted);
}

bool chipset_pic_intr(struct chipset *cs)
{
	return sc_board_pic_intr(&cs->board);
}

int chipset_pic_inta(struct chipset *cs)
{
	/* the INT line may have dropped since the vCPU looked: no spurious IRQ7 */
	if (!sc_board_pic_intr(&cs->board))
		return -1;
	return sc_board_pic_inta(&cs->board);
}

void chipset_pic_nmi_taken(struct chipset *cs)
{
	/* no INTA follows an NMI-mode LINT0: the PIC's ticks are taken */
	sc_board_pic_nmi_taken(&cs->board);
}

void chipset_eoi(struct chipset *cs, uint8_t vector)
{
	/* lock-free filter first (sc_ioapic_eoi_wanted + tick bitmap) in the board */
	sc_board_eoi(&cs->board, vector);
	/* a ghost of this vector may cover the delivery just acknowledged */
	if (!(atomic_load_explicit(&cs->ghost_vec[vector / 64], memory_order_acquire) &
	      (1ull << (vector % 64))))
		return;
	pthread_mutex_lock(&cs->route_lock);
	ghost_drop_locked(cs);
	push_routes_locked(cs);
	pthread_mutex_unlock(&cs->route_lock);
}

/* Stuck level lines: sampled at most every WATCH_PERIOD_NS of virtual time. */
#define WATCH_PERIOD_NS 250000000ull
#define STUCK_AFTER_NS 1000000000ull

static void watch_lines(struct chipset *cs)
{
	uint64_t now = sc_clock_now(cs->clock);
	unsigned g;

	if (now < cs->watch_next || pthread_mutex_trylock(&cs->watch_lock))
		return;
	if (now >= cs->watch_next) {
		cs->watch_next = now + WATCH_PERIOD_NS;
		for (g = 0; g < cs->ngsi; g++) {
			struct sc_board_gsi_status st;

			if (sc_board_gsi_status(&cs->board, g, &st) ||
			    !(st.entry & IOAPIC_REDIR_REMOTE_IRR)) {
				cs->rirr_since[g] = 0;
				continue;
			}
			if (!cs->rirr_since[g] || st.deliveries != cs->rirr_deliveries[g]) {
				cs->rirr_since[g] = now ? now : 1;
				cs->rirr_deliveries[g] = st.deliveries;
			}
		}
	}
	pthread_mutex_unlock(&cs->watch_lock);
}

void chipset_poll(struct chipset *cs)
{
	int want;

	if (cs->split)
		watch_lines(cs);
	want = atomic_load(&cs->want_affinity);

	if (want < 0)
		return;
	if (atomic_compare_exchange_strong(&cs->want_affinity, &want, -1) &&
	    want != cs->affinity) {
		cs->affinity = want;
		sc_board_set_timer_affinity(&cs->board, want);
	}
}

void chipset_get_pit_delivered(struct chipset *cs, uint64_t *delivered)
{
	struct sc_tick_stats st;

	*delivered = sc_board_tick_stats(&cs->board, 0, &st) == 0 ? st.delivered : 0;
}

uint8_t chipset_ioapic_version(struct chipset *cs)
{
	return cs->ioapic_version;
}

uint32_t chipset_hpet_block_id(struct chipset *cs)
{
	return cs->hpet_id;
}

void chipset_get_stats(struct chipset *cs, struct chipset_stats *st)
{
	unsigned i, g;

	memset(st, 0, sizeof(*st));
	st->ngsi = cs->split ? cs->ngsi : 24;
	for (g = 0; g < st->ngsi && g < SC_BOARD_MAX_GSIS; g++)
		st->gsi_irqs[g] = cs->board.stats.gsi_raised[g];
	st->tick_acks_eoi = cs->board.stats.tick_acks_eoi;
	st->tick_acks_inta = cs->board.stats.tick_acks_inta;
	st->tick_acks_auto = cs->board.stats.tick_acks_auto;
	pthread_mutex_lock(&cs->route_lock);
	st->route_updates = cs->route_updates;
	for (g = 0; g < 8; g++)
		st->msi_dm[g] = atomic_load_explicit(&cs->msi_dm[g], memory_order_relaxed);
	st->ghosts_made = cs->ghosts_made;
	st->ghosts_dropped = cs->ghosts_dropped;
	for (g = 0; g < cs->ngsi; g++)
		st->ghosts_live += cs->ghost_on[g];
	pthread_mutex_unlock(&cs->route_lock);
	/* level lines with remote IRR set and no delivery for STUCK_AFTER_NS */
	pthread_mutex_lock(&cs->watch_lock);
	for (g = 0; g < cs->ngsi && st->nstuck < CHIPSET_MAX_STUCK; g++) {
		uint64_t now = sc_clock_now(cs->clock);
		struct sc_board_gsi_status gs;

		if (!cs->rirr_since[g] || now - cs->rirr_since[g] < STUCK_AFTER_NS ||
		    sc_board_gsi_status(&cs->board, g, &gs) || !(gs.entry & IOAPIC_REDIR_REMOTE_IRR) ||
		    gs.deliveries != cs->rirr_deliveries[g])
			continue;
		st->stuck[st->nstuck].gsi = g;
		st->stuck[st->nstuck].vector = (uint8_t)(gs.entry & IOAPIC_REDIR_VECTOR_MASK);
		st->stuck[st->nstuck].delivered_vector = gs.delivered_vector;
		st->stuck[st->nstuck].dest = (uint8_t)(gs.entry >> IOAPIC_REDIR_DEST_SHIFT);
		st->stuck[st->nstuck].logical = (gs.entry & IOAPIC_REDIR_DESTMOD) != 0;
		st->stuck[st->nstuck].line = gs.line;
		st->stuck[st->nstuck].ms = (now - cs->rirr_since[g]) / 1000000;
		st->nstuck++;
	}
	pthread_mutex_unlock(&cs->watch_lock);
	for (i = 0; i < 2 + SC_HPET_MAX_TIMERS && st->ntick < sizeof(st->tick) / sizeof(st->tick[0]); i++) {
		struct sc_tick_stats t;

		if (sc_board_tick_stats(&cs->board, i, &t))
			continue;
		if (i == 0)
			snprintf(st->tick_name[st->ntick], sizeof(st->tick_name[0]), "pit");
		else if (i == 1)
			snprintf(st->tick_name[st->ntick], sizeof(st->tick_name[0]), "rtc");
		else
			snprintf(st->tick_name[st->ntick], sizeof(st->tick_name[0]), "hpet%u", i - 2);
		st->tick[st->ntick++] = t;
	}
}
