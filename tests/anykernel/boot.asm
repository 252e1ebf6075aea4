; boot.asm: the entry of the test kernel that is not Koiz (tests/anykernel).
; A multiboot header (QEMU's -kernel loads it), its own flat GDT, a stack,
; then kmain(magic, info) in C. Also the few instructions C cannot say:
; control registers and port I/O.

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00000003              ; page-aligned modules, memory info
STACK_SIZE      equ 16384

section .multiboot
align 4
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)

section .data
align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF               ; 0x08: code, flat 4 GiB, ring 0
        dq 0x00CF92000000FFFF               ; 0x10: data, flat 4 GiB, ring 0
gdt_ptr:
        dw gdt_ptr - gdt - 1
        dd gdt

section .bss
align 16
stack:  resb STACK_SIZE
stack_top:

section .text
global _start
extern kmain
_start:
        cli
        mov esp, stack_top
        lgdt [gdt_ptr]
        jmp 0x08:.reload
.reload:
        mov cx, 0x10
        mov ds, cx
        mov es, cx
        mov fs, cx
        mov gs, cx
        mov ss, cx
        push ebx                            ; multiboot info
        push eax                            ; magic
        call kmain
global halt_forever
halt_forever:
        cli
.again: hlt
        jmp .again

; uint32_t read_cr0(void), and so on; void write_cr0(uint32_t v), and so on.
%macro CR_ACCESS 1
global read_cr%1
read_cr%1:
        mov eax, cr%1
        ret
global write_cr%1
write_cr%1:
        mov eax, [esp + 4]
        mov cr%1, eax
        ret
%endmacro
        CR_ACCESS 0
        CR_ACCESS 3
        CR_ACCESS 4

; uint64_t read_tsc(void): under QEMU it counts only while the guest runs
global read_tsc
read_tsc:
        rdtsc
        ret

; void outb(uint16_t port, uint8_t value); uint8_t inb(uint16_t port)
global outb
outb:
        mov edx, [esp + 4]
        mov eax, [esp + 8]
        out dx, al
        ret
global inb
inb:
        mov edx, [esp + 4]
        xor eax, eax
        in al, dx
        ret
