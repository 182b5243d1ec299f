/* SPDX-License-Identifier: MIT */
/*
 * 16550 UART.  Section references: National Semiconductor PC16550D
 * datasheet (June 1995), "8.0 Registers".  Transmission is instantaneous:
 * a THR write hands the byte to the host at once, so THRE/TEMT always read
 * 1 and the THRE interrupt re-arises right after each write.  The
 * character-timeout interrupt (8.4, IIR 0x0C) is raised as soon as the RX
 * FIFO holds data below its trigger level instead of after four character
 * times: the host link has no character timing.
 */
#include "devices.h"

#include <string.h>

static unsigned rx_trigger(const struct vm_uart *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };   /* FCR bits 7:6 */

	return levels[(u->fcr >> UART_FCR_TRIG_SHIFT) & 3];
}

static bool fifo_on(const struct vm_uart *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

/* IIR interrupt identification, priorities of table IV. */
static uint8_t iir_id(const struct vm_uart *u)
{
	if ((u->ier & UART_IER_ELSI) &&
	    (u->lsr & (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
		if (!fifo_on(u) || u->rx_count >= rx_trigger(u))
			return UART_IIR_RDI;
		return UART_IIR_CTI;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thr_int)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & 0x0f))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void update_irq(struct vm_uart *u)
{
	/* On the PC the INTRPT pin reaches the IRQ line through OUT2 */
	bool level = iir_id(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		sc_line_set(&u->irq, level);
	}
}

void vm_uart_init(struct vm_uart *u, const struct sc_line *irq,
		  void (*tx)(void *opaque, uint8_t byte), void *tx_opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	if (irq)
		u->irq = *irq;
	u->tx = tx;
	u->tx_opaque = tx_opaque;
	/* 8.5 reset state: LSR THRE|TEMT, MSR inputs as a connected DCE */
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->msr = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	u->thr_int = false;
}

static bool rx_push(struct vm_uart *u, uint8_t b)
{
	unsigned cap = fifo_on(u) ? UART_FIFO_LEN : 1;

	if (u->rx_count >= cap) {
		u->lsr |= UART_LSR_OE;        /* 8.4 overrun: the new byte is lost */
		u->rx_overruns++;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_LEN] = b;
	u->rx_count++;
	u->rx_bytes++;
	return true;
}

unsigned vm_uart_rx_room(const struct vm_uart *u)
{
	unsigned cap = fifo_on(u) ? UART_FIFO_LEN : 1;

	return u->rx_count < cap ? cap - u->rx_count : 0;
}

unsigned vm_uart_receive(struct vm_uart *u, const uint8_t *buf, unsigned n)
{
	unsigned i, ok = 0;

	for (i = 0; i < n; i++)
		ok += rx_push(u, buf[i]);
	update_irq(u);
	return ok;
}

static uint8_t loop_msr(uint8_t mcr)
{
	/* 8.6 loopback: CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2 */
	return (uint8_t)(((mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
			 ((mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
			 ((mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
			 ((mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

static void set_msr_inputs(struct vm_uart *u, uint8_t in)
{
	uint8_t old = u->msr & 0xf0, d = 0;

	if ((old ^ in) & UART_MSR_CTS)
		d |= UART_MSR_DCTS;
	if ((old ^ in) & UART_MSR_DSR)
		d |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(in & UART_MSR_RI))
		d |= UART_MSR_TERI;            /* trailing edge of RI */
	if ((old ^ in) & UART_MSR_DCD)
		d |= UART_MSR_DDCD;
	u->msr = (uint8_t)(in | (u->msr & 0x0f) | d);
}

uint8_t vm_uart_read(struct vm_uart *u, unsigned off)
{
	uint8_t v = 0xff;

	switch (off) {
	case UART_RBR:
		if (u->lcr & UART_LCR_DLAB) {
			v = u->dll;
			break;
		}
		v = 0;
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_FIFO_LEN;
			u->rx_count--;
		}
		break;
	case UART_IER:
		v = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = iir_id(u);
		/* 8.4: reading IIR clears a THRE interrupt it reports */
		if (v == UART_IIR_THRI)
			u->thr_int = false;
		if (fifo_on(u))
			v |= UART_IIR_FIFO;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = (uint8_t)(u->lsr | (u->rx_count ? UART_LSR_DR : 0));
		/* reading LSR clears the error bits */
		u->lsr &= (uint8_t)~(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI);
		break;
	case UART_MSR:
		v = u->msr;
		u->msr &= 0xf0;                /* reading MSR clears the deltas */
		break;
	case UART_SCR:
		v = u->scr;
		break;
	default:
		break;
	}
	update_irq(u);
	return v;
}

void vm_uart_write(struct vm_uart *u, unsigned off, uint8_t val)
{
	switch (off) {
	case UART_THR:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = val;
			break;
		}
		if (u->mcr & UART_MCR_LOOP) {
			rx_push(u, val);
		} else {
			u->tx_bytes++;
			if (u->tx)
				u->tx(u->tx_opaque, val);
		}
		u->thr_int = true;             /* transmitted at once: THR empty again */
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* ETBEI 0->1 with THR empty raises THRE at once (8.4) */
		if ((val & UART_IER_ETBEI) && !(u->ier & UART_IER_ETBEI))
			u->thr_int = true;
		u->ier = val & 0x0f;
		break;
	case UART_FCR:
		if ((val ^ u->fcr) & UART_FCR_ENABLE)
			val |= UART_FCR_CLR_RX | UART_FCR_CLR_TX;   /* mode change resets FIFOs */
		if (val & UART_FCR_CLR_RX) {
			u->rx_head = 0;
			u->rx_count = 0;
		}
		u->fcr = val & (UART_FCR_ENABLE | (3u << UART_FCR_TRIG_SHIFT));
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		if (u->mcr & UART_MCR_LOOP)
			set_msr_inputs(u, loop_msr(u->mcr));
		else
			set_msr_inputs(u, UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
		break;
	case UART_LSR:
	case UART_MSR:
		break;                          /* factory test / read-only */
	case UART_SCR:
		u->scr = val;
		break;
	default:
		break;
	}
	update_irq(u);
}
