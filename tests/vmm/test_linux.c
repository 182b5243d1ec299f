/* SPDX-License-Identifier: MIT */
/* splitvm Linux boot protocol loader (vmm/linux.c), no KVM needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "images.h"
#include "linux.h"
#include "multiboot.h"

#define RAM (64u << 20)
#define PMLEN 4096u

static uint8_t *mem, *img;
static char err[256];

static int setup(void **state)
{
	(void)state;
	mem = calloc(1, RAM);
	img = calloc(1, 1 << 20);
	return mem && img ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	free(img);
	return 0;
}

static int load(size_t len, const uint8_t *rd, size_t rdlen, const char *cmd, struct lx_boot *b)
{
	memset(err, 0, sizeof(err));
	return lx_load(mem, RAM, img, len, rd, rdlen, cmd, b, err, sizeof(err));
}

static const struct lx_boot_params *zp(const struct lx_boot *b)
{
	return (const struct lx_boot_params *)(mem + b->zero_page);
}

static void expect_fail(size_t len, const uint8_t *rd, size_t rdlen, const char *cmd,
			const char *msg)
{
	struct lx_boot b;

	if (load(len, rd, rdlen, cmd, &b) != -EINVAL || !strstr(err, msg))
		fail_msg("expected '%s', got '%s'", msg, err);
}

static void test_bzimage_recognised_by_hdrs(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);
	uint8_t elf[256];

	(void)state;
	assert_true(lx_is_bzimage(img, len));
	assert_false(lx_is_bzimage(img, 0x205));
	img[0x203] = 'x';
	assert_false(lx_is_bzimage(img, len));
	img_elf32(elf, 0x100000, NULL, 0, 0, 0);
	assert_false(lx_is_bzimage(elf, sizeof(elf)));
}

static void test_protected_mode_kernel_at_1mib_entry_and_zero_page(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);
	struct lx_boot b;

	(void)state;
	assert_int_equal(load(len, NULL, 0, "console=ttyS0", &b), 0);
	assert_memory_equal(mem + LX_KERNEL_ADDR, img + IMG_BZ_PM_OFF(4), PMLEN);
	assert_int_equal(b.entry, 0x100000);
	assert_int_equal(b.zero_page, LX_ZERO_PAGE_ADDR);
	/* the zero page lies in splitvm's boot area, clear of the GDT and stack */
	assert_true(b.zero_page >= VM_BOOT_AREA && b.zero_page + 4096 <= VM_BOOT_AREA_END);
	assert_true(b.zero_page >= VM_BOOT_GDT_ADDR + 0x100);
	assert_true(LX_CMDLINE_END <= VM_BOOT_STACK_TOP - 0x1000);
	/* the setup header copied, with what a boot loader writes */
	assert_int_equal(zp(&b)->hdr.header, LX_HDR_MAGIC);
	assert_int_equal(zp(&b)->hdr.version, 0x020f);
	assert_int_equal(zp(&b)->hdr.type_of_loader, 0xff);
	assert_true(zp(&b)->hdr.loadflags & LX_CAN_USE_HEAP);
	assert_true(zp(&b)->hdr.loadflags & LX_LOADED_HIGH);
	assert_int_equal(zp(&b)->hdr.heap_end_ptr, LX_HEAP_END_PTR);
	assert_int_equal(zp(&b)->hdr.code32_start, 0x100000);
	assert_int_equal(zp(&b)->hdr.cmdline_size, 255);
	assert_int_equal(zp(&b)->sentinel, 0);
	assert_int_equal(zp(&b)->hdr.cmd_line_ptr, LX_CMDLINE_ADDR);
	assert_string_equal((char *)mem + zp(&b)->hdr.cmd_line_ptr, "console=ttyS0");
	assert_int_equal(zp(&b)->ext_cmd_line_ptr, 0);
	assert_int_equal(zp(&b)->hdr.ramdisk_image, 0);
	assert_int_equal(zp(&b)->hdr.ramdisk_size, 0);
	/* the kernel runs at pref_address (relocatable) up to init_size */
	assert_int_equal(b.kernel_end, 0x1000000 + 0x100000);
}

static void test_setup_sects_zero_means_four(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x0206);
	struct lx_boot b;

	(void)state;
	img[0x1f1] = 0;
	assert_int_equal(load(len, NULL, 0, "", &b), 0);
	assert_memory_equal(mem + LX_KERNEL_ADDR, img + IMG_BZ_PM_OFF(4), PMLEN);
	/* protocol 2.06 has no init_size: the kernel ends with the file */
	assert_int_equal(b.kernel_end, LX_KERNEL_ADDR + PMLEN);
}

static void test_e820_matches_memory_map_and_reserves_bios_and_mmio(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);
	struct vm_mem_region map[8];
	struct lx_boot b;
	uint64_t ram = 0;
	bool bios = false, mmio = false;
	unsigned n, i;

	(void)state;
	assert_int_equal(load(len, NULL, 0, "", &b), 0);
	n = vm_memory_map(RAM, map);
	assert_int_equal(zp(&b)->e820_entries, n);
	for (i = 0; i < n; i++) {
		const struct lx_e820_entry *e = &zp(&b)->e820_table[i];

		assert_int_equal(e->addr, map[i].base);
		assert_int_equal(e->size, map[i].len);
		assert_int_equal(e->type, map[i].type);
		if (e->type == E820_RAM) {
			ram += e->size;
			/* no RAM over the EBDA, the BIOS area or the MMIO */
			assert_true(e->addr + e->size <= VM_EBDA_BASE || e->addr >= 0x100000);
			assert_true(e->addr + e->size <= 0xFEC00000ull || e->addr >= 0xFEF00000ull);
		} else {
			if (e->addr <= 0xE0000 && e->addr + e->size >= 0x100000)
				bios = true;   /* ACPI and MP tables */
			if (e->addr <= 0xFEC00000ull && e->addr + e->size >= 0xFEF00000ull)
				mmio = true;   /* IOAPIC, HPET, LAPIC */
		}
	}
	assert_true(bios);
	assert_true(mmio);
	assert_int_equal(ram, RAM - (0x100000 - VM_EBDA_BASE));
	assert_int_equal(zp(&b)->alt_mem_k, (RAM - 0x100000) / 1024);
}

static void test_initrd_high_page_aligned_below_ram_end(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);
	static uint8_t rd[12345];
	struct lx_boot b;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i * 7);
	assert_int_equal(load(len, rd, sizeof(rd), "", &b), 0);
	assert_int_equal(zp(&b)->hdr.ramdisk_size, sizeof(rd));
	assert_int_equal(zp(&b)->hdr.ramdisk_image % 4096, 0);
	assert_true(zp(&b)->hdr.ramdisk_image + sizeof(rd) <= RAM);
	assert_true(zp(&b)->hdr.ramdisk_image + sizeof(rd) > RAM - 4096);   /* as high as it goes */
	assert_true(zp(&b)->hdr.ramdisk_image >= b.kernel_end);
	assert_memory_equal(mem + zp(&b)->hdr.ramdisk_image, rd, sizeof(rd));
	assert_int_equal(zp(&b)->ext_ramdisk_image, 0);
}

static void test_initrd_below_initrd_addr_max(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);
	static uint8_t rd[8192];
	struct lx_boot b;

	(void)state;
	img_w32(img + 0x22c, 0x2ffffff);     /* initrd_addr_max 48 MiB - 1 */
	assert_int_equal(load(len, rd, sizeof(rd), "", &b), 0);
	assert_int_equal(zp(&b)->hdr.ramdisk_image, 0x3000000 - sizeof(rd));
}

static void test_initrd_too_big_rejected(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);

	(void)state;
	/* the kernel needs up to 17 MiB; 48 MiB more does not fit in 64 MiB */
	expect_fail(len, mem, 48u << 20, "", "initrd (50331648 bytes) does not fit");
	/* nor below initrd_addr_max 20 MiB */
	img_w32(img + 0x22c, 0x13fffff);
	expect_fail(len, mem, 4u << 20, "", "does not fit");
}

static void test_rsdp_recorded_from_protocol_2_14(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020e);
	struct lx_boot b;

	(void)state;
	assert_int_equal(load(len, NULL, 0, "", &b), 0);
	lx_set_rsdp(mem, &b, 0xE0010);
	assert_int_equal(zp(&b)->acpi_rsdp_addr, 0xE0010);
	len = img_bzimage(img, 4, PMLEN, 0x020d);
	assert_int_equal(load(len, NULL, 0, "", &b), 0);
	lx_set_rsdp(mem, &b, 0xE0010);
	assert_int_equal(zp(&b)->acpi_rsdp_addr, 0);
}

static void test_cmdline_longer_than_cmdline_size_rejected(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);
	char cmd[300];
	struct lx_boot b;

	(void)state;
	memset(cmd, 'a', 255);
	cmd[255] = 0;
	assert_int_equal(load(len, NULL, 0, cmd, &b), 0);   /* exactly cmdline_size */
	cmd[255] = 'b';
	cmd[256] = 0;
	expect_fail(len, NULL, 0, cmd, "kernel command line is 256 bytes, this kernel takes at most 255");
}

static void test_cmdline_longer_than_splitvm_area_rejected(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);
	size_t n = LX_CMDLINE_END - LX_CMDLINE_ADDR;
	char *cmd = malloc(n + 1);

	(void)state;
	img_w32(img + 0x238, 0x100000);      /* cmdline_size 1 MiB */
	memset(cmd, 'c', n);
	cmd[n] = 0;
	expect_fail(len, NULL, 0, cmd, "splitvm takes at most");
	free(cmd);
}

static void test_bad_images_rejected_with_reason(void **state)
{
	size_t len;
	uint8_t elf[256];

	(void)state;
	len = img_bzimage(img, 4, PMLEN, 0x0205);
	expect_fail(len, NULL, 0, "", "boot protocol 2.05 is too old (splitvm needs 2.06");
	len = img_bzimage(img, 4, PMLEN, 0x020f);
	img[0x201] = 0x30;                     /* header ends before cmdline_size */
	expect_fail(len, NULL, 0, "", "too old");
	len = img_bzimage(img, 4, PMLEN, 0x020f);
	img_w16(img + 0x1fe, 0x1234);
	expect_fail(len, NULL, 0, "", "bad boot_flag");
	len = img_bzimage(img, 4, PMLEN, 0x020f);
	img[0x211] = 0;
	expect_fail(len, NULL, 0, "", "zImage");
	len = img_bzimage(img, 4, PMLEN, 0x020f);
	img_w32(img + 0x1f4, PMLEN / 16 + 2);   /* syssize beyond the file */
	expect_fail(len, NULL, 0, "", "truncated");
	len = img_elf32(elf, 0x100000, NULL, 0, 0, 0);
	memcpy(img, elf, len);
	expect_fail(len, NULL, 0, "", "not a Linux bzImage");
}

static void test_truncated_images_rejected(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f), cut;
	struct lx_boot b;

	(void)state;
	/* every prefix short of the whole protected-mode kernel is refused */
	for (cut = 0; cut < len - 16; cut += cut < 0x300 ? 1 : 61) {
		memset(err, 0, sizeof(err));
		if (lx_load(mem, RAM, img, cut, NULL, 0, "", &b, err, sizeof(err)) != -EINVAL)
			fail_msg("prefix of %zu bytes accepted", cut);
		assert_true(err[0] != 0);
	}
}

static void test_ram_too_small_for_init_size(void **state)
{
	size_t len = img_bzimage(img, 4, PMLEN, 0x020f);
	struct lx_boot b;

	(void)state;
	img_w32(img + 0x260, 60u << 20);     /* init_size: 16 + 60 MiB > 64 MiB */
	assert_int_equal(load(len, NULL, 0, "", &b), -EINVAL);
	assert_non_null(strstr(err, "RAM too small"));
}

/* Random corruption: always a clean accept or -EINVAL, never a write
 * outside RAM (ASan watches @mem). */
static void test_random_corruption_never_crashes(void **state)
{
	static uint8_t good[IMG_BZ_PM_OFF(4) + 256];
	size_t len = img_bzimage(good, 4, 256, 0x020f);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned i, k, accepted = 0;
	struct lx_boot b;
	uint8_t rd[64] = { 1 };

	(void)state;
	for (i = 0; i < 20000; i++) {
		memcpy(img, good, len);
		for (k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			img[0x1f1 + (x >> 8) % (0x270 - 0x1f1)] = (uint8_t)x;
		}
		int r = lx_load(mem, RAM, img, len, rd, sizeof(rd), "c", &b, err, sizeof(err));
		assert_true(r == 0 || r == -EINVAL);
		if (r == 0) {
			accepted++;
			assert_true(b.kernel_end <= RAM);
			assert_true(b.initrd_addr >= b.kernel_end && b.initrd_addr + 64 <= RAM);
		}
	}
	assert_true(accepted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage_recognised_by_hdrs),
		cmocka_unit_test(test_protected_mode_kernel_at_1mib_entry_and_zero_page),
		cmocka_unit_test(test_setup_sects_zero_means_four),
		cmocka_unit_test(test_e820_matches_memory_map_and_reserves_bios_and_mmio),
		cmocka_unit_test(test_initrd_high_page_aligned_below_ram_end),
		cmocka_unit_test(test_initrd_below_initrd_addr_max),
		cmocka_unit_test(test_initrd_too_big_rejected),
		cmocka_unit_test(test_rsdp_recorded_from_protocol_2_14),
		cmocka_unit_test(test_cmdline_longer_than_cmdline_size_rejected),
		cmocka_unit_test(test_cmdline_longer_than_splitvm_area_rejected),
		cmocka_unit_test(test_bad_images_rejected_with_reason),
		cmocka_unit_test(test_truncated_images_rejected),
		cmocka_unit_test(test_ram_too_small_for_init_size),
		cmocka_unit_test(test_random_corruption_never_crashes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
