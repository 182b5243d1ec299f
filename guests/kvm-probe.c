/* SPDX-License-Identifier: MIT */
/*
 * kvm-probe: the local APIC behaviour every other guest relies on, checked
 * with self-IPIs only (no chipset involved), so that a failure here blames
 * the host's LAPIC emulation and not splitchip.  The runners
 * (scripts/guest-test.sh, scripts/nested-kvm-check.sh) run it first: a
 * host whose KVM fails it cannot judge the chipset guests.
 *
 *   isr_in_handler    Intel SDM vol. 3A 11.8.4: on acceptance the vector
 *                     moves from IRR to ISR and stays in service until the
 *                     handler's EOI (11.8.5).  An auto-EOI at delivery
 *                     (seen on kvm_pvm) sends the IOAPIC its EOI before the
 *                     handler runs, so remote IRR and retrigger-on-EOI
 *                     cannot be observed.
 *   isr_clear_by_eoi  the EOI write clears the highest ISR bit.
 *   prompt_delivery   a pending fixed interrupt is taken as soon as IF is
 *                     set (SDM vol. 3A 6.8.1), not at a later unrelated
 *                     event (kvm_pvm delays it by tens of milliseconds).
 */
#include "runtime.h"

const char guest_name[] = "kvm-probe";

#define VEC_PROBE 0x61u
#define ROUNDS 8u

static volatile unsigned hits;
static volatile bool isr_seen, isr_after_eoi;

static void probe_handler(struct frame *f)
{
	(void)f;
	isr_seen = lapic_vec_bit(LAPIC_ISR0, VEC_PROBE);
	lapic_eoi();
	isr_after_eoi = lapic_vec_bit(LAPIC_ISR0, VEC_PROBE);
	hits++;
}

static void self_ipi(uint8_t vec)
{
	/* ICR: destination shorthand "self" (bits 19:18 = 01), fixed, edge */
	lapic_write(LAPIC_ICR_HI, 0);
	lapic_write(LAPIC_ICR_LO, (1u << 18) | vec);
}

int guest_main(void)
{
	cli();
	pic_init(0x20, 0x28, false); /* all masked */
	ioapic_mask_all();
	set_handler(VEC_PROBE, probe_handler);

	unsigned isr_ok = 0, eoi_ok = 0, prompt = 0;
	uint32_t worst_us = 0;
	for (unsigned i = 0; i < ROUNDS; i++) {
		unsigned before = hits;
		isr_seen = false;
		isr_after_eoi = true;
		self_ipi(VEC_PROBE); /* pending in IRR while IF=0 */
		uint64_t t0 = now_us();
		sti();
		bool got = WAIT_US(hits != before, 200000);
		uint32_t dt = (uint32_t)(now_us() - t0);
		cli();
		if (!got)
			continue;
		isr_ok += isr_seen;
		eoi_ok += !isr_after_eoi;
		if (dt > worst_us)
			worst_us = dt;
		prompt += dt < 20000; /* a generous 20 ms: nested emulation is slow */
	}
	value("delivered", "%u of %u", hits, ROUNDS);
	value("worst_delivery_us", "%u", worst_us);
	check(isr_ok == ROUNDS, "isr_in_handler", "ISR bit set in %u of %u handlers", isr_ok, ROUNDS);
	check(eoi_ok == ROUNDS, "isr_clear_by_eoi", "ISR clear after EOI in %u of %u", eoi_ok, ROUNDS);
	check(prompt == ROUNDS, "prompt_delivery", "%u of %u taken within 20 ms of IF=1 (worst %u us)",
	      prompt, ROUNDS, worst_us);
	return 0;
}
