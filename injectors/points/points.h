/* points.h — named points and what acts on them: inject specs, the fuzz
 * profiles, and libfiu delays, yields, spins and faults at the points of one
 * table.
 *
 * It knows nothing of scenarios. Whoever drives it (the scenario runtime;
 * later exec mode's preloaded library) declares its points as a plain
 * table, binds the specs in force to them, enables them, and then reports
 * each hit with the index of the point and of the calling thread. */
#ifndef RACELAB_POINTS_H
#define RACELAB_POINTS_H

#include "../../harness/common/record.h"

#include <stddef.h>
#include <stdint.h>

#define RL_POINTS_MAX 16        /* points in one table */
#define RL_POINTS_MAX_THREADS 8 /* threads counted apart; others are not counted */
#define RL_MAX_SPECS 32         /* specs in force at once */

/* ---- specs (inject_spec.c) ---------------------------------------------- */

typedef enum { RL_ACT_YIELD, RL_ACT_SPIN, RL_ACT_DELAY, RL_ACT_FAIL } rl_action;

/* One parsed --inject spec: PATTERN:ACTION[=ARG][,p=P]. */
typedef struct {
    char text[256];    /* as the user wrote it, for the record */
    char pattern[128]; /* glob over the point names */
    rl_action action;
    uint64_t amount; /* spin iterations, or delay upper bound in ns */
    double probability;
} rl_inject_spec;

/* 0, or -1 with a one-line message in err. */
int rl_parse_inject(const char *text, rl_inject_spec *spec, char *err, size_t errlen);

/* ---- fuzz profiles (profiles.c) ----------------------------------------
 * Specs for every point, applied before the user's (a later spec for a point
 * wins). A profile never fails a fault point. */

typedef struct {
    const char *name;
    const char *spec; /* NULL: nothing injected */
    const char *meaning;
} rl_profile;

const rl_profile *rl_profile_find(const char *name); /* NULL when unknown */
const rl_profile *rl_profile_list(int *n);

/* ---- one table of points (points.c) ------------------------------------ */

/* A point as its owner declares it. */
typedef struct {
    const char *name; /* also its libfiu name, for fiu-ctrl from outside */
    int fault;        /* a fault point: a `fail` spec applies to it */
} rl_point_decl;

/* The calling thread's own random generator: libfiu's is shared and not
 * thread-safe, and one seed must give the same decisions per thread. */
typedef uint64_t (*rl_points_random_fn)(void);

/* Binds each spec to the points its pattern matches (a `fail` spec to fault
 * points only; a later spec for a point wins). The tables must outlive the
 * run. -1 with a message naming `owner` when a spec matches no point. */
int rl_points_bind(const char *owner, const rl_point_decl *points, int n_points,
                   const rl_inject_spec *specs, int n_specs, char *err, size_t errlen);
/* Makes every bound point a libfiu point (fiu_init, fiu_set_prng_seed);
 * -1 with a message when libfiu refuses. */
int rl_points_enable(uint64_t seed, rl_points_random_fn random, char *err, size_t errlen);

/* Thread `thread` reached `point`: counts the hit and, when libfiu says the
 * point fires (our spec, or enabled from outside with fiu-ctrl), acts there.
 * Returns 1 when the action is a fault: the caller takes its error path. */
int rl_points_reach(int point, int thread);
/* Counts a hit without acting (the scheduler decides at that point). */
void rl_points_count_hit(int point, int thread);
/* Each point's name, spec and per-thread counters, into out[n_points]. */
void rl_points_report(rl_point_record *out, int threads);

/* ---- pauses (pause.c) --------------------------------------------------- */

/* Pauses for ns nanoseconds: short pauses spin on the clock, long ones sleep. */
void rl_pause_ns(uint64_t ns);

#endif
