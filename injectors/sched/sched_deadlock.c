/* sched_deadlock.c — the deadlock report: who waits for what, and who holds it;
 * with sites (rl_sched_site), where the waiter waits and where the holder
 * took the mutex: "T1 waits for mutex@0x… [pc 0x…] held by T2 (taken [pc 0x…])". */
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
        int w = snprintf(out + used, len - used, "%sT%d waits for %s", sep, i, what);
        used += (size_t)w;
        if (t->site != NULL && used < len)
            used += (size_t)snprintf(out + used, len - used, " [pc %p]", t->site);
        if (holder >= 0 && used < len)
            used += (size_t)snprintf(out + used, len - used, " held by T%d", holder);
        if (holder >= 0 && t->waits_for->site != NULL && used < len)
            used +=
                (size_t)snprintf(out + used, len - used, " (taken [pc %p])", t->waits_for->site);
        if (used >= len)
            used = len - 1;
    }
}
