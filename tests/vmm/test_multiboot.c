/* SPDX-License-Identifier: MIT */
/* splitvm Multiboot v1 loader (vmm/multiboot.c), no KVM needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "images.h"
#include "multiboot.h"

#define RAM (32u << 20)

static uint8_t *mem;
static const uint8_t code[] = { 0x90, 0x90, 0xf4, 0xeb, 0xfd };
static char err[256];

static int setup(void **state)
{
	(void)state;
	mem = calloc(1, RAM);
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(mem);
	return 0;
}


static int load(const uint8_t *img, size_t len, const char *cmd, struct mb_boot *b)
{
	memset(err, 0, sizeof(err));
	return mb_load(mem, RAM, img, len, cmd, NULL, 0, b, err, sizeof(err));
}

static void test_elf32_segment_loaded_and_bss_zeroed(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	size_t len = img_elf32(img, 0x200000, code, sizeof(code), 100, 0);

	(void)state;
	memset(mem + 0x200000, 0xaa, 4096);
	assert_int_equal(load(img, len, "", &b), 0);
	assert_memory_equal(mem + 0x200000, img, len);
	for (size_t i = len; i < len + 100; i++)
		assert_int_equal(mem[0x200000 + i], 0);
	assert_int_equal(mem[0x200000 + len + 100], 0xaa);   /* not past memsz */
	assert_int_equal(b.entry, 0x200000 + IMG_CODE_OFF);
	assert_int_equal(b.info_addr, MB_INFO_ADDR);
	assert_int_equal(b.kernel_end, 0x200000 + len + 100);
}

/* Conventional memory below 640 KiB takes images, as QEMU's loader does
 * (a segment at 0x8000+0x286c used to be refused as "outside RAM"). */
static void test_segment_in_conventional_memory_loaded(void **state)
{
	static const uint8_t mods_data[] = "mod";
	struct mb_module_in mods[1] = { { mods_data, sizeof(mods_data), NULL } };
	uint8_t img[256];
	struct mb_boot b;
	struct mb_info info;
	struct mb_module m;
	size_t len = img_elf32(img, 0x8000, code, sizeof(code), 0x286c - 101, 0);

	(void)state;
	assert_int_equal(len + 0x286c - 101, 0x286c);
	assert_int_equal(mb_load(mem, RAM, img, len, "low", mods, 1, &b, err, sizeof(err)), 0);
	assert_memory_equal(mem + 0x8000, img, len);
	assert_int_equal(b.entry, 0x8000 + IMG_CODE_OFF);
	assert_int_equal(b.kernel_end, 0x8000 + 0x286c);
	/* the boot information stays in splitvm's boot area, below the image */
	assert_true(b.info_addr >= VM_BOOT_AREA && b.info_addr < VM_BOOT_AREA_END);
	memcpy(&info, mem + b.info_addr, sizeof(info));
	assert_string_equal((char *)mem + info.cmdline, "low");
	/* modules go from 1 MiB up, not into the rest of conventional memory */
	memcpy(&m, mem + info.mods_addr, sizeof(m));
	assert_int_equal(m.mod_start, MB_LOAD_MIN);
	/* up to the EBDA, and in the first page, too */
	len = img_elf32(img, VM_EBDA_BASE - 256, code, sizeof(code), 256 - 101, 0);
	assert_int_equal(load(img, len, "", &b), 0);
	len = img_elf32(img, 0, code, sizeof(code), 0, 0);
	assert_int_equal(load(img, len, "", &b), 0);
	/* and a.out kludge images too */
	len = img_kludge(img, 0x10000, code, sizeof(code), 0);
	assert_int_equal(load(img, len, "", &b), 0);
	assert_int_equal(b.entry, 0x10000 + 32);
	assert_memory_equal(mem + 0x10000 + 32, code, sizeof(code));
}

static void test_info_memory_cmdline_mmap_loader_name(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	struct mb_info info;
	size_t len = img_elf32(img, 0x100000, code, sizeof(code), 0, MB_FLAG_MEMORY_INFO);
	unsigned n, i;
	uint64_t ram_total = 0;

	(void)state;
	assert_int_equal(load(img, len, "console=ttyS0 x=1", &b), 0);
	memcpy(&info, mem + b.info_addr, sizeof(info));
	assert_true(info.flags & MB_INFO_MEMORY);
	assert_true(info.flags & MB_INFO_CMDLINE);
	assert_true(info.flags & MB_INFO_MEM_MAP);
	assert_true(info.flags & MB_INFO_MODS);
	assert_true(info.flags & MB_INFO_LOADER_NAME);
	assert_int_equal(info.mem_lower, 639);
	assert_int_equal(info.mem_upper, (RAM - 0x100000) / 1024);
	assert_string_equal((char *)mem + info.cmdline, "console=ttyS0 x=1");
	assert_string_equal((char *)mem + info.boot_loader_name, "splitvm");
	assert_int_equal(info.mods_count, 0);
	/* mmap: entries of size 20 (+4), RAM totals the VM's RAM */
	n = info.mmap_length / 24;
	assert_true(n >= 4);
	for (i = 0; i < n; i++) {
		struct mb_mmap_entry e;

		memcpy(&e, mem + info.mmap_addr + 24 * i, sizeof(e));
		assert_int_equal(e.size, 20);
		if (e.type == E820_RAM)
			ram_total += e.length;
		/* the BIOS area with the ACPI tables is never RAM */
		if (e.type == E820_RAM)
			assert_true(e.base_addr + e.length <= 0xE0000 || e.base_addr >= 0x100000);
	}
	assert_int_equal(ram_total, RAM - (0xA0000 - 0x9FC00) - 0x60000);
}

static void test_cmdline_present_even_when_empty(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	struct mb_info info;
	size_t len = img_elf32(img, 0x100000, code, sizeof(code), 0, 0);

	(void)state;
	assert_int_equal(load(img, len, NULL, &b), 0);
	memcpy(&info, mem + b.info_addr, sizeof(info));
	assert_true(info.flags & MB_INFO_CMDLINE);
	assert_int_not_equal(info.cmdline, 0);
	assert_string_equal((char *)mem + info.cmdline, "");
}

static void test_modules_page_aligned_after_kernel(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	struct mb_info info;
	struct mb_module m[2];
	const uint8_t d0[] = "module zero data", d1[5000] = { 7 };
	struct mb_module_in mods[2] = { { d0, sizeof(d0), "m0 arg" }, { d1, sizeof(d1), NULL } };
	size_t len = img_elf32(img, 0x100000, code, sizeof(code), 0, MB_FLAG_PAGE_ALIGN);

	(void)state;
	assert_int_equal(mb_load(mem, RAM, img, len, "", mods, 2, &b, err, sizeof(err)), 0);
	memcpy(&info, mem + b.info_addr, sizeof(info));
	assert_int_equal(info.mods_count, 2);
	memcpy(m, mem + info.mods_addr, sizeof(m));
	assert_int_equal(m[0].mod_start % 4096, 0);
	assert_true(m[0].mod_start >= b.kernel_end);
	assert_int_equal(m[0].mod_end - m[0].mod_start, sizeof(d0));
	assert_memory_equal(mem + m[0].mod_start, d0, sizeof(d0));
	assert_string_equal((char *)mem + m[0].string, "m0 arg");
	assert_int_equal(m[1].mod_start % 4096, 0);
	assert_true(m[1].mod_start >= m[0].mod_end);
	assert_int_equal(m[1].mod_end - m[1].mod_start, sizeof(d1));
	assert_string_equal((char *)mem + m[1].string, "");
}

static void test_module_too_big_rejected(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	struct mb_module_in mod = { mem, RAM, "big" };    /* larger than RAM left */
	size_t len = img_elf32(img, 0x100000, code, sizeof(code), 0, 0);

	(void)state;
	assert_int_equal(mb_load(mem, RAM, img, len, "", &mod, 1, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not fit"));
}

static void test_aout_kludge_loads_flat_image(void **state)
{
	uint8_t img[128];
	struct mb_boot b;
	size_t len = img_kludge(img, 0x300000, code, sizeof(code), 256);

	(void)state;
	memset(mem + 0x300000, 0xcc, 1024);
	assert_int_equal(load(img, len, "", &b), 0);
	assert_int_equal(b.entry, 0x300020);
	assert_memory_equal(mem + 0x300000, img, len);
	assert_int_equal(mem[0x300000 + len], 0);
	assert_int_equal(mem[0x300000 + len + 255], 0);
	assert_int_equal(mem[0x300000 + len + 256], 0xcc);
}

static void test_header_after_8k_not_found(void **state)
{
	static uint8_t img[10000];
	struct mb_boot b;

	(void)state;
	memset(img, 0, sizeof(img));
	img_elf32(img, 0x100000, code, sizeof(code), 0, 0);
	memset(img + IMG_MB_OFF, 0, 12);
	img_mb_header(img + 8192, 0);           /* first byte past the 8 KiB window */
	assert_int_equal(load(img, sizeof(img), "", &b), -EINVAL);
	assert_non_null(strstr(err, "not a multiboot image"));
	img_mb_header(img + 8180, 0);           /* last aligned slot inside */
	assert_int_equal(load(img, sizeof(img), "", &b), 0);
}

static void test_corrupt_images_rejected_with_reason(void **state)
{
	static const struct {
		const char *what, *msg;
		unsigned off;        /* byte to change */
		uint32_t val;        /* 32-bit value written at off */
		int width;
	} cases[] = {
		{ "bad checksum", "bad checksum", IMG_MB_OFF + 8, 0x12345678, 4 },
		{ "unsupported required flag", "unsupported features", IMG_MB_OFF + 4, 0, -1 },
		{ "not ELF", "not an ELF image", 0, 0x464c4500, 4 },
		{ "ELF class", "bad class", 4, 9, 1 },
		{ "big endian", "not little-endian", 5, 2, 1 },
		{ "not EXEC", "not an executable", 16, 3, 2 },
		{ "machine", "not an x86 image", 18, 40, 2 },
		{ "phentsize", "program header size", 42, 8, 2 },
		{ "no phdrs", "no program headers", 44, 0, 2 },
		{ "phdrs past EOF", "past end of file", 28, 0x7ffffff0, 4 },
		{ "segment data past EOF", "past end of file", IMG_PHDR_OFF + 4, 0x10000, 4 },
		{ "filesz > memsz", "p_filesz > p_memsz", IMG_PHDR_OFF + 20, 1, 4 },
		{ "segment outside RAM", "outside RAM", IMG_PHDR_OFF + 12, 0x7fff0000, 4 },
		{ "segment wraps 4G", "outside RAM", IMG_PHDR_OFF + 12, 0xfffffff0u, 4 },
		{ "segment over the boot area", "overlaps splitvm's boot area", IMG_PHDR_OFF + 12, 0x7f80, 4 },
		{ "segment over the EBDA", "overlaps the reserved range", IMG_PHDR_OFF + 12, 0x9fbf0, 4 },
		{ "segment in the BIOS area", "overlaps the reserved range", IMG_PHDR_OFF + 12, 0xE0000, 4 },
		{ "entry outside", "entry point", 24, 0x7fffffff, 4 },
		{ "no PT_LOAD", "no loadable segment", IMG_PHDR_OFF, 4, 4 },
	};
	uint8_t img[256];
	struct mb_boot b;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = img_elf32(img, 0x100000, code, sizeof(code), 0, 0);

		if (cases[i].width == -1) {
			img_mb_header(img + IMG_MB_OFF, 1u << 5);   /* bit 5: unknown, required */
		} else if (cases[i].width == 4) {
			img_w32(img + cases[i].off, cases[i].val);
		} else if (cases[i].width == 2) {
			img_w16(img + cases[i].off, (uint16_t)cases[i].val);
		} else {
			img[cases[i].off] = (uint8_t)cases[i].val;
		}
		if (load(img, len, "", &b) != -EINVAL || !strstr(err, cases[i].msg))
			fail_msg("case '%s': got '%s'", cases[i].what, err);
	}
}

static void test_truncated_images_rejected(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	size_t len = img_elf32(img, 0x100000, code, sizeof(code), 0, 0), cut;

	(void)state;
	/* every prefix is either rejected cleanly or (never) accepted */
	for (cut = 0; cut < len; cut++)
		assert_int_equal(load(img, cut, "", &b), -EINVAL);
}

static void test_kludge_bad_addresses_rejected(void **state)
{
	uint8_t img[128];
	struct mb_boot b;
	size_t len;

	(void)state;
	len = img_kludge(img, 0x300000, code, sizeof(code), 0);
	img_w32(img + 16, 0x300004);                 /* load_addr > header_addr */
	assert_int_equal(load(img, len, "", &b), -EINVAL);
	len = img_kludge(img, 0x300000, code, sizeof(code), 0);
	img_w32(img + 16, 0x200000);                 /* load_addr before the file */
	assert_int_equal(load(img, len, "", &b), -EINVAL);
	len = img_kludge(img, 0x300000, code, sizeof(code), 0);
	img_w32(img + 20, 0x400000);                 /* load_end past EOF */
	assert_int_equal(load(img, len, "", &b), -EINVAL);
	len = img_kludge(img, 0x300000, code, sizeof(code), 0);
	img_w32(img + 24, 0x300001);                 /* bss_end below load_end */
	assert_int_equal(load(img, len, "", &b), -EINVAL);
	len = img_kludge(img, 0x300000, code, sizeof(code), 0);
	img_w32(img + 28, 0x10);                     /* entry below 1 MiB */
	assert_int_equal(load(img, len, "", &b), -EINVAL);
	len = img_kludge(img, 0x300000, code, sizeof(code), 0);
	img_w32(img + 4 + 8, 0);                     /* truncated header fields */
	assert_int_equal(load(img, 20, "", &b), -EINVAL);
}

static void test_elf64_image_loaded(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	size_t len = 64 + 56 + 12 + sizeof(code);

	(void)state;
	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF", 4);
	img[4] = 2; img[5] = 1; img[6] = 1;
	img_w16(img + 16, 2);
	img_w16(img + 18, 62);
	img_w32(img + 24, 0x100000 + 132);           /* e_entry */
	img_w32(img + 32, 64);                       /* e_phoff */
	img_w16(img + 54, 56);
	img_w16(img + 56, 1);
	img_w32(img + 64, 1);                        /* PT_LOAD */
	img_w32(img + 64 + 24, 0x100000);            /* p_paddr */
	img_w32(img + 64 + 32, (uint32_t)len);       /* p_filesz */
	img_w32(img + 64 + 40, (uint32_t)len);       /* p_memsz */
	img_mb_header(img + 120, 0);
	memcpy(img + 132, code, sizeof(code));
	assert_int_equal(load(img, len, "", &b), 0);
	assert_int_equal(b.entry, 0x100000 + 132);
	assert_memory_equal(mem + 0x100000 + 132, code, sizeof(code));
}

static void test_long_cmdline_rejected(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	size_t len = img_elf32(img, 0x100000, code, sizeof(code), 0, 0);
	char *cmd = malloc(MB_STRINGS_END - MB_STRINGS_ADDR + 10);

	(void)state;
	memset(cmd, 'a', MB_STRINGS_END - MB_STRINGS_ADDR + 9);
	cmd[MB_STRINGS_END - MB_STRINGS_ADDR + 9] = 0;
	assert_int_equal(load(img, len, cmd, &b), -EINVAL);
	assert_non_null(strstr(err, "command line too long"));
	free(cmd);
}

static void test_memory_map_pci_hole(void **state)
{
	struct vm_mem_region m[8];
	unsigned n, i;
	bool high = false;

	(void)state;
	assert_int_equal(vm_lowmem_size(1ull << 30), 1ull << 30);
	assert_int_equal(vm_highmem_size(1ull << 30), 0);
	assert_int_equal(vm_lowmem_size(5ull << 30), 3ull << 30);
	assert_int_equal(vm_highmem_size(5ull << 30), 2ull << 30);
	n = vm_memory_map(5ull << 30, m);
	for (i = 0; i < n; i++) {
		/* no RAM between 3 GiB and 4 GiB: the PCI hole */
		if (m[i].type == E820_RAM)
			assert_true(m[i].base + m[i].len <= (3ull << 30) || m[i].base >= (4ull << 30));
		if (m[i].type == E820_RAM && m[i].base == (4ull << 30)) {
			assert_int_equal(m[i].len, 2ull << 30);
			high = true;
		}
	}
	assert_true(high);
	/* KVM's identity map and TSS pages (0xfffbc000-0xfffbffff) are reserved */
	for (i = 0; i < n; i++)
		if (m[i].type == E820_RESERVED && m[i].base == 0xfffbc000ull &&
		    m[i].len == 0x4000)
			break;
	assert_true(i < n);
	assert_true(n <= 8);
}

static void test_bad_arguments(void **state)
{
	uint8_t img[256];
	struct mb_boot b;
	size_t len = img_elf32(img, 0x100000, code, sizeof(code), 0, 0);

	(void)state;
	assert_int_equal(mb_load(NULL, RAM, img, len, "", NULL, 0, &b, err, sizeof(err)), -EINVAL);
	assert_int_equal(mb_load(mem, RAM, img, len, "", NULL, 1, &b, err, sizeof(err)), -EINVAL);
	assert_int_equal(mb_load(mem, 1u << 20, img, len, "", NULL, 0, &b, err, sizeof(err)), -EINVAL);
}

/* Random corruption of a valid image: always a clean accept or -EINVAL. */
static void test_random_corruption_never_crashes(void **state)
{
	uint8_t good[256], img[256];
	struct mb_boot b;
	size_t len = img_elf32(good, 0x100000, code, sizeof(code), 64, 0);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned i, k, accepted = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		memcpy(img, good, len);
		for (k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			img[(x >> 8) % len] = (uint8_t)x;
		}
		int r = mb_load(mem, RAM, img, len - (i % 7 == 0 ? (x >> 40) % len : 0), "c",
				NULL, 0, &b, err, sizeof(err));
		assert_true(r == 0 || r == -EINVAL);
		if (r == 0) {
			accepted++;
			assert_true(b.entry < RAM);
			assert_true(b.kernel_end <= RAM);
		} else {
			assert_true(err[0] != 0);
		}
	}
	assert_true(accepted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf32_segment_loaded_and_bss_zeroed),
		cmocka_unit_test(test_segment_in_conventional_memory_loaded),
		cmocka_unit_test(test_info_memory_cmdline_mmap_loader_name),
		cmocka_unit_test(test_cmdline_present_even_when_empty),
		cmocka_unit_test(test_modules_page_aligned_after_kernel),
		cmocka_unit_test(test_module_too_big_rejected),
		cmocka_unit_test(test_aout_kludge_loads_flat_image),
		cmocka_unit_test(test_header_after_8k_not_found),
		cmocka_unit_test(test_corrupt_images_rejected_with_reason),
		cmocka_unit_test(test_truncated_images_rejected),
		cmocka_unit_test(test_kludge_bad_addresses_rejected),
		cmocka_unit_test(test_elf64_image_loaded),
		cmocka_unit_test(test_long_cmdline_rejected),
		cmocka_unit_test(test_memory_map_pci_hole),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_random_corruption_never_crashes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
