/* SPDX-License-Identifier: MIT */
/* IDT and dispatch, LAPIC access (SDM vol. 3 ch. 11), SMP start with INIT/SIPI. */
#include "runtime.h"

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 8, "IDT gate is 8 bytes");

static struct idt_gate idt[256] __attribute__((aligned(8)));
static struct {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed)) idtr;
static irq_handler_t handlers[256];
volatile uint32_t vec_count[MAX_CPUS][256];

extern char isr_stubs[];

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint32_t a = (uint32_t)(uintptr_t)(isr_stubs + 16 * v);
		idt[v].off_lo = (uint16_t)a;
		idt[v].sel = 0x08;
		idt[v].zero = 0;
		idt[v].type = 0x8E; /* present, DPL 0, 32-bit interrupt gate */
		idt[v].off_hi = (uint16_t)(a >> 16);
	}
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint32_t)(uintptr_t)idt;
}

void idt_load(void)
{
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void set_handler(unsigned vector, irq_handler_t h)
{
	if (vector < 256)
		handlers[vector] = h;
}

uint32_t vec_total(unsigned vector)
{
	uint32_t n = 0;
	for (unsigned c = 0; c < MAX_CPUS; c++)
		n += vec_count[c][vector & 255];
	return n;
}

void vec_clear(unsigned vector)
{
	for (unsigned c = 0; c < MAX_CPUS; c++)
		vec_count[c][vector & 255] = 0;
}

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
	"#NP", "#SS", "#GP", "#PF", "res", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void isr_dispatch(struct frame *f);

void isr_dispatch(struct frame *f)
{
	unsigned v = f->vector & 255;
	unsigned cpu = this_cpu();
	vec_count[cpu][v]++;
	if (handlers[v]) {
		handlers[v](f);
		return;
	}
	if (v < 32) {
		uint32_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		/* the interrupted stack (same privilege: it continues above the
		 * frame): return addresses there tell how the eip was reached */
		const uint32_t *sp = (const uint32_t *)(f + 1);
		fail_fatal("exception vector %u (%s) error %x eip %x cr2 %x on cpu %u "
			   "(eflags %x, stack %x: %x %x %x %x)", v,
			   exc_names[v] ? exc_names[v] : "?", f->error, f->eip, cr2, cpu,
			   f->eflags, (uint32_t)(uintptr_t)sp, sp[0], sp[1], sp[2], sp[3]);
	}
	if (v != 0xFF) /* LAPIC spurious vector takes no EOI (SDM 11.9) */
		lapic_eoi();
}

/* ---- LAPIC ---- */
bool x2apic_mode;

uint32_t lapic_read(uint32_t reg)
{
	if (x2apic_mode)
		return (uint32_t)rdmsr(X2APIC_MSR(reg));
	return mmio_read32(LAPIC_BASE + reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic_mode)
		wrmsr(X2APIC_MSR(reg), v);
	else
		mmio_write32(LAPIC_BASE + reg, v);
}

uint32_t lapic_id(void)
{
	if (x2apic_mode)
		return (uint32_t)rdmsr(X2APIC_MSR(LAPIC_ID));
	return mmio_read32(LAPIC_BASE + LAPIC_ID) >> 24;
}

void lapic_enable(void)
{
	uint64_t base = rdmsr(IA32_APIC_BASE);
	if (!(base & (1u << 11)))
		wrmsr(IA32_APIC_BASE, base | (1u << 11));
	lapic_write(LAPIC_SVR, 0x1FF); /* APIC software enable, spurious vector 0xFF */
	lapic_write(LAPIC_TPR, 0);
}

/* Logical flat model (SDM 11.6.2.2): CPU index i gets LDR bit i (0-7);
 * CPUs from 8 on get none.  smp_call() signature. */
void lapic_set_flat_logical_id(void *arg)
{
	(void)arg;
	unsigned i = this_cpu();
	lapic_write(LAPIC_DFR, 0xFFFFFFFF);
	lapic_write(LAPIC_LDR, i < 8 ? (1u << (24 + i)) : 0);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

bool lapic_vec_bit(uint32_t base_reg, unsigned vector)
{
	return (lapic_read(base_reg + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

bool x2apic_supported(void)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	return (c >> 21) & 1;
}

void x2apic_enable(void)
{
	wrmsr(IA32_APIC_BASE, rdmsr(IA32_APIC_BASE) | (1u << 11) | (1u << 10));
	x2apic_mode = true;
}

void lapic_icr(uint32_t dest, uint32_t lo)
{
	if (x2apic_mode) {
		wrmsr(X2APIC_MSR(LAPIC_ICR_LO), ((uint64_t)dest << 32) | lo);
		return;
	}
	mmio_write32(LAPIC_BASE + LAPIC_ICR_HI, dest << 24);
	mmio_write32(LAPIC_BASE + LAPIC_ICR_LO, lo);
	/* delivery status (bit 12) */
	for (unsigned i = 0; i < 1000000 && (mmio_read32(LAPIC_BASE + LAPIC_ICR_LO) & (1u << 12)); i++)
		pause();
}

/* ---- SMP ---- */
#define TRAMP_BASE 0x8000u
extern char tramp_start[], tramp_end[];
volatile uint32_t cpus_online = 1;
uint32_t cpu_apic_id[MAX_CPUS];
static volatile uint8_t apic_to_cpu[256];
void (*ap_init_hook)(void);

struct mailbox {
	void (*volatile fn)(void *);
	void *volatile arg;
	volatile uint32_t done;
};
static struct mailbox mbox[MAX_CPUS];

unsigned this_cpu(void)
{
	unsigned id = lapic_id();
	return id < 256 ? apic_to_cpu[id] : 0;
}

void ap_main(void);

void ap_main(void)
{
	idt_load();
	lapic_enable();
	uint32_t id = lapic_id();
	uint32_t idx = atomic_inc(&cpus_online) - 1;
	if (idx >= MAX_CPUS) {
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	cpu_apic_id[idx] = id;
	if (id < 256)
		apic_to_cpu[id] = (uint8_t)idx;
	if (ap_init_hook)
		ap_init_hook();
	printf("cpu %u: AP apic id %u online\n", idx, id);
	/* idle in HLT, as an OS's idle vCPUs do (spinning APs would starve
	 * the working ones when a VM has more vCPUs than the host has CPUs).
	 * The mailbox is read with IF clear and STI; HLT takes an interrupt
	 * only in HLT (SDM vol. 2B STI), so a wake-up IPI sent after the read
	 * is never lost. */
	for (;;) {
		cli();
		void (*fn)(void *) = mbox[idx].fn;
		if (fn) {
			sti();
			fn(mbox[idx].arg);
			mbox[idx].fn = NULL;
			barrier();
			mbox[idx].done = 1;
			continue;
		}
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

unsigned smp_start(unsigned expected, uint32_t timeout_ms)
{
	cpu_apic_id[0] = lapic_id();
	if (cpu_apic_id[0] < 256)
		apic_to_cpu[cpu_apic_id[0]] = 0;
	if (expected <= 1)
		return cpus_online;
	memcpy((void *)(uintptr_t)TRAMP_BASE, tramp_start, (size_t)(tramp_end - tramp_start));
	/* MP spec B.4: INIT, 10 ms, SIPI, 200 us, SIPI; all excluding self. */
	lapic_icr(0, 0x000C4500);
	delay_us(10000);
	lapic_icr(0, 0x000C4600 | (TRAMP_BASE >> 12));
	delay_us(200);
	lapic_icr(0, 0x000C4600 | (TRAMP_BASE >> 12));
	WAIT_US(cpus_online >= expected, (uint64_t)timeout_ms * 1000);
	delay_us(1000); /* let the last AP finish printing */
	return cpus_online;
}

void smp_call_async(unsigned idx, void (*fn)(void *), void *arg)
{
	if (idx == 0 || idx >= cpus_online)
		return;
	mbox[idx].done = 0;
	mbox[idx].arg = arg;
	barrier();
	mbox[idx].fn = fn;
	/* wake it: fixed IPI, physical destination (SDM 10.6.1) */
	lapic_icr(cpu_apic_id[idx], 0x00004000u | VEC_SMP_WAKE);
}

bool smp_wait(unsigned idx, uint32_t timeout_ms)
{
	if (idx == 0 || idx >= cpus_online)
		return false;
	return WAIT_US(mbox[idx].done, (uint64_t)timeout_ms * 1000);
}

bool smp_call(unsigned idx, void (*fn)(void *), void *arg, uint32_t timeout_ms)
{
	if (idx == 0) {
		fn(arg);
		return true;
	}
	if (idx >= cpus_online)
		return false;
	smp_call_async(idx, fn, arg);
	return smp_wait(idx, timeout_ms);
}
