; paging.asm: switching to a page directory, as in the seed: the directory's
; physical address arrives in ECX (GCC's fastcall convention), so no stack
; argument can be misread on the way into CR3.
;
; Paging is already on when this runs (asm/boot.asm's boot map), so setting
; CR0.PG again changes nothing; the same code also works from paging-off,
; which is how the seed used it. CR0.WP makes read-only pages bind ring 0
; too, which copy-on-write and the read-only self-tests rely on.

section .text

; void vmem_enable_page_dir(uint32_t page_dir_phys) __attribute__((fastcall))
global vmem_enable_page_dir
vmem_enable_page_dir:
        mov cr3, ecx
        mov eax, cr0
        or eax, 0x80010001              ; PG | WP | PE
        mov cr0, eax
        ret
