/* sync.c — the rl_ synchronisation wrappers. In stress and fuzz modes each
 * is the pthread call itself, so ThreadSanitizer sees real mutexes; in sched
 * mode, on a thread of a trial, each hands control to the scheduler's
 * mechanism, which models the object by its address. */
#include "internal.h"

#include "../../injectors/sched/sched_mechanism.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A failing pthread call here is a bug in a scenario (double unlock, a lock
 * destroyed while held): stop loudly rather than grade garbage. */
static void check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "racelab: %s failed: %s\n", what, strerror(rc));
        abort();
    }
}

void rl_mutex_init(rl_mutex *m)
{
    check(pthread_mutex_init(&m->mutex, NULL), "mutex init");
    m->name = NULL;
    m->recursive = 0;
}

void rl_mutex_name(rl_mutex *m, const char *name) { m->name = name; }

void rl_mutex_init_recursive(rl_mutex *m)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    check(pthread_mutex_init(&m->mutex, &attr), "recursive mutex init");
    pthread_mutexattr_destroy(&attr);
    m->name = NULL;
    m->recursive = 1;
}

void rl_mutex_destroy(rl_mutex *m) { check(pthread_mutex_destroy(&m->mutex), "mutex destroy"); }

void rl_mutex_lock(rl_mutex *m)
{
    if (rl_sched_here()) {
        rl_sched_site_hint(__builtin_return_address(0)); /* the lock's site (fuzz) */
        rl_sched_lock(m, m->name, m->recursive);
        rl_sched_site_hint(NULL);
    } else
        check(pthread_mutex_lock(&m->mutex), "mutex lock");
}

void rl_mutex_unlock(rl_mutex *m)
{
    if (rl_sched_here())
        rl_sched_unlock(m, m->name);
    else
        check(pthread_mutex_unlock(&m->mutex), "mutex unlock");
}

int rl_mutex_trylock(rl_mutex *m)
{
    if (rl_sched_here()) {
        rl_sched_site_hint(__builtin_return_address(0));
        int taken = rl_sched_trylock(m, m->name, m->recursive);
        rl_sched_site_hint(NULL);
        return taken;
    }
    return pthread_mutex_trylock(&m->mutex) == 0;
}

void rl_cond_init(rl_cond *c)
{
    check(pthread_cond_init(&c->cond, NULL), "cond init");
    c->name = NULL;
}

void rl_cond_name(rl_cond *c, const char *name) { c->name = name; }

void rl_cond_destroy(rl_cond *c) { check(pthread_cond_destroy(&c->cond), "cond destroy"); }

void rl_cond_wait(rl_cond *c, rl_mutex *m)
{
    if (rl_sched_here())
        rl_sched_cond_wait(c, c->name, m, m->name);
    else
        check(pthread_cond_wait(&c->cond, &m->mutex), "cond wait");
}

void rl_cond_signal(rl_cond *c)
{
    if (rl_sched_here())
        rl_sched_cond_wake(c, c->name, 0);
    else
        check(pthread_cond_signal(&c->cond), "cond signal");
}

void rl_cond_broadcast(rl_cond *c)
{
    if (rl_sched_here())
        rl_sched_cond_wake(c, c->name, 1);
    else
        check(pthread_cond_broadcast(&c->cond), "cond broadcast");
}

/* ---- threads: one start routine for every mode ------------------------- */

typedef struct {
    void *(*fn)(void *);
    void *arg;
    void *ret;
    int actor;
    long long trial; /* TSan reports from the child name the parent's trial */
    uint64_t seed;
    int sched_id; /* the scheduler's id of the thread, -1 outside sched mode */
} spawn_start;

static void call_start(void *p)
{
    spawn_start *start = p;
    start->ret = start->fn(start->arg);
}

static void *spawned_main(void *p)
{
    spawn_start start = *(spawn_start *)p;
    free(p);
    rl_context_enter(start.actor, start.seed);
    rl_context_set_trial(start.trial);
    if (start.sched_id < 0)
        return start.fn(start.arg);
    rl_sched_run_thread(start.sched_id, call_start, &start); /* ret stays NULL if aborted */
    return start.ret;
}

static int spawn(pthread_t *t, int detached, void *(*fn)(void *), void *arg)
{
    int sched_id = -1;
    if (rl_sched_here()) {
        sched_id = rl_sched_spawn_prepare(detached);
        if (sched_id < 0)
            return EAGAIN; /* the trial has RL_SCHED_MAX_THREADS threads */
    }
    spawn_start *start = malloc(sizeof *start);
    int rc = ENOMEM;
    if (start != NULL) {
        /* in sched mode the seed of the scheduler's thread id, as for actors */
        *start = (spawn_start){.fn = fn,
                               .arg = arg,
                               .actor = rl_self(),
                               .trial = rl_context_trial(),
                               .seed = sched_id >= 0 ? rl_sched_thread_seed(sched_id)
                                                     : rl_context_random(),
                               .sched_id = sched_id};
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        if (detached)
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(t, &attr, spawned_main, start);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            free(start);
    }
    if (sched_id >= 0)
        rl_sched_spawn_done(sched_id, t, rc);
    return rc;
}

int rl_spawn(rl_thread *t, void *(*fn)(void *), void *arg) { return spawn(&t->thread, 0, fn, arg); }

int rl_spawn_detached(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    return spawn(&t, 1, fn, arg);
}

void *rl_join(rl_thread *t)
{
    if (rl_sched_here())
        return rl_sched_join(t->thread);
    void *ret = NULL;
    check(pthread_join(t->thread, &ret), "join");
    return ret;
}
