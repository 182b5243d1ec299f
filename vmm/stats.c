/* SPDX-License-Identifier: MIT */
#include "stats.h"

#include <linux/kvm.h>

static const char *const exit_names[VM_NR_EXIT_REASONS] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
};

const char *vm_exit_reason_name(unsigned reason)
{
	return reason < VM_NR_EXIT_REASONS ? exit_names[reason] : NULL;
}

static void print_text(const struct vm_stats *s, FILE *f)
{
	unsigned i;

	fprintf(f, "splitvm stats (%u vCPUs)\n", s->ncpus);
	fprintf(f, "  exits:");
	for (i = 0; i < VM_NR_EXIT_REASONS; i++)
		if (s->exits[i])
			fprintf(f, " %s=%llu", exit_names[i] ? exit_names[i] : "other",
				(unsigned long long)s->exits[i]);
	fprintf(f, "\n");
	fprintf(f, "  eoi exits: %llu  extint injected: %llu  nmis: %llu  "
		"irq windows: %llu  kicked runs: %llu\n",
		(unsigned long long)s->eoi_exits, (unsigned long long)s->extint_injected,
		(unsigned long long)s->nmis_injected, (unsigned long long)s->window_requests,
		(unsigned long long)s->kicked_runs);
	fprintf(f, "  tick acks: eoi=%llu inta=%llu auto=%llu  route updates: %llu\n",
		(unsigned long long)s->cs.tick_acks_eoi, (unsigned long long)s->cs.tick_acks_inta,
		(unsigned long long)s->cs.tick_acks_auto, (unsigned long long)s->cs.route_updates);
	fprintf(f, "  chipset messages: fixed=%llu lowpri=%llu smi=%llu nmi=%llu init=%llu extint=%llu\n",
		(unsigned long long)s->cs.msi_dm[0], (unsigned long long)s->cs.msi_dm[1],
		(unsigned long long)s->cs.msi_dm[2], (unsigned long long)s->cs.msi_dm[4],
		(unsigned long long)s->cs.msi_dm[5], (unsigned long long)s->cs.msi_dm[7]);
	fprintf(f, "  ghost routes (EOIs kept across a route change): made=%llu dropped=%llu live=%llu\n",
		(unsigned long long)s->cs.ghosts_made, (unsigned long long)s->cs.ghosts_dropped,
		(unsigned long long)s->cs.ghosts_live);
	for (unsigned k_i = 0; k_i < s->cs.nstuck; k_i++) {
		const struct chipset_stuck *k = &s->cs.stuck[k_i];

		fprintf(f, "  STUCK level line: GSI %u vector 0x%02x (sent as 0x%02x) dest %s 0x%02x, "
			"remote IRR set for %llu ms with no EOI, line %s\n",
			k->gsi, k->vector, k->delivered_vector, k->logical ? "logical" : "physical",
			k->dest, (unsigned long long)k->ms, k->line ? "high" : "low");
	}
	fprintf(f, "  unassigned accesses: pio=%llu mmio=%llu  uart: tx=%llu rx=%llu\n",
		(unsigned long long)s->unassigned_pio, (unsigned long long)s->unassigned_mmio,
		(unsigned long long)s->uart_tx, (unsigned long long)s->uart_rx);
	fprintf(f, "  coalesced pio writes: %llu\n", (unsigned long long)s->coalesced_pio);
	fprintf(f, "  max rss: %llu KiB\n", (unsigned long long)s->max_rss_kib);
	fprintf(f, "  interrupts per GSI:");
	for (i = 0; i < s->cs.ngsi && i < CHIPSET_MAX_GSI; i++)
		if (s->cs.gsi_irqs[i])
			fprintf(f, " %u=%llu", i, (unsigned long long)s->cs.gsi_irqs[i]);
	fprintf(f, "\n");
	for (i = 0; i < s->cs.ntick; i++)
		fprintf(f, "  ticks %s: delivered=%llu coalesced=%llu reinjected=%llu dropped=%llu\n",
			s->cs.tick_name[i], (unsigned long long)s->cs.tick[i].delivered,
			(unsigned long long)s->cs.tick[i].coalesced,
			(unsigned long long)s->cs.tick[i].reinjected,
			(unsigned long long)s->cs.tick[i].dropped);
}

static void print_json(const struct vm_stats *s, FILE *f)
{
	unsigned i;
	const char *sep = "";

	fprintf(f, "{\"vcpus\":%u,\"exits\":{", s->ncpus);
	for (i = 0; i < VM_NR_EXIT_REASONS; i++)
		if (s->exits[i]) {
			if (exit_names[i])
				fprintf(f, "%s\"%s\":%llu", sep, exit_names[i],
					(unsigned long long)s->exits[i]);
			else
				fprintf(f, "%s\"reason_%u\":%llu", sep, i,
					(unsigned long long)s->exits[i]);
			sep = ",";
		}
	fprintf(f, "},\"eoi_exits\":%llu,\"extint_injected\":%llu,\"nmis_injected\":%llu,"
		"\"irq_window_requests\":%llu,\"kicked_runs\":%llu,",
		(unsigned long long)s->eoi_exits, (unsigned long long)s->extint_injected,
		(unsigned long long)s->nmis_injected, (unsigned long long)s->window_requests,
		(unsigned long long)s->kicked_runs);
	fprintf(f, "\"tick_acks\":{\"eoi\":%llu,\"inta\":%llu,\"auto\":%llu},"
		"\"route_updates\":%llu,",
		(unsigned long long)s->cs.tick_acks_eoi, (unsigned long long)s->cs.tick_acks_inta,
		(unsigned long long)s->cs.tick_acks_auto, (unsigned long long)s->cs.route_updates);
	fprintf(f, "\"chipset_msi\":{\"fixed\":%llu,\"lowpri\":%llu,\"smi\":%llu,\"nmi\":%llu,"
		"\"init\":%llu,\"extint\":%llu},",
		(unsigned long long)s->cs.msi_dm[0], (unsigned long long)s->cs.msi_dm[1],
		(unsigned long long)s->cs.msi_dm[2], (unsigned long long)s->cs.msi_dm[4],
		(unsigned long long)s->cs.msi_dm[5], (unsigned long long)s->cs.msi_dm[7]);
	fprintf(f, "\"ghost_routes\":{\"made\":%llu,\"dropped\":%llu,\"live\":%llu},\"stuck\":[",
		(unsigned long long)s->cs.ghosts_made, (unsigned long long)s->cs.ghosts_dropped,
		(unsigned long long)s->cs.ghosts_live);
	for (unsigned k_i = 0; k_i < s->cs.nstuck; k_i++) {
		const struct chipset_stuck *k = &s->cs.stuck[k_i];

		fprintf(f, "%s{\"gsi\":%u,\"vector\":%u,\"delivered_vector\":%u,\"dest\":%u,"
			"\"logical\":%s,\"line\":%u,\"ms\":%llu}", k_i ? "," : "", k->gsi, k->vector,
			k->delivered_vector, k->dest, k->logical ? "true" : "false", k->line,
			(unsigned long long)k->ms);
	}
	fprintf(f, "],");
	fprintf(f, "\"unassigned\":{\"pio\":%llu,\"mmio\":%llu},\"uart\":{\"tx\":%llu,\"rx\":%llu},",
		(unsigned long long)s->unassigned_pio, (unsigned long long)s->unassigned_mmio,
		(unsigned long long)s->uart_tx, (unsigned long long)s->uart_rx);
	fprintf(f, "\"coalesced_pio\":%llu,", (unsigned long long)s->coalesced_pio);
	fprintf(f, "\"max_rss_kib\":%llu,", (unsigned long long)s->max_rss_kib);
	fprintf(f, "\"gsi\":{");
	sep = "";
	for (i = 0; i < s->cs.ngsi && i < CHIPSET_MAX_GSI; i++)
		if (s->cs.gsi_irqs[i]) {
			fprintf(f, "%s\"%u\":%llu", sep, i, (unsigned long long)s->cs.gsi_irqs[i]);
			sep = ",";
		}
	fprintf(f, "},\"ticks\":{");
	for (i = 0; i < s->cs.ntick; i++)
		fprintf(f, "%s\"%s\":{\"delivered\":%llu,\"coalesced\":%llu,\"reinjected\":%llu,"
			"\"dropped\":%llu}", i ? "," : "", s->cs.tick_name[i],
			(unsigned long long)s->cs.tick[i].delivered,
			(unsigned long long)s->cs.tick[i].coalesced,
			(unsigned long long)s->cs.tick[i].reinjected,
			(unsigned long long)s->cs.tick[i].dropped);
	fprintf(f, "}}\n");
}

void vm_stats_print(const struct vm_stats *s, FILE *f, bool json)
{
	if (json)
		print_json(s, f);
	else
		print_text(s, f);
}
