; cpu.asm: small privileged operations C cannot express: loading the GDT,
; IDT and task register, and a setjmp/longjmp pair the self-tests use to
; come back from a fault they provoked on purpose.
%include "layout.inc"

section .text

; void gdt_load(const struct dtr *gdtr): load the GDT, then reload every
; segment register so the CPU drops the loader's cached descriptors.
global gdt_load
gdt_load:
        mov eax, [esp + 4]
        lgdt [eax]
        mov ax, KERNEL_DS
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        jmp KERNEL_CS:.reload_cs
.reload_cs:
        ret

; void idt_load(const struct dtr *idtr)
global idt_load
idt_load:
        mov eax, [esp + 4]
        lidt [eax]
        ret

; void tss_load(uint16_t selector)
global tss_load
tss_load:
        mov ax, [esp + 4]
        ltr ax
        ret

; int ksetjmp(struct kjmp *j): saves the callee-saved registers, the stack
; pointer and the return address; returns 0 now and the value passed to
; klongjmp later. Layout: ebx, esi, edi, ebp, esp, eip.
global ksetjmp
ksetjmp:
        mov eax, [esp + 4]
        mov [eax + 0], ebx
        mov [eax + 4], esi
        mov [eax + 8], edi
        mov [eax + 12], ebp
        lea ecx, [esp + 4]              ; the caller's esp after we return
        mov [eax + 16], ecx
        mov ecx, [esp]
        mov [eax + 20], ecx
        xor eax, eax
        ret

; void klongjmp(struct kjmp *j, int value)  (never returns)
global klongjmp
klongjmp:
        mov edx, [esp + 4]
        mov eax, [esp + 8]
        test eax, eax
        jnz .nonzero
        inc eax                         ; setjmp must see a non-zero value
.nonzero:
        mov ebx, [edx + 0]
        mov esi, [edx + 4]
        mov edi, [edx + 8]
        mov ebp, [edx + 12]
        mov esp, [edx + 16]
        jmp [edx + 20]
