/* SPDX-License-Identifier: MIT */
/*
 * LINT0 virtual wire (splitchip/kvm_lint0.h): the mode table of SDM 11.5.1,
 * NMI edges, the interrupt window, the hardware-disabled APIC, and the
 * sampling rule, with the case Linux's noapic boot hit (issue 12): LVT0
 * masked by the SVR soft-disable while INT was high, then unmasked with no
 * new edge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <splitchip/kvm.h>

#define MS 1000000ull

static struct sc_kvm_lint0_input in_high(uint64_t edges, bool ready, uint64_t now)
{
	struct sc_kvm_lint0_input in = { .int_level = true, .int_edges = edges,
		.apic_hw_enabled = true, .ready = ready, .now_ns = now };
	return in;
}

/* sample when asked, then decide: what a vCPU thread does */
static enum sc_kvm_lint0_action step(struct sc_kvm_lint0 *l, const struct sc_kvm_lint0_input *in,
				     uint32_t lvt0_now, unsigned *samples)
{
	if (sc_kvm_lint0_needs_sample(l, in)) {
		sc_kvm_lint0_sampled(l, lvt0_now, in->now_ns);
		(*samples)++;
	}
	return sc_kvm_lint0_decide(l, in);
}

static void test_unsampled_is_masked(void **state)
{
	(void)state;
	struct sc_kvm_lint0 l;
	sc_kvm_lint0_init(&l);
	struct sc_kvm_lint0_input in = in_high(1, true, 5 * MS);
	assert_true(sc_kvm_lint0_needs_sample(&l, &in));
	assert_int_equal(sc_kvm_lint0_decide(&l, &in), SC_KVM_LINT0_NONE);
	assert_true(sc_kvm_lint0_stale(&l, 0));
}

static void test_extint_window_and_low(void **state)
{
	(void)state;
	struct sc_kvm_lint0 l;
	unsigned n = 0;
	sc_kvm_lint0_init(&l);
	struct sc_kvm_lint0_input in = in_high(1, false, MS);
	assert_int_equal(step(&l, &in, SC_LVT_DM_EXTINT, &n), SC_KVM_LINT0_WINDOW);
	in.ready = true;
	assert_int_equal(step(&l, &in, SC_LVT_DM_EXTINT, &n), SC_KVM_LINT0_EXTINT);
	assert_int_equal(n, 1);   /* one edge, one sample */
	/* level-sensitive: INT still high, no new edge: still EXTINT */
	assert_int_equal(step(&l, &in, SC_LVT_DM_EXTINT, &n), SC_KVM_LINT0_EXTINT);
	in.int_level = false;
	assert_int_equal(step(&l, &in, SC_LVT_DM_EXTINT, &n), SC_KVM_LINT0_NONE);
}

static void test_nmi_once_per_edge(void **state)
{
	(void)state;
	struct sc_kvm_lint0 l;
	unsigned n = 0;
	sc_kvm_lint0_init(&l);
	struct sc_kvm_lint0_input in = in_high(1, true, MS);
	assert_int_equal(step(&l, &in, SC_LVT_DM_NMI, &n), SC_KVM_LINT0_NMI);
	assert_int_equal(step(&l, &in, SC_LVT_DM_NMI, &n), SC_KVM_LINT0_NONE);
	in.int_edges = 4;         /* three edges while the vCPU was away: one NMI */
	assert_int_equal(step(&l, &in, SC_LVT_DM_NMI, &n), SC_KVM_LINT0_NMI);
	assert_int_equal(step(&l, &in, SC_LVT_DM_NMI, &n), SC_KVM_LINT0_NONE);
	/* NMI mode takes no INTA cycle: not even with the window open */
	in.int_edges = 5;
	in.int_level = false;     /* the edge came and went: nothing while low */
	assert_int_equal(step(&l, &in, SC_LVT_DM_NMI, &n), SC_KVM_LINT0_NONE);
}

static void test_mode_table(void **state)
{
	(void)state;
	static const struct { uint32_t lvt0; bool takes; } t[] = {
		{ SC_LVT_DM_EXTINT, true },
		{ SC_LVT_DM_NMI, true },
		{ SC_LVT_DM_EXTINT | SC_LVT_MASKED, false },
		{ SC_LVT_DM_NMI | SC_LVT_MASKED, false },
		{ 0x000, false },          /* fixed */
		{ 0x200, false },          /* SMI */
		{ 0x500, false },          /* INIT */
		{ 0x5700, true },          /* ExtINT with delivery status and remote IRR */
		{ 0x8700, true },          /* ExtINT, level (ExtINT is always level) */
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sc_kvm_lint0 l;
		unsigned n = 0;
		sc_kvm_lint0_init(&l);
		struct sc_kvm_lint0_input in = in_high(1, true, MS);
		enum sc_kvm_lint0_action a = step(&l, &in, t[i].lvt0, &n);
		assert_int_equal(sc_kvm_lint0_takes_pic(t[i].lvt0), t[i].takes);
		assert_int_equal(a != SC_KVM_LINT0_NONE, t[i].takes);
	}
}

static void test_apic_hw_disabled_is_intr(void **state)
{
	(void)state;
	struct sc_kvm_lint0 l;
	unsigned n = 0;
	sc_kvm_lint0_init(&l);
	struct sc_kvm_lint0_input in = in_high(1, true, MS);
	in.apic_hw_enabled = false;
	/* SDM 11.4.3: LINT0 is INTR whatever LVT0 holds, NMI mode included */
	assert_int_equal(step(&l, &in, SC_LVT_DM_EXTINT | SC_LVT_MASKED, &n), SC_KVM_LINT0_EXTINT);
	sc_kvm_lint0_sampled(&l, SC_LVT_DM_NMI, MS);
	assert_int_equal(sc_kvm_lint0_decide(&l, &in), SC_KVM_LINT0_EXTINT);
	in.ready = false;
	assert_int_equal(sc_kvm_lint0_decide(&l, &in), SC_KVM_LINT0_WINDOW);
}

/* Linux noapic: LVT0 masked by the SVR soft-disable while IRQ 0 pends, then
 * LVT0 = ExtINT again (read back 0x5700) with INT never having dropped. */
static void test_unmask_with_int_high(void **state)
{
	(void)state;
	struct sc_kvm_lint0 l;
	unsigned n = 0;
	uint64_t t = 100 * MS;
	sc_kvm_lint0_init(&l);
	struct sc_kvm_lint0_input in = in_high(7, true, t);
	assert_int_equal(step(&l, &in, SC_LVT_DM_EXTINT | SC_LVT_MASKED, &n), SC_KVM_LINT0_NONE);
	assert_int_equal(n, 1);
	/* within the refresh bound the sample stands: no KVM_GET_LAPIC per exit */
	in.now_ns = t + SC_KVM_LINT0_REFRESH_NS - 1;
	assert_int_equal(step(&l, &in, 0x5700, &n), SC_KVM_LINT0_NONE);
	assert_int_equal(n, 1);
	assert_false(sc_kvm_lint0_stale(&l, in.now_ns));
	/* then it is read again, with no new edge, and the PIC gets through */
	in.now_ns = t + SC_KVM_LINT0_REFRESH_NS;
	assert_true(sc_kvm_lint0_stale(&l, in.now_ns));
	assert_int_equal(step(&l, &in, 0x5700, &n), SC_KVM_LINT0_EXTINT);
	assert_int_equal(n, 2);
}

static void test_idle_costs_nothing(void **state)
{
	(void)state;
	struct sc_kvm_lint0 l;
	unsigned n = 0;
	sc_kvm_lint0_init(&l);
	struct sc_kvm_lint0_input in = in_high(1, true, MS);
	step(&l, &in, SC_LVT_DM_EXTINT, &n);
	in.int_level = false;
	for (uint64_t k = 1; k < 100; k++) {
		in.now_ns = MS + k * SC_KVM_LINT0_REFRESH_NS;
		assert_int_equal(step(&l, &in, SC_LVT_DM_EXTINT, &n), SC_KVM_LINT0_NONE);
	}
	assert_int_equal(n, 1);   /* INT low and no edge: LVT0 never read again */
	/* a clock that went back makes the sample stale, never fresh forever */
	in.int_level = true;
	in.now_ns = 0;
	assert_true(sc_kvm_lint0_needs_sample(&l, &in));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsampled_is_masked),
		cmocka_unit_test(test_extint_window_and_low),
		cmocka_unit_test(test_nmi_once_per_edge),
		cmocka_unit_test(test_mode_table),
		cmocka_unit_test(test_apic_hw_disabled_is_intr),
		cmocka_unit_test(test_unmask_with_int_high),
		cmocka_unit_test(test_idle_costs_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
