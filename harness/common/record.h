/* record.h — the run record: one JSON object per run (docs/racelab-record.5.md
 * "The record" documents every field). This struct is its only definition and
 * rl_record_write its only serialiser. Three writers fill it: the scenario
 * runtime (its own run), the driver (a stand-in for a run that printed no
 * record) and the test fixtures; a test checks that all three agree with the
 * table of docs/racelab-record.5.md. Fields the driver adds after a run (run_id, command,
 * stderr_file…) are the driver's and documented beside these. */
#ifndef RACELAB_RECORD_H
#define RACELAB_RECORD_H

#include "grader.h"

#include <stdio.h>

#define RL_RECORD_MAX_ACTORS 16

typedef struct {
    const char *name;
    unsigned long long count;
} rl_named_count;

typedef struct {
    const char *name;
    long value;
} rl_named_value;

/* A point's spec and per-actor counters (hits, fired, external). */
typedef struct {
    const char *name;
    const char *spec; /* NULL: no spec acts on it */
    int actors;
    unsigned long long hits[RL_RECORD_MAX_ACTORS], fired[RL_RECORD_MAX_ACTORS],
        external[RL_RECORD_MAX_ACTORS];
} rl_point_record;

typedef struct {
    int present;     /* 0: null */
    long long trial; /* -1: null (the trial is unknown) */
    double seconds;
    const char *cause;
    int has_schedule; /* sched mode: the failing schedule follows */
    const char *schedule;
    int preemptions;
    const char *waits;
} rl_failure_record;

typedef struct {
    int present; /* 0: null (not a sched-mode run) */
    const char *strategy;
    unsigned long long schedules, deadlocks, diverged;
    int exhausted, max_steps;
    const char *replay;
    struct {
        int present;
        const char *schedule;
        int preemptions, minimal;
        const char *cause, *waits, *trace;
    } shrunk;
    struct {
        int present; /* 0: null (not --strategy fuzz) */
        int entries, failed, pairs_seen;
    } fuzz;
} rl_sched_record;

/* One half of a stress+fuzz run. */
typedef struct {
    const char *mode;
    unsigned long long trials, forbidden;
    double seconds;
    long long first_failure_trial; /* -1: null */
} rl_phase_record;

/* The positive control of a fix, as the driver judged it. */
typedef struct {
    int present; /* 0: null (no control: a program run alone, or not a fix) */
    const char *variant, *verdict;
    unsigned long long failures, trials;
    double rate;
    /* how many times less likely the failure is under the fix, at least, with
     * 90% confidence: the control's one-sided 95% lower bound over the fix's
     * one-sided 95% upper bound; 0 when the control did not fail */
    double times_less_likely;
} rl_control_record;

typedef struct {
    const char *scenario, *variant, *expectation, *caught_by, *mode;
    const char *engine; /* NULL: null (unknown) */
    const char *flavour;
    int has_seed;
    unsigned long long seed;
    unsigned long long trials;
    double seconds;
    const rl_named_count *outcomes; /* the deadlock outcome included */
    int n_outcomes;
    rl_failure_record first_failure;
    rl_sched_record sched;
    unsigned long long hangs;
    const long long *hang_actor_trials; /* NULL: hang is null */
    int n_hang_actors;
    unsigned long long crashes;
    int tsan_enabled;
    unsigned long long tsan_reports;
    const rl_named_count *tsan_kinds;
    int n_tsan_kinds;
    const rl_phase_record *phases; /* stress+fuzz mode: each half; NULL: null */
    int n_phases;
    rl_verdict verdict; /* forbidden, interesting, verdict, met and stats */
    rl_control_record control;
    const char *const *inject;
    int n_inject;
    int default_profile; /* -1: null */
    const char *profile, *profile_spec, *variant_spec;
    const char *const *posix_faults;
    int n_posix_faults;
    const rl_point_record *points;
    int n_points;
    const char *const *points_unhit; /* declared points that never fired; NULL: null */
    int n_points_unhit;
    const rl_named_value *params;
    int n_params;
    double timeout;
    int batch_max; /* -1: null */
    int until_fail, interrupted;
    const char *version;
} rl_record;

/* The record as one line of JSON, with its newline. */
void rl_record_write(FILE *f, const rl_record *r);

#endif
