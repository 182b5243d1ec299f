/* SPDX-License-Identifier: MIT */
/*
 * Multiboot v1 entry (Multiboot Specification 0.6.96, 3.1 and 3.2), GDT,
 * interrupt stubs and the INIT/SIPI trampoline (MultiProcessor Specification
 * 1.4, appendix B.4: the AP starts in real mode at vector << 12).
 */
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000003   /* page-align modules, want mem info */
#define TRAMP_BASE 0x8000

	.section .multiboot, "a"
	.align 4
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, %esi                 /* multiboot magic */
	movl %ebx, %edi                 /* multiboot info */
	lgdt gdtr
	ljmp $0x08, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	/* zero .bss (the loader should, but do not rely on it) */
	movl %edi, %edx
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl $bsp_stack_top, %esp
	pushl %edx
	pushl %esi
	call boot_main
2:	cli
	hlt
	jmp 2b

/* ---- AP trampoline, copied to TRAMP_BASE; SIPI vector TRAMP_BASE >> 12 ---- */
	.globl tramp_start, tramp_end
	.code16
tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl (tramp_gdtr - tramp_start)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $ap_entry32
	.align 4
tramp_gdtr:
	.word gdt_end - gdt - 1
	.long gdt
tramp_end:

	.code32
ap_entry32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl $1, %eax
	lock xaddl %eax, ap_next_stack
	cmpl $63, %eax                   /* 63 AP stacks (MAX_CPUS - 1); later APs park */
	jae 3f
	incl %eax
	shll $13, %eax                   /* 8 KiB per AP */
	addl $ap_stacks, %eax
	movl %eax, %esp
	call ap_main
3:	cli
	hlt
	jmp 3b

/* ---- interrupt stubs: 16 bytes each, vector n at isr_stubs + 16 * n ---- */
	.align 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushl $0
	.endif
	pushl $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushal
	pushl %esp
	call isr_dispatch
	addl $4, %esp
	cmpl $2, 32(%esp)               /* the stub's vector: NMI? */
	popal                           /* POPA, LEA and POP leave EFLAGS alone */
	leal 8(%esp), %esp
	je nmi_return
	/*
	 * Return without IRET.  KVM's instruction emulator implements IRET
	 * only in real mode (arch/x86/kvm/emulate.c, em_iret), and a software
	 * hypervisor that runs guest CPL 0 through it (kvm_pvm) stops the vCPU
	 * on a protected-mode IRET with KVM_INTERNAL_ERROR_EMULATION.  A
	 * same-privilege IRET pops EIP, CS, EFLAGS (SDM vol. 2A, IRET); CS is
	 * our flat 0x08 throughout, so POPF + RET does the same: the frame
	 * [EIP][CS][EFLAGS] becomes [EFLAGS][EIP][-] and RET $4 drops the
	 * rest.  IF is restored by STI, not by the POPF: STI's one-instruction
	 * interrupt shadow (SDM vol. 2B, STI) makes the RET atomic with it, as
	 * IRET is; with IF from the POPF an interrupt could nest at the RET,
	 * and an interrupt storm (owed ticks delivered back to back on a slow
	 * CPU) nested there level after level until the stack ran into the
	 * IDT (#GP on delivery, seen on the nested KVM).
	 * What IRET does and this does not: unblock NMIs.  So the NMI handler
	 * returns with IRET (SDM vol. 3A, 6.7.1: NMIs stay blocked "until the
	 * next IRET"); on kvm_pvm that stops the vCPU, so guests that take
	 * NMIs cannot run there (docs/CONFORMANCE.md).
	 */
	pushl %eax
	pushl %ecx                      /* [ecx][eax][eip][cs][eflags] */
	movl 8(%esp), %eax
	movl 16(%esp), %ecx
	movl %eax, 12(%esp)             /* [ecx][eax][eip][eip][eflags] */
	movl %ecx, %eax
	andl $~0x200, %eax
	movl %eax, 8(%esp)              /* [ecx][eax][eflags & ~IF][eip][eflags] */
	testl $0x200, %ecx              /* did the interrupted code run with IF? */
	popl %ecx
	popl %eax                       /* POP leaves EFLAGS alone */
	jz 1f
	popfl
	sti                             /* IF back; the shadow covers the RET */
	ret $4
1:	popfl
	ret $4
nmi_return:
	iret

/* ---- GDT: null, flat 32-bit code 0x08, flat data 0x10 ---- */
	.data
	.align 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF
	.quad 0x00CF92000000FFFF
gdt_end:
	.align 4
	.word 0
gdtr:
	.word gdt_end - gdt - 1
	.long gdt

	.globl ap_next_stack
ap_next_stack:
	.long 0

	.bss
	.align 16
	.space 16384
bsp_stack_top:
	.globl ap_stacks
ap_stacks:
	.space 8192 * 63

	.section .note.GNU-stack, "", @progbits
