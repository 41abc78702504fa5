/* internal.h — types shared by the runtime's modules (not for scenarios). */
#ifndef RACELAB_INTERNAL_H
#define RACELAB_INTERNAL_H

#include "../../injectors/points/points.h"
#include "../../injectors/points/posix_faults.h"
#include "../../injectors/sched/strategy.h"
#include "../common/grader.h"
#include "../common/mode.h"
#include "../common/parse_number.h"
#include "../common/record.h"
#include "../common/splitmix.h"
#include "racelab.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

/* A variant's own inject spec, or NULL (checked by rl_check_descriptor). */
static inline const char *rl_variant_inject(const rl_variant *v)
{
    return v->inject != NULL ? v->inject->spec : NULL;
}

#define RL_MAX_TSAN_KINDS 8
#define RL_MAX_PARAMS 8
#define RL_MAX_POSIX_FAULTS 8

typedef enum { RL_ENGINE_BATCHED, RL_ENGINE_NAIVE } rl_engine_kind;
typedef struct {
    int variant;
    rl_mode mode;
    rl_engine_kind engine;
    double seconds;            /* time budget (used when trials == 0) */
    unsigned long long trials; /* trial budget, 0 = use seconds */
    uint64_t seed;
    double timeout; /* seconds without progress = hang */
    int batch;      /* fixed batch size, 0 = adaptive */
    int json;
    int until_fail; /* stop after the first forbidden outcome or hang */
    rl_inject_spec specs[RL_MAX_SPECS];
    int n_specs;
    int default_profile;      /* specs came from the default fuzz profile */
    const char *profile;      /* --profile NAME, or NULL */
    const char *profile_spec; /* the spec the profile put first in specs[], or NULL */
    const char *variant_spec; /* the variant's own spec (rl_variant.inject), or NULL */
    char posix_faults[RL_MAX_POSIX_FAULTS][RL_POSIX_COMMAND_MAX]; /* fiu-run -c commands */
    const char *posix_specs[RL_MAX_POSIX_FAULTS];                 /* as the user wrote them */
    int n_posix;
    /* sched mode */
    rl_strategy strategy;   /* random, pct:D, dfs:B: parsed once (cli.c) */
    char strategy_text[32]; /* the same, rendered for the record */
    const char *replay;     /* a schedule to force on every trial, as given */
    int *replay_choices;    /* the same, parsed once (cli.c) */
    int n_replay;
    int shrink;
    const char *outcome; /* --outcome: the failure to look for and shrink towards */
    char param_keys[RL_MAX_PARAMS][32];
    long param_values[RL_MAX_PARAMS];
    int n_params;
} rl_config;

/* What a run under the controlled scheduler adds to its result. */
typedef struct {
    unsigned long long deadlocks; /* trials that deadlocked (the run goes on) */
    unsigned long long diverged;  /* replayed schedules that could not be followed (not graded) */
    int bad_replay_thread;        /* a replay named this thread, which never existed; -1 */
    int bad_replay_threads;       /* the threads there were at that step */
    int exhausted;                /* dfs: every schedule within the bound was run */
    int max_steps;
    long long failure_trial; /* -1 when none */
    double failure_seconds;
    const char *failure_cause;
    char failure_schedule[4096];
    int failure_preemptions;
    char failure_waits[512];
    int shrunk; /* --shrink found the schedule below */
    char shrunk_schedule[4096];
    int shrunk_preemptions;
    int shrunk_minimal; /* every schedule with fewer preemptions was tried */
    const char *shrunk_cause;
    char shrunk_waits[512];
    const char *shrunk_trace;
    int fuzz; /* --strategy fuzz: its corpus at the end */
    int fuzz_entries, fuzz_failed, fuzz_pairs;
} rl_sched_result;

/* One half of a stress+fuzz run, as it measured on its own. */
typedef struct {
    const char *mode;
    unsigned long long trials, forbidden;
    double seconds;
    long long first_failure_trial; /* within the whole run; -1 when none */
} rl_phase;

typedef struct {
    const char *kind; /* TSan's own name: "data-race", "lock-order-inversion"… */
    unsigned long long count;
} rl_tsan_kind;

/* What a run measured; the verdict is derived from it. */
typedef struct {
    unsigned long long trials;
    double seconds;
    unsigned long long outcome_counts[RL_MAX_OUTCOMES];
    unsigned long long hangs;
    long long first_failure_trial; /* -1 when none */
    double first_failure_seconds;
    const char *first_failure_cause;         /* outcome name, "deadlock" or a TSan kind */
    long long hang_positions[RL_MAX_ACTORS]; /* trial each actor was in, -1 done */
    int interrupted;
    int batch_max; /* the largest batch the engine used */
    rl_tsan_kind tsan[RL_MAX_TSAN_KINDS];
    int n_tsan_kinds;
    unsigned long long tsan_reports;
    rl_phase phases[2]; /* stress+fuzz mode: each half */
    int n_phases;
    int sched_mode; /* the fields below are filled */
    rl_sched_result sched;
} rl_result;

/* The runtime's outcome for a hang; every scenario gets it after its own. */
#define RL_DEADLOCK_OUTCOME "deadlock"

/* engine.c / engine_naive.c */
int rl_run_batched(const rl_scenario *sc, const rl_config *cfg, rl_result *out);
int rl_run_naive(const rl_scenario *sc, const rl_config *cfg, rl_result *out);
int rl_run_sched(const rl_scenario *sc, const rl_config *cfg, rl_result *out);
int rl_run_both(const rl_scenario *sc, const rl_config *cfg, rl_result *out); /* engine_both.c */

/* verdict.c: the grader's input from this run */
void rl_judge(const rl_scenario *sc, const rl_config *cfg, const rl_result *res, rl_verdict *v);
int rl_exit_status(const rl_verdict *v);

/* record.c */
void rl_print_record(FILE *f, const rl_scenario *sc, const rl_config *cfg, const rl_result *res,
                     const rl_verdict *v);
void rl_print_summary(FILE *f, const rl_scenario *sc, const rl_config *cfg, const rl_result *res,
                      const rl_verdict *v);
void rl_print_describe(FILE *f, const rl_scenario *sc);

/* tsan_hooks.c: reports seen by this process so far (0 in the plain flavour) */
void rl_tsan_snapshot(rl_result *res, double run_start);
int rl_flavour_is_tsan(void);
const char *rl_flavour_name(void);

/* thread context (context.c) */
void rl_context_enter(int actor, uint64_t seed);
void rl_context_set_trial(long long trial);
long long rl_context_trial(void);
uint64_t rl_context_random(void);

/* points_setup.c: the specs in force (profile, the variant's own, --inject)
 * bound to the scenario's points, checked against the mode, and the points
 * made live. 0; -1 bad input (err says why); -3 the descriptor or libfiu. */
int rl_points_setup(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen);
/* The same without making the points live: what --describe checks of the
 * options, so that the driver can ask a program before it runs it. */
int rl_points_check(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen);
/* Every declared point's spec and per-actor counters, into out[n_points]. */
void rl_point_counts(const rl_scenario *sc, rl_point_record *out);
/* The declared points no actor reached, into out[]; returns their count. */
/* The declared points VARIANT reaches (the scenario's reach table) that no
 * actor hit; their names in OUT. */
int rl_points_unhit(const rl_scenario *sc, int variant, const rl_point_record *counts,
                    const char **out);
int rl_point_reached_by(const rl_scenario *sc, int point, int variant);

/* point_hit.c: RL_POINT and RL_FAULT of this scenario made live */
void rl_points_arm(const rl_scenario *sc);

/* descriptor_check.c: 0, or 3 with a message when the descriptor breaks the
 * rules (a defect of the scenario file) */
int rl_check_descriptor(const rl_scenario *sc);

/* cli_usage.c: PROGRAM --help */
void rl_print_usage(FILE *f, const char *program, const rl_scenario *sc);

/* params.c */
void rl_params_use(const rl_scenario *sc, const rl_config *cfg);
int rl_check_params(const rl_scenario *sc, const rl_config *cfg, char *err, size_t errlen);
int rl_parse_param(rl_config *cfg, const char *text);

/* scratch.c */
void rl_scratch_cleanup(void);

/* version.c: git describe of the build */
const char *rl_version(void);

/* clock.c */
double rl_now(void);

#endif
