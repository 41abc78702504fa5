/* cc_stack.c — the one filter between an instrumented access and the
 * preloaded library: accesses to the calling thread's own stack are dropped.
 * The bounds come from pthread_getattr_np on the thread's first access and
 * are kept thread-locally; a thread whose bounds cannot be had keeps every
 * access (more points, never fewer). Each access off the stack is then
 * checked against the freed blocks in quarantine (cc_heap.c). */
#include "cc_runtime.h"

#include <pthread.h>

/* The preloaded library's entry, resolved at load time; NULL without it. */
extern void rl_exec_access(rl_exec_access_kind kind, const void *addr, unsigned size,
                           const void *caller) __attribute__((weak));

typedef struct {
    uintptr_t lo, hi; /* [lo, hi): this thread's stack */
    int known;        /* 0: not looked up yet, 1: bounds, -1: none */
} stack_bounds;

static _Thread_local stack_bounds own_stack;

static void look_up(stack_bounds *b)
{
    pthread_attr_t attr;
    void *base = 0;
    size_t size = 0;
    b->known = -1;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &base, &size) == 0 && size > 0) {
        b->lo = (uintptr_t)base;
        b->hi = (uintptr_t)base + size;
        b->known = 1;
    }
    pthread_attr_destroy(&attr);
}

void rl_cc_access(rl_exec_access_kind kind, const volatile void *addr, unsigned size,
                  const void *caller)
{
    stack_bounds *b = &own_stack;
    if (b->known == 0)
        look_up(b);
    uintptr_t a = (uintptr_t)addr;
    if (b->known > 0 && a >= b->lo && a < b->hi)
        return;
    if (rl_exec_access != 0)
        rl_exec_access(kind, (const void *)addr, size, caller);
    /* after the point: another thread may have freed the block there */
    rl_cc_heap_check(kind, addr, size, caller);
}
