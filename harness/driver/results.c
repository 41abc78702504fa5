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
 * (verdict "error"); a signal is a crash outcome, the driver's watchdog a
 * deadlock outcome, both forbidden, and the verdict is judged again the way
 * the runtime judges (verdict.c). */
#include "driver.h"

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

typedef struct {
    char **paths;
    int n;
} made_dirs;

/* mkdir -p, remembering what it made so a failure can undo it. */
static int make_dirs(const char *path, made_dirs *made)
{
    char *p = xstrdup(path);
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';
    for (char *q = p + 1;; q++) {
        int last = *q == '\0';
        if (*q == '/' || last) {
            char saved = *q;
            *q = '\0';
            if (mkdir(p, 0755) == 0) {
                made->paths = xrealloc(made->paths, (size_t)(made->n + 1) * sizeof *made->paths);
                made->paths[made->n++] = xstrdup(p);
            } else if (errno != EEXIST) {
                free(p);
                return -1;
            } else {
                struct stat st;
                if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                    errno = ENOTDIR;
                    free(p);
                    return -1;
                }
            }
            *q = saved;
            if (last)
                break;
        }
    }
    free(p);
    return 0;
}

static void undo_dirs(made_dirs *made)
{
    for (int i = made->n - 1; i >= 0; i--) {
        rmdir(made->paths[i]);
        free(made->paths[i]);
    }
    free(made->paths);
    made->paths = NULL;
    made->n = 0;
}

static char *default_dir(const char *root)
{
    char host[256] = "host";
    if (gethostname(host, sizeof host) != 0)
        strcpy(host, "host");
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++)
        if (*p == '/' || *p == ' ')
            *p = '_';
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    char *dir = xasprintf("%s/%s-%s", root, stamp, host);
    for (int k = 2; access(dir, F_OK) == 0 && k < 1000; k++) {
        free(dir);
        dir = xasprintf("%s/%s-%s-%d", root, stamp, host, k);
    }
    return dir;
}

int results_open(session *s, const run_options *o, const char *default_root)
{
    char *dir = o->out_dir ? xstrdup(o->out_dir) : default_dir(default_root);
    made_dirs made = {0};
    if (make_dirs(dir, &made) != 0) {
        error_msg("cannot create the results folder %s: %s", dir, strerror(errno));
        undo_dirs(&made);
        free(dir);
        return EXIT_HARNESS;
    }
    char *jsonl = xasprintf("%s/runs.jsonl", dir);
    int fd = open(jsonl, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        if (e == EEXIST)
            error_msg("%s already holds results; give another --out", dir);
        else
            error_msg("cannot write to the results folder %s: %s", dir, strerror(e));
        undo_dirs(&made);
        free(jsonl);
        free(dir);
        return e == EEXIST ? EXIT_USAGE : EXIT_HARNESS;
    }
    free(jsonl);
    for (int i = 0; i < made.n; i++)
        free(made.paths[i]);
    free(made.paths);
    char real[PATH_MAX];
    if (realpath(dir, real) != NULL) {
        free(dir);
        dir = xstrdup(real);
    }
    s->dir = dir;
    s->jsonl_fd = fd;
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
static jv *find_record(const buffer *out, const char **why)
{
    *why = out->len == 0 ? "the program printed nothing on stdout" : "no JSON record on stdout";
    if (out->data == NULL)
        return NULL;
    jv *found = NULL;
    const char *text = out->data;
    const char *end = text + out->len;
    while (text < end) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        const char *line_end = nl ? nl : end;
        if (*text == '{') {
            const char *err = NULL;
            jv *v = jv_parse(text, (size_t)(line_end - text), &err);
            if (v == NULL) {
                *why = "the record on stdout is not valid JSON";
            } else if (v->type != JV_OBJECT || jv_string(jv_get(v, "scenario")) == NULL ||
                       jv_string(jv_get(v, "verdict")) == NULL) {
                *why = "the JSON on stdout is not a run record";
                jv_free(v);
            } else {
                jv_free(found);
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

static double number_of(const jv *obj, const char *key, double fallback)
{
    double x;
    return jv_number(jv_get(obj, key), &x) == 0 ? x : fallback;
}

static char *utc_stamp(void)
{
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(stamp);
}

/* A record for a run whose program said nothing usable. */
static jv *synthesize(const child_run *c, const run_options *o, const tsan_summary *ts,
                      double duration)
{
    const plan_item *it = &c->item;
    jv *r = jv_object();
    jv_set(r, "scenario", jv_str(it->sc->name));
    jv_set(r, "variant", jv_str(it->var->name));
    jv_set(r, "expectation", jv_str(it->var->expectation));
    jv_set(r, "caught_by", jv_str(it->var->caught_by));
    jv_set(r, "mode", jv_str(o->mode ? o->mode : "stress"));
    jv_set(r, "engine", jv_null());
    jv_set(r, "flavour", jv_str(it->tsan ? "tsan" : "plain"));
    jv_set(r, "seed", o->seed_text ? jv_num_text(o->seed_text) : jv_null());
    jv_set(r, "trials", jv_int(0));
    jv_set(r, "seconds", jv_num(duration));
    jv_set(r, "trials_per_s", jv_int(0));
    jv_set(r, "outcomes", jv_object());
    jv_set(r, "forbidden", jv_int(0));
    jv_set(r, "interesting", jv_int(0));
    jv_set(r, "first_failure", jv_null());
    jv_set(r, "hangs", jv_int(0));
    jv_set(r, "hang", jv_null());
    jv_set(r, "crashes", jv_int(0));
    jv *tsan = jv_object();
    jv_set(tsan, "enabled", jv_bool(it->tsan));
    jv_set(tsan, "reports", jv_int(ts ? (long long)ts->reports : 0));
    jv *kinds = jv_object();
    for (int i = 0; ts && i < ts->n_kinds; i++)
        jv_set(kinds, ts->kinds[i], jv_int((long long)ts->kind_counts[i]));
    jv_set(tsan, "kinds", kinds);
    jv_set(r, "tsan", tsan);
    jv_set(r, "verdict", jv_str("error"));
    jv_set(r, "met", jv_bool(0));
    jv_set(r, "stats", jv_null());
    jv *inject = jv_array();
    for (int i = 0; i < o->n_injects; i++)
        if (spec_applies(it->sc, o->injects[i]))
            jv_push(inject, jv_str(o->injects[i]));
    jv_set(r, "inject", inject);
    jv_set(r, "default_profile", jv_null());
    jv_set(r, "profile", jv_str(o->profile));
    jv *posix = jv_array();
    for (int i = 0; i < o->n_posix_faults; i++)
        jv_push(posix, jv_str(o->posix_faults[i]));
    jv_set(r, "posix_faults", posix);
    jv_set(r, "points", jv_object());
    jv_set(r, "params", jv_object());
    jv_set(r, "timeout", jv_num(o->timeout));
    jv_set(r, "batch_max", jv_null());
    jv_set(r, "until_fail", jv_bool(o->until_fail));
    jv_set(r, "interrupted", jv_bool(c->interrupted));
    jv_set(r, "version", jv_null());
    return r;
}

static void add_count(jv *obj, const char *key, long long n)
{
    double x = number_of(obj, key, 0);
    jv_set(obj, key, jv_int((long long)x + n));
}

/* One more forbidden outcome the driver saw (a crash or a deadlock). */
static void add_failure(jv *rec, const char *outcome, const char *cause, double duration)
{
    jv *outcomes = jv_get(rec, "outcomes");
    if (outcomes == NULL || outcomes->type != JV_OBJECT) {
        jv_set(rec, "outcomes", jv_object());
        outcomes = jv_get(rec, "outcomes");
    }
    add_count(outcomes, outcome, 1);
    add_count(rec, "forbidden", 1);
    jv *ff = jv_get(rec, "first_failure");
    if (ff == NULL || ff->type != JV_OBJECT) {
        jv *f = jv_object();
        jv_set(f, "trial", jv_null());
        jv_set(f, "seconds", jv_num(duration));
        jv_set(f, "cause", jv_str(cause));
        jv_set(rec, "first_failure", f);
    }
}

/* The verdict again, the way the runtime judges it, after the driver added
 * a forbidden outcome or TSan reports. */
static void judge(jv *rec, int tsan_flavour)
{
    const char *expect = jv_string(jv_get(rec, "expectation"));
    const char *by = jv_string(jv_get(rec, "caught_by"));
    int oracle = number_of(rec, "forbidden", 0) > 0;
    int tsan = number_of(jv_get(rec, "tsan"), "reports", 0) > 0;
    const char *verdict;
    int judged = 1, met;
    if (expect != NULL && strcmp(expect, "reproduces") == 0) {
        int caught;
        if (by != NULL && strcmp(by, "oracle") == 0)
            caught = oracle;
        else if (by != NULL && strcmp(by, "tsan") == 0) {
            caught = tsan_flavour ? tsan : oracle;
            judged = tsan_flavour;
        } else
            caught = oracle || tsan;
        verdict = caught ? "reproduced" : "not-reproduced";
        met = caught;
    } else if (expect != NULL && (strcmp(expect, "holds") == 0 || strcmp(expect, "benign") == 0)) {
        int fails = oracle || tsan;
        verdict = fails ? "fails" : expect;
        met = !fails;
    } else {
        verdict = "error";
        met = 0;
    }
    jv_set(rec, "verdict", jv_str(verdict));
    jv_set(rec, "met", judged ? jv_bool(met) : jv_null());
}

static char *save_stderr(const session *s, const child_run *c)
{
    if (c->err.len == 0)
        return NULL;
    char *name = xasprintf("%s.txt", c->run_id);
    char *path = results_path(s, "stderr", name);
    free(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, c->err.data, c->err.len) != 0) {
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

static char *fmt_count(const jv *rec, const char *key)
{
    const jv *v = jv_get(rec, key);
    if (v != NULL && v->type == JV_NUMBER)
        return xstrdup(v->text);
    return xstrdup("-");
}

static char *fmt_rate(const jv *rec)
{
    double x;
    if (jv_number(jv_get(rec, "trials_per_s"), &x) != 0)
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

void results_finish(session *s, child_run *c, const run_options *o)
{
    const plan_item *it = &c->item;
    double duration = c->end > c->start ? c->end - c->start : 0;
    int sig = c->reaped && WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0;
    int exit_status = c->reaped && WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
    int ours = c->interrupted && (sig == SIGTERM || sig == SIGKILL);
    const char *why = NULL;
    jv *rec = c->spawn_errno ? NULL : find_record(&c->out, &why);
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

    if (rec == NULL && c->interrupted && !c->timed_out && (ours || exit_status >= 0)) {
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
    if (c->timed_out) {
        if (rec == NULL)
            rec = synthesize(c, o, parsed ? &ts : NULL, duration);
        add_failure(rec, "deadlock", "deadlock", duration);
        add_count(rec, "hangs", 1);
        jv *hang = jv_object();
        jv_set(hang, "by", jv_str("driver watchdog"));
        jv_set(hang, "deadline", jv_num(run_deadline(o)));
        jv_set(hang, "stacks_file", jv_str(c->stacks_file));
        jv_set(rec, "hang", hang);
        judge(rec, it->tsan);
        note_add(&note, "deadlock (driver watchdog)");
        if (c->stacks_file == NULL)
            note_add(&note, "no stacks");
    } else if (sig != 0 && !ours) {
        if (rec == NULL)
            rec = synthesize(c, o, parsed ? &ts : NULL, duration);
        char *cause = xasprintf("crash (%s)", signal_name(sig));
        add_failure(rec, "crash", cause, duration);
        free(cause);
        add_count(rec, "crashes", 1);
        jv *crash = jv_object();
        jv_set(crash, "signal", jv_str(signal_name(sig)));
        jv_set(crash, "core_dumped", jv_bool(WCOREDUMP(c->status)));
        jv_set(rec, "crash", crash);
        judge(rec, it->tsan);
        char *text = xasprintf("crash %s", signal_name(sig));
        note_add(&note, text);
        free(text);
    } else if (rec == NULL) {
        rec = synthesize(c, o, parsed ? &ts : NULL, duration);
        char *line = last_line(&c->err);
        if (c->spawn_errno)
            error = xasprintf("cannot start %s: %s", c->argv && c->argv[0] ? c->argv[0] : "?",
                              c->spawn_errno == ENOENT ? "not built" : strerror(c->spawn_errno));
        else if (sig != 0)
            error = xasprintf("stopped by %s before printing a record", signal_name(sig));
        else if (line != NULL && (exit_status == 2 || exit_status == 3))
            error = xasprintf("%s (exit status %d): %s", why, exit_status, line);
        else
            error = xasprintf("%s (exit status %d)", why, exit_status);
        free(line);
        severity = exit_status == 2 ? EXIT_USAGE : EXIT_HARNESS;
        note_add(&note, c->spawn_errno ? "not started" : "error: no valid record");
    }
    if (error != NULL)
        jv_set(rec, "error", jv_str(error));

    /* The program's own judgement stands unless the driver changed it. */
    const jv *met = jv_get(rec, "met");
    int met_value = met && met->type == JV_BOOL ? met->boolean : -1;
    if (met_value == 0 && severity == 0)
        severity = EXIT_NOT_MET;
    if (number_of(rec, "hangs", 0) > 0 && !c->timed_out)
        note_add(&note, "hang");
    if (c->interrupted || (jv_get(rec, "interrupted") && jv_get(rec, "interrupted")->boolean))
        note_add(&note, "interrupted");
    if (met_value < 0)
        note_add(&note, "not judged in this flavour");
    double own = 0;
    if (parsed && error == NULL && !synthesized &&
        jv_number(jv_get(jv_get(rec, "tsan"), "reports"), &own) == 0 &&
        (unsigned long)own != ts.reports) {
        char *text = xasprintf("TSan logs hold %lu report%s, the record %.0f", ts.reports,
                               ts.reports == 1 ? "" : "s", own);
        note_add(&note, text);
        free(text);
    }
    if (parsed && ts.n_sites > 0) {
        char *text = xasprintf("%d TSan site%s", ts.n_sites, ts.n_sites == 1 ? "" : "s");
        note_add(&note, text);
        free(text);
    }

    /* The driver's fields. */
    jv_set(rec, "run_id", jv_str(c->run_id));
    jv *cmd = jv_array();
    for (int i = 0; i < c->argc; i++)
        jv_push(cmd, jv_str(c->argv[i]));
    jv_set(rec, "command", cmd);
    jv_set(rec, "pid", c->pid > 0 ? jv_int(c->pid) : jv_null());
    jv_set(rec, "exit_status", exit_status >= 0 ? jv_int(exit_status) : jv_null());
    jv_set(rec, "signal", sig ? jv_str(signal_name(sig)) : jv_null());
    char *log = parsed ? primary_log(&ts, c->pid) : NULL;
    jv_set(rec, "tsan_log", jv_str(log));
    free(log);
    jv_set(rec, "tsan_parsed", parsed ? tsan_to_json(&ts) : jv_null());
    jv_set(rec, "stacks_file", jv_str(c->stacks_file));
    if (c->stacks_note != NULL)
        jv_set(rec, "stacks_note", jv_str(c->stacks_note));
    char *err_file = save_stderr(s, c);
    jv_set(rec, "stderr_file", jv_str(err_file));
    free(err_file);
    if (error != NULL || sig != 0 || c->timed_out) {
        char *t = tail(&c->err, TAIL_BYTES);
        jv_set(rec, "stderr_tail", jv_str(t));
        free(t);
        if (error != NULL) {
            t = tail(&c->out, TAIL_BYTES);
            jv_set(rec, "stdout_tail", jv_str(t));
            free(t);
        }
    }
    jv_set(rec, "duration", jv_num(duration));
    char *started = utc_stamp();
    jv_set(rec, "finished_at", jv_str(started));
    free(started);

    char *line = jv_dump(rec);
    size_t len = strlen(line);
    line = xrealloc(line, len + 2);
    line[len] = '\n';
    line[len + 1] = '\0';
    if (write_all(s->jsonl_fd, line, len + 1) != 0) {
        warn_msg("cannot append to %s/runs.jsonl: %s", s->dir, strerror(errno));
        severity = EXIT_HARNESS;
    }
    free(line);

    summary_row row = {0};
    row.scenario = xstrdup(it->sc->name);
    row.variant = xstrdup(it->var->name);
    row.expectation = xstrdup(it->var->expectation);
    const char *mode = jv_string(jv_get(rec, "mode"));
    row.mode = xstrdup(mode ? mode : "-");
    row.flavour = xstrdup(it->tsan ? "tsan" : "plain");
    row.trials = fmt_count(rec, "trials");
    row.rate = fmt_rate(rec);
    row.forbidden = fmt_count(rec, "forbidden");
    row.tsan = it->tsan ? fmt_count(jv_get(rec, "tsan"), "reports") : xstrdup("-");
    const char *verdict = jv_string(jv_get(rec, "verdict"));
    row.verdict = xstrdup(verdict ? verdict : "?");
    buf_append(&note, "", 1, SIZE_MAX);
    row.note = note.data;
    row.met = met_value;
    row.index = c->index;
    row.severity = severity;
    s->rows = xrealloc(s->rows, (size_t)(s->n_rows + 1) * sizeof *s->rows);
    s->rows[s->n_rows++] = row;
    summary_row_print(s, &row);
    /* --until-fail: the failure is kept; say how to run it again */
    const jv *failure = jv_get(rec, "first_failure");
    if (o->until_fail && failure != NULL && failure->type == JV_OBJECT)
        printf("  first failure kept: racelab rerun %s/runs.jsonl --line %d\n", s->dir, s->n_rows);

    free(error);
    jv_free(rec);
    tsan_free(&ts);
}

static int by_index(const void *a, const void *b)
{
    return ((const summary_row *)a)->index - ((const summary_row *)b)->index;
}

int results_close(session *s, int interrupted)
{
    int status = EXIT_MET;
    for (int i = 0; i < s->n_rows; i++)
        if (s->rows[i].severity > status)
            status = s->rows[i].severity;
    if (interrupted)
        status = EXIT_INTERRUPTED;
    qsort(s->rows, (size_t)s->n_rows, sizeof *s->rows, by_index);
    close(s->jsonl_fd);
    s->jsonl_fd = -1;
    char *path = xasprintf("%s/summary.txt", s->dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        error_msg("cannot write %s: %s", path, strerror(errno));
        status = interrupted ? status : EXIT_HARNESS;
    } else {
        summary_write_file(s, f, interrupted, status);
        if (fclose(f) != 0) {
            error_msg("cannot write %s: %s", path, strerror(errno));
            status = interrupted ? status : EXIT_HARNESS;
        }
    }
    free(path);
    summary_totals(s, interrupted, status);
    return status;
}
