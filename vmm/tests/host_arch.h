/*
 * host_arch.h: vmm/arch.h on the host, for unit tests. Physical memory is
 * one array, host_ram; "loading CR3" and "invlpg" are only recorded, so
 * tests can assert on them; a panic longjmps back into the test that
 * expected it (EXPECT_PANIC), or fails the test otherwise.
 *
 * The standard machine host_boot builds (64 MiB of simulated RAM):
 *
 *   0x00000000 +----------------------+
 *              | low RAM (ignored)    |  available, but below 1 MiB
 *   0x0009F000 +----------------------+
 *              | hole (BIOS, VGA)     |
 *   0x00100000 +----------------------+
 *              | "kernel image"       |  reserved; its last frame plays
 *              |                      |  kernel/physwin.c's table
 *   0x00200000 +----------------------+
 *              | pmm records          |  (placed there by pmem_init)
 *              | free frames          |
 *   0x04000000 +----------------------+  top
 */
#ifndef KOIZ_VMM_HOST_ARCH_H
#define KOIZ_VMM_HOST_ARCH_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../vmm.h"

#define HOST_RAM_SIZE      (64u << 20)
#define HOST_KERNEL_START  0x00100000u
#define HOST_KERNEL_END    0x00200000u
#define HOST_PHYSWIN_TABLE (HOST_KERNEL_END - 4096)

struct host_log {
    int cr3_loads;
    uint32_t cr3;
    int invlpgs;
    uint32_t last_invlpg;
    int flushes;
    int pse, pge; /* what arch_enable_paging_features was told */
    uint32_t cr2; /* what arch_read_cr2 answers */
};

extern unsigned char *host_ram;
extern struct host_log host_log;
extern jmp_buf host_panic_jmp;
extern int host_panic_expected;
extern char host_panic_msg[512];

/* Zeroes RAM and the log; pmem_init over the standard map above with RAM
 * ending at ram_top (<= HOST_RAM_SIZE); then vmem_init with pse and pge. */
struct address_space *host_boot(uint32_t ram_top, int pse, int pge);
/* Just the pmem_init part of host_boot. */
void host_pmm_boot(uint32_t ram_top);
/* Allocates a process frame and fills it with byte b. */
uint32_t host_frame(unsigned char b);

/* Runs stmt, which must panic with a message containing text. */
#define EXPECT_PANIC(stmt, text)                                                                             \
    do {                                                                                                     \
        host_panic_expected = 1;                                                                             \
        host_panic_msg[0] = 0;                                                                               \
        if (setjmp(host_panic_jmp) == 0) {                                                                   \
            stmt;                                                                                            \
            host_panic_expected = 0;                                                                         \
            fail_msg("%s:%d: no panic from %s", __FILE__, __LINE__, #stmt);                                  \
        }                                                                                                    \
        host_panic_expected = 0;                                                                             \
        if (!strstr(host_panic_msg, (text)))                                                                 \
            fail_msg("%s:%d: panic \"%s\" does not say \"%s\"", __FILE__, __LINE__, host_panic_msg, (text)); \
    } while (0)

/* A page fault as the tests provoke it, decided by vmm and reported as the
 * kernel would (the task goes on when it was resolved, else it dies); what
 * vmm decided is returned. */
static inline enum fault_outcome fault_at(struct address_space *as, uint32_t cr2, uint32_t error,
                                          uint32_t eip)
{
    struct vmm_fault f;
    vmm_handle_fault(as, cr2, error, eip, &f);
    f.verdict = f.outcome == FAULT_RESOLVED ? VERDICT_RESUMES : VERDICT_KILLS;
    vmm_fault_report(&f);
    return f.outcome;
}

#endif
