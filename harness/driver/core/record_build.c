/* record_build.c — the record of one finished run as the driver completes
 * it: the program's own record found on stdout, or a stand-in that says why
 * there is none; failures the driver saw (a hang, a crash); the grader's
 * verdict again; the table's texts. */
#include "core/atomic_file.h"
#include "core/json_io.h"
#include "core/results_internal.h"
#include "core/tsanlog.h"

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

#define TAIL_BYTES 2000

/* ---- the record ----------------------------------------------------------- */

/* The last line of stdout that is a JSON object naming a scenario and a
 * verdict: the program's record. */
json_object *rec_find(const buffer *out, const char **why)
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

char *rec_tail(const buffer *b, size_t n)
{
    if (b->data == NULL || b->len == 0)
        return NULL;
    size_t start = b->len > n ? b->len - n : 0;
    return xstrdup(b->data + start);
}

unsigned long long rec_count(const json_object *obj, const char *key)
{
    json_object *v = jget(obj, key);
    double x;
    if (json_object_is_type(v, json_type_int))
        return (unsigned long long)json_object_get_uint64(v); /* negative: 0 */
    return jnumber(v, &x) == 0 && x > 0 ? (unsigned long long)x : 0;
}

/* ISO 8601 UTC with milliseconds: reports order folders by their earliest
 * finished_at, and two nights' runs a fraction of a second apart must not tie. */
char *rec_utc_stamp(void)
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
json_object *rec_synthesize(const child_run *c, const run_options *o, const tsan_summary *ts,
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
    unsigned long long seed = o->seed;
    int has_seed = o->has_seed;
    rl_record r = {
        .scenario = it->sc->name,
        .variant = it->var->name,
        .expectation = it->var->expectation,
        .caught_by = it->var->caught_by,
        .mode = rl_mode_name(o->has_mode ? o->mode : RL_MODE_STRESS),
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

void rec_add_count(json_object *obj, const char *key, unsigned long long n)
{
    json_object_object_add(obj, key, jcount(rec_count(obj, key) + n));
}

/* One more forbidden outcome the driver saw (a crash or a deadlock). */
void rec_add_failure(json_object *rec, const char *outcome, const char *cause, double duration)
{
    json_object *outcomes = jget(rec, "outcomes");
    if (!jis_object(outcomes)) {
        outcomes = json_object_new_object();
        json_object_object_add(rec, "outcomes", outcomes);
    }
    rec_add_count(outcomes, outcome, 1);
    rec_add_count(rec, "forbidden", 1);
    if (!jis_object(jget(rec, "first_failure"))) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "trial", NULL);
        json_object_object_add(f, "seconds", jreal(duration));
        json_object_object_add(f, "cause", jtext(cause));
        json_object_object_add(rec, "first_failure", f);
    }
}

/* The variant shows its failure only after an injected fault. */
static int rec_needs_fault(const json_object *rec, const plan_item *it)
{
    return jstring(jget(rec, "variant_spec")) != NULL || it->var->inject != NULL;
}

static int rec_points_act(const json_object *rec)
{
    const char *mode = jstring(jget(rec, "mode"));
    return mode != NULL && strcmp(mode, "stress") != 0;
}

/* The verdict again, after the driver added a crash or a hang or found a
 * fix's positive control: the record's counts handed to the one grader
 * (grader.c), its verdict, met, stats and control written back as the
 * record writer writes them. */
void rec_judge(json_object *rec, const plan_item *it, const rl_control_record *control)
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
            .needs_fault = rec_needs_fault(rec, it),
            .points_act = rec_points_act(rec),
            .tsan_flavour = it->tsan,
            .trials = rec_count(rec, "trials"),
            .forbidden = rec_count(rec, "forbidden"),
            .interesting = rec_count(rec, "interesting"),
            .tsan_reports = rec_count(jget(rec, "tsan"), "reports"),
            .interrupted = jtrue(jget(rec, "interrupted")),
            .control = control == NULL                               ? RL_CONTROL_NONE
                       : control->variant == NULL                    ? RL_CONTROL_UNJUDGEABLE
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
const char *rec_not_judged_why(const json_object *rec, const plan_item *it)
{
    const char *by = jstring(jget(rec, "caught_by"));
    if (by != NULL && strcmp(by, "tsan") == 0 && !it->tsan)
        return "not judged in this flavour";
    if (rec_needs_fault(rec, it) && !rec_points_act(rec))
        return "not judged in stress mode (needs a fault)";
    return "not judged";
}

/* "a, b" of a record's points_unhit, or NULL when there are none. */
char *rec_points_unhit(const json_object *rec)
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

char *rec_save_stderr(const session *s, const child_run *c)
{
    if (c->ch.err.len == 0)
        return NULL;
    char *name = xasprintf("%s.txt", c->run_id);
    char *path = results_path(s, "stderr", name);
    free(name);
    if (atomic_write_text(path, c->ch.err.data, c->ch.err.len, ATOMIC_REPLACE) != 0) {
        free(path);
        return NULL;
    }
    return path;
}

char *rec_last_line(const buffer *b)
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

char *rec_fmt_count(const json_object *rec, const char *key)
{
    const char *text = jnumber_text(jget(rec, key));
    return xstrdup(text != NULL ? text : "-");
}

char *rec_fmt_rate(const json_object *rec)
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

void note_add(buffer *note, const char *text)
{
    if (note->len)
        buf_append(note, ", ", 2, SIZE_MAX);
    buf_append(note, text, strlen(text), SIZE_MAX);
}

char *rec_primary_log(const tsan_summary *ts, pid_t pid)
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

/* The exit status a record asks for: its verdict's class, or worse when
 * the run itself went wrong (severity). */
int rec_severity(const json_object *rec, int severity)
{
    const json_object *met = jget(rec, "met");
    if (!json_object_is_type(met, json_type_boolean) || json_object_get_boolean(met))
        return severity;
    const char *verdict = jstring(jget(rec, "verdict"));
    /* An error is the harness's (3), unless the program refused its input
     * (exit 2): that is bad input, 2, as the exit statuses say (docs) and as
     * `report` classes the same record (report_load.c). */
    int error_class = severity == RL_EXIT_USAGE ? RL_EXIT_USAGE : RL_EXIT_HARNESS;
    int class = verdict == NULL || strcmp(verdict, "error") == 0 ? error_class
                : strcmp(verdict, "fails") == 0                  ? RL_EXIT_FIX_FAILED
                                                                 : RL_EXIT_WEAK;
    return rl_worse_exit(class, severity);
}
