/* SPDX-License-Identifier: MIT */
/*
 * Freestanding runtime for the splitchip test guests.
 *
 * The guests are Multiboot v1 ELF32 images (Multiboot Specification 0.6.96)
 * that run in flat 32-bit protected mode without paging.  They talk to the
 * chipset through port I/O and physical MMIO, and report through the QEMU
 * compatible test interfaces: COM1 at 0x3f8, isa-debug-exit at 0xf4,
 * fw_cfg at 0x510/0x511 and pc-testdev (IRQ lines at 0x2000 + n).
 *
 * Output protocol (parsed by scripts/guest-test.sh):
 *   check <guest>.<name>: ok [details]
 *   check <guest>.<name>: FAIL <details>
 *   check <guest>.<name>: SKIP <reason>
 *   value <guest>.<key> = <value>        (observed values, for side by side)
 *   PASS <guest>  |  FAIL <guest>: <n> check(s) failed: <names>
 * Exit: isa-debug-exit value 0 on pass (QEMU status (0 << 1) | 1 = 1),
 *       value 1 on failure (status 3).
 */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CPUS 64   /* keep in step with the AP stacks in entry.S */
#define VEC_SMP_WAKE 0xFE /* fixed IPI that wakes an idle AP for smp_call() */

/* ---- port and MMIO access ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}
static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
/* sti takes effect after the next instruction: "sti; nop" opens a window. */
static inline void irq_window(void) { __asm__ volatile("sti; nop; nop; cli" ::: "memory"); }

static inline uint32_t atomic_inc(volatile uint32_t *p)
{
	uint32_t v = 1;
	__asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v + 1;
}

/* ---- libc-lite ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
const char *strstr(const char *h, const char *n);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);

/* ---- console: 16550 at 0x3f8, polled on LSR THRE ---- */
void serial_init(void);
void putc_raw(char c);
int vsnprintf_lite(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf_lite(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- result reporting ---- */
extern const char guest_name[];       /* defined by each guest */
int guest_main(void);                 /* defined by each guest; BSP only */
/* Records and prints one check; returns ok. */
bool check(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void value(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void exit_guest(int code) __attribute__((noreturn));
/* Multiboot command line "key=value" words: the number after key=, or def
 * when the key is absent or not a decimal number. */
uint32_t arg_uint(const char *key, uint32_t def);
/* The value after key= copied into buf (up to a blank), or def. */
const char *arg_str(const char *key, char *buf, size_t size, const char *def);
void fail_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
unsigned checks_failed(void);

/* ---- Multiboot v1 ---- */
struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
} __attribute__((packed));
#define MB_MAGIC_EAX 0x2BADB002u
extern uint32_t mb_magic;
extern struct mb_info mb_copy;
extern char mb_cmdline[256];

/* ---- interrupts ---- */
struct frame {
	uint32_t edi, esi, ebp, esp0, ebx, edx, ecx, eax;
	uint32_t vector, error, eip, cs, eflags;
};
typedef void (*irq_handler_t)(struct frame *f);
void idt_init(void);
void idt_load(void);
void set_handler(unsigned vector, irq_handler_t h);
/* Per CPU index, per vector delivery counts (incremented before the handler). */
extern volatile uint32_t vec_count[MAX_CPUS][256];
uint32_t vec_total(unsigned vector);
void vec_clear(unsigned vector);

/* ---- LAPIC (Intel SDM vol. 3 ch. 11), xAPIC MMIO or x2APIC MSRs ---- */
#define LAPIC_BASE     0xFEE00000u
#define LAPIC_ID       0x020
#define LAPIC_VER      0x030
#define LAPIC_TPR      0x080
#define LAPIC_PPR      0x0A0
#define LAPIC_EOI      0x0B0
#define LAPIC_LDR      0x0D0
#define LAPIC_DFR      0x0E0
#define LAPIC_SVR      0x0F0
#define LAPIC_ISR0     0x100
#define LAPIC_TMR0     0x180
#define LAPIC_IRR0     0x200
#define LAPIC_ICR_LO   0x300
#define LAPIC_ICR_HI   0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERR  0x370
#define LVT_DM_FIXED   (0u << 8)
#define LVT_DM_NMI     (4u << 8)
#define LVT_DM_EXTINT  (7u << 8)
#define LVT_LEVEL      (1u << 15)
#define LVT_MASKED     (1u << 16)
#define IA32_APIC_BASE 0x1B
#define X2APIC_MSR(reg) (0x800u + ((reg) >> 4))
extern bool x2apic_mode;
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
uint32_t lapic_id(void);
void lapic_enable(void);
void lapic_eoi(void);
void lapic_set_flat_logical_id(void *arg); /* per CPU, via smp_call() */
bool lapic_vec_bit(uint32_t base_reg, unsigned vector); /* ISR/TMR/IRR bit */
bool x2apic_supported(void);
void x2apic_enable(void);
/* ICR write: xAPIC high dword is dest << 24; x2APIC dest is 32-bit. */
void lapic_icr(uint32_t dest, uint32_t lo);

/* ---- SMP ---- */
extern volatile uint32_t cpus_online;          /* BSP included */
extern uint32_t cpu_apic_id[MAX_CPUS];
unsigned this_cpu(void);                        /* index, BSP = 0 */
/* Starts every AP with INIT-SIPI-SIPI; returns the number of CPUs online. */
unsigned smp_start(unsigned expected, uint32_t timeout_ms);
/* Runs fn(arg) on CPU idx (AP idle loop polls with IF=1); waits. */
bool smp_call(unsigned idx, void (*fn)(void *), void *arg, uint32_t timeout_ms);
void smp_call_async(unsigned idx, void (*fn)(void *), void *arg);
bool smp_wait(unsigned idx, uint32_t timeout_ms);
/* Hook run by every AP right after it comes up (before reporting in). */
extern void (*ap_init_hook)(void);

/* ---- time ----
 * Time base: the ACPI PM timer (3.579545 MHz, found through RSDP -> RSDT ->
 * FADT PM_TMR_BLK) when the firmware describes one, else the TSC calibrated
 * against 8254 channel 2.  The PM timer follows the VM's clock even when
 * the host's TSC does not (QEMU TCG on a host whose TSC stops while it is
 * descheduled); under KVM the TSC is exact and cheaper. "timebase=tsc" on
 * the command line forces the TSC. */
extern uint32_t tsc_khz;
extern const char *timebase;
void time_init(void);
uint64_t now_us(void);          /* monotonic per CPU; not from NMI context */
void delay_us(uint64_t us);
/* Spin while !cond for at most us microseconds; evaluates to cond. */
#define WAIT_US(cond, us) ({                                           \
	uint64_t _end = now_us() + (us);                                \
	while (!(cond) && now_us() < _end)                              \
		pause();                                                \
	(bool)(cond); })

/* ---- platform helpers ---- */
uint16_t fwcfg_cpu_count(void);        /* 0 if fw_cfg absent */
bool fwcfg_present(void);
void fwcfg_read(uint16_t key, void *buf, uint32_t len);
static inline void testdev_irq(unsigned irq, int level)
{
	outb((uint16_t)(0x2000 + irq), level ? 1 : 0);
}

/* 8259A pair (8259A datasheet, "Programming the 8259A") */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define ELCR1 0x4D0
#define ELCR2 0x4D1
void pic_init(uint8_t base1, uint8_t base2, bool aeoi);
void pic_set_mask(uint16_t mask);      /* bit n = IRQ n masked */
uint16_t pic_read_irr(void);
uint16_t pic_read_isr(void);

/* 82093AA I/O APIC */
#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_REGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_EOIR 0x40
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REDTBL(n) (0x10 + 2 * (n))
#define RTE_DM_NMI (4u << 8)
#define RTE_DEST_LOGICAL (1u << 11)
#define RTE_DELIVS (1u << 12)
#define RTE_POLARITY_LOW (1u << 13)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)
uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
uint64_t ioapic_rte_read(unsigned pin);
void ioapic_rte_write(unsigned pin, uint64_t rte);
unsigned ioapic_pins(void);
void ioapic_mask_all(void);

/* 8254 PIT */
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_HZ 1193182u
#define PORT61 0x61
void pit_ch0_periodic(uint16_t count);  /* mode 2 */

/* MC146818 CMOS/RTC */
uint8_t cmos_read(uint8_t idx);
void cmos_write(uint8_t idx, uint8_t v);

#endif
