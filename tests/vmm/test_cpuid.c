/* SPDX-License-Identifier: MIT */
/* splitvm CPUID adjustments (vmm/cpuid.c), no KVM needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cpuid.h"

static struct vm_cpuid_leaf all_ones(uint32_t function, uint32_t index)
{
	struct vm_cpuid_leaf l = { function, index, ~0u, ~0u, ~0u, ~0u };

	return l;
}

static void test_no_xsave_clears_xsave_and_avx_in_leaf_1(void **state)
{
	struct vm_cpuid_leaf l = all_ones(1, 0);

	(void)state;
	vm_cpuid_hide_xsave(&l);
	assert_int_equal(l.ecx & (CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE), 0);
	assert_int_equal(l.ecx & (CPUID_1_ECX_AVX | CPUID_1_ECX_FMA | CPUID_1_ECX_F16C), 0);
	/* everything else stays: SSE4.2 (20), x2APIC (21), hypervisor (31) */
	assert_int_equal(l.ecx, ~(CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX |
				 CPUID_1_ECX_FMA | CPUID_1_ECX_F16C));
	assert_int_equal(l.eax, ~0u);
	assert_int_equal(l.ebx, ~0u);
	assert_int_equal(l.edx, ~0u);
}

static void test_no_xsave_clears_xsave_managed_features_in_leaf_7(void **state)
{
	struct vm_cpuid_leaf l = all_ones(7, 0), l1 = all_ones(7, 1);

	(void)state;
	vm_cpuid_hide_xsave(&l);
	assert_int_equal(l.ebx & (CPUID_7_EBX_AVX2 | (1u << 16) | (1u << 31)), 0);  /* AVX2, AVX512F, VL */
	assert_true(l.ebx & (1u << 0));            /* FSGSBASE stays */
	assert_int_equal(l.ecx & (CPUID_7_ECX_PKU | CPUID_7_ECX_OSPKE), 0);
	assert_true(l.ecx & (1u << 2));            /* UMIP stays */
	assert_int_equal(l.edx & ((1u << 24) | (1u << 23)), 0);   /* AMX-TILE, AVX512-FP16 */
	vm_cpuid_hide_xsave(&l1);
	assert_int_equal(l1.eax & (1u << 4), 0);   /* AVX-VNNI */
}

static void test_no_xsave_empties_leaf_0xd(void **state)
{
	unsigned i;

	(void)state;
	for (i = 0; i < 64; i++) {
		struct vm_cpuid_leaf l = all_ones(0xd, i);

		vm_cpuid_hide_xsave(&l);
		assert_int_equal(l.eax | l.ebx | l.ecx | l.edx, 0);
	}
}

static void test_no_xsave_leaves_other_leaves_alone(void **state)
{
	static const uint32_t fns[] = { 0, 2, 4, 0xb, 0x40000001u, 0x80000001u, 0x8000001eu };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		struct vm_cpuid_leaf l = all_ones(fns[i], 0);

		vm_cpuid_hide_xsave(&l);
		assert_int_equal(l.eax & l.ebx & l.ecx & l.edx, ~0u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_xsave_clears_xsave_and_avx_in_leaf_1),
		cmocka_unit_test(test_no_xsave_clears_xsave_managed_features_in_leaf_7),
		cmocka_unit_test(test_no_xsave_empties_leaf_0xd),
		cmocka_unit_test(test_no_xsave_leaves_other_leaves_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
