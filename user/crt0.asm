; crt0.asm: where a user program starts. The kernel enters it in ring 3 with
; ESP at the top of the program's stack; _start calls main and hands its
; return value to exit, so `return 0;` from main ends the program cleanly.
SYS_EXIT equ 1

section .text
extern main
global _start
_start:
        xor ebp, ebp                    ; ends stack walks
        call main
        mov ebx, eax
        mov eax, SYS_EXIT
        int 0x80
.never: jmp .never
