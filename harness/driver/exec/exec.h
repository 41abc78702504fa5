/* exec.h — `racelab exec`: unmodified programs, run many times under the
 * preloaded noise library (docs/racelab-exec.1.md).
 *
 *   exec_main.c     cmd_exec: options, program, set-up, runs, record, exit status
 *   exec_options.c  the command line (getopt_long) and --help
 *   exec_program.c  PROGRAM found and checked: executable, not setuid, not static
 *   exec_elf.c      what an ELF file says: interpreter, needed libraries, symbols
 *   exec_specs.c    --inject, --profile and --posix-faults into each run's environment
 *   exec_child.c    one run: its process group, pipes, environment and watchdog
 *   exec_forkserver.c  runs as forks of the program loaded once (AFL's fork server)
 *   exec_loop.c     the runs, --jobs at once, until the budget or a failure
 *   exec_outcome.c  a finished run's outcome, and the tally of all of them
 *   exec_report.c   the counts each process of a run leaves behind
 *   exec_record.c   the one record of an invocation (rl_record + exec fields)
 *   exec_summary.c  what the terminal and summary.txt say
 *   exec_points.c   --list-points
 *   exec_sched.c    sched mode: each run's schedule report, addresses named,
 *                   dfs across runs, --shrink
 *   exec_fuzz.c     sched mode, --strategy fuzz: the corpus across runs, --corpus
 */
#ifndef RL_DRIVER_EXEC_H
#define RL_DRIVER_EXEC_H

#include "core/child.h"
#include "core/record_sink.h"
#include "core/util.h"

#include "../../../injectors/exec/preload/exec_points.h"
#include "../../../injectors/sched/fuzz_corpus.h"
#include "../../../injectors/sched/sched_limits.h"
#include "../../../injectors/sched/strategy.h"
#include "../../common/grader.h"

#include <regex.h>
#include <stdint.h>
#include <sys/types.h>

#define EXEC_MAX_SPECS 32
#define EXEC_MAX_POSIX 8

/* ---- exec_options.c ---------------------------------------------------- */

typedef struct {
    const char *mode;     /* noise or sched */
    int sched;            /* --mode sched */
    const char *strategy; /* sched: fuzz (default), random, pct:D, pos, dfs:B */
    rl_strategy strategy_spec;
    const char *replay; /* sched: the schedule every run follows */
    const char *corpus; /* sched, fuzz: the corpus folder (exec_fuzz.c), or NULL */
    int shrink;
    int no_fork_server; /* --no-fork-server: every run spawned */
    int pin;            /* --pin: each run's threads on one processor */
    unsigned long long runs;
    double seconds;    /* > 0: a time budget; with runs_given, whichever comes first */
    int runs_given;    /* `runs` limits the budget (given, or no --seconds) */
    uint64_t run_seed; /* --run-seed: every run's seed */
    int run_seed_given;
    int jobs;
    uint64_t seed;
    int seed_given;
    int until_fail;
    int shard_k, shard_n; /* --shard K/N: runs i with i mod N == shard_k (K-1); shard_n 0: all */
    int expect;           /* RL_HOLDS or RL_REPRODUCES */
    double timeout;
    const char *injects[EXEC_MAX_SPECS];
    int n_injects;
    const char *profile;
    const char *posix_faults[EXEC_MAX_POSIX];
    int n_posix;
    const char *fail_on;
    regex_t fail_re;
    unsigned char ok_status[256]; /* 1: an exit status that is not a failure */
    const char *ok_status_text;
    const char *out_dir;
    int leaks_ignore; /* --leaks ignore: a sanitizer build's leak check is off */
    int list_points, json;
    char **argv; /* PROGRAM ARGS..., NULL-terminated */
    int argc;
} exec_options;

/* Returns 0, RL_EXIT_USAGE after a one-line error, or -1 after --help. */
int exec_parse_options(int argc, char **argv, exec_options *o);
void exec_free_options(exec_options *o);

/* ---- exec_program.c, exec_elf.c ---------------------------------------- */

/* Sanitizer builds exec recognises (exec_elf.c) and sets up (exec_sanitizers.c). */
enum { RL_SAN_ASAN = 1, RL_SAN_LSAN = 2, RL_SAN_UBSAN = 4, RL_SAN_MSAN = 8 };

typedef struct {
    char *path;            /* as run: absolute, or as given with a slash */
    char *name;            /* its basename: the record's scenario */
    int tsan;              /* a ThreadSanitizer build */
    const char *tsan_sign; /* what said so: "__tsan_init", "libtsan" */
    int script;            /* #!: the preload acts on its interpreter */
    int cc;                /* built by racelab cc: its accesses are points */
    const char *raw[3];    /* what it imports that the library cannot see (exec_elf.c) */
    int n_raw;
    int sanitizers;       /* RL_SAN_*: a sanitizer build */
    const char *san_sign; /* what said so */
} exec_program;

/* Finds PROGRAM (PATH when it has no slash) and refuses what the preload
 * cannot act on. Returns 0 or RL_EXIT_USAGE after a one-line error. */
int exec_find_program(const char *given, exec_program *p);
void exec_free_program(exec_program *p);

typedef struct {
    int elf;     /* an ELF file at all */
    int dynamic; /* has an interpreter (PT_INTERP): the dynamic loader runs it */
    int tsan;    /* defines __tsan_init, or needs libtsan */
    const char *tsan_sign;
    int cc; /* built by racelab cc: defines rl_cc_runtime (its __tsan_init is not exported) */
    const char *raw[3]; /* imported: clone, clone3, syscall (raw threads, raw futexes) */
    int n_raw;
    int sanitizers;       /* RL_SAN_* of the runtimes it has or needs */
    const char *san_sign; /* what said so first: "__asan_init", "libasan.so"... */
} elf_facts;

/* 0 when the file could be read (facts filled), -1 otherwise. */
int elf_read_facts(const char *path, elf_facts *f);

/* ---- exec_specs.c ------------------------------------------------------ */

typedef struct {
    char *library;                         /* build/exec/libracelab-exec.so */
    char *preload;                         /* LD_PRELOAD of every run */
    const char *specs[EXEC_MAX_SPECS + 1]; /* in force, the profile's first */
    int n_specs;
    char *inject_env;        /* the specs, one a line */
    const char *profile;     /* in force, or NULL */
    char *profile_spec;      /* what the profile put first, or NULL */
    int default_profile;     /* no --profile and no --inject: `default` */
    char *fiu_enable;        /* libfiu's commands, one a line, or NULL */
    char *tsan_suppressions; /* a suppressions file for libfiu's libraries, or NULL */
    int program_is_tsan;
} exec_setup;

/* Checks and resolves every spec before any run. Returns 0, RL_EXIT_USAGE
 * (one-line error) or RL_EXIT_HARNESS (the library or libfiu's preload missing). */
int exec_prepare(const exec_options *o, const exec_program *p, exec_setup *s);
/* The suppressions file goes in the results folder: written there. */
int exec_write_suppressions(exec_setup *s, const char *dir);
void exec_free_setup(exec_setup *s);

/* ---- exec_report.c ----------------------------------------------------- */

typedef struct {
    unsigned long long hits[RL_EXEC_N_POINTS], fired[RL_EXEC_N_POINTS];
    int processes;   /* reports read */
    int descendants; /* processes other than the run's own (forked or executed) */
    int helpers;     /* of those, a sanitizer's helpers (llvm-symbolizer): not counted */
    int counted;     /* the run's own process reported (it exited) */
    int threads;     /* threads the run's own process started */
} exec_counts;

/* Reads and removes DIR/PREFIX.* (the library's reports of one run). */
void exec_read_reports(const char *dir, const char *prefix, pid_t root, exec_counts *c);

/* ---- exec_child.c ------------------------------------------------------ */

typedef struct {
    unsigned long long index; /* from 0 */
    uint64_t seed;
    char *label;     /* run-000012 */
    child ch;        /* the process (core/child.h): pid, pipes, output, status, deadline */
    child_scan scan; /* --fail-on over the whole output */
    char *tsan_base; /* DIR/tsan/<label> (TSan adds .<pid>) */
    char *san_base;  /* DIR/sanitizer/<label>: ASan, LSan, UBSan, MSan, racelab cc */
    char *schedule;  /* sched: the schedule it follows (--replay, a dfs prefix); not freed here */
    int follow;      /* sched: a trial of a search (dfs, shrink): `schedule`, then no preemption */
    int lenient;     /* sched, follow: `schedule` read thread-relatively (strategy.h) */
    char *preempts;  /* sched, lenient: which entries may preempt, 0 or 1 each; not freed here */
    int trace;       /* sched: trace every step */
    int steps_hint;  /* sched: the most steps an earlier run took */
    char *fuzz;      /* sched, fuzz: the abstract schedule it obeys (fuzz_corpus.h) */
    int slot;        /* its --jobs slot, from 0 (--pin: which processor) */
    int again;       /* a run lost with its fork server, run again */
} exec_child;

typedef struct {
    const exec_options *o;
    const exec_program *p;
    const exec_setup *s;
    const char *dir;                /* the results folder */
    char *reports_dir;              /* DIR/.reports: the library's per-process counts */
    const child_launcher *launcher; /* how runs start (exec_fs_launcher), NULL: posix_spawn */
    record_sink *sink;              /* DIR/runs.jsonl */
} exec_context;

/* ---- exec_sanitizers.c ------------------------------------------------ */

typedef struct {
    const char *name;
    char *value;
} exec_env_item;

/* The variables a sanitizer build's run gets (ASAN_OPTIONS...), its logs at
 * LOG_BASE.<pid>; returns how many (at most 5), each value to be freed. */
int exec_sanitizer_env(const exec_context *x, const char *log_base, exec_env_item out[5]);

/* The first report in a run's sanitizer logs (DIR/LABEL.<pid>). */
typedef struct {
    int reports;      /* error reports, all logs */
    int leak;         /* the first is LeakSanitizer's */
    const char *tool; /* asan, lsan, msan, ubsan, racelab-cc */
    char *kind;       /* heap-use-after-free, double-free, SEGV, runtime-error... */
    char *where;      /* "uaf.c:41 in reader" */
    char *detail;     /* "freed at uaf.c:52 in owner", a leak's size, UBSan's message */
    char *file;       /* the log it is in */
    char *freed;
    int freed_next;
    uint64_t base; /* racelab cc: the executable's load address */
} exec_san_report;

void exec_sanitizer_read(const exec_context *x, const char *dir, const char *label,
                         exec_san_report *r);
/* SIGSEGV... when the report is a deadly signal the sanitizer caught. */
const char *exec_sanitizer_signal(const exec_san_report *r);
/* "asan: heap-use-after-free at uaf.c:41 in reader (freed at ...)", "leak: ..." */
char *exec_sanitizer_cause(const exec_san_report *r);
void exec_sanitizer_free(exec_san_report *r);

/* Starts one run; 0, or -1 with c->spawn_errno set. */
int exec_child_start(const exec_context *x, exec_child *c);
/* Past its deadline: gdb's stacks into DIR/stacks, then its group is killed. */
void exec_child_watchdog(const exec_context *x, exec_child *c);
/* A finished child that is not a run (cut short by us, or killed with its
 * fork server): its reports read and dropped, nothing graded. */
void exec_child_not_a_run(const exec_context *x, exec_child *c);
/* A child lost with its fork server, ready to start again: what its start
 * made freed, what it was given (index, seed, schedule...) kept, `again` set. */
void exec_child_reset(exec_child *c);
void exec_child_free(exec_child *c);
/* ---- exec_forkserver.c ------------------------------------------------- */

/* Whether runs can be forks of a fork server; if not, *why says why. */
int exec_fs_wanted(const exec_context *x, const char **why);
/* The launcher of the runs (core/child.h): each run a fork of an idle
 * server (started when none is), or spawned when a server cannot be used
 * or has failed (then given up). Its context is X, which must outlive it. */
const child_launcher *exec_fs_launcher(const exec_context *x);
/* How the runs were started: "fork-server", "spawn" or "both"; *note why
 * not (NULL when every run was a fork). */
const char *exec_fs_launch(const exec_context *x, const char **note);
/* Ends every server (also at exit). */
void exec_fs_shutdown(void);
/* 1 when run PID's status was not its own: its server failed while it ran
 * and took it along (its SIGKILL is the harness's): cut short, not a run.
 * Asked once, when the run is graded. */
int exec_fs_lost(pid_t pid);

/* ---- exec_outcome.c ---------------------------------------------------- */

enum {
    EXEC_OK,
    EXEC_EXIT_STATUS,
    EXEC_SIGNAL,
    EXEC_HANG,
    EXEC_TSAN,
    EXEC_FAIL_ON,
    EXEC_SANITIZER, /* a sanitizer's report (ASan, UBSan, MSan, racelab cc's heap checks) */
    EXEC_LEAK,      /* LeakSanitizer's report at exit (--leaks fail) */
    EXEC_N_OUTCOMES
};
const char *exec_outcome_name(int outcome);

#define EXEC_MAX_KINDS 16
#define EXEC_MAX_FAILURES 20

/* One failed run, as the record keeps it. */
typedef struct {
    unsigned long long run;
    uint64_t seed;
    int outcome;
    char *cause; /* "signal SIGABRT", "exit status 3", "hang", "tsan data-race"... */
    double at;   /* seconds since the invocation started */
    double duration;
    int exit_status; /* -1 when it did not exit */
    const char *signal;
    char *stacks_file, *stacks_note, *output_file, *tsan_log;
    char *sanitizer_log; /* the log that holds the sanitizer's report */
    int output_cut;      /* the kept output is not all the run printed (1 MB per stream) */
    char *stderr_tail;
    char *schedule; /* sched mode: the run's schedule, its preemptions, who waited for what */
    int preemptions;
    char *waits;
} exec_failure;

/* What one run under the scheduler reported (exec_sched.c). */
typedef struct {
    int present; /* the report was there */
    int status;  /* RL_EXEC_SCHED_* */
    int steps, preemptions, threads, left_control, unscheduled, diverged_to;
    int unrecorded;         /* steps past RL_SCHED_MAX_STEPS, not recorded */
    int spins, spin_thread; /* threads that spun outside any call (the first) */
    uint64_t spin_site;     /* its last call's return address, 0: none */
    uint64_t base;
    int choices[RL_SCHED_MAX_STEPS];
    int current[RL_SCHED_MAX_STEPS];
    unsigned char yielding[RL_SCHED_MAX_STEPS];
    rl_thread_set runnable[RL_SCHED_MAX_STEPS];
    char waits[1024];
    char *trace;
    int n_pairs; /* the reads-from pairs it observed (the fuzz feedback) */
    rl_sched_pair pairs[RL_SCHED_MAX_PAIRS];
} exec_sched_run;

typedef struct {
    unsigned long long runs, failures;
    unsigned long long outcomes[EXEC_N_OUTCOMES];
    unsigned long long tsan_reports;
    char *kinds[EXEC_MAX_KINDS];
    unsigned long long kind_counts[EXEC_MAX_KINDS];
    int n_kinds;
    exec_failure failed[EXEC_MAX_FAILURES]; /* the first ones, in the order seen */
    int n_failed;
    exec_counts points;              /* summed over every run */
    unsigned long long runs_counted; /* runs whose own process reported counts */
    unsigned long long runs_forked;  /* runs with more than one process */
    unsigned long long spawn_failures;
    unsigned long long escaped; /* ran out of the preload's (or scheduler's) reach: not graded */
    /* processes runs left running outside their process groups (killed);
     * processes, not runs: with a fork server and --jobs, which run left one
     * is not always known (its mark is the server's), that it was is */
    unsigned long long left_behind;
    /* runs killed with their fork server (it died under them): each is run
     * again once, same index, seed and schedule; lost: lost twice, not run */
    unsigned long long rerun, lost;
    const char *error; /* why nothing can be judged (exit 3), or NULL */
    int output_failed; /* a failed run's output could not be kept */
    double started, seconds;
    int interrupted;
    /* sched mode */
    unsigned long long runs_started;
    unsigned long long deadlocks, diverged, left_control, unscheduled, unrecorded;
    unsigned long long spins; /* runs where a thread spun outside any call */
    char *spin_where;         /* the first: "T1 spins outside any call (last call at …)" */
    int max_steps, exhausted;
    exec_sched_run *last;   /* the last run's report */
    rl_sched_strategy *dfs; /* --strategy dfs:B: the search, across runs */
    rl_fuzz_corpus *fuzz;   /* --strategy fuzz: the corpus, across runs (exec_fuzz.c) */
    int corpus_loaded;      /* entries --corpus held at the start */
    unsigned long long corpus_added, corpus_unsaved; /* entries added; not written */
    unsigned long long shrink_runs;
    struct {
        int present, preemptions, minimal;
        char *schedule, *cause, *waits, *trace;
    } shrunk;
} exec_tally;

/* Grades a finished run (its output, logs and reports) into the tally;
 * returns its outcome, or EXEC_DIVERGED: a sched run that left its schedule
 * or control and did not fail, not graded (counted in t->diverged), or
 * EXEC_ESCAPED: a run that passed without the preload's (or the
 * scheduler's) report of its own process, not graded (t->escaped). */
#define EXEC_DIVERGED (-2)
#define EXEC_ESCAPED (-3)
int exec_grade(const exec_context *x, exec_child *c, exec_tally *t);
void exec_free_tally(exec_tally *t);

/* ---- exec_loop.c ------------------------------------------------------- */

/* Runs the budget; returns nonzero when interrupted. */
int exec_run_all(const exec_context *x, exec_tally *t);
/* The seed of run `index` of a campaign seeded `seed`: splitmix64 of the
 * pair, so campaigns with different seeds share no run seeds by design. */
uint64_t exec_run_seed(uint64_t seed, unsigned long long index);
/* The campaign index of the STARTED-th run of this invocation: STARTED itself, or with
 * --shard K/N, K-1 + STARTED x N (the runs i with i mod N = K-1). */
unsigned long long exec_run_index(const exec_options *o, unsigned long long started);

/* ---- exec_record.c, exec_summary.c ------------------------------------- */

/* What a campaign is graded on: one invocation's tally, or the merged tallies of its
 * shards (shard/merge_exec.c), through the same two functions. */
typedef struct {
    int expect; /* RL_HOLDS or RL_REPRODUCES */
    int tsan;   /* a TSan build */
    unsigned long long runs, failures, tsan_reports, spawn_failures;
    const char *error; /* why nothing can be judged, or NULL */
    int interrupted, output_failed;
} exec_grade_counts;

exec_grade_counts exec_tally_counts(const exec_context *x, const exec_tally *t);
/* The verdict (the one grader, rl_judge_counts, against the expectation). */
void exec_judge(const exec_grade_counts *g, rl_verdict *v);
/* The exit status of a campaign so graded (docs/racelab-exec.1.md). */
int exec_exit_status(const exec_grade_counts *g, const rl_verdict *v);
/* "verdict: fails (expected holds): failure rate ...; exit status N\n" */
void exec_print_verdict(const exec_grade_counts *g, const rl_verdict *v, int status, FILE *out);
/* The campaign's identity for --shard (16 hex digits, malloc'd): program (its bytes), args,
 * seed, budget and every option that changes what a run does, and N. */
char *exec_campaign_hash(const exec_context *x);

/* Writes the record to DIR/runs.jsonl; 0 or -1. *verdict gets the judgement. */
int exec_write_record(const exec_context *x, const exec_tally *t, rl_verdict *verdict);
void exec_print_failure(const exec_context *x, const exec_failure *f, FILE *out);
void exec_print_summary(const exec_context *x, const exec_tally *t, const rl_verdict *v, int status,
                        FILE *out);
/* The command that runs one failed run again. */
char *exec_rerun_command(const exec_context *x, const exec_failure *f);

/* ---- exec_sched.c ------------------------------------------------------ */

/* Reads and removes DIR/LABEL.<pid>.sched; 0, or -1 when it is not there. */
int exec_sched_read(const char *dir, const char *label, pid_t pid, exec_sched_run *r);
char *exec_sched_schedule(const exec_sched_run *r); /* its choices as text */
/* `text` with "[pc 0x…]" and "@0x…" named from PROGRAM loaded at `base`. */
char *exec_symbolise(const char *program, uint64_t base, const char *text);
/* dfs: what a run saw, fed into the strategy; returns whether there is more. */
int exec_sched_feed(rl_sched_strategy *dfs, const exec_sched_run *r);
char *exec_sched_prefix(const rl_sched_strategy *dfs); /* the next run's prefix, or NULL */
/* Runs one child to its end and grades it into `t`; its outcome, or -1
 * when it could not start or was killed with its fork server twice (not a
 * run: once, it is run again). */
int exec_run_one(const exec_context *x, exec_child *c, exec_tally *t);
/* --shrink: the first failure's schedule to the fewest preemptions (t->shrunk). */
void exec_shrink(const exec_context *x, exec_tally *t);

/* ---- exec_fuzz.c ------------------------------------------------------- */

/* --strategy fuzz: the corpus, with --corpus's entries loaded (*loaded of
 * them); NULL for another strategy or a replay. 0, or RL_EXIT_USAGE after
 * a one-line error (a malformed entry), RL_EXIT_HARNESS (out of memory). */
int exec_fuzz_open(const exec_options *o, rl_fuzz_corpus **out, int *loaded);
/* The next run's abstract schedule, as text; *seed replaced when it is a
 * loaded failure's run again. */
char *exec_fuzz_next(exec_tally *t, uint64_t *seed);
/* What the run of `schedule` seeded `seed` observed, fed back; a new entry
 * is written to --corpus. */
void exec_fuzz_feedback(const exec_options *o, exec_tally *t, const char *schedule, uint64_t seed,
                        const exec_sched_run *r, int failed);

/* ---- exec_points.c ----------------------------------------------------- */

int exec_list_points(int json);

/* ---- main.c's dispatch ------------------------------------------------- */

int cmd_exec(int argc, char **argv);
/* exec_rerun.c: `racelab rerun` of a record with an `exec` object (WHERE
 * names it in messages); the exit status of the exec it runs, or 2. */
int exec_rerun(json_object *rec, const char *where, const char *out_dir);

#endif
