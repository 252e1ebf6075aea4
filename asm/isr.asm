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
