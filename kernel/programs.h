/* programs.h: the user programs built into the kernel image (user/). */
#ifndef KOIZ_PROGRAMS_H
#define KOIZ_PROGRAMS_H

#include <stddef.h>

struct user_program {
    const char *name;
    const unsigned char *elf;
    size_t size;
};

extern const struct user_program user_programs[];
extern const int user_program_count;

/* The program called name, or NULL. */
const struct user_program *user_program(const char *name);

#endif
