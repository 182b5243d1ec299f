/* SPDX-License-Identifier: MIT */
/*
 * libsplitchip-kvm: LINT0 in virtual-wire mode, as a pure decision (issue 14).
 *
 * In split irqchip mode the 8259A lives in userspace and KVM's local APIC in
 * the kernel.  The PIC's INT output reaches a vCPU through its LINT0 pin, in
 * the mode the vCPU's LVT0 holds (Intel SDM vol. 3, 11.5.1 "Local Vector
 * Table"; MP spec 1.4, 3.6.2.2 "Virtual Wire Mode"):
 *   - ExtINT, unmasked: INTR.  The CPU runs an INTA cycle when it can take
 *     an external interrupt (RFLAGS.IF=1, no interrupt shadow): the VMM
 *     acknowledges the PIC and injects the vector with KVM_INTERRUPT, or
 *     asks for an interrupt-window exit (request_interrupt_window);
 *   - NMI, unmasked: edge-sensitive, one NMI (KVM_NMI) per rising INT, no
 *     INTA cycle;
 *   - masked, or any other mode: LINT0 takes nothing;
 *   - APIC hardware-disabled (IA32_APIC_BASE bit 11 clear): LINT0 is INTR
 *     whatever LVT0 holds (SDM 11.4.3).
 * KVM's LAPIC keeps LVT0; userspace reads it with KVM_GET_LAPIC, on the
 * vCPU's own thread.  These functions say when to read it and what to do
 * with INT; they do no ioctl, read no clock and keep no globals: the
 * caller passes the time and does the ioctls (splitvm: vmm/vm.c).
 *
 * Sampling rule.  LVT0 is read again on every new rising edge of INT, when
 * it was never read, and while INT is high whenever the sample is older
 * than SC_KVM_LINT0_REFRESH_NS: INT can stay high across LVT0 changes with
 * no new edge (Linux's setup_local_APIC() soft-disables the APIC, which
 * masks every LVT, SDM 11.4.7.2, then writes LVT0 = ExtINT again while IRQ 0
 * is pending), and a sample taken while masked must not outlive that bound.
 * A VMM whose vCPU sits in KVM_RUN must kick it at least that often while
 * INT is high and its sample is stale (sc_kvm_lint0_stale).
 *
 * Threading: one struct sc_kvm_lint0 per vCPU, used by that vCPU's thread
 * only; sc_kvm_lint0_takes_pic() is a pure function of an LVT0 value.
 */
#ifndef SPLITCHIP_KVM_LINT0_H
#define SPLITCHIP_KVM_LINT0_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_KVM_LINT0_REFRESH_NS 10000000ull   /* 10 ms */

/* LVT0 fields (SDM 11.5.1, Figure 11-8) */
#define SC_LVT_MASKED       (1u << 16)
#define SC_LVT_DM_MASK      (7u << 8)
#define SC_LVT_DM_NMI       (4u << 8)
#define SC_LVT_DM_EXTINT    (7u << 8)

struct sc_kvm_lint0 {
	uint32_t lvt0;          /* the last sample */
	bool sampled;           /* lvt0 holds a sample */
	uint64_t sampled_ns;    /* the caller's time of that sample */
	uint64_t edges_seen;    /* INT rising edges this vCPU has presented */
};

enum sc_kvm_lint0_action {
	SC_KVM_LINT0_NONE,      /* nothing; clear request_interrupt_window */
	SC_KVM_LINT0_NMI,       /* KVM_NMI now */
	SC_KVM_LINT0_EXTINT,    /* INTA the PIC now, KVM_INTERRUPT its vector */
	SC_KVM_LINT0_WINDOW,    /* set request_interrupt_window and wait */
};

struct sc_kvm_lint0_input {
	bool int_level;         /* the PIC's INT output now */
	uint64_t int_edges;     /* rising edges of INT so far (a counter) */
	bool apic_hw_enabled;   /* IA32_APIC_BASE bit 11 (kvm_run.apic_base) */
	bool ready;             /* kvm_run.ready_for_interrupt_injection */
	uint64_t now_ns;        /* caller's clock, same base as sampled_ns */
};

void sc_kvm_lint0_init(struct sc_kvm_lint0 *l);

/* Must LVT0 be read (KVM_GET_LAPIC) before sc_kvm_lint0_decide()? */
bool sc_kvm_lint0_needs_sample(const struct sc_kvm_lint0 *l, const struct sc_kvm_lint0_input *in);

/* Is the sample older than SC_KVM_LINT0_REFRESH_NS (or missing) at @now_ns? */
bool sc_kvm_lint0_stale(const struct sc_kvm_lint0 *l, uint64_t now_ns);

/* Record LVT0 as read at @now_ns. */
void sc_kvm_lint0_sampled(struct sc_kvm_lint0 *l, uint32_t lvt0, uint64_t now_ns);

/*
 * What to do with INT now.  Consumes the new edges (an NMI-mode LINT0 gets
 * one NMI for any number of edges since the last call: they merged while
 * the vCPU was away, as on the wire).  Without a sample, LINT0 counts as
 * masked.  EXTINT: the caller INTAs the PIC; when the PIC has nothing (a
 * withdrawn request) it injects nothing.
 */
enum sc_kvm_lint0_action sc_kvm_lint0_decide(struct sc_kvm_lint0 *l, const struct sc_kvm_lint0_input *in);

/* Does an LVT0 value take the PIC's INT at all (unmasked ExtINT or NMI)? */
bool sc_kvm_lint0_takes_pic(uint32_t lvt0);

#ifdef __cplusplus
}
#endif
#endif
