/* SPDX-License-Identifier: MIT */
/* mkimage OUT KIND: write a test image for tests/vmm/run.sh. */
#include "images.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const uint8_t code[] = { 0xb0, 0x00, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd }; /* out 0xf4; hlt */
	uint8_t buf[4096];
	size_t len;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: mkimage OUT good|notelf|badsum|outside|badphdr|low|lowover|"
			"bzimage|bzold|bztrunc\n");
		return 2;
	}
	len = img_elf32(buf, 0x100000, code, sizeof(code), 64, 0);
	if (!strcmp(argv[2], "good")) {
	} else if (!strcmp(argv[2], "notelf")) {
		memcpy(buf, "#!/bin/sh\necho not an image\n", 28);
		memset(buf + IMG_MB_OFF, 0, 12);
	} else if (!strcmp(argv[2], "badsum")) {
		buf[IMG_MB_OFF + 8] ^= 1;
	} else if (!strcmp(argv[2], "outside")) {
		img_w32(buf + IMG_PHDR_OFF + 12, 0xB0000000u);   /* p_paddr beyond RAM */
	} else if (!strcmp(argv[2], "low")) {         /* 0x8000+0x286c, as QEMU loads */
		len = img_elf32(buf, 0x8000, code, sizeof(code), 0x286c - IMG_CODE_OFF - sizeof(code), 0);
	} else if (!strcmp(argv[2], "lowover")) {     /* over splitvm's boot area */
		len = img_elf32(buf, 0x7000, code, sizeof(code), 0, 0);
	} else if (!strcmp(argv[2], "bzimage")) {     /* Linux, protocol 2.15 */
		len = img_bzimage(buf, 4, 1024, 0x020f);
	} else if (!strcmp(argv[2], "bzold")) {
		len = img_bzimage(buf, 4, 1024, 0x0205);
	} else if (!strcmp(argv[2], "bztrunc")) {
		len = img_bzimage(buf, 4, 1024, 0x020f) - 512;
	} else if (!strcmp(argv[2], "badphdr")) {
		img_w32(buf + 28, 0x7ffffff0u);                  /* e_phoff past EOF */
	} else {
		fprintf(stderr, "mkimage: unknown kind %s\n", argv[2]);
		return 2;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
