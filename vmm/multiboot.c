/* SPDX-License-Identifier: MIT */
/*
 * Multiboot v1 loader.  Section numbers refer to the Multiboot
 * Specification 0.6.96; ELF field names to the System V gABI.
 */
#include "multiboot.h"
#include "errmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define EI_NIDENT   16
#define ELFCLASS32  1
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define EM_386      3
#define EM_X86_64   62
#define PT_LOAD     1
#define PAGE_SIZE   4096u

#define fail(err, errlen, ...) vm_reason(err, errlen, -EINVAL, __VA_ARGS__)

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

uint64_t vm_lowmem_size(uint64_t ram_size)
{
	return ram_size < VM_LOWMEM_TOP ? ram_size : VM_LOWMEM_TOP;
}

uint64_t vm_highmem_size(uint64_t ram_size)
{
	return ram_size > VM_LOWMEM_TOP ? ram_size - VM_LOWMEM_TOP : 0;
}

unsigned vm_memory_map(uint64_t ram_size, struct vm_mem_region out[8])
{
	uint64_t low = vm_lowmem_size(ram_size), high = vm_highmem_size(ram_size);
	unsigned n = 0;

	out[n++] = (struct vm_mem_region){ 0, VM_EBDA_BASE, E820_RAM };
	out[n++] = (struct vm_mem_region){ VM_EBDA_BASE, 0xA0000 - VM_EBDA_BASE, E820_RESERVED };
	/* 0xE0000-0xFFFFF: BIOS area holding the ACPI and MP tables */
	out[n++] = (struct vm_mem_region){ VM_BIOS_BASE, 0x100000 - VM_BIOS_BASE, E820_RESERVED };
	if (low > 0x100000)
		out[n++] = (struct vm_mem_region){ 0x100000, low - 0x100000, E820_RAM };
	/* IOAPICs, HPET, LAPIC: 0xFEC00000-0xFEEFFFFF */
	out[n++] = (struct vm_mem_region){ 0xFEC00000u, 0x300000, E820_RESERVED };
	/* KVM's identity-map page and TSS: no guest use, as QEMU reserves them */
	out[n++] = (struct vm_mem_region){ VM_KVM_IDENTITY_MAP, VM_KVM_PRIVATE_LEN, E820_RESERVED };
	if (high)
		out[n++] = (struct vm_mem_region){ VM_HIGHMEM_BASE, high, E820_RAM };
	return n;
}

/* [a, a+alen) within [lo, hi), overflow-safe */
static bool range_in(uint64_t a, uint64_t alen, uint64_t lo, uint64_t hi)
{
	return a >= lo && a <= hi && alen <= hi - a;
}

struct mb_header {
	size_t off;          /* offset of the header in the image */
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Section 3.1.2: 32-bit aligned, within the first 8192 bytes. */
static int find_header(const uint8_t *img, size_t len, struct mb_header *h,
		       char *err, size_t errlen)
{
	size_t lim = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	size_t off;

	for (off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = rd32(img + off), flags = rd32(img + off + 4),
			 sum = rd32(img + off + 8);

		if (magic != MB_HEADER_MAGIC)
			continue;
		if ((uint32_t)(magic + flags + sum) != 0)
			return fail(err, errlen,
				    "multiboot header at offset %zu: bad checksum 0x%08x", off, sum);
		h->off = off;
		h->flags = flags;
		if (flags & MB_FLAG_AOUT_KLUDGE) {
			if (off + 32 > len)
				return fail(err, errlen,
					    "multiboot header: address fields past end of image");
			h->header_addr = rd32(img + off + 12);
			h->load_addr = rd32(img + off + 16);
			h->load_end_addr = rd32(img + off + 20);
			h->bss_end_addr = rd32(img + off + 24);
			h->entry_addr = rd32(img + off + 28);
		}
		return 0;
	}
	return fail(err, errlen, "not a multiboot image (no 0x1BADB002 header in the first 8 KiB)");
}

int vm_check_load_range(uint64_t paddr, uint64_t len, uint64_t low, const char *what,
			char *err, size_t errlen)
{
	uint64_t end = paddr + len;

	if (!range_in(paddr, len, 0, low))
		return fail(err, errlen, "%s at 0x%llx+0x%llx is outside RAM [0, 0x%llx)", what,
			    (unsigned long long)paddr, (unsigned long long)len,
			    (unsigned long long)low);
	if (len && paddr < VM_BOOT_AREA_END && end > VM_BOOT_AREA)
		return fail(err, errlen,
			    "%s at 0x%llx+0x%llx overlaps splitvm's boot area [0x%x, 0x%x) "
			    "(GDT, boot information, stack)", what, (unsigned long long)paddr,
			    (unsigned long long)len, VM_BOOT_AREA, VM_BOOT_AREA_END);
	if (len && paddr < MB_LOAD_MIN && end > VM_EBDA_BASE)
		return fail(err, errlen,
			    "%s at 0x%llx+0x%llx overlaps the reserved range [0x%x, 0x%x) "
			    "(EBDA, VGA hole, BIOS area with the ACPI and MP tables)", what,
			    (unsigned long long)paddr, (unsigned long long)len, VM_EBDA_BASE,
			    MB_LOAD_MIN);
	return 0;
}

static int check_segment(uint64_t paddr, uint64_t memsz, uint64_t low,
			 const char *what, unsigned idx, char *err, size_t errlen)
{
	char name[48];

	snprintf(name, sizeof(name), "%s %u", what, idx);
	return vm_check_load_range(paddr, memsz, low, name, err, errlen);
}

/* Section 3.1.3, address fields: the a.out kludge. */
static int load_kludge(uint8_t *mem, uint64_t low, const uint8_t *img, size_t len,
		       const struct mb_header *h, struct mb_boot *out,
		       char *err, size_t errlen)
{
	uint64_t start_off, load_end, file_len, bss_end;

	if (h->load_addr > h->header_addr)
		return fail(err, errlen, "multiboot header: load_addr above header_addr");
	if ((uint64_t)h->header_addr - h->load_addr > h->off)
		return fail(err, errlen, "multiboot header: load_addr before start of file");
	start_off = h->off - ((uint64_t)h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr
				    : h->load_addr + (uint64_t)(len - start_off);
	if (load_end < h->load_addr)
		return fail(err, errlen, "multiboot header: load_end_addr below load_addr");
	file_len = load_end - h->load_addr;
	if (file_len > len - start_off)
		return fail(err, errlen, "multiboot header: load_end_addr past end of file");
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (bss_end < load_end)
		return fail(err, errlen, "multiboot header: bss_end_addr below load_end_addr");
	if (check_segment(h->load_addr, bss_end - h->load_addr, low, "a.out image", 0, err, errlen))
		return -EINVAL;
	memcpy(mem + h->load_addr, img + start_off, file_len);
	memset(mem + load_end, 0, bss_end - load_end);
	out->entry = h->entry_addr;
	out->kernel_start = h->load_addr;
	out->kernel_end = (uint32_t)bss_end;
	return 0;
}

static int load_elf(uint8_t *mem, uint64_t low, const uint8_t *img, size_t len,
		    struct mb_boot *out, char *err, size_t errlen)
{
	bool is64;
	uint64_t phoff, entry, lo = UINT64_MAX, hi = 0;
	uint16_t phentsize, phnum, machine, i;
	unsigned nload = 0;

	if (len < 52 || memcmp(img, "\177ELF", 4))
		return fail(err, errlen, "not an ELF image (and no multiboot a.out kludge)");
	if (img[4] != ELFCLASS32 && img[4] != ELFCLASS64)
		return fail(err, errlen, "ELF: bad class %u", img[4]);
	if (img[5] != ELFDATA2LSB)
		return fail(err, errlen, "ELF: not little-endian");
	is64 = img[4] == ELFCLASS64;
	if (is64 && len < 64)
		return fail(err, errlen, "ELF: truncated header");
	if (rd16(img + 16) != ET_EXEC)
		return fail(err, errlen, "ELF: not an executable (e_type %u)", rd16(img + 16));
	machine = rd16(img + 18);
	if (machine != EM_386 && machine != EM_X86_64)
		return fail(err, errlen, "ELF: not an x86 image (e_machine %u)", machine);
	if (is64) {
		entry = rd64(img + 24);
		phoff = rd64(img + 32);
		phentsize = rd16(img + 54);
		phnum = rd16(img + 56);
		if (phentsize < 56)
			return fail(err, errlen, "ELF: bad program header size %u", phentsize);
	} else {
		entry = rd32(img + 24);
		phoff = rd32(img + 28);
		phentsize = rd16(img + 42);
		phnum = rd16(img + 44);
		if (phentsize < 32)
			return fail(err, errlen, "ELF: bad program header size %u", phentsize);
	}
	if (phnum == 0)
		return fail(err, errlen, "ELF: no program headers");
	if (phoff > len || (uint64_t)phentsize * phnum > len - phoff)
		return fail(err, errlen, "ELF: program headers past end of file");

	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		uint64_t off, paddr, filesz, memsz;

		if (rd32(ph) != PT_LOAD)
			continue;
		if (is64) {
			off = rd64(ph + 8);
			paddr = rd64(ph + 24);
			filesz = rd64(ph + 32);
			memsz = rd64(ph + 40);
		} else {
			off = rd32(ph + 4);
			paddr = rd32(ph + 12);
			filesz = rd32(ph + 16);
			memsz = rd32(ph + 20);
		}
		if (filesz > memsz)
			return fail(err, errlen, "ELF: segment %u: p_filesz > p_memsz", i);
		if (off > len || filesz > len - off)
			return fail(err, errlen, "ELF: segment %u: file data past end of file", i);
		if (memsz == 0)
			continue;
		if (check_segment(paddr, memsz, low, "ELF segment", i, err, errlen))
			return -EINVAL;
		memcpy(mem + paddr, img + off, filesz);
		memset(mem + paddr + filesz, 0, memsz - filesz);
		if (paddr < lo)
			lo = paddr;
		if (paddr + memsz > hi)
			hi = paddr + memsz;
		nload++;
	}
	if (!nload)
		return fail(err, errlen, "ELF: no loadable segment");
	if (entry >= low)
		return fail(err, errlen, "ELF: entry point 0x%llx outside RAM",
			    (unsigned long long)entry);
	out->entry = (uint32_t)entry;
	out->kernel_start = (uint32_t)lo;
	out->kernel_end = (uint32_t)hi;
	return 0;
}

/* Copy a NUL-terminated string into the string area; 0 on overflow. */
static uint32_t put_string(uint8_t *mem, uint32_t *cursor, const char *s)
{
	size_t n = strlen(s) + 1;
	uint32_t at = *cursor;

	if (n > MB_STRINGS_END - at)
		return 0;
	memcpy(mem + at, s, n);
	*cursor = at + (uint32_t)n;
	return at;
}

int mb_load(uint8_t *mem, uint64_t ram_size, const uint8_t *img, size_t len,
	    const char *cmdline, const struct mb_module_in *mods, unsigned nmods,
	    struct mb_boot *out, char *err, size_t errlen)
{
	struct mb_header h = { 0 };
	struct mb_info info;
	struct vm_mem_region map[8];
	uint64_t low = vm_lowmem_size(ram_size), next;
	uint32_t strings = MB_STRINGS_ADDR;
	unsigned nmap, i;
	int r;

	if (!mem || !img || !out || (nmods && !mods))
		return fail(err, errlen, "internal: bad arguments");
	if (low < 2 * MB_LOAD_MIN)
		return fail(err, errlen, "RAM too small for a multiboot image");
	if (nmods > (MB_STRINGS_ADDR - MB_MODS_ADDR) / sizeof(struct mb_module))
		return fail(err, errlen, "too many modules");
	memset(out, 0, sizeof(*out));
	r = find_header(img, len, &h, err, errlen);
	if (r)
		return r;
	if (h.flags & 0xffffu & ~MB_FLAGS_KNOWN_REQ)
		return fail(err, errlen,
			    "multiboot header requires unsupported features (flags 0x%08x)", h.flags);
	if (h.flags & MB_FLAG_AOUT_KLUDGE)
		r = load_kludge(mem, low, img, len, &h, out, err, errlen);
	else
		r = load_elf(mem, low, img, len, out, err, errlen);
	if (r)
		return r;
	if (out->entry < out->kernel_start || out->entry >= out->kernel_end)
		return fail(err, errlen, "entry point 0x%x outside the loaded image [0x%x, 0x%x)",
			    out->entry, out->kernel_start, out->kernel_end);

	memset(&info, 0, sizeof(info));
	/* mem_lower/mem_upper in KiB (section 3.3); upper = to the first hole */
	info.flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MEM_MAP | MB_INFO_LOADER_NAME;
	info.mem_lower = VM_EBDA_BASE / 1024;
	info.mem_upper = (uint32_t)((low - 0x100000) / 1024);
	info.cmdline = put_string(mem, &strings, cmdline ? cmdline : "");
	info.boot_loader_name = put_string(mem, &strings, "splitvm");

	nmap = vm_memory_map(ram_size, map);
	for (i = 0; i < nmap; i++) {
		struct mb_mmap_entry e = { 20, map[i].base, map[i].len, map[i].type };

		memcpy(mem + MB_MMAP_ADDR + i * sizeof(e), &e, sizeof(e));
	}
	info.mmap_addr = MB_MMAP_ADDR;
	info.mmap_length = nmap * (uint32_t)sizeof(struct mb_mmap_entry);

	/* Modules: page aligned after the image (section 3.1.2 bit 0), and
	 * from 1 MiB up when the image lies in conventional memory. */
	next = ((uint64_t)out->kernel_end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	if (next < MB_LOAD_MIN)
		next = MB_LOAD_MIN;
	for (i = 0; i < nmods; i++) {
		struct mb_module m = { 0 };

		if (!mods[i].data && mods[i].len)
			return fail(err, errlen, "internal: module %u has no data", i);
		if (!range_in(next, mods[i].len, MB_LOAD_MIN, low))
			return fail(err, errlen, "module %u (%zu bytes) does not fit in RAM",
				    i, mods[i].len);
		if (mods[i].len)
			memcpy(mem + next, mods[i].data, mods[i].len);
		m.mod_start = (uint32_t)next;
		m.mod_end = (uint32_t)(next + mods[i].len);
		m.string = put_string(mem, &strings, mods[i].cmdline ? mods[i].cmdline : "");
		if (!m.string)
			return fail(err, errlen, "module command lines too long");
		memcpy(mem + MB_MODS_ADDR + i * sizeof(m), &m, sizeof(m));
		next = (next + mods[i].len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	}
	if (!info.cmdline || !info.boot_loader_name)
		return fail(err, errlen, "command line too long (max %u bytes)",
			    MB_STRINGS_END - MB_STRINGS_ADDR - 16);
	info.flags |= MB_INFO_MODS;
	info.mods_count = nmods;
	info.mods_addr = MB_MODS_ADDR;
	memcpy(mem + MB_INFO_ADDR, &info, sizeof(info));
	out->info_addr = MB_INFO_ADDR;
	return 0;
}
