/* SPDX-License-Identifier: MIT */
/*
 * libsplitchip-kvm: the KVM layer on top of libsplitchip (issue 14).
 *
 * A separate library (libsplitchip-kvm.so.0 / .a, pkg-config splitchip-kvm)
 * that links against libsplitchip.  Its exported symbols are all sc_kvm_*,
 * versioned SPLITCHIP_KVM_0.1 (kvm/libsplitchip-kvm.map).  Unlike the chip
 * library it may use <linux/kvm.h>; its public headers do not include it
 * (KVM's structs are only declared), so they compile on any C11 or C++
 * compiler and a caller includes <linux/kvm.h> itself to allocate them.
 *
 * Parts:
 *   splitchip/kvm_state.h  state interop: libsplitchip's versioned chip
 *                          states <-> KVM_GET/SET_IRQCHIP and KVM_GET/SET_PIT2
 *                          structs, for moving a VM between the in-kernel and
 *                          the userspace irqchip (docs/API.md).
 *   splitchip/kvm_lint0.h  LINT0 in virtual-wire mode: when to sample LVT0,
 *                          what a vCPU does with the 8259A's INT.
 *
 * The layer creates no threads, does no ioctl and reads no clock; every
 * function here works on caller-owned memory (kvm_lint0.h: one struct per
 * vCPU, used by that vCPU's thread).
 */
#ifndef SPLITCHIP_KVM_H
#define SPLITCHIP_KVM_H

#include <splitchip/kvm_lint0.h>
#include <splitchip/kvm_state.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SC_KVM_VERSION_MAJOR 0
#define SC_KVM_VERSION_MINOR 1

/* Version of the library actually loaded: (major << 16) | minor. */
unsigned sc_kvm_version(void);

#ifdef __cplusplus
}
#endif
#endif
