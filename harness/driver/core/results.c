/* results.c — the results folder and the record of each run.
 *
 *   DIR/runs.jsonl          one record per finished run, appended as it ends
 *   DIR/tsan/<run-id>.<pid> ThreadSanitizer logs
 *   DIR/stacks/<run-id>.txt gdb stacks of a run the driver's watchdog stopped
 *   DIR/stderr/<run-id>.txt what a program wrote on stderr, when it did
 *   DIR/summary.txt         the table
 *
 * A record is the program's own record plus the driver's fields (run_id,
 * command, pid, exit_status, signal, tsan_log, tsan_parsed, stacks_file,
 * duration...). A run that printed no valid record gets one that says so
 * (verdict "error"), filled and written like any record (record.h); a signal
 * is a crash outcome, the driver's watchdog a deadlock outcome, both
 * forbidden, and the verdict is judged again by the one grader (grader.h). */
#include "core/results.h"
#include "core/atomic_file.h"
#include "core/json_io.h"
#include "core/results_internal.h"
#include "core/summary.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_BYTES 2000

/* Writes a finished run's record to runs.jsonl and its row to the table. */
static void emit(session *s, finished_run *run)
{
    const plan_item *it = &run->item;
    json_object *rec = run->rec;
    const char *was = jstring(jget(rec, "verdict"));
    if (s->finished != NULL && variant_is_fix(it->var) && was != NULL &&
        strcmp(was, "error") != 0) {
        rl_control_record ctl = ctl_of(s, it);
        rec_judge(rec, it, &ctl);
        ctl_note(&run->note, &ctl);
    }
    if (it->control)
        note_add(&run->note, "run as a positive control");
    json_object_object_add(rec, "role", jtext(it->control ? "control" : "asked"));
    int severity = rec_severity(rec, run->severity);
    /* whole or not at all */
    int written = record_sink_write(&s->sink, jstring(jget(rec, "run_id")), rec) == 0;
    if (!written)
        note_add(&run->note, "record NOT written");

    const json_object *met = jget(rec, "met");
    summary_row row = {0};
    row.scenario = xstrdup(it->sc->name);
    row.variant = xstrdup(it->var->name);
    row.expectation = xstrdup(it->var->expectation);
    const char *mode = jstring(jget(rec, "mode"));
    row.mode = xstrdup(mode ? mode : "-");
    row.flavour = xstrdup(it->tsan ? "tsan" : "plain");
    row.trials = rec_fmt_count(rec, "trials");
    row.rate = rec_fmt_rate(rec);
    row.forbidden = rec_fmt_count(rec, "forbidden");
    row.tsan = it->tsan ? rec_fmt_count(jget(rec, "tsan"), "reports") : xstrdup("-");
    row.unhit = run->unhit;
    const char *verdict = jstring(jget(rec, "verdict"));
    row.verdict = xstrdup(verdict ? verdict : "?");
    buf_append(&run->note, "", 1, SIZE_MAX);
    row.note = run->note.data;
    row.met = json_object_is_type(met, json_type_boolean) ? json_object_get_boolean(met) : -1;
    row.index = run->index;
    row.severity = severity;
    summary_row_print(s, &row);
    if (written) {
        s->rows = xrealloc(s->rows, (size_t)(s->n_rows + 1) * sizeof *s->rows);
        s->rows[s->n_rows++] = row;
    } else {
        row_free(&row); /* shown, not counted as finished: it has no record */
    }
    /* --until-fail: the failure is kept; say how to run it again */
    if (written && s->opts->until_fail && jis_object(jget(rec, "first_failure")))
        printf("  first failure kept: racelab rerun %s/runs.jsonl --line %d\n", s->dir, s->n_rows);

    if (s->finished != NULL && run->index >= 0 && run->index < s->n_plan) {
        run_outcome *f = &s->finished[run->index];
        f->done = 1;
        f->variant = xstrdup(it->var->name);
        f->verdict = xstrdup(verdict ? verdict : "error");
        f->failures = rec_count(jget(rec, "stats"), "failures");
        f->trials = rec_count(rec, "trials");
        f->rate = f->trials ? (double)f->failures / (double)f->trials : 0;
    }
    json_object_put(rec);
}

/* Writes the fixes whose controls have all finished (all of them when the
 * session ends: a control that never finished counts as not reproduced). */
static void flush_pending(session *s, int all)
{
    for (int i = 0; i < s->n_pending;) {
        if (all || ctl_done(s, &s->pending[i].item)) {
            finished_run run = s->pending[i];
            memmove(&s->pending[i], &s->pending[i + 1],
                    (size_t)(s->n_pending - i - 1) * sizeof *s->pending);
            s->n_pending--;
            emit(s, &run);
            i = 0; /* the list changed */
        } else {
            i++;
        }
    }
}

/* How a run ended, as the driver saw it. */
typedef struct {
    double duration;
    int sig;         /* the signal that ended it, or 0 */
    int exit_status; /* or -1 */
    int ours;        /* our own SIGTERM/SIGKILL after an interrupt */
    tsan_summary ts; /* its TSan logs, when parsed */
    int parsed;
} run_end;

static void run_end_read(run_end *e, const child_run *c)
{
    memset(e, 0, sizeof *e);
    e->duration = c->ch.end > c->ch.start ? c->ch.end - c->ch.start : 0;
    e->sig = c->ch.reaped && WIFSIGNALED(c->ch.status) ? WTERMSIG(c->ch.status) : 0;
    e->exit_status = c->ch.reaped && WIFEXITED(c->ch.status) ? WEXITSTATUS(c->ch.status) : -1;
    e->ours = c->ch.interrupted && (e->sig == SIGTERM || e->sig == SIGKILL);
    if (c->item.tsan && c->tsan_base != NULL) {
        char *dir = xstrdup(c->tsan_base);
        char *slash = strrchr(dir, '/');
        if (slash != NULL) {
            *slash = '\0';
            tsan_parse_prefix(&e->ts, dir, slash + 1);
            e->parsed = 1;
        }
        free(dir);
    }
}

/* A run stopped by Ctrl-C before it had anything to say: a table row, no
 * record (it is not a finished run). */
static void row_interrupted(session *s, const child_run *c, const run_options *o)
{
    const plan_item *it = &c->item;
    summary_row row = {0};
    row.scenario = xstrdup(it->sc->name);
    row.variant = xstrdup(it->var->name);
    row.expectation = xstrdup(it->var->expectation);
    row.mode = xstrdup(o->has_mode ? rl_mode_name(o->mode) : "-");
    row.flavour = xstrdup(it->tsan ? "tsan" : "plain");
    row.trials = xstrdup("-");
    row.rate = xstrdup("-");
    row.forbidden = xstrdup("-");
    row.tsan = xstrdup("-");
    row.verdict = xstrdup("-");
    row.note = xstrdup("interrupted, no record");
    row.met = -1;
    row.index = c->index;
    s->rows = xrealloc(s->rows, (size_t)(s->n_rows + 1) * sizeof *s->rows);
    s->rows[s->n_rows++] = row;
    summary_row_print(s, &row);
}

static void note_addf(buffer *note, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_addf(buffer *note, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        text = NULL;
    va_end(ap);
    note_add(note, text ? text : "?");
    free(text);
}

/* What the driver itself saw go wrong: its watchdog fired (a deadlock), a
 * signal killed the program (a crash), or no record came (an error, with
 * why). REC is the program's record or NULL; returns the record to keep,
 * a stand-in when there was none. *error and *severity say what failed. */
static json_object *driver_failures(const child_run *c, const run_options *o, const run_end *e,
                                    json_object *rec, const char *why, buffer *note, char **error,
                                    int *severity)
{
    const plan_item *it = &c->item;
    const tsan_summary *ts = e->parsed ? &e->ts : NULL;
    if (c->ch.timed_out) {
        if (rec == NULL)
            rec = rec_synthesize(c, o, ts, e->duration);
        rec_add_failure(rec, "deadlock", "deadlock", e->duration);
        rec_add_count(rec, "hangs", 1);
        json_object *hang = json_object_new_object();
        json_object_object_add(hang, "by", jtext("driver watchdog"));
        json_object_object_add(hang, "deadline", jreal(run_deadline(o)));
        json_object_object_add(hang, "stacks_file", jtext(c->ch.stacks_file));
        json_object_object_add(rec, "hang", hang);
        rec_judge(rec, it, NULL);
        note_add(note, "deadlock (driver watchdog)");
        if (c->ch.stacks_file == NULL)
            note_add(note, "no stacks");
    } else if (e->sig != 0 && !e->ours) {
        if (rec == NULL)
            rec = rec_synthesize(c, o, ts, e->duration);
        char *cause = xasprintf("crash (%s)", signal_name(e->sig));
        rec_add_failure(rec, "crash", cause, e->duration);
        free(cause);
        rec_add_count(rec, "crashes", 1);
        json_object *crash = json_object_new_object();
        json_object_object_add(crash, "signal", jtext(signal_name(e->sig)));
        json_object_object_add(crash, "core_dumped",
                               json_object_new_boolean(WCOREDUMP(c->ch.status) != 0));
        json_object_object_add(rec, "crash", crash);
        rec_judge(rec, it, NULL);
        note_addf(note, "crash %s", signal_name(e->sig));
    } else if (rec == NULL) {
        rec = rec_synthesize(c, o, ts, e->duration);
        char *line = rec_last_line(&c->ch.err);
        if (c->ch.spawn_errno)
            *error =
                xasprintf("cannot start %s: %s", c->argv && c->argv[0] ? c->argv[0] : "?",
                          c->ch.spawn_errno == ENOENT ? "not built" : strerror(c->ch.spawn_errno));
        else if (e->sig != 0)
            *error = xasprintf("stopped by %s before printing a record", signal_name(e->sig));
        else if (line != NULL && (e->exit_status == 2 || e->exit_status == 3))
            *error = xasprintf("%s (exit status %d): %s", why, e->exit_status, line);
        else
            *error = xasprintf("%s (exit status %d)", why, e->exit_status);
        free(line);
        *severity = e->exit_status == 2 ? RL_EXIT_USAGE : RL_EXIT_HARNESS;
        note_add(note, c->ch.spawn_errno ? "not started" : "error: no valid record");
    }
    if (*error != NULL)
        json_object_object_add(rec, "error", jtext(*error));
    return rec;
}

/* The program's TSan count against its logs: when the program counted fewer
 * (a hang stopped it while TSan was still reporting), the logs are what TSan
 * said, and the run is judged by them. */
static void tsan_cross_check(json_object *rec, const plan_item *it, const tsan_summary *ts,
                             buffer *note)
{
    double own = 0;
    if (jnumber(jget(jget(rec, "tsan"), "reports"), &own) != 0 || (unsigned long)own == ts->reports)
        return;
    note_addf(note, "TSan logs hold %lu report%s, the record %.0f", ts->reports,
              ts->reports == 1 ? "" : "s", own);
    if ((unsigned long)own < ts->reports) {
        json_object *tsan = jget(rec, "tsan");
        json_object_object_add(tsan, "reports", jcount(ts->reports));
        json_object *kinds = json_object_new_object();
        for (int i = 0; i < ts->n_kinds; i++)
            json_object_object_add(kinds, ts->kinds[i], jcount(ts->kind_counts[i]));
        json_object_object_add(tsan, "kinds", kinds);
        rec_judge(rec, it, NULL);
    }
}

/* The notes of the table row: hangs, interrupts, why not judged, points
 * never hit (returned, for the row), TSan's counts and sites. */
static char *run_notes(json_object *rec, const child_run *c, const run_end *e, int trusted,
                       buffer *note)
{
    const plan_item *it = &c->item;
    const json_object *met = jget(rec, "met");
    if (rec_count(rec, "hangs") > 0 && !c->ch.timed_out)
        note_add(note, "hang");
    if (c->ch.interrupted)
        note_add(note, "interrupted");
    else if (jtrue(jget(rec, "interrupted")))
        note_add(note, "interrupted by a signal racelab did not send");
    if (!json_object_is_type(met, json_type_boolean))
        note_add(note, rec_not_judged_why(rec, it));
    char *unhit = rec_points_unhit(rec);
    if (unhit != NULL)
        note_addf(note, "points never hit: %s", unhit);
    if (e->parsed && trusted)
        tsan_cross_check(rec, it, &e->ts, note);
    if (e->parsed && e->ts.n_sites > 0)
        note_addf(note, "%d TSan site%s", e->ts.n_sites, e->ts.n_sites == 1 ? "" : "s");
    return unhit;
}

/* The driver's fields of every record: run id, command, pid, how it ended,
 * its TSan logs, stacks, stderr, duration and when it finished. */
static void driver_fields(const session *s, json_object *rec, const child_run *c, run_end *e,
                          int failed, int errored)
{
    json_object_object_add(rec, "run_id", jtext(c->run_id));
    json_object *cmd = json_object_new_array();
    for (int i = 0; i < c->argc; i++)
        json_object_array_add(cmd, jtext(c->argv[i]));
    json_object_object_add(rec, "command", cmd);
    json_object_object_add(rec, "pid", c->ch.pid > 0 ? json_object_new_int(c->ch.pid) : NULL);
    json_object_object_add(rec, "exit_status",
                           e->exit_status >= 0 ? json_object_new_int(e->exit_status) : NULL);
    json_object_object_add(rec, "signal", e->sig ? jtext(signal_name(e->sig)) : NULL);
    char *log = e->parsed ? rec_primary_log(&e->ts, c->ch.pid) : NULL;
    json_object_object_add(rec, "tsan_log", jtext(log));
    free(log);
    json_object_object_add(rec, "tsan_parsed", e->parsed ? tsan_to_json(&e->ts) : NULL);
    json_object_object_add(rec, "stacks_file", jtext(c->ch.stacks_file));
    if (c->ch.stacks_note != NULL)
        json_object_object_add(rec, "stacks_note", jtext(c->ch.stacks_note));
    if (c->ch.left_behind > 0) { /* outside its process group: found and killed (child_sweep.c) */
        json_object_object_add(rec, "left_behind", json_object_new_int(c->ch.left_behind));
        warn_msg("%s left %d process%s running outside its process group: killed", c->run_id,
                 c->ch.left_behind, c->ch.left_behind == 1 ? "" : "es");
    }
    char *err_file = rec_save_stderr(s, c);
    json_object_object_add(rec, "stderr_file", jtext(err_file));
    free(err_file);
    if (failed) {
        char *t = rec_tail(&c->ch.err, TAIL_BYTES);
        json_object_object_add(rec, "stderr_tail", jtext(t));
        free(t);
        if (errored) {
            t = rec_tail(&c->ch.out, TAIL_BYTES);
            json_object_object_add(rec, "stdout_tail", jtext(t));
            free(t);
        }
    }
    json_object_object_add(rec, "duration", jreal(e->duration));
    char *finished = rec_utc_stamp();
    json_object_object_add(rec, "finished_at", jtext(finished));
    free(finished);
}

void results_finish(session *s, child_run *c, const run_options *o)
{
    const plan_item *it = &c->item;
    run_end e;
    run_end_read(&e, c);
    const char *why = NULL;
    json_object *rec = c->ch.spawn_errno ? NULL : rec_find(&c->ch.out, &why);
    int synthesized = rec == NULL;
    if (rec == NULL && c->ch.interrupted && !c->ch.timed_out && (e.ours || e.exit_status >= 0)) {
        row_interrupted(s, c, o);
        tsan_free(&e.ts);
        return;
    }
    buffer note = {0};
    int severity = 0;
    char *error = NULL;
    rec = driver_failures(c, o, &e, rec, why, &note, &error, &severity);
    char *unhit = run_notes(rec, c, &e, error == NULL && !synthesized, &note);
    driver_fields(s, rec, c, &e, error != NULL || e.sig != 0 || c->ch.timed_out, error != NULL);
    free(error);
    tsan_free(&e.ts);
    finished_run run = {.item = *it,
                        .index = c->index,
                        .rec = rec,
                        .note = note,
                        .severity = severity,
                        .unhit = unhit};
    if (s->finished != NULL && variant_is_fix(it->var) && !ctl_done(s, it)) {
        s->pending = xrealloc(s->pending, (size_t)(s->n_pending + 1) * sizeof *s->pending);
        s->pending[s->n_pending++] = run; /* written when its controls are */
        return;
    }
    emit(s, &run);
    flush_pending(s, 0);
}

static int by_index(const void *a, const void *b)
{
    return ((const summary_row *)a)->index - ((const summary_row *)b)->index;
}

void row_free(summary_row *r)
{
    char **texts[] = {&r->scenario, &r->variant,   &r->expectation, &r->mode,
                      &r->flavour,  &r->verdict,   &r->note,        &r->trials,
                      &r->rate,     &r->forbidden, &r->tsan,        &r->unhit};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        free(*texts[i]);
        *texts[i] = NULL;
    }
}

void results_free(session *s)
{
    for (int i = 0; s->finished != NULL && i < s->n_plan; i++) {
        free(s->finished[i].variant);
        free(s->finished[i].verdict);
    }
    free(s->finished);
    free(s->pending);
    s->finished = NULL;
    s->pending = NULL;
}

typedef struct {
    session *s;
    int interrupted, status;
} summary_file;

static int summary_cb(const void *ctx, FILE *f)
{
    const summary_file *c = ctx;
    summary_write_file(c->s, f, c->interrupted, c->status);
    record_sink_report(&c->s->sink, f);
    return ferror(f) ? -1 : 0;
}

int results_close(session *s, int interrupted, int (*reports)(const char *dir))
{
    flush_pending(s, 1);
    int status = RL_EXIT_MET;
    for (int i = 0; i < s->n_rows; i++)
        status = rl_worse_exit(status, s->rows[i].severity);
    if (s->sink.n_unwritten > 0)
        status = rl_worse_exit(status, RL_EXIT_HARNESS); /* records lost: the environment failed */
    if (interrupted)
        status = RL_EXIT_INTERRUPTED;
    qsort(s->rows, (size_t)s->n_rows, sizeof *s->rows, by_index);
    record_sink_close(&s->sink);
    /* The reports first (junit.xml, results.tap, report.html), so that the totals and
     * summary.txt say the status the process exits with, a failed write included. */
    if (reports != NULL)
        status = rl_worse_exit(status, reports(s->dir));
    char *path = xasprintf("%s/summary.txt", s->dir);
    summary_file ctx = {s, interrupted, status};
    if (atomic_write(path, summary_cb, &ctx, ATOMIC_REPLACE) != 0)
        status = rl_worse_exit(status, RL_EXIT_HARNESS); /* no file claims the old status */
    free(path);
    summary_totals(s, interrupted, status);
    record_sink_report(&s->sink, stderr);
    record_sink_free(&s->sink);
    return status;
}
