/*
 * hooks.c: the installed hook table (see hooks.h).
 */
#include <koiz/klib.h>
#include "hooks.h"

struct vmm_hooks vmm_hooks_installed;

void vmm_set_hooks(const struct vmm_hooks *hooks)
{
    if (hooks)
        kmemcpy(&vmm_hooks_installed, hooks, sizeof vmm_hooks_installed);
    else
        kmemset(&vmm_hooks_installed, 0, sizeof vmm_hooks_installed);
}
