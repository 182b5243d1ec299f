/* SPDX-License-Identifier: MIT */
/*
 * Linux/x86 boot protocol loader (Documentation/arch/x86/boot.rst, the
 * zero page in Documentation/arch/x86/zero-page.rst) as a pure function
 * over a buffer that stands for guest physical memory, like the Multiboot
 * loader (vmm/multiboot.h).  splitvm uses the 32-bit boot protocol: the
 * protected-mode kernel of a bzImage at 0x100000, entered in flat 32-bit
 * protected mode with ESI = the zero page; the real-mode setup code is not
 * run, so splitvm fills what it would have (the e820 map, ...).
 */
#ifndef SPLITVM_LINUX_H
#define SPLITVM_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* boot.rst "The real-mode kernel header" */
#define LX_HDR_OFF            0x1f1u        /* setup header in image and zero page */
#define LX_HDR_MAGIC_OFF      0x202u        /* "HdrS" */
#define LX_HDR_MAGIC          0x53726448u   /* "HdrS" little-endian */
#define LX_BOOT_FLAG          0xAA55u
#define LX_MIN_VERSION        0x0206u       /* cmdline_size */
#define LX_VERSION_RSDP       0x020eu       /* 2.14: acpi_rsdp_addr honoured */
#define LX_LOADED_HIGH        (1u << 0)     /* loadflags: kernel at 0x100000 */
#define LX_KEEP_SEGMENTS      (1u << 6)
#define LX_CAN_USE_HEAP       (1u << 7)
#define LX_TYPE_OF_LOADER     0xffu         /* "undefined" boot loader id */
#define LX_KERNEL_ADDR        0x100000u     /* protected-mode kernel, 32-bit entry */
#define LX_HEAP_END_PTR       0xfe00u       /* see vmm/linux.c */
#define LX_E820_MAX           128u

/* boot.rst "32-bit BOOT PROTOCOL": the selectors the kernel expects */
#define LX_BOOT_CS            0x10u
#define LX_BOOT_DS            0x18u

/* Guest physical layout, inside splitvm's boot area (vmm/multiboot.h). */
#define LX_ZERO_PAGE_ADDR     0x2000u
#define LX_CMDLINE_ADDR       0x3000u
#define LX_CMDLINE_END        0x7000u

/* The setup header (boot.rst), at 0x1f1 of the image and of the zero page. */
struct lx_setup_header {
	uint8_t  setup_sects;          /* 0x1f1 */
	uint16_t root_flags;           /* 0x1f2 */
	uint32_t syssize;              /* 0x1f4: protected-mode size / 16 */
	uint16_t ram_size;             /* 0x1f8 */
	uint16_t vid_mode;             /* 0x1fa */
	uint16_t root_dev;             /* 0x1fc */
	uint16_t boot_flag;            /* 0x1fe: 0xAA55 */
	uint16_t jump;                 /* 0x200 */
	uint32_t header;               /* 0x202: "HdrS" */
	uint16_t version;              /* 0x206 */
	uint32_t realmode_swtch;       /* 0x208 */
	uint16_t start_sys_seg;        /* 0x20c */
	uint16_t kernel_version;       /* 0x20e */
	uint8_t  type_of_loader;       /* 0x210 */
	uint8_t  loadflags;            /* 0x211 */
	uint16_t setup_move_size;      /* 0x212 */
	uint32_t code32_start;         /* 0x214 */
	uint32_t ramdisk_image;        /* 0x218 */
	uint32_t ramdisk_size;         /* 0x21c */
	uint32_t bootsect_kludge;      /* 0x220 */
	uint16_t heap_end_ptr;         /* 0x224 */
	uint8_t  ext_loader_ver;       /* 0x226 */
	uint8_t  ext_loader_type;      /* 0x227 */
	uint32_t cmd_line_ptr;         /* 0x228 */
	uint32_t initrd_addr_max;      /* 0x22c */
	uint32_t kernel_alignment;     /* 0x230 */
	uint8_t  relocatable_kernel;   /* 0x234 */
	uint8_t  min_alignment;        /* 0x235 */
	uint16_t xloadflags;           /* 0x236 */
	uint32_t cmdline_size;         /* 0x238 */
	uint32_t hardware_subarch;     /* 0x23c */
	uint64_t hardware_subarch_data; /* 0x240 */
	uint32_t payload_offset;       /* 0x248 */
	uint32_t payload_length;       /* 0x24c */
	uint64_t setup_data;           /* 0x250 */
	uint64_t pref_address;         /* 0x258 */
	uint32_t init_size;            /* 0x260 */
	uint32_t handover_offset;      /* 0x264 */
	uint32_t kernel_info_offset;   /* 0x268 */
} __attribute__((packed));

struct lx_e820_entry {                 /* zero-page.rst e820_table entry */
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* struct boot_params, the "zero page" (zero-page.rst): 4096 bytes. */
struct lx_boot_params {
	uint8_t  screen_info[0x40];    /* 0x000 */
	uint8_t  apm_bios_info[0x14];  /* 0x040 */
	uint8_t  pad1[4];
	uint64_t tboot_addr;           /* 0x058 */
	uint8_t  ist_info[0x10];       /* 0x060 */
	uint64_t acpi_rsdp_addr;       /* 0x070 */
	uint8_t  pad2[8];
	uint8_t  hd0_info[0x10];       /* 0x080 */
	uint8_t  hd1_info[0x10];       /* 0x090 */
	uint8_t  sys_desc_table[0x10]; /* 0x0a0 */
	uint8_t  olpc_ofw_header[0x10]; /* 0x0b0 */
	uint32_t ext_ramdisk_image;    /* 0x0c0 */
	uint32_t ext_ramdisk_size;     /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;     /* 0x0c8 */
	uint8_t  pad3[0x70];
	uint32_t cc_blob_address;      /* 0x13c */
	uint8_t  edid_info[0x80];      /* 0x140 */
	uint8_t  efi_info[0x20];       /* 0x1c0 */
	uint32_t alt_mem_k;            /* 0x1e0 */
	uint32_t scratch;              /* 0x1e4 */
	uint8_t  e820_entries;         /* 0x1e8 */
	uint8_t  eddbuf_entries;       /* 0x1e9 */
	uint8_t  edd_mbr_sig_buf_entries; /* 0x1ea */
	uint8_t  kbd_status;           /* 0x1eb */
	uint8_t  secure_boot;          /* 0x1ec */
	uint8_t  pad4[2];
	uint8_t  sentinel;             /* 0x1ef */
	uint8_t  pad5;
	struct lx_setup_header hdr;    /* 0x1f1 */
	uint8_t  pad6[0x290 - 0x1f1 - sizeof(struct lx_setup_header)];
	uint32_t edd_mbr_sig_buffer[16]; /* 0x290 */
	struct lx_e820_entry e820_table[LX_E820_MAX]; /* 0x2d0 */
	uint8_t  pad8[0x30];
	uint8_t  eddbuf[0x1ec];        /* 0xd00 */
	uint8_t  pad9[0x114];
} __attribute__((packed));

_Static_assert(sizeof(struct lx_setup_header) == 0x26c - 0x1f1, "setup header ends at 0x26c");
_Static_assert(__builtin_offsetof(struct lx_boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(__builtin_offsetof(struct lx_boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(__builtin_offsetof(struct lx_boot_params, cc_blob_address) == 0x13c, "cc_blob_address");
_Static_assert(__builtin_offsetof(struct lx_boot_params, alt_mem_k) == 0x1e0, "alt_mem_k");
_Static_assert(__builtin_offsetof(struct lx_boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(__builtin_offsetof(struct lx_boot_params, sentinel) == 0x1ef, "sentinel");
_Static_assert(__builtin_offsetof(struct lx_boot_params, hdr) == LX_HDR_OFF, "hdr");
_Static_assert(__builtin_offsetof(struct lx_boot_params, hdr.header) == LX_HDR_MAGIC_OFF, "HdrS");
_Static_assert(__builtin_offsetof(struct lx_boot_params, hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(__builtin_offsetof(struct lx_boot_params, hdr.init_size) == 0x260, "init_size");
_Static_assert(__builtin_offsetof(struct lx_boot_params, edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig_buffer");
_Static_assert(__builtin_offsetof(struct lx_boot_params, e820_table) == 0x2d0, "e820_table");
_Static_assert(__builtin_offsetof(struct lx_boot_params, eddbuf) == 0xd00, "eddbuf");
_Static_assert(sizeof(struct lx_e820_entry) == 20, "e820 entry");
_Static_assert(sizeof(struct lx_boot_params) == 4096, "the zero page is one page");

struct lx_boot {
	uint32_t entry;            /* EIP: the 32-bit entry, code32_start */
	uint32_t zero_page;        /* ESI */
	uint16_t version;          /* boot protocol of the image */
	uint32_t kernel_end;       /* end of the region the kernel may use */
	uint32_t initrd_addr, initrd_size;
	uint32_t cmdline_addr;
};

/* Whether @img has a Linux setup header ("HdrS" at 0x202). */
bool lx_is_bzimage(const uint8_t *img, size_t len);

/*
 * Load the bzImage @img into @mem (guest physical 0..vm_lowmem_size(ram_size)),
 * @initrd (may be NULL) high in RAM, the command line, and fill the zero page.
 * Returns 0, or -EINVAL with a one-line reason in @err.
 */
int lx_load(uint8_t *mem, uint64_t ram_size, const uint8_t *img, size_t len,
	    const uint8_t *initrd, size_t initrd_len, const char *cmdline,
	    struct lx_boot *out, char *err, size_t errlen);

/* Record the ACPI RSDP address (known once the tables are built) in the
 * zero page, for protocol 2.14 and newer kernels. */
void lx_set_rsdp(uint8_t *mem, const struct lx_boot *b, uint64_t rsdp);

#endif
