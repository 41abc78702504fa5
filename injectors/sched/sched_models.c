/* sched_models.c — the modelled mutex, trylock and condition variable.
 *
 * Nothing is locked for real: the mechanism keeps each object's state in a
 * table keyed by the object's address, made afresh for every trial (a trial
 * starts from a fresh state, and an aborted one leaves mutexes "held"). The
 * caller passes the object's name, if it has one, on every call. */
#include "sched_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define TABLE_SIZE 256 /* a power of two */
#define TABLE_LIMIT (TABLE_SIZE * 3 / 4)

static sched_object table[TABLE_SIZE];
static uint32_t generation = 1; /* an entry of another generation is free */
static int used;

void rl_sched_objects_reset(void)
{
    used = 0;
    if (++generation == 0) { /* wrapped: old entries would look current */
        for (int i = 0; i < TABLE_SIZE; i++)
            table[i].generation = 0;
        generation = 1;
    }
}

static sched_object *object_of(const void *addr, const char *kind, const char *name)
{
    uintptr_t h = ((uintptr_t)addr >> 3) * 0x9e3779b97f4a7c15ULL;
    size_t i = (size_t)(h >> 24) & (TABLE_SIZE - 1);
    while (table[i].generation == generation && table[i].addr != addr)
        i = (i + 1) & (TABLE_SIZE - 1);
    sched_object *o = &table[i];
    if (o->generation != generation) {
        if (++used > TABLE_LIMIT) {
            fprintf(stderr, "racelab: more than %d mutexes and conditions in one trial\n",
                    TABLE_LIMIT);
            exit(3);
        }
        *o = (sched_object){.addr = addr, .kind = kind, .generation = generation};
    }
    if (name != NULL)
        o->name = name;
    return o;
}

/* A lock taken reads and writes its mutex (sched_observe.c): the pair is
 * the previous taker's site and this one. */
static void took(const sched_object *m)
{
    uint64_t key = rl_sched_obs_key(OBS_MUTEX, (uint64_t)(uintptr_t)m->addr);
    uint64_t site = rl_sched_pending_site();
    rl_sched_obs_read(key, site);
    rl_sched_obs_write(key, site);
}

static int can_take(const sched_object *m, int me)
{
    return m->owner == 0 || (m->owner == me + 1 && m->recursive);
}

static void acquire(sched_object *m, int me)
{
    char buf[64];
    while (!can_take(m, me)) {
        SCHED_TRACE("blocks on %s (held by T%d)", rl_sched_label(m, buf, sizeof buf), m->owner - 1);
        sched_thread *t = &rl_sched_m.t[me];
        t->state = T_BLOCKED;
        t->waiting = W_MUTEX;
        t->waits_for = m;
        rl_sched_block();
    }
    m->owner = me + 1;
    m->depth++;
    m->site = rl_sched_m.t[me].site;
    took(m);
}

void rl_sched_lock(const void *mutex, const char *name, int recursive)
{
    char buf[64];
    sched_object *m = object_of(mutex, "mutex", name);
    m->recursive = recursive;
    rl_sched_pending(RL_EV_LOCK, (uintptr_t)mutex, 1);
    SCHED_TRACE("lock %s", rl_sched_label(m, buf, sizeof buf));
    rl_sched_switch();
    acquire(m, rl_sched_me);
    SCHED_TRACE("holds %s", rl_sched_label(m, buf, sizeof buf));
}

int rl_sched_trylock(const void *mutex, const char *name, int recursive)
{
    char buf[64];
    sched_object *m = object_of(mutex, "mutex", name);
    m->recursive = recursive;
    rl_sched_pending(RL_EV_LOCK, (uintptr_t)mutex, 1);
    SCHED_TRACE("trylock %s", rl_sched_label(m, buf, sizeof buf));
    rl_sched_m.t[rl_sched_me].neutral = 1; /* a retry loop's streak goes on through it */
    rl_sched_switch();
    if (!can_take(m, rl_sched_me)) {
        rl_sched_spinning(); /* a trylock loop gives way at its next point */
        return 0;
    }
    m->owner = rl_sched_me + 1;
    m->depth++;
    m->site = rl_sched_m.t[rl_sched_me].site;
    took(m);
    return 1;
}

void rl_sched_unlock(const void *mutex, const char *name)
{
    char buf[64];
    sched_object *m = object_of(mutex, "mutex", name);
    rl_sched_pending(RL_EV_UNLOCK, (uintptr_t)mutex, 1);
    SCHED_TRACE("unlock %s", rl_sched_label(m, buf, sizeof buf));
    rl_sched_switch();
    if (m->depth == 0) { /* pthreads would fail or misbehave: a bug in the caller */
        fprintf(stderr, "racelab: T%d unlocks %s, which nobody holds\n", rl_sched_me,
                rl_sched_label(m, buf, sizeof buf));
        abort();
    }
    if (--m->depth == 0) {
        m->owner = 0;
        rl_sched_wake(W_MUTEX, m, 1);
    }
}

static int cond_wait(const void *cond, const char *cond_name, const void *mutex,
                     const char *mutex_name, int timed)
{
    int me = rl_sched_me;
    char buf[64];
    sched_object *c = object_of(cond, "cond", cond_name);
    sched_object *m = object_of(mutex, "mutex", mutex_name);
    SCHED_TRACE("waits on %s", rl_sched_label(c, buf, sizeof buf));
    rl_sched_pending(RL_EV_LOCK, (uintptr_t)mutex, 1); /* once woken, it takes the mutex back */
    int depth = m->depth;                              /* released whole, taken back whole */
    m->depth = 0;
    m->owner = 0;
    rl_sched_wake(W_MUTEX, m, 1);
    sched_thread *t = &rl_sched_m.t[me];
    t->state = T_BLOCKED;
    t->waiting = W_COND;
    t->waits_for = c;
    t->timed = timed;
    t->timed_out = 0;
    rl_sched_block();
    t->timed = 0;
    if (t->timed_out) {
        SCHED_TRACE("times out on %s", rl_sched_label(c, buf, sizeof buf));
        rl_sched_spinning(); /* a loop of timed waits gives way at its next point */
    } else {                 /* woken: it reads the wake */
        rl_sched_obs_read(rl_sched_obs_key(OBS_COND, (uint64_t)(uintptr_t)cond),
                          rl_sched_pending_site());
    }
    acquire(m, me);
    m->depth = depth;
    return t->timed_out;
}

void rl_sched_cond_wait(const void *cond, const char *cond_name, const void *mutex,
                        const char *mutex_name)
{
    cond_wait(cond, cond_name, mutex, mutex_name, 0);
}

int rl_sched_cond_timedwait(const void *cond, const char *cond_name, const void *mutex,
                            const char *mutex_name)
{
    return cond_wait(cond, cond_name, mutex, mutex_name, 1);
}

void rl_sched_cond_wake(const void *cond, const char *name, int all)
{
    char buf[64];
    sched_object *c = object_of(cond, "cond", name);
    rl_sched_pending(RL_EV_WAKE, (uintptr_t)cond, 1);
    SCHED_TRACE("%s %s", all ? "broadcasts" : "signals", rl_sched_label(c, buf, sizeof buf));
    rl_sched_switch();
    rl_sched_obs_write(rl_sched_obs_key(OBS_COND, (uint64_t)(uintptr_t)cond),
                       rl_sched_pending_site());
    rl_sched_wake(W_COND, c, all);
}
