/*
 * paging.c: the page-fault error code in words (include/koiz/paging.h),
 * the one place that says it, for the kernel's reports and koiz-view.
 */
#include <koiz/klib.h>
#include <koiz/paging.h>

char *pf_error_words(uint32_t error, char *buf, size_t size)
{
    ksnprintf(buf, size, "%s %s %s%s", error & PFERR_P ? "protection-violation" : "not-present",
              error & PFERR_I   ? "instruction-fetch"
              : error & PFERR_W ? "write"
                                : "read",
              error & PFERR_U ? "user" : "supervisor", error & PFERR_RSVD ? " reserved-bit" : "");
    return buf;
}
