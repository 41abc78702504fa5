/* compare.h — `racelab compare`: candidate fixes of one scenario side by
 * side, correctness first (with positive controls and dfs exhaustion), then
 * cost measured interleaved, then a decision line.
 *
 *   compare_cli.c    the command line (getopt_long), its help and checks
 *   compare_exec.c   one scenario program run as a child: its record
 *   compare_check.c  correctness: stress, fuzz, sched and dfs:B runs, graded
 *   compare_cost.c   cost: interleaved rounds, ratios with 95% intervals
 *   compare_print.c  the tables and the decision
 *   compare_html.c   DIR/compare.html: the text and a cost plot per mode
 *   compare_main.c   cmd_compare: the folder, the parts, the exit status
 */
#ifndef RL_COMPARE_H
#define RL_COMPARE_H

#include "core/discover.h"
#include "core/record_sink.h"
#include "core/util.h"

#define CMP_MAX_VALUES 16
#define CMP_MAX_MODES 2 /* cost modes: stress, fuzz */

typedef struct {
    catalog cat;
    const scenario_info *sc;
    const variant_info **cands; /* the candidates, in the order given */
    int n_cands;
    const variant_info **controls; /* the scenario's racy variants */
    int n_controls;
    int flavours;  /* FLAVOUR_PLAIN | FLAVOUR_TSAN, correctness */
    double budget; /* seconds, about, for the whole comparison */
    int rounds;    /* interleaved cost rounds */
    unsigned long long seed;
    double timeout;                /* the programs' own watchdog */
    int dfs_bound;                 /* dfs:B; 0: no dfs run */
    unsigned long long dfs_trials; /* the trial cap of a dfs run */
    const char *knob;              /* the --param with several values, or NULL */
    char *knob_values[CMP_MAX_VALUES];
    int n_knob_values;
    char **fixed_params; /* KEY=N passed to every run */
    int n_fixed_params;
    char **injects; /* fuzz-mode specs for every fuzz run */
    int n_injects;
    int no_cost;    /* --no-cost: correctness only */
    int cost_modes; /* bit 0 stress, bit 1 fuzz */
    const char *out_dir;
    char *build_dir;
    /* from the budget */
    double check_seconds, cost_seconds;
} compare_opts;

/* One run of a program and what it said. */
typedef struct {
    const variant_info *var;
    int tsan;
    const char *mode;     /* stress, fuzz, sched */
    const char *strategy; /* sched: "pct:3" or "dfs:2"; else NULL */
    int dfs_bound;        /* dfs:B: its preemption bound B; else 0 */
    int control;          /* a positive control, not a candidate */
    json_object *rec;     /* the record, or NULL when the run failed */
    char *error;          /* why there is no record */
    rl_verdict v;         /* candidates: as a fix; controls: as a racy variant */
    int exhausted;        /* sched.exhausted */
    unsigned long long trials;
    unsigned long long tsan_reports; /* as the TSan build counted them */
    int control_state;               /* candidates: rl_control of its controls in this setting */
} cmp_run;

typedef struct {
    cmp_run *runs;
    int n, cap;
} cmp_runs;

/* Per candidate after correctness. */
typedef enum { CAND_HOLDS, CAND_FAILS, CAND_INCONCLUSIVE, CAND_ERROR } cand_state;

typedef struct {
    int n_modes;
    const char *modes[CMP_MAX_MODES];
    double *tput; /* [cand][mode][value][round] */
    int n_cands, n_values, rounds;
    unsigned long long failures;       /* forbidden outcomes seen in cost runs, all candidates */
    unsigned long long *cand_failures; /* per candidate */
} cmp_cost;

/* racelab compare NAME[:V1,V2,...] [options] (compare_main.c) */
int cmd_compare(int argc, char **argv);

/* compare_cli.c: returns 0, CLI_DONE (help printed) or RL_EXIT_USAGE (one line). */
int compare_parse(int argc, char **argv, compare_opts *o);
void compare_opts_free(compare_opts *o);
/* The KEY=V arguments of one run at knob value index k (k < 0: the first). */
int compare_param_args(const compare_opts *o, int k, char **out, int max);

/* compare_exec.c: runs PROGRAM ARGV... and reads its one JSON record.
 * Returns 0 with *rec, RL_EXIT_USAGE with *why (the program refused its input),
 * RL_EXIT_INTERRUPTED, or RL_EXIT_HARNESS with *why. */
int compare_exec(char *const argv[], double limit, json_object **rec, char **why);
/* Appends one record to the folder's runs.jsonl with a "compare" member. */
void compare_log(record_sink *log, json_object *rec, const char *part, const char *role, int round);
double rec_num(const json_object *rec, const char *key, const char *sub);

/* compare_check.c */
int compare_check(const compare_opts *o, record_sink *log, cmp_runs *runs);
cand_state compare_cand_state(const cmp_runs *runs, const variant_info *cand);

/* compare_cost.c */
int compare_cost(const compare_opts *o, record_sink *log, cmp_cost *cost);
double *cost_at(const cmp_cost *c, int cand, int mode, int value);
/* The geometric mean of a candidate's rounds (0 when none measured). */
double cost_geomean(const cmp_cost *c, int cand, int mode, int value);
/* fastest / cand with a 95% t-interval on the log ratios over the rounds;
 * returns the number of paired rounds used. */
int cost_ratio(const cmp_cost *c, int fastest, int cand, int mode, int value, double *ratio,
               double *lo, double *hi);
/* Throughput at the knob's last value over its first, paired by round. */
int cost_growth(const cmp_cost *c, int cand, int mode, double *ratio, double *lo, double *hi);
void cost_free(cmp_cost *c);

/* compare_print.c: prints everything and returns the exit status. */
int compare_print(FILE *f, const compare_opts *o, const cmp_runs *runs, const cmp_cost *cost);

/* compare_html.c: DIR/compare.html. Returns 0 or RL_EXIT_HARNESS. */
int compare_html(const char *path, const compare_opts *o, const cmp_runs *runs,
                 const cmp_cost *cost);

#endif
