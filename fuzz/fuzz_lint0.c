/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the LINT0 virtual wire (splitchip/kvm_lint0.h).
 * The input is a sequence of vCPU visits: INT level, new rising edges, the
 * APIC's hardware enable, ready_for_interrupt_injection, the LVT0 KVM would
 * return, the time step.  After every visit the decision is checked against
 * the SDM 11.5.1 mode table, NMIs against the edges, and the sample's age
 * against SC_KVM_LINT0_REFRESH_NS while INT is high.  A violation traps.
 */
#include <splitchip/kvm_lint0.h>

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static const uint32_t lvt0s[8] = {
	SC_LVT_DM_EXTINT, SC_LVT_DM_EXTINT | SC_LVT_MASKED, SC_LVT_DM_NMI,
	SC_LVT_DM_NMI | SC_LVT_MASKED, 0x000, 0x200, 0x5700, 0x0400,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_kvm_lint0 l;
	uint64_t now = 0, edges = 0;

	sc_kvm_lint0_init(&l);
	for (size_t i = 0; i + 3 <= size && i < 3 * 4096; i += 3) {
		uint8_t f = data[i], sel = data[i + 1], dt = data[i + 2];
		uint64_t new_edges = f & 3;
		struct sc_kvm_lint0_input in = {
			.int_level = (f & 4) != 0 || new_edges,
			.int_edges = edges + new_edges,
			.apic_hw_enabled = (f & 8) == 0,
			.ready = (f & 16) != 0,
		};
		uint32_t lvt0 = lvt0s[sel & 7];

		/* time steps up to ~25 ms, mostly small */
		now += (uint64_t)dt * ((f & 32) ? 100000u : 1000u);
		in.now_ns = now;
		bool edge = in.int_edges != l.edges_seen;
		bool sampled = false;
		if (sc_kvm_lint0_needs_sample(&l, &in)) {
			sc_kvm_lint0_sampled(&l, lvt0, now);
			sampled = true;
		}
		/* every edge is sampled; while INT is high no sample is too old */
		check(!edge || sampled);
		check(!in.int_level || !sc_kvm_lint0_stale(&l, now));
		uint32_t used = l.lvt0;
		bool masked = (used & SC_LVT_MASKED) != 0;
		uint32_t dm = used & SC_LVT_DM_MASK;
		bool intr = !in.apic_hw_enabled || (!masked && dm == SC_LVT_DM_EXTINT);
		bool nmi = in.apic_hw_enabled && !masked && dm == SC_LVT_DM_NMI;
		enum sc_kvm_lint0_action a = sc_kvm_lint0_decide(&l, &in);

		check(l.edges_seen == in.int_edges);
		check(sc_kvm_lint0_takes_pic(used) == (!masked && (dm == SC_LVT_DM_EXTINT ||
								    dm == SC_LVT_DM_NMI)));
		switch (a) {
		case SC_KVM_LINT0_NMI:
			check(in.int_level && nmi && edge);
			break;
		case SC_KVM_LINT0_EXTINT:
			check(in.int_level && intr && in.ready);
			break;
		case SC_KVM_LINT0_WINDOW:
			check(in.int_level && intr && !in.ready);
			break;
		case SC_KVM_LINT0_NONE:
			check(!in.int_level || (!intr && !(nmi && edge)));
			break;
		default:
			check(false);
		}
		edges = in.int_edges;
	}
	return 0;
}
