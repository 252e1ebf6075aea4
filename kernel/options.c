/*
 * options.c: the kernel's options, as the boot command line sets them
 * (lib/options.c knows every option; this file holds the kernel's copy and
 * says aloud what it could not take).
 */
#include <koiz/bugs.h>
#include <koiz/klib.h>
#include "../telemetry/send.h"
#include "dev/console.h"
#include "kernel.h"

struct koiz_options kernel_options;

static void warn_option(void *ctx, const char *message)
{
    (void)ctx;
    kprintf_color(VGA_YELLOW, "koiz: %s\n", message);
    tel_send_warn(&(struct rec_warn){.text = text_of(message)});
}

void kernel_options_parse(const char *cmdline)
{
    options_parse(cmdline, &kernel_options, warn_option, 0);
}

#define BUG_ROW(id, word, about) {word, about},
static const struct {
    const char *word, *about;
} bug_rows[KOIZ_BUG_COUNT] = {KOIZ_BUGS(BUG_ROW)};
#undef BUG_ROW

void bugs_announce(uint32_t bugs)
{
    char line[160];
    for (int k = 0; k < KOIZ_BUG_COUNT; k++)
        if (bugs & (1u << k)) {
            ksnprintf(line, sizeof line, "TEACHING MODE: Koiz is broken on purpose: bug=%s: %s",
                      bug_rows[k].word, bug_rows[k].about);
            kprintf_color(VGA_LIGHT_RED, "%s\n", line);
            tel_send_warn(&(struct rec_warn){.text = text_of(line)});
        }
}
