/* SPDX-License-Identifier: MIT */
/*
 * Firmware tables for the guest: ACPI (RSDP v2, RSDT, XSDT, FADT, FACS,
 * DSDT, MADT, HPET) and the Intel MultiProcessor Specification 1.4 table.
 * The DSDT describes COM1, the RTC, the HPET, the PCI root bridge with its
 * _PRT and \_S5 (vmm/acpi.c, build_dsdt_aml); the MP table the ISA bus
 * and PCI bus 0 with every slot's INTx#.
 * Built by a pure function into a buffer standing for guest physical
 * memory [base, base + len) - normally the BIOS area 0xE0000-0xFFFFF.
 */
#ifndef SPLITVM_ACPI_H
#define SPLITVM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_BIOS_BASE      0xE0000u
#define ACPI_BIOS_LEN       0x20000u
#define MP_AREA_BASE        0xF0000u     /* MP floating pointer (MP 1.4 4.1) */

/* Fixed hardware of the splitvm board. */
#define VM_LAPIC_ADDR       0xFEE00000u
#define VM_IOAPIC_ADDR(i)   (0xFEC00000u + 0x1000u * (unsigned)(i))
#define VM_IOAPIC_PINS      24u
#define VM_HPET_ADDR        0xFED00000u
#define VM_PM_BASE          0x600u
#define VM_PM1A_EVT_BLK     (VM_PM_BASE + 0)   /* PM1_STS, PM1_EN: 4 bytes */
#define VM_PM1A_CNT_BLK     (VM_PM_BASE + 4)   /* PM1_CNT: 2 bytes */
#define VM_PM_TMR_BLK       (VM_PM_BASE + 8)   /* PM_TMR: 4 bytes */
#define VM_SCI_IRQ          9u
#define VM_SLP_TYP_S5       5u                 /* value in DSDT \_S5 */
/* FADT RESET_REG: the reset control register (vmm/pci.h PCI_RCR_PORT),
 * SYS_RST | RST_CPU; the i8042 pulse (0x64 <- 0xFE) resets as well */
#define VM_RESET_PORT       0xCF9u
#define VM_RESET_VALUE      0x06u

struct acpi_config {
	unsigned ncpus;            /* 1..255, APIC IDs 0..ncpus-1 */
	unsigned nioapics;         /* 1..8, IOAPIC i: ID i, GSI base 24*i */
	uint8_t ioapic_version;    /* IOAPIC VER register bits 7:0 */
	bool hpet;
	uint32_t hpet_block_id;    /* HPET GCAP_ID bits 31:0 */
	bool pm_tmr_32bit;         /* FADT TMR_VAL_EXT */
	uint8_t rtc_century;       /* CMOS index of the century byte, 0 none */
};

enum acpi_table_id {
	ACPI_RSDP, ACPI_RSDT, ACPI_XSDT, ACPI_FADT, ACPI_FACS, ACPI_DSDT,
	ACPI_MADT, ACPI_HPET, MP_FLOATING, MP_CONFIG, ACPI_NTABLES,
};

struct acpi_tables {
	uint32_t addr[ACPI_NTABLES];   /* guest physical, 0 = absent */
	uint32_t len[ACPI_NTABLES];
};

/* Returns 0, or -EINVAL (bad config) / -ENOSPC (buffer too small). */
int acpi_build(uint8_t *buf, uint32_t base, size_t len,
	       const struct acpi_config *cfg, struct acpi_tables *out);
/* 8-bit sum of @len bytes (0 for a correctly checksummed table). */
uint8_t acpi_sum(const uint8_t *p, size_t len);
const char *acpi_table_name(enum acpi_table_id id);

#endif
