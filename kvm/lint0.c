/* SPDX-License-Identifier: MIT */
/*
 * LINT0 in virtual-wire mode: when to sample LVT0 and what to do with the
 * 8259A's INT (include/splitchip/kvm_lint0.h has the rules and sources).
 */
#include <splitchip/kvm_lint0.h>

#include <string.h>

void sc_kvm_lint0_init(struct sc_kvm_lint0 *l)
{
	memset(l, 0, sizeof(*l));
	l->lvt0 = SC_LVT_MASKED;   /* SDM 11.4.7.1: LVTs reset masked */
}

bool sc_kvm_lint0_stale(const struct sc_kvm_lint0 *l, uint64_t now_ns)
{
	/* a clock that went back counts as stale too (unsigned difference) */
	return !l->sampled || now_ns - l->sampled_ns >= SC_KVM_LINT0_REFRESH_NS;
}

bool sc_kvm_lint0_needs_sample(const struct sc_kvm_lint0 *l, const struct sc_kvm_lint0_input *in)
{
	if (!l->sampled || in->int_edges != l->edges_seen)
		return true;
	return in->int_level && sc_kvm_lint0_stale(l, in->now_ns);
}

void sc_kvm_lint0_sampled(struct sc_kvm_lint0 *l, uint32_t lvt0, uint64_t now_ns)
{
	l->lvt0 = lvt0;
	l->sampled = true;
	l->sampled_ns = now_ns;
}

static bool lvt0_mode(uint32_t lvt0, uint32_t dm)
{
	return !(lvt0 & SC_LVT_MASKED) && (lvt0 & SC_LVT_DM_MASK) == dm;
}

bool sc_kvm_lint0_takes_pic(uint32_t lvt0)
{
	return lvt0_mode(lvt0, SC_LVT_DM_EXTINT) || lvt0_mode(lvt0, SC_LVT_DM_NMI);
}

enum sc_kvm_lint0_action sc_kvm_lint0_decide(struct sc_kvm_lint0 *l, const struct sc_kvm_lint0_input *in)
{
	bool edge = in->int_edges != l->edges_seen;
	uint32_t lvt0 = l->sampled ? l->lvt0 : SC_LVT_MASKED;

	l->edges_seen = in->int_edges;
	if (!in->int_level)
		return SC_KVM_LINT0_NONE;
	/* SDM 11.4.3: with the APIC hardware-disabled LINT0 is plain INTR */
	if (in->apic_hw_enabled) {
		if (lvt0_mode(lvt0, SC_LVT_DM_NMI))
			return edge ? SC_KVM_LINT0_NMI : SC_KVM_LINT0_NONE;
		if (!lvt0_mode(lvt0, SC_LVT_DM_EXTINT))
			return SC_KVM_LINT0_NONE;
	}
	return in->ready ? SC_KVM_LINT0_EXTINT : SC_KVM_LINT0_WINDOW;
}
