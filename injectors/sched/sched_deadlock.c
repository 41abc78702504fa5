/* sched_deadlock.c — the deadlock report: who waits for what, and who holds it. */
#include "sched_internal.h"

#include <stdio.h>

void rl_sched_describe_waits(char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < rl_sched_m.nthreads && used + 128 < len; i++) {
        const sched_thread *t = &rl_sched_m.t[i];
        if (t->state != T_BLOCKED)
            continue;
        char buf[96];
        const char *what = buf;
        int holder = -1;
        if (t->waiting == W_JOIN) {
            snprintf(buf, sizeof buf, "the end of T%d", t->join_target);
        } else {
            what = rl_sched_label(t->waits_for, buf, sizeof buf);
            if (t->waiting == W_MUTEX)
                holder = t->waits_for->owner - 1;
        }
        const char *sep = used ? "; " : "";
        int w = holder >= 0 ? snprintf(out + used, len - used, "%sT%d waits for %s held by T%d",
                                       sep, i, what, holder)
                            : snprintf(out + used, len - used, "%sT%d waits for %s", sep, i, what);
        used += (size_t)w;
    }
}
