/* SPDX-License-Identifier: MIT */
/* CPUID leaf adjustments (vmm/cpuid.h); bits from the SDM vol. 2A, CPUID. */
#include "cpuid.h"

void vm_cpuid_hide_xsave(struct vm_cpuid_leaf *l)
{
	switch (l->function) {
	case 1:
		l->ecx &= ~(CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX |
			    CPUID_1_ECX_FMA | CPUID_1_ECX_F16C);
		break;
	case 7:
		if (l->index == 0) {
			l->ebx &= ~(CPUID_7_EBX_AVX2 | CPUID_7_EBX_AVX512);
			l->ecx &= ~(CPUID_7_ECX_AVX512 | CPUID_7_ECX_PKU | CPUID_7_ECX_OSPKE |
				    CPUID_7_ECX_VAES | CPUID_7_ECX_VPCLMULQDQ);
			l->edx &= ~(CPUID_7_EDX_AVX512 | CPUID_7_EDX_AMX);
		} else if (l->index == 1) {
			l->eax &= ~CPUID_7_1_EAX_AVX;
		}
		break;
	case 0xd:     /* processor extended state enumeration: none */
		l->eax = l->ebx = l->ecx = l->edx = 0;
		break;
	default:
		break;
	}
}
