/* SPDX-License-Identifier: MIT */
/*
 * CPUID adjustments splitvm makes to KVM_GET_SUPPORTED_CPUID before
 * KVM_SET_CPUID2 (vm.c, setup_cpuid), as pure functions over one leaf.
 */
#ifndef SPLITVM_CPUID_H
#define SPLITVM_CPUID_H

#include <stdint.h>

struct vm_cpuid_leaf {
	uint32_t function, index;
	uint32_t eax, ebx, ecx, edx;
};

/* SDM vol. 2A, CPUID leaf 1 ECX and leaf 7 (sub-leaf 0) bits */
#define CPUID_1_ECX_FMA        (1u << 12)
#define CPUID_1_ECX_XSAVE      (1u << 26)
#define CPUID_1_ECX_OSXSAVE    (1u << 27)
#define CPUID_1_ECX_AVX        (1u << 28)
#define CPUID_1_ECX_F16C       (1u << 29)
#define CPUID_7_EBX_AVX2       (1u << 5)
#define CPUID_7_EBX_AVX512     0xdc230000u  /* F DQ IFMA PF ER CD BW VL */
#define CPUID_7_ECX_AVX512     0x00005842u  /* VBMI VBMI2 VNNI BITALG VPOPCNTDQ */
#define CPUID_7_ECX_PKU        (1u << 3)
#define CPUID_7_ECX_OSPKE      (1u << 4)
#define CPUID_7_ECX_VAES       (1u << 9)
#define CPUID_7_ECX_VPCLMULQDQ (1u << 10)
#define CPUID_7_EDX_AVX512     0x0080010cu  /* 4VNNIW 4FMAPS VP2INTERSECT FP16 */
#define CPUID_7_EDX_AMX        0x03400000u  /* AMX-BF16 AMX-TILE AMX-INT8 */
#define CPUID_7_1_EAX_AVX      0x00800030u  /* AVX-VNNI AVX512-BF16 AVX-IFMA */

/*
 * --no-xsave: present a CPU without XSAVE (leaf 1 ECX XSAVE/OSXSAVE clear,
 * leaf 0xD empty) and without the features whose state only XSAVE
 * manages (AVX and its successors, AVX-512, PKU, AMX), as QEMU's default
 * CPU model does.  For a KVM that does not see the guest's XSETBV: L1
 * QEMU TCG does not implement the SVM XSETBV intercept, so a nested KVM
 * never updates leaf 0xD EBX and Linux 6.1 WARNs "XSAVE consistency
 * problem" in fpu__init_system (docs/SPLITVM.md "CPUID").
 */
void vm_cpuid_hide_xsave(struct vm_cpuid_leaf *l);

#endif
