/*
 * klib.h: the freestanding helpers the kernel uses instead of a libc
 * (strings, number parsing, printf-style formatting). lib/ implements them
 * in plain C so host unit tests can link the very same sources.
 */
#ifndef KOIZ_KLIB_H
#define KOIZ_KLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *kmemset(void *dst, int c, size_t n);
void *kmemcpy(void *dst, const void *src, size_t n);
void *kmemmove(void *dst, const void *src, size_t n);
int kmemcmp(const void *a, const void *b, size_t n);
size_t kstrlen(const char *s);
size_t kstrnlen(const char *s, size_t max);
int kstrcmp(const char *a, const char *b);
int kstrncmp(const char *a, const char *b, size_t n);
char *kstrstr(const char *haystack, const char *needle);
/* Copies at most size-1 bytes and always terminates (when size > 0). */
size_t kstrlcpy(char *dst, const char *src, size_t size);

/*
 * Parses an unsigned decimal, or hex with a 0x prefix, from s[0..len).
 * Returns 0 and stores the value, or -1 when the text is empty, has a
 * stray character, or overflows 32 bits.
 */
int kparse_u32(const char *s, size_t len, uint32_t *out);

/*
 * Formatting: %d %i %u %x %X %p %s %c %%, flags '-' and '0', a width
 * (or '*'), a precision for %s, and the length modifiers l, ll, z.
 * Every character goes through emit(ctx, c). Returns the count emitted.
 */
typedef void (*kemit_fn)(void *ctx, char c);
int kvformat(kemit_fn emit, void *ctx, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/*
 * Console text as the kernel writes it (escape.c, docs/protocol.md): '@',
 * '\', control bytes other than '\n' and '\t', and bytes above 0x7E become
 * the four characters \xNN (lower-case hex); every other byte stays. So no
 * console byte can start a telemetry record, and the escapes can be undone.
 * text_escaped says whether byte c is written escaped; text_escape writes
 * in[0..n) escaped into out, which must hold TEXT_ESCAPE_MAX * n bytes, and
 * returns the bytes written (no terminating NUL).
 */
#define TEXT_ESCAPE_MAX 4
int text_escaped(unsigned char c);
size_t text_escape(char *out, const char *in, size_t n);

/* n / d, and n % d into *rem when rem is not NULL (divide.c: why Koiz has its own). */
uint64_t u64_divmod(uint64_t n, uint64_t d, uint64_t *rem);

#endif
