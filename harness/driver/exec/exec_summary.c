/* exec_summary.c — what a person reads: a line per failed run as it
 * happens, and at the end the counts, the first failure with the command
 * that runs it again, the verdict and the results folder (also written to
 * DIR/summary.txt). */
#include "exec/exec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* argv of the command that runs one failed run again: its seed as the
 * invocation's (run 0's seed is the seed), one run, expected to fail. */
char *exec_rerun_command(const exec_context *x, const exec_failure *f)
{
    const exec_options *o = x->o;
    size_t room = 26 + 2 * (size_t)EXEC_MAX_SPECS + 2 * (size_t)EXEC_MAX_POSIX + (size_t)o->argc;
    char **argv = xcalloc(room, sizeof *argv);
    char seed[32], timeout[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)f->seed);
    snprintf(timeout, sizeof timeout, "%g", o->timeout);
    int n = 0;
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[len > 0 ? len : 0] = '\0';
    argv[n++] = len > 0 ? self : "racelab"; /* absolute: the line works from anywhere */
    argv[n++] = "exec";
    argv[n++] = "--run-seed"; /* the run's own seed, not the campaign's */
    argv[n++] = seed;
    argv[n++] = "--runs";
    argv[n++] = "1";
    argv[n++] = "--expect";
    argv[n++] = "reproduces";
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    if (o->sched && f->schedule != NULL) {
        argv[n++] = "--mode";
        argv[n++] = "sched";
        argv[n++] = "--replay";
        argv[n++] = f->schedule;
    }
    if (o->profile != NULL) {
        argv[n++] = "--profile";
        argv[n++] = (char *)o->profile;
    }
    for (int i = 0; i < o->n_injects; i++) {
        argv[n++] = "--inject";
        argv[n++] = (char *)o->injects[i];
    }
    for (int i = 0; i < o->n_posix; i++) {
        argv[n++] = "--posix-faults";
        argv[n++] = (char *)o->posix_faults[i];
    }
    if (o->fail_on != NULL) {
        argv[n++] = "--fail-on";
        argv[n++] = (char *)o->fail_on;
    }
    if (strcmp(o->ok_status_text, "0") != 0) {
        argv[n++] = "--ok-status";
        argv[n++] = (char *)o->ok_status_text;
    }
    if (o->leaks_ignore) {
        argv[n++] = "--leaks";
        argv[n++] = "ignore";
    }
    argv[n++] = "--";
    argv[n++] = x->p->path; /* absolute (exec_program.c), as the record's exec.program */
    for (int i = 1; i < o->argc; i++)
        argv[n++] = o->argv[i];
    char *line = shell_join(argv, n);
    free(argv);
    return line;
}

void exec_print_failure(const exec_context *x, const exec_failure *f, FILE *out)
{
    (void)x;
    fprintf(out, "run %llu (seed %llu) failed: %s", f->run, (unsigned long long)f->seed, f->cause);
    if (f->schedule != NULL)
        fprintf(out, "; schedule %s", f->schedule);
    if (f->output_file != NULL)
        fprintf(out, "; output in %s", relative_path(f->output_file));
    if (f->stacks_file != NULL)
        fprintf(out, "; stacks in %s", relative_path(f->stacks_file));
    fputc('\n', out);
    fflush(out);
}

static void percent(FILE *out, double x) { fprintf(out, "%.3g%%", 100 * x); }

/* "  note           N run(s) WHAT", when N > 0. */
static void note(FILE *out, unsigned long long n, const char *what)
{
    if (n > 0)
        fprintf(out, "  note           %llu run%s %s\n", n, n == 1 ? "" : "s", what);
}

/* The summary a person reads, line after line in the order printed: kept
 * whole so the text reads top to bottom (longer than 80 lines for that). */
void exec_print_summary(const exec_context *x, const exec_tally *t, const rl_verdict *v, int status,
                        FILE *out)
{
    const exec_options *o = x->o;
    fprintf(out, "%s (%s%s, %s): %llu run%s in %.1f s, %llu failure%s", x->p->name,
            x->p->tsan                        ? "tsan"
            : x->p->sanitizers & RL_SAN_ASAN  ? "asan"
            : x->p->sanitizers & RL_SAN_MSAN  ? "msan"
            : x->p->sanitizers & RL_SAN_UBSAN ? "ubsan"
            : x->p->sanitizers & RL_SAN_LSAN  ? "lsan"
                                              : "plain",
            x->p->cc ? ", racelab cc" : "", o->mode, t->runs, t->runs == 1 ? "" : "s", t->seconds,
            t->failures, t->failures == 1 ? "" : "s");
    int any = 0;
    for (int i = 1; i < EXEC_N_OUTCOMES; i++)
        if (t->outcomes[i] > 0) {
            fprintf(out, "%s%s %llu", any ? ", " : " (", exec_outcome_name(i), t->outcomes[i]);
            any = 1;
        }
    fputs(any ? ")\n" : "\n", out);
    if (o->shard_n > 0)
        fprintf(out,
                "  shard          %d/%d: the campaign's runs i with i mod %d = %d (racelab merge "
                "joins the shards)\n",
                o->shard_k + 1, o->shard_n, o->shard_n, o->shard_k);
    if (t->n_failed > 0) {
        const exec_failure *f = &t->failed[0];
        fprintf(out, "  first failure  run %llu (seed %llu), %s, %.2f s into the run\n", f->run,
                (unsigned long long)f->seed, f->cause, f->duration);
        if (f->output_file != NULL)
            fprintf(out, "  output         %s\n", relative_path(f->output_file));
        if (f->stacks_file != NULL)
            fprintf(out, "  stacks         %s\n", relative_path(f->stacks_file));
        if (f->tsan_log != NULL)
            fprintf(out, "  tsan log       %s\n", relative_path(f->tsan_log));
        if (f->sanitizer_log != NULL)
            fprintf(out, "  sanitizer log  %s\n", relative_path(f->sanitizer_log));
        char *rerun = exec_rerun_command(x, f);
        fprintf(out, "  run it again   %s\n", rerun);
        free(rerun);
    }
    if (t->n_failed > 0 && t->failed[0].schedule != NULL)
        fprintf(out, "  schedule       %s (%d preemptions)\n", t->failed[0].schedule,
                t->failed[0].preemptions);
    if (o->sched)
        fprintf(out,
                "  scheduler      %s: %llu schedules, %llu deadlocked, %llu diverged (not "
                "graded)%s; the longest %d steps\n",
                o->strategy, t->runs + t->diverged, t->deadlocks, t->diverged,
                t->exhausted ? ", space exhausted" : "", t->max_steps);
    if (t->fuzz != NULL) /* --strategy fuzz: what its corpus holds (exec_fuzz.c) */
        fprintf(
            out,
            "  corpus         %d entries (%d loaded%s%s, %llu added), %d reads-from pairs seen\n",
            rl_fuzz_corpus_size(t->fuzz), t->corpus_loaded, o->corpus != NULL ? " from " : "",
            o->corpus != NULL ? o->corpus : "", t->corpus_added, rl_fuzz_pairs_seen(t->fuzz));
    note(out, t->left_control,
         "left control: a thread blocked in a call the scheduler does not model, and another ran");
    char *spin = xasprintf("had a spin outside any call: %s; it left control (the OS would "
                           "preempt it) and the others ran",
                           t->spin_where != NULL ? t->spin_where : "?");
    note(out, t->spins, spin);
    free(spin);
    char *steps = xasprintf("took more than %d steps: the steps past them ran scheduled but "
                            "unrecorded (no replay)",
                            RL_SCHED_MAX_STEPS);
    note(out, t->unrecorded, steps);
    free(steps);
    char *threads = xasprintf("had threads beyond the scheduler's %d", RL_SCHED_MAX_THREADS);
    note(out, t->unscheduled, threads);
    free(threads);
    note(out, t->escaped,
         "escaped the scheduler (passed, but its own process did not finish under it): not "
         "graded");
    if (t->left_behind > 0)
        fprintf(out,
                "  note           %llu process%s left running outside the runs' process "
                "groups: racelab killed %s\n",
                t->left_behind, t->left_behind == 1 ? " was" : "es were",
                t->left_behind == 1 ? "it" : "them");
    note(out, t->rerun, "killed with its fork server (the server died) and run again");
    note(out, t->lost, "killed with its fork server twice: not run, not graded");
    if (t->shrunk.present)
        fprintf(out, "  shrunk to %d preemptions%s (%s) in %llu runs: %s\n%s",
                t->shrunk.preemptions, t->shrunk.minimal ? ", the fewest possible" : "",
                t->shrunk.cause, t->shrink_runs, t->shrunk.schedule,
                t->shrunk.trace != NULL ? t->shrunk.trace : "");
    note(out, t->runs_forked,
         o->sched ? "started other processes: a forked child runs unscheduled"
                  : "started other processes: they ran with the preload too");
    exec_grade_counts counts = exec_tally_counts(x, t);
    exec_print_verdict(&counts, v, status, out);
    fprintf(out, "results: %s\n", relative_path(x->dir));
}

void exec_print_verdict(const exec_grade_counts *g, const rl_verdict *v, int status, FILE *out)
{
    fprintf(out, "verdict: %s (expected %s)", rl_verdict_name(v->verdict),
            rl_expectation_name((rl_expectation)g->expect));
    if (g->error != NULL) {
        fprintf(out, ": %s", g->error);
    } else if (g->runs > 0 && v->failures == 0) {
        fputs(": the failure rate per run is below ", out);
        percent(out, v->upper95);
        fputs(" (95% upper bound)", out);
    } else if (g->runs > 0) {
        fputs(": failure rate ", out);
        percent(out, v->rate);
        fputs(" (95% ", out);
        percent(out, v->wilson_low);
        fputs(" to ", out);
        percent(out, v->wilson_high);
        fputc(')', out);
    }
    if (g->interrupted)
        fputs(", interrupted", out);
    fprintf(out, "; exit status %d\n", status);
}
