/* SPDX-License-Identifier: MIT */
/*
 * Multiboot v1 loader (Multiboot Specification 0.6.96) as a pure function
 * over a buffer that stands for guest physical memory [0, low_end).
 * No KVM, no file I/O: tests feed it images built in memory.
 */
#ifndef SPLITVM_MULTIBOOT_H
#define SPLITVM_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

/* Multiboot 0.6.96 section 3.1.1 / 3.2 */
#define MB_HEADER_MAGIC       0x1BADB002u
#define MB_BOOTLOADER_MAGIC   0x2BADB002u
#define MB_SEARCH_LEN         8192u
#define MB_FLAG_PAGE_ALIGN    (1u << 0)
#define MB_FLAG_MEMORY_INFO   (1u << 1)
#define MB_FLAG_VIDEO_MODE    (1u << 2)
#define MB_FLAG_AOUT_KLUDGE   (1u << 16)
#define MB_FLAGS_KNOWN_REQ    (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

/* multiboot_info flags (section 3.3) */
#define MB_INFO_MEMORY        (1u << 0)
#define MB_INFO_CMDLINE       (1u << 2)
#define MB_INFO_MODS          (1u << 3)
#define MB_INFO_MEM_MAP       (1u << 6)
#define MB_INFO_LOADER_NAME   (1u << 9)

/*
 * splitvm's boot area (docs/SPLITVM.md "Memory map"): everything splitvm
 * itself writes below 640 KiB lies in [VM_BOOT_AREA, VM_BOOT_AREA_END):
 * the boot GDT, the Multiboot info or the Linux zero page and command
 * line, and the boot stack.  Images may use the rest of conventional
 * memory ([0, VM_BOOT_AREA) and [VM_BOOT_AREA_END, VM_EBDA_BASE)) and RAM
 * from 1 MiB up, as with QEMU's loaders.
 */
#define VM_BOOT_AREA          0x1000u
#define VM_BOOT_GDT_ADDR      0x1000u      /* both loaders' flat GDT */
#define VM_BOOT_STACK_TOP     0x8000u      /* ESP; the stack is 0x7000-0x7fff */
#define VM_BOOT_AREA_END      0x8000u
#define MB_INFO_ADDR          0x2000u
#define MB_MMAP_ADDR          0x2100u
#define MB_MODS_ADDR          0x2400u
#define MB_STRINGS_ADDR       0x2800u
#define MB_STRINGS_END        0x7000u
#define MB_LOAD_MIN           0x100000u    /* modules load at or above 1 MiB */

#define VM_LOWMEM_TOP         0xC0000000ull /* RAM above 3 GiB moves to 4 GiB */
#define VM_HIGHMEM_BASE       0x100000000ull
#define VM_EBDA_BASE          0x9FC00u
#define VM_BIOS_BASE          0xE0000u
/* KVM's private pages (api.rst, KVM_SET_IDENTITY_MAP_ADDR and
 * KVM_SET_TSS_ADDR: "the guest may malfunction if it accesses this memory
 * region"): the identity-map page, then the 3-page TSS; reserved in e820 */
#define VM_KVM_IDENTITY_MAP   0xFFFBC000u
#define VM_KVM_TSS            0xFFFBD000u
#define VM_KVM_PRIVATE_LEN    0x4000u

struct mb_info {               /* section 3.3, the fields splitvm fills */
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
};
_Static_assert(sizeof(struct mb_info) == 88, "multiboot_info is 88 bytes");

struct mb_mmap_entry {         /* section 3.3 "mmap_*": size excludes itself */
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "mmap entry");

struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
};

#define E820_RAM       1u
#define E820_RESERVED  2u

struct vm_mem_region {
	uint64_t base, len;
	uint32_t type;
};

/* The guest's e820-style map; returns the number of entries (<= 8). */
unsigned vm_memory_map(uint64_t ram_size, struct vm_mem_region out[8]);
/*
 * Whether an image part [@paddr, @paddr + @len) may be loaded: inside RAM
 * below @low, in conventional memory or from 1 MiB up, and clear of
 * splitvm's boot area and of the EBDA/BIOS range.  0, or -EINVAL with a
 * one-line reason naming @what (e.g. "ELF segment 0") in @err.
 */
int vm_check_load_range(uint64_t paddr, uint64_t len, uint64_t low, const char *what,
			char *err, size_t errlen);
/* Bytes of RAM below 4 GiB and above it for @ram_size. */
uint64_t vm_lowmem_size(uint64_t ram_size);
uint64_t vm_highmem_size(uint64_t ram_size);

struct mb_module_in {
	const uint8_t *data;
	size_t len;
	const char *cmdline;       /* string handed to the guest, may be NULL */
};

struct mb_boot {
	uint32_t entry;            /* EIP */
	uint32_t info_addr;        /* EBX */
	uint32_t kernel_start, kernel_end;
};

/*
 * Load @img into @mem (guest physical 0..vm_lowmem_size(ram_size)), build
 * the boot information and fill @out.  Returns 0, or -EINVAL with a
 * one-line reason in @err.
 */
int mb_load(uint8_t *mem, uint64_t ram_size, const uint8_t *img, size_t len,
	    const char *cmdline, const struct mb_module_in *mods, unsigned nmods,
	    struct mb_boot *out, char *err, size_t errlen);

#endif
