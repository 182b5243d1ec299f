/* SPDX-License-Identifier: MIT */
/*
 * splitvm: the KVM glue.  Everything here follows the KVM API
 * documentation (Documentation/virt/kvm/api.rst); section names are given
 * at each ioctl.  Every ioctl's result is checked.
 *
 * Threads: the main thread sets up the VM and then waits for the stop
 * event (feeding stdin to the UART when the serial port is stdio); one
 * thread per vCPU runs KVM_RUN and services, between runs, the work other
 * threads post to it (vcpu.pending) and the host-clock deadline queue of
 * that vCPU.  A kick is a bit in vcpu.pending plus SIGUSR1 to the thread:
 * the handler sets kvm_run.immediate_exit, so a kick that lands before
 * KVM_RUN makes it return EINTR at once (api.rst, "immediate_exit").
 * Each vCPU thread owns a POSIX timer (SIGEV_THREAD_ID, CLOCK_MONOTONIC,
 * absolute) armed at its queue's earliest deadline; its signal is the same
 * kick.  Timer callbacks therefore run on the vCPU thread that takes the
 * interrupt ("timer follows the vCPU").
 */
#include "vm.h"

#include "acpi.h"
#include "cpuid.h"

#include <splitchip/rtc.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KVM_TSS_ADDR          ((unsigned long)VM_KVM_TSS)   /* 3 pages, up to 0xfffbffff */
#define KVM_IDENTITY_MAP_ADDR ((uint64_t)VM_KVM_IDENTITY_MAP) /* 1 page below the TSS */
#define BOOT_GDT_ADDR         VM_BOOT_GDT_ADDR
#define BOOT_STACK_TOP        VM_BOOT_STACK_TOP
#define APIC_LVT0_OFF         0x350u
#define APIC_BASE_ENABLE      (1ull << 11)   /* IA32_APIC_BASE global enable */
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR   (1u << 31)

__attribute__((format(printf, 1, 2)))
static void err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("splitvm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SC_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ kicks */

static __thread struct kvm_run *tls_run;

static void kick_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	if (tls_run)
		tls_run->immediate_exit = 1;
}

static void vcpu_kick(struct vcpu *v, unsigned bits)
{
	atomic_fetch_or(&v->pending, bits);
	if (atomic_load(&v->started))
		pthread_kill(v->thread, VM_KICK_SIGNAL);
}

void vm_request_exit(struct vm *vm, enum vm_exit_kind kind, int status, const char *msg)
{
	unsigned i;
	int none = VM_EXIT_NONE;
	uint64_t one = 1;

	pthread_mutex_lock(&vm->exit_lock);
	if (atomic_compare_exchange_strong(&vm->exit_kind, &none, (int)kind)) {
		vm->exit_status = status;
		if (msg)
			snprintf(vm->exit_msg, sizeof(vm->exit_msg), "%s", msg);
	}
	pthread_mutex_unlock(&vm->exit_lock);
	atomic_store(&vm->stopping, true);
	if (vm->stop_efd >= 0 && write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* the eventfd counter cannot overflow from a handful of writes */
	}
	for (i = 0; i < vm->ncpus && vm->vcpus; i++)
		vcpu_kick(&vm->vcpus[i], VCPU_PEND_STOP);
}

static void devs_request_exit(void *opaque, enum vm_exit_kind kind, int status)
{
	static const char *const why[] = {
		[VM_EXIT_DEBUG] = "isa-debug-exit", [VM_EXIT_SHUTDOWN] = "ACPI S5 shutdown",
		[VM_EXIT_RESET] = "i8042 reset", [VM_EXIT_ERROR] = "device error",
	};

	vm_request_exit(opaque, kind, status,
			(unsigned)kind < sizeof(why) / sizeof(why[0]) ? why[kind] : NULL);
}

/* --------------------------------------------------------------- timers */

/* Arm vCPU @v's timer at its queue's earliest deadline (any thread). */
static void vcpu_rearm_timer(struct vm *vm, struct vcpu *v)
{
	struct itimerspec its;
	uint64_t next, host;

	memset(&its, 0, sizeof(its));
	pthread_mutex_lock(&v->timer_lock);
	if (!v->timer_ok) {
		pthread_mutex_unlock(&v->timer_lock);
		return;
	}
	next = sc_host_clock_next_deadline(&vm->hc, v->id);
	if (next != UINT64_MAX) {
		host = sc_host_clock_to_host(&vm->hc, next);
		if (host == 0)
			host = 1;           /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(host / SC_NSEC_PER_SEC);
		its.it_value.tv_nsec = (long)(host % SC_NSEC_PER_SEC);
	}
	if (timer_settime(v->timer, TIMER_ABSTIME, &its, NULL))
		err("vCPU %u: timer_settime: %s", v->id, strerror(errno));
	pthread_mutex_unlock(&v->timer_lock);
}

/* sc_host_clock wake: queue @q got an earlier deadline. */
static void clock_wake(void *opaque, unsigned q)
{
	struct vm *vm = opaque;

	if (!vm->vcpus || q >= vm->ncpus)
		return;
	vcpu_rearm_timer(vm, &vm->vcpus[q]);
}

/* --------------------------------------------------------- chipset ops */

static void ops_send_msi(void *opaque, const struct sc_msi *m)
{
	struct vm *vm = opaque;
	struct kvm_msi msi;
	int r;

	if (vm->vm_fd < 0)
		return;
	memset(&msi, 0, sizeof(msi));
	msi.address_lo = (uint32_t)m->address;
	msi.address_hi = (uint32_t)(m->address >> 32);
	msi.data = m->data;
	/* api.rst, KVM_SIGNAL_MSI: >0 delivered, 0 blocked by the guest */
	r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
	if (r < 0)
		err("KVM_SIGNAL_MSI(addr 0x%llx data 0x%x): %s",
		    (unsigned long long)m->address, m->data, strerror(errno));
}

static void ops_set_routes(void *opaque, const struct chipset_route *routes, unsigned n)
{
	struct vm *vm = opaque;
	struct kvm_irq_routing *tbl;
	unsigned i;

	if (vm->vm_fd < 0)
		return;
	tbl = calloc(1, sizeof(*tbl) + n * sizeof(tbl->entries[0]));
	if (!tbl) {
		vm_request_exit(vm, VM_EXIT_ERROR, 1, "out of memory for the GSI routing table");
		return;
	}
	tbl->nr = n;
	for (i = 0; i < n; i++) {
		struct kvm_irq_routing_entry *e = &tbl->entries[i];

		e->gsi = routes[i].gsi;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)routes[i].msg.address;
		e->u.msi.address_hi = (uint32_t)(routes[i].msg.address >> 32);
		e->u.msi.data = routes[i].msg.data;
	}
	/* api.rst, KVM_SET_GSI_ROUTING: replaces the whole table */
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, tbl) < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "KVM_SET_GSI_ROUTING (%u routes): %s", n, strerror(errno));
		err("%s", msg);
		vm_request_exit(vm, VM_EXIT_ERROR, 1, msg);
	}
	free(tbl);
}

/*
 * Kick the vCPUs whose LINT0 may take the PIC's INT: LVT0 unmasked in
 * ExtINT or NMI mode as last sampled, or sampled too long ago to know.
 * (With 64 vCPUs and a 1 kHz PIT through the PIC, kicking every vCPU on
 * every tick would cost 64k signals per second; APs normally mask LVT0.)
 */
static void kick_lint0(struct vm *vm, bool stale_only)
{
	uint64_t now = mono_ns();
	unsigned i;

	for (i = 0; i < vm->ncpus && vm->vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		bool stale = now - atomic_load(&v->lvt0_time) >= SC_KVM_LINT0_REFRESH_NS;

		if (stale || (!stale_only && atomic_load(&v->lint0_live)))
			vcpu_kick(v, VCPU_PEND_PIC);
	}
}

static void ops_pic_intr(void *opaque, bool level)
{
	struct vm *vm = opaque;
	bool old = atomic_exchange(&vm->pic_level, level);

	if (!level || old)
		return;
	atomic_fetch_add(&vm->pic_edges, 1);
	/* present the rising INT at LINT0 of the vCPUs (virtual wire mode) */
	kick_lint0(vm, false);
}

static void ops_irq_line(void *opaque, unsigned gsi, bool level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level irq;

	if (vm->vm_fd < 0)
		return;
	memset(&irq, 0, sizeof(irq));
	irq.irq = gsi;
	irq.level = level;
	/* api.rst, KVM_IRQ_LINE */
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		err("KVM_IRQ_LINE(%u, %d): %s", gsi, level, strerror(errno));
}

/*
 * Kernel mode: HPET LegacyReplacement cuts the 8254's OUT0 off IRQ0 (HPET
 * 1.0a, 2.4).  KVM's PIT learns it from KVM_PIT_FLAGS_HPET_LEGACY in
 * KVM_SET_PIT2 (api.rst, KVM_GET_PIT2/KVM_SET_PIT2): set, KVM stops the
 * channel 0 timer; cleared, it restarts it from the saved count and mode.
 * Read-modify-write of the whole state, as QEMU's kvm_pit_irq_control().
 */
static void ops_pit_hpet_legacy(void *opaque, bool on)
{
	struct vm *vm = opaque;
	struct kvm_pit_state2 ps;
	char msg[128];

	if (vm->vm_fd < 0)
		return;
	memset(&ps, 0, sizeof(ps));
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &ps) < 0) {
		snprintf(msg, sizeof(msg), "KVM_GET_PIT2: %s", strerror(errno));
		vm_request_exit(vm, VM_EXIT_ERROR, 1, msg);
		return;
	}
	if (on)
		ps.flags |= KVM_PIT_FLAGS_HPET_LEGACY;
	else
		ps.flags &= ~(__u32)KVM_PIT_FLAGS_HPET_LEGACY;
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &ps) < 0) {
		snprintf(msg, sizeof(msg), "KVM_SET_PIT2 (HPET legacy %s): %s", on ? "on" : "off",
			 strerror(errno));
		vm_request_exit(vm, VM_EXIT_ERROR, 1, msg);
	}
}

/* ---------------------------------------------------------- devices */

static void serial_tx(void *opaque, uint8_t b)
{
	struct vm *vm = opaque;

	ssize_t r;

	if (vm->serial_fd < 0)
		return;
	/* the kick signal has no SA_RESTART (KVM_RUN must see it): retry */
	do
		r = write(vm->serial_fd, &b, 1);
	while (r < 0 && errno == EINTR);
	/* other failures (closed pipe): output lost, the guest cannot tell */
}

static void uart_irq(void *opaque, bool level)
{
	struct vm *vm = opaque;

	chipset_set_isa_irq(vm->cs, UART_COM1_IRQ, CHIPSET_SRC_UART, level);
}

static void sci_irq(void *opaque, bool level)
{
	struct vm *vm = opaque;

	chipset_set_isa_irq(vm->cs, VM_SCI_IRQ, CHIPSET_SRC_SCI, level);
}

static void testdev_irq(void *opaque, unsigned irq, bool level)
{
	struct vm *vm = opaque;

	chipset_set_isa_irq(vm->cs, irq, CHIPSET_SRC_TESTDEV, level);
}

static void pm_sleep(void *opaque, unsigned slp_typ)
{
	/* Only \_S5 is described in the DSDT: every SLP_EN is a soft-off */
	char msg[64];

	snprintf(msg, sizeof(msg), "ACPI sleep (SLP_TYP %u): power off", slp_typ);
	vm_request_exit(opaque, VM_EXIT_SHUTDOWN, 0, msg);
}

/* ---------------------------------------------------------- prepare */

static int read_file(const char *path, uint8_t **data, size_t *len, const char *what)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0) {
		err("cannot open %s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err("%s '%s' is not a regular file", what, path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > VM_LOWMEM_TOP) {
		err("%s '%s' is too large", what, path);
		close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	*data = malloc(*len ? *len : 1);
	if (!*data) {
		err("out of memory reading %s '%s'", what, path);
		close(fd);
		return -1;
	}
	while (got < *len) {
		ssize_t r = read(fd, *data + got, *len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err("cannot read %s '%s': %s", what, path, r ? strerror(errno) : "short read");
			free(*data);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

static uint64_t wall_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SC_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

int vm_prepare(struct vm *vm, struct vm_options *opt)
{
	struct mb_module_in mods[VM_MAX_MODULES];
	uint8_t *img = NULL, *moddata[VM_MAX_MODULES] = { 0 }, *initrd = NULL;
	size_t imglen = 0, initrdlen = 0;
	struct chipset_config cc;
	struct chipset_ops ops;
	struct acpi_config ac;
	struct acpi_tables at;
	char msg[256];
	unsigned i;
	int r = -1;

	memset(vm, 0, sizeof(*vm));
	vm->opt = opt;
	vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
	vm->serial_fd = -1;
	vm->ncpus = opt->cpus;
	pthread_mutex_init(&vm->exit_lock, NULL);
	pthread_mutex_init(&vm->coalesced_lock, NULL);

	vm->ram_size = opt->mem_mib << 20;
	vm->low_size = vm_lowmem_size(vm->ram_size);
	vm->high_size = vm_highmem_size(vm->ram_size);
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		err("cannot allocate %llu MiB of guest RAM: %s",
		    (unsigned long long)opt->mem_mib, strerror(errno));
		return -1;
	}

	if (read_file(opt->kernel, &img, &imglen, "kernel image"))
		goto out;
	for (i = 0; i < opt->nmodules; i++) {
		size_t l;

		if (read_file(opt->modules[i].path, &moddata[i], &l, "module"))
			goto out;
		mods[i].data = moddata[i];
		mods[i].len = l;
		mods[i].cmdline = opt->modules[i].cmdline ? opt->modules[i].cmdline
							  : opt->modules[i].path;
	}
	vm->linux_boot = lx_is_bzimage(img, imglen);
	if (vm->linux_boot) {
		if (opt->nmodules) {
			err("%s: --module is for Multiboot images; a Linux kernel takes --initrd", opt->kernel);
			goto out;
		}
		if (opt->initrd && read_file(opt->initrd, &initrd, &initrdlen, "initrd"))
			goto out;
		if (lx_load(vm->ram, vm->ram_size, img, imglen, initrd, initrdlen, opt->append,
			    &vm->lx, msg, sizeof(msg))) {
			err("%s: %s", opt->kernel, msg);
			goto out;
		}
	} else if (opt->initrd) {
		err("%s: --initrd is for Linux bzImages; a Multiboot image takes --module", opt->kernel);
		goto out;
	} else if (mb_load(vm->ram, vm->ram_size, img, imglen, opt->append, mods, opt->nmodules,
			   &vm->boot, msg, sizeof(msg))) {
		err("%s: %s", opt->kernel, msg);
		goto out;
	}

	if (sc_host_clock_init(&vm->hc, vm->ncpus, clock_wake, vm)) {
		err("cannot create the host clock");
		goto out;
	}
	vm->hc_ok = true;
	memset(&cc, 0, sizeof(cc));
	cc.split = opt->split;
	cc.ncpus = vm->ncpus;
	cc.nioapics = opt->ioapics;
	cc.hpet = opt->hpet;
	cc.no_ghost_routes = !opt->ghost_routes;
	memcpy(cc.policy, opt->policy, sizeof(cc.policy));
	cc.clock = &vm->hc.clock;
	cc.host_clock = &vm->hc;
	cc.ram_size = vm->ram_size;
	cc.wall_ns = wall_ns;
	memset(&ops, 0, sizeof(ops));
	ops.send_msi = ops_send_msi;
	ops.set_routes = ops_set_routes;
	ops.pic_intr = ops_pic_intr;
	ops.irq_line = ops_irq_line;
	ops.pit_hpet_legacy = ops_pit_hpet_legacy;
	ops.opaque = vm;
	if (chipset_create(&vm->cs, &cc, &ops, msg, sizeof(msg))) {
		err("chipset: %s", msg);
		goto out;
	}

	/* devices */
	pthread_mutex_init(&vm->devs.lock, NULL);
	vm->devs.cs = vm->cs;
	vm->devs.request_exit = devs_request_exit;
	vm->devs.exit_opaque = vm;
	{
		struct sc_line l = { uart_irq, vm }, s = { sci_irq, vm };

		vm_uart_init(&vm->devs.uart, &l, serial_tx, vm);
		vm_pm_init(&vm->devs.pm, &vm->hc.clock, true, &s, pm_sleep, vm);
	}
	vm_fwcfg_init(&vm->devs.fwcfg, vm->ram_size, vm->ncpus);
	vm_testdev_init(&vm->devs.testdev, testdev_irq, vm);
	{
		struct vm_guest_mem gm = { vm->ram, vm->low_size, vm->high_size };

		vm_devs_pci_init(&vm->devs, &gm);   /* host bridge, virtio-rng */
	}
	if (opt->serial) {
		vm->serial_fd = open(opt->serial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (vm->serial_fd < 0) {
			err("cannot open serial output '%s': %s", opt->serial, strerror(errno));
			goto out;
		}
	} else {
		vm->serial_fd = STDOUT_FILENO;
	}

	/* firmware tables in the BIOS area */
	memset(&ac, 0, sizeof(ac));
	ac.ncpus = vm->ncpus;
	ac.nioapics = opt->ioapics;
	ac.ioapic_version = chipset_ioapic_version(vm->cs);
	ac.hpet = opt->hpet;
	ac.hpet_block_id = chipset_hpet_block_id(vm->cs);
	ac.pm_tmr_32bit = true;
	ac.rtc_century = 0x32;
	if (acpi_build(vm->ram + ACPI_BIOS_BASE, ACPI_BIOS_BASE, ACPI_BIOS_LEN, &ac, &at)) {
		err("cannot build the ACPI tables");
		goto out;
	}
	if (vm->linux_boot)
		lx_set_rsdp(vm->ram, &vm->lx, at.addr[ACPI_RSDP]);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (vm->stop_efd < 0) {
		err("eventfd: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	free(img);
	free(initrd);
	for (i = 0; i < VM_MAX_MODULES; i++)
		free(moddata[i]);
	return r;
}

/* ---------------------------------------------------------- KVM setup */

static int check_cap(struct vm *vm, int fd, long cap, const char *name)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (r <= 0) {
		err("KVM lacks capability %s%s%s", name, r < 0 ? ": " : "",
		    r < 0 ? strerror(errno) : "");
		return -1;
	}
	return r;
}
#define CHECK_CAP(vm, fd, cap) check_cap(vm, fd, cap, #cap)

static int set_memory(struct vm *vm)
{
	struct kvm_userspace_memory_region mr;

	/* api.rst, KVM_SET_USER_MEMORY_REGION; RAM above 3 GiB moves above 4 GiB */
	memset(&mr, 0, sizeof(mr));
	mr.slot = 0;
	mr.guest_phys_addr = 0;
	mr.memory_size = vm->low_size;
	mr.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0) {
		err("KVM_SET_USER_MEMORY_REGION (slot 0, %llu bytes): %s",
		    (unsigned long long)vm->low_size, strerror(errno));
		return -1;
	}
	if (vm->high_size) {
		mr.slot = 1;
		mr.guest_phys_addr = VM_HIGHMEM_BASE;
		mr.memory_size = vm->high_size;
		mr.userspace_addr = (uintptr_t)(vm->ram + vm->low_size);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0) {
			err("KVM_SET_USER_MEMORY_REGION (slot 1 at 4 GiB, %llu bytes): %s",
			    (unsigned long long)vm->high_size, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static struct kvm_cpuid2 *get_supported_cpuid(struct vm *vm)
{
	unsigned n = 128;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		/* api.rst, KVM_GET_SUPPORTED_CPUID: E2BIG if nent is too small */
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || n >= 4096) {
			err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			return NULL;
		}
		n *= 2;
	}
}

static int setup_cpuid(struct vm *vm, struct vcpu *v, const struct kvm_cpuid2 *sup)
{
	size_t sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	/* the LAPIC is in the kernel in both modes: its TSC-deadline timer
	 * works when KVM says so, although GET_SUPPORTED_CPUID omits the bit */
	bool tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	unsigned i;
	int r;

	if (!c) {
		err("out of memory");
		return -1;
	}
	memcpy(c, sup, sz);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		/* SDM vol. 2A CPUID: leaf 1 EBX[31:24] initial APIC ID.
		 * KVM_GET_SUPPORTED_CPUID leaves out ECX[31] (hypervisor
		 * present; without it guests do not look at the KVM leaves
		 * 0x40000000/0x40000001 it does return) and ECX[24]
		 * (TSC-deadline, KVM_CAP_TSC_DEADLINE_TIMER): userspace sets
		 * them, as QEMU does. */
		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffu) | (v->id << 24);
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (tsc_deadline)
				e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
		}
		/* AMD leaf 0x8000001E EAX: extended APIC ID (KVM returns 0) */
		if (e->function == 0x8000001eu)
			e->eax = v->id;
		/* leaves 0xB / 0x1F EDX: x2APIC ID of this logical processor */
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->id;
		if (!vm->opt->xsave) {
			struct vm_cpuid_leaf l = { e->function, e->index, e->eax, e->ebx, e->ecx, e->edx };

			vm_cpuid_hide_xsave(&l);
			e->eax = l.eax, e->ebx = l.ebx, e->ecx = l.ecx, e->edx = l.edx;
		}
	}
	r = ioctl(v->fd, KVM_SET_CPUID2, c);
	if (r < 0)
		err("vCPU %u: KVM_SET_CPUID2: %s", v->id, strerror(errno));
	free(c);
	return r < 0 ? -1 : 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffffu;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;
	s->s = 1;
	s->l = 0;
	s->g = 1;
}

/*
 * The boot processor in flat 32-bit protected mode, paging and interrupts
 * off: Multiboot 0.6.96 3.2 "Machine state" (CS 0x08, data 0x10, EAX/EBX
 * the magic and the info), or boot.rst "32-bit BOOT PROTOCOL" for Linux
 * (CS __BOOT_CS 0x10, data __BOOT_DS 0x18, ESI the zero page, EBP, EDI
 * and EBX zero).
 */
static int setup_boot_cpu(struct vm *vm, struct vcpu *v)
{
	static const uint64_t mb_gdt[3] = {
		0, 0x00cf9b000000ffffull /* 0x08 code */, 0x00cf93000000ffffull /* 0x10 data */
	};
	static const uint64_t lx_gdt[4] = {
		0, 0, 0x00cf9b000000ffffull /* 0x10 code */, 0x00cf93000000ffffull /* 0x18 data */
	};
	const uint64_t *gdt = vm->linux_boot ? lx_gdt : mb_gdt;
	size_t gdtsz = vm->linux_boot ? sizeof(lx_gdt) : sizeof(mb_gdt);
	uint16_t cs = vm->linux_boot ? LX_BOOT_CS : 0x08, ds = vm->linux_boot ? LX_BOOT_DS : 0x10;
	struct kvm_sregs sr;
	struct kvm_regs regs;

	memcpy(vm->ram + BOOT_GDT_ADDR, gdt, gdtsz);
	if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0) {
		err("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	seg(&sr.cs, cs, 0xb);            /* execute/read, accessed */
	seg(&sr.ds, ds, 0x3);            /* read/write, accessed */
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = BOOT_GDT_ADDR;
	sr.gdt.limit = (uint16_t)(gdtsz - 1);
	sr.cr0 = 0x11;                   /* PE | ET; PG clear */
	sr.cr4 = 0;
	sr.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0) {
		err("KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;               /* IF and VM clear */
	regs.rsp = BOOT_STACK_TOP;
	if (vm->linux_boot) {
		regs.rip = vm->lx.entry;
		regs.rsi = vm->lx.zero_page;
	} else {
		regs.rip = vm->boot.entry;
		regs.rax = MB_BOOTLOADER_MAGIC;
		regs.rbx = vm->boot.info_addr;
	}
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0) {
		err("KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int kernel_irqchip_routing(struct vm *vm)
{
	/* ISA IRQ n = KVM GSI n -> PIC input n and IOAPIC pin n, except
	 * GSI 0 -> IOAPIC pin 2 (the MADT override); GSIs 16-23 IOAPIC only */
	struct kvm_irq_routing *t = calloc(1, sizeof(*t) + 48 * sizeof(t->entries[0]));
	unsigned n = 0, g;
	int r;

	if (!t) {
		err("out of memory");
		return -1;
	}
	for (g = 0; g < 24; g++) {
		if (g == 2)
			continue;
		if (g < 16) {
			t->entries[n].gsi = g;
			t->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
			t->entries[n].u.irqchip.irqchip = g < 8 ? KVM_IRQCHIP_PIC_MASTER
							       : KVM_IRQCHIP_PIC_SLAVE;
			t->entries[n].u.irqchip.pin = g % 8;
			n++;
		}
		t->entries[n].gsi = g;
		t->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		t->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		t->entries[n].u.irqchip.pin = g == 0 ? 2 : g;
		n++;
	}
	t->nr = n;
	r = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, t);
	if (r < 0)
		err("KVM_SET_GSI_ROUTING (in-kernel irqchip): %s", strerror(errno));
	free(t);
	return r < 0 ? -1 : 0;
}

/*
 * Coalesced PIO for the RTC index port (api.rst, KVM_REGISTER_COALESCED_MMIO
 * with KVM_CAP_COALESCED_PIO).  A write to 0x70 only latches the CMOS index
 * (and the NMI mask bit, which nothing in splitvm reads between exits): no
 * device needs to see it before the next access to 0x71, which exits.  KVM
 * appends such writes to a ring page at KVM_CAP_COALESCED_MMIO's page offset
 * in the kvm_run mapping instead of exiting; every exit replays the ring
 * first (coalesced_replay), so the index is in place before any 0x71 access
 * and writes keep their order (a full ring makes KVM exit with the write
 * itself, which then also comes after the replay).  It saves one of the two
 * exits of every CMOS access; QEMU does the same for the same port.
 */
static void setup_coalesced_pio(struct vm *vm)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = SC_RTC_PORT_INDEX, .size = 1, .pio = 1 };
	long page = sysconf(_SC_PAGESIZE);
	int off;

	if (!vm->opt->coalesced_pio || page <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0)
		return;
	off = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (off <= 0 || (uint64_t)(off + 1) * (uint64_t)page > vm->run_size)
		return;                     /* no ring page in the mapping */
	if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone) < 0) {
		err("KVM_REGISTER_COALESCED_MMIO(pio 0x%x): %s (RTC index writes will exit)",
		    SC_RTC_PORT_INDEX, strerror(errno));
		return;
	}
	vm->coalesced = (struct kvm_coalesced_mmio_ring *)((uint8_t *)vm->vcpus[0].run +
							    (size_t)off * (size_t)page);
	vm->coalesced_max = (uint32_t)(((size_t)page - sizeof(struct kvm_coalesced_mmio_ring)) /
				       sizeof(struct kvm_coalesced_mmio));
}

/*
 * Replay the coalesced writes, oldest first (any vCPU thread, before it
 * handles an exit).  KVM advances ring->last, userspace ring->first.  The
 * entries are guest data and ring->last is trusted no further than the
 * ring's size: an index out of range ends the replay.
 */
static void coalesced_replay(struct vm *vm)
{
	struct kvm_coalesced_mmio_ring *r = vm->coalesced;
	uint32_t first, last;

	if (!r || __atomic_load_n(&r->first, __ATOMIC_RELAXED) ==
		  __atomic_load_n(&r->last, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vm->coalesced_lock);
	first = r->first;
	last = __atomic_load_n(&r->last, __ATOMIC_ACQUIRE);
	while (first != last && first < vm->coalesced_max && last < vm->coalesced_max) {
		struct kvm_coalesced_mmio *e = &r->coalesced_mmio[first];
		uint64_t val = 0;

		if (e->len >= 1 && e->len <= sizeof(val)) {
			memcpy(&val, e->data, e->len);
			vm_io_dispatch(&vm->devs, e->pio ? VM_PIO : VM_MMIO, e->phys_addr,
				       e->len, true, val);
			atomic_fetch_add(&vm->coalesced_writes, 1);
		}
		first = (first + 1) % vm->coalesced_max;
		__atomic_store_n(&r->first, first, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->coalesced_lock);
}

int vm_open_kvm(struct vm *vm)
{
	struct vm_options *o = vm->opt;
	struct kvm_cpuid2 *cpuid = NULL;
	struct sigaction sa;
	int maxv, r;
	unsigned i;

	vm->kvm_fd = open(o->kvm_device, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		err("cannot open %s: %s%s", o->kvm_device, strerror(errno),
		    errno == ENOENT ? " (no KVM on this host: is the kvm module loaded, "
				      "nested virtualisation enabled?)" : "");
		return -1;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		err("%s is not a usable KVM device (KVM_GET_API_VERSION: %d%s%s)", o->kvm_device,
		    r, r < 0 ? ", " : "", r < 0 ? strerror(errno) : "");
		return -1;
	}
	if (CHECK_CAP(vm, vm->kvm_fd, KVM_CAP_USER_MEMORY) < 0 ||
	    CHECK_CAP(vm, vm->kvm_fd, KVM_CAP_IMMEDIATE_EXIT) < 0 ||
	    CHECK_CAP(vm, vm->kvm_fd, KVM_CAP_EXT_CPUID) < 0 ||
	    CHECK_CAP(vm, vm->kvm_fd, KVM_CAP_SET_TSS_ADDR) < 0 ||
	    CHECK_CAP(vm, vm->kvm_fd, KVM_CAP_MP_STATE) < 0 ||
	    CHECK_CAP(vm, vm->kvm_fd, KVM_CAP_IRQ_ROUTING) < 0)
		return -1;
	maxv = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (maxv <= 0)
		maxv = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (maxv > 0 && vm->ncpus > (unsigned)maxv) {
		err("--cpus %u: this KVM supports at most %d vCPUs", vm->ncpus, maxv);
		return -1;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0) {
		err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	vm->run_size = (size_t)r;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		err("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (o->split) {
		struct kvm_enable_cap cap;

		if (CHECK_CAP(vm, vm->vm_fd, KVM_CAP_SPLIT_IRQCHIP) < 0 ||
		    CHECK_CAP(vm, vm->vm_fd, KVM_CAP_SIGNAL_MSI) < 0 ||
		    CHECK_CAP(vm, vm->vm_fd, KVM_CAP_USER_NMI) < 0)
			return -1;
		/* api.rst, KVM_CAP_SPLIT_IRQCHIP: args[0] = IOAPIC pins reserved
		 * as GSIs (ours: the pins and their ghost routes); must precede
		 * vCPU creation */
		memset(&cap, 0, sizeof(cap));
		cap.cap = KVM_CAP_SPLIT_IRQCHIP;
		cap.args[0] = chipset_reserved_gsis(o->ioapics);
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
			err("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP, %u): %s",
			    chipset_reserved_gsis(o->ioapics), strerror(errno));
			return -1;
		}
	} else {
		struct kvm_pit_config pit;
		struct kvm_reinject_control rc;

		if (CHECK_CAP(vm, vm->vm_fd, KVM_CAP_IRQCHIP) < 0 ||
		    CHECK_CAP(vm, vm->vm_fd, KVM_CAP_PIT2) < 0 ||
		    CHECK_CAP(vm, vm->vm_fd, KVM_CAP_PIT_STATE2) < 0 ||
		    CHECK_CAP(vm, vm->vm_fd, KVM_CAP_REINJECT_CONTROL) < 0)
			return -1;
		if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
			err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
			return -1;
		}
		memset(&pit, 0, sizeof(pit));
		pit.flags = KVM_PIT_SPEAKER_DUMMY;
		if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
			err("KVM_CREATE_PIT2: %s", strerror(errno));
			return -1;
		}
		memset(&rc, 0, sizeof(rc));
		rc.pit_reinject = o->policy[VM_SRC_PIT] == SC_TICK_DELAY;
		if (ioctl(vm->vm_fd, KVM_REINJECT_CONTROL, &rc) < 0) {
			err("KVM_REINJECT_CONTROL: %s", strerror(errno));
			return -1;
		}
		if (kernel_irqchip_routing(vm))
			return -1;
	}
	/* api.rst, KVM_SET_TSS_ADDR and KVM_SET_IDENTITY_MAP_ADDR: before vCPUs */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
		err("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t a = KVM_IDENTITY_MAP_ADDR;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &a) < 0) {
			err("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
			return -1;
		}
	}
	if (set_memory(vm))
		return -1;
	/* routes exist before the vCPUs so their EOI-exit bitmaps start right */
	chipset_start(vm->cs);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = kick_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(VM_KICK_SIGNAL, &sa, NULL)) {
		err("sigaction: %s", strerror(errno));
		return -1;
	}

	cpuid = get_supported_cpuid(vm);
	if (!cpuid)
		return -1;
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		err("out of memory");
		free(cpuid);
		return -1;
	}
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		sc_kvm_lint0_init(&v->lint0);
		v->fd = -1;
		pthread_mutex_init(&v->timer_lock, NULL);
	}
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		void *run;

		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (v->fd < 0) {
			err("KVM_CREATE_VCPU(%u): %s", i, strerror(errno));
			goto fail;
		}
		run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (run == MAP_FAILED) {
			err("vCPU %u: mmap kvm_run: %s", i, strerror(errno));
			goto fail;
		}
		v->run = run;
		if (setup_cpuid(vm, v, cpuid))
			goto fail;
		if (i == 0) {
			if (setup_boot_cpu(vm, v))
				goto fail;
		} else {
			/* APs wait for INIT/SIPI from the guest (api.rst, KVM_SET_MP_STATE) */
			struct kvm_mp_state mp = { KVM_MP_STATE_UNINITIALIZED };

			if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0) {
				err("vCPU %u: KVM_SET_MP_STATE: %s", i, strerror(errno));
				goto fail;
			}
		}
	}
	free(cpuid);
	setup_coalesced_pio(vm);
	/* rescan with every vCPU present (APIC IDs now exist) */
	chipset_start(vm->cs);
	return 0;
fail:
	free(cpuid);
	return -1;
}

/* ---------------------------------------------------------- vCPU loop */

static void vcpu_fail(struct vcpu *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void vcpu_fail(struct vcpu *v, const char *fmt, ...)
{
	char msg[400], full[480];
	struct kvm_regs regs;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
		snprintf(full, sizeof(full), "vCPU %u: %s (rip 0x%llx)", v->id, msg,
			 (unsigned long long)regs.rip);
	else
		snprintf(full, sizeof(full), "vCPU %u: %s", v->id, msg);
	vm_request_exit(v->vm, VM_EXIT_ERROR, 1, full);
}

/* Sample LVT0 with KVM_GET_LAPIC (api.rst) on this vCPU's thread. */
static void refresh_lvt0(struct vcpu *v, bool force)
{
	struct kvm_lapic_state ls;
	uint64_t now = mono_ns();
	uint32_t lvt0;

	if (!force && !sc_kvm_lint0_stale(&v->lint0, now))
		return;
	if (ioctl(v->fd, KVM_GET_LAPIC, &ls) < 0) {
		vcpu_fail(v, "KVM_GET_LAPIC: %s", strerror(errno));
		return;
	}
	memcpy(&lvt0, ls.regs + APIC_LVT0_OFF, sizeof(lvt0));
	sc_kvm_lint0_sampled(&v->lint0, lvt0, now);
	atomic_store(&v->lvt0_time, now);
	/* LVT0 fields: splitchip/kvm_lint0.h (SDM 11.5.1) */
	atomic_store(&v->lint0_nmi, !(lvt0 & SC_LVT_MASKED) &&
		     (lvt0 & SC_LVT_DM_MASK) == SC_LVT_DM_NMI);
	atomic_store(&v->lint0_live, sc_kvm_lint0_takes_pic(lvt0));
}

static void inject_nmi(struct vcpu *v)
{
	/* api.rst, KVM_NMI */
	if (ioctl(v->fd, KVM_NMI, 0) < 0)
		vcpu_fail(v, "KVM_NMI: %s", strerror(errno));
	else
		v->nmis_injected++;
}

/*
 * PIC INT at this vCPU's LINT0, in the mode LVT0 holds (split mode): the
 * decision is the KVM layer's (splitchip/kvm_lint0.h: when LVT0 must be
 * read again, NMI per rising edge, ExtINT through KVM_INTERRUPT or the
 * interrupt window); kicks may come late or twice, vm.pic_edges says what
 * happened.
 */
static void present_pic(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	struct sc_kvm_lint0_input in;

	in.int_edges = atomic_load(&vm->pic_edges);   /* edges, then the level */
	in.int_level = atomic_load(&vm->pic_level);
	/* kvm_run.apic_base is filled by KVM_RUN: before this vCPU's first
	 * run it reads 0, and LVT0 decides (its reset state: enabled) */
	in.apic_hw_enabled = run->apic_base == 0 || (run->apic_base & APIC_BASE_ENABLE) != 0;
	/* includes "LINT0 accepts PIC interrupts" for the in-kernel LAPIC */
	in.ready = run->ready_for_interrupt_injection != 0;
	in.now_ns = mono_ns();
	if (sc_kvm_lint0_needs_sample(&v->lint0, &in))
		refresh_lvt0(v, true);
	switch (sc_kvm_lint0_decide(&v->lint0, &in)) {
	case SC_KVM_LINT0_NMI:
		/* no INTA cycle follows: the NMI is the ticks' acknowledgement */
		inject_nmi(v);
		chipset_pic_nmi_taken(vm->cs);
		run->request_interrupt_window = 0;
		break;
	case SC_KVM_LINT0_EXTINT: {
		int vec = chipset_pic_inta(vm->cs);

		if (vec >= 0) {
			struct kvm_interrupt irq = { .irq = (uint32_t)vec };

			/* api.rst, KVM_INTERRUPT */
			if (ioctl(v->fd, KVM_INTERRUPT, &irq) < 0)
				vcpu_fail(v, "KVM_INTERRUPT(0x%x): %s", vec, strerror(errno));
			else
				v->extint_injected++;
		}
		run->request_interrupt_window = atomic_load(&vm->pic_level);
		break;
	}
	case SC_KVM_LINT0_WINDOW:
		if (!run->request_interrupt_window)
			v->window_requests++;
		run->request_interrupt_window = 1;
		break;
	default:
		run->request_interrupt_window = 0;
		break;
	}
}

/*
 * KVM's in-kernel PIT gives every vCPU whose LVT0 is in NMI mode an NMI per
 * tick (Linux's nmi_watchdog=1).  Here: after this thread ran the PIT's
 * timer, a tick that did not raise the PIC's INT (already high, or IRQ0
 * masked) is sent as KVM_NMI to the NMI-mode vCPUs; a tick that did raise
 * INT reaches them through present_pic().
 */
static void pit_watchdog(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t delivered, edges;
	unsigned i;

	if (!vm->opt->split)
		return;
	chipset_get_pit_delivered(vm->cs, &delivered);
	if (delivered == v->pit_delivered_seen)
		return;
	v->pit_delivered_seen = delivered;
	/* INT rose with this tick: present_pic() gives NMI-mode LINT0s their NMI */
	edges = atomic_load(&vm->pic_edges);
	if (edges != v->pic_edges_seen) {
		v->pic_edges_seen = edges;
		return;
	}
	for (i = 0; i < vm->ncpus; i++)
		if (atomic_load(&vm->vcpus[i].lint0_nmi))
			vcpu_kick(&vm->vcpus[i], VCPU_PEND_NMI);
}

static void vcpu_service(struct vcpu *v)
{
	struct vm *vm = v->vm;
	unsigned pend;

	v->run->immediate_exit = 0;
	pend = atomic_exchange(&v->pending, 0);
	chipset_poll(vm->cs);
	if (sc_host_clock_run_due(&vm->hc, v->id))
		pit_watchdog(v);
	vcpu_rearm_timer(vm, v);
	if (!vm->opt->split)
		return;
	if (pend & VCPU_PEND_NMI) {
		refresh_lvt0(v, true);
		if (atomic_load(&v->lint0_nmi)) {
			inject_nmi(v);
			chipset_pic_nmi_taken(vm->cs);
		}
	}
	if ((pend & VCPU_PEND_PIC) || atomic_load(&vm->pic_level) ||
	    v->run->request_interrupt_window)
		present_pic(v);
	else
		refresh_lvt0(v, false);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size, i;

	if (size != 1 && size != 2 && size != 4) {
		vcpu_fail(v, "KVM_EXIT_IO with size %u (port 0x%x)", size, run->io.port);
		return;
	}
	if (run->io.data_offset + (uint64_t)size * run->io.count > v->vm->run_size) {
		vcpu_fail(v, "KVM_EXIT_IO data outside kvm_run (offset %llu, count %u)",
			  (unsigned long long)run->io.data_offset, run->io.count);
		return;
	}
	for (i = 0; i < run->io.count; i++, data += size) {
		uint64_t val = 0;

		if (run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&val, data, size);
			vm_io_dispatch(&v->vm->devs, VM_PIO, run->io.port, size, true, val);
		} else {
			val = vm_io_dispatch(&v->vm->devs, VM_PIO, run->io.port, size, false, 0);
			memcpy(data, &val, size);
		}
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;
	uint64_t val = 0;

	if (len < 1 || len > 8) {
		vcpu_fail(v, "KVM_EXIT_MMIO with length %u at 0x%llx", len,
			  (unsigned long long)run->mmio.phys_addr);
		return;
	}
	if (run->mmio.is_write) {
		memcpy(&val, run->mmio.data, len);
		vm_io_dispatch(&v->vm->devs, VM_MMIO, run->mmio.phys_addr, len, true, val);
	} else {
		val = vm_io_dispatch(&v->vm->devs, VM_MMIO, run->mmio.phys_addr, len, false, 0);
		memcpy(run->mmio.data, &val, len);
	}
}

static void handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;

	if (run->exit_reason < VM_NR_EXIT_REASONS)
		v->exits[run->exit_reason]++;
	coalesced_replay(vm);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		break;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		break;
	case KVM_EXIT_IOAPIC_EOI:
		/* api.rst, KVM_EXIT_IOAPIC_EOI: run->eoi.vector */
		v->eoi_exits++;
		chipset_eoi(vm->cs, run->eoi.vector);
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		break;                   /* vcpu_service() injects */
	case KVM_EXIT_SHUTDOWN:
		/* No registers: on AMD, KVM reinitialises the VMCB at the
		 * SHUTDOWN intercept, so RIP reads 0xfff0 as if the vCPU had been
		 * reset - it was not (--stats counts any INIT the chipset sent). */
		{
			char m[96];

			snprintf(m, sizeof(m), "vCPU %u: guest triple fault (KVM_EXIT_SHUTDOWN)", v->id);
			vm_request_exit(vm, VM_EXIT_ERROR, 1, m);
		}
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			vm_request_exit(vm, VM_EXIT_SHUTDOWN, 0, "KVM system event: shutdown");
		else if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_request_exit(vm, VM_EXIT_RESET, 0, "KVM system event: reset");
		else
			vcpu_fail(v, "KVM_EXIT_SYSTEM_EVENT type %u", run->system_event.type);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_fail(v, "KVM_EXIT_FAIL_ENTRY: hardware_entry_failure_reason 0x%llx",
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR: {
		char extra[160] = "";
		unsigned i, n = run->internal.ndata < 4 ? run->internal.ndata : 4;
		size_t o = 0;

		for (i = 0; i < n && o < sizeof(extra); i++)
			o += (size_t)snprintf(extra + o, sizeof(extra) - o, " data[%u]=0x%llx", i,
					      (unsigned long long)run->internal.data[i]);
		vcpu_fail(v, "KVM_EXIT_INTERNAL_ERROR: suberror %u%s", run->internal.suberror, extra);
		break;
	}
	case KVM_EXIT_UNKNOWN:
		vcpu_fail(v, "KVM_EXIT_UNKNOWN: hardware_exit_reason 0x%llx",
			  (unsigned long long)run->hw.hardware_exit_reason);
		break;
	default:
		vcpu_fail(v, "unhandled exit %s (reason %u)",
			  vm_exit_reason_name(run->exit_reason) ? vm_exit_reason_name(run->exit_reason)
								: "?", run->exit_reason);
		break;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct sigevent sev;
	sigset_t set;

	tls_run = v->run;
	sigemptyset(&set);
	sigaddset(&set, VM_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = VM_KICK_SIGNAL;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &v->timer)) {
		vcpu_fail(v, "timer_create: %s", strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&v->timer_lock);
	v->timer_ok = true;
	pthread_mutex_unlock(&v->timer_lock);

	while (!atomic_load(&vm->stopping)) {
		vcpu_service(v);
		if (atomic_load(&vm->stopping))
			break;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->kicked_runs++;
				continue;
			}
			vcpu_fail(v, "KVM_RUN: %s", strerror(errno));
			break;
		}
		handle_exit(v);
	}
	pthread_mutex_lock(&v->timer_lock);
	v->timer_ok = false;
	timer_delete(v->timer);
	pthread_mutex_unlock(&v->timer_lock);
	tls_run = NULL;
	return NULL;
}

/*
 * Main thread: wait for the stop event; forward a terminal on stdin to the
 * UART receiver, never more than it holds (the guest paces the input).
 */
static void main_loop(struct vm *vm)
{
	bool use_stdin = vm->opt->serial == NULL && isatty(STDIN_FILENO);
	bool rx_full = false;

	while (!atomic_load(&vm->stopping)) {
		struct pollfd p[2] = { { vm->stop_efd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
		bool intr = atomic_load(&vm->pic_level);
		bool watch_stdin = use_stdin && !rx_full;
		/* 10 ms while INT is high (stale LVT0 re-kicks) or the receiver is
		 * full (look again), else 100 ms */
		int n = poll(p, watch_stdin ? 2 : 1, intr || rx_full ? 10 : 100);

		if (n < 0 && errno != EINTR)
			break;
		/* INT held high: vCPUs whose LVT0 sample is stale look again */
		if (intr && atomic_load(&vm->pic_level))
			kick_lint0(vm, true);
		rx_full = false;
		if (use_stdin && (!watch_stdin || (n > 0 && (p[1].revents & (POLLIN | POLLHUP))))) {
			uint8_t buf[UART_FIFO_LEN];
			unsigned room;
			ssize_t r;

			if (!watch_stdin) {
				/* we skipped stdin while the receiver was full: is it readable? */
				struct pollfd q = { STDIN_FILENO, POLLIN, 0 };

				if (poll(&q, 1, 0) <= 0 || !(q.revents & (POLLIN | POLLHUP)))
					continue;
			}
			pthread_mutex_lock(&vm->devs.uart.lock);
			room = vm_uart_rx_room(&vm->devs.uart);
			pthread_mutex_unlock(&vm->devs.uart.lock);
			if (!room) {
				rx_full = true;  /* guest has not drained the receiver */
				continue;
			}
			r = read(STDIN_FILENO, buf, room);
			if (r <= 0) {
				use_stdin = false;
				continue;
			}
			pthread_mutex_lock(&vm->devs.uart.lock);
			vm_uart_receive(&vm->devs.uart, buf, (unsigned)r);
			pthread_mutex_unlock(&vm->devs.uart.lock);
		}
	}
}

int vm_run(struct vm *vm)
{
	sigset_t set, old;
	unsigned i;
	int kind;

	/* vCPU threads unblock the kick signal themselves; nobody else takes it */
	sigemptyset(&set);
	sigaddset(&set, VM_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int r = pthread_create(&v->thread, NULL, vcpu_thread, v);

		if (r) {
			err("cannot start vCPU thread %u: %s", i, strerror(r));
			vm_request_exit(vm, VM_EXIT_ERROR, 1, "cannot start vCPU threads");
			break;
		}
		atomic_store(&v->started, true);
	}
	main_loop(vm);
	for (i = 0; i < vm->ncpus; i++)
		if (atomic_load(&vm->vcpus[i].started)) {
			vcpu_kick(&vm->vcpus[i], VCPU_PEND_STOP);
			pthread_join(vm->vcpus[i].thread, NULL);
			atomic_store(&vm->vcpus[i].started, false);
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	kind = atomic_load(&vm->exit_kind);
	if (kind == VM_EXIT_ERROR && vm->exit_msg[0])
		err("%s", vm->exit_msg);
	return kind == VM_EXIT_NONE ? 1 : vm->exit_status;
}

void vm_collect_stats(struct vm *vm, struct vm_stats *st)
{
	unsigned i, r;

	memset(st, 0, sizeof(*st));
	st->ncpus = vm->ncpus;
	for (i = 0; vm->vcpus && i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		for (r = 0; r < VM_NR_EXIT_REASONS; r++)
			st->exits[r] += v->exits[r];
		st->eoi_exits += v->eoi_exits;
		st->extint_injected += v->extint_injected;
		st->nmis_injected += v->nmis_injected;
		st->window_requests += v->window_requests;
		st->kicked_runs += v->kicked_runs;
	}
	st->unassigned_pio = vm->devs.unassigned_pio;
	st->coalesced_pio = atomic_load(&vm->coalesced_writes);
	st->unassigned_mmio = vm->devs.unassigned_mmio;
	st->uart_tx = vm->devs.uart.tx_bytes;
	st->uart_rx = vm->devs.uart.rx_bytes;
	{
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0)
			st->max_rss_kib = (uint64_t)ru.ru_maxrss;
	}
	if (vm->cs)
		chipset_get_stats(vm->cs, &st->cs);
}

void vm_destroy(struct vm *vm)
{
	unsigned i;

	for (i = 0; vm->vcpus && i < vm->ncpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	if (vm->cs)
		chipset_destroy(vm->cs);
	vm->cs = NULL;
	if (vm->hc_ok)
		sc_host_clock_destroy(&vm->hc);
	vm->hc_ok = false;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->serial_fd > STDERR_FILENO)
		close(vm->serial_fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	vm->ram = NULL;
}
