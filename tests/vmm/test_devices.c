/* SPDX-License-Identifier: MIT */
/*
 * splitvm's own devices (vmm/uart.c, vmm/devices.c) and the dispatch table,
 * on the fake clock, without KVM and without a chipset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "acpi.h"
#include "devices.h"

/* ---------------------------------------------------------------- UART */
struct uart_probe {
	bool irq;
	unsigned irq_changes;
	uint8_t tx[64];
	unsigned ntx;
};

static void probe_irq(void *opaque, bool level)
{
	struct uart_probe *p = opaque;

	p->irq = level;
	p->irq_changes++;
}

static void probe_tx(void *opaque, uint8_t b)
{
	struct uart_probe *p = opaque;

	if (p->ntx < sizeof(p->tx))
		p->tx[p->ntx++] = b;
}

static void uart_setup(struct vm_uart *u, struct uart_probe *p)
{
	struct sc_line l = { probe_irq, p };

	memset(p, 0, sizeof(*p));
	vm_uart_init(u, &l, probe_tx, p);
}

static void test_uart_lsr_reports_thre_and_temt(void **state)
{
	struct vm_uart u;
	struct uart_probe p;

	(void)state;
	uart_setup(&u, &p);
	assert_int_equal(vm_uart_read(&u, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT),
			 UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(vm_uart_read(&u, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_NO_INT);
}

static void test_uart_polled_tx_reaches_host(void **state)
{
	struct vm_uart u;
	struct uart_probe p;

	(void)state;
	uart_setup(&u, &p);
	vm_uart_write(&u, UART_THR, 'h');
	vm_uart_write(&u, UART_THR, 'i');
	assert_int_equal(p.ntx, 2);
	assert_memory_equal(p.tx, "hi", 2);
	assert_int_equal(u.tx_bytes, 2);
	assert_false(p.irq);                          /* IER = 0: no interrupt */
}

static void test_uart_dlab_selects_divisor_latch(void **state)
{
	struct vm_uart u;
	struct uart_probe p;

	(void)state;
	uart_setup(&u, &p);
	vm_uart_write(&u, UART_LCR, UART_LCR_DLAB | 0x03);
	vm_uart_write(&u, UART_DLL, 0x01);
	vm_uart_write(&u, UART_DLM, 0x00);
	assert_int_equal(p.ntx, 0);                   /* DLL write is not a THR write */
	assert_int_equal(vm_uart_read(&u, UART_DLL), 0x01);
	assert_int_equal(vm_uart_read(&u, UART_DLM), 0x00);
	assert_int_equal(vm_uart_read(&u, UART_LCR), 0x83);
	vm_uart_write(&u, UART_LCR, 0x03);
	vm_uart_write(&u, UART_IER, 0x05);
	assert_int_equal(vm_uart_read(&u, UART_IER), 0x05);
	assert_int_equal(u.dll, 0x01);                /* latch survives */
}

static void test_uart_thre_interrupt_gated_by_out2_cleared_by_iir_read(void **state)
{
	struct vm_uart u;
	struct uart_probe p;

	(void)state;
	uart_setup(&u, &p);
	vm_uart_write(&u, UART_IER, UART_IER_ETBEI);  /* THR empty: THRE at once */
	assert_int_equal(vm_uart_read(&u, UART_IIR) & 0x0f, UART_IIR_THRI);
	assert_false(p.irq);                          /* OUT2 clear: IRQ gated off */
	vm_uart_write(&u, UART_IER, 0);
	vm_uart_write(&u, UART_MCR, UART_MCR_OUT2);
	vm_uart_write(&u, UART_IER, UART_IER_ETBEI);
	assert_true(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_THRI);
	/* the IIR read that reported THRE cleared it */
	assert_false(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_NO_INT);
	/* interrupt-driven TX: each THR write raises THRE again */
	vm_uart_write(&u, UART_THR, 'x');
	assert_true(p.irq);
	assert_int_equal(p.tx[0], 'x');
}

static void test_uart_rx_data_available_and_fifo_trigger(void **state)
{
	struct vm_uart u;
	struct uart_probe p;
	const uint8_t in[] = "abcdef";

	(void)state;
	uart_setup(&u, &p);
	vm_uart_write(&u, UART_MCR, UART_MCR_OUT2);
	vm_uart_write(&u, UART_IER, UART_IER_ERBFI);
	/* 16450 mode: one byte holding register */
	assert_int_equal(vm_uart_rx_room(&u), 1);
	assert_int_equal(vm_uart_receive(&u, in, 1), 1);
	assert_int_equal(vm_uart_rx_room(&u), 0);
	assert_true(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_RDI);
	assert_true(vm_uart_read(&u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(vm_uart_read(&u, UART_RBR), 'a');
	assert_false(p.irq);
	/* FIFO mode, trigger level 4 */
	vm_uart_write(&u, UART_FCR, UART_FCR_ENABLE | (1u << UART_FCR_TRIG_SHIFT));
	assert_int_equal(vm_uart_receive(&u, in, 2), 2);
	assert_int_equal(vm_uart_rx_room(&u), UART_FIFO_LEN - 2);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_CTI | UART_IIR_FIFO);
	assert_int_equal(vm_uart_receive(&u, in + 2, 2), 2);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_RDI | UART_IIR_FIFO);
	assert_int_equal(vm_uart_read(&u, UART_RBR), 'a');
	assert_int_equal(vm_uart_read(&u, UART_RBR), 'b');
	assert_int_equal(vm_uart_read(&u, UART_RBR), 'c');
	assert_int_equal(vm_uart_read(&u, UART_RBR), 'd');
	assert_false(vm_uart_read(&u, UART_LSR) & UART_LSR_DR);
	assert_false(p.irq);
}

static void test_uart_overrun_sets_oe_cleared_by_lsr_read(void **state)
{
	struct vm_uart u;
	struct uart_probe p;
	uint8_t in[20];
	uint8_t lsr;

	(void)state;
	uart_setup(&u, &p);
	memset(in, 'z', sizeof(in));
	vm_uart_write(&u, UART_FCR, UART_FCR_ENABLE);
	vm_uart_write(&u, UART_MCR, UART_MCR_OUT2);
	vm_uart_write(&u, UART_IER, UART_IER_ELSI);
	assert_int_equal(vm_uart_receive(&u, in, sizeof(in)), UART_FIFO_LEN);
	assert_true(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR) & 0x0f, UART_IIR_RLSI);
	lsr = vm_uart_read(&u, UART_LSR);
	assert_true(lsr & UART_LSR_OE);
	assert_false(vm_uart_read(&u, UART_LSR) & UART_LSR_OE);
	assert_false(p.irq);
	/* FCR RX clear empties the FIFO */
	vm_uart_write(&u, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX);
	assert_false(vm_uart_read(&u, UART_LSR) & UART_LSR_DR);
}

static void test_uart_loopback_and_msr(void **state)
{
	struct vm_uart u;
	struct uart_probe p;
	uint8_t msr;

	(void)state;
	uart_setup(&u, &p);
	msr = vm_uart_read(&u, UART_MSR);
	assert_int_equal(msr & 0xf0, UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
	vm_uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT1);
	msr = vm_uart_read(&u, UART_MSR);
	assert_int_equal(msr & 0xf0, UART_MSR_CTS | UART_MSR_RI);
	assert_true(msr & UART_MSR_DDSR);              /* DSR dropped: delta */
	assert_int_equal(vm_uart_read(&u, UART_MSR) & 0x0f, 0);   /* deltas cleared */
	vm_uart_write(&u, UART_THR, 0x5a);
	assert_int_equal(p.ntx, 0);                    /* looped back, not sent */
	assert_int_equal(vm_uart_read(&u, UART_RBR), 0x5a);
	/* RI trailing edge */
	vm_uart_write(&u, UART_MCR, UART_MCR_LOOP);
	assert_true(vm_uart_read(&u, UART_MSR) & UART_MSR_TERI);
	vm_uart_write(&u, UART_SCR, 0xa5);
	assert_int_equal(vm_uart_read(&u, UART_SCR), 0xa5);
	vm_uart_write(&u, UART_LSR, 0);                /* read-only: ignored */
	assert_int_equal(vm_uart_read(&u, 9), 0xff);   /* out of range */
	vm_uart_write(&u, 9, 1);
}

static void test_uart_modem_status_interrupt(void **state)
{
	struct vm_uart u;
	struct uart_probe p;

	(void)state;
	uart_setup(&u, &p);
	vm_uart_write(&u, UART_IER, UART_IER_EDSSI);
	vm_uart_write(&u, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);   /* CTS/DSR/DCD change */
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_MSI);
	vm_uart_read(&u, UART_MSR);
	assert_int_equal(vm_uart_read(&u, UART_IIR) & 1, 1);
}

/* -------------------------------------------------------------- fw_cfg */
/* Table IV: line status > received data > THR empty; each source clears
 * the way 8.4 says (LSR read, RBR read, IIR read) and INTRPT follows. */
static void test_uart_iir_priority_and_clearing(void **state)
{
	struct vm_uart u;
	struct uart_probe p;
	uint8_t in[2] = { 'a', 'b' };

	(void)state;
	uart_setup(&u, &p);
	vm_uart_write(&u, UART_MCR, UART_MCR_OUT2);
	vm_uart_write(&u, UART_IER, UART_IER_ERBFI | UART_IER_ETBEI | UART_IER_ELSI);
	assert_int_equal(vm_uart_receive(&u, in, 2), 1);    /* no FIFO: 'b' overruns */
	assert_true(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_RLSI);
	assert_true(vm_uart_read(&u, UART_LSR) & UART_LSR_OE);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_RDI);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_RDI);   /* IIR read keeps RDI */
	assert_int_equal(vm_uart_read(&u, UART_RBR), 'a');
	assert_true(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_THRI);  /* reading clears it */
	assert_false(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_NO_INT);
}

/* Linux's 8250 startup test (UART_BUG_THRE): with THR empty, rewriting
 * IER.ETBEI after the THRE interrupt was read must raise it again. */
static void test_uart_thre_reasserts_when_etbei_rewritten(void **state)
{
	struct vm_uart u;
	struct uart_probe p;

	(void)state;
	uart_setup(&u, &p);
	vm_uart_write(&u, UART_MCR, UART_MCR_OUT2);
	vm_uart_write(&u, UART_IER, UART_IER_ETBEI);
	assert_int_equal(vm_uart_read(&u, UART_IIR) & 0x0f, UART_IIR_THRI);
	vm_uart_write(&u, UART_IER, 0);
	vm_uart_write(&u, UART_IER, UART_IER_ETBEI);
	assert_true(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR) & 0x0f, UART_IIR_THRI);
	assert_false(p.irq);
	/* interrupt-driven transmit: each THR write raises THRE again */
	vm_uart_write(&u, UART_THR, 'x');
	assert_true(p.irq);
	vm_uart_write(&u, UART_IER, 0);                   /* stop_tx */
	assert_false(p.irq);
}

/* RX in FIFO mode: the line stays up until the FIFO is drained, and OUT2
 * gates it without losing the pending source. */
static void test_uart_rx_line_until_fifo_drained_and_out2(void **state)
{
	struct vm_uart u;
	struct uart_probe p;
	uint8_t in[3] = { '1', '2', '3' };
	unsigned i;

	(void)state;
	uart_setup(&u, &p);
	vm_uart_write(&u, UART_FCR, UART_FCR_ENABLE);      /* trigger level 1 */
	vm_uart_write(&u, UART_IER, UART_IER_ERBFI);
	assert_int_equal(vm_uart_receive(&u, in, 3), 3);
	assert_false(p.irq);                               /* OUT2 clear: gated */
	vm_uart_write(&u, UART_MCR, UART_MCR_OUT2);
	assert_true(p.irq);
	for (i = 0; i < 3; i++) {
		assert_true(p.irq);
		assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_RDI | UART_IIR_FIFO);
		assert_int_equal(vm_uart_read(&u, UART_RBR), in[i]);
	}
	assert_false(p.irq);
	assert_int_equal(vm_uart_read(&u, UART_IIR), UART_IIR_NO_INT | UART_IIR_FIFO);
}

static void test_fwcfg_signature_id_ram_cpus(void **state)
{
	struct vm_fwcfg f;
	uint8_t b[8];
	uint64_t ram = 0;
	unsigned i;

	(void)state;
	vm_fwcfg_init(&f, 0x12345678900ull, 12);
	vm_fwcfg_select(&f, FW_CFG_SIGNATURE);
	for (i = 0; i < 4; i++)
		b[i] = vm_fwcfg_read_byte(&f);
	assert_memory_equal(b, "QEMU", 4);
	assert_int_equal(vm_fwcfg_read_byte(&f), 0);    /* past the end */
	vm_fwcfg_select(&f, FW_CFG_ID);
	assert_int_equal(vm_fwcfg_read_byte(&f) & 1, 1);
	vm_fwcfg_select(&f, FW_CFG_RAM_SIZE);
	for (i = 0; i < 8; i++)
		ram |= (uint64_t)vm_fwcfg_read_byte(&f) << (8 * i);
	assert_int_equal(ram, 0x12345678900ull);
	vm_fwcfg_select(&f, FW_CFG_NB_CPUS);
	assert_int_equal(vm_fwcfg_read_byte(&f), 12);
	assert_int_equal(vm_fwcfg_read_byte(&f), 0);
	vm_fwcfg_select(&f, 0x4242);                     /* unknown key */
	assert_int_equal(vm_fwcfg_read_byte(&f), 0);
	/* reselecting restarts at offset 0 */
	vm_fwcfg_select(&f, FW_CFG_SIGNATURE);
	assert_int_equal(vm_fwcfg_read_byte(&f), 'Q');
}

/* ------------------------------------------------------------- testdev */
struct irq_probe {
	int level[TESTDEV_IRQ_LINES];
	unsigned calls;
};

static void probe_set_irq(void *opaque, unsigned irq, bool level)
{
	struct irq_probe *p = opaque;

	assert_true(irq < TESTDEV_IRQ_LINES);
	p->level[irq] = level;
	p->calls++;
}

static void test_testdev_scratch_and_irq_lines(void **state)
{
	struct vm_testdev t;
	struct irq_probe p;

	(void)state;
	memset(&p, 0, sizeof(p));
	vm_testdev_init(&t, probe_set_irq, &p);
	vm_testdev_write(&t, TESTDEV_SCRATCH, 4, 0xdeadbeef);
	assert_int_equal(vm_testdev_read(&t, TESTDEV_SCRATCH, 4), 0xdeadbeef);
	assert_int_equal(vm_testdev_read(&t, TESTDEV_SCRATCH + 1, 1), 0xbe);
	vm_testdev_write(&t, TESTDEV_SCRATCH + 2, 2, 0x1234);
	assert_int_equal(vm_testdev_read(&t, TESTDEV_SCRATCH, 4), 0x1234beef);
	/* byte write: line n := value != 0 */
	vm_testdev_write(&t, TESTDEV_IRQ_BASE + 5, 1, 0x80);
	assert_int_equal(p.level[5], 1);
	assert_int_equal(vm_testdev_read(&t, TESTDEV_IRQ_BASE + 5, 1), 1);
	vm_testdev_write(&t, TESTDEV_IRQ_BASE + 5, 1, 0);
	assert_int_equal(p.level[5], 0);
	/* wider write: consecutive lines, one byte each */
	p.calls = 0;
	vm_testdev_write(&t, TESTDEV_IRQ_BASE + 8, 4, 0x01000100);
	assert_int_equal(p.calls, 4);
	assert_int_equal(p.level[8], 0);
	assert_int_equal(p.level[9], 1);
	assert_int_equal(p.level[10], 0);
	assert_int_equal(p.level[11], 1);
	/* the last line, and past it */
	vm_testdev_write(&t, TESTDEV_IRQ_BASE + 23, 2, 0x0101);
	assert_int_equal(p.level[23], 1);
	vm_testdev_write(&t, TESTDEV_FLUSH, 4, 0x1000);
	assert_int_equal(t.flushes, 1);
}

/* ----------------------------------------------------------------- PM */
struct pm_probe {
	bool sci;
	int slp;
};

static void pm_sci(void *opaque, bool level) { ((struct pm_probe *)opaque)->sci = level; }
static void pm_sleep(void *opaque, unsigned t) { ((struct pm_probe *)opaque)->slp = (int)t; }

static void test_pm_timer_frequency_and_width(void **state)
{
	struct sc_fake_clock fc;
	struct vm_pm pm;
	uint32_t t0, t1;

	(void)state;
	sc_fake_clock_init(&fc, 0);
	vm_pm_init(&pm, &fc.clock, true, NULL, NULL, NULL);
	t0 = vm_pm_read(&pm, 8, 4);
	sc_fake_clock_advance(&fc, SC_NSEC_PER_SEC);
	t1 = vm_pm_read(&pm, 8, 4);
	assert_int_equal(t1 - t0, ACPI_PM_TIMER_HZ);   /* 3.579545 MHz */
	/* 24-bit timer wraps at 2^24 */
	vm_pm_init(&pm, &fc.clock, false, NULL, NULL, NULL);
	sc_fake_clock_advance(&fc, 10 * SC_NSEC_PER_SEC);
	assert_true(vm_pm_read(&pm, 8, 4) < (1u << 24));
	assert_int_equal(vm_pm_read(&pm, 8, 4), (uint32_t)(11ull * ACPI_PM_TIMER_HZ) & 0xffffff);
	/* byte read of the upper half */
	assert_int_equal(vm_pm_read(&pm, 10, 1), ((11ull * ACPI_PM_TIMER_HZ) >> 16) & 0xff);
}

static void test_pm_tmr_sts_on_msb_toggle_and_sci(void **state)
{
	struct sc_fake_clock fc;
	struct vm_pm pm;
	struct pm_probe p = { false, -1 };
	struct sc_line sci = { pm_sci, &p };
	uint64_t toggle_ns = (uint64_t)(1u << 23) * SC_NSEC_PER_SEC / ACPI_PM_TIMER_HZ + 1000;

	(void)state;
	sc_fake_clock_init(&fc, 0);
	vm_pm_init(&pm, &fc.clock, false, &sci, pm_sleep, &p);
	assert_int_equal(vm_pm_read(&pm, 0, 2) & PM1_STS_TMR, 0);
	vm_pm_write(&pm, 2, 2, PM1_EN_TMR);
	assert_int_equal(vm_pm_read(&pm, 2, 2), PM1_EN_TMR);
	sc_fake_clock_advance(&fc, toggle_ns);
	assert_int_equal(vm_pm_read(&pm, 0, 2) & PM1_STS_TMR, PM1_STS_TMR);
	assert_true(p.sci);                              /* SCI_EN && TMR_EN && TMR_STS */
	vm_pm_write(&pm, 0, 2, PM1_STS_TMR);             /* write 1 to clear */
	assert_int_equal(vm_pm_read(&pm, 0, 2) & PM1_STS_TMR, 0);
	assert_false(p.sci);
}

static void test_pm1_cnt_sci_en_and_slp_en_powers_off(void **state)
{
	struct sc_fake_clock fc;
	struct vm_pm pm;
	struct pm_probe p = { false, -1 };

	(void)state;
	sc_fake_clock_init(&fc, 0);
	vm_pm_init(&pm, &fc.clock, true, NULL, pm_sleep, &p);
	assert_int_equal(vm_pm_read(&pm, 4, 2) & PM1_CNT_SCI_EN, PM1_CNT_SCI_EN);
	vm_pm_write(&pm, 4, 2, 0);                       /* SCI_EN stays set */
	assert_int_equal(vm_pm_read(&pm, 4, 2) & PM1_CNT_SCI_EN, PM1_CNT_SCI_EN);
	vm_pm_write(&pm, 4, 2, VM_SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT);   /* no SLP_EN */
	assert_int_equal(p.slp, -1);
	vm_pm_write(&pm, 4, 2, (VM_SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN);
	assert_int_equal(p.slp, VM_SLP_TYP_S5);
	assert_int_equal(vm_pm_read(&pm, 4, 2) & PM1_CNT_SLP_EN, 0);      /* write-only */
	assert_int_equal(vm_pm_read(&pm, 6, 2), 0xffff);                  /* hole */
}

/* ------------------------------------------------------------ dispatch */
struct exit_probe {
	enum vm_exit_kind kind;
	int status;
	unsigned calls;
};

static void probe_exit(void *opaque, enum vm_exit_kind kind, int status)
{
	struct exit_probe *e = opaque;

	e->kind = kind;
	e->status = status;
	e->calls++;
}

static void devs_setup(struct vm_devs *d, struct exit_probe *e, struct sc_fake_clock *fc,
		       struct uart_probe *up)
{
	struct sc_line l = { probe_irq, up };

	memset(d, 0, sizeof(*d));
	memset(e, 0, sizeof(*e));
	memset(up, 0, sizeof(*up));
	pthread_mutex_init(&d->lock, NULL);
	sc_fake_clock_init(fc, 0);
	vm_uart_init(&d->uart, &l, probe_tx, up);
	vm_fwcfg_init(&d->fwcfg, 64ull << 20, 3);
	vm_testdev_init(&d->testdev, NULL, NULL);
	vm_pm_init(&d->pm, &fc->clock, true, NULL, NULL, NULL);
	d->request_exit = probe_exit;
	d->exit_opaque = e;
}

static void test_dispatch_debug_exit_status(void **state)
{
	struct vm_devs d;
	struct exit_probe e;
	struct sc_fake_clock fc;
	struct uart_probe up;

	(void)state;
	devs_setup(&d, &e, &fc, &up);
	vm_io_dispatch(&d, VM_PIO, 0xf4, 1, true, 0);
	assert_int_equal(e.kind, VM_EXIT_DEBUG);
	assert_int_equal(e.status, 1);                   /* (0 << 1) | 1 */
	vm_io_dispatch(&d, VM_PIO, 0xf4, 4, true, 0x21);
	assert_int_equal(e.status, 0x43);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0xf4, 1, false, 0), 0xff);
}

static void test_dispatch_i8042_reset_and_status(void **state)
{
	struct vm_devs d;
	struct exit_probe e;
	struct sc_fake_clock fc;
	struct uart_probe up;

	(void)state;
	devs_setup(&d, &e, &fc, &up);
	/* buffers empty: OBF and IBF clear, system flag set */
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0x64, 1, false, 0) & 0x07, 0x04);
	vm_io_dispatch(&d, VM_PIO, 0x64, 1, true, 0xAD);  /* other commands: ignored */
	assert_int_equal(e.calls, 0);
	vm_io_dispatch(&d, VM_PIO, 0x64, 1, true, 0xFE);
	assert_int_equal(e.kind, VM_EXIT_RESET);
	assert_int_equal(e.status, 0);
}

static void test_dispatch_unassigned_reads_all_ones(void **state)
{
	struct vm_devs d;
	struct exit_probe e;
	struct sc_fake_clock fc;
	struct uart_probe up;

	(void)state;
	devs_setup(&d, &e, &fc, &up);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0x1234, 1, false, 0), 0xff);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0x1234, 2, false, 0), 0xffff);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0xcf0, 4, false, 0), 0xffffffffu);
	assert_int_equal(vm_io_dispatch(&d, VM_MMIO, 0xff000000ull, 8, false, 0), ~0ull);
	assert_int_equal(vm_io_dispatch(&d, VM_MMIO, 0xff000000ull, 3, false, 0), 0xffffff);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0x1234, 1, true, 5), 0);
	assert_int_equal(d.unassigned_pio, 4);
	assert_int_equal(d.unassigned_mmio, 2);
	/* odd widths never crash */
	assert_int_equal(vm_io_dispatch(&d, VM_MMIO, 0, 0, false, 0), ~0ull);
	assert_int_equal(vm_io_dispatch(&d, VM_MMIO, 0, 9, false, 0), ~0ull);
	/* no chipset attached: its ranges float too */
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0x21, 1, false, 0), 0xff);
	assert_int_equal(vm_io_dispatch(&d, VM_MMIO, VM_HPET_ADDR, 4, false, 0), 0xffffffffu);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0x80, 1, false, 0), 0xff);
	vm_io_dispatch(&d, VM_PIO, 0x80, 1, true, 0x55);
}

static void test_dispatch_routes_to_devices(void **state)
{
	struct vm_devs d;
	struct exit_probe e;
	struct sc_fake_clock fc;
	struct uart_probe up;
	uint64_t v;

	(void)state;
	devs_setup(&d, &e, &fc, &up);
	vm_io_dispatch(&d, VM_PIO, 0x3f8, 1, true, 'K');
	assert_int_equal(up.tx[0], 'K');
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, 0x3fd, 1, false, 0) & UART_LSR_THRE,
			 UART_LSR_THRE);
	/* 16-bit access spanning LSR/MSR */
	v = vm_io_dispatch(&d, VM_PIO, 0x3fd, 2, false, 0);
	assert_int_equal(v & UART_LSR_THRE, UART_LSR_THRE);
	/* fw_cfg: 16-bit selector, byte data */
	vm_io_dispatch(&d, VM_PIO, FW_CFG_PORT_SEL, 2, true, FW_CFG_NB_CPUS);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, FW_CFG_PORT_DATA, 1, false, 0), 3);
	vm_io_dispatch(&d, VM_PIO, FW_CFG_PORT_SEL, 2, true, FW_CFG_SIGNATURE);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, FW_CFG_PORT_DATA, 4, false, 0), 0x554d4551);
	/* pc-testdev scratch */
	vm_io_dispatch(&d, VM_PIO, TESTDEV_SCRATCH, 4, true, 0xcafe);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, TESTDEV_SCRATCH, 4, false, 0), 0xcafe);
	/* PM timer through the table */
	sc_fake_clock_advance(&fc, 1000000);
	assert_int_equal(vm_io_dispatch(&d, VM_PIO, VM_PM_TMR_BLK, 4, false, 0), 3579);
}

static void test_dispatch_table_ranges_do_not_overlap(void **state)
{
	unsigned n, i, j;
	const struct vm_io_range *t = vm_io_table(&n);

	(void)state;
	for (i = 0; i < n; i++) {
		assert_non_null(t[i].fn);
		assert_true(t[i].len > 0);
		assert_ptr_equal(vm_io_lookup(t[i].space, t[i].base), &t[i]);
		assert_ptr_equal(vm_io_lookup(t[i].space, t[i].base + t[i].len - 1), &t[i]);
		for (j = 0; j < n; j++)
			if (i != j && t[i].space == t[j].space)
				assert_true(t[i].base + t[i].len <= t[j].base ||
					    t[j].base + t[j].len <= t[i].base);
	}
	assert_null(vm_io_lookup(VM_PIO, 0x3f8 + 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uart_lsr_reports_thre_and_temt),
		cmocka_unit_test(test_uart_polled_tx_reaches_host),
		cmocka_unit_test(test_uart_dlab_selects_divisor_latch),
		cmocka_unit_test(test_uart_thre_interrupt_gated_by_out2_cleared_by_iir_read),
		cmocka_unit_test(test_uart_rx_data_available_and_fifo_trigger),
		cmocka_unit_test(test_uart_overrun_sets_oe_cleared_by_lsr_read),
		cmocka_unit_test(test_uart_loopback_and_msr),
		cmocka_unit_test(test_uart_modem_status_interrupt),
		cmocka_unit_test(test_uart_iir_priority_and_clearing),
		cmocka_unit_test(test_uart_thre_reasserts_when_etbei_rewritten),
		cmocka_unit_test(test_uart_rx_line_until_fifo_drained_and_out2),
		cmocka_unit_test(test_fwcfg_signature_id_ram_cpus),
		cmocka_unit_test(test_testdev_scratch_and_irq_lines),
		cmocka_unit_test(test_pm_timer_frequency_and_width),
		cmocka_unit_test(test_pm_tmr_sts_on_msb_toggle_and_sci),
		cmocka_unit_test(test_pm1_cnt_sci_en_and_slp_en_powers_off),
		cmocka_unit_test(test_dispatch_debug_exit_status),
		cmocka_unit_test(test_dispatch_i8042_reset_and_status),
		cmocka_unit_test(test_dispatch_unassigned_reads_all_ones),
		cmocka_unit_test(test_dispatch_routes_to_devices),
		cmocka_unit_test(test_dispatch_table_ranges_do_not_overlap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
