/* SPDX-License-Identifier: MIT */
/*
 * The VM's own devices (not the chipset): 16550 UART, fw_cfg, QEMU
 * pc-testdev, ACPI PM1 event/control blocks and PM timer, isa-debug-exit,
 * i8042 reset/status, port 0x80, PCI bus 0 (vmm/pci.h: host bridge,
 * virtio-rng, 0xCF9 reset) - and the one static port/MMIO dispatch
 * table that routes guest accesses to them and to the chipset.
 *
 * Every device is a plain state machine with an explicit output callback
 * struct, so tests drive them without KVM.  Locking: each device struct
 * carries its own mutex taken by the dispatch glue (vm_io_dispatch) - the
 * device functions themselves are not thread-safe.  Lock order: device
 * lock, then chipset locks (device output lines go to the chipset).
 */
#ifndef SPLITVM_DEVICES_H
#define SPLITVM_DEVICES_H

#include <pthread.h>
#include <splitchip/clock.h>
#include <splitchip/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "virtio_rng.h"

/* ---- 16550 UART (National Semiconductor PC16550D) ---- */
#define UART_COM1_BASE   0x3f8u
#define UART_COM1_IRQ    4u
#define UART_FIFO_LEN    16u

/* register offsets, PC16550D table II */
#define UART_RBR 0   /* DLAB=0 read */
#define UART_THR 0   /* DLAB=0 write */
#define UART_DLL 0   /* DLAB=1 */
#define UART_IER 1   /* DLAB=0 */
#define UART_DLM 1   /* DLAB=1 */
#define UART_IIR 2   /* read */
#define UART_FCR 2   /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_ERBFI  0x01u   /* received data available */
#define UART_IER_ETBEI  0x02u   /* THR empty */
#define UART_IER_ELSI   0x04u   /* receiver line status */
#define UART_IER_EDSSI  0x08u   /* modem status */
#define UART_IIR_NO_INT 0x01u
#define UART_IIR_MSI    0x00u
#define UART_IIR_THRI   0x02u
#define UART_IIR_RDI    0x04u
#define UART_IIR_RLSI   0x06u
#define UART_IIR_CTI    0x0cu   /* character timeout (FIFO mode) */
#define UART_IIR_FIFO   0xc0u
#define UART_FCR_ENABLE 0x01u
#define UART_FCR_CLR_RX 0x02u
#define UART_FCR_CLR_TX 0x04u
#define UART_FCR_TRIG_SHIFT 6
#define UART_LCR_DLAB   0x80u
#define UART_MCR_DTR    0x01u
#define UART_MCR_RTS    0x02u
#define UART_MCR_OUT1   0x04u
#define UART_MCR_OUT2   0x08u   /* gates INTRPT onto the ISA IRQ on PCs */
#define UART_MCR_LOOP   0x10u
#define UART_LSR_DR     0x01u
#define UART_LSR_OE     0x02u
#define UART_LSR_PE     0x04u
#define UART_LSR_FE     0x08u
#define UART_LSR_BI     0x10u
#define UART_LSR_THRE   0x20u
#define UART_LSR_TEMT   0x40u
#define UART_LSR_FIFOE  0x80u
#define UART_MSR_DCTS   0x01u
#define UART_MSR_DDSR   0x02u
#define UART_MSR_TERI   0x04u
#define UART_MSR_DDCD   0x08u
#define UART_MSR_CTS    0x10u
#define UART_MSR_DSR    0x20u
#define UART_MSR_RI     0x40u
#define UART_MSR_DCD    0x80u

struct vm_uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thr_int;                 /* THRE interrupt pending (cleared by IIR read) */
	uint8_t rx[UART_FIFO_LEN];
	unsigned rx_head, rx_count;
	bool irq_level;
	struct sc_line irq;
	void (*tx)(void *opaque, uint8_t byte);
	void *tx_opaque;
	uint64_t tx_bytes, rx_bytes, rx_overruns;
};

void vm_uart_init(struct vm_uart *u, const struct sc_line *irq,
		  void (*tx)(void *opaque, uint8_t byte), void *tx_opaque);
uint8_t vm_uart_read(struct vm_uart *u, unsigned off);
void vm_uart_write(struct vm_uart *u, unsigned off, uint8_t val);
/* Bytes the receiver can take now without an overrun (FIFO or holding register). */
unsigned vm_uart_rx_room(const struct vm_uart *u);
/* Host -> guest bytes; returns how many were accepted before overrun. */
unsigned vm_uart_receive(struct vm_uart *u, const uint8_t *buf, unsigned n);

/* ---- fw_cfg (QEMU docs/specs/fw_cfg.rst, traditional I/O interface) ---- */
#define FW_CFG_PORT_SEL   0x510u
#define FW_CFG_PORT_DATA  0x511u
#define FW_CFG_SIGNATURE  0x00u
#define FW_CFG_ID         0x01u
#define FW_CFG_RAM_SIZE   0x03u
#define FW_CFG_NB_CPUS    0x05u

struct vm_fwcfg {
	uint16_t selector;
	uint32_t offset;
	uint64_t ram_size;
	uint16_t ncpus;
};

void vm_fwcfg_init(struct vm_fwcfg *f, uint64_t ram_size, unsigned ncpus);
void vm_fwcfg_select(struct vm_fwcfg *f, uint16_t key);
uint8_t vm_fwcfg_read_byte(struct vm_fwcfg *f);

/* ---- QEMU pc-testdev ---- */
#define TESTDEV_SCRATCH   0xe0u    /* 4 bytes */
#define TESTDEV_FLUSH     0xe4u    /* 4 bytes: guest page to flush */
#define TESTDEV_IRQ_BASE  0x2000u
/* QEMU's pc-testdev has 24 lines (ISA IRQs / GSIs 0-23); splitvm has 48 so
 * a second IOAPIC's pins (GSI 24-47, --ioapics 2) can be driven too */
#define TESTDEV_IRQ_LINES 48u

struct vm_testdev {
	uint32_t scratch;
	uint64_t irq_levels;           /* last value written per line */
	uint64_t flushes;
	/* Set ISA IRQ @irq (0..23) to @level on PIC and IOAPIC. */
	void (*set_irq)(void *opaque, unsigned irq, bool level);
	void *opaque;
};

void vm_testdev_init(struct vm_testdev *t,
		     void (*set_irq)(void *opaque, unsigned irq, bool level), void *opaque);
uint32_t vm_testdev_read(struct vm_testdev *t, uint16_t port, unsigned size);
void vm_testdev_write(struct vm_testdev *t, uint16_t port, unsigned size, uint32_t val);

/* ---- ACPI fixed hardware: PM1 event/control, PM timer (ACPI 6.4, 4.8) ---- */
#define ACPI_PM_TIMER_HZ   3579545u
#define PM1_STS_TMR        0x0001u
#define PM1_STS_GBL        0x0020u
#define PM1_STS_PWRBTN     0x0100u
#define PM1_STS_RTC        0x0400u
#define PM1_STS_WAK        0x8000u
#define PM1_EN_TMR         0x0001u
#define PM1_CNT_SCI_EN     0x0001u
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK  (7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN     0x2000u

struct vm_pm {
	struct sc_clock *clock;
	bool tmr_32bit;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint64_t tmr_epoch;            /* timer value when TMR_STS was cleared */
	bool sci_level;
	struct sc_line sci;
	void (*sleep)(void *opaque, unsigned slp_typ);
	void *opaque;
};

void vm_pm_init(struct vm_pm *pm, struct sc_clock *clock, bool tmr_32bit,
		const struct sc_line *sci,
		void (*sleep)(void *opaque, unsigned slp_typ), void *opaque);
/* @off relative to PM base; PM1_EVT at 0, PM1_CNT at 4, PM_TMR at 8. */
uint32_t vm_pm_read(struct vm_pm *pm, unsigned off, unsigned size);
void vm_pm_write(struct vm_pm *pm, unsigned off, unsigned size, uint32_t val);
uint32_t vm_pm_timer(struct vm_pm *pm);

/* ---- dispatch ---- */
enum vm_exit_kind {
	VM_EXIT_NONE = 0,
	VM_EXIT_DEBUG,          /* isa-debug-exit: status (value << 1) | 1 */
	VM_EXIT_SHUTDOWN,       /* ACPI S5 */
	VM_EXIT_RESET,          /* i8042 0xFE / FADT RESET_REG */
	VM_EXIT_ERROR,          /* VMM-detected failure, status 1 */
};

struct chipset;

/* ---- PCI bus 0 (vmm/pci.h) and its devices ---- */
#define VM_PCI_SLOT_RNG   1u                 /* virtio-rng at 00:01.0, INTA# */
#define VM_RNG_IO_BASE    VM_PCI_IO_BASE     /* its BAR0 as the firmware assigns it */

struct vm_devs {
	pthread_mutex_t lock;          /* fw_cfg, testdev, PM, debug-exit */
	struct vm_uart uart;
	struct vm_fwcfg fwcfg;
	struct vm_testdev testdev;
	struct vm_pm pm;
	struct chipset *cs;            /* PIC, PIT, RTC, IOAPICs, HPET */
	bool pci_on;                   /* vm_devs_pci_init() done */
	struct vm_pci pci;             /* bus 0 and the devices on it: pci.lock */
	struct vm_virtio_rng rng;
	void (*request_exit)(void *opaque, enum vm_exit_kind kind, int status);
	void *exit_opaque;
	uint64_t unassigned_pio, unassigned_mmio;
};

enum vm_space { VM_PIO = 0, VM_MMIO = 1 };

typedef uint64_t vm_io_fn(struct vm_devs *d, uint64_t addr, uint64_t off,
			  unsigned size, bool write, uint64_t val);

struct vm_io_range {
	enum vm_space space;
	uint64_t base, len;
	vm_io_fn *fn;
	const char *name;
};

/*
 * PCI bus 0: the host bridge and virtio-rng in slot VM_PCI_SLOT_RNG doing
 * DMA into @mem; its INTA# goes to d->cs (GSI sc_board_pci_intx_gsi(0,
 * slot, 0)), 0xCF9 resets through d->request_exit.  Call after d->cs and
 * d->request_exit are set.
 */
void vm_devs_pci_init(struct vm_devs *d, const struct vm_guest_mem *mem);

/* Returns the table entry for @addr, or NULL. */
const struct vm_io_range *vm_io_lookup(enum vm_space space, uint64_t addr);
/*
 * A guest access.  Reads return the value (all ones, truncated to @size,
 * where nothing decodes); writes return 0.  @size 1..8.
 */
uint64_t vm_io_dispatch(struct vm_devs *d, enum vm_space space, uint64_t addr,
			unsigned size, bool write, uint64_t val);
/* The whole table, for tests and the overlap check. */
const struct vm_io_range *vm_io_table(unsigned *n);

#endif
