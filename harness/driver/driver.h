/* driver.h — the racelab driver: types and functions shared by its files.
 *
 *   util.c       memory, strings, clocks, messages
 *   json_io.c    JSON through json-c: parsing, look-ups, valid UTF-8, one line
 *   options.c    every command's command line (getopt_long) and its help
 *   discover.c   finding scenario programs and asking them --describe
 *   plan.c       PATTERN[:VARIANT] selection into an ordered list of runs
 *   interrupt.c  SIGINT/SIGTERM through a self-pipe
 *   runner.c     child processes, their process groups and the watchdog
 *   stacks.c     gdb thread stacks of a hung child
 *   tsanlog.c    ThreadSanitizer log files: reports, kinds, sites
 *   hash_index.c entries of an array found by hash (sites, kinds)
 *   results.c    the results folder, run records, runs.jsonl
 *   record_sink.c  runs.jsonl written a whole record at a time, or not at all
 *   summary.c    the table on the terminal and in summary.txt
 *   drive.c      one session of runs: folder, table, runs, totals
 *   shard.c      --shard K/N: the plan split by cost, its hash, shard.json
 *   merge.c      `racelab merge`: one results folder from the shards
 *   fifos.c      libfiu control FIFOs left in /tmp by crashed runs
 *   rerun.c      `racelab rerun`: one record run again
 *   repro.c      `racelab repro`: a variant's minimal failing interleaving
 *   cc_main.c    `racelab cc`, `racelab c++`: clang with racelab's access runtime
 *   main.c       subcommands list, describe, points, run, parse-tsan
 *
 * What the driver shares with the scenario runtime is in harness/common: the
 * grader (one verdict rule), the record definition and its writer.
 */
#ifndef RL_DRIVER_H
#define RL_DRIVER_H

#include "../common/grader.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses (docs/design.md; the classes are harness/common/grader.h's). */
enum {
    EXIT_MET = RL_EXIT_MET,
    EXIT_NOT_MET = RL_EXIT_FIX_FAILED, /* a fix failed: a regression */
    EXIT_USAGE = RL_EXIT_USAGE,
    EXIT_HARNESS = RL_EXIT_HARNESS,
    EXIT_WEAK = RL_EXIT_WEAK, /* a racy variant not reproduced, a fix inconclusive */
    EXIT_INTERRUPTED = RL_EXIT_INTERRUPTED
};

/* ---- util.c ------------------------------------------------------------ */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double now_seconds(void); /* monotonic */
int write_all(int fd, const char *buf, size_t len);
int set_cloexec_nonblock(int fd);
const char *signal_name(int sig);
/* "racelab: error: ..." on stderr, one line. */
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A number as the programs read it (harness/common/parse_number.c: no
 * blanks, hexadecimal, inf or nan) within [lo, hi]; 0 on success. */
int parse_seconds(const char *text, double lo, double hi, double *out);
int parse_whole(const char *text, unsigned long long lo, unsigned long long hi,
                unsigned long long *out);
/* racelab cc (cxx 0) and racelab c++ (cc_main.c): ARGV after the command. */
int cmd_cc(int argc, char **argv, int cxx);
/* Where the driver executable lives (for build/plain next to it). */
char *self_dir(void);
/* A command line being built: argv[argc] is NULL; free_argv frees it. */
typedef struct {
    char **argv;
    int argc;
} arglist;
void arglist_add(arglist *l, const char *word);                   /* a copy of word */
void arglist_opt(arglist *l, const char *opt, const char *value); /* nothing when value NULL */
/* argv as one line a shell takes back (words quoted where needed). */
char *shell_join(char *const *argv, int argc);
/* PATH relative to the working directory when it lies beneath it. */
const char *relative_path(const char *path);

/* ---- json_io.c --------------------------------------------------------- */

/* JSON null is a NULL json_object. Parses the whole text as one value (a
 * byte that is not valid UTF-8 becomes U+FFFD first). Returns 0 and *out (a
 * new reference, NULL for null), or -1 and *err, a static message. */
int jparse(const char *text, size_t len, json_object **out, const char **err);
/* Member KEY of an object; NULL when absent, null, or OBJ is not an object. */
json_object *jget(const json_object *obj, const char *key);
const char *jstring(const json_object *v);      /* NULL unless a string */
int jnumber(const json_object *v, double *out); /* 0 when a number */
int jtrue(const json_object *v);                /* the boolean true */
int jis_object(const json_object *v);
size_t jlen(const json_object *v); /* an array's length; 0 for anything else */
json_object *jat(const json_object *arr, size_t i);
/* A number's exact text (a 64-bit integer, or a double as it was read);
 * NULL unless a number. Valid until V is serialised again or released. */
const char *jnumber_text(json_object *v);
json_object *jtext(const char *s); /* NULL s: null; made valid UTF-8 */
json_object *jreal(double x);      /* "%.6g" like the records; null when not finite */
json_object *jcount(unsigned long long n);
/* One line ("key": value, like the scenario programs), no newline; malloc'd. */
char *jline(json_object *v);

/* ---- discover.c -------------------------------------------------------- */

typedef struct {
    char *name;
    char *expectation; /* reproduces, holds, benign */
    char *caught_by;   /* any, oracle, tsan */
    char *summary;
    char *inject; /* the fault spec it needs to show its failure, or NULL */
} variant_info;

typedef struct {
    char *name;              /* the program's file name (its descriptor agrees) */
    char *plain_path;        /* build/plain/<name> */
    char *tsan_path;         /* build/tsan/<name> */
    int tsan_built;          /* that file is there */
    json_object *descriptor; /* what --describe printed */
    variant_info *variants;
    int n_variants;
} scenario_info;

typedef struct {
    char *build_dir;
    scenario_info *items; /* sorted by name */
    int n;
} catalog;

/* `PATH --describe` in its own process group, with a deadline: its stdout
 * when it exits 0, else NULL (the caller frees it). */
char *describe_output(const char *path);
/* Returns 0, or an exit status after printing a one-line error. */
int catalog_load(catalog *cat, const char *build_dir);
void catalog_free(catalog *cat); /* what catalog_load made, on success or not */
const scenario_info *catalog_find(const catalog *cat, const char *name);
/* "a, b, c" — for error messages. */
char *catalog_names(const catalog *cat);
/* Runs `PATH ARGS... --describe`: the program checks ARGS as it would for a
 * run. Returns 0 when it accepts them; EXIT_USAGE when it refuses them, *why
 * then its one-line reason without the "NAME: error: " prefix; EXIT_HARNESS
 * when it failed otherwise (died by a signal, another exit status, no answer
 * in 10 s), *why saying so. */
int program_check_args(const char *path, const char *const *args, int n, char **why);

/* ---- plan.c ------------------------------------------------------------ */

enum { FLAVOUR_PLAIN = 1, FLAVOUR_TSAN = 2 };

typedef struct {
    const scenario_info *sc;
    const variant_info *var;
    int tsan;    /* flavour */
    int control; /* not asked for: run as the positive control of a fix */
} plan_item;

/* Patterns are PATTERN[:VARIANT] globs; none means everything. Returns 0 or
 * EXIT_USAGE after printing a one-line error. */
int plan_select(const catalog *cat, char **patterns, int n_patterns, int flavours, plan_item **out,
                int *n_out);

/* Positive controls: for every fix (holds or benign) in the plan, the
 * scenario's racy variants that can be judged in that flavour and mode run
 * too, before it, when the plan does not hold them already (marked
 * `control`). Returns the new count; *items is reallocated. */
int plan_add_controls(plan_item **items, int n, const char *mode);
/* Whether `var` can serve as a positive control in this flavour and mode:
 * it is expected to reproduce, and its run will be judged. */
int can_control(const variant_info *var, int tsan, const char *mode);

/* An --inject spec goes to the scenarios with a point it matches (a fail
 * spec: a fault point), the way the program itself matches it; the others
 * keep their own profile. */
int spec_applies(const scenario_info *sc, const char *spec);
/* Every spec must match a point of some known scenario (a typo is an
 * error; a spec for scenarios left out of this run is not). Returns 0 or
 * EXIT_USAGE. */
int plan_check_injects(const catalog *cat, const char *const *specs, int n_specs);

/* ---- options.c --------------------------------------------------------- */

typedef struct {
    const char *mode;         /* NULL: the program's default */
    int flavours;             /* FLAVOUR_PLAIN | FLAVOUR_TSAN */
    const char *seconds_text; /* passed through as given */
    double seconds;
    const char *trials_text;
    const char *seed_text;
    const char *timeout_text;
    const char *strategy; /* sched mode: random, pct:D, dfs:B */
    int until_fail;
    double timeout;  /* the program's watchdog, 3 unless given */
    double deadline; /* the driver's watchdog per run; 0: computed */
    const char **injects;
    int n_injects;
    const char **params;
    int n_params;
    const char *profile;       /* fuzz mode: passed through */
    const char **posix_faults; /* passed through to every run */
    int n_posix_faults;
    const char *flavour_text; /* --flavour as given, or NULL */
    const char *replay;       /* sched mode: force this schedule (rerun) */
    int shrink;               /* sched mode: --shrink (repro) */
    const char *outcome;      /* sched mode: --outcome NAME (repro) */
    const char *engine;       /* a program's --engine (rerun of a naive run) */
    const char *out_dir;
    const char *build_dir;
    int controls; /* run: fixes wait for their positive controls (plan_add_controls) */
    int jobs;
    int shard_k, shard_n; /* --shard K/N (run) or --shards N (plan); shard_n 0: whole plan */
    char **patterns;      /* not owned */
    int n_patterns;
} run_options;

/* One command line: the command and what its options and words said. */
typedef struct {
    const char *command;     /* "run", "list"...; NULL before it is known */
    run_options o;           /* run and repro; --out, --build, --deadline of rerun */
    int json;                /* list, describe, points: --json */
    unsigned long long line; /* rerun: --line N */
    int line_given;
    char **args; /* the words that are not options, in order */
    int n_args;
} command_line;

enum { CLI_DONE = -1 }; /* help or the version printed: exit 0 */

/* Global options (--build, --help, --version) before the command, then the
 * command's own options (getopt_long; --build and --help are accepted after
 * any command). Returns 0, CLI_DONE, or EXIT_USAGE after a one-line error. */
int parse_command_line(int argc, char **argv, command_line *c);
void free_command_line(command_line *c);
/* The options of `racelab run` with their defaults (rerun fills its own). */
void run_options_init(run_options *o, int capacity);
void free_run_options(run_options *o);
double run_deadline(const run_options *o);

/* ---- interrupt.c ------------------------------------------------------- */

void interrupt_install(void);
int interrupt_fd(void);    /* readable after SIGINT/SIGTERM */
int interrupt_count(void); /* signals seen so far */
void interrupt_drain(void);
void interrupt_restore_in_child(void);

/* ---- hash_index.c ------------------------------------------------------ */

/* Entry numbers of an array, found by hash: -1 marks an empty slot. */
typedef struct {
    int *slots;
    size_t cap, n; /* cap a power of two, at most half full */
} hash_index;
typedef int (*index_same)(const void *ctx, int entry, const void *key);
typedef uint64_t (*index_hash)(const void *ctx, int entry);

uint64_t hash_text(uint64_t h, const char *s); /* FNV-1a, from 14695981039346656037 */
/* The entry equal to KEY (same() says), or -1. */
int hash_index_find(const hash_index *x, uint64_t h, const void *key, index_same same,
                    const void *ctx);
/* Adds ENTRY (not there yet) under hash H; rehash() gives an entry's hash. */
void hash_index_add(hash_index *x, uint64_t h, int entry, index_hash rehash, const void *ctx);
void hash_index_free(hash_index *x);

/* ---- tsanlog.c --------------------------------------------------------- */

typedef struct {
    char *kind;
    char *frames; /* first non-interceptor frame of each stack, " | " joined */
    unsigned long count;
} tsan_site;

typedef struct {
    unsigned long reports;
    unsigned long incomplete; /* a header without its SUMMARY line */
    char **kinds;
    unsigned long *kind_counts;
    int n_kinds;
    tsan_site *sites;
    int n_sites;
    char **files;
    int n_files;
    int kinds_cap, sites_cap;          /* allocated */
    hash_index kind_index, site_index; /* kinds and sites by hash */
} tsan_summary;

/* 0, or -1 and *why when PATH cannot be read or is not a regular file (a
 * directory, a FIFO: never waited on). */
int tsan_parse_file(tsan_summary *t, const char *path, const char **why);
/* Every file DIR/BASE.* (TSan appends .<pid>), in name order. */
void tsan_parse_prefix(tsan_summary *t, const char *dir, const char *base);
json_object *tsan_to_json(const tsan_summary *t);
void tsan_free(tsan_summary *t);
/* TSAN_OPTIONS for a run whose log goes to LOG_BASE.<pid>: the user's own
 * TSAN_OPTIONS first, then ours, then EXTRA (":"-led, or "" for none). */
char *tsan_run_options(const char *log_base, const char *extra);

/* ---- stacks.c ---------------------------------------------------------- */

/* Thread stacks of PID into PATH with gdb. Returns 0 when written; else
 * *why says what happened (gdb missing, attach failed...). */
int take_stacks(pid_t pid, const char *path, char **why);
/* Runs argv with stdout+stderr to out_path, in its own process group, for at
 * most `limit` seconds (less after a second SIGINT/SIGTERM to the driver).
 * Returns the wait status, or -1. */
int run_captured(char *const argv[], const char *out_path, double limit);

/* ---- runner.c ---------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
    size_t dropped; /* bytes beyond the cap, not kept */
} buffer;

void buf_append(buffer *b, const char *data, size_t n, size_t cap);
/* Reads the non-blocking FD until it would block, into B (up to CAP); at
 * EOF or an error it closes FD and sets *fd to -1. */
void buf_drain(int *fd, buffer *b, size_t cap);
void buf_free(buffer *b);

typedef struct child_run {
    int index; /* position in the plan */
    plan_item item;
    char *run_id;
    char **argv;
    int argc;
    char *tsan_base; /* log_path given to TSan, or NULL */
    pid_t pid;
    int fd_out, fd_err;
    buffer out, err;
    /* The program's progress feed (harness/runtime/progress.c): a pipe of
     * "progress TRIALS FAILURES" lines, the last whole one kept. */
    int fd_progress;
    char feed[128];
    size_t feed_len;
    long long live_trials, live_failures; /* -1: no line yet */
    double start, end, deadline, kill_at;
    int status;      /* wait status */
    int reaped;      /* status valid */
    int spawn_errno; /* the program could not be started */
    int timed_out;   /* the driver's watchdog fired */
    int interrupted; /* stopped by the driver's SIGINT/SIGTERM */
    char *stacks_file;
    char *stacks_note;
} child_run;

/* The command line of one run (argv[argc] is NULL). */
char **run_argv(const plan_item *it, const run_options *o, int *argc);
void free_argv(char **argv);

struct session;
/* Runs every planned item, at most `jobs` at once, handing each finished
 * run to results_finish. Returns nonzero when interrupted. */
int run_all(struct session *s, const run_options *o, const plan_item *plan, int n);

/* ---- results.c --------------------------------------------------------- */

typedef struct {
    char *scenario, *variant, *expectation, *mode, *flavour, *verdict, *note;
    char *trials, *rate, *forbidden, *tsan;
    char *unhit;  /* declared points no actor reached, ", " joined, or NULL */
    int met;      /* 1 met, 0 not met, -1 not judged */
    int index;    /* plan order */
    int severity; /* exit status this run asks for */
} summary_row;

/* What a written run tells the fixes it controls. */
typedef struct run_outcome {
    int done;
    char *variant, *verdict;
    unsigned long long failures, trials;
    double rate;
} run_outcome;

typedef struct session {
    char *dir;
    int jsonl_fd;
    int tty, colour;
    int n_planned;
    double started; /* now_seconds() when the first run started: the ETA */
    summary_row *rows;
    int n_rows;
    int width_scenario, width_variant;
    int progress_shown;
    int quiet; /* no table, progress or totals on stdout */
    const run_options *opts;
    const plan_item *plan; /* what this session runs, in order */
    int n_plan;
    struct run_outcome *finished; /* per plan index: the outcome, once written */
    struct pending *pending;      /* fixes whose controls have not all finished */
    int n_pending;
    int n_unwritten;     /* records runs.jsonl could not take (record_sink.c) */
    int unwritten_errno; /* why, the last time */
} session;

/* Makes the results folder (DIR or results/<stamp>-<host>); returns 0 or
 * EXIT_HARNESS/EXIT_USAGE after a one-line error, with nothing left. */
int results_open(session *s, const run_options *o, const char *default_root);
/* The record of one finished run: written to runs.jsonl and the table. */
void results_finish(session *s, child_run *c, const run_options *o);
int results_close(session *s, int interrupted);
void results_free(session *s);
char *results_path(const session *s, const char *sub, const char *name);

/* ---- record_sink.c ----------------------------------------------------- */

/* Appends one record (a line ending in '\n') to runs.jsonl whole or not at
 * all: one write, fsync, and on failure the file cut back to its last whole
 * line, the failure counted in the session and said in one warning line.
 * Returns 0 when written. */
int record_sink_append(session *s, const char *run_id, const char *line, size_t len);
/* "N records could not be written ..." on F, when some could not. */
void record_sink_report(const session *s, FILE *f);

/* ---- summary.c --------------------------------------------------------- */

void summary_header(session *s, const plan_item *plan, int n);
void summary_row_print(session *s, const summary_row *r);
void summary_progress(session *s, int done, const child_run *const *running, int n_running);
void summary_progress_clear(session *s);
void summary_write_file(const session *s, FILE *f, int interrupted, int status);
void summary_totals(session *s, int interrupted, int status);
void summary_list(const catalog *cat, FILE *f);
void summary_describe(const scenario_info *sc, FILE *f);
/* One line per point: scenario, point, kind, meaning (every scenario, or
 * `only`). */
void summary_points(const catalog *cat, const scenario_info *only, FILE *f);

/* ---- drive.c ----------------------------------------------------------- */

/* Every value the driver passes on is checked before anything runs, by the
 * programs' own parsers (one parser per idea): each planned scenario's plain
 * program is asked with the command line of its first run
 * (program_check_args), and the TSan build once (it refuses more). Returns 0,
 * or EXIT_USAGE / EXIT_HARNESS after a one-line error naming the scenario. */
int check_passthrough(const plan_item *plan, int n, const run_options *o);
/* One session of runs: stale FIFOs removed, the results folder (o->out_dir
 * or results/<UTC>-<host> beside the build), the table (none when quiet),
 * the runs, summary.txt. Returns the exit status; *dir_out gets the folder
 * when it was made. */
int drive(const run_options *o, const plan_item *plan, int n, int quiet, char **dir_out);
/* Frees a table row's texts. */
void row_free(summary_row *r);
/* The last record of DIR/runs.jsonl, or NULL. */
json_object *last_record(const char *dir);

/* ---- shard.c ----------------------------------------------------------- */

/* Each plan item's shard, 0..shards-1: the runs of one scenario in one
 * flavour (a fix and its controls) stay together, groups go largest first
 * to the least loaded shard (cost: budget x flavour weight). The same for
 * the same plan and options on every machine. Returns a new array. */
int *shard_assign(const plan_item *plan, int n, int shards, const run_options *o);
double shard_cost(const plan_item *it, const run_options *o);
/* The plan's identity: every run's key, role and arguments (not the
 * program's path), 16 hex digits; malloc'd. */
char *plan_hash(const plan_item *plan, int n, const run_options *o);
/* racelab plan: the plan and its split (--shards N), a table or --json. */
int cmd_plan_print(const plan_item *plan, int n, const run_options *o, int json);
/* racelab run --shard K/N: the runs of shard K, driven into --out DIR, and
 * the identity of the whole plan in DIR/shard.json (written before the runs
 * with complete false, again after them). Returns the exit status. */
int shard_run(const plan_item *plan, int n, const run_options *o);

/* ---- merge.c ----------------------------------------------------------- */

int cmd_merge(const command_line *c);

/* ---- fifos.c ----------------------------------------------------------- */

/* fiu-run's control FIFOs (/tmp/fiu-ctrl-PID.in and .out; $TMPDIR too)
 * outlive a program that dies. Removes those of PID. */
void fifo_cleanup_pid(pid_t pid);
/* Removes those of every PID that no longer exists. */
void fifo_cleanup_stale(void);

/* ---- rerun.c, repro.c -------------------------------------------------- */

int cmd_rerun(const command_line *c);
/* The command a rerun of the record in TEXT would run (line c->line of it
 * when c->line_given), as far as the driver checks a record without asking a
 * program: 0 and *argv (NULL-terminated, free_argv), or an exit status after
 * a one-line error. The record reader's fuzz target calls it. */
int rerun_command_of(const catalog *cat, const char *text, const command_line *c, char ***argv,
                     int *argc);
int cmd_repro(const command_line *c);

#endif
