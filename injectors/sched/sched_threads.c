/* sched_threads.c — the modelled spawn and join. The driver creates the thread
 * (its own start routine runs rl_sched_run_thread); the mechanism gives it
 * an id, counts it in the trial, and knows when it has ended, so a join of
 * an unfinished thread blocks in the model, not in pthread_join. */
#include "sched_internal.h"

#include <string.h>

#define M rl_sched_m

int rl_sched_spawn_prepare(int detached)
{
    rl_sched_pending(RL_EV_SPAWN, 0, 0);
    SCHED_TRACE("spawns T%d", M.nthreads);
    rl_sched_switch();
    if (M.nthreads >= RL_SCHED_MAX_THREADS)
        return -1;
    int id = M.nthreads++;
    sched_thread *t = &M.t[id];
    /* before pthread_create, which orders it before the new thread's start */
    memset(t, 0, sizeof *t);
    t->state = T_RUNNABLE;
    t->spawned = 1;
    t->detached = detached;
    t->fresh = 1; /* its first event reads the spawn */
    rl_sched_obs_write(rl_sched_obs_key(OBS_START, (uint64_t)id), rl_sched_pending_site());
    M.events[id] = (rl_sched_event){RL_EV_START, 0, 0, 0};
    atomic_fetch_add_explicit(&M.live, 1, memory_order_relaxed);
    return id;
}

void rl_sched_spawn_done(int id, const pthread_t *thread, int rc)
{
    sched_thread *t = &M.t[id];
    if (rc != 0) { /* no thread: the slot stays, ended */
        t->state = T_DONE;
        t->spawned = 0;
        rl_sched_leave();
        return;
    }
    t->pthread = *thread;
}

void *rl_sched_join(pthread_t thread)
{
    int me = rl_sched_me;
    int target = -1;
    for (int i = M.initial_threads; i < M.nthreads; i++)
        if (M.t[i].spawned && pthread_equal(M.t[i].pthread, thread))
            target = i;
    /* races with the target's end (its RL_EV_EXIT) */
    rl_sched_pending(RL_EV_JOIN, target >= 0 ? (uintptr_t)target + 1 : 0, 0);
    SCHED_TRACE("joins T%d", target);
    rl_sched_switch();
    void *ret = NULL;
    if (target < 0) {
        pthread_join(thread, &ret); /* not one of this trial's threads */
        return ret;
    }
    while (M.t[target].state != T_DONE) {
        M.t[me].state = T_BLOCKED;
        M.t[me].waiting = W_JOIN;
        M.t[me].join_target = target;
        rl_sched_block();
    }
    M.t[target].joined = 1;
    rl_sched_obs_read(rl_sched_obs_key(OBS_END, (uint64_t)target), rl_sched_pending_site());
    pthread_join(thread, &ret);
    return ret;
}
