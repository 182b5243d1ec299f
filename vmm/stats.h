/* SPDX-License-Identifier: MIT */
/* splitvm --stats: a snapshot of the VM's counters and its two formats. */
#ifndef SPLITVM_STATS_H
#define SPLITVM_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chipset.h"

#define VM_NR_EXIT_REASONS 64u

struct vm_stats {
	unsigned ncpus;
	uint64_t exits[VM_NR_EXIT_REASONS];   /* by KVM_EXIT_* reason, all vCPUs */
	uint64_t eoi_exits;                   /* KVM_EXIT_IOAPIC_EOI */
	uint64_t extint_injected;             /* KVM_INTERRUPT from the PIC */
	uint64_t nmis_injected;               /* KVM_NMI (LINT0 in NMI mode) */
	uint64_t window_requests;             /* request_interrupt_window set */
	uint64_t kicked_runs;                 /* KVM_RUN ended by a kick (EINTR) */
	uint64_t unassigned_pio, unassigned_mmio;
	uint64_t coalesced_pio;               /* RTC index writes taken without an exit */
	uint64_t uart_tx, uart_rx;
	uint64_t max_rss_kib;                 /* getrusage(RUSAGE_SELF).ru_maxrss */
	struct chipset_stats cs;
};

/* Name of a KVM_EXIT_* reason ("io", "mmio", ...), or NULL if unknown. */
const char *vm_exit_reason_name(unsigned reason);
/* Text (one item per line) or one JSON object. */
void vm_stats_print(const struct vm_stats *s, FILE *f, bool json);

#endif
