/* SPDX-License-Identifier: MIT */
/*
 * Tiny Multiboot v1 images built in memory for the splitvm loader tests.
 * Layout of img_elf32(): ELF header (52) | one PT_LOAD program header (32) |
 * multiboot header (12, or 32 with the a.out kludge) | code.  The segment
 * covers the whole file at @paddr, plus @bss zero bytes.
 */
#ifndef SPLITVM_TEST_IMAGES_H
#define SPLITVM_TEST_IMAGES_H

#include <stdint.h>
#include <string.h>

#define IMG_EHDR      52u
#define IMG_PHDR_OFF  52u
#define IMG_MB_OFF    84u
#define IMG_CODE_OFF  96u

static inline void img_w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void img_w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static inline void img_mb_header(uint8_t *p, uint32_t flags)
{
	img_w32(p, 0x1BADB002u);
	img_w32(p + 4, flags);
	img_w32(p + 8, (uint32_t)(0u - 0x1BADB002u - flags));
}

/* Returns the image length; @buf needs IMG_CODE_OFF + codelen bytes. */
static inline size_t img_elf32(uint8_t *buf, uint32_t paddr, const uint8_t *code,
			       size_t codelen, uint32_t bss, uint32_t mb_flags)
{
	size_t len = IMG_CODE_OFF + codelen;

	memset(buf, 0, IMG_CODE_OFF);
	memcpy(buf, "\177ELF", 4);
	buf[4] = 1;                          /* ELFCLASS32 */
	buf[5] = 1;                          /* ELFDATA2LSB */
	buf[6] = 1;                          /* EV_CURRENT */
	img_w16(buf + 16, 2);                /* ET_EXEC */
	img_w16(buf + 18, 3);                /* EM_386 */
	img_w32(buf + 20, 1);
	img_w32(buf + 24, paddr + IMG_CODE_OFF);   /* e_entry */
	img_w32(buf + 28, IMG_PHDR_OFF);     /* e_phoff */
	img_w16(buf + 40, IMG_EHDR);         /* e_ehsize */
	img_w16(buf + 42, 32);               /* e_phentsize */
	img_w16(buf + 44, 1);                /* e_phnum */
	img_w32(buf + IMG_PHDR_OFF, 1);      /* PT_LOAD */
	img_w32(buf + IMG_PHDR_OFF + 4, 0);  /* p_offset */
	img_w32(buf + IMG_PHDR_OFF + 8, paddr);
	img_w32(buf + IMG_PHDR_OFF + 12, paddr);
	img_w32(buf + IMG_PHDR_OFF + 16, (uint32_t)len);
	img_w32(buf + IMG_PHDR_OFF + 20, (uint32_t)len + bss);
	img_w32(buf + IMG_PHDR_OFF + 24, 7);
	img_mb_header(buf + IMG_MB_OFF, mb_flags);
	if (codelen)
		memcpy(buf + IMG_CODE_OFF, code, codelen);
	return len;
}

/* A flat (non-ELF) image using the a.out kludge (Multiboot 3.1.3). */
static inline size_t img_kludge(uint8_t *buf, uint32_t load_addr, const uint8_t *code,
				size_t codelen, uint32_t bss)
{
	uint32_t flags = 1u << 16;
	size_t hdr = 0, len = 32 + codelen;

	img_mb_header(buf + hdr, flags);
	img_w32(buf + 12, load_addr);                  /* header_addr */
	img_w32(buf + 16, load_addr);                  /* load_addr */
	img_w32(buf + 20, 0);                          /* load_end_addr: whole file */
	img_w32(buf + 24, bss ? load_addr + (uint32_t)len + bss : 0);
	img_w32(buf + 28, load_addr + 32);             /* entry_addr */
	memcpy(buf + 32, code, codelen);
	return len;
}

/*
 * A minimal Linux bzImage (Documentation/arch/x86/boot.rst): @setup_sects
 * setup sectors after the boot sector, the setup header at 0x1f1, then a
 * protected-mode kernel of @pmlen bytes (byte i = i & 0xff) at offset
 * (setup_sects + 1) * 512.  Protocol @version, cmdline_size 255,
 * initrd_addr_max 0x37ffffff, relocatable with pref_address 16 MiB and
 * init_size 1 MiB.  Returns the length; @buf needs it.
 */
#define IMG_BZ_PM_OFF(setup_sects) (((setup_sects) + 1u) * 512u)
static inline size_t img_bzimage(uint8_t *buf, unsigned setup_sects, size_t pmlen,
				 uint16_t version)
{
	size_t off = IMG_BZ_PM_OFF(setup_sects), i;

	memset(buf, 0, off);
	buf[0x1f1] = (uint8_t)setup_sects;
	img_w32(buf + 0x1f4, (uint32_t)((pmlen + 15) / 16));   /* syssize */
	img_w16(buf + 0x1fe, 0xAA55);                           /* boot_flag */
	buf[0x200] = 0xeb;                                      /* jmp short */
	buf[0x201] = 0x26c - 0x202;                             /* header end */
	memcpy(buf + 0x202, "HdrS", 4);
	img_w16(buf + 0x206, version);
	buf[0x211] = 0x01;                                      /* LOADED_HIGH */
	img_w32(buf + 0x214, 0x100000);                         /* code32_start */
	img_w32(buf + 0x22c, 0x37ffffff);                       /* initrd_addr_max */
	img_w32(buf + 0x230, 0x200000);                         /* kernel_alignment */
	buf[0x234] = 1;                                         /* relocatable */
	img_w32(buf + 0x238, 255);                              /* cmdline_size */
	img_w32(buf + 0x258, 0x1000000);                        /* pref_address */
	img_w32(buf + 0x260, 0x100000);                         /* init_size */
	for (i = 0; i < pmlen; i++)
		buf[off + i] = (uint8_t)i;
	return off + pmlen;
}

#endif
