/*
 * test_elf.c: elf_check against a small hand-made executable and every
 * way of spoiling it, and against the kernel's own ELF (whose segments lie
 * in kernel space, so it is refused as a user program).
 *
 *   the hand-made file:  ELF header | 2 program headers | code page | data page
 *   segment 0: code, R-X, vaddr 0x08048000, file offset 0x1000, 0x100 bytes
 *   segment 1: data, RW-, vaddr 0x08049000, file offset 0x2000, 0x10 bytes in
 *              the file, 0x3000 in memory (the rest is bss)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <koiz/elf.h>

#define USER_END  0xC0000000u
#define FILE_SIZE 0x2010

static unsigned char file[FILE_SIZE];

static void put16(size_t at, uint16_t v)
{
    memcpy(file + at, &v, 2);
}
static void put32(size_t at, uint32_t v)
{
    memcpy(file + at, &v, 4);
}
/* Field offsets in a program header i (32 bytes each, from 52). */
static size_t ph(int i, size_t field)
{
    return 52 + (size_t)i * 32 + field;
}

static void make_file(void)
{
    memset(file, 0, sizeof file);
    memcpy(file, "\177ELF\1\1\1", 7);
    put16(16, 2); /* ET_EXEC */
    put16(18, 3); /* EM_386 */
    put32(20, 1);
    put32(24, 0x08048010); /* entry */
    put32(28, 52);         /* phoff */
    put16(40, 52);
    put16(42, 32);      /* phentsize */
    put16(44, 2);       /* phnum */
    put32(ph(0, 0), 1); /* PT_LOAD, code */
    put32(ph(0, 4), 0x1000);
    put32(ph(0, 8), 0x08048000);
    put32(ph(0, 16), 0x100);
    put32(ph(0, 20), 0x100);
    put32(ph(0, 24), 5); /* R X */
    put32(ph(1, 0), 1);  /* PT_LOAD, data */
    put32(ph(1, 4), 0x2000);
    put32(ph(1, 8), 0x08049000);
    put32(ph(1, 16), 0x10);
    put32(ph(1, 20), 0x3000);
    put32(ph(1, 24), 6); /* R W */
}

static void refused(const char *because)
{
    struct elf_image img;
    char why[160] = "";
    assert_int_equal(elf_check(file, sizeof file, USER_END, &img, why, sizeof why), -1);
    if (!strstr(why, because))
        fail_msg("refused with \"%s\", expected it to say \"%s\"", why, because);
}

static void test_good_file(void **state)
{
    struct elf_image img;
    char why[160] = "";
    (void)state;
    make_file();
    assert_int_equal(elf_check(file, sizeof file, USER_END, &img, why, sizeof why), 0);
    assert_int_equal(img.entry, 0x08048010);
    assert_int_equal(img.nsegments, 2);
    assert_int_equal(img.segments[0].vaddr, 0x08048000);
    assert_true(img.segments[0].executable && !img.segments[0].writable);
    assert_int_equal(img.segments[1].memsz, 0x3000);
    assert_true(img.segments[1].writable && !img.segments[1].executable);
}

static void test_each_defect_refused(void **state)
{
    (void)state;
    make_file();
    file[0] = 0;
    refused("bad magic");
    make_file();
    file[4] = 2;
    refused("32-bit");
    make_file();
    file[5] = 2;
    refused("little-endian");
    make_file();
    put16(16, 3);
    refused("not an executable");
    make_file();
    put16(18, 62);
    refused("i386");
    make_file();
    put16(42, 56);
    refused("program header size");
    make_file();
    put16(44, 0);
    refused("program headers");
    make_file();
    put32(28, FILE_SIZE - 8);
    refused("past the end");
    make_file();
    put32(ph(1, 16), 0x4000);
    refused("exceeds its memory size");
    make_file();
    put32(ph(1, 4), 0x1ff8);
    refused("disagree within a page");
    make_file();
    put32(ph(1, 4), 0x3000);
    refused("past the end of the file");
    make_file();
    put32(ph(0, 8), 0x00000000);
    refused("first page");
    make_file();
    put32(ph(1, 8), 0xBFFFF000);
    put32(ph(1, 4), 0x2000);
    refused("kernel space");
    make_file();
    put32(ph(1, 8), 0xFFFFF000);
    refused("kernel space");
    make_file();
    put32(ph(1, 8), 0x08048000);
    refused("share a page");
    make_file();
    put32(24, 0x08049000);
    refused("entry point"); /* in data, not code */
    make_file();
    put32(24, 0x00001234);
    refused("entry point");
    make_file();
    put32(ph(0, 0), 4);
    put32(ph(1, 0), 4);
    refused("nothing to load");
}

static void test_short_files(void **state)
{
    struct elf_image img;
    char why[160];
    (void)state;
    make_file();
    for (size_t n = 0; n < 52; n++)
        assert_int_equal(elf_check(file, n, USER_END, &img, why, sizeof why), -1);
    assert_int_equal(elf_check(NULL, 100, USER_END, &img, why, sizeof why), -1);
    /* Cut inside the data segment's file bytes. */
    assert_int_equal(elf_check(file, 0x2008, USER_END, &img, why, sizeof why), -1);
    assert_non_null(strstr(why, "past the end"));
}

static void test_kernel_is_not_a_user_program(void **state)
{
    static unsigned char kernel[1 << 20];
    struct elf_image img;
    char why[160];
    FILE *f = fopen(KERNEL_ELF, "rb");
    size_t n;
    (void)state;
    assert_non_null(f);
    n = fread(kernel, 1, sizeof kernel, f);
    fclose(f);
    assert_true(n > 4096);
    assert_int_equal(elf_check(kernel, n, USER_END, &img, why, sizeof why), -1);
    assert_non_null(strstr(why, "kernel space"));
    /* With the whole 4 GiB allowed it is a well-formed executable. */
    if (elf_check(kernel, n, 0xFFFFFFFFu, &img, why, sizeof why) != 0)
        fail_msg("the kernel refused even with all 4 GiB allowed: %s", why);
    assert_int_equal(img.entry & 0xFFF00000u, 0x00100000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_each_defect_refused),
        cmocka_unit_test(test_short_files),
        cmocka_unit_test(test_kernel_is_not_a_user_program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
