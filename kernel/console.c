/*
 * console.c: the VGA text screen as GRUB leaves it: 80x25 cells at physical
 * 0xB8000, each a character byte and a colour byte. Text scrolls up when it
 * reaches the bottom; the hardware cursor follows the last character.
 */
#include <koiz/klib.h>
#include <koiz/layout.h>
#include "console.h"
#include "x86.h"

#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_CRTC_INDEX 0x3D4
#define VGA_CRTC_DATA  0x3D5

static volatile uint16_t *const vga = (volatile uint16_t *)(KERNEL_BASE + 0xB8000);
static int row, col;
static uint8_t color = VGA_LIGHT_GREY | (VGA_BLACK << 4);

static void move_cursor(void)
{
    uint16_t pos = (uint16_t)(row * VGA_COLS + col);
    outb(VGA_CRTC_INDEX, 0x0F);
    outb(VGA_CRTC_DATA, (uint8_t)(pos & 0xFF));
    outb(VGA_CRTC_INDEX, 0x0E);
    outb(VGA_CRTC_DATA, (uint8_t)(pos >> 8));
}

static void clear_row(int r)
{
    int c;
    for (c = 0; c < VGA_COLS; c++)
        vga[r * VGA_COLS + c] = (uint16_t)(' ' | (color << 8));
}

void vga_init(void)
{
    int r;
    for (r = 0; r < VGA_ROWS; r++)
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
    for (i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        vga[i] = vga[i + VGA_COLS];
    clear_row(VGA_ROWS - 1);
    row = VGA_ROWS - 1;
}

void vga_putc(char c)
{
    switch (c) {
    case '\n':
        col = 0;
        row++;
        break;
    case '\r':
        col = 0;
        break;
    case '\t':
        col = (col + 8) & ~7;
        break;
    case '\b':
        if (col > 0)
            col--;
        break;
    default:
        vga[row * VGA_COLS + col] = (uint16_t)((unsigned char)c | (color << 8));
        col++;
    }
    if (col >= VGA_COLS) {
        col = 0;
        row++;
    }
    if (row >= VGA_ROWS)
        scroll();
    move_cursor();
}

uint16_t vga_cell(int r, int c)
{
    return vga[r * VGA_COLS + c];
}

int vga_row(void)
{
    return row;
}
