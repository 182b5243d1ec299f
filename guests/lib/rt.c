/* SPDX-License-Identifier: MIT */
/* Guest runtime: libc-lite, console, printf-lite, result reporting, boot. */
#include "runtime.h"

/* ---- libc-lite ---- */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

const char *strstr(const char *h, const char *n)
{
	size_t l = strlen(n);
	for (; *h; h++)
		if (!strncmp(h, n, l))
			return h;
	return l ? NULL : h;
}

/* 64-bit division helpers normally supplied by libgcc (absent without multilib). */
static uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;
	if (d == 0) {
		*rem = 0;
		return ~0ull;
	}
	if ((d >> 32) == 0 && (n >> 32) == 0) {
		*rem = (uint32_t)n % (uint32_t)d;
		return (uint32_t)n / (uint32_t)d;
	}
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	*rem = r;
	return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
	uint64_t r;
	return udivmod64(n, d, &r);
}

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
	uint64_t r, q = udivmod64(n, d, &r);
	if (rem)
		*rem = r;
	return q;
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
	uint64_t r;
	udivmod64(n, d, &r);
	return r;
}

/* ---- console: 16550 UART at 0x3f8 ---- */
#define COM1 0x3F8
#define UART_LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + 1, 0x00);   /* IER: no interrupts */
	outb(COM1 + 3, 0x80);   /* LCR: DLAB */
	outb(COM1 + 0, 0x01);   /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);   /* 8N1 */
	outb(COM1 + 2, 0x07);   /* FCR: enable and clear FIFOs */
	outb(COM1 + 4, 0x03);   /* MCR: DTR, RTS; OUT2 off (no IRQ4) */
}

void putc_raw(char c)
{
	/* Bounded wait on THRE so a broken UART cannot hang the guest. */
	for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & UART_LSR_THRE); i++)
		pause();
	outb(COM1, (uint8_t)c);
}

struct outbuf {
	char *buf;
	size_t size, len;
};

static void ob_put(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void ob_num(struct outbuf *o, uint64_t v, unsigned base, int width, char pad, bool neg)
{
	char tmp[24];
	int n = 0;
	do {
		unsigned d = (unsigned)(v % base);
		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		ob_put(o, pad);
	while (n)
		ob_put(o, tmp[--n]);
}

/* %[0][width][l|ll](d|u|x|c|s|%) */
int vsnprintf_lite(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { buf, size, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			ob_put(&o, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			int64_t v = lng >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int);
			bool neg = v < 0;
			ob_num(&o, neg ? (uint64_t)-v : (uint64_t)v, 10, width, pad, neg);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = lng >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			ob_num(&o, v, *fmt == 'u' ? 10 : 16, width, pad, false);
			break;
		}
		case 'c':
			ob_put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int l = (int)strlen(s);
			while (width-- > l)
				ob_put(&o, ' ');
			while (*s)
				ob_put(&o, *s++);
			break;
		}
		case '%':
			ob_put(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			ob_put(&o, '?');
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf_lite(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf_lite(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static volatile uint32_t print_lock;

static void lock_print(void)
{
	/* bounded: a CPU that died holding the lock must not hang the others */
	for (unsigned i = 0; i < 2000000; i++) {
		uint32_t v = 1;
		__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(print_lock) : : "memory");
		if (!v)
			return;
		pause();
	}
}

static void unlock_print(void)
{
	barrier();
	print_lock = 0;
}

static void vprint(const char *fmt, va_list ap)
{
	char buf[256];
	vsnprintf_lite(buf, sizeof(buf), fmt, ap);
	lock_print();
	for (char *p = buf; *p; p++) {
		if (*p == '\n')
			putc_raw('\r');
		putc_raw(*p);
	}
	unlock_print();
}

void printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

/* ---- result reporting ---- */
static unsigned n_failed;
static char failed_names[200];

unsigned checks_failed(void)
{
	return n_failed;
}

bool check(bool ok, const char *name, const char *fmt, ...)
{
	char det[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf_lite(det, sizeof(det), fmt, ap);
	va_end(ap);
	printf("check %s.%s: %s%s%s\n", guest_name, name, ok ? "ok" : "FAIL",
	       det[0] ? " " : "", det);
	if (!ok) {
		size_t l = strlen(failed_names);
		snprintf_lite(failed_names + l, sizeof(failed_names) - l, "%s%s", l ? " " : "", name);
		n_failed++;
	}
	return ok;
}

void skip(const char *name, const char *fmt, ...)
{
	char det[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf_lite(det, sizeof(det), fmt, ap);
	va_end(ap);
	printf("check %s.%s: SKIP %s\n", guest_name, name, det);
}

void value(const char *key, const char *fmt, ...)
{
	char det[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf_lite(det, sizeof(det), fmt, ap);
	va_end(ap);
	printf("value %s.%s = %s\n", guest_name, key, det);
}

/* isa-debug-exit: QEMU exits with status (value << 1) | 1. */
void exit_guest(int code)
{
	cli();
	outb(0xF4, (uint8_t)code); /* byte write: QEMU iosize=4 and splitvm both take it */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void fail_fatal(const char *fmt, ...)
{
	char det[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf_lite(det, sizeof(det), fmt, ap);
	va_end(ap);
	printf("FAIL %s: %s\n", guest_name, det);
	exit_guest(1);
}

/* ---- boot ---- */
uint32_t mb_magic;
struct mb_info mb_copy;
char mb_cmdline[256];

/* the word of the command line that starts with key (followed by '='), or NULL */
static const char *arg_find(const char *key)
{
	size_t n = strlen(key);
	for (const char *p = mb_cmdline; *p; p++)
		if ((p == mb_cmdline || p[-1] == ' ') && strncmp(p, key, n) == 0 && p[n] == '=')
			return p + n + 1;
	return NULL;
}

uint32_t arg_uint(const char *key, uint32_t def)
{
	const char *v = arg_find(key);
	uint32_t x = 0;
	if (!v || *v < '0' || *v > '9')
		return def;
	for (; *v >= '0' && *v <= '9'; v++) {
		if (x > 429496728u)
			return def;
		x = x * 10 + (uint32_t)(*v - '0');
	}
	return (*v == 0 || *v == ' ') ? x : def;
}

const char *arg_str(const char *key, char *buf, size_t size, const char *def)
{
	const char *v = arg_find(key);
	size_t i = 0;
	if (!v || size == 0)
		return def;
	while (v[i] && v[i] != ' ' && i + 1 < size) {
		buf[i] = v[i];
		i++;
	}
	buf[i] = 0;
	return buf;
}

void boot_main(uint32_t magic, const struct mb_info *mbi);

void boot_main(uint32_t magic, const struct mb_info *mbi)
{
	serial_init();
	mb_magic = magic;
	if (magic == MB_MAGIC_EAX && mbi) {
		mb_copy = *mbi;
		if (mbi->flags & (1u << 2) && mbi->cmdline) {
			const char *s = (const char *)(uintptr_t)mbi->cmdline;
			size_t i;
			for (i = 0; i + 1 < sizeof(mb_cmdline) && s[i]; i++)
				mb_cmdline[i] = s[i];
			mb_cmdline[i] = 0;
		}
	}
	/* Firmware may leave the 8259A programmed and unmasked (SeaBIOS: vector
	 * base 8, IRQ0 on, LVT0 in ExtINT mode): its IRQ0 would arrive as
	 * vector 8 and look like #DF.  OCW1 masks every input; guests that use
	 * the PIC initialise it themselves (pic_init). */
	pic_set_mask(0xFFFF);
	idt_init();
	idt_load();
	lapic_enable();
	time_init();
	printf("guest %s: start (timebase %s, tsc %u kHz)\n", guest_name, timebase, tsc_khz);
	guest_main();
	cli();
	if (n_failed == 0) {
		printf("PASS %s\n", guest_name);
		exit_guest(0);
	}
	printf("FAIL %s: %u check(s) failed: %s\n", guest_name, n_failed, failed_names);
	exit_guest(1);
}
