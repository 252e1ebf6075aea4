; switch.asm: changing which kernel stack runs. Every task has its own
; kernel stack; the scheduler has one too. task_switch saves the callee-saved
; registers on the current stack, stores the stack pointer in *save, loads
; next and pops the same registers from there: returning now returns into
; whatever last called task_switch on that stack (or, for a new task, into
; the address its stack was prepared with).

section .text

; void task_switch(uint32_t *save, uint32_t next)
global task_switch
task_switch:
        mov eax, [esp + 4]
        mov edx, [esp + 8]
        push ebp
        push ebx
        push esi
        push edi
        mov [eax], esp
        mov esp, edx
        pop edi
        pop esi
        pop ebx
        pop ebp
        ret
