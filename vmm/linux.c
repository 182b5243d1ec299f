/* SPDX-License-Identifier: MIT */
/*
 * Linux/x86 boot protocol loader.  Section names refer to
 * Documentation/arch/x86/boot.rst ("The real-mode kernel header",
 * "Loading the rest of the kernel", "32-bit BOOT PROTOCOL") and
 * Documentation/arch/x86/zero-page.rst.
 */
#include "linux.h"
#include "errmsg.h"

#include "multiboot.h"   /* splitvm's memory map and boot area */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PAGE_SIZE 4096u

#define fail(err, errlen, ...) vm_reason(err, errlen, -EINVAL, __VA_ARGS__)

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

bool lx_is_bzimage(const uint8_t *img, size_t len)
{
	return img && len >= LX_HDR_MAGIC_OFF + 4 && rd32(img + LX_HDR_MAGIC_OFF) == LX_HDR_MAGIC;
}

void lx_set_rsdp(uint8_t *mem, const struct lx_boot *b, uint64_t rsdp)
{
	/* zero-page.rst 0x070: honoured from protocol 2.14 on; older kernels
	 * find the RSDP by the BIOS-area scan, which the tables also allow */
	if (b->version >= LX_VERSION_RSDP)
		memcpy(mem + b->zero_page + __builtin_offsetof(struct lx_boot_params, acpi_rsdp_addr),
		       &rsdp, sizeof(rsdp));
}

int lx_load(uint8_t *mem, uint64_t ram_size, const uint8_t *img, size_t len,
	    const uint8_t *initrd, size_t initrd_len, const char *cmdline,
	    struct lx_boot *out, char *err, size_t errlen)
{
	struct lx_boot_params bp;
	struct vm_mem_region map[8];
	uint64_t low = vm_lowmem_size(ram_size), pm_off, pm_len, kbase, kend, top;
	size_t hdr_end, cmdlen;
	unsigned setup_sects, n, i;

	if (!mem || !img || !out || (initrd_len && !initrd))
		return fail(err, errlen, "internal: bad arguments");
	memset(out, 0, sizeof(*out));
	if (!lx_is_bzimage(img, len))
		return fail(err, errlen, "not a Linux bzImage (no \"HdrS\" setup header at 0x202)");

	/* boot.rst: zero the boot_params, then copy the setup header from
	 * 0x1f1 of the image; it ends at 0x202 + the byte at 0x201 */
	memset(&bp, 0, sizeof(bp));
	hdr_end = LX_HDR_MAGIC_OFF + img[0x201];
	if (hdr_end > LX_HDR_OFF + sizeof(bp.hdr))
		hdr_end = LX_HDR_OFF + sizeof(bp.hdr);
	if (hdr_end > len)
		return fail(err, errlen, "Linux image truncated inside its setup header");
	memcpy(&bp.hdr, img + LX_HDR_OFF, hdr_end - LX_HDR_OFF);
	if (hdr_end < LX_HDR_OFF + __builtin_offsetof(struct lx_setup_header, cmdline_size) + 4 ||
	    bp.hdr.version < LX_MIN_VERSION)
		return fail(err, errlen, "Linux boot protocol %u.%02u is too old (splitvm needs 2.06 or newer)",
			    bp.hdr.version >> 8, bp.hdr.version & 0xff);
	if (bp.hdr.boot_flag != LX_BOOT_FLAG)
		return fail(err, errlen, "Linux image: bad boot_flag 0x%04x (want 0xAA55)", bp.hdr.boot_flag);
	if (!(bp.hdr.loadflags & LX_LOADED_HIGH))
		return fail(err, errlen, "Linux image is a zImage (LOADED_HIGH clear): only bzImages load at 1 MiB");

	/* "Loading the rest of the kernel": the protected-mode kernel starts
	 * at (setup_sects + 1) * 512, setup_sects 0 meaning 4 */
	setup_sects = bp.hdr.setup_sects ? bp.hdr.setup_sects : 4;
	pm_off = (uint64_t)(setup_sects + 1) * 512;
	if (pm_off >= len)
		return fail(err, errlen, "Linux image truncated: no protected-mode kernel after %u setup sectors",
			    setup_sects);
	pm_len = len - pm_off;
	/* syssize is the size in 16-byte paragraphs, rounded up */
	if ((uint64_t)bp.hdr.syssize * 16 > pm_len + 15)
		return fail(err, errlen, "Linux image truncated: the protected-mode kernel has %llu of %llu bytes",
			    (unsigned long long)pm_len, (unsigned long long)bp.hdr.syssize * 16);

	/* The memory the kernel needs: the file, and (2.10+) init_size from
	 * where it decompresses; a relocatable kernel loaded below
	 * pref_address runs there (boot.rst, pref_address and init_size). */
	kbase = LX_KERNEL_ADDR;
	kend = kbase + pm_len;
	if (bp.hdr.version >= 0x020a) {
		uint64_t run = bp.hdr.relocatable_kernel && bp.hdr.pref_address > kbase
				       ? bp.hdr.pref_address : kbase;

		if (run + bp.hdr.init_size > kend)
			kend = run + bp.hdr.init_size;
	}
	if (vm_check_load_range(kbase, pm_len, low, "Linux kernel", err, errlen))
		return -EINVAL;
	if (kend > low)
		return fail(err, errlen, "RAM too small for this kernel: it needs RAM up to 0x%llx, RAM ends at 0x%llx",
			    (unsigned long long)kend, (unsigned long long)low);
	memcpy(mem + kbase, img + pm_off, pm_len);

	/* Command line: cmdline_size is the longest one without its NUL */
	if (!cmdline)
		cmdline = "";
	cmdlen = strlen(cmdline);
	if (cmdlen > bp.hdr.cmdline_size)
		return fail(err, errlen, "kernel command line is %zu bytes, this kernel takes at most %u",
			    cmdlen, bp.hdr.cmdline_size);
	if (cmdlen + 1 > LX_CMDLINE_END - LX_CMDLINE_ADDR)
		return fail(err, errlen, "kernel command line is %zu bytes, splitvm takes at most %u",
			    cmdlen, LX_CMDLINE_END - LX_CMDLINE_ADDR - 1);
	memcpy(mem + LX_CMDLINE_ADDR, cmdline, cmdlen + 1);
	bp.hdr.cmd_line_ptr = LX_CMDLINE_ADDR;

	/* initrd: as high as initrd_addr_max and RAM allow, page aligned,
	 * above everything the kernel may use */
	if (initrd_len) {
		uint64_t addr;

		top = low;
		if ((uint64_t)bp.hdr.initrd_addr_max + 1 < top)
			top = (uint64_t)bp.hdr.initrd_addr_max + 1;
		if (initrd_len > top || ((top - initrd_len) & ~(uint64_t)(PAGE_SIZE - 1)) < kend)
			return fail(err, errlen,
				    "initrd (%zu bytes) does not fit between the kernel's end 0x%llx and 0x%llx "
				    "(RAM end or initrd_addr_max)", initrd_len,
				    (unsigned long long)kend, (unsigned long long)top);
		addr = (top - initrd_len) & ~(uint64_t)(PAGE_SIZE - 1);
		memcpy(mem + addr, initrd, initrd_len);
		bp.hdr.ramdisk_image = (uint32_t)addr;
		bp.hdr.ramdisk_size = (uint32_t)initrd_len;
		out->initrd_addr = (uint32_t)addr;
		out->initrd_size = (uint32_t)initrd_len;
	}

	/* boot.rst "Details of header fields", the ones a boot loader writes */
	bp.hdr.type_of_loader = LX_TYPE_OF_LOADER;
	bp.hdr.vid_mode = 0xffff;                     /* "normal" */
	bp.hdr.code32_start = LX_KERNEL_ADDR;
	/* heap_end_ptr is for the real-mode setup code, which splitvm does
	 * not run (it fills the zero page itself); the value describes the
	 * usual 64 KiB setup segment, as a 16-bit loader would set it */
	bp.hdr.loadflags |= LX_CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = LX_HEAP_END_PTR;

	/* zero-page.rst: the memory map (E820_RAM / E820_RESERVED types are
	 * the e820 ones), and the extended memory size in KiB */
	n = vm_memory_map(ram_size, map);
	for (i = 0; i < n; i++) {
		bp.e820_table[i].addr = map[i].base;
		bp.e820_table[i].size = map[i].len;
		bp.e820_table[i].type = map[i].type;
	}
	bp.e820_entries = (uint8_t)n;
	bp.alt_mem_k = (uint32_t)((low - 0x100000) / 1024);
	memcpy(mem + LX_ZERO_PAGE_ADDR, &bp, sizeof(bp));

	out->entry = LX_KERNEL_ADDR;
	out->zero_page = LX_ZERO_PAGE_ADDR;
	out->version = bp.hdr.version;
	out->kernel_end = (uint32_t)kend;
	out->cmdline_addr = LX_CMDLINE_ADDR;
	return 0;
}
