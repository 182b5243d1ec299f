/* SPDX-License-Identifier: MIT */
/*
 * splitvm's own devices and the port/MMIO dispatch table.
 */
#include "devices.h"

#include "acpi.h"
#include "chipset.h"

#include <splitchip/board.h>
#include <string.h>

/* ---- fw_cfg ---- */
void vm_fwcfg_init(struct vm_fwcfg *f, uint64_t ram_size, unsigned ncpus)
{
	memset(f, 0, sizeof(*f));
	f->ram_size = ram_size;
	f->ncpus = (uint16_t)ncpus;
}

void vm_fwcfg_select(struct vm_fwcfg *f, uint16_t key)
{
	f->selector = key;
	f->offset = 0;
}

uint8_t vm_fwcfg_read_byte(struct vm_fwcfg *f)
{
	uint8_t item[8];
	unsigned len = 0;

	switch (f->selector) {
	case FW_CFG_SIGNATURE:
		memcpy(item, "QEMU", 4);
		len = 4;
		break;
	case FW_CFG_ID:                 /* bit 0: traditional interface */
		item[0] = 1; item[1] = item[2] = item[3] = 0;
		len = 4;
		break;
	case FW_CFG_RAM_SIZE:
		for (len = 0; len < 8; len++)
			item[len] = (uint8_t)(f->ram_size >> (8 * len));
		break;
	case FW_CFG_NB_CPUS:
		item[0] = (uint8_t)f->ncpus;
		item[1] = (uint8_t)(f->ncpus >> 8);
		len = 2;
		break;
	default:
		break;
	}
	/* reads past the end of an item (or of an unknown one) give 0 */
	if (f->offset >= len)
		return 0;
	return item[f->offset++];
}

/* ---- pc-testdev ---- */
void vm_testdev_init(struct vm_testdev *t,
		     void (*set_irq)(void *opaque, unsigned irq, bool level), void *opaque)
{
	memset(t, 0, sizeof(*t));
	t->set_irq = set_irq;
	t->opaque = opaque;
}

uint32_t vm_testdev_read(struct vm_testdev *t, uint16_t port, unsigned size)
{
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < size && i < 4; i++) {
		unsigned p = port + i;
		uint32_t b = 0xff;

		if (p >= TESTDEV_SCRATCH && p < TESTDEV_SCRATCH + 4)
			b = (t->scratch >> (8 * (p - TESTDEV_SCRATCH))) & 0xff;
		else if (p >= TESTDEV_IRQ_BASE && p < TESTDEV_IRQ_BASE + TESTDEV_IRQ_LINES)
			b = (t->irq_levels >> (p - TESTDEV_IRQ_BASE)) & 1;
		v |= b << (8 * i);
	}
	return v;
}

void vm_testdev_write(struct vm_testdev *t, uint16_t port, unsigned size, uint32_t val)
{
	unsigned i;

	if (port == TESTDEV_FLUSH) {
		t->flushes++;                   /* no caches to flush: a no-op */
		return;
	}
	for (i = 0; i < size && i < 4; i++) {
		unsigned p = port + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (p >= TESTDEV_SCRATCH && p < TESTDEV_SCRATCH + 4) {
			unsigned sh = 8 * (p - TESTDEV_SCRATCH);

			t->scratch = (t->scratch & ~(0xffu << sh)) | ((uint32_t)b << sh);
		} else if (p >= TESTDEV_IRQ_BASE && p < TESTDEV_IRQ_BASE + TESTDEV_IRQ_LINES) {
			unsigned irq = p - TESTDEV_IRQ_BASE;

			if (b)
				t->irq_levels |= 1ull << irq;
			else
				t->irq_levels &= ~(1ull << irq);
			if (t->set_irq)
				t->set_irq(t->opaque, irq, b != 0);
		}
	}
}

/* ---- ACPI PM1 / PM timer ---- */
void vm_pm_init(struct vm_pm *pm, struct sc_clock *clock, bool tmr_32bit,
		const struct sc_line *sci,
		void (*sleep)(void *opaque, unsigned slp_typ), void *opaque)
{
	memset(pm, 0, sizeof(*pm));
	pm->clock = clock;
	pm->tmr_32bit = tmr_32bit;
	if (sci)
		pm->sci = *sci;
	pm->sleep = sleep;
	pm->opaque = opaque;
	/* SMI_CMD is 0 in the FADT: the platform is always in ACPI mode, SCI_EN=1 */
	pm->pm1_cnt = PM1_CNT_SCI_EN;
}

static uint64_t pm_ticks(struct vm_pm *pm)
{
	return sc_muldiv64(sc_clock_now(pm->clock), ACPI_PM_TIMER_HZ, SC_NSEC_PER_SEC);
}

uint32_t vm_pm_timer(struct vm_pm *pm)
{
	uint64_t t = pm_ticks(pm);

	return pm->tmr_32bit ? (uint32_t)t : (uint32_t)(t & 0xffffff);
}

static uint16_t pm1_sts(struct vm_pm *pm)
{
	/* ACPI 4.8.3.3: TMR_STS is set when the timer's MSB toggles */
	unsigned shift = pm->tmr_32bit ? 31 : 23;

	if ((pm_ticks(pm) >> shift) != (pm->tmr_epoch >> shift))
		pm->pm1_sts |= PM1_STS_TMR;
	return pm->pm1_sts;
}

static void pm_update_sci(struct vm_pm *pm)
{
	bool level = (pm->pm1_cnt & PM1_CNT_SCI_EN) &&
		     (pm->pm1_sts & pm->pm1_en & (PM1_STS_TMR | PM1_STS_GBL |
						   PM1_STS_PWRBTN | PM1_STS_RTC));

	if (level != pm->sci_level) {
		pm->sci_level = level;
		sc_line_set(&pm->sci, level);
	}
}

uint32_t vm_pm_read(struct vm_pm *pm, unsigned off, unsigned size)
{
	uint32_t v = 0;
	unsigned i;

	if (off >= 8 && off < 12) {
		uint32_t t = vm_pm_timer(pm);

		v = t >> (8 * (off - 8));
		if (size < 4)
			v &= (1u << (8 * size)) - 1;
		if (off - 8 + size > 4)
			v |= ~0u << (8 * (4 - (off - 8)));
		return v;
	}
	for (i = 0; i < size && i < 4; i++) {
		unsigned p = off + i;
		uint32_t b = 0xff;

		if (p < 2)
			b = (pm1_sts(pm) >> (8 * p)) & 0xff;
		else if (p < 4)
			b = (pm->pm1_en >> (8 * (p - 2))) & 0xff;
		else if (p < 6)
			b = (pm->pm1_cnt >> (8 * (p - 4))) & 0xff;   /* SLP_EN reads 0 */
		v |= b << (8 * i);
	}
	pm_update_sci(pm);
	return v;
}

void vm_pm_write(struct vm_pm *pm, unsigned off, unsigned size, uint32_t val)
{
	unsigned i;

	for (i = 0; i < size && i < 4; i++) {
		unsigned p = off + i;
		uint16_t b = (uint8_t)(val >> (8 * i));

		if (p < 2) {
			uint16_t clr = (uint16_t)(b << (8 * p));   /* write 1 to clear */

			pm1_sts(pm);
			if (clr & PM1_STS_TMR)
				pm->tmr_epoch = pm_ticks(pm);
			pm->pm1_sts &= (uint16_t)~clr;
		} else if (p < 4) {
			unsigned sh = 8 * (p - 2);

			pm->pm1_en = (uint16_t)((pm->pm1_en & ~(0xffu << sh)) | (unsigned)(b << sh));
		} else if (p < 6) {
			unsigned sh = 8 * (p - 4);
			uint16_t cnt = (uint16_t)((pm->pm1_cnt & ~(0xffu << sh)) | (unsigned)(b << sh));

			pm->pm1_cnt = (uint16_t)((cnt & ~PM1_CNT_SLP_EN) | PM1_CNT_SCI_EN);
			/* 4.8.3.2.1: SLP_EN starts the sleep in SLP_TYP; only S5 exists */
			if ((cnt & PM1_CNT_SLP_EN) && pm->sleep)
				pm->sleep(pm->opaque,
					  (cnt & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT);
		}
	}
	pm_update_sci(pm);
}

/* ---- dispatch glue ---- */
static uint64_t ones(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t io_uart(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			bool write, uint64_t val)
{
	uint64_t v = 0;
	unsigned i;

	/* byte registers; a wider access touches consecutive registers */
	pthread_mutex_lock(&d->uart.lock);
	for (i = 0; i < size; i++) {
		if (off + i >= 8) {
			v |= 0xffull << (8 * i);
			continue;
		}
		if (write)
			vm_uart_write(&d->uart, (unsigned)(off + i), (uint8_t)(val >> (8 * i)));
		else
			v |= (uint64_t)vm_uart_read(&d->uart, (unsigned)(off + i)) << (8 * i);
	}
	pthread_mutex_unlock(&d->uart.lock);
	return write ? 0 : v;
}

static uint64_t io_fwcfg(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			 bool write, uint64_t val)
{
	uint64_t v = 0;
	unsigned i;

	pthread_mutex_lock(&d->lock);
	if (off == 0) {                 /* 0x510: 16-bit selector */
		if (write)
			vm_fwcfg_select(&d->fwcfg, (uint16_t)val);
		else
			v = ones(size);
	} else {                        /* 0x511: data, one byte per access byte */
		for (i = 0; i < size && !write; i++)
			v |= (uint64_t)vm_fwcfg_read_byte(&d->fwcfg) << (8 * i);
	}
	pthread_mutex_unlock(&d->lock);
	return v;
}

static uint64_t io_testdev(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			   bool write, uint64_t val)
{
	uint64_t v = 0;

	pthread_mutex_lock(&d->lock);
	if (write)
		vm_testdev_write(&d->testdev, (uint16_t)addr, size, (uint32_t)val);
	else
		v = vm_testdev_read(&d->testdev, (uint16_t)addr, size);
	pthread_mutex_unlock(&d->lock);
	return v;
}

static uint64_t io_pm(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
		      bool write, uint64_t val)
{
	uint64_t v = 0;

	pthread_mutex_lock(&d->lock);
	if (write)
		vm_pm_write(&d->pm, (unsigned)off, size, (uint32_t)val);
	else
		v = vm_pm_read(&d->pm, (unsigned)off, size);
	pthread_mutex_unlock(&d->lock);
	return v;
}

static uint64_t io_debug_exit(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			      bool write, uint64_t val)
{
	if (!write)
		return ones(size);
	/* QEMU isa-debug-exit: exit status (value << 1) | 1 */
	if (d->request_exit)
		d->request_exit(d->exit_opaque, VM_EXIT_DEBUG,
				(int)((((uint32_t)val << 1) | 1) & 0xff));
	return 0;
}

/* i8042 (8042 keyboard controller): status register and the pulse-reset command */
#define I8042_STS_SYS   0x04u
#define I8042_STS_CMD   0x08u
#define I8042_STS_UNLOCK 0x10u
#define I8042_CMD_RESET 0xFEu
static uint64_t io_i8042(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			 bool write, uint64_t val)
{
	if (!write) {
		if (addr == 0x64)       /* output/input buffers empty */
			return (I8042_STS_SYS | I8042_STS_CMD | I8042_STS_UNLOCK) |
			       (ones(size) & ~0xffull);
		return 0 | (ones(size) & ~0xffull);     /* 0x60: no data */
	}
	if (addr == 0x64 && (uint8_t)val == I8042_CMD_RESET && d->request_exit)
		d->request_exit(d->exit_opaque, VM_EXIT_RESET, 0);
	return 0;
}

static uint64_t io_port80(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			  bool write, uint64_t val)
{
	return write ? 0 : ones(size);  /* POST code sink */
}

/* ---- PCI bus 0 ---- */
static void pci_reset(void *opaque)
{
	struct vm_devs *d = opaque;

	/* 0xCF9 RST_CPU: the same end as the i8042 pulse (docs/SPLITVM.md) */
	if (d->request_exit)
		d->request_exit(d->exit_opaque, VM_EXIT_RESET, 0);
}

static void rng_intx(void *opaque, bool asserted)
{
	struct vm_devs *d = opaque;

	if (d->cs)
		chipset_set_pci_intx(d->cs, VM_PCI_SLOT_RNG, 0, asserted);
}

void vm_devs_pci_init(struct vm_devs *d, const struct vm_guest_mem *mem)
{
	vm_pci_init(&d->pci, pci_reset, d);
	vm_virtio_rng_init(&d->rng, VM_PCI_SLOT_RNG, mem, VM_RNG_IO_BASE,
			   (uint8_t)sc_board_pci_intx_gsi(0, VM_PCI_SLOT_RNG, 0),
			   rng_intx, d, NULL, NULL);
	vm_pci_attach(&d->pci, VM_PCI_SLOT_RNG, &d->rng.pci);
	/* INTA# idles high (pulled up) before the guest looks at the pin */
	if (d->cs)
		chipset_attach_pci_intx(d->cs, VM_PCI_SLOT_RNG, 0);
	d->pci_on = true;
}

/* 0xCF8-0xCFF: CONFIG_ADDRESS, the reset control register, CONFIG_DATA */
static uint64_t io_pci_conf(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			    bool write, uint64_t val)
{
	uint64_t v;

	if (!d->pci_on)
		return write ? 0 : ones(size);
	pthread_mutex_lock(&d->pci.lock);
	v = vm_pci_conf_io(&d->pci, (uint16_t)addr, size, write, val);
	pthread_mutex_unlock(&d->pci.lock);
	return v;
}

/* The root bridge's I/O and memory windows: the BARs decode them */
static uint64_t io_pci_window(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			      bool write, uint64_t val)
{
	uint64_t v;

	if (!d->pci_on)
		return write ? 0 : ones(size);
	pthread_mutex_lock(&d->pci.lock);
	v = vm_pci_bar_io(&d->pci, addr, size, write, val);
	pthread_mutex_unlock(&d->pci.lock);
	return v;
}

static uint64_t mmio_pci_window(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
				bool write, uint64_t val)
{
	uint64_t v;

	if (!d->pci_on)
		return write ? 0 : ones(size);
	pthread_mutex_lock(&d->pci.lock);
	v = vm_pci_bar_mmio(&d->pci, addr, size, write, val);
	pthread_mutex_unlock(&d->pci.lock);
	return v;
}

/* PIC/ELCR, PIT/port 0x61, RTC: the board decodes the exact port */
static uint64_t io_chipset(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			   bool write, uint64_t val)
{
	return d->cs ? chipset_pio(d->cs, (uint16_t)addr, size, write, val) : ones(size);
}

/* IOAPIC windows and the HPET block */
static uint64_t mmio_chipset(struct vm_devs *d, uint64_t addr, uint64_t off, unsigned size,
			     bool write, uint64_t val)
{
	return d->cs ? chipset_mmio(d->cs, addr, size, write, val) : ones(size);
}

/* The VM's address decoders: every port and MMIO range a guest can reach. */
static const struct vm_io_range io_table[] = {
	{ VM_PIO, 0x0020, 2, io_chipset, "pic-master" },
	{ VM_PIO, 0x0040, 4, io_chipset, "pit" },
	{ VM_PIO, 0x0060, 1, io_i8042, "i8042-data" },
	{ VM_PIO, 0x0061, 1, io_chipset, "port61" },
	{ VM_PIO, 0x0064, 1, io_i8042, "i8042-cmd" },
	{ VM_PIO, 0x0070, 4, io_chipset, "rtc" },
	{ VM_PIO, 0x0080, 1, io_port80, "post" },
	{ VM_PIO, 0x00a0, 2, io_chipset, "pic-slave" },
	{ VM_PIO, TESTDEV_SCRATCH, 5, io_testdev, "pc-testdev" },
	{ VM_PIO, 0x00f4, 1, io_debug_exit, "isa-debug-exit" },
	{ VM_PIO, UART_COM1_BASE, 8, io_uart, "uart" },
	{ VM_PIO, 0x04d0, 2, io_chipset, "elcr" },
	{ VM_PIO, FW_CFG_PORT_SEL, 2, io_fwcfg, "fw_cfg" },
	{ VM_PIO, VM_PM_BASE, 12, io_pm, "acpi-pm" },
	{ VM_PIO, PCI_CONFIG_ADDRESS, PCI_CONF_PORTS, io_pci_conf, "pci-conf" },
	{ VM_PIO, TESTDEV_IRQ_BASE, TESTDEV_IRQ_LINES, io_testdev, "pc-testdev-irq" },
	{ VM_PIO, VM_PCI_IO_BASE, VM_PCI_IO_LEN, io_pci_window, "pci-io" },
	{ VM_MMIO, VM_PCI_MMIO_BASE, VM_PCI_MMIO_LEN, mmio_pci_window, "pci-mmio" },
	{ VM_MMIO, VM_IOAPIC_ADDR(0), 0x1000ull * VM_MAX_IOAPICS, mmio_chipset, "ioapic" },
	{ VM_MMIO, VM_HPET_ADDR, 0x400, mmio_chipset, "hpet" },
};

const struct vm_io_range *vm_io_table(unsigned *n)
{
	*n = sizeof(io_table) / sizeof(io_table[0]);
	return io_table;
}

const struct vm_io_range *vm_io_lookup(enum vm_space space, uint64_t addr)
{
	unsigned i;

	for (i = 0; i < sizeof(io_table) / sizeof(io_table[0]); i++) {
		const struct vm_io_range *r = &io_table[i];

		if (r->space == space && addr >= r->base && addr - r->base < r->len)
			return r;
	}
	return NULL;
}

uint64_t vm_io_dispatch(struct vm_devs *d, enum vm_space space, uint64_t addr,
			unsigned size, bool write, uint64_t val)
{
	const struct vm_io_range *r;
	uint64_t v;

	if (size < 1 || size > 8)
		return write ? 0 : ~0ull;
	if (size < 8)
		val &= ones(size);
	r = vm_io_lookup(space, addr);
	if (!r) {
		/* nothing decodes: reads float to all ones, writes vanish */
		if (space == VM_PIO)
			__atomic_fetch_add(&d->unassigned_pio, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&d->unassigned_mmio, 1, __ATOMIC_RELAXED);
		return write ? 0 : ones(size);
	}
	v = r->fn(d, addr, addr - r->base, size, write, val);
	return write ? 0 : (v & ones(size));
}
