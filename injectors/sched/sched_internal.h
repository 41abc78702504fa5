/* sched_internal.h — the state the mechanism's files share (not for
 * drivers: they use sched_mechanism.h).
 *
 * Only the thread holding the baton touches this state, or the driver's
 * thread between trials. Passing the baton is a release store that the next
 * thread acquires, so every step happens-before the next and ThreadSanitizer
 * sees a serial program. */
#ifndef RACELAB_SCHED_MECHANISM_INTERNAL_H
#define RACELAB_SCHED_MECHANISM_INTERNAL_H

#include "sched_mechanism.h"

#include <stdatomic.h>

/* T_OUTSIDE: left control, blocked in a call the driver does not model */
typedef enum { T_RUNNABLE, T_BLOCKED, T_DONE, T_OUTSIDE } sched_thread_state;
/* Who may touch the state, when threads may leave control: the baton's
 * holder is L_HELD in its own code, L_POINT inside the mechanism; a waiting
 * thread that finds it stalled swaps L_HELD for L_STOLEN and takes over. */
enum { L_IDLE, L_HELD, L_POINT, L_STOLEN };
typedef enum { W_NONE, W_MUTEX, W_COND, W_JOIN } sched_wait_kind;

/* A modelled mutex or condition variable of the current trial (sched_models.c). */
typedef struct {
    const void *addr;
    const char *kind; /* "mutex" or "cond", for labels */
    const char *name; /* NULL: labelled by address */
    uint32_t generation;
    int owner; /* mutex: holding thread + 1, 0 when free */
    int depth; /* mutex: times taken by its owner */
    int recursive;
    const void *site; /* mutex: where its owner took it */
} sched_object;

typedef struct {
    sched_thread_state state;
    sched_wait_kind waiting;
    const sched_object *waits_for; /* W_MUTEX, W_COND */
    int join_target;               /* W_JOIN */
    _Atomic uint32_t go;           /* futex word, 1: this thread holds the baton */
    pthread_t pthread;
    int spawned, detached, joined;
    const void *site;      /* where its current modelled call comes from */
    const void *last_site; /* where its last modelled call came from */
    int timed, timed_out;  /* a timed condition wait; it timed out */
    int yielding;          /* its next choice is at a yielding point (strategy.h) */
    int exiting;           /* it is at the process's end (rl_sched_exit_point) */
    int yields;            /* yielding points it reached in the trial */
    int streak;            /* its yielding points in a row (rl_sched_choose) */
    int neutral;           /* its next point (a trylock) neither adds to the streak nor ends it */
    _Atomic int lease;     /* L_*: see above */
    _Atomic int want_in;   /* 1: it left control and wants back in */
    int fresh;             /* spawned, no event yet: its first reads its start */
    const void *hint;      /* its call's site for ids only (rl_sched_site_hint) */
} sched_thread;

typedef struct {
    rl_sched_strategy *strategy;
    uint64_t seed;
    int initial_threads;
    int nthreads;
    sched_thread t[RL_SCHED_MAX_THREADS];
    int steps;
    int preemptions;
    int choices[RL_SCHED_MAX_STEPS];
    int aborting;
    rl_sched_trial result;
    _Atomic int live;            /* threads still inside the trial */
    _Atomic uint32_t trial_over; /* futex word for the driver */
    const char *state_base;
    size_t state_size;
    int tracing;
    char own_trace[65536];
    char *trace; /* own_trace, or the driver's (rl_sched_trace_into) */
    size_t trace_cap, trace_len;
    rl_sched_hooks hooks;
    _Atomic int holder;        /* the baton's thread; -1: parked (threads outside) */
    _Atomic uint32_t progress; /* choices made: a stalled holder makes none */
    int outside;               /* threads that left control, not back yet */
    int yield_run;             /* choices in a row at yielding points */
    rl_sched_event events[RL_SCHED_MAX_THREADS]; /* each thread's pending event (strategy.h) */
} sched_mechanism;

extern sched_mechanism rl_sched_m;
extern _Thread_local int rl_sched_me; /* the calling thread's id, -1 outside */

/* The calling thread's pending event: what it does once chosen at the
 * point it is about to reach (strategy.h). */
/* sched_sites.c: the stable id of a code address, of a point's name (0: NULL) */
uint64_t rl_sched_site_id(const void *pc);
uint64_t rl_sched_name_site(const char *name);

/* sched_observe.c: reads-from pairs (strategy.h), keyed by a tagged object */
enum { OBS_MEM, OBS_MUTEX, OBS_COND, OBS_START, OBS_END };
uint64_t rl_sched_obs_key(int tag, uint64_t object);
void rl_sched_obs_reset(void);
void rl_sched_obs_write(uint64_t key, uint64_t site);
void rl_sched_obs_read(uint64_t key, uint64_t site); /* the pair (last writer, site) */
int rl_sched_observed(const rl_sched_pair **pairs);

/* The calling thread's pending event: what it does once chosen at the
 * point it is about to reach (strategy.h), at the site of its current call
 * (or `name`'s, a scenario point's, when the driver gave none). A spawned
 * thread's first event reads its start. */
static inline void rl_sched_pending_at(rl_sched_event_kind kind, uintptr_t object, int write,
                                       const char *name)
{
    int me = rl_sched_me;
    if (me < 0)
        return;
    sched_thread *t = &rl_sched_m.t[me];
    const void *pc = t->site != NULL ? t->site : t->hint;
    uint64_t site = pc != NULL ? rl_sched_site_id(pc) : rl_sched_name_site(name);
    rl_sched_m.events[me] = (rl_sched_event){kind, object, write, site};
    if (t->fresh && site != 0) {
        t->fresh = 0;
        rl_sched_obs_read(rl_sched_obs_key(OBS_START, (uint64_t)me), site);
    }
}

static inline void rl_sched_pending(rl_sched_event_kind kind, uintptr_t object, int write)
{
    rl_sched_pending_at(kind, object, write, NULL);
}

/* The site of the calling thread's pending event. */
static inline uint64_t rl_sched_pending_site(void)
{
    return rl_sched_me >= 0 ? rl_sched_m.events[rl_sched_me].site : 0;
}

/* sched_mechanism.c */
int rl_sched_choose(int current); /* the next thread, -1 when nobody can run */
void rl_sched_pass(int next);     /* hand the baton to `next` */
void rl_sched_wait_turn(int me);  /* until the baton comes back */
void rl_sched_leave(void);        /* the calling thread is out of the trial */
void rl_sched_abort(void);        /* end the trial: longjmps unless on the driver */
void rl_sched_switch(void);       /* a point: the running thread stays runnable */
void rl_sched_block(void);        /* the running thread has just blocked */
void rl_sched_wake(sched_wait_kind kind, const sched_object *obj, int all);

/* sched_models.c: forget every object (a new trial) */
void rl_sched_objects_reset(void);

/* sched_deadlock.c: who waits for what, "T0 waits for X held by T1; …" */
void rl_sched_describe_waits(char *out, size_t len);

/* sched_trace.c */
__attribute__((format(printf, 1, 2))) void rl_sched_tracef(const char *fmt, ...);
/* A line of thread `who` written by another (the one that takes over from it). */
__attribute__((format(printf, 2, 3))) void rl_sched_tracef_as(int who, const char *fmt, ...);
/* A line of the trace; its arguments are evaluated only when tracing. */
#define SCHED_TRACE(...)                                                                           \
    do {                                                                                           \
        if (rl_sched_m.tracing)                                                                    \
            rl_sched_tracef(__VA_ARGS__);                                                          \
    } while (0)
/* The object's name, or "<kind>@state+OFFSET", or "<kind>@ADDRESS". */
const char *rl_sched_label(const sched_object *o, char *buf, size_t len);

#endif
