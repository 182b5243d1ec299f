/* SPDX-License-Identifier: MIT */
/*
 * ACPI and MP tables.  Section numbers: ACPI Specification 6.4 (5.2.x
 * tables, 5.2.3.2 GAS, 20 AML encoding); Intel MultiProcessor
 * Specification 1.4 (chapter 4).
 */
#include "acpi.h"

#include <errno.h>
#include <string.h>

#define OEM_ID       "SPLTVM"
#define OEM_TABLE_ID "SPLITVM "
#define CREATOR_ID   "SPLT"

static const char *const names[ACPI_NTABLES] = {
	"RSDP", "RSDT", "XSDT", "FACP", "FACS", "DSDT", "APIC", "HPET", "MPFP", "PCMP",
};

const char *acpi_table_name(enum acpi_table_id id)
{
	return (unsigned)id < ACPI_NTABLES ? names[id] : "?";
}

uint8_t acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void w8(uint8_t *p, size_t off, uint8_t v) { p[off] = v; }
static void w16(uint8_t *p, size_t off, uint16_t v) { memcpy(p + off, &v, 2); }
static void w32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static void w64(uint8_t *p, size_t off, uint64_t v) { memcpy(p + off, &v, 8); }

/* Generic Address Structure, ACPI 5.2.3.2 */
#define GAS_SYSTEM_MEMORY 0
#define GAS_SYSTEM_IO     1
#define GAS_ACCESS_BYTE   1
#define GAS_ACCESS_WORD   2
#define GAS_ACCESS_DWORD  3
static void gas(uint8_t *p, size_t off, uint8_t space, uint8_t bits, uint8_t access,
		uint64_t addr)
{
	w8(p, off, space);
	w8(p, off + 1, bits);
	w8(p, off + 2, 0);
	w8(p, off + 3, access);
	w64(p, off + 4, addr);
}

/* System Description Table Header, ACPI 5.2.6 (36 bytes) */
#define SDT_HDR 36u
static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	w32(t, 4, len);
	w8(t, 8, rev);
	w8(t, 9, 0);
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	w32(t, 24, 1);
	memcpy(t + 28, CREATOR_ID, 4);
	w32(t, 32, 1);
}

static void sdt_checksum(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)(0x100 - acpi_sum(t, len));
}

struct builder {
	uint8_t *buf;
	uint32_t base;
	size_t len, used;
	bool overflow;
};

/* Allocate @size bytes aligned to @align; returns its offset in buf. */
static size_t alloc(struct builder *b, size_t size, size_t align)
{
	size_t off = (b->used + align - 1) & ~(align - 1);

	if (off > b->len || size > b->len - off) {
		b->overflow = true;
		return 0;
	}
	b->used = off + size;
	memset(b->buf + off, 0, size);
	return off;
}

/* MADT flags for MPS INTI (ACPI 5.2.12.5 table 5.26) */
#define MPS_INTI_POLARITY_HIGH 0x1
#define MPS_INTI_POLARITY_LOW  0x3
#define MPS_INTI_TRIGGER_EDGE  (0x1 << 2)
#define MPS_INTI_TRIGGER_LEVEL (0x3 << 2)

/* DSDT AML (ACPI 20.2): Name (_S5, Package (0x04) { 0x05, Zero, Zero, Zero }) */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',          /* NameOp NameString */
	0x12, 0x07, 0x04,                  /* PackageOp PkgLength NumElements */
	0x0A, VM_SLP_TYP_S5,               /* BytePrefix SLP_TYPa */
	0x00, 0x00, 0x00,                  /* ZeroOp SLP_TYPb, reserved x2 */
};

static void build_fadt(uint8_t *t, const struct acpi_config *cfg, uint32_t facs,
		       uint32_t dsdt)
{
	/* ACPI 5.2.9, FADT revision 6 (276 bytes) */
	uint32_t flags = 0;

	sdt_header(t, "FACP", 276, 6);
	w32(t, 36, facs);                       /* FIRMWARE_CTRL */
	w32(t, 40, dsdt);                       /* DSDT */
	w8(t, 45, 0);                           /* Preferred_PM_Profile: unspecified */
	w16(t, 46, VM_SCI_IRQ);                 /* SCI_INT */
	w32(t, 48, 0);                          /* SMI_CMD 0: always in ACPI mode */
	w32(t, 56, VM_PM1A_EVT_BLK);            /* PM1a_EVT_BLK */
	w32(t, 64, VM_PM1A_CNT_BLK);            /* PM1a_CNT_BLK */
	w32(t, 76, VM_PM_TMR_BLK);              /* PM_TMR_BLK */
	w8(t, 88, 4);                           /* PM1_EVT_LEN */
	w8(t, 89, 2);                           /* PM1_CNT_LEN */
	w8(t, 91, 4);                           /* PM_TMR_LEN */
	w16(t, 96, 101);                        /* P_LVL2_LAT > 100: C2 unsupported */
	w16(t, 98, 1001);                       /* P_LVL3_LAT > 1000: C3 unsupported */
	w8(t, 108, cfg->rtc_century);           /* CENTURY */
	w16(t, 109, 0x0001);                    /* IAPC_BOOT_ARCH: LEGACY_DEVICES */
	flags |= 1u << 0;                       /* WBINVD */
	flags |= 1u << 4;                       /* PWR_BUTTON: no fixed power button */
	flags |= 1u << 5;                       /* SLP_BUTTON: no fixed sleep button */
	if (cfg->pm_tmr_32bit)
		flags |= 1u << 8;               /* TMR_VAL_EXT */
	flags |= 1u << 10;                      /* RESET_REG_SUP */
	w32(t, 112, flags);
	gas(t, 116, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, VM_RESET_PORT);   /* RESET_REG */
	w8(t, 128, VM_RESET_VALUE);
	w8(t, 131, 0);                          /* FADT Minor Version */
	w64(t, 132, facs);                      /* X_FIRMWARE_CTRL */
	w64(t, 140, dsdt);                      /* X_DSDT */
	gas(t, 148, GAS_SYSTEM_IO, 32, GAS_ACCESS_WORD, VM_PM1A_EVT_BLK);
	gas(t, 172, GAS_SYSTEM_IO, 16, GAS_ACCESS_WORD, VM_PM1A_CNT_BLK);
	gas(t, 208, GAS_SYSTEM_IO, 32, GAS_ACCESS_DWORD, VM_PM_TMR_BLK);
	memcpy(t + 268, "SPLITVM ", 8);         /* Hypervisor Vendor Identity */
	sdt_checksum(t, 276);
}

static uint32_t madt_size(const struct acpi_config *cfg)
{
	return SDT_HDR + 8 + 8 * cfg->ncpus + 12 * cfg->nioapics + 2 * 10 + 6;
}

static void build_madt(uint8_t *t, const struct acpi_config *cfg)
{
	uint32_t len = madt_size(cfg), off = SDT_HDR + 8;
	unsigned i;

	sdt_header(t, "APIC", len, 5);
	w32(t, 36, VM_LAPIC_ADDR);
	w32(t, 40, 1);                          /* PCAT_COMPAT: 8259s present */
	for (i = 0; i < cfg->ncpus; i++, off += 8) {   /* 5.2.12.2 */
		w8(t, off, 0);
		w8(t, off + 1, 8);
		w8(t, off + 2, (uint8_t)i);             /* ACPI Processor UID */
		w8(t, off + 3, (uint8_t)i);             /* APIC ID */
		w32(t, off + 4, 1);                     /* Enabled */
	}
	for (i = 0; i < cfg->nioapics; i++, off += 12) {   /* 5.2.12.3 */
		w8(t, off, 1);
		w8(t, off + 1, 12);
		w8(t, off + 2, (uint8_t)i);             /* I/O APIC ID */
		w32(t, off + 4, VM_IOAPIC_ADDR(i));
		w32(t, off + 8, VM_IOAPIC_PINS * i);    /* Global System Interrupt Base */
	}
	/* 5.2.12.5 Interrupt Source Overrides */
	w8(t, off, 2); w8(t, off + 1, 10); w8(t, off + 2, 0); w8(t, off + 3, 0);
	w32(t, off + 4, 2);
	w16(t, off + 8, MPS_INTI_POLARITY_HIGH | MPS_INTI_TRIGGER_EDGE);
	off += 10;
	w8(t, off, 2); w8(t, off + 1, 10); w8(t, off + 2, 0); w8(t, off + 3, VM_SCI_IRQ);
	w32(t, off + 4, VM_SCI_IRQ);
	w16(t, off + 8, MPS_INTI_POLARITY_HIGH | MPS_INTI_TRIGGER_LEVEL);
	off += 10;
	/* 5.2.12.7 Local APIC NMI: all processors, LINT1 */
	w8(t, off, 4); w8(t, off + 1, 6); w8(t, off + 2, 0xFF);
	w16(t, off + 3, MPS_INTI_POLARITY_HIGH | MPS_INTI_TRIGGER_EDGE);
	w8(t, off + 5, 1);
	sdt_checksum(t, len);
}

static void build_hpet(uint8_t *t, const struct acpi_config *cfg)
{
	/* IA-PC HPET Specification 1.0a, 3.2.4 "The ACPI 2.0 HPET Description Table" */
	sdt_header(t, "HPET", 56, 1);
	w32(t, 36, cfg->hpet_block_id);          /* Event Timer Block ID */
	gas(t, 40, GAS_SYSTEM_MEMORY, 64, 0, VM_HPET_ADDR);
	w8(t, 52, 0);                            /* HPET Number */
	w16(t, 53, 0x80);                        /* Main Counter Minimum Clock_tick */
	w8(t, 55, 0);                            /* Page Protection: none */
	sdt_checksum(t, 56);
}

/* ---- MP Specification 1.4 ---- */
#define MP_PROC_LEN 20u
#define MP_ENTRY_LEN 8u
#define MP_INT 0
#define MP_NMI 1
#define MP_EXTINT 3

static uint32_t mp_config_size(const struct acpi_config *cfg)
{
	/* header, processors, bus, IOAPICs, 15 ISA I/O interrupts, 2 local */
	return 44 + MP_PROC_LEN * cfg->ncpus + MP_ENTRY_LEN * (1 + cfg->nioapics + 15 + 2);
}

static void mp_ioint(uint8_t *t, uint32_t off, uint8_t type, uint16_t flags,
		     uint8_t irq, uint8_t apic, uint8_t pin)
{
	w8(t, off, 3);             /* 4.3.4 I/O Interrupt Assignment */
	w8(t, off + 1, type);
	w16(t, off + 2, flags);
	w8(t, off + 4, 0);         /* source bus: ISA */
	w8(t, off + 5, irq);
	w8(t, off + 6, apic);
	w8(t, off + 7, pin);
}

static void build_mp(uint8_t *fp, uint8_t *t, uint32_t config_addr,
		     const struct acpi_config *cfg)
{
	uint32_t len = mp_config_size(cfg), off = 44;
	uint16_t count = 0;
	unsigned i;

	/* 4.1 MP Floating Pointer Structure */
	memcpy(fp, "_MP_", 4);
	w32(fp, 4, config_addr);
	w8(fp, 8, 1);                    /* length in 16-byte units */
	w8(fp, 9, 4);                    /* spec revision 1.4 */
	w8(fp, 11, 0);                   /* feature 1: config table present */
	w8(fp, 12, 0);                   /* feature 2: IMCRP clear, virtual wire */
	fp[10] = (uint8_t)(0x100 - acpi_sum(fp, 16));

	/* 4.2 MP Configuration Table Header */
	memcpy(t, "PCMP", 4);
	w16(t, 4, (uint16_t)len);
	w8(t, 6, 4);
	memcpy(t + 8, "SPLITVM ", 8);
	memcpy(t + 16, "SPLITCHIP   ", 12);
	w32(t, 36, VM_LAPIC_ADDR);
	for (i = 0; i < cfg->ncpus; i++, off += MP_PROC_LEN, count++) {   /* 4.3.1 */
		w8(t, off, 0);
		w8(t, off + 1, (uint8_t)i);
		w8(t, off + 2, 0x14);                     /* local APIC version */
		w8(t, off + 3, (uint8_t)(1u | (i == 0 ? 2u : 0u)));   /* EN, BP */
		w32(t, off + 4, 0x600);                   /* CPU signature: family 6 */
		w32(t, off + 8, 0x201);                   /* features: FPU, APIC */
	}
	w8(t, off, 1);                                    /* 4.3.2 Bus */
	w8(t, off + 1, 0);
	memcpy(t + off + 2, "ISA   ", 6);
	off += MP_ENTRY_LEN;
	count++;
	for (i = 0; i < cfg->nioapics; i++, off += MP_ENTRY_LEN, count++) {   /* 4.3.3 */
		w8(t, off, 2);
		w8(t, off + 1, (uint8_t)i);
		w8(t, off + 2, cfg->ioapic_version);
		w8(t, off + 3, 1);                        /* EN */
		w32(t, off + 4, VM_IOAPIC_ADDR(i));
	}
	for (i = 0; i < 16; i++) {
		uint16_t flags = 0;                       /* conforms to ISA: edge, high */

		if (i == 2)
			continue;                         /* cascade */
		if (i == VM_SCI_IRQ)
			flags = 0x1 | (0x3 << 2);         /* active high, level */
		mp_ioint(t, off, MP_INT, flags, (uint8_t)i, 0, (uint8_t)(i == 0 ? 2 : i));
		off += MP_ENTRY_LEN;
		count++;
	}
	/* 4.3.5 Local Interrupt Assignment: LINT0 ExtINT, LINT1 NMI, all LAPICs */
	w8(t, off, 4); w8(t, off + 1, MP_EXTINT); w8(t, off + 6, 0xFF); w8(t, off + 7, 0);
	off += MP_ENTRY_LEN;
	w8(t, off, 4); w8(t, off + 1, MP_NMI); w8(t, off + 6, 0xFF); w8(t, off + 7, 1);
	off += MP_ENTRY_LEN;
	count += 2;
	w16(t, 34, count);
	t[7] = (uint8_t)(0x100 - acpi_sum(t, len));
}

int acpi_build(uint8_t *buf, uint32_t base, size_t len,
	       const struct acpi_config *cfg, struct acpi_tables *out)
{
	struct builder b = { buf, base, len, 0, false };
	size_t rsdp, rsdt, xsdt, fadt, facs, dsdt, madt, hpet = 0, mpfp, mpc;
	uint32_t ntables = cfg && cfg->hpet ? 3 : 2;
	uint32_t dsdt_len = SDT_HDR + (uint32_t)sizeof(dsdt_aml);
	uint32_t mp_base;

	if (!buf || !cfg || !out || cfg->ncpus < 1 || cfg->ncpus > 255 ||
	    cfg->nioapics < 1 || cfg->nioapics > 8)
		return -EINVAL;
	if (base < ACPI_BIOS_BASE || len > ACPI_BIOS_BASE + ACPI_BIOS_LEN - base)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memset(buf, 0, len);

	/* ACPI 5.2.5.1: the RSDP sits on a 16-byte boundary in 0xE0000-0xFFFFF */
	rsdp = alloc(&b, 36, 16);
	rsdt = alloc(&b, SDT_HDR + 4 * ntables, 16);
	xsdt = alloc(&b, SDT_HDR + 8 * ntables, 16);
	fadt = alloc(&b, 276, 16);
	facs = alloc(&b, 64, 64);           /* 5.2.10: FACS 64-byte aligned */
	dsdt = alloc(&b, dsdt_len, 16);
	madt = alloc(&b, madt_size(cfg), 16);
	if (cfg->hpet)
		hpet = alloc(&b, 56, 16);
	/* MP tables in the BIOS ROM area 0xF0000-0xFFFFF (MP 4.1) */
	mp_base = base < MP_AREA_BASE ? MP_AREA_BASE - base : 0;
	if (b.used > mp_base)
		mp_base = (uint32_t)((b.used + 15) & ~(size_t)15);
	b.used = mp_base;
	mpfp = alloc(&b, 16, 16);
	mpc = alloc(&b, mp_config_size(cfg), 16);
	if (b.overflow)
		return -ENOSPC;

#define PHYS(off) ((uint32_t)(base + (off)))
	/* DSDT, 5.2.11.1 */
	sdt_header(buf + dsdt, "DSDT", dsdt_len, 2);
	memcpy(buf + dsdt + SDT_HDR, dsdt_aml, sizeof(dsdt_aml));
	sdt_checksum(buf + dsdt, dsdt_len);

	/* FACS, 5.2.10 (no checksum) */
	memcpy(buf + facs, "FACS", 4);
	w32(buf + facs, 4, 64);
	w8(buf + facs, 32, 2);              /* Version */

	build_fadt(buf + fadt, cfg, PHYS(facs), PHYS(dsdt));
	build_madt(buf + madt, cfg);
	if (cfg->hpet)
		build_hpet(buf + hpet, cfg);

	/* RSDT 5.2.7 and XSDT 5.2.8 */
	sdt_header(buf + rsdt, "RSDT", SDT_HDR + 4 * ntables, 1);
	sdt_header(buf + xsdt, "XSDT", SDT_HDR + 8 * ntables, 1);
	w32(buf + rsdt, SDT_HDR + 0, PHYS(fadt));
	w32(buf + rsdt, SDT_HDR + 4, PHYS(madt));
	w64(buf + xsdt, SDT_HDR + 0, PHYS(fadt));
	w64(buf + xsdt, SDT_HDR + 8, PHYS(madt));
	if (cfg->hpet) {
		w32(buf + rsdt, SDT_HDR + 8, PHYS(hpet));
		w64(buf + xsdt, SDT_HDR + 16, PHYS(hpet));
	}
	sdt_checksum(buf + rsdt, SDT_HDR + 4 * ntables);
	sdt_checksum(buf + xsdt, SDT_HDR + 8 * ntables);

	/* RSDP 5.2.5.3, revision 2 */
	memcpy(buf + rsdp, "RSD PTR ", 8);
	memcpy(buf + rsdp + 9, OEM_ID, 6);
	w8(buf + rsdp, 15, 2);
	w32(buf + rsdp, 16, PHYS(rsdt));
	w32(buf + rsdp, 20, 36);
	w64(buf + rsdp, 24, PHYS(xsdt));
	buf[rsdp + 8] = (uint8_t)(0x100 - acpi_sum(buf + rsdp, 20));
	buf[rsdp + 32] = (uint8_t)(0x100 - acpi_sum(buf + rsdp, 36));

	build_mp(buf + mpfp, buf + mpc, PHYS(mpc), cfg);

	out->addr[ACPI_RSDP] = PHYS(rsdp);  out->len[ACPI_RSDP] = 36;
	out->addr[ACPI_RSDT] = PHYS(rsdt);  out->len[ACPI_RSDT] = SDT_HDR + 4 * ntables;
	out->addr[ACPI_XSDT] = PHYS(xsdt);  out->len[ACPI_XSDT] = SDT_HDR + 8 * ntables;
	out->addr[ACPI_FADT] = PHYS(fadt);  out->len[ACPI_FADT] = 276;
	out->addr[ACPI_FACS] = PHYS(facs);  out->len[ACPI_FACS] = 64;
	out->addr[ACPI_DSDT] = PHYS(dsdt);  out->len[ACPI_DSDT] = dsdt_len;
	out->addr[ACPI_MADT] = PHYS(madt);  out->len[ACPI_MADT] = madt_size(cfg);
	if (cfg->hpet) {
		out->addr[ACPI_HPET] = PHYS(hpet);
		out->len[ACPI_HPET] = 56;
	}
	out->addr[MP_FLOATING] = PHYS(mpfp); out->len[MP_FLOATING] = 16;
	out->addr[MP_CONFIG] = PHYS(mpc);    out->len[MP_CONFIG] = mp_config_size(cfg);
#undef PHYS
	return 0;
}
