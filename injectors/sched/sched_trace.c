/* sched_trace.c — a traced trial's lines ("step   12  T1  lock import lock") and
 * the labels of modelled objects. A line of a thread whose call has a site
 * (rl_sched_site) ends with it: "  [pc 0x55d0c2a1b2c3]". */
#include "sched_internal.h"

#include <stdarg.h>
#include <stdio.h>

#define M rl_sched_m

static void add_line(int who, const char *fmt, va_list ap)
{
    char *out = M.trace;
    size_t cap = M.trace_cap;
    if (out == NULL || M.trace_len + 240 >= cap)
        return; /* full: the rest of the trial is not traced */
    int w = snprintf(out + M.trace_len, cap - M.trace_len, "step %4d  T%d  ", M.steps, who);
    M.trace_len += (size_t)w;
    w = vsnprintf(out + M.trace_len, cap - M.trace_len - 40, fmt, ap);
    M.trace_len += (size_t)w;
    if (M.trace_len >= cap - 40)
        M.trace_len = cap - 41; /* a line cut short */
    const void *site = who >= 0 ? M.t[who].site : NULL;
    if (site != NULL) {
        w = snprintf(out + M.trace_len, cap - M.trace_len, "  [pc %p]", site);
        M.trace_len += (size_t)w;
    }
    out[M.trace_len++] = '\n';
    out[M.trace_len] = '\0';
}

void rl_sched_tracef(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_line(rl_sched_me, fmt, ap);
    va_end(ap);
}

void rl_sched_tracef_as(int who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_line(who, fmt, ap);
    va_end(ap);
}

const char *rl_sched_trace(void) { return M.trace; }

void rl_sched_trace_into(char *buf, size_t cap)
{
    M.trace = buf;
    M.trace_cap = cap;
}

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
