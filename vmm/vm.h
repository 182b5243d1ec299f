/* SPDX-License-Identifier: MIT */
/*
 * splitvm runtime: one VM, its vCPU threads and the KVM glue (vm.c).
 * See docs/SPLITVM.md for the thread, timer and locking design.
 */
#ifndef SPLITVM_VM_H
#define SPLITVM_VM_H

#include <pthread.h>
#include <signal.h>
#include <splitchip/clock.h>
#include <splitchip/kvm_lint0.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "chipset.h"
#include "devices.h"
#include "linux.h"
#include "multiboot.h"
#include "options.h"
#include "stats.h"

#define VM_KICK_SIGNAL     SIGUSR1

/* vcpu.pending bits: work posted by other threads */
#define VCPU_PEND_PIC    (1u << 0)   /* PIC INT rose or is held: present it */
#define VCPU_PEND_NMI    (1u << 1)   /* PIT tick for an NMI-mode LINT0 */
#define VCPU_PEND_TIMER  (1u << 2)   /* re-arm the per-thread timer */
#define VCPU_PEND_STOP   (1u << 3)

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	_Atomic bool started;
	_Atomic unsigned pending;
	/* per-thread POSIX timer (SIGEV_THREAD_ID) for this vCPU's clock queue */
	timer_t timer;
	bool timer_ok;
	pthread_mutex_t timer_lock;   /* serialises re-arming of @timer */
	/* LINT0: LVT0 as last sampled with KVM_GET_LAPIC on this thread, and
	 * the INT edges presented (splitchip/kvm_lint0.h; this thread only) */
	struct sc_kvm_lint0 lint0;
	_Atomic uint64_t lvt0_time;   /* CLOCK_MONOTONIC ns of the sample */
	_Atomic bool lint0_nmi;       /* cached: LVT0 unmasked, delivery mode NMI */
	_Atomic bool lint0_live;      /* cached: LVT0 unmasked ExtINT or NMI */
	uint64_t pit_delivered_seen, pic_edges_seen;
	uint64_t exits[VM_NR_EXIT_REASONS];
	uint64_t eoi_exits, extint_injected, nmis_injected, window_requests;
	uint64_t kicked_runs; /* KVM_RUN returned EINTR: a kick or timer signal */
};

struct vm {
	struct vm_options *opt;
	int kvm_fd, vm_fd;
	size_t run_size;
	uint8_t *ram;
	uint64_t ram_size, low_size, high_size;
	struct mb_boot boot;
	bool linux_boot;                    /* --kernel is a bzImage: @lx, not @boot */
	struct lx_boot lx;
	struct sc_host_clock hc;
	bool hc_ok;
	struct chipset *cs;
	struct vm_devs devs;
	int serial_fd;
	unsigned ncpus;
	struct vcpu *vcpus;
	_Atomic bool pic_level;
	_Atomic uint64_t pic_edges;
	_Atomic bool stopping;
	_Atomic int exit_kind;
	int exit_status;
	int stop_efd;
	pthread_mutex_t exit_lock;
	char exit_msg[512];
	/* KVM's coalesced-PIO ring (api.rst, KVM_REGISTER_COALESCED_MMIO): one
	 * page, the same in every vCPU's kvm_run mapping; NULL when unused. */
	struct kvm_coalesced_mmio_ring *coalesced;
	uint32_t coalesced_max;             /* entries the ring holds */
	pthread_mutex_t coalesced_lock;     /* covers ring->first and the replay */
	_Atomic uint64_t coalesced_writes;  /* replayed writes */
};

/* Steps of a run; each prints its own "splitvm: ..." error and returns -1. */
int vm_prepare(struct vm *vm, struct vm_options *opt);    /* RAM, image, tables, chips */
int vm_open_kvm(struct vm *vm);                            /* /dev/kvm, caps, VM, vCPUs */
int vm_run(struct vm *vm);                                 /* returns the exit status */
void vm_collect_stats(struct vm *vm, struct vm_stats *st);
void vm_destroy(struct vm *vm);

/* Record why the VM stops (first caller wins) and stop every vCPU. */
void vm_request_exit(struct vm *vm, enum vm_exit_kind kind, int status, const char *msg);

#endif
