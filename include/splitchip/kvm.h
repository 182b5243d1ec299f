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
 *
 * The layer creates no threads and reads no clock; every function here is
 * a pure conversion on caller-owned memory and is safe to call from any
 * thread.
 */
#ifndef SPLITCHIP_KVM_H
#define SPLITCHIP_KVM_H

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
