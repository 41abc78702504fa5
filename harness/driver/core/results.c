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
#include "core/json_io.h"
#include "core/options.h"
#include "core/plan.h"
#include "core/runner.h"
#include "core/summary.h"
#include "core/tsanlog.h"
#include "core/util.h"
#include "exec/exec.h"
#include "run/drive.h"

#include "../../common/grader.h"
#include "../../common/record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_BYTES 2000

/* ---- the folder --------------------------------------------------------- */

int results_open(session *s, const run_options *o, const char *default_root)
{
    int rc = record_sink_open(&s->sink, o->out_dir, default_root, "");
    if (rc != 0)
        return rc;
    s->dir = xstrdup(s->sink.dir);
    s->opts = o;
    return 0;
}

char *results_path(const session *s, const char *sub, const char *name)
{
    char *d = xasprintf("%s/%s", s->dir, sub);
    if (mkdir(d, 0755) != 0 && errno != EEXIST)
        warn_msg("cannot create %s: %s", d, strerror(errno));
    char *p = xasprintf("%s/%s", d, name);
    free(d);
    return p;
}

/* ---- the record ----------------------------------------------------------- */

/* The last line of stdout that is a JSON object naming a scenario and a
 * verdict: the program's record. */
static json_object *find_record(const buffer *out, const char **why)
{
    *why = out->len == 0 ? "the program printed nothing on stdout" : "no JSON record on stdout";
    if (out->data == NULL)
        return NULL;
    json_object *found = NULL;
    const char *text = out->data;
    const char *end = text + out->len;
    while (text < end) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        const char *line_end = nl ? nl : end;
        if (*text == '{') {
            const char *err = NULL;
            json_object *v = NULL;
            if (jparse(text, (size_t)(line_end - text), &v, &err) != 0) {
                *why = "the record on stdout is not valid JSON";
            } else if (!jis_object(v) || jstring(jget(v, "scenario")) == NULL ||
                       jstring(jget(v, "verdict")) == NULL) {
                *why = "the JSON on stdout is not a run record";
                json_object_put(v);
            } else {
                json_object_put(found);
                found = v;
            }
        }
        text = nl ? nl + 1 : end;
    }
    return found;
}

static char *tail(const buffer *b, size_t n)
{
    if (b->data == NULL || b->len == 0)
        return NULL;
    size_t start = b->len > n ? b->len - n : 0;
    return xstrdup(b->data + start);
}

static unsigned long long count_of(const json_object *obj, const char *key)
{
    json_object *v = jget(obj, key);
    double x;
    if (json_object_is_type(v, json_type_int))
        return (unsigned long long)json_object_get_uint64(v); /* negative: 0 */
    return jnumber(v, &x) == 0 && x > 0 ? (unsigned long long)x : 0;
}

/* ISO 8601 UTC with milliseconds: reports order folders by their earliest
 * finished_at, and two nights' runs a fraction of a second apart must not tie. */
static char *utc_stamp(void)
{
    char stamp[40];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", now.tv_nsec / 1000000L);
    return xstrdup(stamp);
}

/* The stand-in record of a run whose program printed none: every field of
 * the record definition, nothing measured (verdict "error"). */
static json_object *synthesize(const child_run *c, const run_options *o, const tsan_summary *ts,
                               double duration)
{
    const plan_item *it = &c->item;
    const json_object *declared = jget(it->sc->descriptor, "outcomes");
    rl_named_count *outcomes = xcalloc(jlen(declared) + 1, sizeof *outcomes);
    int n_outcomes = 0;
    for (size_t i = 0; i < jlen(declared); i++) {
        const char *name = jstring(jget(jat(declared, i), "name"));
        if (name != NULL)
            outcomes[n_outcomes++] = (rl_named_count){name, 0};
    }
    int n_kinds = ts != NULL ? ts->n_kinds : 0;
    rl_named_count *kinds = xcalloc((size_t)n_kinds + 1, sizeof *kinds);
    for (int i = 0; i < n_kinds; i++)
        kinds[i] = (rl_named_count){ts->kinds[i], ts->kind_counts[i]};
    const char **inject = xcalloc((size_t)o->n_injects + 1, sizeof *inject);
    int n_inject = 0;
    for (int i = 0; i < o->n_injects; i++)
        if (spec_applies(it->sc, o->injects[i]))
            inject[n_inject++] = o->injects[i];
    unsigned long long seed = 0;
    int has_seed = o->seed_text != NULL && parse_whole(o->seed_text, 0, ~0ULL, &seed) == 0;
    rl_record r = {
        .scenario = it->sc->name,
        .variant = it->var->name,
        .expectation = it->var->expectation,
        .caught_by = it->var->caught_by,
        .mode = o->mode ? o->mode : "stress",
        .engine = NULL,
        .flavour = it->tsan ? "tsan" : "plain",
        .has_seed = has_seed,
        .seed = seed,
        .seconds = duration,
        .outcomes = outcomes,
        .n_outcomes = n_outcomes,
        .tsan_enabled = it->tsan,
        .tsan_reports = ts != NULL ? ts->reports : 0,
        .tsan_kinds = kinds,
        .n_tsan_kinds = n_kinds,
        .inject = inject,
        .n_inject = n_inject,
        .default_profile = -1,
        .profile = o->profile,
        .posix_faults = o->posix_faults,
        .n_posix_faults = o->n_posix_faults,
        .timeout = o->timeout,
        .batch_max = -1,
        .until_fail = o->until_fail,
        .interrupted = c->ch.interrupted,
    };
    rl_judge_error(&r.verdict);
    json_object *rec = record_json(&r);
    free(outcomes);
    free(kinds);
    free(inject);
    return rec;
}

static void add_count(json_object *obj, const char *key, unsigned long long n)
{
    json_object_object_add(obj, key, jcount(count_of(obj, key) + n));
}

/* One more forbidden outcome the driver saw (a crash or a deadlock). */
static void add_failure(json_object *rec, const char *outcome, const char *cause, double duration)
{
    json_object *outcomes = jget(rec, "outcomes");
    if (!jis_object(outcomes)) {
        outcomes = json_object_new_object();
        json_object_object_add(rec, "outcomes", outcomes);
    }
    add_count(outcomes, outcome, 1);
    add_count(rec, "forbidden", 1);
    if (!jis_object(jget(rec, "first_failure"))) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "trial", NULL);
        json_object_object_add(f, "seconds", jreal(duration));
        json_object_object_add(f, "cause", jtext(cause));
        json_object_object_add(rec, "first_failure", f);
    }
}

/* The variant shows its failure only after an injected fault. */
static int needs_fault(const json_object *rec, const plan_item *it)
{
    return jstring(jget(rec, "variant_spec")) != NULL || it->var->inject != NULL;
}

static int points_act(const json_object *rec)
{
    const char *mode = jstring(jget(rec, "mode"));
    return mode != NULL && strcmp(mode, "stress") != 0;
}

/* The verdict again, after the driver added a crash or a hang or found a
 * fix's positive control: the record's counts handed to the one grader
 * (grader.c), its verdict, met, stats and control written back as the
 * record writer writes them. */
static void judge(json_object *rec, const plan_item *it, const rl_control_record *control)
{
    rl_verdict v;
    int expect = rl_expectation_from_name(jstring(jget(rec, "expectation")));
    if (expect < 0) {
        rl_judge_error(&v);
    } else {
        int by = rl_detector_from_name(jstring(jget(rec, "caught_by")));
        rl_grade_input in = {
            .expect = (rl_expectation)expect,
            .caught_by = by < 0 ? RL_CAUGHT_BY_ANY : (rl_detector)by,
            .needs_fault = needs_fault(rec, it),
            .points_act = points_act(rec),
            .tsan_flavour = it->tsan,
            .trials = count_of(rec, "trials"),
            .forbidden = count_of(rec, "forbidden"),
            .interesting = count_of(rec, "interesting"),
            .tsan_reports = count_of(jget(rec, "tsan"), "reports"),
            .interrupted = jtrue(jget(rec, "interrupted")),
            .control = control == NULL                               ? RL_CONTROL_NONE
                       : strcmp(control->verdict, "reproduced") == 0 ? RL_CONTROL_REPRODUCED
                                                                     : RL_CONTROL_MISSED,
        };
        rl_judge_counts(&in, &v);
    }
    rl_record only = {.verdict = v, .default_profile = -1, .batch_max = -1};
    if (control != NULL) {
        only.control = *control;
        only.control.present = 1;
        only.control.times_less_likely =
            control->failures > 0 && v.upper95 > 0
                ? rl_rate_lower95(control->failures, control->trials) / v.upper95
                : 0;
    }
    json_object *written = record_json(&only);
    static const char *const keys[] = {"verdict", "met", "stats", "control"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (control != NULL || strcmp(keys[k], "control") != 0)
            json_object_object_add(rec, keys[k], json_object_get(jget(written, keys[k])));
    json_object_put(written);
}

/* Why a record's met is null. */
static const char *not_judged_why(const json_object *rec, const plan_item *it)
{
    const char *by = jstring(jget(rec, "caught_by"));
    if (by != NULL && strcmp(by, "tsan") == 0 && !it->tsan)
        return "not judged in this flavour";
    if (needs_fault(rec, it) && !points_act(rec))
        return "not judged in stress mode (needs a fault)";
    return "not judged";
}

/* "a, b" of a record's points_unhit, or NULL when there are none. */
static char *points_unhit(const json_object *rec)
{
    const json_object *unhit = jget(rec, "points_unhit");
    buffer b = {0};
    for (size_t i = 0; i < jlen(unhit); i++) {
        const char *name = jstring(jat(unhit, i));
        if (name == NULL)
            continue;
        if (b.len)
            buf_append(&b, ", ", 2, SIZE_MAX);
        buf_append(&b, name, strlen(name), SIZE_MAX);
    }
    return b.data;
}

static char *save_stderr(const session *s, const child_run *c)
{
    if (c->ch.err.len == 0)
        return NULL;
    char *name = xasprintf("%s.txt", c->run_id);
    char *path = results_path(s, "stderr", name);
    free(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, c->ch.err.data, c->ch.err.len) != 0) {
        if (fd >= 0)
            close(fd);
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

static char *last_line(const buffer *b)
{
    if (b->len == 0)
        return NULL;
    char *copy = xstrdup(b->data);
    size_t n = strlen(copy);
    while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == '\r'))
        copy[--n] = '\0';
    char *nl = strrchr(copy, '\n');
    char *line = xstrdup(nl ? nl + 1 : copy);
    free(copy);
    return line;
}

static char *fmt_count(const json_object *rec, const char *key)
{
    const char *text = jnumber_text(jget(rec, key));
    return xstrdup(text != NULL ? text : "-");
}

static char *fmt_rate(const json_object *rec)
{
    double x;
    if (jnumber(jget(rec, "trials_per_s"), &x) != 0)
        return xstrdup("-");
    if (x >= 1e6)
        return xasprintf("%.1fM", x / 1e6);
    if (x >= 1e4)
        return xasprintf("%.0fk", x / 1e3);
    if (x >= 1e3)
        return xasprintf("%.1fk", x / 1e3);
    return xasprintf("%.0f", x);
}

static void note_add(buffer *note, const char *text)
{
    if (note->len)
        buf_append(note, ", ", 2, SIZE_MAX);
    buf_append(note, text, strlen(text), SIZE_MAX);
}

static char *primary_log(const tsan_summary *ts, pid_t pid)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".%d", (int)pid);
    for (int i = 0; i < ts->n_files; i++) {
        size_t n = strlen(ts->files[i]), k = strlen(suffix);
        if (n > k && strcmp(ts->files[i] + n - k, suffix) == 0)
            return xstrdup(ts->files[i]);
    }
    return ts->n_files > 0 ? xstrdup(ts->files[0]) : NULL;
}

/* A finished run's record, waiting to be written: a fix waits for its
 * positive controls (plan.c), so that its verdict can count them. */
typedef struct pending {
    plan_item item;
    int index;
    json_object *rec;
    buffer note;
    int severity; /* usage or harness, from how the run ended */
    char *unhit;
} finished_run;

static int is_fix(const plan_item *it) { return strcmp(it->var->expectation, "reproduces") != 0; }

static int controls(const session *s, const plan_item *fix, const plan_item *other)
{
    return other->sc == fix->sc && other->tsan == fix->tsan &&
           can_control(other->var, other->tsan, s->opts->mode);
}

static int controls_done(const session *s, const plan_item *fix)
{
    for (int i = 0; i < s->n_plan; i++)
        if (controls(s, fix, &s->plan[i]) && !s->finished[i].done)
            return 0;
    return 1;
}

/* The fix's control: the first of its controls that reproduced, else the
 * first that ran; a control named "none" when the scenario has no racy
 * variant that can be judged in this flavour and mode. */
static rl_control_record control_of(const session *s, const plan_item *fix)
{
    int best = -1;
    for (int i = 0; i < s->n_plan; i++) {
        if (!controls(s, fix, &s->plan[i]) || !s->finished[i].done)
            continue;
        if (best < 0 || (strcmp(s->finished[best].verdict, "reproduced") != 0 &&
                         strcmp(s->finished[i].verdict, "reproduced") == 0))
            best = i;
    }
    if (best < 0)
        return (rl_control_record){.present = 1, .variant = NULL, .verdict = "none"};
    const run_outcome *f = &s->finished[best];
    return (rl_control_record){.present = 1,
                               .variant = f->variant,
                               .verdict = f->verdict,
                               .failures = f->failures,
                               .trials = f->trials,
                               .rate = f->rate};
}

/* The exit status a record asks for: its verdict's class, or worse when
 * the run itself went wrong (severity). */
static int record_severity(const json_object *rec, int severity)
{
    const json_object *met = jget(rec, "met");
    if (!json_object_is_type(met, json_type_boolean) || json_object_get_boolean(met))
        return severity;
    const char *verdict = jstring(jget(rec, "verdict"));
    /* An error is the harness's (3), unless the program refused its input
     * (exit 2): that is bad input, 2, as README's exit statuses say and as
     * `report` classes the same record (report_load.c). */
    int error_class = severity == RL_EXIT_USAGE ? RL_EXIT_USAGE : RL_EXIT_HARNESS;
    int class = verdict == NULL || strcmp(verdict, "error") == 0 ? error_class
                : strcmp(verdict, "fails") == 0                  ? RL_EXIT_FIX_FAILED
                                                                 : RL_EXIT_WEAK;
    return rl_worse_exit(class, severity);
}

static void note_control(buffer *note, const rl_control_record *ctl)
{
    char *text = ctl->variant == NULL ? xstrdup("no racy variant can be judged here: inconclusive")
                 : strcmp(ctl->verdict, "reproduced") == 0
                     ? xasprintf("control %s: %llu/%llu", ctl->variant, ctl->failures, ctl->trials)
                     : xasprintf("control %s not reproduced: inconclusive", ctl->variant);
    note_add(note, text);
    free(text);
}

/* Writes a finished run's record to runs.jsonl and its row to the table. */
static void emit(session *s, finished_run *run)
{
    const plan_item *it = &run->item;
    json_object *rec = run->rec;
    const char *was = jstring(jget(rec, "verdict"));
    if (s->finished != NULL && is_fix(it) && was != NULL && strcmp(was, "error") != 0) {
        rl_control_record ctl = control_of(s, it);
        judge(rec, it, &ctl);
        note_control(&run->note, &ctl);
    }
    if (it->control)
        note_add(&run->note, "run as a positive control");
    json_object_object_add(rec, "role", jtext(it->control ? "control" : "asked"));
    int severity = record_severity(rec, run->severity);
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
    row.trials = fmt_count(rec, "trials");
    row.rate = fmt_rate(rec);
    row.forbidden = fmt_count(rec, "forbidden");
    row.tsan = it->tsan ? fmt_count(jget(rec, "tsan"), "reports") : xstrdup("-");
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
        f->failures = count_of(jget(rec, "stats"), "failures");
        f->trials = count_of(rec, "trials");
        f->rate = f->trials ? (double)f->failures / (double)f->trials : 0;
    }
    json_object_put(rec);
}

/* Writes the fixes whose controls have all finished (all of them when the
 * session ends: a control that never finished counts as not reproduced). */
static void flush_pending(session *s, int all)
{
    for (int i = 0; i < s->n_pending;) {
        if (all || controls_done(s, &s->pending[i].item)) {
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

void results_finish(session *s, child_run *c, const run_options *o)
{
    const plan_item *it = &c->item;
    double duration = c->ch.end > c->ch.start ? c->ch.end - c->ch.start : 0;
    int sig = c->ch.reaped && WIFSIGNALED(c->ch.status) ? WTERMSIG(c->ch.status) : 0;
    int exit_status = c->ch.reaped && WIFEXITED(c->ch.status) ? WEXITSTATUS(c->ch.status) : -1;
    int ours = c->ch.interrupted && (sig == SIGTERM || sig == SIGKILL);
    const char *why = NULL;
    json_object *rec = c->ch.spawn_errno ? NULL : find_record(&c->ch.out, &why);
    int synthesized = rec == NULL;
    buffer note = {0};
    int severity = 0;

    tsan_summary ts;
    memset(&ts, 0, sizeof ts);
    int parsed = 0;
    if (it->tsan && c->tsan_base != NULL) {
        char *dir = xstrdup(c->tsan_base);
        char *slash = strrchr(dir, '/');
        if (slash != NULL) {
            *slash = '\0';
            tsan_parse_prefix(&ts, dir, slash + 1);
            parsed = 1;
        }
        free(dir);
    }

    if (rec == NULL && c->ch.interrupted && !c->ch.timed_out && (ours || exit_status >= 0)) {
        /* Stopped by Ctrl-C before it had anything to say: not a finished run. */
        summary_row row = {0};
        row.scenario = xstrdup(it->sc->name);
        row.variant = xstrdup(it->var->name);
        row.expectation = xstrdup(it->var->expectation);
        row.mode = xstrdup(o->mode ? o->mode : "-");
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
        tsan_free(&ts);
        return;
    }

    char *error = NULL;
    if (c->ch.timed_out) {
        if (rec == NULL)
            rec = synthesize(c, o, parsed ? &ts : NULL, duration);
        add_failure(rec, "deadlock", "deadlock", duration);
        add_count(rec, "hangs", 1);
        json_object *hang = json_object_new_object();
        json_object_object_add(hang, "by", jtext("driver watchdog"));
        json_object_object_add(hang, "deadline", jreal(run_deadline(o)));
        json_object_object_add(hang, "stacks_file", jtext(c->ch.stacks_file));
        json_object_object_add(rec, "hang", hang);
        judge(rec, it, NULL);
        note_add(&note, "deadlock (driver watchdog)");
        if (c->ch.stacks_file == NULL)
            note_add(&note, "no stacks");
    } else if (sig != 0 && !ours) {
        if (rec == NULL)
            rec = synthesize(c, o, parsed ? &ts : NULL, duration);
        char *cause = xasprintf("crash (%s)", signal_name(sig));
        add_failure(rec, "crash", cause, duration);
        free(cause);
        add_count(rec, "crashes", 1);
        json_object *crash = json_object_new_object();
        json_object_object_add(crash, "signal", jtext(signal_name(sig)));
        json_object_object_add(crash, "core_dumped",
                               json_object_new_boolean(WCOREDUMP(c->ch.status) != 0));
        json_object_object_add(rec, "crash", crash);
        judge(rec, it, NULL);
        char *text = xasprintf("crash %s", signal_name(sig));
        note_add(&note, text);
        free(text);
    } else if (rec == NULL) {
        rec = synthesize(c, o, parsed ? &ts : NULL, duration);
        char *line = last_line(&c->ch.err);
        if (c->ch.spawn_errno)
            error =
                xasprintf("cannot start %s: %s", c->argv && c->argv[0] ? c->argv[0] : "?",
                          c->ch.spawn_errno == ENOENT ? "not built" : strerror(c->ch.spawn_errno));
        else if (sig != 0)
            error = xasprintf("stopped by %s before printing a record", signal_name(sig));
        else if (line != NULL && (exit_status == 2 || exit_status == 3))
            error = xasprintf("%s (exit status %d): %s", why, exit_status, line);
        else
            error = xasprintf("%s (exit status %d)", why, exit_status);
        free(line);
        severity = exit_status == 2 ? RL_EXIT_USAGE : RL_EXIT_HARNESS;
        note_add(&note, c->ch.spawn_errno ? "not started" : "error: no valid record");
    }
    if (error != NULL)
        json_object_object_add(rec, "error", jtext(error));

    /* The program's own judgement stands unless the driver changed it. */
    const json_object *met = jget(rec, "met");
    int met_value = json_object_is_type(met, json_type_boolean) ? json_object_get_boolean(met) : -1;
    if (count_of(rec, "hangs") > 0 && !c->ch.timed_out)
        note_add(&note, "hang");
    if (c->ch.interrupted)
        note_add(&note, "interrupted");
    else if (jtrue(jget(rec, "interrupted")))
        note_add(&note, "interrupted by a signal racelab did not send");
    if (met_value < 0)
        note_add(&note, not_judged_why(rec, it));
    char *unhit = points_unhit(rec);
    if (unhit != NULL) {
        char *text = xasprintf("points never hit: %s", unhit);
        note_add(&note, text);
        free(text);
    }
    double own = 0;
    if (parsed && error == NULL && !synthesized &&
        jnumber(jget(jget(rec, "tsan"), "reports"), &own) == 0 &&
        (unsigned long)own != ts.reports) {
        char *text = xasprintf("TSan logs hold %lu report%s, the record %.0f", ts.reports,
                               ts.reports == 1 ? "" : "s", own);
        note_add(&note, text);
        free(text);
        if ((unsigned long)own < ts.reports) {
            /* The program counted fewer (a hang stopped it while TSan was still
             * reporting): the logs are what TSan said; judge by them. */
            json_object *tsan = jget(rec, "tsan");
            json_object_object_add(tsan, "reports", jcount(ts.reports));
            json_object *kinds = json_object_new_object();
            for (int i = 0; i < ts.n_kinds; i++)
                json_object_object_add(kinds, ts.kinds[i], jcount(ts.kind_counts[i]));
            json_object_object_add(tsan, "kinds", kinds);
            judge(rec, it, NULL);
        }
    }
    if (parsed && ts.n_sites > 0) {
        char *text = xasprintf("%d TSan site%s", ts.n_sites, ts.n_sites == 1 ? "" : "s");
        note_add(&note, text);
        free(text);
    }

    /* The driver's fields. */
    json_object_object_add(rec, "run_id", jtext(c->run_id));
    json_object *cmd = json_object_new_array();
    for (int i = 0; i < c->argc; i++)
        json_object_array_add(cmd, jtext(c->argv[i]));
    json_object_object_add(rec, "command", cmd);
    json_object_object_add(rec, "pid", c->ch.pid > 0 ? json_object_new_int(c->ch.pid) : NULL);
    json_object_object_add(rec, "exit_status",
                           exit_status >= 0 ? json_object_new_int(exit_status) : NULL);
    json_object_object_add(rec, "signal", sig ? jtext(signal_name(sig)) : NULL);
    char *log = parsed ? primary_log(&ts, c->ch.pid) : NULL;
    json_object_object_add(rec, "tsan_log", jtext(log));
    free(log);
    json_object_object_add(rec, "tsan_parsed", parsed ? tsan_to_json(&ts) : NULL);
    json_object_object_add(rec, "stacks_file", jtext(c->ch.stacks_file));
    if (c->ch.stacks_note != NULL)
        json_object_object_add(rec, "stacks_note", jtext(c->ch.stacks_note));
    if (c->ch.left_behind > 0) { /* outside its process group: found and killed (child_sweep.c) */
        json_object_object_add(rec, "left_behind", json_object_new_int(c->ch.left_behind));
        warn_msg("%s left %d process%s running outside its process group: killed", c->run_id,
                 c->ch.left_behind, c->ch.left_behind == 1 ? "" : "es");
    }
    char *err_file = save_stderr(s, c);
    json_object_object_add(rec, "stderr_file", jtext(err_file));
    free(err_file);
    if (error != NULL || sig != 0 || c->ch.timed_out) {
        char *t = tail(&c->ch.err, TAIL_BYTES);
        json_object_object_add(rec, "stderr_tail", jtext(t));
        free(t);
        if (error != NULL) {
            t = tail(&c->ch.out, TAIL_BYTES);
            json_object_object_add(rec, "stdout_tail", jtext(t));
            free(t);
        }
    }
    json_object_object_add(rec, "duration", jreal(duration));
    char *started = utc_stamp();
    json_object_object_add(rec, "finished_at", jtext(started));
    free(started);

    free(error);
    tsan_free(&ts);
    finished_run run = {.item = *it,
                        .index = c->index,
                        .rec = rec,
                        .note = note,
                        .severity = severity,
                        .unhit = unhit};
    if (s->finished != NULL && is_fix(it) && !controls_done(s, it)) {
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

int results_close(session *s, int interrupted)
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
    char *path = xasprintf("%s/summary.txt", s->dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        error_msg("cannot write %s: %s", path, strerror(errno));
        status = interrupted ? status : RL_EXIT_HARNESS;
    } else {
        summary_write_file(s, f, interrupted, status);
        record_sink_report(&s->sink, f);
        if (fclose(f) != 0) {
            error_msg("cannot write %s: %s", path, strerror(errno));
            status = interrupted ? status : RL_EXIT_HARNESS;
        }
    }
    free(path);
    summary_totals(s, interrupted, status);
    record_sink_report(&s->sink, stderr);
    record_sink_free(&s->sink);
    return status;
}
