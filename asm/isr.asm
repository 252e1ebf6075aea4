; isr.asm: the entry stubs for every interrupt vector Koiz handles: the 32
; CPU exceptions (0-31) and the 16 PIC IRQs remapped to 32-47. Each stub
; pushes the same frame (a dummy error code where the CPU pushes none, then
; the vector) and jumps to one common path that saves all registers and
; calls the C dispatcher trap_dispatch(struct trapframe *).
%include "layout.inc"

extern trap_dispatch

; Exceptions where the CPU itself pushes an error code (Intel SDM vol. 3, 6.3.1).
%macro STUB_ERRCODE 1
isr_%1:
        push dword %1
        jmp trap_common
%endmacro

%macro STUB_NOERRCODE 1
isr_%1:
        push dword 0
        push dword %1
        jmp trap_common
%endmacro

section .text
%assign v 0
%rep 48
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
        STUB_ERRCODE v
%else
        STUB_NOERRCODE v
%endif
%assign v v + 1
%endrep

; int 0x80, the system call: a frame like the others, vector 128.
global isr_syscall
isr_syscall:
        push dword 0
        push dword 0x80
        jmp trap_common

trap_common:
        pusha
        push ds
        push es
        push fs
        push gs
        mov ax, KERNEL_DS
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        cld
        push esp                        ; struct trapframe *
        call trap_dispatch
        add esp, 4
global trap_return
trap_return:
        pop gs
        pop fs
        pop es
        pop ds
        popa
        add esp, 8                      ; vector and error code
        iret

; void enter_user(uint32_t eip, uint32_t esp): drop to ring 3 at eip with the
; stack at esp, interrupts on, user data segments loaded. Never returns here:
; the task comes back to the kernel only through a trap.
global enter_user
enter_user:
        mov ecx, [esp + 4]              ; eip
        mov edx, [esp + 8]              ; esp
        mov ax, 0x23                    ; USER_DS
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        push dword 0x23                 ; ss
        push edx                        ; esp
        pushfd
        or dword [esp], 0x200           ; IF
        push dword 0x1B                 ; cs: USER_CS
        push ecx                        ; eip
        iretd

; The stubs' addresses, for idt.c to put into gates.
section .rodata
global trap_stubs
trap_stubs:
%macro STUB_ADDRESS 1
        dd isr_%1
%endmacro
%assign v 0
%rep 48
        STUB_ADDRESS v
%assign v v + 1
%endrep
