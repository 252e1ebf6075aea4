/*
 * options.c: the kernel's options, as the boot command line sets them
 * (lib/options.c knows every option; this file holds the kernel's copy and
 * says aloud what it could not take).
 */
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
