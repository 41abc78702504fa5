/* report_class.c — what a run's class asks of the exit status, and the
 * lines that carry its evidence: counts, first failure, the statistical
 * statement, the rerun command, TSan sites and hang stacks. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#define STACKS_MAX ((size_t)64 * 1024)

const char *report_class_name(report_class c)
{
    static const char *const names[] = {"met",        "skipped",   "weak-evidence",
                                        "regression", "bad-input", "error"};
    return names[c];
}

/* The style sheet class of a class (report_html.c's CSS). */
const char *rp_class_css(report_class c)
{
    static const char *const css[] = {"v-met",        "v-skipped",   "v-weak",
                                      "v-regression", "v-bad-input", "v-error"};
    return css[c];
}

int report_class_exit(report_class c)
{
    static const int status[] = {RL_EXIT_MET,        RL_EXIT_MET,   RL_EXIT_WEAK,
                                 RL_EXIT_FIX_FAILED, RL_EXIT_USAGE, RL_EXIT_HARNESS};
    return status[c];
}

char *report_rerun_command(const report_set *set, const report_run *r)
{
    return xasprintf("racelab rerun %s --line %d", set->jsonl, r->line);
}

static void add_outcomes(buffer *b, const report_run *r)
{
    json_object *outcomes = NULL;
    if (!json_object_object_get_ex(r->rec, "outcomes", &outcomes) ||
        !json_object_is_type(outcomes, json_type_object))
        return;
    const char *sep = "; outcomes: ";
    json_object_object_foreach(outcomes, name, count)
    {
        long long n = json_object_get_int64(count);
        if (n == 0)
            continue;
        buf_addf(b, "%s%s %lld", sep, name, n);
        sep = ", ";
    }
}

char *report_evidence(const report_run *r)
{
    buffer b = {0};
    buf_addf(&b, "%s:%s (%s) %s in %s %s: ", r->scenario, r->variant,
             r->expectation ? r->expectation : "?", r->verdict ? r->verdict : "?", r->flavour,
             r->mode);
    if (r->cls == RC_ERROR || r->cls == RC_BAD_INPUT) {
        buf_addf(&b, "%s", r->error ? r->error : "no usable record");
        return buf_take(&b);
    }
    buf_addf(&b, "%llu failure%s in %llu trial%s", r->failures, r->failures == 1 ? "" : "s",
             r->trials, r->trials == 1 ? "" : "s");
    if (r->hangs)
        buf_addf(&b, ", %llu hang%s", r->hangs, r->hangs == 1 ? "" : "s");
    if (r->crashes)
        buf_addf(&b, ", %llu crash%s", r->crashes, r->crashes == 1 ? "" : "es");
    if (r->tsan_reports)
        buf_addf(&b, ", %llu TSan report%s", r->tsan_reports, r->tsan_reports == 1 ? "" : "s");
    if (r->interesting)
        buf_addf(&b, ", %llu interesting", r->interesting);
    if (r->has_failure) {
        buf_addf(&b, "; first failure: %s", r->ff_cause ? r->ff_cause : "?");
        if (r->ff_trial >= 0)
            buf_addf(&b, " in trial %lld", r->ff_trial);
        if (r->ff_seconds >= 0)
            buf_addf(&b, " after %.3g s", r->ff_seconds);
    }
    char *lo = rp_prob(r->wilson_low), *hi = rp_prob(r->wilson_high), *up = rp_prob(r->upper95);
    if (r->failures > 0) {
        char *rate = rp_prob(r->rate);
        buf_addf(&b, "; rate %s, 95%% interval [%s, %s]", rate, lo, hi);
        free(rate);
    } else {
        buf_addf(&b, "; per-trial failure probability below %s (95%% upper bound)", up);
    }
    free(lo);
    free(hi);
    free(up);
    add_outcomes(&b, r);
    if (r->interrupted)
        buf_add(&b, "; interrupted");
    return buf_take(&b);
}

static void add_tsan(buffer *b, const report_run *r)
{
    json_object *parsed = NULL, *sites = NULL;
    if (!json_object_object_get_ex(r->rec, "tsan_parsed", &parsed) || parsed == NULL ||
        !json_object_object_get_ex(parsed, "sites", &sites) ||
        !json_object_is_type(sites, json_type_array) || json_object_array_length(sites) == 0)
        return;
    size_t n = json_object_array_length(sites);
    buf_addf(b, "ThreadSanitizer: %llu report%s at %zu site%s\n", r->tsan_reports,
             r->tsan_reports == 1 ? "" : "s", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        json_object *site = json_object_array_get_idx(sites, i), *v = NULL, *frames = NULL;
        const char *kind =
            json_object_object_get_ex(site, "kind", &v) ? json_object_get_string(v) : "?";
        long long count =
            json_object_object_get_ex(site, "count", &v) ? json_object_get_int64(v) : 0;
        buf_addf(b, "  site %zu: %s, %lld report%s\n", i + 1, kind, count, count == 1 ? "" : "s");
        if (json_object_object_get_ex(site, "frames", &frames) &&
            json_object_is_type(frames, json_type_array))
            for (size_t k = 0; k < json_object_array_length(frames); k++)
                buf_addf(b, "    %s\n",
                         json_object_get_string(json_object_array_get_idx(frames, k)));
        else if (frames != NULL)
            buf_addf(b, "    %s\n", json_object_get_string(frames));
    }
    json_object *log = NULL;
    if (json_object_object_get_ex(r->rec, "tsan_log", &log) && log != NULL)
        buf_addf(b, "  log: %s\n", json_object_get_string(log));
}

static void add_hang(buffer *b, const report_run *r)
{
    json_object *ff = NULL, *waits = NULL, *hang = NULL;
    if (json_object_object_get_ex(r->rec, "first_failure", &ff) && ff != NULL &&
        json_object_object_get_ex(ff, "waits", &waits) && waits != NULL)
        buf_addf(b, "waits: %s\n", json_object_get_string(waits));
    if (json_object_object_get_ex(r->rec, "hang", &hang) && hang != NULL)
        buf_addf(b, "hang: %s\n", json_object_to_json_string_ext(hang, JSON_C_TO_STRING_PLAIN));
    if (r->stacks_file == NULL) {
        json_object *note = NULL;
        if (json_object_object_get_ex(r->rec, "stacks_note", &note) && note != NULL)
            buf_addf(b, "no stacks: %s\n", json_object_get_string(note));
        return;
    }
    int truncated = 0;
    char *text = rp_read_file(r->stacks_file, STACKS_MAX, &truncated);
    buf_addf(b, "thread stacks (%s):\n", r->stacks_file);
    buf_add(b, text ? text : "(the file is gone)\n");
    if (truncated)
        buf_add(b, "\n[... cut at 64 KiB]\n");
    free(text);
}

char *report_details(const report_run *r)
{
    buffer b = {0};
    add_tsan(&b, r);
    add_hang(&b, r);
    json_object *tail = NULL;
    if ((r->cls == RC_ERROR || r->cls == RC_BAD_INPUT) &&
        json_object_object_get_ex(r->rec, "stderr_tail", &tail) && tail != NULL)
        buf_addf(&b, "stderr (last lines):\n%s\n", json_object_get_string(tail));
    if (b.len == 0)
        return NULL;
    return buf_take(&b);
}
