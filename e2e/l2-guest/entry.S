/*
 * entry.S: Multiboot header, BSP entry, GDT, exception stubs, and the
 * real-mode trampoline that brings the AP to 32-bit protected mode.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0              /* ELF kernel: QEMU loads it by its program headers */
#define CODE_SEL 0x08
#define DATA_SEL 0x10
#define STACK_SIZE 16384
#define MAX_APS 3              /* the soak runs 3 vCPUs: the BSP and two APs */

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .text
        .code32
        .globl _start
/* Multiboot: EAX = magic, EBX = info, flat 32-bit segments of the loader's GDT */
_start:
        cli
        cld
        lgdt gdt_desc           /* our own GDT: the loader's may be gone */
        ljmp $CODE_SEL, $1f
1:      movl $DATA_SEL, %ecx
        movl %ecx, %ds
        movl %ecx, %es
        movl %ecx, %fs
        movl %ecx, %gs
        movl %ecx, %ss
        movl %eax, %esi         /* rep stosb needs EAX */
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        subl %edi, %ecx
        xorl %eax, %eax
        rep stosb               /* zero .bss (the stacks too) before any C */
        movl $bsp_stack_top, %esp
        pushl %ebx
        pushl %esi
        call guest_main         /* guest_main(magic, info) does not return */
2:      cli
        hlt
        jmp 2b

/*
 * Exception stubs: push a zero where the CPU pushes no error code, then the
 * vector, so that every frame looks the same to exception() (lib.c).
 */
.macro EXC vec
exc_\vec:
        .if !(\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
        pushl $0
        .endif
        pushl $\vec
        jmp exc_common
.endm

        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        EXC \v
        .endr

exc_common:
        pushal
        pushl %esp              /* struct frame * */
        call exception          /* does not return */
3:      cli
        hlt
        jmp 3b

/*
 * The AP trampoline, copied below 1 MiB (the SIPI vector gives CS = 0x800
 * for 0x8000, IP = 0). Position independent: DS = CS, offsets from its start.
 */
        .code16
        .globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
        cli
        cld
        movw %cs, %ax
        movw %ax, %ds
        lgdtl ap_tramp_gdt - ap_tramp_start
        movl %cr0, %eax
        orl $1, %eax            /* PE */
        movl %eax, %cr0
        ljmpl $CODE_SEL, $ap_entry32    /* absolute: the image at 1 MiB */
        .align 4
ap_tramp_gdt:
        .word gdt_end - gdt - 1
        .long gdt
ap_tramp_end:

        .code32
ap_entry32:
        movl $DATA_SEL, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %fs
        movl %eax, %gs
        movl %eax, %ss
        /* Each AP its own stack: the n-th to arrive takes the n-th (0-based). */
        movl $1, %eax
        lock xaddl %eax, ap_next
        cmpl $MAX_APS, %eax
        jae 5f                  /* more CPUs than stacks: this one halts */
        movl %eax, %ecx
        incl %ecx
        imull $STACK_SIZE, %ecx
        addl $ap_stacks, %ecx
        movl %ecx, %esp
        lidt idt_desc           /* the BSP's IDT: an AP fault is reported too */
        pushl %eax
        call ap_main            /* ap_main(index) */
5:      cli
        hlt
        jmp 5b

        .section .rodata
        .align 4
        .globl exc_stubs
exc_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long exc_\v
        .endr

        .data
        .align 8
gdt:
        .quad 0
        .quad 0x00cf9a000000ffff        /* CODE_SEL: base 0, 4 GiB, 32-bit, execute/read */
        .quad 0x00cf92000000ffff        /* DATA_SEL: base 0, 4 GiB, read/write */
gdt_end:
gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt

        .bss
        .align 16
        .space STACK_SIZE
bsp_stack_top:
        .globl ap_stacks
ap_stacks:
        .space STACK_SIZE * MAX_APS
        .align 4
        .globl ap_next
ap_next:
        .long 0

        .section .note.GNU-stack, "", @progbits
