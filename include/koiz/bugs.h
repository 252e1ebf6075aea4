/*
 * bugs.h: the paging mistakes Koiz can make on purpose, for teaching (kernel
 * option bug=NAME[,NAME...]; docs/sanitizer.md). Each is one small, real slip
 * in the real code path, announced on every output while it is on; koiz-view's
 * sanitizer names the rule it breaks. One row each: the name's bit, the word
 * of the option, what the kernel then does wrong.
 */
#ifndef KOIZ_BUGS_H
#define KOIZ_BUGS_H

#define KOIZ_BUGS(B)                                                                                    \
    B(SKIP_INVLPG, "skip-invlpg", "unmap and protect leave the old translation in the TLB (no invlpg)") \
    B(COW_WRITABLE_PARENT, "cow-writable-parent", "fork leaves the parent's pages writable")            \
    B(FREE_MAPPED, "free-mapped", "unmapping a range frees the last page's frame but leaves it mapped") \
    B(LEAK_ON_EXIT, "leak-on-exit", "a dying task's pages are not given back")                          \
    B(USER_KERNEL, "user-kernel", "every task gets a kernel heap page mapped user-accessible")

#define KOIZ_BUG_INDEX(id, word, about) BUG_INDEX_##id,
enum koiz_bug_index { KOIZ_BUGS(KOIZ_BUG_INDEX) KOIZ_BUG_COUNT };
#undef KOIZ_BUG_INDEX

/* The bit of one bug in a mask of them: BUG(SKIP_INVLPG). */
#define BUG(id) (1u << BUG_INDEX_##id)

#endif
