/* exec_outcome.c — the outcome of one finished run, and the tally.
 *
 * A run fails, in this order of precedence:
 *   hang         it outlived --timeout (the watchdog took its stacks, killed it)
 *   sanitizer    its sanitizer logs (exec_sanitizers.c) hold a report: ASan's,
 *                UBSan's, MSan's or racelab cc's heap checks ("asan:
 *                heap-use-after-free at FILE:LINE in FN"); one of a deadly
 *                signal the sanitizer caught is that signal, with its site
 *   leak         they hold LeakSanitizer's report at exit (--leaks fail)
 *   signal       it died by one (assert's SIGABRT, SIGSEGV...); in a TSan build
 *                TSan catches SIGSEGV/SIGBUS/SIGFPE itself and exits 66 with
 *                "ERROR: ThreadSanitizer: SEGV": that is a signal too
 *   tsan         its TSan logs hold reports (a TSan build)
 *   fail-on      its stdout or stderr matches --fail-on
 *   exit-status  it exited with a status not in --ok-status
 * and is `ok` otherwise. A failed run's output is kept in
 * DIR/output/<run>.txt (stdout, then stderr).
 *
 * In sched mode the run's schedule report comes first: a deadlock (found
 * by the model, at once) or a livelock is a hang, with who waited for what;
 * a run whose replayed schedule named a thread that could not run, or that
 * left control (a thread blocked outside the model or spinning outside any
 * call, more threads than the scheduler holds, more steps than its schedule
 * can record) and did not fail, diverged: it is not graded — it proves nothing either way. A run
 * that passed without its own process finishing under the scheduler (no
 * report, or one still "running": it cleared LD_PRELOAD and executed
 * itself, say) escaped: not graded either, and counted (exec.escaped). */
#include "../../../injectors/exec/preload/exec_sched_report.h"
#include "core/tsanlog.h"
#include "exec/exec.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAIL 2000

static const char *const names[EXEC_N_OUTCOMES] = {"ok",   "exit-status", "signal",    "hang",
                                                   "tsan", "fail-on",     "sanitizer", "leak"};

const char *exec_outcome_name(int outcome) { return names[outcome]; }

/* "SEGV" out of a TSan log's "ERROR: ThreadSanitizer: SEGV on unknown
 * address", as a signal name; NULL when the logs hold no such line. */
static const char *tsan_deadly_signal(const tsan_summary *ts)
{
    static const struct {
        const char *word, *signal;
    } map[] = {{"SEGV", "SIGSEGV"}, {"BUS", "SIGBUS"}, {"FPE", "SIGFPE"}, {"ILL", "SIGILL"}};
    for (int i = 0; i < ts->n_files; i++) {
        FILE *f = fopen(ts->files[i], "r");
        if (f == NULL)
            continue;
        char line[512];
        const char *found = NULL;
        while (found == NULL && fgets(line, sizeof line, f) != NULL) {
            const char *e = strstr(line, "ERROR: ThreadSanitizer: ");
            for (size_t k = 0; e != NULL && k < sizeof map / sizeof map[0]; k++)
                if (strncmp(e + 24, map[k].word, strlen(map[k].word)) == 0)
                    found = map[k].signal;
        }
        fclose(f);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static void add_kinds(exec_tally *t, const tsan_summary *ts)
{
    t->tsan_reports += ts->reports;
    for (int i = 0; i < ts->n_kinds; i++) {
        int k = 0;
        while (k < t->n_kinds && strcmp(t->kinds[k], ts->kinds[i]) != 0)
            k++;
        if (k == t->n_kinds) {
            if (k == EXEC_MAX_KINDS)
                continue;
            t->kinds[t->n_kinds++] = xstrdup(ts->kinds[i]);
        }
        t->kind_counts[k] += ts->kind_counts[i];
    }
}

/* DIR/output/<run>.txt: stdout, then stderr. NULL when it could not be
 * written whole (said once; the invocation then exits 3). */
static char *keep_output(const exec_context *x, const exec_child *c, exec_tally *t)
{
    char *sub = xasprintf("%s/output", x->dir);
    mkdir(sub, 0755);
    char *path = xasprintf("%s/%s.txt", sub, c->label);
    free(sub);
    FILE *f = fopen(path, "w");
    int ok = f != NULL;
    if (ok) {
        const buffer *out = &c->ch.out, *err = &c->ch.err;
        fprintf(f, "==== stdout (%zu bytes%s)\n", out->len, out->dropped ? ", cut" : "");
        if (out->len)
            fwrite(out->data, 1, out->len, f);
        fprintf(f, "\n==== stderr (%zu bytes%s)\n", err->len, err->dropped ? ", cut" : "");
        if (err->len)
            fwrite(err->data, 1, err->len, f);
        ok = !ferror(f);
        ok = fclose(f) == 0 && ok;
    }
    if (ok)
        return path;
    if (!t->output_failed)
        error_msg("exec: cannot write %s: %s", path, strerror(errno));
    t->output_failed = 1;
    unlink(path); /* no file that looks whole and is not */
    free(path);
    return NULL;
}

static void record_failure(const exec_context *x, exec_child *c, exec_tally *t, int outcome,
                           char *cause, const tsan_summary *ts, const char *sig,
                           const exec_sched_run *sr, const exec_san_report *san)
{
    t->failures++;
    if (t->n_failed == EXEC_MAX_FAILURES) {
        free(cause);
        return;
    }
    exec_failure *f = &t->failed[t->n_failed++];
    f->run = c->index;
    f->seed = c->seed;
    f->outcome = outcome;
    f->cause = cause;
    f->at = c->ch.end - t->started;
    f->duration = c->ch.end - c->ch.start;
    f->exit_status = c->ch.reaped && WIFEXITED(c->ch.status) ? WEXITSTATUS(c->ch.status) : -1;
    f->signal = sig;
    f->stacks_file = c->ch.stacks_file;
    f->stacks_note = c->ch.stacks_note;
    c->ch.stacks_file = c->ch.stacks_note = NULL;
    f->output_file = keep_output(x, c, t);
    f->output_cut = c->ch.out.dropped > 0 || c->ch.err.dropped > 0;
    f->tsan_log = ts->n_files > 0 ? xstrdup(ts->files[0]) : NULL;
    f->sanitizer_log = san->file != NULL ? xstrdup(san->file) : NULL;
    if (c->ch.err.len > 0)
        f->stderr_tail =
            xstrdup(c->ch.err.data + (c->ch.err.len > TAIL ? c->ch.err.len - TAIL : 0));
    if (sr != NULL) {
        f->schedule = exec_sched_schedule(sr);
        f->preemptions = sr->preemptions;
        f->waits = sr->waits[0] ? exec_symbolise(x->p->path, sr->base, sr->waits) : NULL;
    }
}

/* "T1 spins outside any call (last call at file:line in fn)". */
static char *spin_text(const exec_context *x, const exec_sched_run *sr)
{
    if (sr->spin_site == 0)
        return xasprintf("T%d spins outside any call (it made none)", sr->spin_thread);
    char *raw = xasprintf("[pc 0x%" PRIx64 "]", sr->spin_site);
    char *named = exec_symbolise(x->p->path, sr->base, raw);
    char *text = xasprintf("T%d spins outside any call (after %s)", sr->spin_thread, named);
    free(raw);
    free(named);
    return text;
}

/* The sched report of the run (NULL in noise mode or when it is missing),
 * with the tally's sched counts. */
static exec_sched_run *sched_report(const exec_context *x, const exec_child *c, exec_tally *t)
{
    if (!x->o->sched)
        return NULL;
    if (t->last == NULL)
        t->last = xcalloc(1, sizeof *t->last);
    exec_sched_run *sr = t->last;
    if (exec_sched_read(x->reports_dir, c->label, c->ch.pid, sr) != 0)
        return NULL;
    if (sr->steps > t->max_steps)
        t->max_steps = sr->steps;
    t->left_control += sr->left_control > 0;
    t->unscheduled += sr->unscheduled > 0;
    t->unrecorded += sr->unrecorded > 0;
    t->spins += sr->spins > 0;
    if (sr->spins > 0 && t->spin_where == NULL)
        t->spin_where = spin_text(x, sr);
    return sr;
}

/* One finished run graded: a single decision in the order of precedence the
 * head of this file lists, kept in one function so that the order reads as
 * one chain (longer than 80 lines for that reason). */
int exec_grade(const exec_context *x, exec_child *c, exec_tally *t)
{
    const exec_options *o = x->o;
    tsan_summary ts;
    memset(&ts, 0, sizeof ts);
    if (c->tsan_base != NULL) {
        char *dir = xasprintf("%s/tsan", x->dir);
        const char *base = strrchr(c->tsan_base, '/') + 1;
        tsan_parse_prefix(&ts, dir, base);
        free(dir);
    }
    exec_san_report san;
    memset(&san, 0, sizeof san);
    if (c->san_base != NULL) {
        char *dir = xasprintf("%s/sanitizer", x->dir);
        exec_sanitizer_read(x, dir, strrchr(c->san_base, '/') + 1, &san);
        free(dir);
    }
    exec_sched_run *sr = sched_report(x, c, t);
    exec_counts counts;
    exec_read_reports(x->reports_dir, c->label, c->ch.pid, &counts);
    for (int p = 0; p < RL_EXEC_N_POINTS; p++) {
        t->points.hits[p] += counts.hits[p];
        t->points.fired[p] += counts.fired[p];
    }
    t->runs_counted += counts.counted;
    t->left_behind += (unsigned long long)c->ch.left_behind;
    t->runs_forked += counts.descendants > 0;

    int outcome = EXEC_OK;
    char *cause = NULL;
    const char *sig = NULL;
    int exited = WIFEXITED(c->ch.status), status = exited ? WEXITSTATUS(c->ch.status) : -1;
    const char *tsan_sig = ts.n_files > 0 ? tsan_deadly_signal(&ts) : NULL;
    int sched_status = sr != NULL ? sr->status : -1;
    if (sched_status == RL_EXEC_SCHED_DIVERGED) {
        t->diverged++;
        tsan_free(&ts);
        exec_sanitizer_free(&san);
        return EXEC_DIVERGED;
    }
    if (sched_status == RL_EXEC_SCHED_DEADLOCK) {
        outcome = EXEC_HANG;
        char *waits = exec_symbolise(x->p->path, sr->base, sr->waits);
        cause = xasprintf("deadlock: %s", waits);
        free(waits);
        t->deadlocks++;
    } else if (sched_status == RL_EXEC_SCHED_LIVELOCK) {
        outcome = EXEC_HANG;
        cause = sr->waits[0] ? xasprintf("livelock: %s", sr->waits)
                             : xasprintf("livelock (%d scheduling points)", sr->steps);
    } else if (c->ch.timed_out && sr != NULL && sr->spins > 0) {
        /* not a hang at a call: a thread's own loop, with no call in it */
        outcome = EXEC_HANG;
        char *where = spin_text(x, sr);
        cause = xasprintf("%s, no exit within %g s", where, o->timeout);
        free(where);
    } else if (c->ch.timed_out) {
        outcome = EXEC_HANG;
        cause = xasprintf("hang (no exit within %g s)", o->timeout);
    } else if (san.reports > 0 && exec_sanitizer_signal(&san) != NULL) {
        outcome = EXEC_SIGNAL;
        sig = exec_sanitizer_signal(&san);
        cause = exec_sanitizer_cause(&san);
    } else if (san.reports > 0) {
        outcome = san.leak ? EXEC_LEAK : EXEC_SANITIZER;
        cause = exec_sanitizer_cause(&san);
        /* how it ended, after the report (abort_on_error=1: SIGABRT) */
        sig = WIFSIGNALED(c->ch.status) ? signal_name(WTERMSIG(c->ch.status)) : NULL;
    } else if (WIFSIGNALED(c->ch.status) || tsan_sig != NULL) {
        outcome = EXEC_SIGNAL;
        sig = tsan_sig != NULL ? tsan_sig : signal_name(WTERMSIG(c->ch.status));
        cause = xasprintf("signal %s%s", sig, tsan_sig != NULL ? " (caught by TSan)" : "");
    } else if (ts.reports > 0) {
        outcome = EXEC_TSAN;
        cause = xasprintf("tsan %s", ts.n_kinds > 0 ? ts.kinds[0] : "report");
    } else if (o->fail_on != NULL && c->scan.matched) {
        outcome = EXEC_FAIL_ON;
        cause = xasprintf("output matches --fail-on '%s'", o->fail_on);
    } else if (!exited || !o->ok_status[status & 255]) {
        outcome = EXEC_EXIT_STATUS;
        cause = xasprintf("exit status %d", status);
    }
    if (outcome == EXEC_OK && o->sched && (sr == NULL || sr->status == RL_EXEC_SCHED_RUNNING)) {
        /* it passed, but its own process never finished under the scheduler:
         * it left it (LD_PRELOAD cleared and exec'd itself, _exit...). The
         * threads it ran, it ran unscheduled: no evidence either way. */
        t->escaped++;
        tsan_free(&ts);
        return EXEC_ESCAPED;
    }
    if (outcome == EXEC_OK && sr != NULL &&
        (sr->left_control > 0 || sr->unscheduled > 0 || sr->unrecorded > 0 || sr->spins > 0)) {
        /* it passed out of control (a thread blocked outside the model, spun
         * outside any call, ...): no evidence, never a pass (docs/trust.md) */
        t->diverged++;
        tsan_free(&ts);
        exec_sanitizer_free(&san);
        return EXEC_DIVERGED;
    }
    t->runs++;
    add_kinds(t, &ts);
    t->outcomes[outcome]++;
    if (outcome != EXEC_OK)
        record_failure(x, c, t, outcome, cause, &ts, sig, sr, &san);
    tsan_free(&ts);
    exec_sanitizer_free(&san);
    return outcome;
}

void exec_free_tally(exec_tally *t)
{
    for (int i = 0; i < t->n_kinds; i++)
        free(t->kinds[i]);
    for (int i = 0; i < t->n_failed; i++) {
        exec_failure *f = &t->failed[i];
        free(f->cause);
        free(f->stacks_file);
        free(f->stacks_note);
        free(f->output_file);
        free(f->tsan_log);
        free(f->sanitizer_log);
        free(f->stderr_tail);
        free(f->schedule);
        free(f->waits);
    }
    if (t->last != NULL)
        free(t->last->trace);
    free(t->last);
    rl_strategy_free(t->dfs);
    rl_fuzz_corpus_free(t->fuzz);
    free(t->shrunk.schedule);
    free(t->shrunk.cause);
    free(t->shrunk.waits);
    free(t->shrunk.trace);
    free(t->spin_where);
    memset(t, 0, sizeof *t);
}
