/* report_load.c — a results folder's runs.jsonl, read with json-c into
 * runs: each record kept whole, the fields the reports use picked out, its
 * line number (for `racelab rerun --line N`) and its class. */
#include "core/hash_index.h"
#include "core/json_io.h"
#include "report/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_object *field(json_object *o, const char *name)
{
    json_object *v = NULL;
    if (o != NULL && json_object_is_type(o, json_type_object) &&
        json_object_object_get_ex(o, name, &v))
        return v;
    return NULL;
}

static const char *str_field(json_object *o, const char *name)
{
    json_object *v = field(o, name);
    return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static double num_field(json_object *o, const char *name, double dflt)
{
    json_object *v = field(o, name);
    if (v != NULL &&
        (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return json_object_get_double(v);
    return dflt;
}

static unsigned long long count_field(json_object *o, const char *name)
{
    double v = num_field(o, name, 0);
    return v > 0 ? (unsigned long long)v : 0;
}

/* A whole count: a JSON integer, not negative. */
static int is_count(json_object *v)
{
    return v != NULL && json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0;
}

static int known_verdict(const char *name)
{
    for (int k = RL_VERDICT_REPRODUCED; k <= RL_VERDICT_INCONCLUSIVE; k++)
        if (strcmp(rl_verdict_name((rl_verdict_kind)k), name) == 0)
            return 1;
    return 0;
}

/* Why REC is not a whole, typed record (docs/trust.md, rule 1), or NULL: the fields every
 * writer writes (harness/common/record.h) with their types, a verdict the grader gives, met
 * only with a verdict that meets, and a run that ran (a trial, or a failure counted). */
static char *not_whole(json_object *rec)
{
    static const char *const strings[] = {"scenario", "variant", "expectation",
                                          "mode",     "flavour", "verdict"};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        json_object *v = field(rec, strings[i]);
        if (v == NULL)
            return xasprintf("field '%s' is missing", strings[i]);
        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
            return xasprintf("field '%s' is not a name", strings[i]);
    }
    const char *verdict = str_field(rec, "verdict");
    if (!known_verdict(verdict))
        return xasprintf("verdict '%s' is none the grader gives", verdict);
    json_object *met = field(rec, "met");
    if (!json_object_object_get_ex(rec, "met", NULL))
        return xstrdup("field 'met' is missing");
    if (met != NULL && !json_object_is_type(met, json_type_boolean))
        return xstrdup("field 'met' is neither true, false nor null");
    static const char *const counts[] = {"trials", "forbidden"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if (field(rec, counts[i]) == NULL)
            return xasprintf("field '%s' is missing", counts[i]);
        if (!is_count(field(rec, counts[i])))
            return xasprintf("field '%s' is not a whole count", counts[i]);
    }
    if (field(rec, "interesting") != NULL && !is_count(field(rec, "interesting")))
        return xstrdup("field 'interesting' is not a whole count");
    int meets = strcmp(verdict, "reproduced") == 0 || strcmp(verdict, "holds") == 0 ||
                strcmp(verdict, "benign") == 0;
    if (met != NULL && json_object_get_boolean(met) && !meets)
        return xasprintf("met is true with verdict '%s'", verdict);
    if (strcmp(verdict, "error") != 0 && json_object_get_int64(field(rec, "trials")) == 0 &&
        json_object_get_int64(field(rec, "forbidden")) == 0 &&
        count_field(field(rec, "tsan"), "reports") == 0)
        return xasprintf("verdict '%s' from no trial and no failure: nothing ran", verdict);
    return NULL;
}

static report_class classify(const report_run *r, json_object *rec)
{
    if (r->invalid != NULL)
        return RC_ERROR;
    int exit_status = (int)num_field(rec, "exit_status", -1);
    if (r->error != NULL || (r->verdict != NULL && strcmp(r->verdict, "error") == 0))
        return exit_status == RL_EXIT_USAGE ? RC_BAD_INPUT : RC_ERROR;
    if (r->verdict != NULL && strcmp(r->verdict, "inconclusive") == 0)
        return RC_WEAK;
    if (r->met < 0)
        return RC_SKIPPED;
    if (r->met > 0)
        return RC_MET;
    if (r->verdict != NULL && strcmp(r->verdict, "not-reproduced") == 0)
        return RC_WEAK;
    if (r->verdict != NULL && strcmp(r->verdict, "fails") == 0)
        return RC_FIX_FAILED;
    return r->expectation != NULL && strcmp(r->expectation, "reproduces") == 0 ? RC_WEAK
                                                                               : RC_FIX_FAILED;
}

static void fill(report_run *r, json_object *rec, int line)
{
    memset(r, 0, sizeof *r);
    r->rec = rec;
    r->line = line;
    r->scenario = str_field(rec, "scenario");
    r->variant = str_field(rec, "variant");
    r->expectation = str_field(rec, "expectation");
    r->caught_by = str_field(rec, "caught_by");
    r->mode = str_field(rec, "mode");
    r->flavour = str_field(rec, "flavour");
    r->verdict = str_field(rec, "verdict");
    r->run_id = str_field(rec, "run_id");
    r->finished_at = str_field(rec, "finished_at");
    r->error = str_field(rec, "error");
    r->stacks_file = str_field(rec, "stacks_file");
    if (r->stacks_file == NULL)
        r->stacks_file = str_field(field(rec, "hang"), "stacks_file");
    if (r->scenario == NULL)
        r->scenario = "?";
    if (r->variant == NULL)
        r->variant = "?";
    if (r->mode == NULL)
        r->mode = "stress";
    if (r->flavour == NULL)
        r->flavour = "plain";
    json_object *met = field(rec, "met");
    r->met = met != NULL && json_object_is_type(met, json_type_boolean)
                 ? json_object_get_boolean(met) != 0
                 : -1;
    r->trials = count_field(rec, "trials");
    r->forbidden = count_field(rec, "forbidden");
    r->interesting = count_field(rec, "interesting");
    r->hangs = count_field(rec, "hangs");
    r->crashes = count_field(rec, "crashes");
    r->tsan_reports = count_field(field(rec, "tsan"), "reports");
    json_object *parsed = field(rec, "tsan_parsed");
    if (parsed != NULL && count_field(parsed, "reports") > r->tsan_reports)
        r->tsan_reports = count_field(parsed, "reports");
    r->seconds = num_field(rec, "seconds", 0);
    r->trials_per_s = num_field(rec, "trials_per_s", 0);
    json_object *stats = field(rec, "stats");
    r->failures = field(stats, "failures") ? count_field(stats, "failures") : r->forbidden;
    r->rate = num_field(stats, "rate", r->trials ? (double)r->failures / (double)r->trials : 0);
    json_object *w = field(stats, "wilson95");
    if (w != NULL && json_object_is_type(w, json_type_array) && json_object_array_length(w) == 2) {
        r->wilson_low = json_object_get_double(json_object_array_get_idx(w, 0));
        r->wilson_high = json_object_get_double(json_object_array_get_idx(w, 1));
    } else {
        r->wilson_low = 0;
        r->wilson_high = 1;
    }
    r->upper95 = num_field(stats, "upper95", 1);
    json_object *ff = field(rec, "first_failure");
    r->has_failure = ff != NULL && json_object_is_type(ff, json_type_object);
    r->ff_seconds = num_field(ff, "seconds", -1);
    r->ff_trial = (long long)num_field(ff, "trial", -1);
    r->ff_cause = str_field(ff, "cause");
    json_object *intr = field(rec, "interrupted");
    r->interrupted = intr != NULL && json_object_get_boolean(intr);
    r->invalid = not_whole(rec);
    if (r->invalid != NULL) {
        r->error = r->invalid;
        r->met = 0;
    }
    r->cls = classify(r, rec);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    char *d = xstrdup(path);
    d[slash - path] = '\0';
    return d;
}

static char *base_of(const char *path)
{
    char *copy = xstrdup(path);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    const char *slash = strrchr(copy, '/');
    char *b = xstrdup(slash ? slash + 1 : copy);
    free(copy);
    return b;
}

/* The runs the folder claims: its shard.json's (racelab run --shard), or, without one, at
 * least one. Each record at most once (run ids, and plan keys against shard.json); a
 * finished shard holds every run of its plan. RL_EXIT_HARNESS after one line when not. */
static int same_id(const void *ctx, int entry, const void *key)
{
    return strcmp(((const report_set *)ctx)->runs[entry].run_id, key) == 0;
}

static uint64_t id_hash(const void *ctx, int entry)
{
    return hash_text(14695981039346656037ULL, ((const report_set *)ctx)->runs[entry].run_id);
}

/* No run id twice (found by hash: a folder may hold many records). */
static int check_ids(const report_set *set)
{
    hash_index ids = {0};
    int rc = 0;
    for (int i = 0; i < set->n && rc == 0; i++) {
        const char *id = set->runs[i].run_id;
        if (id == NULL)
            continue;
        uint64_t h = hash_text(14695981039346656037ULL, id);
        int k = hash_index_find(&ids, h, id, same_id, set);
        if (k >= 0) {
            error_msg("%s:%d: run %s again (first at line %d): a record written twice", set->jsonl,
                      set->runs[i].line, id, set->runs[k].line);
            rc = RL_EXIT_HARNESS;
        } else {
            hash_index_add(&ids, h, i, id_hash, set);
        }
    }
    hash_index_free(&ids);
    return rc;
}

static int check_plan(report_set *set)
{
    if (check_ids(set) != 0)
        return RL_EXIT_HARNESS;
    char *path = xasprintf("%s/shard.json", set->dir);
    int truncated = 0;
    char *text = access(path, F_OK) == 0 ? rp_read_file(path, 1u << 26, &truncated) : NULL;
    json_object *plan = NULL;
    const char *err = NULL;
    int rc = 0;
    if (access(path, F_OK) == 0 &&
        (text == NULL || truncated || jparse(text, strlen(text), &plan, &err) != 0 ||
         !jis_object(plan) || !json_object_is_type(jget(plan, "runs"), json_type_array))) {
        error_msg("%s is not the plan it should be (unreadable or not racelab's shard.json)", path);
        rc = RL_EXIT_HARNESS;
    }
    free(text);
    const json_object *runs = jget(plan, "runs");
    size_t n_planned = jlen(runs);
    int *seen = xcalloc(n_planned + 1, sizeof *seen);
    for (int i = 0; rc == 0 && plan != NULL && i < set->n; i++) {
        const report_run *r = &set->runs[i];
        char *key = xasprintf("%s:%s:%s", r->scenario, r->variant, r->flavour);
        size_t at = 0;
        while (at < n_planned && (jstring(jget(jat(runs, at), "key")) == NULL ||
                                  strcmp(jstring(jget(jat(runs, at), "key")), key) != 0))
            at++;
        if (at == n_planned) {
            error_msg("%s:%d: %s is not a run of the plan in %s", set->jsonl, r->line, key, path);
            rc = RL_EXIT_HARNESS;
        } else if (seen[at]) {
            error_msg("%s:%d: %s again (first at line %d): a record written twice", set->jsonl,
                      r->line, key, seen[at]);
            rc = RL_EXIT_HARNESS;
        }
        if (at < n_planned)
            seen[at] = r->line;
        free(key);
    }
    if (rc == 0 && plan != NULL && jtrue(jget(plan, "complete")))
        for (size_t at = 0; at < n_planned && rc == 0; at++)
            if (!seen[at]) {
                error_msg("%s lacks the record of %s, a run of its finished plan (%s)", set->jsonl,
                          jstring(jget(jat(runs, at), "key")), path);
                rc = RL_EXIT_HARNESS;
            }
    if (rc == 0 && set->n == 0 && (plan == NULL || n_planned > 0)) {
        error_msg("%s holds no record: nothing ran", set->jsonl);
        rc = RL_EXIT_HARNESS;
    }
    free(seen);
    json_object_put(plan);
    free(path);
    return rc;
}

/* A results folder read and checked as one sequence (the path, each line,
 * each record, the plan it claims: docs/trust.md rule 1); every step can
 * refuse the folder, so they stay in order in one function (over 80 lines). */
int report_load(const char *path, report_set *set)
{
    memset(set, 0, sizeof *set);
    struct stat st;
    if (stat(path, &st) != 0) {
        error_msg("%s: %s", path, strerror(errno));
        return RL_EXIT_USAGE;
    }
    set->path = xstrdup(path);
    if (S_ISDIR(st.st_mode)) {
        size_t n = strlen(path);
        set->jsonl = xasprintf("%s%sruns.jsonl", path, n && path[n - 1] == '/' ? "" : "/");
        set->dir = xstrdup(path);
    } else {
        set->jsonl = xstrdup(path);
        set->dir = dir_of(path);
    }
    FILE *f = fopen(set->jsonl, "r");
    if (f == NULL) {
        error_msg("%s: %s", set->jsonl, strerror(errno));
        report_set_free(set);
        return RL_EXIT_USAGE;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int number = 0, cap_runs = 0, rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        number++;
        /* racelab writes each record as one whole line: a last line with no newline is a
         * write cut short (a kill, a full disk), never a record */
        if (len == 0 || line[len - 1] != '\n') {
            error_msg("%s:%d: the last line is cut short (no newline): a torn write, not a "
                      "record",
                      set->jsonl, number);
            rc = RL_EXIT_HARNESS;
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        json_object *rec = NULL;
        const char *jerr = NULL;
        /* jparse: the whole line one value, each byte that is not UTF-8 made U+FFFD (so no
         * report carries it: junit.xml stays well-formed XML) */
        if ((size_t)len != strlen(line) || jparse(line, (size_t)len, &rec, &jerr) != 0 ||
            rec == NULL || !json_object_is_type(rec, json_type_object) ||
            field(rec, "scenario") == NULL) {
            json_object_put(rec);
            error_msg("%s:%d: not a run record", set->jsonl, number);
            rc = RL_EXIT_HARNESS;
            break;
        }
        if (set->n == cap_runs) {
            cap_runs = cap_runs ? 2 * cap_runs : 32;
            report_run *runs = realloc(set->runs, (size_t)cap_runs * sizeof *runs);
            if (runs == NULL) {
                error_msg("out of memory");
                exit(RL_EXIT_HARNESS);
            }
            set->runs = runs;
        }
        fill(&set->runs[set->n++], rec, number);
    }
    free(line);
    if (rc == 0 && ferror(f)) {
        error_msg("cannot read %s: %s", set->jsonl, strerror(errno));
        rc = RL_EXIT_HARNESS;
    }
    fclose(f);
    if (rc == 0)
        rc = check_plan(set);
    int n_invalid = 0, first_invalid = -1;
    for (int i = 0; rc == 0 && i < set->n; i++)
        if (set->runs[i].invalid != NULL && n_invalid++ == 0)
            first_invalid = i;
    if (n_invalid > 0) { /* graded error (exit 3), not skipped: say which */
        char *more = n_invalid > 1 ? xasprintf(" (and %d more)", n_invalid - 1) : xstrdup("");
        error_msg("%s:%d: not a whole record: %s%s; graded error", set->jsonl,
                  set->runs[first_invalid].line, set->runs[first_invalid].invalid, more);
        free(more);
    }
    if (rc != 0) {
        report_set_free(set);
        return rc;
    }
    const char *first = NULL;
    for (int i = 0; i < set->n; i++)
        if (set->runs[i].finished_at != NULL &&
            (first == NULL || strcmp(set->runs[i].finished_at, first) < 0))
            first = set->runs[i].finished_at;
    set->date = first ? xstrdup(first) : base_of(set->dir);
    return 0;
}

void report_set_free(report_set *set)
{
    for (int i = 0; i < set->n; i++) {
        json_object_put(set->runs[i].rec);
        free(set->runs[i].invalid);
    }
    free(set->runs);
    free(set->path);
    free(set->jsonl);
    free(set->dir);
    free(set->date);
    memset(set, 0, sizeof *set);
}

/* Sorting by first appearance: each run gets the index of the first run
 * with its scenario and of the first with its scenario and variant. */
typedef struct {
    const report_run *r;
    int scenario_rank, variant_rank, index;
} sort_item;

static int by_rank(const void *pa, const void *pb)
{
    const sort_item *a = pa, *b = pb;
    if (a->scenario_rank != b->scenario_rank)
        return a->scenario_rank - b->scenario_rank;
    if (a->variant_rank != b->variant_rank)
        return a->variant_rank - b->variant_rank;
    int c = strcmp(a->r->flavour, b->r->flavour);
    if (c != 0)
        return c;
    c = strcmp(a->r->mode, b->r->mode);
    return c != 0 ? c : a->index - b->index;
}

const report_run **report_sorted(const report_set *set)
{
    sort_item *items = xcalloc(1, (size_t)set->n * sizeof *items);
    for (int i = 0; i < set->n; i++) {
        const report_run *r = &set->runs[i];
        items[i].r = r;
        items[i].index = i;
        items[i].scenario_rank = items[i].variant_rank = i;
        for (int k = 0; k < i; k++)
            if (strcmp(set->runs[k].scenario, r->scenario) == 0) {
                items[i].scenario_rank = k;
                break;
            }
        for (int k = 0; k < i; k++)
            if (strcmp(set->runs[k].scenario, r->scenario) == 0 &&
                strcmp(set->runs[k].variant, r->variant) == 0) {
                items[i].variant_rank = k;
                break;
            }
    }
    qsort(items, (size_t)set->n, sizeof *items, by_rank);
    const report_run **out = xcalloc(1, (size_t)set->n * sizeof(const report_run *));
    for (int i = 0; i < set->n; i++)
        out[i] = items[i].r;
    free(items);
    return out;
}

char *report_key(const report_run *r)
{
    return xasprintf("%s:%s %s %s", r->scenario, r->variant, r->flavour, r->mode);
}

int report_set_exit(const report_set *set)
{
    int status = 0;
    for (int i = 0; i < set->n; i++)
        status = rl_worse_exit(status, report_class_exit(set->runs[i].cls));
    return status;
}
