/*
 * console.c: the VGA text screen as the BIOS set it and GRUB left it:
 * nearly always 80x25 in colour at physical 0xB8000, each cell a character
 * byte and a colour byte. Text scrolls up when it reaches the bottom; the
 * hardware cursor follows the last character.
 */
#include <koiz/klib.h>
#include <koiz/layout.h>
#include "console.h"
#include "../x86.h"

/*
 * The BIOS Data Area says which text mode the machine is in: the column
 * count at 0x44A, the last row at 0x484 (EGA and later; 0 before), the
 * CRT controller's port at 0x463 (0x3B4 on a monochrome adapter, whose
 * text lives at 0xB0000). Anything implausible falls back to 80x25 colour.
 */
#define BDA_COLUMNS   0x44A
#define BDA_CRTC_PORT 0x463
#define BDA_LAST_ROW  0x484
#define CRTC_MONO     0x3B4
#define MAX_COLS      132

static volatile uint16_t *vga = (volatile uint16_t *)(KERNEL_BASE + 0xB8000);
static uint16_t crtc = 0x3D4;
static int cols = 80, rows = 25, mono;
static int row, col;
static uint8_t color = VGA_LIGHT_GREY | (VGA_BLACK << 4);

static void read_bios_geometry(void)
{
    const volatile uint8_t *bda = (const volatile uint8_t *)KERNEL_BASE;
    int c = bda[BDA_COLUMNS] | bda[BDA_COLUMNS + 1] << 8;
    int r = bda[BDA_LAST_ROW] + 1;
    int port = bda[BDA_CRTC_PORT] | bda[BDA_CRTC_PORT + 1] << 8;

    cols = c >= 40 && c <= MAX_COLS ? c : 80;
    rows = r >= 25 && r <= 60 ? r : 25;
    mono = port == CRTC_MONO;
    crtc = mono ? CRTC_MONO : 0x3D4;
    vga = (volatile uint16_t *)(KERNEL_BASE + (mono ? 0xB0000 : 0xB8000));
}

static void move_cursor(void)
{
    uint16_t pos = (uint16_t)(row * cols + col);
    outb(crtc, 0x0F);
    outb(crtc + 1, (uint8_t)(pos & 0xFF));
    outb(crtc, 0x0E);
    outb(crtc + 1, (uint8_t)(pos >> 8));
}

static void clear_row(int r)
{
    int c;
    for (c = 0; c < cols; c++)
        vga[r * cols + c] = (uint16_t)(' ' | (color << 8));
}

void vga_init(void)
{
    int r;
    read_bios_geometry();
    for (r = 0; r < rows; r++)
        clear_row(r);
    row = col = 0;
    move_cursor();
}

void vga_set_color(enum vga_color fg, enum vga_color bg)
{
    color = (uint8_t)(fg | (bg << 4));
}

static void scroll(void)
{
    int i;
    for (i = 0; i < (rows - 1) * cols; i++)
        vga[i] = vga[i + cols];
    clear_row(rows - 1);
    row = rows - 1;
}

static void new_line(void)
{
    col = 0;
    if (++row >= rows)
        scroll();
}

#define WRAP_INDENT 2

/*
 * A line longer than the screen breaks at its last space, not inside a
 * word: the word begun at the end of the full row moves down and goes on
 * there, indented, so a wrapped message still reads as one. A word longer
 * than half a row is cut where the row ends.
 */
static void wrap(void)
{
    uint16_t word[MAX_COLS];
    int from = cols, n, i;
    for (i = cols - 1; i > cols / 2; i--)
        if ((vga[row * cols + i] & 0xFF) == ' ') {
            from = i + 1;
            break;
        }
    n = cols - from;
    for (i = 0; i < n; i++) {
        word[i] = vga[row * cols + from + i];
        vga[row * cols + from + i] = (uint16_t)(' ' | (color << 8));
    }
    new_line();
    for (col = 0; col < WRAP_INDENT; col++)
        vga[row * cols + col] = (uint16_t)(' ' | (color << 8));
    for (i = 0; i < n; i++)
        vga[row * cols + col++] = word[i];
}

/* One character, without moving the hardware cursor (four port writes: done once per write). */
static void put(char c)
{
    switch (c) {
    case '\n': new_line(); break;
    case '\r': col = 0; break;
    case '\t':
        col = (col + 8) & ~7;
        if (col >= cols)
            new_line();
        break;
    case '\b':
        if (col > 0)
            col--;
        break;
    case ' ':
        if (col >= cols) { /* the row is full: the space is the break */
            new_line();
            break;
        }
        /* fall through */
    default:
        if (col >= cols)
            wrap();
        vga[row * cols + col] = (uint16_t)((unsigned char)c | (color << 8));
        col++;
    }
}

void vga_putc(char c)
{
    put(c);
    move_cursor();
}

void vga_write(const char *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put(s[i]);
    move_cursor();
}

uint16_t vga_cell(int r, int c)
{
    return vga[r * cols + c];
}

int vga_row(void)
{
    return row;
}

void vga_geometry(int *columns, int *lines, int *monochrome)
{
    *columns = cols;
    *lines = rows;
    *monochrome = mono;
}

/*
 * What the CRT controller itself displays, for the self-test to hold the
 * BIOS's word against: characters per line from Horizontal Display End;
 * lines from Vertical Display End (10 bits, two in the overflow register)
 * over the character height (Maximum Scan Line, doubled when scan-doubling).
 */
void vga_crtc_geometry(int *columns, int *lines)
{
    uint8_t hde, vde_low, overflow, scan;
    outb(crtc, 0x01);
    hde = inb(crtc + 1);
    outb(crtc, 0x12);
    vde_low = inb(crtc + 1);
    outb(crtc, 0x07);
    overflow = inb(crtc + 1);
    outb(crtc, 0x09);
    scan = inb(crtc + 1);
    int vde = vde_low | (overflow & 0x02) << 7 | (overflow & 0x40) << 3;
    int height = ((scan & 0x1F) + 1) * (scan & 0x80 ? 2 : 1);
    *columns = hde + 1;
    *lines = (vde + 1) / height;
}
