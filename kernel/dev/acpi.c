/*
 * acpi.c: switch the machine off through ACPI sleep state S5. The firmware
 * describes how: the RSDP points to the RSDT, whose FADT gives the PM1
 * control ports, and the DSDT's \_S5 object gives the sleep-type values to
 * write there. Parsing all of AML is out of scope; \_S5 is a small package
 * whose byte pattern is well known, so we look for it directly.
 */
#include <koiz/klib.h>
#include "acpi.h"
#include "console.h"
#include "../kernel.h"
#include "../physwin.h"
#include "../x86.h"

struct sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

static uint32_t find_rsdp(void)
{
    /* The RSDP sits on a 16-byte boundary in the first KiB of the EBDA or in 0xE0000-0xFFFFF. */
    uint32_t ebda = (uint32_t)(*(volatile uint16_t *)P2V(0x40E)) << 4;
    uint32_t ranges[2][2] = {{ebda, ebda + 1024}, {0xE0000, 0x100000}};

    for (int r = 0; r < 2; r++) {
        if (r == 0 && (ebda == 0 || ebda >= 0x100000))
            continue;
        for (uint32_t pa = ranges[r][0]; pa + 20 <= ranges[r][1]; pa += 16) {
            const uint8_t *p = P2V(pa);
            uint8_t sum = 0;
            if (kmemcmp(p, "RSD PTR ", 8) != 0)
                continue;
            for (int i = 0; i < 20; i++)
                sum = (uint8_t)(sum + p[i]);
            if (sum == 0)
                return pa;
        }
    }
    return 0;
}

static uint32_t find_table(uint32_t rsdt, const char *sig)
{
    struct sdt_header h;
    phys_read(rsdt, &h, sizeof h);
    if (kmemcmp(h.signature, "RSDT", 4) != 0 || h.length < sizeof h)
        return 0;
    for (uint32_t off = sizeof h; off + 4 <= h.length && off < 4096; off += 4) {
        uint32_t entry;
        struct sdt_header t;
        phys_read(rsdt + off, &entry, 4);
        phys_read(entry, &t, sizeof t);
        if (kmemcmp(t.signature, sig, 4) == 0)
            return entry;
    }
    return 0;
}

/* An AML integer at p: ZeroOp, OneOp, or BytePrefix followed by the byte. */
static int aml_small_int(const uint8_t *p, int *value)
{
    if (p[0] == 0x00 || p[0] == 0x01) {
        *value = p[0];
        return 1;
    }
    if (p[0] == 0x0A) {
        *value = p[1];
        return 2;
    }
    return 0;
}

static int find_s5(uint32_t dsdt, int *typ_a, int *typ_b)
{
    struct sdt_header h;
    uint8_t chunk[64 + 16];

    phys_read(dsdt, &h, sizeof h);
    if (kmemcmp(h.signature, "DSDT", 4) != 0)
        return 0;
    /* Scan in overlapping chunks so a pattern across a boundary is still seen. */
    for (uint32_t off = sizeof h; off < h.length && off < (1u << 20); off += 64) {
        phys_read(dsdt + off, chunk, sizeof chunk);
        for (int i = 0; i < 64; i++) {
            const uint8_t *p = chunk + i;
            int n;
            if (kmemcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
                continue;
            /* PackageOp, PkgLength (1 byte here), NumElements, then the two values. */
            p += 5 + ((p[5] >> 6) + 1) + 1;
            if (p + 4 > chunk + sizeof chunk)
                continue;
            if (!(n = aml_small_int(p, typ_a)))
                continue;
            if (!aml_small_int(p + n, typ_b))
                *typ_b = 0;
            return 1;
        }
    }
    return 0;
}

void acpi_power_off(void)
{
    uint32_t rsdp = find_rsdp(), rsdt, fadt, dsdt, pm1a, pm1b, smi_cmd;
    uint8_t acpi_enable;
    int typ_a, typ_b;

    if (!rsdp)
        return;
    phys_read(rsdp + 16, &rsdt, 4);
    fadt = find_table(rsdt, "FACP");
    if (!fadt)
        return;
    phys_read(fadt + 40, &dsdt, 4);
    phys_read(fadt + 48, &smi_cmd, 4);
    phys_read(fadt + 52, &acpi_enable, 1);
    phys_read(fadt + 64, &pm1a, 4);
    phys_read(fadt + 68, &pm1b, 4);
    if (!pm1a || !find_s5(dsdt, &typ_a, &typ_b))
        return;

    /* SCI_EN clear means the firmware still owns power management: ask for it. */
    if (!(inw((uint16_t)pm1a) & 1) && smi_cmd && acpi_enable) {
        outb((uint16_t)smi_cmd, acpi_enable);
        for (int i = 0; i < 300000 && !(inw((uint16_t)pm1a) & 1); i++)
            io_wait();
    }
    outw((uint16_t)pm1a, (uint16_t)((typ_a << 10) | (1 << 13)));
    if (pm1b)
        outw((uint16_t)pm1b, (uint16_t)((typ_b << 10) | (1 << 13)));
    for (int i = 0; i < 100000; i++)
        io_wait();
}
