/*
 * fwcfg.h: QEMU's fw_cfg device, as far as Koiz reads it (fwcfg.c).
 */
#ifndef KOIZ_FWCFG_H
#define KOIZ_FWCFG_H

/* 1 when QEMU's fw_cfg lists a file called name ("opt/..."); 0 when it does
 * not, or there is no fw_cfg (Bochs, a real PC: not even probed there). */
int fwcfg_has_file(const char *name);

#endif
