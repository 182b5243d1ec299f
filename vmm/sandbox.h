/* SPDX-License-Identifier: MIT */
/*
 * splitvm's seccomp sandbox (docs/SPLITVM.md "Sandbox").  After setup (every
 * file open, the VM, its vCPUs and their kvm_run mappings made) the process
 * may make only the system calls the running VM needs; ioctl only with the
 * KVM ioctl numbers of the vCPU loop and the chipset's outputs.  A forbidden
 * call ends the process: "splitvm: seccomp: forbidden syscall N (name)" on
 * stderr, exit status 1.
 */
#ifndef SPLITVM_SANDBOX_H
#define SPLITVM_SANDBOX_H

/*
 * Install the filter on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC)
 * and on the threads created later (they inherit it).  Returns 0, or -1
 * after printing a "splitvm: ..." error.
 */
int vm_sandbox_enter(void);

#endif
