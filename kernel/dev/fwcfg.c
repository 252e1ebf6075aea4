/*
 * fwcfg.c: QEMU's firmware configuration device (fw_cfg), read through its
 * two I/O ports: a 16-bit selector at 0x510 and a data byte at 0x511. Koiz
 * only asks whether the host left a named file there (`-fw_cfg name=...`):
 * that is how koiz-view asks for the shared-memory channel
 * (include/koiz/shared_ring.h). Only probed where port 0xE9 answers (an
 * emulator): on a real PC nothing is written to ports that may belong to
 * something else.
 */
#include <koiz/klib.h>
#include "console.h"
#include "fwcfg.h"
#include "../x86.h"

#define FWCFG_SELECT    0x510
#define FWCFG_DATA      0x511
#define FWCFG_SIGNATURE 0x0000 /* reads "QEMU" */
#define FWCFG_FILE_DIR  0x0019 /* a big-endian count, then the files */
#define FWCFG_NAME      56     /* bytes of a file's name, NUL-padded */
#define FWCFG_FILES_MAX 1024   /* more than QEMU ever lists: a bound on a device gone wrong */

static uint32_t read_be(int bytes)
{
    uint32_t v = 0;
    while (bytes--)
        v = v << 8 | inb(FWCFG_DATA);
    return v;
}

int fwcfg_has_file(const char *name)
{
    char sig[4], file[FWCFG_NAME];
    uint32_t count;

    if (!debugcon_present())
        return 0;
    outw(FWCFG_SELECT, FWCFG_SIGNATURE);
    for (int i = 0; i < 4; i++)
        sig[i] = (char)inb(FWCFG_DATA);
    if (kmemcmp(sig, "QEMU", 4) != 0)
        return 0;
    outw(FWCFG_SELECT, FWCFG_FILE_DIR);
    count = read_be(4);
    for (uint32_t f = 0; f < count && f < FWCFG_FILES_MAX; f++) {
        read_be(4 + 2 + 2); /* size, selector, reserved */
        for (int i = 0; i < FWCFG_NAME; i++)
            file[i] = (char)inb(FWCFG_DATA);
        file[FWCFG_NAME - 1] = '\0';
        if (kstrcmp(file, name) == 0)
            return 1;
    }
    return 0;
}
