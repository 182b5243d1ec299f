/* SPDX-License-Identifier: MIT */
/*
 * Intel 8254 Programmable Interval Timer (PIT), as wired in a PC:
 * three counters clocked at 1193182 Hz, ports 0x40-0x42 (counters 0-2),
 * 0x43 (control word), and the PC "port B" at 0x61 (gate of counter 2,
 * speaker data, OUT2, refresh toggle).
 *
 * Ports:
 *   0x40..0x42  counter 0..2: count writes (LSB / MSB / LSB then MSB per the
 *               RW field, one write flip-flop per counter) and reads (count
 *               or latched count, one read flip-flop per counter; a latched
 *               status byte is returned first).
 *   0x43        control word (8254 "Control Word Format"): SC1:SC0 counter
 *               (3 = read-back), RW1:RW0 (0 = counter latch command),
 *               M2:M0 mode (6/7 alias 2/3, the status reports the bits as
 *               written), BCD.  Reads return 0xff (the register is
 *               write-only).
 *               Read-back (8254 "Read-Back Command"): 0xC0 | !COUNT << 5 |
 *               !STATUS << 4 | CNT2 << 3 | CNT1 << 2 | CNT0 << 1.  Each
 *               selected counter latches its count and/or status; a latch
 *               that is already held (not yet read) is left alone.
 *               Status byte: OUT << 7 | NULL COUNT << 6 | RW << 4 |
 *               M2:M0 << 1 | BCD.
 *   0x61        bit 0 gate of counter 2 (R/W), bit 1 speaker data (R/W,
 *               stored only), bits 2-3 stored (parity/IOCHK enables),
 *               bit 4 refresh request: toggles every 18 PIT clocks
 *               (~15.1 us, the refresh period a PC BIOS programs into
 *               counter 1) from virtual time, bit 5 OUT2 (read-only),
 *               bits 6-7 read 0.  Writes to bits 4-7 are ignored.
 *   Any other port reads 0xff and ignores writes.
 *
 * Counting (8254 "Modes" 0-5) is computed from virtual time, never by
 * ticking.  The 1193182 Hz input clock has its falling edges on a global
 * grid: edge k happens at virtual time ceil(k * 1e9 / 1193182) ns.  A count
 * written by the guest is loaded into the counting element on the next
 * edge (the datasheet's "loaded on the next CLK pulse"), so with an initial
 * count N:
 *   mode 0  OUT low from the control word / count write; high N + 1 clocks
 *           after the write (count reached 0), stays high; the counter keeps
 *           decrementing and wraps (0xFFFF / 9999).  A new count restarts
 *           counting; the first byte of a two-byte count stops counting and
 *           drives OUT low at once.  GATE low suspends counting.
 *   mode 1  OUT low on the clock after a GATE rising edge (trigger), high
 *           when the count reaches 0 (N clocks).  Retriggerable; a new count
 *           is used at the next trigger.
 *   mode 2  OUT low for one clock when the count reaches 1, then reload;
 *           period N clocks.  A new count takes effect at the next reload.
 *           GATE low stops counting and forces OUT high; GATE rising
 *           reloads on the next clock.
 *   mode 3  square wave, period N: even N high N/2 / low N/2 (decrement by
 *           2), odd N high (N+1)/2 / low (N-1)/2 (8254 datasheet: first
 *           clock of the high half decrements by 1, of the low half by 3).
 *           A new count takes effect at the end of the current half-cycle.
 *           GATE as mode 2.
 *   mode 4  OUT high; low for one clock N + 1 clocks after the count write.
 *           A new count restarts.  GATE low suspends counting.
 *   mode 5  as mode 4 but started (and restarted) by a GATE rising edge.
 * Count 0 means 65536 (binary) or 10000 (BCD).  A count of 1 is illegal in
 * modes 2 and 3 (8254 minimum initial count 2); the model counts it with a
 * period of one clock (OUT stays low in mode 2, high in mode 3).
 * Null count (status bit 6) is set by a control word and by a complete
 * count write, cleared when the count register is transferred to the
 * counting element.  A control word resets the flip-flops and drops any
 * held count/status latch (the 8254 "resets all control logic").
 * Counter 0's gate is tied high (PC wiring): sc_pit_set_gate() refuses it,
 * so modes 1 and 5 never start on counter 0.  Counter 2's gate is port 0x61
 * bit 0 (also settable with sc_pit_set_gate()).  After reset every counter
 * is in mode 3, LSB-then-MSB, binary, with no count (OUT high, null count).
 *
 * Interrupts: only counter 0 has an output wire, @out0, which carries the
 * interrupt moments of OUT0 for an edge-sensitive consumer (the board wires
 * it to PIC IRQ0 and IOAPIC pin 2); one rising edge = one interrupt:
 *   mode 0      the wire is low after the control word / count write and
 *               goes high at terminal count (a plain sc_timer), staying
 *               high until the next control word or count write - the real
 *               OUT0 level.
 *   modes 2, 3  the wire rests low; the tick engine (sc_pit_tick()) calls
 *               back once per delivered tick and the PIT pulses the wire
 *               high then low.  Ticks fall on the rising edges of the real
 *               OUT0 (mode 2: end of the low clock; mode 3: start of each
 *               high half).  The owner acknowledges ticks with
 *               sc_tick_ack(sc_pit_tick(pit)) (PIC INTA/EOI, IOAPIC EOI).
 *   modes 1, 4, 5  the wire rests low and is pulsed high then low at the
 *               rising edge of OUT0 (end of the one-shot / of the strobe),
 *               from a plain sc_timer.
 * A control word drives the wire low (no edge), so reprogramming never
 * produces a spurious interrupt.  The guest-visible OUT (read-back status,
 * 0x61 bit 5) always follows the datasheet waveform from virtual time.
 * Ticks land exactly on the clock edges of the OUT0 rising edges: N clocks
 * are not a whole number of ns, so at every delivery the PIT sets the
 * spacing of the following boundary to the exact edge difference
 * (sc_tick_set_period), and the grid never drifts from the counter the
 * guest reads.  A period below SC_PIT_MIN_TICK_NS is raised to it: a guest
 * programming a tiny count gets exact counter reads and OUT levels but at
 * most 1e9 / SC_PIT_MIN_TICK_NS interrupts per second of virtual time (host
 * protection; no known guest needs faster).
 *
 * The tick starts with policy SC_TICK_DISCARD (sc_pit_set_policy() changes
 * it; sc_pit_reset() keeps it).
 *
 * Where the model departs from (or fills gaps in) the datasheet:
 *   - the OUT0 wire carries interrupt moments, not the OUT0 waveform, in
 *     modes 1-5 (above): the board counts rising edges as ticks, and no
 *     guest can observe the wire, only the chip's OUT;
 *   - the interrupt ceiling SC_PIT_MIN_TICK_NS (host protection);
 *   - before a scheduled load (the clock edge after a count write or a
 *     trigger) the counter reads the value it had when the load was
 *     scheduled (the datasheet leaves it undefined);
 *   - mode 3 odd counts read as the Intel 8254 datasheet describes (N, N-1,
 *     N-3, ... high; N, N-3, ... low); the 82C54 text (N-1 loaded) gives the
 *     same OUT waveform with other readings;
 *   - a control word drops held latches (the datasheet is silent).
 * sc_pit_restore() takes over the saved wire level without driving it: the
 * consumers (PIC, IOAPIC) restore their own view of the line.
 *
 * The chip is not thread-safe: its owner serialises every call, including
 * the clock callbacks (timer and tick) that the chip registers.
 */
#ifndef SPLITCHIP_PIT_H
#define SPLITCHIP_PIT_H

#include <splitchip/clock.h>
#include <splitchip/tick.h>
#include <splitchip/types.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_PIT_FREQ_HZ          1193182u
#define SC_PIT_CHANNELS         3u
#define SC_PIT_MIN_TICK_NS      50000u  /* 20 kHz interrupt ceiling */

/* I/O ports. */
#define PIT_PORT_COUNTER0       0x40u
#define PIT_PORT_COUNTER1       0x41u
#define PIT_PORT_COUNTER2       0x42u
#define PIT_PORT_CONTROL        0x43u
#define PIT_PORT_B              0x61u   /* NMI status and control */

/* Control word (8254 "Control Word Format"). */
#define PIT_CW_SC_SHIFT         6
#define PIT_CW_SC_READBACK      3u
#define PIT_CW_RW_SHIFT         4
#define PIT_CW_RW_MASK          (3u << PIT_CW_RW_SHIFT)
#define PIT_CW_RW_LATCH         0u
#define PIT_CW_RW_LSB           1u
#define PIT_CW_RW_MSB           2u
#define PIT_CW_RW_WORD          3u
#define PIT_CW_M_SHIFT          1
#define PIT_CW_M_MASK           (7u << PIT_CW_M_SHIFT)
#define PIT_CW_BCD              0x01u

/* Read-back command (8254 "Read-Back Command"). */
#define PIT_RB_COUNT_N          (1u << 5)   /* 0 = latch count */
#define PIT_RB_STATUS_N         (1u << 4)   /* 0 = latch status */
#define PIT_RB_CNT(n)           (1u << (1 + (n)))

/* Status byte (8254 "Status Byte"). */
#define PIT_STATUS_OUT          0x80u
#define PIT_STATUS_NULL_COUNT   0x40u

/* Port 0x61. */
#define PORT61_GATE2            0x01u
#define PORT61_SPKR_DATA        0x02u
#define PORT61_STORED_MASK      0x0fu
#define PORT61_REFRESH          0x10u
#define PORT61_OUT2             0x20u
#define PORT61_REFRESH_CLOCKS   18u

struct sc_pit_channel {
	/* programming */
	uint8_t mode;           /* M2:M0 as written (0..7) */
	uint8_t rw;             /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	bool write_msb;         /* write flip-flop: next write is the MSB */
	bool read_msb;          /* read flip-flop: next read is the MSB */
	uint8_t cr_lsb;         /* LSB of a two-byte count being written */
	uint16_t cr;            /* count register (raw, BCD if bcd) */
	bool cr_written;        /* a count was written since the control word */
	bool null_count;
	bool gate;
	/* latches */
	bool ol_latched;
	uint16_t ol;            /* output latch (raw, BCD if bcd) */
	bool status_latched;
	uint8_t status;
	/* counting element */
	bool loaded;            /* a run is defined (from run_edge) */
	bool load_pending;      /* CR -> CE transfer scheduled at load_edge */
	uint64_t load_edge;
	bool counting;          /* gate lets the run count */
	uint64_t run_edge;      /* clocks count from the edge after this one */
	uint64_t counted;       /* clocks counted before run_edge */
	uint32_t n;             /* count of the run, clocks (1..65536) */
	uint32_t phase;         /* mode 3: position in the period at run start */
	bool cr_pending;        /* modes 2/3: new count waiting for a reload */
	uint64_t pending_edge;  /* ... at this edge (UINT64_MAX: at the trigger) */
	bool pending_low;       /* mode 3: new run starts in the low half */
	uint16_t ce_hold;       /* CE value while no run / before a load */
	bool out_hold;          /* OUT while no run / before a load */
};

struct sc_pit {
	struct sc_clock *clock;
	struct sc_line out0;
	const struct sc_trace *trace;
	struct sc_pit_channel ch[SC_PIT_CHANNELS];
	uint8_t port61;         /* stored bits 3:0 */
	bool out0_level;        /* level last driven on @out0 */
	struct sc_timer timer;  /* counter 0 one-shot event (modes 0, 1, 4, 5) */
	struct sc_tick tick;    /* counter 0 periodic interrupts (modes 2, 3) */
	uint64_t tick_edge0;    /* a rising edge of the tick grid (clock edge) */
	uint32_t tick_n;        /* grid spacing in clocks; 0 = not resynced */
	int affinity;
};

/* The 8254 input clock grid ("Counting" above): the number of input clock
 * edges up to virtual time @ns, and the virtual time of edge @k
 * (ceil(k * 1e9 / SC_PIT_FREQ_HZ), saturating).  For VMMs converting PIT
 * state to other time bases (splitchip/kvm_state.h). */
uint64_t sc_pit_clock_edges(uint64_t ns);
uint64_t sc_pit_edge_time(uint64_t k);

void sc_pit_init(struct sc_pit *pit, struct sc_clock *clock,
		 const struct sc_line *out0, const struct sc_trace *trace);
/* Power-on state; stops the timer and the tick, drives @out0 low. */
void sc_pit_reset(struct sc_pit *pit);

/* Byte accesses to ports 0x40-0x43 and 0x61; others read 0xff. */
uint8_t sc_pit_ioport_read(struct sc_pit *pit, uint16_t port);
void sc_pit_ioport_write(struct sc_pit *pit, uint16_t port, uint8_t val);

/* GATE input of counter 1 or 2 (0 is tied high): 0 or -EINVAL. */
int sc_pit_set_gate(struct sc_pit *pit, unsigned channel, bool gate);
/* OUT level of a counter now (datasheet waveform); false if channel > 2. */
bool sc_pit_get_out(struct sc_pit *pit, unsigned channel);

void sc_pit_set_policy(struct sc_pit *pit, enum sc_tick_policy p);
/* vCPU that takes IRQ0 (timer follows the vCPU); -1 = any. */
void sc_pit_set_affinity(struct sc_pit *pit, int vcpu);
/* Counter 0's tick: the board acks it and reads its stats. */
struct sc_tick *sc_pit_tick(struct sc_pit *pit);

/* ---- save/restore ---- */
struct sc_pit_channel_state_v1 {
	uint64_t load_time;     /* virtual ns of the pending load edge */
	uint64_t run_time;      /* virtual ns of run_edge */
	uint64_t pending_time;  /* virtual ns of pending_edge, UINT64_MAX none */
	uint64_t counted;
	uint32_t n;
	uint32_t phase;
	uint16_t cr;
	uint16_t ol;
	uint16_t ce_hold;
	uint8_t mode;
	uint8_t rw;
	uint8_t bcd;
	uint8_t write_msb;
	uint8_t read_msb;
	uint8_t cr_lsb;
	uint8_t cr_written;
	uint8_t null_count;
	uint8_t gate;
	uint8_t ol_latched;
	uint8_t status_latched;
	uint8_t status;
	uint8_t loaded;
	uint8_t load_pending;
	uint8_t counting;
	uint8_t cr_pending;
	uint8_t pending_low;
	uint8_t out_hold;
};

struct sc_pit_state_v1 {
	uint32_t version;       /* 1 */
	uint8_t port61;
	uint8_t out0_level;
	uint8_t pad[2];
	uint64_t timer_deadline; /* counter 0 one-shot event, 0 = not armed */
	uint64_t tick_edge0_time; /* virtual ns of a rising edge of the tick grid */
	uint32_t tick_n;        /* grid spacing in clocks, 0 = none */
	uint32_t pad2;
	struct sc_pit_channel_state_v1 ch[SC_PIT_CHANNELS];
	struct sc_tick_state_v1 tick;
};

void sc_pit_save(const struct sc_pit *pit, struct sc_pit_state_v1 *s);
int sc_pit_validate(const struct sc_pit_state_v1 *s);
/* Validates first: -EINVAL and the chip untouched on any bad field. */
int sc_pit_restore(struct sc_pit *pit, const struct sc_pit_state_v1 *s);

#ifdef __cplusplus
}
#endif
#endif
