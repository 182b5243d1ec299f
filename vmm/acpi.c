/* SPDX-License-Identifier: MIT */
/*
 * ACPI and MP tables.  Section numbers: ACPI Specification 6.4 (5.2.x
 * tables, 5.2.3.2 GAS, 20 AML encoding); Intel MultiProcessor
 * Specification 1.4 (chapter 4).
 */
#include "acpi.h"

#include "pci.h"

#include <errno.h>
#include <splitchip/board.h>
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

/* ---- AML (ACPI 6.4 chapter 20), written by hand ----
 * An aml buffer grows as terms are appended; a term with a PkgLength
 * (scope, device, package, buffer) is opened, filled and closed, and the
 * close inserts the shortest PkgLength encoding in front of its body. */
#define AML_MAX 8192u

_Static_assert(VM_RESET_PORT == PCI_RCR_PORT, "FADT RESET_REG is the 0xCF9 register");

struct aml {
	uint8_t b[AML_MAX];
	size_t len;
	bool overflow;
};

#define AML_ZERO_OP      0x00
#define AML_ONE_OP       0x01
#define AML_NAME_OP      0x08
#define AML_BYTE_PREFIX  0x0A
#define AML_WORD_PREFIX  0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_QWORD_PREFIX 0x0E
#define AML_SCOPE_OP     0x10
#define AML_BUFFER_OP    0x11
#define AML_PACKAGE_OP   0x12
#define AML_EXT_PREFIX   0x5B
#define AML_DEVICE_OP    0x82            /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR    0x5C            /* '\' */
#define AML_DUAL_NAME    0x2E
#define AML_MULTI_NAME   0x2F

static void aml_put(struct aml *a, const void *d, size_t n)
{
	if (a->overflow || n > AML_MAX - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->b + a->len, d, n);
	a->len += n;
}

static void aml_u8(struct aml *a, uint8_t v) { aml_put(a, &v, 1); }

/* 20.2.4 PkgLength: where the body starts */
static size_t aml_open(struct aml *a) { return a->len; }

static void aml_close(struct aml *a, size_t mark)
{
	size_t body = a->len - mark, n, total;
	uint8_t enc[4];

	if (a->overflow)
		return;
	/* the length counts its own bytes: 1 byte up to 63, then 4 bits in the
	 * lead byte and 8 in each of up to 3 more */
	n = body + 1 < 64 ? 1 : body + 2 < (1u << 12) ? 2 : body + 3 < (1u << 20) ? 3 : 4;
	total = body + n;
	if (n > AML_MAX - a->len || total >= (1u << 28)) {
		a->overflow = true;
		return;
	}
	if (n == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0xF));
		for (size_t i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->b + mark + n, a->b + mark, body);
	memcpy(a->b + mark, enc, n);
	a->len += n;
}

/* 20.2.2 NameString from "\\_SB.PCI0" style paths; short segments are
 * padded with '_' */
static void aml_name(struct aml *a, const char *path)
{
	const char *p = path;
	unsigned nseg = 1;

	if (*p == '\\') {
		aml_u8(a, AML_ROOT_CHAR);
		p++;
	}
	for (const char *q = p; *q; q++)
		nseg += *q == '.';
	if (nseg == 2)
		aml_u8(a, AML_DUAL_NAME);
	else if (nseg > 2) {
		aml_u8(a, AML_MULTI_NAME);
		aml_u8(a, (uint8_t)nseg);
	}
	while (nseg--) {
		char seg[4] = { '_', '_', '_', '_' };
		unsigned i;

		for (i = 0; *p && *p != '.'; p++)
			if (i < 4)
				seg[i++] = *p;
		if (*p == '.')
			p++;
		aml_put(a, seg, 4);
	}
}

/* 20.2.3 ComputationalData: the shortest integer encoding */
static void aml_int(struct aml *a, uint64_t v)
{
	uint8_t t[8];

	if (v <= 1) {
		aml_u8(a, v ? AML_ONE_OP : AML_ZERO_OP);
		return;
	}
	memcpy(t, &v, 8);
	if (v <= 0xFF) {
		aml_u8(a, AML_BYTE_PREFIX);
		aml_put(a, t, 1);
	} else if (v <= 0xFFFF) {
		aml_u8(a, AML_WORD_PREFIX);
		aml_put(a, t, 2);
	} else if (v <= 0xFFFFFFFFu) {
		aml_u8(a, AML_DWORD_PREFIX);
		aml_put(a, t, 4);
	} else {
		aml_u8(a, AML_QWORD_PREFIX);
		aml_put(a, t, 8);
	}
}

/* Name (NAME, integer) */
static void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_u8(a, AML_NAME_OP);
	aml_name(a, name);
	aml_int(a, v);
}

/* 6.1.5 _HID: EisaId ("PNP0A03") compresses to a DWORD: three letters of
 * 5 bits ('A' = 1) and four hex digits, most significant byte first */
static uint32_t eisa_id(const char *id)
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t b[4];
	unsigned d[4], i;

	for (i = 0; i < 4; i++)
		d[i] = (unsigned)(strchr(hex, id[3 + i]) - hex);
	b[0] = (uint8_t)(((id[0] - 0x40) << 2) | ((id[1] - 0x40) >> 3));
	b[1] = (uint8_t)((((id[1] - 0x40) & 7) << 5) | (id[2] - 0x40));
	b[2] = (uint8_t)((d[0] << 4) | d[1]);
	b[3] = (uint8_t)((d[2] << 4) | d[3]);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_u8(a, AML_NAME_OP);
	aml_name(a, name);
	aml_u8(a, AML_DWORD_PREFIX);
	uint32_t v = eisa_id(id);
	aml_put(a, &v, 4);
}

static size_t aml_scope(struct aml *a, const char *name)
{
	size_t m;

	aml_u8(a, AML_SCOPE_OP);
	m = aml_open(a);
	aml_name(a, name);
	return m;
}

static size_t aml_device(struct aml *a, const char *name)
{
	size_t m;

	aml_u8(a, AML_EXT_PREFIX);
	aml_u8(a, AML_DEVICE_OP);
	m = aml_open(a);
	aml_name(a, name);
	return m;
}

static size_t aml_package(struct aml *a, uint8_t nelem)
{
	size_t m;

	aml_u8(a, AML_PACKAGE_OP);
	m = aml_open(a);
	aml_u8(a, nelem);
	return m;
}

/* ---- resource data (ACPI 6.4, 6.4 "Resource Data Types for ACPI") ---- */
struct res {
	uint8_t b[256];
	size_t len;
};

static void res_put(struct res *r, const uint8_t *d, size_t n)
{
	if (n <= sizeof(r->b) - r->len) {
		memcpy(r->b + r->len, d, n);
		r->len += n;
	}
}

/* 6.4.2.5 I/O Port Descriptor, Decode16 */
static void res_io(struct res *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	uint8_t d[8] = { 0x47, 0x01, (uint8_t)min, (uint8_t)(min >> 8),
			 (uint8_t)max, (uint8_t)(max >> 8), align, len };
	res_put(r, d, sizeof(d));
}

/* 6.4.2.1 IRQ Descriptor, 2-byte form: edge, active high, exclusive */
static void res_irq(struct res *r, unsigned irq)
{
	uint8_t d[3] = { 0x22, (uint8_t)(1u << irq), (uint8_t)((1u << irq) >> 8) };
	res_put(r, d, sizeof(d));
}

/* 6.4.3.4 32-Bit Fixed Memory Range Descriptor */
static void res_mem32_fixed(struct res *r, bool rw, uint32_t base, uint32_t len)
{
	uint8_t d[12] = { 0x86, 9, 0, rw ? 1 : 0 };

	memcpy(d + 4, &base, 4);
	memcpy(d + 8, &len, 4);
	res_put(r, d, sizeof(d));
}

/* Address space descriptors (6.4.3.5): resource type, general flags */
#define ADDR_TYPE_MEM  0
#define ADDR_TYPE_IO   1
#define ADDR_TYPE_BUS  2
#define ADDR_GEN_PRODUCER_FIXED 0x0C     /* producer, positive decode, _MIF, _MAF */
#define ADDR_IO_ENTIRE_RANGE    0x03     /* 6.4.3.5.5 _RNG */
#define ADDR_MEM_RW             0x01     /* 6.4.3.5.4 _RW, non-cacheable */

/* 6.4.3.5.3 Word Address Space Descriptor */
static void res_word(struct res *r, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	uint16_t f[5] = { 0, min, max, 0, (uint16_t)(max - min + 1) };
	uint8_t d[16] = { 0x88, 13, 0, type, ADDR_GEN_PRODUCER_FIXED, tflags };

	memcpy(d + 6, f, sizeof(f));
	res_put(r, d, sizeof(d));
}

/* 6.4.3.5.2 DWord Address Space Descriptor */
static void res_dword(struct res *r, uint8_t type, uint8_t tflags, uint32_t min, uint32_t max)
{
	uint32_t f[5] = { 0, min, max, 0, max - min + 1 };
	uint8_t d[26] = { 0x87, 23, 0, type, ADDR_GEN_PRODUCER_FIXED, tflags };

	memcpy(d + 6, f, sizeof(f));
	res_put(r, d, sizeof(d));
}

/* Name (NAME, ResourceTemplate () {...}): a Buffer ending in the End Tag
 * (6.4.2.9; checksum 0 = "treat as correct") */
static void aml_name_resources(struct aml *a, const char *name, struct res *r)
{
	static const uint8_t end[2] = { 0x79, 0x00 };
	size_t m;

	res_put(r, end, sizeof(end));
	aml_u8(a, AML_NAME_OP);
	aml_name(a, name);
	aml_u8(a, AML_BUFFER_OP);
	m = aml_open(a);
	aml_int(a, r->len);
	aml_put(a, r->b, r->len);
	aml_close(a, m);
}

/*
 * The DSDT body (definition block contents):
 *   \_SB.PCI0   PNP0A03 root bridge: _BBN, _SEG, _CRS (bus 0-255, the
 *               config ports, I/O 0-0xCF7 and the BAR window, the memory
 *               window) and _PRT: every slot's INTA#-INTD# -> GSI as the
 *               board wires them (sc_board_pci_intx_gsi)
 *   \_SB.COM1   PNP0501, 0x3F8-0x3FF, IRQ4
 *   \_SB.RTC    PNP0B00, 0x70-0x71, IRQ8
 *   \_SB.HPET   PNP0103, its 1 KiB register block (when present)
 *   \_S5        SLP_TYP for soft-off (7.4.2)
 */
static void build_dsdt_aml(struct aml *a, const struct acpi_config *cfg)
{
	struct res r;
	size_t sb, dev, prt;
	unsigned slot, pin;

	sb = aml_scope(a, "\\_SB");

	dev = aml_device(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A03");
	aml_name_int(a, "_UID", 0);
	aml_name_int(a, "_BBN", 0);                  /* 6.5.5 base bus number */
	aml_name_int(a, "_SEG", 0);                  /* 6.5.6 segment group */
	memset(&r, 0, sizeof(r));
	res_word(&r, ADDR_TYPE_BUS, 0, 0x00, 0xFF);
	res_io(&r, PCI_CONFIG_ADDRESS, PCI_CONFIG_ADDRESS, 1, PCI_CONF_PORTS);
	res_word(&r, ADDR_TYPE_IO, ADDR_IO_ENTIRE_RANGE, 0x0000, PCI_CONFIG_ADDRESS - 1);
	res_word(&r, ADDR_TYPE_IO, ADDR_IO_ENTIRE_RANGE, VM_PCI_IO_BASE,
		 (uint16_t)(VM_PCI_IO_BASE + VM_PCI_IO_LEN - 1));
	res_dword(&r, ADDR_TYPE_MEM, ADDR_MEM_RW, VM_PCI_MMIO_BASE,
		  VM_PCI_MMIO_BASE + VM_PCI_MMIO_LEN - 1);
	aml_name_resources(a, "_CRS", &r);
	/* 6.2.13 _PRT: {Address (slot << 16 | 0xFFFF), Pin, Source 0 = the
	 * Source Index is a GSI, level-triggered active-low} */
	aml_u8(a, AML_NAME_OP);
	aml_name(a, "_PRT");
	prt = aml_package(a, (uint8_t)(VM_PCI_SLOTS * 4));
	for (slot = 0; slot < VM_PCI_SLOTS; slot++) {
		for (pin = 0; pin < 4; pin++) {
			size_t e = aml_package(a, 4);

			aml_int(a, ((uint64_t)slot << 16) | 0xFFFF);
			aml_int(a, pin);
			aml_int(a, 0);
			aml_int(a, sc_board_pci_intx_gsi(0, slot, pin));
			aml_close(a, e);
		}
	}
	aml_close(a, prt);
	aml_close(a, dev);

	dev = aml_device(a, "COM1");
	aml_name_eisaid(a, "_HID", "PNP0501");
	aml_name_int(a, "_UID", 1);
	memset(&r, 0, sizeof(r));
	res_io(&r, 0x3F8, 0x3F8, 1, 8);            /* vmm/uart.c */
	res_irq(&r, 4);
	aml_name_resources(a, "_CRS", &r);
	aml_close(a, dev);

	dev = aml_device(a, "RTC");
	aml_name_eisaid(a, "_HID", "PNP0B00");
	memset(&r, 0, sizeof(r));
	res_io(&r, 0x70, 0x70, 1, 2);
	res_irq(&r, 8);
	aml_name_resources(a, "_CRS", &r);
	aml_close(a, dev);

	if (cfg->hpet) {
		dev = aml_device(a, "HPET");
		aml_name_eisaid(a, "_HID", "PNP0103");
		aml_name_int(a, "_UID", 0);
		memset(&r, 0, sizeof(r));
		res_mem32_fixed(&r, false, VM_HPET_ADDR, 0x400);
		aml_name_resources(a, "_CRS", &r);
		aml_close(a, dev);
	}
	aml_close(a, sb);

	/* 7.4.2 \_S5: Package {SLP_TYPa, SLP_TYPb, reserved, reserved} */
	aml_u8(a, AML_NAME_OP);
	aml_name(a, "\\_S5");
	sb = aml_package(a, 4);
	aml_int(a, VM_SLP_TYP_S5);
	aml_int(a, 0);
	aml_int(a, 0);
	aml_int(a, 0);
	aml_close(a, sb);
}

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
	/* RESET_REG: the reset control register at 0xCF9 (vmm/pci.c) */
	gas(t, 116, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, VM_RESET_PORT);
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

/* Bus IDs: PCI buses take their bus numbers, the ISA bus the next one
 * (MP 1.4 4.3.2; Linux matches a PCI device's bus number to the ID) */
#define MP_BUS_PCI0 0
#define MP_BUS_ISA  1
#define MP_PCI_INTS (VM_PCI_SLOTS * 4)
/* 4.3.4 table 4-10: PO = 11 active low, EL = 11 level */
#define MP_FLAGS_PCI_INTX 0x0F

static uint32_t mp_config_size(const struct acpi_config *cfg)
{
	/* header, processors, 2 buses, IOAPICs, 15 ISA and 4 PCI INTx per
	 * slot I/O interrupts, 2 local */
	return 44 + MP_PROC_LEN * cfg->ncpus +
	       MP_ENTRY_LEN * (2 + cfg->nioapics + 15 + MP_PCI_INTS + 2);
}

static void mp_ioint(uint8_t *t, uint32_t off, uint8_t type, uint16_t flags,
		     uint8_t bus, uint8_t irq, uint8_t apic, uint8_t pin)
{
	w8(t, off, 3);             /* 4.3.4 I/O Interrupt Assignment */
	w8(t, off + 1, type);
	w16(t, off + 2, flags);
	w8(t, off + 4, bus);
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
	w8(t, off + 1, MP_BUS_PCI0);
	memcpy(t + off + 2, "PCI   ", 6);
	off += MP_ENTRY_LEN;
	w8(t, off, 1);
	w8(t, off + 1, MP_BUS_ISA);
	memcpy(t + off + 2, "ISA   ", 6);
	off += MP_ENTRY_LEN;
	count += 2;
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
		mp_ioint(t, off, MP_INT, flags, MP_BUS_ISA, (uint8_t)i, 0,
			 (uint8_t)(i == 0 ? 2 : i));
		off += MP_ENTRY_LEN;
		count++;
	}
	/* appendix D: a PCI source bus IRQ is (device << 2) | INTx# pin; the same wiring
	 * as the DSDT's _PRT.  GSIs 16-23 are IOAPIC 0's pins. */
	for (i = 0; i < MP_PCI_INTS; i++) {
		unsigned slot = i / 4, pin = i % 4;

		mp_ioint(t, off, MP_INT, MP_FLAGS_PCI_INTX, MP_BUS_PCI0,
			 (uint8_t)(slot << 2 | pin), 0,
			 (uint8_t)sc_board_pci_intx_gsi(0, slot, pin));
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
	uint32_t dsdt_len;
	uint32_t mp_base;
	struct aml aml;

	if (!buf || !cfg || !out || cfg->ncpus < 1 || cfg->ncpus > 255 ||
	    cfg->nioapics < 1 || cfg->nioapics > 8)
		return -EINVAL;
	if (base < ACPI_BIOS_BASE || len > ACPI_BIOS_BASE + ACPI_BIOS_LEN - base)
		return -EINVAL;
	aml.len = 0;
	aml.overflow = false;
	build_dsdt_aml(&aml, cfg);
	if (aml.overflow)
		return -ENOSPC;
	dsdt_len = SDT_HDR + (uint32_t)aml.len;
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
	memcpy(buf + dsdt + SDT_HDR, aml.b, aml.len);
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
