/* SPDX-License-Identifier: MIT */
/*
 * fakekvm.so: an LD_PRELOAD stand-in for /dev/kvm, so splitvm's KVM glue
 * (vmm/vm.c: setup ioctls, vCPU threads, kicks, per-thread timers, exit
 * handling, shutdown) runs on hosts without KVM.  It answers the ioctls
 * splitvm issues and plays a scripted "guest" on vCPU 0 as a sequence of
 * exits; the other vCPUs block in KVM_RUN like APs waiting for SIPI.
 *
 *   FAKEKVM_DEV      path that opens the fake device (splitvm --kvm-device)
 *   FAKEKVM_LOG      file receiving one line per event (appended)
 *   FAKEKVM_SCRIPT   vCPU 0's exits, space separated:
 *       oN:PORT:VAL   OUT of N (1, 2, 4) bytes        iN:PORT:EXP  IN, check value
 *       roN:PORT:CNT  rep outs of CNT elements ('A', 'B', ...)  riN:PORT:CNT rep ins
 *       mwN:ADDR:VAL  MMIO write                      mrN:ADDR:EXP MMIO read, check
 *       wait:MS       stay in KVM_RUN MS ms (signals return EINTR meanwhile)
 *       eoi:VEC       KVM_EXIT_IOAPIC_EOI             win          KVM_EXIT_IRQ_WINDOW_OPEN
 *       shutdown | internal | hlt | failentry | unknown
 *       sys:NAME      make the system call NAME (execve, socket, openat,
 *                     getrandom: 16 bytes) on
 *                     vCPU 0's thread inside KVM_RUN, as a compromised
 *                     device model would; logs "sys NAME returned R" if it
 *                     comes back (splitvm's sandbox should kill the VMM first)
 *   FAKEKVM_MISSING  capability number to report as absent
 *   FAKEKVM_LVT0     LVT0 value KVM_GET_LAPIC reports (default 0x700, ExtINT)
 * Values are hex.  A check that fails logs "FAIL ...".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 4096
#define RUN_SIZE 12288
#define PIO_OFF 4096

enum kind { K_NONE, K_KVM, K_VM, K_VCPU };
static enum kind kinds[MAXFD];
static int vcpu_of[MAXFD];
static struct kvm_run *runs[1024];
static bool coalesced_rtc;       /* KVM_REGISTER_COALESCED_MMIO(pio 0x70, 1) */

/* api.rst, KVM_CAP_COALESCED_MMIO: the ring page's offset in the vCPU
 * mapping (x86: KVM_COALESCED_MMIO_PAGE_OFFSET, after the PIO data page) */
#define FAKE_RING_PAGE 2
#define FAKE_RING_MAX ((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / \
		       sizeof(struct kvm_coalesced_mmio))
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* The log stays open from the first event on (the fake device's open,
 * during setup): splitvm's seccomp sandbox forbids opening files later. */
static int log_fd = -1;

static void log_open(void)
{
	const char *path = getenv("FAKEKVM_LOG");

	if (log_fd < 0 && path)
		log_fd = (int)syscall(SYS_openat, AT_FDCWD, path,
				      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	pthread_mutex_lock(&log_lock);
	log_open();
	if (log_fd >= 0) {
		va_start(ap, fmt);
		n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
		va_end(ap);
		if (n < 0)
			n = 0;
		if ((size_t)n > sizeof(buf) - 2)
			n = (int)sizeof(buf) - 2;
		buf[n++] = '\n';
		if (write(log_fd, buf, (size_t)n) < 0) {
			/* a test log that cannot be written shows up as missing lines */
		}
	}
	pthread_mutex_unlock(&log_lock);
}

static int real_open(const char *p, int flags, mode_t mode)
{
	static int (*fn)(const char *, int, ...);

	if (!fn)
		fn = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	return fn(p, flags, mode);
}

static int new_fd(enum kind k, int vcpu)
{
	int fd = real_open("/dev/null", O_RDWR | O_CLOEXEC, 0);

	if (fd >= 0 && fd < MAXFD) {
		kinds[fd] = k;
		vcpu_of[fd] = vcpu;
	}
	return fd;
}

static int fake_open(const char *p, int flags, mode_t mode)
{
	const char *dev = getenv("FAKEKVM_DEV");

	if (dev && !strcmp(p, dev)) {
		pthread_mutex_lock(&log_lock);
		log_open();
		pthread_mutex_unlock(&log_lock);
		return new_fd(K_KVM, -1);
	}
	return real_open(p, flags, mode);
}

int open(const char *p, int flags, ...)
{
	va_list ap;
	mode_t mode = 0;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	return fake_open(p, flags, mode);
}

int open64(const char *p, int flags, ...)
{
	va_list ap;
	mode_t mode = 0;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	return fake_open(p, flags, mode);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*fn)(void *, size_t, int, int, int, off_t);

	if (!fn)
		fn = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	if (fd >= 0 && fd < MAXFD && kinds[fd] == K_VCPU) {
		void *p = fn(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED && vcpu_of[fd] < 1024)
			runs[vcpu_of[fd]] = p;
		return p;
	}
	return fn(addr, len, prot, flags, fd, off);
}

static bool missing(unsigned long cap)
{
	const char *m = getenv("FAKEKVM_MISSING");

	return m && strtoul(m, NULL, 0) == cap;
}

/* ---- the scripted guest on vCPU 0 ---- */
static char *script[256];
static unsigned nsteps, step;
static uint64_t wait_until;
static bool parsed;
static uint64_t pending_in_expect = UINT64_MAX;
static unsigned pending_in_size;
static bool pending_is_mmio;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void parse_script(void)
{
	const char *s = getenv("FAKEKVM_SCRIPT");
	char *copy, *tok, *save = NULL;

	parsed = true;
	if (!s)
		return;
	copy = strdup(s);
	for (tok = strtok_r(copy, " ", &save); tok && nsteps < 256; tok = strtok_r(NULL, " ", &save))
		script[nsteps++] = tok;
}

static int block_until_signal(struct kvm_run *run, uint64_t until)
{
	for (;;) {
		/* short naps: a signal landing just before nanosleep() is seen late */
		struct timespec ts = { 0, until ? 2000000 : 20000000 };

		if (run->immediate_exit) {
			run->exit_reason = KVM_EXIT_INTR;
			errno = EINTR;
			return -1;
		}
		if (until && now_ms() >= until)
			return 0;
		if (nanosleep(&ts, NULL) && errno == EINTR) {
			run->exit_reason = KVM_EXIT_INTR;
			errno = EINTR;
			return -1;
		}
	}
}

static void check_previous_in(struct kvm_run *run)
{
	uint64_t v = 0;

	if (pending_in_expect == UINT64_MAX || !pending_in_size)
		return;
	if (pending_is_mmio)
		memcpy(&v, run->mmio.data, pending_in_size);
	else
		memcpy(&v, (uint8_t *)run + PIO_OFF, pending_in_size);
	if (v != pending_in_expect)
		logf_("FAIL step %u: read 0x%llx, expected 0x%llx", step - 1,
		      (unsigned long long)v, (unsigned long long)pending_in_expect);
	else
		logf_("read ok 0x%llx", (unsigned long long)v);
	pending_in_expect = UINT64_MAX;
}

/*
 * vCPU 0's EOI-exit bitmap as KVM builds it in split mode
 * (kvm_scan_ioapic_routes, Linux 6.1): the vectors of the MSI routes on
 * GSIs below the reserved pin count with the trigger bit (data bit 15)
 * whose destination is vCPU 0 (physical APIC ID 0, or logical flat with
 * bit 0: vCPU 0's LDR).  Only the current routes count - not what is
 * pending in IRR/ISR.
 */
static uint64_t eoi_exit_bm[4];

static bool eoi_exit_has(uint8_t v)
{
	return (__atomic_load_n(&eoi_exit_bm[v / 64], __ATOMIC_ACQUIRE) >> (v % 64)) & 1;
}

static void eoi_exit_scan(const struct kvm_irq_routing *r, unsigned reserved)
{
	uint64_t bm[4] = { 0 };
	char list[1024];
	size_t n = 0;
	unsigned i;

	for (i = 0; i < r->nr; i++) {
		const struct kvm_irq_routing_entry *e = &r->entries[i];
		uint32_t addr = e->u.msi.address_lo;
		unsigned dest = (addr >> 12) & 0xff;
		bool logical = (addr >> 2) & 1;

		if (e->type != KVM_IRQ_ROUTING_MSI || e->gsi >= reserved || !(e->u.msi.data & 0x8000))
			continue;
		if (logical ? !(dest & 1) : dest != 0)
			continue;
		bm[(e->u.msi.data & 0xff) / 64] |= 1ull << ((e->u.msi.data & 0xff) % 64);
	}
	list[0] = 0;
	for (i = 0; i < 256; i++) {
		if ((bm[i / 64] >> (i % 64)) & 1 && n < sizeof(list) - 8)
			n += (size_t)snprintf(list + n, sizeof(list) - n, " %02x", i);
		__atomic_store_n(&eoi_exit_bm[i / 64], bm[i / 64], __ATOMIC_RELEASE);
	}
	logf_("eoi_exit_bitmap vcpu0:%s", n ? list : " none");
}

static int run_vcpu0(struct kvm_run *run)
{
	char kind[16];
	unsigned long long a = 0, b = 0;
	unsigned size = 0;
	const char *t;

	check_previous_in(run);
	if (run->immediate_exit) {
		run->exit_reason = KVM_EXIT_INTR;
		errno = EINTR;
		return -1;
	}
	run->ready_for_interrupt_injection = 1;
	run->if_flag = 1;
	run->apic_base = 0xfee00900;
	if (step >= nsteps)
		return block_until_signal(run, 0);
	t = script[step];
	memset(kind, 0, sizeof(kind));
	if (!strncmp(t, "sys:", 4)) {
		long r = -1;

		step++;
		logf_("sys %s", t + 4);
		if (!strcmp(t + 4, "execve")) {
			static char *const argv[] = { "/bin/true", NULL };

			r = syscall(SYS_execve, "/bin/true", argv, (char *const *)NULL);
		} else if (!strcmp(t + 4, "socket")) {
			r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		} else if (!strcmp(t + 4, "openat")) {
			r = syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
		} else if (!strcmp(t + 4, "getrandom")) {
			char rnd[16];

			r = syscall(SYS_getrandom, rnd, sizeof(rnd), 0);
		} else {
			logf_("FAIL bad script step '%s'", t);
		}
		logf_("sys %s returned %ld", t + 4, r);
		return run_vcpu0(run);
	}
	if (!strncmp(t, "wait:", 5)) {
		if (!wait_until)
			wait_until = now_ms() + strtoull(t + 5, NULL, 10);
		if (block_until_signal(run, wait_until) < 0)
			return -1;
		wait_until = 0;
		step++;
		return run_vcpu0(run);
	}
	step++;
	if (sscanf(t, "%15[a-z]%u:%llx:%llx", kind, &size, &a, &b) < 1)
		sscanf(t, "%15[a-z]", kind);
	if (!strcmp(kind, "co") && coalesced_rtc && a == 0x70) {
		/* "coalesced out": KVM appends the write to the ring and the guest
		 * runs on, no exit (api.rst, KVM_REGISTER_COALESCED_MMIO) */
		struct kvm_coalesced_mmio_ring *r = (void *)((uint8_t *)runs[0] + FAKE_RING_PAGE * 4096);
		struct kvm_coalesced_mmio *e = &r->coalesced_mmio[r->last % FAKE_RING_MAX];

		memset(e, 0, sizeof(*e));
		e->phys_addr = a;
		e->len = size;
		e->pio = 1;
		memcpy(e->data, &b, sizeof(e->data));
		__atomic_store_n(&r->last, (r->last + 1) % (uint32_t)FAKE_RING_MAX, __ATOMIC_RELEASE);
		logf_("coalesced write 0x%llx", b);
		return run_vcpu0(run);
	}
	if (!strcmp(kind, "co"))
		strcpy(kind, "o");       /* not coalesced: an ordinary OUT exit */
	if (!strcmp(kind, "eoi")) {
		sscanf(t, "eoi:%llx", &a);
		if (!eoi_exit_has((uint8_t)a)) {
			/* KVM: the EOI of a vector outside the vCPU's EOI-exit
			 * bitmap is handled in the kernel, userspace never sees it */
			logf_("eoi 0x%llx: not in vcpu0's EOI-exit bitmap, no exit", a);
			return run_vcpu0(run);
		}
		run->exit_reason = KVM_EXIT_IOAPIC_EOI;
		run->eoi.vector = (uint8_t)a;
	} else if (!strcmp(kind, "o") || !strcmp(kind, "i")) {
		run->exit_reason = KVM_EXIT_IO;
		run->io.direction = kind[0] == 'o' ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
		run->io.size = (uint8_t)size;
		run->io.port = (uint16_t)a;
		run->io.count = 1;
		run->io.data_offset = PIO_OFF;
		memcpy((uint8_t *)run + PIO_OFF, &b, 8);
		if (kind[0] == 'i' && !strstr(t + 2, ":-")) {
			char *c = strrchr(t, ':');

			if (c && c != strchr(t, ':')) {
				pending_in_expect = strtoull(c + 1, NULL, 16);
				pending_in_size = size;
				pending_is_mmio = false;
			}
		}
	} else if (!strcmp(kind, "ro") || !strcmp(kind, "ri")) {
		/* rep outs/ins: COUNT (b) elements of N bytes in the PIO page;
		 * OUT data is 'A', 'B', ... per element */
		unsigned k;

		run->exit_reason = KVM_EXIT_IO;
		run->io.direction = kind[1] == 'o' ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
		run->io.size = (uint8_t)size;
		run->io.port = (uint16_t)a;
		run->io.count = (uint32_t)b;
		run->io.data_offset = PIO_OFF;
		for (k = 0; k < b && PIO_OFF + (k + 1) * size <= RUN_SIZE; k++) {
			memset((uint8_t *)run + PIO_OFF + k * size, 0, size);
			((uint8_t *)run + PIO_OFF)[k * size] = (uint8_t)('A' + k % 26);
		}
	} else if (!strcmp(kind, "mw") || !strcmp(kind, "mr")) {
		run->exit_reason = KVM_EXIT_MMIO;
		run->mmio.phys_addr = a;
		run->mmio.len = size;
		run->mmio.is_write = kind[1] == 'w';
		memcpy(run->mmio.data, &b, 8);
		if (kind[1] == 'r') {
			pending_in_expect = b;
			pending_in_size = size;
			pending_is_mmio = true;
		}
	} else if (!strcmp(kind, "win")) {
		run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
	} else if (!strcmp(kind, "shutdown")) {
		run->exit_reason = KVM_EXIT_SHUTDOWN;
	} else if (!strcmp(kind, "hlt")) {
		run->exit_reason = KVM_EXIT_HLT;
	} else if (!strcmp(kind, "failentry")) {
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = 0x21;
	} else if (!strcmp(kind, "unknown")) {
		run->exit_reason = KVM_EXIT_UNKNOWN;
		run->hw.hardware_exit_reason = 0x77;
	} else if (!strcmp(kind, "internal")) {
		run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
		run->internal.ndata = 2;
		run->internal.data[0] = 0xabc;
		run->internal.data[1] = 0xdef;
	} else {
		logf_("FAIL bad script step '%s'", t);
		run->exit_reason = KVM_EXIT_HLT;
	}
	return 0;
}

static uint32_t pit_flags;
static unsigned split_pins, nvcpus, nmemslots;
static bool have_pit;

static int vm_ioctl(int fd, unsigned long req, void *arg)
{
	switch (req) {
	case KVM_CHECK_EXTENSION:
		return missing((unsigned long)arg) ? 0 : 1;
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap *c = arg;

		logf_("enable_cap %u %llu", c->cap, (unsigned long long)c->args[0]);
		if (c->cap == KVM_CAP_SPLIT_IRQCHIP) {
			if (nvcpus)
				logf_("FAIL KVM_CAP_SPLIT_IRQCHIP after vCPU creation");
			split_pins = (unsigned)c->args[0];
		}
		return 0;
	}
	case KVM_SET_TSS_ADDR:
		logf_("tss 0x%lx", (unsigned long)arg);
		if (nmemslots)
			logf_("FAIL KVM_SET_TSS_ADDR after the memory slots (may overlap)");
		return 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		logf_("identity 0x%llx", (unsigned long long)*(uint64_t *)arg);
		if (nvcpus)   /* api.rst: fails if any vCPU has already been created */
			logf_("FAIL KVM_SET_IDENTITY_MAP_ADDR after vCPU creation");
		return 0;
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region *m = arg;

		logf_("mem slot=%u gpa=0x%llx size=0x%llx", m->slot,
		      (unsigned long long)m->guest_phys_addr, (unsigned long long)m->memory_size);
		nmemslots++;
		/* not over the PCI hole / KVM's private pages below 4 GiB */
		if (m->guest_phys_addr < 0x100000000ull &&
		    m->guest_phys_addr + m->memory_size > 0xc0000000ull)
			logf_("FAIL memory slot %u overlaps [3 GiB, 4 GiB)", m->slot);
		if ((m->memory_size | m->guest_phys_addr | m->userspace_addr) & 0xfff)
			logf_("FAIL memory slot %u not page aligned", m->slot);
		return 0;
	}
	case KVM_SET_GSI_ROUTING: {
		struct kvm_irq_routing *r = arg;
		unsigned i;

		logf_("routing nr=%u", r->nr);
		/* api.rst KVM_SET_GSI_ROUTING: flags 0; split mode takes MSI
		 * routes only, flags 0 (no KVM_MSI_VALID_DEVID), one per GSI */
		if (r->flags)
			logf_("FAIL routing: flags 0x%x", r->flags);
		for (i = 0; i < r->nr; i++) {
			if (r->entries[i].flags)
				logf_("FAIL route gsi=%u: flags 0x%x", r->entries[i].gsi, r->entries[i].flags);
			if (split_pins && (r->entries[i].type != KVM_IRQ_ROUTING_MSI ||
					   r->entries[i].gsi >= split_pins))
				logf_("FAIL route gsi=%u type %u in split mode (%u pins)",
				      r->entries[i].gsi, r->entries[i].type, split_pins);
		}
		if (split_pins)
			eoi_exit_scan(r, split_pins);
		for (i = 0; i < r->nr; i++)
			if (r->entries[i].type == KVM_IRQ_ROUTING_MSI && (r->entries[i].u.msi.data & 0xff))
				logf_("route gsi=%u data=0x%x", r->entries[i].gsi, r->entries[i].u.msi.data);
			else if (r->entries[i].type == KVM_IRQ_ROUTING_IRQCHIP)
				logf_("route gsi=%u irqchip=%u pin=%u", r->entries[i].gsi,
				      r->entries[i].u.irqchip.irqchip, r->entries[i].u.irqchip.pin);
		return 0;
	}
	case KVM_SIGNAL_MSI: {
		struct kvm_msi *m = arg;

		logf_("msi addr=0x%x data=0x%x", m->address_lo, m->data);
		if (m->flags || (m->address_lo & 0xfff00000u) != 0xfee00000u)
			logf_("FAIL KVM_SIGNAL_MSI flags 0x%x address 0x%x", m->flags, m->address_lo);
		return 1;
	}
	case KVM_IRQ_LINE: {
		struct kvm_irq_level *l = arg;

		logf_("irq_line %u %u", l->irq, l->level);
		return 0;
	}
	case KVM_CREATE_IRQCHIP:
		logf_("create_irqchip");
		if (nvcpus || split_pins)
			logf_("FAIL KVM_CREATE_IRQCHIP after vCPUs or with split irqchip");
		return 0;
	case KVM_CREATE_PIT2:
		logf_("create_pit2 flags=%u", ((struct kvm_pit_config *)arg)->flags);
		have_pit = true;
		return 0;
	case KVM_GET_PIT2:
		memset(arg, 0, sizeof(struct kvm_pit_state2));
		((struct kvm_pit_state2 *)arg)->channels[0].mode = 2;
		((struct kvm_pit_state2 *)arg)->channels[0].count = 1193;
		((struct kvm_pit_state2 *)arg)->flags = pit_flags;
		return 0;
	case KVM_SET_PIT2: {
		struct kvm_pit_state2 *ps = arg;

		if (ps->channels[0].mode != 2 || ps->channels[0].count != 1193)
			logf_("FAIL set_pit2 lost the channel state");
		pit_flags = ps->flags;
		logf_("set_pit2 flags=0x%x", ps->flags);
		return 0;
	}
	case KVM_REINJECT_CONTROL:
		if (!have_pit)   /* -ENXIO without a PIT */
			logf_("FAIL KVM_REINJECT_CONTROL before KVM_CREATE_PIT2");
		logf_("reinject %u", ((struct kvm_reinject_control *)arg)->pit_reinject);
		return 0;
	case KVM_REGISTER_COALESCED_MMIO: {
		struct kvm_coalesced_mmio_zone *z = arg;

		logf_("coalesced %s 0x%llx size %u", z->pio ? "pio" : "mmio",
		      (unsigned long long)z->addr, z->size);
		if (!z->pio || z->addr != 0x70 || z->size != 1)
			logf_("FAIL unexpected coalesced zone");
		coalesced_rtc = z->pio && z->addr == 0x70;
		return 0;
	}
	case KVM_CREATE_VCPU:
		logf_("create_vcpu %lu", (unsigned long)arg);
		nvcpus++;
		return new_fd(K_VCPU, (int)(unsigned long)arg);
	default:
		logf_("FAIL unexpected vm ioctl 0x%lx", req);
		errno = ENOTTY;
		return -1;
	}
	(void)fd;
}

static int vcpu_ioctl(int fd, unsigned long req, void *arg)
{
	int id = vcpu_of[fd];
	struct kvm_run *run = id < 1024 ? runs[id] : NULL;

	switch (req) {
	case KVM_RUN:
		if (!run) {
			errno = EINVAL;
			return -1;
		}
		run->apic_base = 0xfee00800;
		if (id == 0) {
			if (!parsed)
				parse_script();
			return run_vcpu0(run);
		}
		return block_until_signal(run, 0);
	case KVM_SET_CPUID2: {
		struct kvm_cpuid2 *c = arg;
		unsigned i;

		for (i = 0; i < c->nent; i++)
			if (c->entries[i].function == 1)
				logf_("cpuid vcpu=%d apic_id=%u hypervisor=%u tsc_deadline=%u", id,
				      c->entries[i].ebx >> 24, c->entries[i].ecx >> 31,
				      (c->entries[i].ecx >> 24) & 1);
			else if (c->entries[i].function == 0x8000001e)
				logf_("cpuid vcpu=%d ext_apic_id=%u", id, c->entries[i].eax);
		return 0;
	}
	case KVM_GET_SREGS:
		memset(arg, 0, sizeof(struct kvm_sregs));
		return 0;
	case KVM_SET_SREGS: {
		struct kvm_sregs *s = arg;

		const struct kvm_segment *d[] = { &s->ds, &s->es, &s->fs, &s->gs, &s->ss };
		unsigned k;

		logf_("sregs vcpu=%d cr0=0x%llx cs.sel=0x%x cs.db=%u cs.limit=0x%x ds.sel=0x%x", id,
		      (unsigned long long)s->cr0, s->cs.selector, s->cs.db, s->cs.limit, s->ds.selector);
		/* Multiboot 3.2 on KVM (VMX guest-state checks): flat 32-bit
		 * segments, accessed bit set, present, usable, DPL 0 */
		if (s->cs.type != 0xb || !s->cs.s || !s->cs.present || !s->cs.g || s->cs.l ||
		    s->cs.dpl || s->cs.unusable || s->cs.base)
			logf_("FAIL sregs: CS is not a flat 32-bit execute/read segment");
		for (k = 0; k < 5; k++)
			if (d[k]->type != 0x3 || !d[k]->s || !d[k]->present || !d[k]->g ||
			    !d[k]->db || d[k]->limit != 0xffffffffu || d[k]->base ||
			    d[k]->unusable || d[k]->selector != 0x10 || d[k]->dpl)
				logf_("FAIL sregs: data segment %u is not flat 32-bit read/write", k);
		if (!(s->cr0 & 1) || (s->cr0 & 0x80000000u) || s->efer || s->cr4 ||
		    s->gdt.limit != 23 || !s->gdt.base)
			logf_("FAIL sregs: CR0/EFER/CR4/GDTR not Multiboot protected mode");
		return 0;
	}
	case KVM_SET_REGS: {
		struct kvm_regs *r = arg;

		logf_("regs vcpu=%d rip=0x%llx rax=0x%llx rbx=0x%llx rflags=0x%llx", id,
		      (unsigned long long)r->rip, (unsigned long long)r->rax,
		      (unsigned long long)r->rbx, (unsigned long long)r->rflags);
		return 0;
	}
	case KVM_GET_REGS:
		memset(arg, 0, sizeof(struct kvm_regs));
		((struct kvm_regs *)arg)->rip = 0x123456;
		return 0;
	case KVM_SET_MP_STATE:
		logf_("mp_state vcpu=%d %u", id, ((struct kvm_mp_state *)arg)->mp_state);
		return 0;
	case KVM_GET_LAPIC: {
		const char *l = getenv("FAKEKVM_LVT0");
		uint32_t lvt0 = l ? (uint32_t)strtoul(l, NULL, 16) : (id == 0 ? 0x700u : 0x10000u);

		memset(arg, 0, sizeof(struct kvm_lapic_state));
		memcpy((char *)arg + 0x350, &lvt0, 4);
		return 0;
	}
	case KVM_INTERRUPT:
		logf_("interrupt vcpu=%d vector=0x%x", id, ((struct kvm_interrupt *)arg)->irq);
		if (((struct kvm_interrupt *)arg)->irq >= 256 || !split_pins)
			logf_("FAIL KVM_INTERRUPT: vector or irqchip mode");
		return 0;
	case KVM_NMI:
		logf_("nmi vcpu=%d", id);
		return 0;
	default:
		logf_("FAIL unexpected vcpu ioctl 0x%lx", req);
		errno = ENOTTY;
		return -1;
	}
}

static int kvm_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case KVM_GET_API_VERSION:
		return KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		if ((unsigned long)arg == KVM_CAP_MAX_VCPUS)
			return 288;
		if ((unsigned long)arg == KVM_CAP_COALESCED_MMIO)
			return missing((unsigned long)arg) ? 0 : FAKE_RING_PAGE;
		return missing((unsigned long)arg) ? 0 : 1;
	case KVM_GET_VCPU_MMAP_SIZE:
		return RUN_SIZE;
	case KVM_CREATE_VM:
		return new_fd(K_VM, -1);
	case KVM_GET_SUPPORTED_CPUID: {
		struct kvm_cpuid2 *c = arg;

		if (c->nent < 4) {
			errno = E2BIG;
			return -1;
		}
		c->nent = 4;
		memset(c->entries, 0, 4 * sizeof(c->entries[0]));
		c->entries[0].function = 0;
		c->entries[0].eax = 0xb;
		c->entries[1].function = 1;
		c->entries[1].ebx = 0xff000800;   /* junk APIC ID to be replaced */
		c->entries[2].function = 0xb;
		c->entries[3].function = 0x8000001e;   /* AMD: KVM reports ext APIC ID 0 */
		return 0;
	}
	default:
		logf_("FAIL unexpected kvm ioctl 0x%lx", req);
		errno = ENOTTY;
		return -1;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*fn)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd < MAXFD) {
		switch (kinds[fd]) {
		case K_KVM: return kvm_ioctl(req, arg);
		case K_VM: return vm_ioctl(fd, req, arg);
		case K_VCPU: return vcpu_ioctl(fd, req, arg);
		default: break;
		}
	}
	if (!fn)
		fn = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return fn(fd, req, arg);
}
