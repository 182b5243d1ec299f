/* SPDX-License-Identifier: MIT */
/*
 * splitvm firmware tables (vmm/acpi.c): checksums, the RSDP scan a guest
 * does, table contents, the MP table, and `iasl -d` disassembling every
 * ACPI table without errors.  No KVM needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"

static uint8_t bios[ACPI_BIOS_LEN];

static const uint8_t *at(uint32_t phys) { return bios + (phys - ACPI_BIOS_BASE); }
static uint32_t r32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t r16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint64_t r64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static struct acpi_config cfg(unsigned ncpus, unsigned nioapics, bool hpet)
{
	struct acpi_config c = {
		.ncpus = ncpus, .nioapics = nioapics, .ioapic_version = 0x20, .hpet = hpet,
		.hpet_block_id = 0x8086a201u, .pm_tmr_32bit = true, .rtc_century = 0x32,
	};
	return c;
}

/* ACPI 5.2.5.1: scan 0xE0000-0xFFFFF on 16-byte boundaries for "RSD PTR " */
static const uint8_t *scan_rsdp(void)
{
	uint32_t a;

	for (a = 0xE0000; a < 0x100000; a += 16)
		if (!memcmp(at(a), "RSD PTR ", 8) && acpi_sum(at(a), 20) == 0)
			return at(a);
	return NULL;
}

static const uint8_t *xsdt_find(const uint8_t *xsdt, const char *sig)
{
	uint32_t n = (r32(xsdt + 4) - 36) / 8, i;

	for (i = 0; i < n; i++) {
		const uint8_t *t = at((uint32_t)r64(xsdt + 36 + 8 * i));

		if (!memcmp(t, sig, 4))
			return t;
	}
	return NULL;
}

static void test_rsdp_found_by_scan_with_both_checksums(void **state)
{
	struct acpi_config c = cfg(4, 1, true);
	struct acpi_tables t;
	const uint8_t *rsdp;

	(void)state;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	rsdp = scan_rsdp();
	assert_non_null(rsdp);
	assert_int_equal(rsdp[15], 2);                       /* revision 2 */
	assert_int_equal(acpi_sum(rsdp, 20), 0);
	assert_int_equal(r32(rsdp + 20), 36);
	assert_int_equal(acpi_sum(rsdp, 36), 0);             /* extended checksum */
	assert_int_equal(r32(rsdp + 16), t.addr[ACPI_RSDT]);
	assert_int_equal(r64(rsdp + 24), t.addr[ACPI_XSDT]);
}

static void test_every_table_checksums_to_zero(void **state)
{
	struct acpi_config c = cfg(8, 3, true);
	struct acpi_tables t;
	unsigned i;

	(void)state;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	for (i = ACPI_RSDT; i <= ACPI_HPET; i++) {
		if (i == ACPI_FACS)
			continue;                    /* the FACS has no checksum */
		assert_int_equal(r32(at(t.addr[i]) + 4), t.len[i]);
		if (acpi_sum(at(t.addr[i]), t.len[i]))
			fail_msg("%s checksum", acpi_table_name(i));
	}
	assert_int_equal(acpi_sum(at(t.addr[MP_FLOATING]), 16), 0);
	assert_int_equal(acpi_sum(at(t.addr[MP_CONFIG]), t.len[MP_CONFIG]), 0);
}

static void test_fadt_fixed_hardware_and_pointers(void **state)
{
	struct acpi_config c = cfg(2, 1, false);
	struct acpi_tables t;
	const uint8_t *x, *f;

	(void)state;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	x = at(t.addr[ACPI_XSDT]);
	f = xsdt_find(x, "FACP");
	assert_non_null(f);
	assert_null(xsdt_find(x, "HPET"));                   /* --no-hpet */
	assert_int_equal(r16(f + 46), VM_SCI_IRQ);
	assert_int_equal(r32(f + 56), VM_PM1A_EVT_BLK);
	assert_int_equal(r32(f + 64), VM_PM1A_CNT_BLK);
	assert_int_equal(r32(f + 76), VM_PM_TMR_BLK);
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_true(r32(f + 112) & (1u << 10));              /* RESET_REG_SUP */
	assert_int_equal(f[116], 1);                         /* RESET_REG: system I/O */
	assert_int_equal(f[117], 8);
	assert_int_equal(r64(f + 120), 0xCF9);
	assert_int_equal(f[128], 0x06);                      /* RESET_VALUE */
	assert_int_equal(r16(f + 109) & 2, 0);               /* no 8042 to probe */
	assert_true(r32(f + 112) & (1u << 8));               /* TMR_VAL_EXT */
	assert_false(r32(f + 112) & (1u << 20));             /* not HW_REDUCED_ACPI */
	assert_int_equal(r32(f + 36), t.addr[ACPI_FACS]);
	assert_int_equal(r64(f + 132), t.addr[ACPI_FACS]);   /* X_FIRMWARE_CTRL */
	assert_int_equal(r32(f + 40), t.addr[ACPI_DSDT]);
	assert_int_equal(r64(f + 140), t.addr[ACPI_DSDT]);   /* X_DSDT */
	assert_int_equal(r64(f + 148 + 4), VM_PM1A_EVT_BLK); /* X_PM1a_EVT_BLK */
	assert_int_equal(r64(f + 172 + 4), VM_PM1A_CNT_BLK);
	assert_int_equal(r64(f + 208 + 4), VM_PM_TMR_BLK);
	assert_int_equal(f[208 + 1], 32);
	assert_int_equal(t.addr[ACPI_FACS] % 64, 0);
	assert_memory_equal(at(t.addr[ACPI_FACS]), "FACS", 4);
	/* DSDT carries \_S5 */
	assert_non_null(memmem(at(t.addr[ACPI_DSDT]), t.len[ACPI_DSDT], "_S5_", 4));
}

static void test_madt_lapics_ioapics_overrides_nmi(void **state)
{
	struct acpi_config c = cfg(5, 3, true);
	struct acpi_tables t;
	const uint8_t *m, *p, *end;
	unsigned lapics = 0, ioapics = 0, iso = 0, nmi = 0;

	(void)state;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	m = xsdt_find(at(t.addr[ACPI_XSDT]), "APIC");
	assert_non_null(m);
	assert_int_equal(r32(m + 36), 0xFEE00000u);
	assert_int_equal(r32(m + 40) & 1, 1);                /* PCAT_COMPAT */
	end = m + r32(m + 4);
	for (p = m + 44; p < end; p += p[1]) {
		assert_true(p[1] >= 2);
		switch (p[0]) {
		case 0:
			assert_int_equal(p[3], lapics);          /* APIC IDs 0..N-1 */
			assert_int_equal(r32(p + 4) & 1, 1);
			lapics++;
			break;
		case 1:
			assert_int_equal(p[2], ioapics);
			assert_int_equal(r32(p + 4), 0xFEC00000u + 0x1000u * ioapics);
			assert_int_equal(r32(p + 8), 24 * ioapics);
			ioapics++;
			break;
		case 2:
			if (p[3] == 0) {                        /* IRQ0 -> GSI 2, edge high */
				assert_int_equal(r32(p + 4), 2);
				assert_int_equal(r16(p + 8), 0x5);
			} else {                                /* SCI: level high */
				assert_int_equal(p[3], 9);
				assert_int_equal(r32(p + 4), 9);
				assert_int_equal(r16(p + 8), 0xd);
			}
			iso++;
			break;
		case 4:
			assert_int_equal(p[2], 0xff);            /* all processors */
			assert_int_equal(p[5], 1);               /* LINT1 */
			nmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, 5);
	assert_int_equal(ioapics, 3);
	assert_int_equal(iso, 2);
	assert_int_equal(nmi, 1);
}

static void test_hpet_table_address_and_block_id(void **state)
{
	struct acpi_config c = cfg(1, 1, true);
	struct acpi_tables t;
	const uint8_t *h;

	(void)state;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	h = xsdt_find(at(t.addr[ACPI_XSDT]), "HPET");
	assert_non_null(h);
	assert_int_equal(r32(h + 36), 0x8086a201u);
	assert_int_equal(h[40], 0);                          /* system memory */
	assert_int_equal(r64(h + 44), 0xFED00000u);
}

static void test_mp_table_entries(void **state)
{
	struct acpi_config c = cfg(3, 2, true);
	struct acpi_tables t;
	const uint8_t *fp, *mp, *p;
	unsigned n, i, procs = 0, buses = 0, ioapics = 0, ints = 0, locals = 0, pci_ints = 0;
	unsigned rng_pin = 0;
	bool irq0_pin2 = false, sci_level = false;

	(void)state;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	fp = at(t.addr[MP_FLOATING]);
	assert_true(t.addr[MP_FLOATING] >= 0xF0000 && t.addr[MP_FLOATING] % 16 == 0);
	assert_memory_equal(fp, "_MP_", 4);
	assert_int_equal(fp[8], 1);
	assert_int_equal(fp[9], 4);
	assert_int_equal(fp[11], 0);                         /* config table present */
	mp = at(r32(fp + 4));
	assert_memory_equal(mp, "PCMP", 4);
	assert_int_equal(acpi_sum(mp, r16(mp + 4)), 0);
	n = r16(mp + 34);
	for (i = 0, p = mp + 44; i < n; i++) {
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], procs);
			assert_int_equal(p[3], procs == 0 ? 3 : 1);  /* EN, BP on CPU 0 */
			procs++;
			p += 20;
			continue;
		case 1:
			if (p[1] == 0)
				assert_memory_equal(p + 2, "PCI   ", 6);   /* ID = bus number */
			else
				assert_memory_equal(p + 2, "ISA   ", 6);
			buses++;
			break;
		case 2:
			assert_int_equal(p[1], ioapics);
			assert_int_equal(r32(p + 4), 0xFEC00000u + 0x1000u * ioapics);
			ioapics++;
			break;
		case 3:
			if (p[4] == 0) {                         /* PCI bus 0 INTx# */
				unsigned slot = p[5] >> 2, pin = p[5] & 3;

				assert_int_equal(r16(p + 2), 0x0f);   /* level, active low */
				assert_int_equal(p[6], 0);
				assert_int_equal(p[7], 16 + ((slot + pin) & 3));
				if (slot == 1 && pin == 0)
					rng_pin = p[7];
				pci_ints++;
				break;
			}
			assert_int_equal(p[4], 1);               /* ISA bus */
			if (p[5] == 0 && p[7] == 2)
				irq0_pin2 = true;
			if (p[5] == 9 && r16(p + 2) == 0xd)
				sci_level = true;
			assert_int_not_equal(p[5], 2);           /* cascade not listed */
			ints++;
			break;
		case 4:
			assert_int_equal(p[6], 0xff);
			assert_int_equal(p[1], p[7] == 0 ? 3 : 1);    /* LINT0 ExtINT, LINT1 NMI */
			locals++;
			break;
		default:
			fail_msg("bad MP entry type %u", p[0]);
		}
		p += 8;
	}
	assert_ptr_equal(p, mp + r16(mp + 4));
	assert_int_equal(procs, 3);
	assert_int_equal(buses, 2);
	assert_int_equal(ioapics, 2);
	assert_int_equal(ints, 15);
	assert_int_equal(pci_ints, 32 * 4);
	assert_int_equal(rng_pin, 17);                       /* 00:01.0 INTA# */
	assert_int_equal(locals, 2);
	assert_true(irq0_pin2);
	assert_true(sci_level);
}

static void test_largest_config_fits_and_bad_config_rejected(void **state)
{
	struct acpi_config c = cfg(255, 8, true);
	struct acpi_tables t;

	(void)state;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	assert_true(t.addr[MP_CONFIG] + t.len[MP_CONFIG] <= 0x100000);
	assert_true(t.addr[ACPI_MADT] + t.len[ACPI_MADT] <= 0xF0000);
	c.ncpus = 0;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), -EINVAL);
	c.ncpus = 256;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), -EINVAL);
	c.ncpus = 1;
	c.nioapics = 9;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), -EINVAL);
	c.nioapics = 1;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, 512, &c, &t), -ENOSPC);
	assert_int_equal(acpi_build(bios, 0x1000, sizeof(bios), &c, &t), -EINVAL);
	assert_int_equal(acpi_build(NULL, ACPI_BIOS_BASE, sizeof(bios), &c, &t), -EINVAL);
}

/* Dump each table and disassemble it with iasl: no errors, no warnings. */
static void test_iasl_disassembles_every_table(void **state)
{
	struct acpi_config c = cfg(4, 2, true);
	struct acpi_tables t;
	char dir[] = "/tmp/splitvm-acpi-XXXXXX", cmd[512], path[256];
	unsigned i;

	(void)state;
	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		print_message("SKIP: iasl not installed (Debian acpica-tools)\n");
		skip();
	}
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	assert_non_null(mkdtemp(dir));
	for (i = ACPI_RSDT; i <= ACPI_HPET; i++) {
		FILE *f;
		int r;

		snprintf(path, sizeof(path), "%s/%s.dat", dir, acpi_table_name(i));
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(at(t.addr[i]), 1, t.len[i], f), t.len[i]);
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "cd %s && iasl -d %s.dat > %s.log 2>&1 && test -s %s.dsl && "
			 "! grep -Eiq 'error|warning|invalid|mismatch' %s.log %s.dsl",
			 dir, acpi_table_name(i), acpi_table_name(i), acpi_table_name(i),
			 acpi_table_name(i), acpi_table_name(i));
		r = system(cmd);
		if (r != 0) {
			snprintf(cmd, sizeof(cmd), "cat %s/%s.log", dir, acpi_table_name(i));
			if (system(cmd)) {
				/* log shown best effort */
			}
			fail_msg("iasl -d %s failed", acpi_table_name(i));
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Disassemble @id with iasl -d; returns the .dsl text, whitespace
 * removed (malloc'ed), or NULL when iasl is missing. */
static char *disassemble(const struct acpi_tables *t, enum acpi_table_id id)
{
	char dir[] = "/tmp/splitvm-dsdt-XXXXXX", cmd[512], path[256];
	FILE *f;
	char *txt;
	size_t n = 0;
	int c;

	if (system("command -v iasl >/dev/null 2>&1") != 0)
		return NULL;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.dat", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(at(t->addr[id]), 1, t->len[id], f), t->len[id]);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d t.dat > log 2>&1 && "
		 "! grep -Eiq 'error|warning' log", dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/log", dir);
		if (system(cmd)) {
			/* best effort */
		}
		fail_msg("iasl -d %s failed", acpi_table_name(id));
	}
	snprintf(path, sizeof(path), "%s/t.dsl", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	txt = malloc(1 << 20);
	assert_non_null(txt);
	/* drop whitespace and the disassembler's comments */
	while ((c = fgetc(f)) != EOF && n < (1 << 20) - 1) {
		if (c == '/') {
			int c2 = fgetc(f), prev = 0;

			if (c2 == '/') {
				while ((c = fgetc(f)) != EOF && c != '\n')
					;
				continue;
			}
			if (c2 == '*') {
				while ((c = fgetc(f)) != EOF && !(prev == '*' && c == '/'))
					prev = c;
				continue;
			}
			if (c2 != EOF)
				ungetc(c2, f);
		}
		if (c != ' ' && c != '\n' && c != '\t' && c != '\r')
			txt[n++] = (char)c;
	}
	txt[n] = 0;
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return txt;
}

static void assert_has(char *txt, const char *what)
{
	if (!strstr(txt, what)) {
		print_message("disassembly: %s\n", txt);
		free(txt);
		fail_msg("DSDT lacks %s", what);
	}
}

static void test_dsdt_describes_platform_devices(void **state)
{
	struct acpi_config c = cfg(2, 1, true);
	struct acpi_tables t;
	char *d;

	(void)state;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	d = disassemble(&t, ACPI_DSDT);
	if (!d) {
		print_message("SKIP: iasl not installed (Debian acpica-tools)\n");
		skip();
	}
	/* COM1: 0x3F8, 8 ports, IRQ4 */
	assert_has(d, "Device(COM1){Name(_HID,EisaId(\"PNP0501\"))Name(_UID,One)"
		   "Name(_CRS,ResourceTemplate(){IO(Decode16,0x03F8,0x03F8,0x01,0x08,)"
		   "IRQNoFlags(){4}})}");
	/* RTC: 0x70-0x71, IRQ8 */
	assert_has(d, "Device(RTC){Name(_HID,EisaId(\"PNP0B00\"))"
		   "Name(_CRS,ResourceTemplate(){IO(Decode16,0x0070,0x0070,0x01,0x02,)"
		   "IRQNoFlags(){8}})}");
	/* HPET: its register block */
	assert_has(d, "Device(HPET){Name(_HID,EisaId(\"PNP0103\"))Name(_UID,Zero)"
		   "Name(_CRS,ResourceTemplate(){Memory32Fixed(ReadOnly,0xFED00000,0x00000400,)})}");
	/* PCI root bridge: bus range, config ports, I/O and memory windows */
	assert_has(d, "Device(PCI0){Name(_HID,EisaId(\"PNP0A03\"))Name(_UID,Zero)"
		   "Name(_BBN,Zero)Name(_SEG,Zero)Name(_CRS,ResourceTemplate(){"
		   "WordBusNumber(ResourceProducer,MinFixed,MaxFixed,PosDecode,"
		   "0x0000,0x0000,0x00FF,0x0000,0x0100,,,)"
		   "IO(Decode16,0x0CF8,0x0CF8,0x01,0x08,)"
		   "WordIO(ResourceProducer,MinFixed,MaxFixed,PosDecode,EntireRange,"
		   "0x0000,0x0000,0x0CF7,0x0000,0x0CF8,");
	assert_has(d, "WordIO(ResourceProducer,MinFixed,MaxFixed,PosDecode,EntireRange,"
		   "0x0000,0xC000,0xFFFF,0x0000,0x4000,");
	assert_has(d, "DWordMemory(ResourceProducer,PosDecode,MinFixed,MaxFixed,NonCacheable,"
		   "ReadWrite,0x00000000,0xC0000000,0xFEBFFFFF,0x00000000,0x3EC00000,");
	/* _PRT: 32 slots x INTA#-INTD#, GSI 16 + ((slot + pin) & 3); 00:01.0
	 * INTA# (the virtio-rng) -> GSI 17 */
	assert_has(d, "Name(_PRT,Package(0x80){Package(0x04){0xFFFF,Zero,Zero,0x10},"
		   "Package(0x04){0xFFFF,One,Zero,0x11},");
	assert_has(d, "Package(0x04){0x0001FFFF,Zero,Zero,0x11}");
	assert_has(d, "Package(0x04){0x0001FFFF,0x03,Zero,0x10}");
	assert_has(d, "Package(0x04){0x001FFFFF,0x03,Zero,0x12}})");
	/* soft-off */
	assert_has(d, "Name(\\_S5,Package(0x04){0x05,Zero,Zero,Zero})");
	free(d);

	/* --no-hpet: no HPET device */
	c.hpet = false;
	assert_int_equal(acpi_build(bios, ACPI_BIOS_BASE, sizeof(bios), &c, &t), 0);
	d = disassemble(&t, ACPI_DSDT);
	assert_non_null(d);
	assert_null(strstr(d, "PNP0103"));
	assert_has(d, "PNP0A03");
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_found_by_scan_with_both_checksums),
		cmocka_unit_test(test_every_table_checksums_to_zero),
		cmocka_unit_test(test_fadt_fixed_hardware_and_pointers),
		cmocka_unit_test(test_madt_lapics_ioapics_overrides_nmi),
		cmocka_unit_test(test_hpet_table_address_and_block_id),
		cmocka_unit_test(test_mp_table_entries),
		cmocka_unit_test(test_largest_config_fits_and_bad_config_rejected),
		cmocka_unit_test(test_iasl_disassembles_every_table),
		cmocka_unit_test(test_dsdt_describes_platform_devices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
