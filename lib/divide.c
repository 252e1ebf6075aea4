/*
 * divide.c: 64-bit unsigned division for a 32-bit kernel.
 *
 * On i386, gcc turns a 64-bit `/` or `%` into calls to __udivdi3 and
 * __umoddi3. Debian's 32-bit libgcc has them, but built for the i686: its
 * functions start with endbr32, an invalid opcode before the Pentium Pro.
 * Koiz brings its own, so the kernel and its programs run on a 486, and
 * links no libgcc at all (a call to another helper fails the link).
 */
#include <koiz/klib.h>

uint64_t u64_divmod(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0, r = 0;

#if defined(__i386__)
    /* A divisor that fits 32 bits (numbers printed in decimal, sizes): two
     * hardware divides, high half first. `divl` traps on d == 0, as `/` would. */
    if ((d >> 32) == 0) {
        uint32_t dl = (uint32_t)d, hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi, qlo, rl;
        qhi = hi / dl;
        rl = hi % dl;
        __asm__("divl %4" : "=a"(qlo), "=d"(rl) : "a"(lo), "d"(rl), "rm"(dl));
        if (rem)
            *rem = rl;
        return (uint64_t)qhi << 32 | qlo;
    }
#endif
    if (d == 0) { /* only reached on the host: no trap to raise */
        if (rem)
            *rem = n;
        return UINT64_MAX;
    }
    if (d >> 63) { /* the quotient is 0 or 1; the loop's r << 1 would overflow */
        q = n >= d;
        if (rem)
            *rem = n - (q ? d : 0);
        return q;
    }
    /* Long division, a bit at a time: r stays below d < 2^63, so r << 1 fits. */
    for (int bit = 63; bit >= 0; bit--) {
        r = r << 1 | ((n >> bit) & 1);
        if (r >= d) {
            r -= d;
            q |= (uint64_t)1 << bit;
        }
    }
    if (rem)
        *rem = r;
    return q;
}

#if defined(__i386__) && !defined(KOIZ_HOST)
/* The names and signatures gcc calls (libgcc's ABI). */
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
    return u64_divmod(n, d, rem);
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
    return u64_divmod(n, d, 0);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
    uint64_t r;
    u64_divmod(n, d, &r);
    return r;
}
#endif
