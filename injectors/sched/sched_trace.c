/* sched_trace.c — a traced trial's lines ("step   12  T1  lock import lock") and
 * the labels of modelled objects. */
#include "sched_internal.h"

#include <stdarg.h>
#include <stdio.h>

#define M rl_sched_m

void rl_sched_tracef(const char *fmt, ...)
{
    if (M.trace_len + 200 >= sizeof M.trace)
        return; /* full: the rest of the trial is not traced */
    va_list ap;
    va_start(ap, fmt);
    int w = snprintf(M.trace + M.trace_len, sizeof M.trace - M.trace_len, "step %4d  T%d  ",
                     M.steps, rl_sched_me);
    M.trace_len += (size_t)w;
    w = vsnprintf(M.trace + M.trace_len, sizeof M.trace - M.trace_len, fmt, ap);
    M.trace_len += (size_t)w;
    if (M.trace_len >= sizeof M.trace - 1)
        M.trace_len = sizeof M.trace - 2; /* a line cut short */
    M.trace[M.trace_len++] = '\n';
    M.trace[M.trace_len] = '\0';
    va_end(ap);
}

const char *rl_sched_trace(void) { return M.trace; }

const char *rl_sched_label(const sched_object *o, char *buf, size_t len)
{
    if (o->name != NULL)
        return o->name;
    const char *p = o->addr;
    if (M.state_base != NULL && p >= M.state_base && p < M.state_base + M.state_size)
        snprintf(buf, len, "%s@state+%zu", o->kind, (size_t)(p - M.state_base));
    else
        snprintf(buf, len, "%s@%p", o->kind, o->addr);
    return buf;
}
