/* fpuiso (hostile): the FPU's registers belong to each task. A fresh task
 * starts clean (control word 0x037F, MXCSR 0x1F80); a child starts with a
 * copy of its parent's; what a child loads into st(0), mm1 or xmm1 before it
 * exits never shows in the parent; and two tasks taking turns each keep
 * their own mm2/xmm2 across every switch; a child that divides by zero with
 * x87 zero-divide unmasked dies of exception 16, its parent unharmed.
 * MMX and SSE are tried only when
 * CPUID says the CPU has them; without SSE, a child that tries it must die
 * of an invalid opcode (the kernel leaves CR4.OSFXSR off). (A CPU without
 * MMX refuses it by itself; QEMU's 486 model runs it anyway, so that is not
 * checked.) Exits 0 when every check held, else the number of the
 * first that failed. */
#include "ulib.h"

#define EFLAGS_ID (1u << 21)

static uint32_t cpuid_edx1(void)
{
    uint32_t before, after, a, b, c, d;
    __asm__ volatile("pushfl; popl %0" : "=r"(before));
    __asm__ volatile("pushl %0; popfl" : : "r"(before ^ EFLAGS_ID) : "cc");
    __asm__ volatile("pushfl; popl %0" : "=r"(after));
    __asm__ volatile("pushl %0; popfl" : : "r"(before) : "cc");
    if (!((before ^ after) & EFLAGS_ID))
        return 1; /* a 486 without CPUID: an FPU (a 486DX), nothing more */
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
    if (a < 1)
        return 1;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1));
    return d;
}

static uint16_t fcw(void)
{
    uint16_t v;
    __asm__ volatile("fnstcw %0" : "=m"(v));
    return v;
}

static void push_int(int32_t v)
{
    __asm__ volatile("fildl %0" : : "m"(v));
}
static int32_t pop_int(void)
{
    int32_t v;
    __asm__ volatile("fistpl %0" : "=m"(v));
    return v;
}

static const uint32_t child_pattern[4] = {0x11223344, 0x55667788, 0x99AABBCC, 0xDDEEFF00};

static void mm1_set(const uint32_t *p)
{
    __asm__ volatile("movq (%0), %%mm1" : : "r"(p) : "memory");
}
static void mm1_get(uint32_t *p)
{
    __asm__ volatile("movq %%mm1, (%0)" : : "r"(p) : "memory");
}
static void mm2_set(const uint32_t *p)
{
    __asm__ volatile("movq (%0), %%mm2" : : "r"(p) : "memory");
}
static void mm2_get(uint32_t *p)
{
    __asm__ volatile("movq %%mm2, (%0)" : : "r"(p) : "memory");
}
static void xmm1_set(const uint32_t *p)
{
    __asm__ volatile("movups (%0), %%xmm1" : : "r"(p) : "memory");
}
static void xmm1_get(uint32_t *p)
{
    __asm__ volatile("movups %%xmm1, (%0)" : : "r"(p) : "memory");
}
static void xmm2_set(const uint32_t *p)
{
    __asm__ volatile("movups (%0), %%xmm2" : : "r"(p) : "memory");
}
static void xmm2_get(uint32_t *p)
{
    __asm__ volatile("movups %%xmm2, (%0)" : : "r"(p) : "memory");
}
static uint32_t mxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}

static int same(const uint32_t *a, const uint32_t *b, int words)
{
    for (int i = 0; i < words; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* A child that clobbers a register kind, then exits; the parent's must not change.
 * (x87 and MMX share the registers: an MMX instruction empties the x87 stack, so
 * each kind is tried on its own.) */
enum kind { X87, MMX, SSE };

static int child_clobbers(enum kind k)
{
    uint32_t got[4] = {1, 1, 1, 1}, zero[4] = {0, 0, 0, 0};
    int status, child;

    if (k == X87) {
        __asm__ volatile("fninit");
        push_int(1234);
    } else if (k == MMX) {
        mm1_set(zero);
    } else {
        xmm1_set(zero);
    }
    child = fork();
    if (child == 0) {
        if (k == X87) {
            if (pop_int() != 1234) /* the parent's st(0), copied at fork */
                exit(1);
            push_int(9999);
            push_int(8888);
        } else if (k == MMX) {
            mm1_get(got);
            if (!same(got, zero, 2))
                exit(1);
            mm1_set(child_pattern);
        } else {
            xmm1_get(got);
            if (!same(got, zero, 4))
                exit(1);
            xmm1_set(child_pattern);
        }
        exit(0);
    }
    if (child < 0 || wait(&status) != child)
        return 20 + k;
    if (status != 0)
        return 23 + k; /* the child did not start with the parent's registers */
    if (k == X87)
        return pop_int() == 1234 ? 0 : 26; /* the child's x87 stack showed through */
    if (k == MMX) {
        mm1_get(got);
        __asm__ volatile("emms");
        return same(got, zero, 2) ? 0 : 27; /* the child's mm1 showed through */
    }
    xmm1_get(got);
    return same(got, zero, 4) ? 0 : 28;
}

/* Parent and child take turns (yield), each checking its own mm2/xmm2 every time. */
static int take_turns(int sse, int mmx, uint32_t seed)
{
    int status, child = fork(), bad = 0;
    uint32_t mine[4] = {seed, ~seed, seed * 3, seed ^ 0x5A5A5A5A}, got[4];
    if (child == 0) {
        mine[0] = mine[1] = 0xC0FFEE00u;
    }
    if (mmx)
        mm2_set(mine);
    if (sse)
        xmm2_set(mine);
    for (int i = 0; i < 20; i++) {
        yield();
        if (mmx) {
            mm2_get(got);
            bad |= !same(got, mine, 2);
        }
        if (sse) {
            xmm2_get(got);
            bad |= !same(got, mine, 4);
        }
    }
    if (child == 0)
        exit(bad);
    if (child < 0 || wait(&status) != child)
        return 30;
    return bad ? 31 : status != 0 ? 32 : 0;
}

/* An x87 error the task asked for (zero-divide unmasked): exception 16 kills it, and it
 * alone: the parent's FPU carries on. */
static int x87_error_kills(void)
{
    int status, child = fork();
    if (child == 0) {
        uint16_t cw = 0x037B; /* FNINIT's, with ZM (bit 2) cleared */
        __asm__ volatile("fninit; fldcw %0; fld1; fldz; fdivrp; fwait" : : "m"(cw));
        exit(0);
    }
    if (child < 0 || wait(&status) != child)
        return 50;
    if (status != (WAIT_KILLED | 16))
        uprintf("fpuiso: x87 divide by zero unmasked: status 0x%x\n", status);
    if (status != (WAIT_KILLED | 16))
        return 51;
    __asm__ volatile("fninit");
    push_int(7);
    push_int(6);
    __asm__ volatile("faddp");
    return pop_int() == 13 ? 0 : 52; /* the parent's x87 works on */
}

/* Without SSE offered, an SSE instruction is an invalid opcode: the child dies. */
static int sse_refused(void)
{
    uint32_t zero[4] = {0, 0, 0, 0};
    int status, child = fork();
    if (child == 0) {
        xmm1_set(zero);
        exit(0);
    }
    if (child < 0 || wait(&status) != child)
        return 40;
    if (status != (WAIT_KILLED | 6))
        uprintf("fpuiso: SSE without SSE: status 0x%x\n", status);
    return status == (WAIT_KILLED | 6) ? 0 : 41;
}

int main(void)
{
    uint32_t edx = cpuid_edx1(), got[4] = {1, 1, 1, 1}, zero[4] = {0, 0, 0, 0};
    int mmx = !!(edx & (1u << 23)), sse = !!(edx & (1u << 25)) && !!(edx & (1u << 24)), r;

    if (!(edx & 1u)) {
        puts_console("fpuiso: this CPU has no FPU: nothing to check\n");
        return 0;
    }
    if (fcw() != 0x037F)
        return 1; /* a fresh task's FPU is as FNINIT leaves it */
    if (sse && mxcsr() != 0x1F80)
        return 2;
    if (mmx) {
        mm1_get(got);
        if (!same(got, zero, 2))
            return 3; /* nothing left over from the kernel or another task */
    }
    if (sse) {
        xmm1_get(got);
        if (!same(got, zero, 4))
            return 4;
    }
    if ((r = child_clobbers(X87)) != 0)
        return r;
    if (mmx && (r = child_clobbers(MMX)) != 0)
        return r;
    if ((r = sse ? child_clobbers(SSE) : sse_refused()) != 0)
        return r;
    if ((r = take_turns(sse, mmx, 0x1357ACE0)) != 0)
        return r;
    if ((r = x87_error_kills()) != 0)
        return r;
    if (mmx)
        __asm__ volatile("emms");
    uprintf("fpuiso: x87 isolated; MMX %s; SSE %s\n", mmx ? "isolated" : "not on this CPU",
            sse ? "isolated" : "not on this CPU (an invalid opcode)");
    return 0;
}
