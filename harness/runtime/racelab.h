/* racelab.h — the API a scenario program is written against.
 *
 * A scenario file defines its shared state, the code of each variant, one
 * function per actor, an arbiter that grades one finished trial, and one
 * descriptor; RL_SCENARIO(descriptor) then gives it a complete command line.
 * See README.md ("Writing a scenario") for a walk-through.
 */
#ifndef RACELAB_H
#define RACELAB_H

#include "../common/expectation.h"

#include <pthread.h>
#include <stddef.h>

#define RL_MAX_ACTORS 8
#define RL_MAX_OUTCOMES 16
#define RL_MAX_VARIANTS 12
#define RL_MAX_POINTS 16

typedef enum {
    RL_DELAY_POINT, /* a slow step or a switch that matters: delays, yields */
    RL_FAULT_POINT  /* a place where real code can fail: RL_FAULT() */
} rl_point_kind;

typedef struct {
    const char *name;
    rl_grade grade;
    const char *meaning;
} rl_outcome;

typedef struct {
    const char *name;
    rl_expectation expect;
    rl_detector caught_by;
    const char *summary;
} rl_variant;

typedef struct {
    const char *name; /* "<scenario>/<step>" */
    rl_point_kind kind;
    const char *meaning;
} rl_point;

/* A scenario's own knob, set with --param NAME=N and checked against its
 * range before the run starts. */
typedef struct {
    const char *name;
    long default_value, min, max;
    const char *meaning;
} rl_param_spec;

typedef void (*rl_state_fn)(void *state, int variant);
typedef int (*rl_arbiter_fn)(void *state, int variant);

typedef struct {
    const char *name;
    const char *reference; /* document and ticket */
    const char *summary;
    int actors;
    size_t state_size;
    rl_state_fn init; /* may be NULL: the state starts zeroed */
    rl_state_fn fini; /* may be NULL */
    rl_state_fn actor[RL_MAX_ACTORS];
    rl_arbiter_fn arbiter; /* returns an index into outcomes */
    const rl_outcome *outcomes;
    int n_outcomes;
    const rl_variant *variants;
    int n_variants;
    const rl_point *points;
    int n_points;
    const rl_param_spec *params; /* may be NULL */
    int n_params;
    /* Per variant, an inject spec it needs to show its failure (a fault it
     * only shows after), applied in fuzz and sched modes after the profile
     * and before --inject's (so the user can override it); in stress mode
     * such a variant is not judged. NULL for most variants. */
    const char *variant_inject[RL_MAX_VARIANTS];
    int max_batch; /* 0: the runtime decides; 1 for trials that fork or do I/O */
} rl_scenario;

#define RL_COUNT(array) ((int)(sizeof(array) / sizeof((array)[0])))

/* In a descriptor: the outcome, variant and point tables with their counts. */
#define RL_TABLES(outcome_table, variant_table, point_table)                                       \
    .outcomes = (outcome_table), .n_outcomes = RL_COUNT(outcome_table),                            \
    .variants = (variant_table), .n_variants = RL_COUNT(variant_table), .points = (point_table),   \
    .n_points = RL_COUNT(point_table)

int rl_main(const rl_scenario *scenario, int argc, char **argv);

#define RL_SCENARIO(descriptor)                                                                    \
    int main(int argc, char **argv) { return rl_main(&(descriptor), argc, argv); }

/* The index of the calling actor (0..actors-1); threads spawned with
 * rl_spawn inherit their parent's. */
int rl_self(void);

/* ---- points ------------------------------------------------------------ */

/* Nonzero only in modes where points act (fuzz, sched); read-only while
 * actors run. */
extern int rl_points_live;
void rl_point_hit(const char *name);
int rl_fault_hit(const char *name);

/* A slow step or a switch that matters. In stress mode: one load and a
 * not-taken branch. */
#define RL_POINT(name)                                                                             \
    do {                                                                                           \
        if (__builtin_expect(rl_points_live, 0))                                                   \
            rl_point_hit(name);                                                                    \
    } while (0)

/* True when a fault is injected here: the caller takes its real error path. */
#define RL_FAULT(name) (__builtin_expect(rl_points_live, 0) && rl_fault_hit(name))

/* ---- synchronisation wrappers ------------------------------------------
 * Scenario code never calls pthreads directly: in stress and fuzz modes
 * these are the pthread calls (TSan sees real mutexes); in sched mode each
 * is a scheduling point and the scheduler models the lock, so blocking is
 * known and a deadlock is found at once. Waiting for another thread must go
 * through these (a spin on an atomic never lets the other thread run in
 * sched mode). */

typedef struct {
    pthread_mutex_t mutex;
    const char *name; /* for deadlock reports and traces (rl_mutex_name) */
    int recursive;
    /* Unused: keeps rl_mutex at 64 bytes (x86-64 glibc), the size every
     * scenario's state was laid out and measured with. */
    int reserved[2];
} rl_mutex;

typedef struct {
    pthread_cond_t cond;
    const char *name; /* for deadlock reports and traces (rl_cond_name) */
} rl_cond;

typedef struct {
    pthread_t thread;
} rl_thread;

void rl_mutex_init(rl_mutex *m);
void rl_mutex_init_recursive(rl_mutex *m); /* Python's RLock */
/* Name a mutex for deadlock reports and schedule traces (a string literal). */
void rl_mutex_name(rl_mutex *m, const char *name);
void rl_mutex_destroy(rl_mutex *m);
void rl_mutex_lock(rl_mutex *m);
int rl_mutex_trylock(rl_mutex *m); /* 1 when acquired */
void rl_mutex_unlock(rl_mutex *m);

void rl_cond_init(rl_cond *c);
/* Name a condition variable for deadlock reports and schedule traces (a
 * string literal); unnamed, it is "cond@state+OFFSET". */
void rl_cond_name(rl_cond *c, const char *name);
void rl_cond_destroy(rl_cond *c);
void rl_cond_wait(rl_cond *c, rl_mutex *m);
void rl_cond_signal(rl_cond *c);
void rl_cond_broadcast(rl_cond *c);

/* Start a thread; it inherits the caller's actor index and a generator
 * derived from the caller's. Returns 0 or an errno value. */
int rl_spawn(rl_thread *t, void *(*fn)(void *), void *arg);
int rl_spawn_detached(void *(*fn)(void *), void *arg);
void *rl_join(rl_thread *t);

/* ---- parameters --------------------------------------------------------
 * A scenario's own knobs, declared in its descriptor (name, default, range),
 * set with --param NAME=N and listed in the record. The value is fixed for
 * the whole run and always within the declared range. */
long rl_param(const char *name);

/* ---- files -------------------------------------------------------------
 * A directory private to this run, made on first use and removed with its
 * contents when the program ends (budget spent, Ctrl-C or hang). Call it
 * from init or an actor; it is the same path for the whole run. */
const char *rl_scratch_dir(void);

#endif
