/* SPDX-License-Identifier: MIT */
/*
 * State interop with KVM's in-kernel irqchip (libsplitchip-kvm).
 *
 * Conversions between libsplitchip's versioned chip states and the structs
 * of KVM_GET_IRQCHIP / KVM_SET_IRQCHIP (struct kvm_pic_state for chip_id 0
 * master and 1 slave, struct kvm_ioapic_state for chip_id 2) and
 * KVM_GET_PIT2 / KVM_SET_PIT2 (struct kvm_pit_state2), both directions, so
 * a VMM can move a VM between KVM's chips and libsplitchip's (mode switch,
 * cross-mode snapshot: issue 15).  Field meanings on the KVM side are taken
 * from <asm/kvm.h> and from what Linux's arch/x86/kvm i8259.c, ioapic.c and
 * i8254.c do with them (named "KVM" below).
 *
 * Rules common to every function:
 *   - Every output is written only on success; on -EINVAL it is untouched.
 *   - A state that cannot be expressed on the other side is refused with
 *     -EINVAL, never approximated, except for the "dropped" items listed
 *     per chip, which have no effect on what the guest can observe in the
 *     model that receives them (write-only bits both models ignore,
 *     statistics, host options).
 *   - Conversions into libsplitchip finish with sc_<chip>_validate().
 *   - Nothing reads a clock: the PIT conversions take the relation between
 *     the VM's virtual time and the host's CLOCK_MONOTONIC as a parameter.
 *   - libsplitchip -> KVM -> libsplitchip gives back an identical state for
 *     every state the KVM side can express (the "canonical" states the
 *     *_from_kvm functions produce); KVM -> libsplitchip -> KVM gives back an
 *     identical struct, except for count_load_time of PIT channels, which
 *     is snapped to the 8254 input clock grid (below).
 *
 * The KVM structs and the chip states are only declared here (so that this
 * header compiles from C++ although splitchip/ioapic.h does not yet);
 * include <linux/kvm.h> and splitchip/<chip>.h to use them.
 */
#ifndef SPLITCHIP_KVM_STATE_H
#define SPLITCHIP_KVM_STATE_H

#include <splitchip/tick.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kvm_pic_state;
struct kvm_ioapic_state;
struct kvm_pit_state2;
struct sc_pic_state_v1;
struct sc_ioapic_state_v1;
struct sc_pit_state_v1;

/* ---------------------------------------------------------------- PIC */
/*
 * sc_pic_state_v1 (both 8259As) <-> two kvm_pic_state (chip_id 0 master,
 * chip_id 1 slave).
 *
 * Field map (8259A datasheet names; KVM field in brackets):
 *   IRR [irr], ISR [isr], IMR [imr], priority_add [priority_add],
 *   init_state 0 ready / 1..3 expecting ICW2..ICW4 [init_state, same
 *   encoding], OCW3 RR/RIS [read_reg_select], OCW3 P [poll], OCW3 SMM
 *   [special_mask], rotate in AEOI [rotate_on_auto_eoi], ICW1 IC4 [init4],
 *   ICW2 T7-T3 [irq_base], ICW4 AEOI [auto_eoi], ICW4 SFNM
 *   [special_fully_nested_mode], ELCR [elcr, elcr_mask = 0xf8 / 0xde].
 *   Input levels [last_irr]: KVM's edge detector remembers the level it was
 *   last driven with; libsplitchip's line.  Edge sense latch (elatch): KVM
 *   has none of its own: a low input is armed, a high edge input is armed
 *   exactly while its request is pending (IRR), a level input is armed.
 *   Master IR2 (cascade): KVM pulses it (last_irr bit 2 is always 0); the
 *   libsplitchip line follows the slave's INT output, recomputed here.
 *
 * sc_kvm_pic_to_kvm refuses (-EINVAL):
 *   - an invalid state (sc_pic_validate);
 *   - ICW1 LTIM (KVM takes the trigger mode from the ELCR only);
 *   - ICW1 SNGL, or ICW3 other than the PC/AT cascade (master 0x04, slave
 *     ID 2): KVM's pair is always cascaded on master IR2.
 * and drops: ICW1 ADI and A7-A5, ICW2 T2-T0, ICW4 uPM, BUF and M/S (stored,
 * no effect in libsplitchip: vectors are formed the 8086 way), the
 * latch_edges option (KVM always latches edge requests), the disarmed edge
 * latch of a level input acknowledged while high (matters only if the ELCR
 * later makes it edge triggered).
 *
 * sc_kvm_pic_from_kvm refuses (-EINVAL):
 *   - init_state > 3, read_reg_select/poll/special_mask/rotate_on_auto_eoi
 *     /init4/auto_eoi/special_fully_nested_mode > 1, elcr_mask other than
 *     0xf8 (master) / 0xde (slave), ELCR bits outside the mask;
 *   - auto_eoi or special_fully_nested_mode without init4 (no ICW4);
 *   - with @latch_edges false: an edge request whose input is low again
 *     (KVM latches it; the datasheet's transparent latch would drop it);
 *   - anything else sc_pic_validate refuses.
 * It produces ICW1 = SEL | IC4 as init4, ICW3 as wired, ICW4 = uPM | AEOI |
 * SFNM when init4, and latch_edges = @latch_edges (pass the option of the
 * PIC that will take the state; true behaves as KVM does).
 *
 * Restore: after KVM_SET_IRQCHIP or sc_pic_restore, drive every ISA line
 * again with the devices' current levels (KVM_IRQ_LINE or sc_board's line
 * calls): neither struct carries who drives a line.
 */
int sc_kvm_pic_to_kvm(const struct sc_pic_state_v1 *s,
		      struct kvm_pic_state *master, struct kvm_pic_state *slave);
int sc_kvm_pic_from_kvm(const struct kvm_pic_state *master,
			const struct kvm_pic_state *slave, bool latch_edges,
			struct sc_pic_state_v1 *s);

/* ---------------------------------------------------------------- IOAPIC */
/*
 * sc_ioapic_state_v1 <-> kvm_ioapic_state (chip_id 2).  KVM's in-kernel
 * IOAPIC is an 82093AA (version 0x11) with 24 pins at a fixed base.
 *
 * Field map: redirection entries [redirtbl[].bits, same 82093AA 3.2.4
 * layout], IOREGSEL [ioregsel], ID bits 27:24 [id, the 4-bit APIC ID],
 * asserted pins [irr bit n = electrical level of pin n XOR its polarity
 * (entry bit 13)], base [base_address = @base_address].
 *
 * sc_kvm_ioapic_to_kvm refuses (-EINVAL):
 *   - an invalid state (sc_ioapic_validate);
 *   - pins != 24 (more cannot be expressed, fewer would change what the
 *     guest read in VER bits 23:16);
 *   - chip version 0x20 (the EOI register, the ID scratchpad bit: a guest
 *     that saw 0x20 may use the EOI register, which KVM's IOAPIC lacks).
 *     A VM that must be able to move to KVM's IOAPIC is created with
 *     version 0x11 and 24 pins;
 *   - ext_dest_id (KVM's entries have an 8-bit destination only);
 *   - an ARB register that differs from the ID (KVM reads ARB as the ID).
 * and drops: the EOI storm guard (storm_count, and retrigger: a deferred
 * level pin is asserted, unmasked and without remote IRR in the KVM struct,
 * delivered by KVM at the next line or EOI event; re-drive the lines, see
 * below), delivered_vector (statistics).
 *
 * sc_kvm_ioapic_from_kvm refuses (-EINVAL):
 *   - base_address != @base_address, ioregsel > 0xff, id > 15;
 *   - an entry with delivery status (bit 12) or reserved bits 17..55 set,
 *     or remote IRR on an edge entry (sc_ioapic_validate).
 * It produces pins 24, version 0x11, ext_dest_id 0, ARB = ID,
 * delivered_vector = the vector of entries with remote IRR, and marks a
 * level pin that is asserted, unmasked and without remote IRR (KVM did not
 * deliver it) as storm-deferred, so that sc_ioapic_retrigger() delivers it.
 * Restore it into an sc_ioapic configured with 24 pins, version 0x11,
 * ext_dest_id off and mmio_base @base_address; then call
 * sc_ioapic_retrigger() and drive the lines with the devices' levels.
 */
int sc_kvm_ioapic_to_kvm(const struct sc_ioapic_state_v1 *s, uint64_t base_address,
			 struct kvm_ioapic_state *k);
int sc_kvm_ioapic_from_kvm(const struct kvm_ioapic_state *k, uint64_t base_address,
			   struct sc_ioapic_state_v1 *s);

/* ---------------------------------------------------------------- PIT */
/*
 * One instant seen on both clocks: @virt_ns the VM's virtual time
 * (sc_clock_now of the PIT's clock), @host_ns the host's CLOCK_MONOTONIC
 * (ktime, what KVM's count_load_time is measured in), taken together while
 * the VM is stopped.  With sc_host_clock, virt = host - offset.
 */
struct sc_kvm_timebase {
	uint64_t virt_ns;
	int64_t host_ns;
};

/*
 * KVM's read/write flip-flop encoding in kvm_pit_channel_state read_state,
 * write_state and count_latched (Linux arch/x86/kvm/i8254.h RW_STATE_*).
 */
#define SC_KVM_PIT_RW_LSB    1u   /* LSB only */
#define SC_KVM_PIT_RW_MSB    2u   /* MSB only; also: latched word, MSB next */
#define SC_KVM_PIT_RW_WORD0  3u   /* LSB then MSB: LSB next */
#define SC_KVM_PIT_RW_WORD1  4u   /* LSB then MSB: MSB next */
/* kvm_pit_channel_state.mode of a channel never programmed since reset. */
#define SC_KVM_PIT_MODE_RESET 0xffu

/*
 * sc_pit_state_v1 <-> kvm_pit_state2.
 *
 * Time.  KVM describes a counter by its count [count, 1..65536] and the
 * host time its counting started [count_load_time, ns]; the counter is
 * count minus the input clocks elapsed since, whatever GATE does (KVM does
 * not suspend counting on GATE low; a GATE rising edge in modes 1, 2, 3, 5
 * restarts it).  libsplitchip counts clock edges of a global 1193182 Hz
 * grid in virtual time from the edge its count was loaded on.  A counting
 * channel maps to the load time of its current run, moved back by the
 * clocks counted before a GATE suspension and by a mode 3 phase, so KVM's
 * counter equals libsplitchip's at @t; back, count_load_time is mapped to
 * virtual time and rounded down to a clock edge (a KVM load time that is
 * not on the grid moves by less than one clock, 838 ns).  A channel whose
 * GATE is low (libsplitchip: held) is converted as counting on from its
 * held position at @t (what KVM does with GATE low); from KVM, a channel
 * with GATE low in modes 0, 2, 3, 4 is held at KVM's position at @t.
 *
 * Flip-flops and latches: rw_mode = RW, write_state/write_latch = the
 * write flip-flop and the LSB written, read_state = the read flip-flop,
 * count_latched/latched_count = the output latch (KVM keeps a separate
 * flip-flop for latched reads: WORD0 -> MSB -> none), status_latched/status
 * = the status latch, mode = M2:M0 with 6/7 folded to 2/3 (as KVM stores
 * it), bcd, gate.  flags: KVM_PIT_FLAGS_HPET_LEGACY = @hpet_legacy (the
 * HPET's LegacyReplacement route, state of the HPET, not of the PIT),
 * KVM_PIT_FLAGS_SPEAKER_DATA_ON = port 0x61 bit 1; port 0x61 bit 0 is
 * channel 2's gate.
 *
 * sc_kvm_pit_to_kvm first applies the transitions libsplitchip keeps lazily
 * (a count load or a mode 2/3 reload that is due by @t) and refuses
 * (-EINVAL):
 *   - an invalid state (sc_pit_validate);
 *   - a count written less than one input clock ago (its CR -> CE load is
 *     still pending; retry one clock, 838 ns of virtual time, later);
 *   - a mode 2/3 count waiting for the next reload / half-cycle end (KVM
 *     loads a new count at once);
 *   - a channel programmed by a control word with no count yet, or whose
 *     count waits for a GATE trigger, or (modes 1/5) a newer count waiting
 *     for the next trigger: KVM counts every written count at once;
 *   - write/read flip-flops set with RW other than LSB-then-MSB;
 *   - owed ticks (tick backlog > 0): KVM's reinjection count is not in
 *     kvm_pit_state2.  Let the guest take them, or drop them explicitly;
 *   - port 0x61 bits 2-3 (parity/IOCHK enables): no KVM field.  With
 *     KVM_PIT_SPEAKER_DUMMY the VMM owns port 0x61 in kernel mode and keeps
 *     them itself; clear them in the state after taking them.
 * A channel in its reset state (no control word or count since reset, or
 * a control word for mode 3 LSB-then-MSB binary only) maps to KVM's reset
 * channel (mode 0xff, count 65536, rw_mode/read_state/write_state 0).
 * Dropped: mode bit M2 of modes 6/7 (status read-back then shows 2/3), the
 * NULL COUNT bit after a load (always 0 then), the tick engine's policy,
 * in-flight flag and statistics (set KVM_REINJECT_CONTROL from the policy:
 * delay -> reinject on, discard -> off), out0_level and the one-shot
 * timer (KVM derives them from the counter).
 * KVM_SET_PIT2 (Linux kvm_vm_ioctl_set_pit2) reloads every channel's count
 * at the time of the call, so count_load_time does not survive the ioctl:
 * the phase of the current period, and a mode 0 count that already reached
 * terminal count, start over in KVM.
 *
 * sc_kvm_pit_from_kvm refuses (-EINVAL):
 *   - flags other than HPET_LEGACY / SPEAKER_DATA_ON, nonzero reserved[];
 *   - mode > 5 other than 0xff; for mode 0xff: rw_mode, read_state,
 *     write_state or a latch set; count 0 or > 65536; rw_mode not 1..3;
 *     read_state/write_state/count_latched not consistent with rw_mode
 *     (e.g. a count latched after the LSB of a live read: libsplitchip has
 *     one read flip-flop per counter);
 *   - count_load_time later than @t;
 *   - anything else sc_pit_validate refuses (e.g. channel 0 GATE low).
 * It produces canonical channels (loaded at the computed edge, phase 0,
 * no pending load or count, ce_hold/out_hold 0), counter 0's OUT0 outputs
 * (the one-shot timer armed for a terminal count after @t, out0_level set
 * after a mode 0 terminal count; in modes 2/3 the tick running with its
 * next rising edge after @t, nothing owed or in flight, @policy, default
 * backlog bound and catch-up speedup), port 0x61 from gate 2 and the
 * speaker flag, and *@hpet_legacy (may be NULL) from the flag: configure
 * the HPET's LegacyReplacement route to match.
 */
int sc_kvm_pit_to_kvm(const struct sc_pit_state_v1 *s, const struct sc_kvm_timebase *t,
		      bool hpet_legacy, struct kvm_pit_state2 *k);
int sc_kvm_pit_from_kvm(const struct kvm_pit_state2 *k, const struct sc_kvm_timebase *t,
			enum sc_tick_policy policy, struct sc_pit_state_v1 *s,
			bool *hpet_legacy);

#ifdef __cplusplus
}
#endif
#endif
