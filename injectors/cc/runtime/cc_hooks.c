/* cc_hooks.c — the rest of ThreadSanitizer's interface that instrumented
 * code calls: start-up, function entry and exit, and the annotations some
 * libraries make. racelab's runtime keeps no shadow state, so all of them
 * do nothing; they exist so that the program links. rl_cc_runtime marks the
 * binary as built by racelab cc: `racelab exec` tells it from a TSan build
 * by it (both define __tsan_init). */
#include "cc_runtime.h"

RL_CC_EXPORT extern const char rl_cc_runtime[];
const char rl_cc_runtime[] = "racelab cc runtime 1";

RL_CC_EXPORT void __tsan_init(void);
void __tsan_init(void) {}
RL_CC_EXPORT void __tsan_func_entry(void *call_pc);
void __tsan_func_entry(void *call_pc) { (void)call_pc; }
RL_CC_EXPORT void __tsan_func_exit(void);
void __tsan_func_exit(void) {}
RL_CC_EXPORT void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_begin(void) {}
RL_CC_EXPORT void __tsan_ignore_thread_end(void);
void __tsan_ignore_thread_end(void) {}
RL_CC_EXPORT void __tsan_acquire(void *addr);
void __tsan_acquire(void *addr) { (void)addr; }
RL_CC_EXPORT void __tsan_release(void *addr);
void __tsan_release(void *addr) { (void)addr; }

/* Mutex annotations (libc++, annotated locks): the real lock calls are what
 * exec mode models. */
#define RL_CC_MUTEX_HOOK(NAME)                                                                     \
    RL_CC_EXPORT void __tsan_mutex_##NAME(void *addr, unsigned flags);                             \
    void __tsan_mutex_##NAME(void *addr, unsigned flags)                                           \
    {                                                                                              \
        (void)addr;                                                                                \
        (void)flags;                                                                               \
    }
RL_CC_MUTEX_HOOK(create)
RL_CC_MUTEX_HOOK(destroy)
RL_CC_MUTEX_HOOK(pre_lock)
RL_CC_MUTEX_HOOK(post_unlock)
RL_CC_MUTEX_HOOK(pre_signal)
RL_CC_MUTEX_HOOK(post_signal)
RL_CC_MUTEX_HOOK(pre_divert)
RL_CC_MUTEX_HOOK(post_divert)

RL_CC_EXPORT void __tsan_mutex_post_lock(void *addr, unsigned flags, int recursion);
void __tsan_mutex_post_lock(void *addr, unsigned flags, int recursion)
{
    (void)addr;
    (void)flags;
    (void)recursion;
}
RL_CC_EXPORT int __tsan_mutex_pre_unlock(void *addr, unsigned flags);
int __tsan_mutex_pre_unlock(void *addr, unsigned flags)
{
    (void)addr;
    (void)flags;
    return 0;
}
