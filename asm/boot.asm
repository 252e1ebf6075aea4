; boot.asm: the first code that runs. GRUB legacy loads the kernel at 1 MiB
; with paging off and jumps to _start with EAX = the multiboot magic and EBX =
; the physical address of the multiboot information.
;
; The kernel is linked at KERNEL_BASE + 1 MiB, so before any C runs we map
; the first 4 MiB of physical memory twice, at 0 (so this code keeps running
; after paging turns on) and at KERNEL_BASE, with one 4 KiB-page table: a
; 486 has no 4 MiB pages. vmm later builds the real kernel map and drops the
; identity half. EAX and EBX travel in ESI/EDI untouched, so kmain can judge
; the magic itself and say clearly when it is wrong.
%include "layout.inc"

; The physical address of a kernel symbol: x - KERNEL_BASE, written as an
; addition modulo 2^32 so YASM never sees a negative 32-bit value.
%define PHYS(x) ((x) + 0x40000000)

section .multiboot
align 4
        dd MULTIBOOT_MAGIC
        dd MULTIBOOT_FLAGS
        dd -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

section .boot.text progbits alloc exec nowrite align=16
global _start
_start:
        cli
        cld
        mov esi, eax                    ; multiboot magic (checked by kmain)
        mov edi, ebx                    ; multiboot info, physical

        ; Zero the boot directory: the loader's zeroing of .bss is not ours to trust.
        mov ebx, edi
        mov edi, PHYS(boot_page_dir)
        xor eax, eax
        mov ecx, 1024
        rep stosd
        mov edi, ebx

        ; boot_page_table[i] = i * 4 KiB | present | writable, for the first 4 MiB.
        mov edx, PHYS(boot_page_table)
        xor ecx, ecx
.fill:  mov eax, ecx
        shl eax, 12
        or eax, 3
        mov [edx + ecx * 4], eax
        inc ecx
        cmp ecx, 1024
        jne .fill

        mov eax, PHYS(boot_page_table)
        or eax, 3
        mov [PHYS(boot_page_dir)], eax
        mov [PHYS(boot_page_dir) + (KERNEL_BASE >> 22) * 4], eax

        mov eax, PHYS(boot_page_dir)
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000              ; PG, and WP so the kernel too obeys read-only pages
        mov cr0, eax

        mov eax, higher_half
        jmp eax

extern kmain

section .text
higher_half:
        mov esp, boot_stack_top
        xor ebp, ebp                    ; ends stack walks
        push edi                        ; kmain(magic, info_phys)
        push esi
        call kmain
.hang:  cli
        hlt
        jmp .hang

section .bss
align 4096
global boot_page_dir
boot_page_dir:   resb 4096
global boot_page_table
boot_page_table: resb 4096
global boot_stack_bottom
boot_stack_bottom:
        resb BOOT_STACK_SIZE
global boot_stack_top
boot_stack_top:
