/* access.c — rl_exec_access (exec_access.h): a memory access of a program
 * built by racelab cc, one of the points mem/read, mem/write, mem/atomic.
 * In noise mode it is an event like any call's (counted; a spec may act on
 * it); with no spec on the point that is the thread's counter and nothing
 * more. In sched mode it is a scheduling point, traced as "mem/write 8
 * bytes @0x…" with the access's site; the same access again (same site, same
 * address) with no other point of the thread between is a spin on that
 * location (`while (!flag)`, an exchange loop) and gives way like a yield
 * (strategy.h's fairness). */
#include "preload.h"

#include "exec_access.h"

#include <stdio.h>

static const rl_exec_point points[] = {RL_EXEC_MEM_READ, RL_EXEC_MEM_WRITE, RL_EXEC_MEM_ATOMIC};

RL_EXEC_EXPORT void rl_exec_access(rl_exec_access_kind kind, const void *addr, unsigned size,
                                   const void *caller)
{
    if ((unsigned)kind > RL_EXEC_ACCESS_ATOMIC)
        return;
    rl_exec_point point = points[kind];
    if (rl_exec_mode_now == RL_EXEC_NOISE) {
        if (rl_exec_point_action[point] == NULL) {
            rl_exec_thread *t = rl_exec_self();
            atomic_fetch_add_explicit(&t->counts->hits[point], 1, memory_order_relaxed);
            return;
        }
        rl_exec_event(point, RL_EXEC_BEFORE, (uintptr_t)addr, caller, 0);
        return;
    }
    if (!rl_exec_sched_here(caller))
        return;
    char what[96];
    const char *line = NULL;
    if (rl_exec_sched_tracing()) {
        snprintf(what, sizeof what, "%s %u bytes @%p", rl_exec_point_name(point), size, addr);
        line = what;
    }
    /* the thread's last access: only the thread itself reads or writes these */
    static _Thread_local const void *last_caller, *last_addr;
    static _Thread_local unsigned long last_step;
    unsigned long step = rl_exec_sched_thread_points();
    int again = caller == last_caller && addr == last_addr && step == last_step;
    if (again)
        rl_exec_sched_yield(point, line, caller);
    else /* an atomic access counts as a write: a read-modify-write races with reads */
        rl_exec_sched_access(point, line, caller, addr, kind != RL_EXEC_ACCESS_READ);
    last_caller = caller;
    last_addr = addr;
    last_step = rl_exec_sched_thread_points();
}
