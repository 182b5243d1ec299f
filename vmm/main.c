/* SPDX-License-Identifier: MIT */
/*
 * splitvm - a KVM VMM on the splitchip library.  Exit status: the guest's
 * isa-debug-exit status ((value << 1) | 1), 0 after a clean guest power-off
 * (ACPI S5) or reset (i8042 0xFE, FADT RESET_REG), 1 on a runtime error,
 * 2 on a usage error.  See docs/SPLITVM.md.
 */
#include "options.h"
#include "sandbox.h"
#include "vm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static struct vm_options opt;
	static struct vm vm;
	char err[256];
	int status;

	if (vm_parse_options(argc, argv, &opt, err, sizeof(err))) {
		fprintf(stderr, "splitvm: %s\n", err);
		return 2;
	}
	if (opt.help) {
		vm_print_usage(stdout);
		return 0;
	}
	/* a closed serial pipe drops guest output instead of killing the VMM */
	signal(SIGPIPE, SIG_IGN);
	if (vm_prepare(&vm, &opt)) {
		vm_destroy(&vm);
		return 1;
	}
	if (vm_open_kvm(&vm)) {
		vm_destroy(&vm);
		return 1;
	}
	/* every fd is open and the vCPUs exist; vm_run starts their threads */
	if (opt.sandbox && vm_sandbox_enter()) {
		vm_destroy(&vm);
		return 1;
	}
	status = vm_run(&vm);
	if (opt.stats != VM_STATS_NONE) {
		struct vm_stats *st = malloc(sizeof(*st));

		if (st) {
			vm_collect_stats(&vm, st);
			vm_stats_print(st, stderr, opt.stats == VM_STATS_JSON);
			free(st);
		}
	}
	vm_destroy(&vm);
	return status;
}
