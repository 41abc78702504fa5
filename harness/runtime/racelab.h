/* racelab.h — the API a scenario program is written against.
 *
 * A scenario file defines its shared state, the code of each variant, one
 * function per actor, an arbiter that grades one finished trial, and one
 * descriptor; RL_SCENARIO(descriptor) then gives it a complete command line.
 * See docs/writing-a-scenario.md for a walk-through, and CHANGELOG.md for
 * what changed between API versions (RL_API_VERSION) and how to migrate.
 *
 * ---- The contract ------------------------------------------------------
 *
 * A run is many trials. A trial is one state (state_size bytes, zeroed,
 * then init), the actors run once over it, then the arbiter grades it into
 * one outcome and fini releases it. Who calls what:
 *
 *   callback   thread                              rl_self()  may block
 *   init       batched: an actor thread            unspecified  no
 *              naive: the trial loop; sched: the controller
 *   actor[i]   actor thread i                      i           yes, on the
 *                                                              rl_ wrappers
 *   arbiter    as init, on the thread that ran     unspecified  never
 *              that state's init
 *   fini       as the arbiter, right after it      unspecified  no
 *
 * (rl_self() in init, arbiter and fini is the index of whichever actor
 * thread does the work in the batched engine and -1 in the others: do not
 * use it there.)
 *
 * - The state holds everything a trial touches. The batched engine keeps
 *   up to 4096 states alive at once, runs each actor over all of them in
 *   order, grades and re-initialises them on several threads at once, and
 *   reuses their memory; the naive and sched engines reuse one state. A
 *   static or thread-local variable is shared by every trial of a run and
 *   by the actors of a thread: a trial must not depend on one (read-only
 *   tables excepted).
 * - Every state is zeroed (memset 0) before every init, a reused one
 *   included, in every engine; init may rely on that, and without init the
 *   state starts zeroed. Each init is paired with one fini, except in a run
 *   that hangs: the process then ends without fini.
 * - init, the arbiter and fini never run while an actor runs over the same
 *   state; in the batched engine they run for different states
 *   concurrently on different actor threads. What the actors wrote is
 *   visible to the arbiter (the runtime synchronises).
 * - An actor may block only through the rl_ wrappers, and only on what
 *   another actor of the same trial will release. A trial that makes no
 *   progress for --timeout seconds is a hang: the `deadlock` outcome, and
 *   in stress and fuzz modes the end of the run. In sched mode a wait that
 *   nobody can end is found at once. A thread an actor starts with
 *   rl_spawn must have been joined when the actor returns (or die with a
 *   process the trial forked, as in async_mail): after the last actor
 *   returns, the state is graded, zeroed and reused.
 * - The arbiter must not block or wait: when it runs, nothing of its trial
 *   is left to release it (a waiting arbiter is reported as a hang). It
 *   returns an index into the outcome table; any other value aborts.
 * - RL_POINT and RL_FAULT belong in actor code (and the threads it spawns).
 * - rl_param() and rl_scratch_dir() may be called from any callback.
 */
#ifndef RACELAB_H
#define RACELAB_H

#include "../common/expectation.h"

#include <pthread.h>
#include <stddef.h>

/* The version of this API: raised by every change that makes a scenario
 * written against the previous one stop compiling or change meaning
 * (CHANGELOG.md has a migration note for each). A scenario may check it:
 * #if RL_API_VERSION < 4 ... */
#define RL_API_VERSION 4

/* A row of an older shape must not compile silently into a wrong one: a
 * string where a row now wants an rl_inject (a four-field variant row,
 * written before API 3) is an incompatible pointer, an error here even on
 * compilers that only warn about it by default (an error in C itself). */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic error "-Wincompatible-pointer-types"
#endif

#define RL_MAX_ACTORS 8
#define RL_MAX_OUTCOMES 16
#define RL_MAX_VARIANTS 12
#define RL_MAX_POINTS 16

typedef enum {
    RL_DELAY_POINT, /* a slow step or a switch that matters: RL_POINT() */
    RL_FAULT_POINT  /* a place where real code can fail: RL_FAULT() */
} rl_point_kind;

typedef struct {
    const char *name;
    rl_grade grade;
    const char *meaning;
} rl_outcome;

/* A variant's own inject spec: RL_INJECT("PATTERN:ACTION[,p=P]"). A type of
 * its own, not a string, so that a variant row of the shape before API 3
 * ({name, expect, caught_by, summary}: its summary lands here) fails to
 * compile with an error about `inject` instead of running with its summary
 * as an inject spec. `magic` lets the runtime refuse a row that got here
 * anyway (a cast). */
typedef struct rl_inject {
    unsigned magic; /* RL_INJECT_MAGIC */
    const char *spec;
} rl_inject;
#define RL_INJECT_MAGIC 0x524c494eu /* "RLIN" */
#define RL_INJECT(spec_text) (&(const rl_inject){RL_INJECT_MAGIC, (spec_text)})

/* A row: {name, expectation, caught_by, inject, summary}; inject is NULL or
 * RL_INJECT("..."). */
typedef struct {
    const char *name;
    rl_expectation expect;
    rl_detector caught_by;
    /* The inject spec the variant needs to show its failure (a bug that only
     * shows after a fault), or NULL. It applies in fuzz and sched modes,
     * after the profile's spec and before --inject's (so the user can
     * override it); in stress mode such a variant is not judged. */
    const rl_inject *inject;
    const char *summary;
} rl_variant;

/* A point's row, at the index of its identifier: RL_POINT(AT_STEP) in the
 * code, [AT_STEP] = {"<scenario>/<step>", …} in the table. */
typedef struct {
    const char *name; /* "<scenario>/<step>": --inject's patterns match it */
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

/* `variant` is an index into the variant table. See the contract above. */
typedef void (*rl_state_fn)(void *state, int variant);
typedef int (*rl_arbiter_fn)(void *state, int variant);

typedef struct {
    const char *name;
    const char *reference; /* document and ticket */
    const char *summary;
    int actors; /* 1..RL_MAX_ACTORS */
    size_t state_size;
    rl_state_fn init; /* may be NULL: the state starts zeroed */
    rl_state_fn fini; /* may be NULL */
    rl_state_fn actor[RL_MAX_ACTORS];
    rl_arbiter_fn arbiter; /* returns an index into outcomes */
    const rl_outcome *outcomes;
    int n_outcomes;
    const rl_variant *variants;
    int n_variants;
    const rl_point *points; /* indexed by the scenario's point identifiers */
    int n_points;
    const rl_param_spec *params; /* may be NULL */
    int n_params;
    int max_batch; /* 0: the runtime decides; 1 for trials that fork or do I/O */
} rl_scenario;

#define RL_COUNT(array) ((int)(sizeof(array) / sizeof((array)[0])))

/* In a descriptor: the outcome, variant and point tables with their counts. */
#define RL_TABLES(outcome_table, variant_table, point_table)                                       \
    .outcomes = (outcome_table), .n_outcomes = RL_COUNT(outcome_table),                            \
    .variants = (variant_table), .n_variants = RL_COUNT(variant_table), .points = (point_table),   \
    .n_points = RL_COUNT(point_table)

/* In a descriptor with knobs: the parameter table with its count. */
#define RL_PARAMS(param_table) .params = (param_table), .n_params = RL_COUNT(param_table)

int rl_main(const rl_scenario *scenario, int argc, char **argv);

#define RL_SCENARIO(descriptor)                                                                    \
    int main(int argc, char **argv) { return rl_main(&(descriptor), argc, argv); }

/* The index of the calling actor (0..actors-1); threads spawned with
 * rl_spawn inherit their parent's. Elsewhere, see the contract above. */
int rl_self(void);

/* ---- points ------------------------------------------------------------
 * A point is named by an identifier of the scenario's own enum (AT_STEP),
 * the index of its row in the descriptor's point table, so a misspelled
 * point does not compile. In fuzz and sched modes, a point that is not in
 * the table (another enum's constant, a bare number) or of the wrong kind
 * (RL_FAULT at a delay point, RL_POINT at a fault point) ends the program
 * the first time it is reached: exit status 3, one line naming the
 * scenario and the point. In stress mode the macros never call in. */

/* Nonzero only in modes where points act (fuzz, sched); read-only while
 * actors run. */
extern int rl_points_live;
/* `as_written` is the macro's argument, for the message of a bad point. */
void rl_point_hit(int point, const char *as_written);
int rl_fault_hit(int point, const char *as_written);

/* A point written as a string, the way of API 2 (RL_POINT("scenario/step")),
 * is one compile error that says so, not a conversion warning per use: the
 * check is a static assertion, and the string is never passed on. */
#define RL_POINT_IS_STRING(point) _Generic((point), char * : 1, const char * : 1, default : 0)
#define RL_POINT_ID(point) _Generic((point), char * : 0, const char * : 0, default : (point))
#define RL_POINT_CHECK(point)                                                                      \
    (void)sizeof(struct {                                                                          \
        _Static_assert(!RL_POINT_IS_STRING(point),                                                 \
                       "points are enum names since API 3: RL_POINT(AT_STEP), not "                \
                       "RL_POINT(\"scenario/step\") (see CHANGELOG.md)");                          \
        int rl_unused;                                                                             \
    })

/* A slow step or a switch that matters. In stress mode: one load and a
 * not-taken branch. */
#define RL_POINT(point)                                                                            \
    do {                                                                                           \
        RL_POINT_CHECK(point);                                                                     \
        if (__builtin_expect(rl_points_live, 0))                                                   \
            rl_point_hit(RL_POINT_ID(point), #point);                                              \
    } while (0)

/* True when a fault is injected here: the caller takes its real error path. */
#define RL_FAULT(point)                                                                            \
    (RL_POINT_CHECK(point),                                                                        \
     __builtin_expect(rl_points_live, 0) && rl_fault_hit(RL_POINT_ID(point), #point))

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
