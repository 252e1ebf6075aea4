/*
 * test_gdb_paging.c: a poll of a guest's paging (visualizer/gdb_paging.c)
 * against the fake stub (fake_stub.c) serving 8 MiB of pretend physical
 * memory that holds this directory at 0x00105000:
 *
 *   PDE 0      -> table 0x00106000 (user RW): pages 1-15 identity (RW),
 *                 0x00100000-0x00101fff -> 0x00300000 (RW, uncached); page 0 a hole
 *   PDE 1      4 MiB page 0x00400000 (RW, global); without CR4.PSE the CPU
 *              reads the frame 0x00400000 as a table: entries 0 and 5 there
 *   PDE 0x300  -> table 0x00108000 (user): 4 pages -> 0x00200000.. (user RW)
 *   PDE 0x301  -> the same table 0x00108000
 *   PDE 0x3ff  -> the directory itself (recursive: it appears at 0xffc00000)
 *
 * and, for the polls that read other directories too (gdb_paging_also):
 *
 *   0x00109000 another directory: PDE 0x300 as the current one's (the shared
 *              table 0x00108000), PDE 2 -> its own table 0x0010a000
 *   0x0010b000 a freed directory, filled with 0x5a (no entry present)
 *   0x0010c000 a page of data: "present" entries equal to none of the current's
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <koiz/x86_regs.h>
#include "fake_stub.h"
#include "gdb_paging.h"

#define MEM_SIZE (8u << 20)
#define DIR      0x00105000u

static uint8_t *mem;

static uint32_t *word(uint32_t phys)
{
    return (uint32_t *)(mem + phys);
}

static void build_guest(struct fake_stub *s)
{
    memset(s, 0, sizeof *s);
    s->packet_size = 0x1000;
    s->virtual_refused = true; /* only physical reads are right here */
    if (!mem)
        mem = malloc(MEM_SIZE);
    memset(mem, 0, MEM_SIZE);
    s->mem = mem;
    s->mem_size = MEM_SIZE;
    s->regs[FAKE_CR0] = CR0_PG | CR0_PE;
    s->regs[FAKE_CR3] = DIR | 0x18; /* PWT and PCD in CR3: not part of the address */
    s->regs[FAKE_CR4] = CR4_PSE;

    uint32_t *dir = word(DIR);
    dir[0] = 0x00106007;
    dir[1] = 0x00400183;
    dir[0x300] = 0x00108007;
    dir[0x301] = 0x00108007;
    dir[0x3ff] = DIR | 0x003;
    for (uint32_t i = 1; i < 16; i++)
        word(0x00106000)[i] = i << 12 | 0x003;
    word(0x00106000)[0x100] = 0x00300013;
    word(0x00106000)[0x101] = 0x00301013;
    for (uint32_t i = 0; i < 4; i++)
        word(0x00108000)[i] = (0x00200000 + (i << 12)) | 0x007;
    word(0x00400000)[0] = 0x00500003; /* only a table when CR4.PSE is clear */
    word(0x00400000)[5] = 0x00501001;
}

static struct gdb *attach(struct fake_stub *s)
{
    char err[GDB_ERROR_MAX];
    struct gdb *g = gdb_attach_fd(fake_start(s), 1000, err, sizeof err);
    if (!g)
        fail_msg("greeting failed: %s", err);
    return g;
}

static char *dump_of(const struct gdb_paging *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    gdb_paging_dump(p, f);
    fclose(f);
    return text;
}

static void expect_dump(const struct gdb_paging *p, const char *want)
{
    char *got = dump_of(p);
    if (strcmp(got, want))
        fail_msg("dump differs; got:\n%s\nwanted:\n%s", got, want);
    free(got);
}

static void test_32bit_paging_with_pse(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(ENTRIES - 1);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_int_equal(p->mode, GDB_PAGING_32_PSE);
    assert_true(p->drawable);
    assert_true(p->have_efer);
    assert_int_equal(p->cur.phys, DIR);
    assert_int_equal(p->cur.pdes, 5);
    assert_int_equal(p->cur.tables_read, 2);   /* 0x106000 and 0x108000, each once */
    assert_int_equal(p->cur.tables_shared, 2); /* PDE 0x301 and the recursive PDE 0x3ff */
    assert_int_equal(p->cur.table_state[1], GDB_TABLE_NONE);
    assert_ptr_equal(p->cur.table[0x300], p->cur.table[0x301]);
    assert_ptr_equal(p->cur.table[0x3ff], p->cur.dir);
    assert_int_equal(s.m_packets, 2 + 2 * 2); /* directory and two tables, 2 KiB a packet */
    assert_int_equal(p->times.bytes, 3 * 4096);
    expect_dump(p, "0x00001000-0x00010000   60K -> 0x00001000 4K RW\n"
                   "0x00100000-0x00102000    8K -> 0x00300000 4K RW         PCD\n"
                   "0x00400000-0x00800000    4M -> 0x00400000 4M RW                 G\n"
                   "0xc0000000-0xc0004000   16K -> 0x00200000 4K RW USR\n"
                   "0xc0400000-0xc0404000   16K -> 0x00200000 4K RW USR\n"
                   "0xffc00000-0xffc01000    4K -> 0x00106000 4K RW USR\n"
                   "0xffc01000-0xffc02000    4K -> 0x00400000 4K RW                 G PAT\n"
                   "0xfff00000-0xfff01000    4K -> 0x00108000 4K RW USR\n"
                   "0xfff01000-0xfff02000    4K -> 0x00108000 4K RW USR\n"
                   "0xfffff000-0x100000000    4K -> 0x00105000 4K RW\n");
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
}

/* Without CR4.PSE the PS bit means nothing: the frame under PDE 1 is read as a table. */
static void test_without_pse_ps_entries_are_tables(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    s.regs[FAKE_CR4] = 0;
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(ENTRIES - 1);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_int_equal(p->mode, GDB_PAGING_32);
    assert_int_equal(p->cur.tables_read, 3);
    assert_int_equal(p->cur.table_state[1], GDB_TABLE_READ);
    char *d = dump_of(p);
    assert_non_null(strstr(d, "0x00400000-0x00401000    4K -> 0x00500000 4K RW\n"
                              "0x00405000-0x00406000    4K -> 0x00501000 4K ro\n"));
    assert_null(strstr(d, " 4M "));
    free(d);
    assert_non_null(strstr(gdb_paging_mode_name(p->mode), "PS bits ignored"));
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
}

static void test_paging_off(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    s.regs[FAKE_CR0] = CR0_PE;
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(16);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_int_equal(p->mode, GDB_PAGING_OFF);
    assert_false(p->drawable);
    assert_int_equal(s.m_packets, 0);
    expect_dump(p, "");
    assert_non_null(strstr(p->says, "paging off"));
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
}

/* PAE and long mode are named, and nothing is read as if it were 32-bit paging. */
static void test_pae_and_long_mode_are_not_drawn(void **state)
{
    (void)state;
    static const struct {
        uint64_t cr4, efer;
        bool efer_known;
        enum gdb_paging_mode mode;
        const char *says;
    } cases[] = {
        {CR4_PAE | CR4_PSE, 0, true, GDB_PAGING_PAE, "PAE paging (CR4.PAE): not drawn yet"},
        {CR4_PAE, EFER_LME | EFER_LMA, true, GDB_PAGING_LONG, "long mode (EFER.LMA): not drawn yet"},
        {CR4_PAE, 0, false, GDB_PAGING_PAE_OR_LONG, "PAE paging or long mode"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fake_stub s;
        build_guest(&s);
        s.regs[FAKE_CR4] = cases[i].cr4;
        s.regs[FAKE_EFER] = cases[i].efer;
        if (!cases[i].efer_known) /* QEMU's description without its efer line */
            s.xml_i386 = "<feature name='x'><reg name='cr0' bitsize='32' regnum='19'/>"
                         "<reg name='cr2' bitsize='32'/><reg name='cr3' bitsize='32'/>"
                         "<reg name='cr4' bitsize='32'/></feature>";
        struct gdb *g = attach(&s);
        struct gdb_paging *p = gdb_paging_new(16);
        assert_int_equal(gdb_paging_poll(g, p), 0);
        assert_int_equal(p->mode, cases[i].mode);
        assert_false(p->drawable);
        assert_int_equal(p->have_efer, cases[i].efer_known);
        assert_int_equal(s.m_packets, 0);
        if (!strstr(p->says, cases[i].says))
            fail_msg("case %zu says \"%s\"", i, p->says);
        expect_dump(p, "");
        gdb_paging_free(p);
        gdb_close(g);
        fake_stop(&s);
    }
}

static void test_tables_past_the_limit_are_named(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(1);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_int_equal(p->cur.tables_read, 1);
    assert_int_equal(p->cur.tables_over_limit, 1);
    assert_int_equal(p->cur.table_state[0x300], GDB_TABLE_OVER_LIMIT);
    assert_int_equal(p->cur.table_state[0x301], GDB_TABLE_OVER_LIMIT);
    assert_int_equal(s.m_packets, 2 + 2);
    char *d = dump_of(p);
    assert_non_null(strstr(d, "not read 0xc0000000-0xc0400000 table 0x00108000: over the limit of 1 tables"));
    assert_non_null(strstr(d, "not read 0xc0400000-0xc0800000 table 0x00108000: over the limit of 1 tables"));
    assert_null(strstr(d, "0xc0000000-0xc0004000"));
    free(d);
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
}

/* A 4 MiB entry with PSE-36 address bits (or reserved ones): its frame is not what 32 bits say. */
static void test_wide_4m_entries_are_not_drawn(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    word(DIR)[0x200] = 0x00802083; /* bit 13: physical address bit 32 under PSE-36 */
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(ENTRIES - 1);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_int_equal(p->cur.wide_pages, 1);
    char *d = dump_of(p);
    assert_null(strstr(d, "0x80000000-0x80400000    4M"));
    assert_non_null(strstr(d, "not drawn 0x80000000-0x80400000 4M entry 0x00802083: frame above 4 GiB"));
    assert_non_null(strstr(d, "0x00400000-0x00800000    4M -> 0x00400000 4M RW"));
    free(d);
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
}

static void test_unreadable_table_is_named(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    word(DIR)[0x200] = 0x7FFF0003; /* far past the fake's memory: the stub answers E14 */
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(ENTRIES - 1);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_true(p->drawable);
    assert_int_equal(p->cur.tables_failed, 1);
    assert_int_equal(p->cur.table_state[0x200], GDB_TABLE_FAILED);
    assert_non_null(strstr(p->table_error, "E14"));
    char *d = dump_of(p);
    assert_non_null(strstr(d, "not read 0x80000000-0x80400000 table 0x7fff0000: the stub refused\n"));
    free(d);
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
}

static void test_stub_without_control_registers(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    s.xml_i386 = "<feature name='arm'><reg name='r0' bitsize='32'/><reg name='cpsr' bitsize='32'/></feature>";
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(4);
    assert_int_equal(gdb_paging_poll(g, p), -1);
    assert_non_null(strstr(p->says, "cannot read cr0"));
    assert_int_equal(p->mode, GDB_PAGING_UNREAD);
    assert_false(gdb_broken(g));
    assert_true(gdb_running(g)); /* resumed all the same */
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
}

/* Each poll stops the running guest and lets it go again; results do not leak between polls. */
static void test_polls_stop_and_resume(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(ENTRIES - 1);
    p->peeks = 2;
    p->peek_addr[0] = 0x00108004;
    p->peek_addr[1] = MEM_SIZE + 0x1000;
    for (int i = 0; i < 3; i++) {
        if (i == 2) {
            s.regs[FAKE_CR0] = CR0_PE; /* the stub's thread reads this only when asked */
            s.regs[FAKE_CR4] = 0;
        }
        assert_int_equal(gdb_paging_poll(g, p), 0);
        assert_true(gdb_running(g));
        assert_true(p->peek_ok[0]);
        assert_int_equal(p->peek_value[0], 0x00201007);
        assert_false(p->peek_ok[1]);
    }
    assert_int_equal(p->polls, 3);
    assert_int_equal(p->mode, GDB_PAGING_OFF);
    assert_int_equal(p->cur.tables_read, 0);
    assert_int_equal(p->cur.pdes, 0);
    assert_null(p->cur.table[0]);
    assert_true(p->times.requests > 0);
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
    /* The first poll found it stopped (QEMU stops it on connect); closing stops it to detach. */
    assert_int_equal(s.interrupts, 2 + 1);
    assert_int_equal(s.resumes, 3);
    assert_true(s.detached);
}

static void build_others(void)
{
    uint32_t *other = word(0x00109000);
    other[0x300] = 0x00108027; /* the shared table, accessed: still the same entry */
    other[2] = 0x0010a007;
    word(0x0010a000)[7] = 0x00377005;
    memset(word(0x0010b000), 0x5a, 4096);
    for (uint32_t i = 0; i < ENTRIES; i++)
        word(0x0010c000)[i] = 0x00600001 + (i << 12);
}

/* Other directories are read in the same stop, tables shared with the current one read once; a
 * frame that no longer looks like a directory is named, and what it points to is not read. */
static void test_other_directories(void **state)
{
    (void)state;
    struct fake_stub s;
    build_guest(&s);
    build_others();
    struct gdb *g = attach(&s);
    struct gdb_paging *p = gdb_paging_new(ENTRIES);
    const uint32_t phys[] = {0x00109000, 0x0010b000, 0x0010c000, DIR, 0x7FFF0000};
    assert_int_equal(gdb_paging_also(p, phys, 5), 0);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_int_equal(p->nalso, 5);
    const struct gdb_directory *o = &p->also[0];
    assert_int_equal(o->state, GDB_DIR_READ);
    assert_int_equal(o->pdes, 2);
    assert_int_equal(o->tables_read, 1); /* 0x0010a000; 0x00108000 was read for the current one */
    assert_int_equal(o->tables_shared, 1);
    assert_ptr_equal(o->table[0x300], p->cur.table[0x300]);
    assert_int_equal(o->table[2][7], 0x00377005);
    assert_int_equal(p->also[1].state, GDB_DIR_NOT_A_DIRECTORY);
    assert_int_equal(p->also[2].state, GDB_DIR_NOT_A_DIRECTORY);
    assert_int_equal(p->also[2].tables_read, 0);
    assert_int_equal(p->also[3].state, GDB_DIR_UNREAD); /* the current one: read once, as p->cur */
    assert_int_equal(p->also[4].state, GDB_DIR_FAILED);
    /* current: 2 + 2 tables x 2; others: 3 directories x 2, one table x 2, one refused read */
    assert_int_equal(s.m_packets, 2 + 4 + 6 + 2 + 1);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    gdb_paging_dump_directory(p, o, f);
    fclose(f);
    assert_string_equal(text, "0x00807000-0x00808000    4K -> 0x00377000 4K ro USR\n"
                              "0xc0000000-0xc0004000   16K -> 0x00200000 4K RW USR\n");
    free(text);

    /* The budget of tables is for the whole poll: the other directory's own table is left out. */
    gdb_paging_free(p);
    p = gdb_paging_new(2);
    assert_int_equal(gdb_paging_also(p, phys, 1), 0);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_int_equal(p->also[0].table_state[2], GDB_TABLE_OVER_LIMIT);
    assert_int_equal(p->also[0].table_state[0x300], GDB_TABLE_READ);
    assert_int_equal(gdb_paging_also(p, phys, GDB_PAGING_ALSO_MAX + 1), -1);
    assert_int_equal(gdb_paging_also(p, NULL, 0), 0);
    assert_int_equal(gdb_paging_poll(g, p), 0);
    assert_int_equal(p->nalso, 0);
    gdb_paging_free(p);
    gdb_close(g);
    fake_stop(&s);
}

static void test_limits_of_new(void **state)
{
    (void)state;
    assert_null(gdb_paging_new(0));
    assert_null(gdb_paging_new(ENTRIES + 1));
    struct gdb_paging *p = gdb_paging_new(ENTRIES);
    assert_non_null(p);
    gdb_paging_free(p);
    gdb_paging_free(NULL);
}

static int cleanup(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_32bit_paging_with_pse),
        cmocka_unit_test(test_without_pse_ps_entries_are_tables),
        cmocka_unit_test(test_paging_off),
        cmocka_unit_test(test_pae_and_long_mode_are_not_drawn),
        cmocka_unit_test(test_tables_past_the_limit_are_named),
        cmocka_unit_test(test_wide_4m_entries_are_not_drawn),
        cmocka_unit_test(test_unreadable_table_is_named),
        cmocka_unit_test(test_stub_without_control_registers),
        cmocka_unit_test(test_polls_stop_and_resume),
        cmocka_unit_test(test_other_directories),
        cmocka_unit_test(test_limits_of_new),
    };
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
