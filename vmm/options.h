/* SPDX-License-Identifier: MIT */
/*
 * splitvm command line.  Parsing is a pure function (no I/O besides the
 * error text it formats) so tests can drive it without KVM.
 */
#ifndef SPLITVM_OPTIONS_H
#define SPLITVM_OPTIONS_H

#include <splitchip/tick.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define VM_MAX_CPUS     255u   /* xAPIC IDs 0..254; 0xff is broadcast */
#define VM_MAX_MODULES  16u
#define VM_MAX_IOAPICS  8u
#define VM_MIN_MEM_MIB  4ull
#define VM_MAX_MEM_MIB  (64ull * 1024)

enum vm_tick_src { VM_SRC_PIT = 0, VM_SRC_RTC = 1, VM_SRC_HPET = 2, VM_NSRC = 3 };
enum vm_stats_mode { VM_STATS_NONE = 0, VM_STATS_TEXT = 1, VM_STATS_JSON = 2 };

struct vm_module_arg {
	const char *path;
	const char *cmdline;   /* text after the first ',' of FILE[,cmdline] */
};

struct vm_options {
	const char *kernel;
	const char *append;                 /* never NULL after parsing */
	const char *initrd;                 /* --initrd (Linux images), or NULL */
	struct vm_module_arg modules[VM_MAX_MODULES];
	unsigned nmodules;
	unsigned cpus;
	uint64_t mem_mib;
	bool split;                         /* --irqchip split (default) */
	unsigned ioapics;
	enum sc_tick_policy policy[VM_NSRC];
	bool hpet;
	bool coalesced_pio;                 /* RTC index writes without an exit */
	bool ghost_routes;                  /* keep in-flight EOIs across route changes */
	const char *serial;                 /* NULL: stdio */
	enum vm_stats_mode stats;
	const char *kvm_device;             /* hidden --kvm-device, for tests */
	bool sandbox;                       /* seccomp filter (--no-sandbox: off) */
	bool xsave;                         /* CPUID XSAVE (--no-xsave: hidden, vmm/cpuid.h) */
	bool help;
	/* storage for split module arguments */
	char modbuf[VM_MAX_MODULES][512];
};

/*
 * Parse argv.  Returns 0 on success, 2 on a usage error with a one-line
 * message (without the "splitvm: " prefix) in @err.
 */
int vm_parse_options(int argc, char *const argv[], struct vm_options *o,
		     char *err, size_t errlen);
const char *vm_tick_src_name(enum vm_tick_src s);
void vm_print_usage(FILE *stream);

#endif
