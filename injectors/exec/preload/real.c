/* real.c — the functions behind the interposers, found with
 * dlsym(RTLD_NEXT): the next definition after this library in the lookup
 * order (libc's; or, under libfiu's preload, whatever follows it).
 *
 * Resolution happens once, on the first interposed call (or in the
 * constructor, whichever comes first: in a TSan program the sanitizer's own
 * start-up may call in before any constructor runs). dlsym may allocate, and
 * an allocator may lock a mutex: a call that comes back into an interposer
 * while this thread resolves finds rl_exec_real_ready still 0 and takes its
 * fallback. Another thread that arrives meanwhile waits. */
#include "preload.h"

#include <dlfcn.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>

rl_exec_real_table rl_exec_real_fns;
_Atomic int rl_exec_real_ready;
static _Atomic long resolver; /* tid of the thread resolving, 0 when none */

_Noreturn static void missing(const char *name)
{
    static const char prefix[] = "racelab-exec: cannot find the real ";
    syscall(SYS_write, 2, prefix, sizeof prefix - 1);
    size_t n = 0;
    while (name[n] != '\0')
        n++;
    syscall(SYS_write, 2, name, n);
    syscall(SYS_write, 2, "\n", 1);
    syscall(SYS_exit_group, 125);
    __builtin_unreachable();
}

static void resolve_all(void)
{
    /* Only the calls every libc has are required; the others may be NULL
     * (an interposer whose real call is missing is never reached: the
     * program could not have linked against it either). */
#define RL_EXEC_RESOLVE(fn) rl_exec_real_fns.fn = (__typeof__(&(fn)))dlsym(RTLD_NEXT, #fn);
    RL_EXEC_REAL_FUNCTIONS(RL_EXEC_RESOLVE)
#undef RL_EXEC_RESOLVE
    if (rl_exec_real_fns.pthread_mutex_lock == NULL)
        missing("pthread_mutex_lock");
    if (rl_exec_real_fns.pthread_create == NULL)
        missing("pthread_create");
    if (rl_exec_real_fns.clock_gettime == NULL)
        missing("clock_gettime");
    if (rl_exec_real_fns.nanosleep == NULL)
        missing("nanosleep");
}

int rl_exec_resolve(void)
{
    long me = syscall(SYS_gettid);
    for (;;) {
        if (atomic_load_explicit(&rl_exec_real_ready, memory_order_acquire))
            return 1;
        long owner = 0;
        if (atomic_compare_exchange_strong(&resolver, &owner, me)) {
            resolve_all();
            atomic_store_explicit(&rl_exec_real_ready, 1, memory_order_release);
            atomic_store(&resolver, 0);
            return 1;
        }
        if (owner == me)
            return 0; /* re-entered from inside dlsym */
        syscall(SYS_sched_yield);
    }
}
