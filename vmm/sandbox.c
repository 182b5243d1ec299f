/* SPDX-License-Identifier: MIT */
/*
 * splitvm's seccomp sandbox (docs/SPLITVM.md "Sandbox"), built with
 * libseccomp.  The allow list is what the running VM was seen to need
 * (strace -f of the guest suite on the fake KVM and of the hostile guest on
 * the nested real KVM), grouped by the code that needs it:
 *
 *  - the vCPU loop and the chipset's outputs: ioctl with the KVM numbers
 *    below only (vm.c: KVM_RUN and the exit handling, the ops_* callbacks),
 *    and TCGETS (isatty() in the main loop);
 *  - kicks and per-vCPU timers: tgkill/getpid (pthread_kill), rt_sigreturn,
 *    rt_sigprocmask, timer_create/settime/delete, gettid, clock_gettime and
 *    clock_nanosleep/nanosleep (vDSO fallback; the fake KVM naps);
 *  - the main loop and devices: read, write, poll/ppoll (stop eventfd,
 *    stdin, the serial file), futex (mutexes, joins);
 *  - thread start and end (vm_run creates the vCPU threads after the filter
 *    is in: clone only with CLONE_THREAD, i.e. no fork; clone3 answers
 *    ENOSYS so glibc falls back to clone, whose flags seccomp can see),
 *    mmap/mprotect without PROT_EXEC (W^X: nothing maps code after setup),
 *    munmap, madvise, set_robust_list, rseq, exit;
 *    rt_sigaction for signals 32 and 33 only (glibc's first pthread_create
 *    installs its SIGCANCEL/SIGSETXID handlers);
 *  - malloc (brk, mmap, mremap) and the end of the run: getrusage
 *    (--stats), close, munmap (vm_destroy), exit_group.
 *
 * Not allowed, among everything else: open/openat, execve, socket, connect,
 * fork, ptrace, rt_sigaction except for glibc's two internal signals (a
 * compromised VMM cannot replace the SIGSYS handler), mmap with PROT_EXEC, any other ioctl.
 *
 * Default action: SCMP_ACT_TRAP.  The kernel refuses the call and sends
 * SIGSYS to the calling thread; the handler below writes
 * "splitvm: seccomp: forbidden syscall N (name)" with write(2) and calls
 * _exit(1).  SCMP_ACT_KILL_PROCESS would be as strict but silent (the
 * shell sees status 159 and the syscall number is only in the audit log),
 * which makes a filter that misses a syscall on some kernel or libc hard to
 * diagnose.  TRAP is no weaker: the call is never executed; a thread that
 * blocks SIGSYS is killed by the kernel anyway (seccomp forces the signal
 * and resets a blocked or ignored handler to the default action), and the
 * handler cannot be replaced without rt_sigaction.
 *
 * Sanitizer builds (ASan, which includes LeakSanitizer) read /proc/self/maps
 * and /proc/self/task (getdents, not getdents64, in GCC 12's runtime), ptrace
 * from a helper clone and call sigaltstack and rt_sigaction when they report
 * or check for leaks at exit: those calls are allowed in ASan builds only, so
 * reports keep working (unsymbolized: the symbolizer would need execve; run
 * with ASAN_OPTIONS=symbolize=0 and symbolize offline).  LeakSanitizer's
 * helper runs with every signal but the fatal ones blocked: a call missing
 * here kills it silently and the exit-time leak check then waits forever,
 * so a hang at exit of an ASan splitvm points here.
 */
#include "sandbox.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

/* ioctl numbers of the running VM (vm.c); setup-only ones are not here */
static const unsigned long allowed_ioctls[] = {
	KVM_RUN,                 /* vcpu_thread */
	KVM_INTERRUPT,           /* present_pic: ExtINT */
	KVM_NMI,                 /* inject_nmi: LINT0 in NMI mode */
	KVM_GET_LAPIC,           /* refresh_lvt0 */
	KVM_GET_REGS,            /* vcpu_fail: rip in the error */
	KVM_SIGNAL_MSI,          /* ops_send_msi: IOAPIC/HPET messages */
	KVM_SET_GSI_ROUTING,     /* ops_set_routes: redirection table mirror */
	KVM_IRQ_LINE,            /* ops_irq_line: kernel irqchip mode */
	KVM_GET_PIT2,            /* ops_pit_hpet_legacy: kernel irqchip mode */
	KVM_SET_PIT2,
	TCGETS,                  /* isatty(stdin) in main_loop */
};

static const int allowed_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(futex), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(timer_create), SCMP_SYS(timer_settime),
	SCMP_SYS(timer_delete), SCMP_SYS(tgkill), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(munmap),
	SCMP_SYS(madvise), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(getrusage),
	SCMP_SYS(close), SCMP_SYS(sched_yield),
	SCMP_SYS(getrandom),     /* vm_getrandom: virtio-rng requests */
};

#ifdef SANDBOX_ASAN
static const int asan_syscalls[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(readlink),
	SCMP_SYS(readlinkat), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	SCMP_SYS(ptrace), SCMP_SYS(prctl), SCMP_SYS(wait4), SCMP_SYS(sigaltstack),
	SCMP_SYS(rt_sigaction), SCMP_SYS(getppid), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(pipe2), SCMP_SYS(dup2),
};
#endif

/* Syscall names, resolved before the filter goes in (the SIGSYS handler
 * may not allocate).  Process-wide by nature: a signal handler has no
 * argument to carry them. */
#define SANDBOX_NAMES 512
static char sys_names[SANDBOX_NAMES][24];

static size_t put_str(char *b, size_t o, size_t n, const char *s)
{
	while (*s && o < n)
		b[o++] = *s++;
	return o;
}

static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	char buf[96], num[12];
	int nr = si->si_syscall, i = 0;
	unsigned u = nr < 0 ? 0u : (unsigned)nr;
	size_t o = 0;

	(void)sig; (void)uc;
	do
		num[i++] = (char)('0' + u % 10);
	while ((u /= 10) && i < (int)sizeof(num));
	o = put_str(buf, o, sizeof(buf), "splitvm: seccomp: forbidden syscall ");
	while (i > 0 && o < sizeof(buf))
		buf[o++] = num[--i];
	o = put_str(buf, o, sizeof(buf), " (");
	o = put_str(buf, o, sizeof(buf),
		    nr >= 0 && nr < SANDBOX_NAMES && sys_names[nr][0] ? sys_names[nr] : "?");
	o = put_str(buf, o, sizeof(buf), ")\n");
	if (write(STDERR_FILENO, buf, o) < 0) {
		/* nothing left to report it with */
	}
	_exit(1);
}

static void resolve_names(void)
{
	int n;

	for (n = 0; n < SANDBOX_NAMES; n++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, n);

		if (s) {
			snprintf(sys_names[n], sizeof(sys_names[n]), "%s", s);
			free(s);
		}
	}
}

static int add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned nargs,
	       const struct scmp_arg_cmp *args, const char *what)
{
	int r = seccomp_rule_add_array(ctx, action, nr, nargs, args);

	if (r < 0)
		fprintf(stderr, "splitvm: seccomp: cannot add the rule for %s: %s\n", what,
			strerror(-r));
	return r;
}

int vm_sandbox_enter(void)
{
	scmp_filter_ctx ctx;
	struct sigaction sa;
	unsigned i;
	int r = -1;

	resolve_names();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL)) {
		fprintf(stderr, "splitvm: seccomp: sigaction(SIGSYS): %s\n", strerror(errno));
		return -1;
	}
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		fprintf(stderr, "splitvm: seccomp: seccomp_init failed\n");
		return -1;
	}
	/* every thread, including any made before this point */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0) {
		fprintf(stderr, "splitvm: seccomp: this kernel cannot synchronise the filter "
			"across threads (SECCOMP_FILTER_FLAG_TSYNC)\n");
		goto out;
	}
	for (i = 0; i < sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]); i++)
		if (add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0, NULL, "a syscall") < 0)
			goto out;
	for (i = 0; i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]); i++) {
		/* the kernel takes the ioctl command as unsigned int: compare those bits */
		struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
						allowed_ioctls[i] & 0xffffffffu);

		if (add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &c, "ioctl") < 0)
			goto out;
	}
	{
		/* W^X: no executable mapping after setup */
		struct scmp_arg_cmp c = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
		/* threads only: a clone without CLONE_THREAD would be a fork */
		struct scmp_arg_cmp t = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);

		if (add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, &c, "mmap") < 0 ||
		    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, &c, "mprotect") < 0 ||
		    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &t, "clone") < 0 ||
		    add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL, "clone3") < 0)
			goto out;
	}
	{
		/* glibc's first pthread_create installs its internal handlers for
		 * SIGCANCEL and SIGSETXID (kernel signals 32 and 33); nothing else */
		struct scmp_arg_cmp c32 = SCMP_A0(SCMP_CMP_EQ, 32), c33 = SCMP_A0(SCMP_CMP_EQ, 33);

		if (add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1, &c32, "rt_sigaction") < 0 ||
		    add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigaction), 1, &c33, "rt_sigaction") < 0)
			goto out;
	}
#ifdef SANDBOX_ASAN
	for (i = 0; i < sizeof(asan_syscalls) / sizeof(asan_syscalls[0]); i++)
		if (add(ctx, SCMP_ACT_ALLOW, asan_syscalls[i], 0, NULL, "a sanitizer syscall") < 0)
			goto out;
	/* LeakSanitizer's tracer is a clone without CLONE_THREAD */
	if (add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0, NULL, "clone (LeakSanitizer)") < 0)
		goto out;
#endif
	r = seccomp_load(ctx);
	if (r < 0) {
		fprintf(stderr, "splitvm: seccomp: cannot load the filter: %s "
			"(--no-sandbox runs without it)\n", strerror(-r));
		r = -1;
		goto out;
	}
	r = 0;
out:
	seccomp_release(ctx);
	return r;
}
