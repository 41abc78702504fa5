/* merge.c — `racelab merge DIR... --out DIR`: one results folder from the
 * shards of a night (racelab run --shard K/N). Each shard's shard.json says
 * which plan it is part of (hash, version, N) and which runs of it are its
 * own (their index in the whole plan). Shards of different plans or
 * versions, or a shard given twice: one line, exit 2. The records go to
 * OUT/runs.jsonl in plan order, their run ids renumbered as the unsharded
 * run numbers them, their TSan logs, stacks and stderr files copied under
 * the new ids (and the paths in the records rewritten); then the reports and
 * summary.txt. A shard missing or unfinished is named: exit 3. A shard whose
 * records are not whole, or not its plan's runs once each, is refused before
 * --out is made: exit 3 (docs/trust.md, rule 1). Every file is written
 * through core/atomic_file.c, and SIGINT/SIGTERM leave no torn one (rule 2).
 * Else the worst class of the merged records. */
#include "core/atomic_file.h"
#include "core/json_io.h"
#include "core/summary.h"
#include "report/report.h"
#include "shard/shard.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const SUBDIRS[] = {"tsan", "stacks", "stderr"};
#define N_SUBDIRS (sizeof SUBDIRS / sizeof SUBDIRS[0])

typedef struct {
    const char *dir;
    json_object *info; /* shard.json */
    int k;
} shard;

typedef struct {
    int index; /* in the whole plan, from 1 */
    json_object *rec;
    const shard *from;
    char *old_id, *new_id;
} merged_run;

static json_object *read_json_file(const char *path)
{
    int truncated = 0;
    char *text = rp_read_file(path, 1u << 26, &truncated);
    if (text == NULL)
        return NULL;
    json_object *j = NULL;
    const char *err;
    if (jparse(text, strlen(text), &j, &err) != 0 || !jis_object(j)) {
        json_object_put(j);
        j = NULL;
    }
    free(text);
    return j;
}

static int load_shard(const char *dir, shard *s)
{
    char *path = xasprintf("%s/shard.json", dir);
    s->dir = dir;
    s->info = read_json_file(path);
    free(path);
    double k;
    if (s->info == NULL || jnumber(jget(s->info, "shard"), &k) != 0 ||
        jstring(jget(s->info, "plan_hash")) == NULL) {
        error_msg("%s is not a shard folder (no readable shard.json: racelab run --shard K/N "
                  "--out DIR writes one)",
                  dir);
        return RL_EXIT_USAGE;
    }
    s->k = (int)k;
    return 0;
}

static const char *field(const shard *s, const char *key)
{
    const char *v = jnumber_text(jget(s->info, key));
    return v != NULL ? v : jstring(jget(s->info, key));
}

/* Same plan, version and N as the first; no shard twice. */
static int check_shards(const shard *sh, int n)
{
    static const char *const keys[] = {"plan_hash", "version", "shards"};
    for (int i = 1; i < n; i++) {
        for (size_t f = 0; f < sizeof keys / sizeof keys[0]; f++) {
            const char *a = field(&sh[0], keys[f]), *b = field(&sh[i], keys[f]);
            if (a == NULL || b == NULL || strcmp(a, b) != 0) {
                error_msg("%s is of another night than %s (%s %s, not %s): refusing to merge",
                          sh[i].dir, sh[0].dir, keys[f], b ? b : "missing", a ? a : "missing");
                return RL_EXIT_USAGE;
            }
        }
        for (int j = 0; j < i; j++)
            if (sh[j].k == sh[i].k) {
                error_msg("shard %d/%s given twice: %s and %s", sh[i].k, field(&sh[i], "shards"),
                          sh[j].dir, sh[i].dir);
                return RL_EXIT_USAGE;
            }
    }
    return 0;
}

/* Names the shards not given or not finished; RL_EXIT_HARNESS when any. */
static int check_complete(const shard *sh, int n, int total)
{
    shard_seen *seen = xcalloc((size_t)n + 1, sizeof *seen);
    for (int i = 0; i < n; i++)
        seen[i] = (shard_seen){sh[i].k, sh[i].dir, jtrue(jget(sh[i].info, "complete"))};
    int rc = shard_check_complete(seen, n, total, "night");
    free(seen);
    return rc;
}

/* The plan index of a record of shard S (by its scenario:variant:flavour). */
static int plan_index(const shard *s, const json_object *rec)
{
    char *key = xasprintf("%s:%s:%s", jstring(jget(rec, "scenario")), jstring(jget(rec, "variant")),
                          jstring(jget(rec, "flavour")));
    const json_object *runs = jget(s->info, "runs");
    int index = -1;
    for (size_t i = 0; i < jlen(runs) && index < 0; i++) {
        double x;
        const char *k = jstring(jget(jat(runs, i), "key"));
        if (k != NULL && strcmp(k, key) == 0 && jnumber(jget(jat(runs, i), "index"), &x) == 0)
            index = (int)x;
    }
    free(key);
    return index;
}

/* "007-list_append-racy-plain" numbered INDEX instead. */
static char *renumber(const char *old_id, int index)
{
    const char *dash = strchr(old_id, '-');
    return xasprintf("%03d-%s", index, dash != NULL ? dash + 1 : old_id);
}

/* The records of shard S, each whole and typed and a run of its plan once (report_load
 * checks them against S's shard.json: docs/trust.md, rule 1). RL_EXIT_HARNESS when not. */
static int load_runs(const shard *s, merged_run **runs, int *n)
{
    report_set set;
    int rc = report_load(s->dir, &set);
    if (rc != 0)
        return rc;
    for (int i = 0; i < set.n && rc == 0; i++) {
        json_object *rec = set.runs[i].rec;
        int index = plan_index(s, rec);
        const char *id = jstring(jget(rec, "run_id"));
        if (set.runs[i].invalid != NULL) { /* report_load said which */
            rc = RL_EXIT_HARNESS;
            break;
        }
        if (index < 0 || id == NULL) {
            error_msg("%s/runs.jsonl line %d is not a run of its shard.json", s->dir,
                      set.runs[i].line);
            rc = RL_EXIT_HARNESS;
            break;
        }
        *runs = xrealloc(*runs, (size_t)(*n + 1) * sizeof **runs);
        (*runs)[(*n)++] =
            (merged_run){index, json_object_get(rec), s, xstrdup(id), renumber(id, index)};
    }
    report_set_free(&set);
    return rc;
}

static int by_index(const void *a, const void *b)
{
    return ((const merged_run *)a)->index - ((const merged_run *)b)->index;
}

/* Every DIR/SUB/OLD_ID.* of a run, as OUT/SUB/NEW_ID.*. */
static int copy_files(const merged_run *r, const char *out)
{
    int rc = 0;
    size_t len = strlen(r->old_id);
    for (size_t i = 0; i < N_SUBDIRS && rc == 0; i++) {
        char *from_dir = xasprintf("%s/%s", r->from->dir, SUBDIRS[i]);
        DIR *d = opendir(from_dir);
        while (d != NULL && rc == 0) {
            const struct dirent *e = readdir(d);
            if (e == NULL)
                break;
            if (strncmp(e->d_name, r->old_id, len) != 0 || e->d_name[len] != '.')
                continue;
            char *to_dir = xasprintf("%s/%s", out, SUBDIRS[i]);
            if (mkdir(to_dir, 0755) != 0 && errno != EEXIST) {
                error_msg("cannot create %s: %s", to_dir, strerror(errno));
                rc = RL_EXIT_HARNESS;
            }
            char *from = xasprintf("%s/%s", from_dir, e->d_name);
            char *to = xasprintf("%s/%s%s", to_dir, r->new_id, e->d_name + len);
            if (atomic_copy(from, to) != 0) /* said in one line */
                rc = RL_EXIT_HARNESS;
            free(from);
            free(to);
            free(to_dir);
        }
        if (d != NULL)
            closedir(d);
        free(from_dir);
    }
    return rc;
}

/* A path ".../SUB/OLD_ID.rest" written where the shard ran: "OUT/SUB/NEW_ID.rest". */
static char *moved_path(const char *path, const merged_run *r, const char *out)
{
    for (size_t i = 0; i < N_SUBDIRS; i++) {
        char *tail = xasprintf("/%s/%s.", SUBDIRS[i], r->old_id);
        const char *at = strstr(path, tail);
        char *moved =
            at == NULL ? NULL
                       : xasprintf("%s/%s/%s%s", out, SUBDIRS[i], r->new_id, at + strlen(tail) - 1);
        free(tail);
        if (moved != NULL)
            return moved;
    }
    return NULL;
}

/* Every string in V that is one of the run's files, rewritten. */
static void rewrite_paths(json_object *v, const merged_run *r, const char *out)
{
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < jlen(v); i++) {
            json_object *e = jat(v, i);
            char *moved = jstring(e) ? moved_path(jstring(e), r, out) : NULL;
            if (moved != NULL)
                json_object_array_put_idx(v, i, jtext(moved));
            else
                rewrite_paths(e, r, out);
            free(moved);
        }
    } else if (jis_object(v)) {
        json_object_object_foreach(v, key, e)
        {
            char *moved = jstring(e) ? moved_path(jstring(e), r, out) : NULL;
            if (moved != NULL)
                json_object_object_add(v, key, jtext(moved));
            else
                rewrite_paths(e, r, out);
            free(moved);
        }
    }
}

typedef struct {
    merged_run *runs;
    int n;
} runs_ctx;

static int runs_cb(const void *ctx, FILE *f)
{
    const runs_ctx *c = ctx;
    for (int i = 0; i < c->n; i++) {
        char *line = jline(c->runs[i].rec);
        int bad = fprintf(f, "%s\n", line) < 0;
        free(line);
        if (bad)
            return -1;
    }
    return 0;
}

/* OUT/runs.jsonl, whole or not at all (a temp file linked into place: never over a
 * runs.jsonl already there), after the runs' files are copied under their new ids. */
static int write_runs(merged_run *runs, int n, const char *out)
{
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) { /* the first failed copy is said, and ends it */
        json_object_object_add(runs[i].rec, "run_id", jtext(runs[i].new_id));
        rewrite_paths(runs[i].rec, &runs[i], out);
        rc = copy_files(&runs[i], out);
    }
    if (rc != 0)
        return rc;
    char *path = xasprintf("%s/runs.jsonl", out);
    runs_ctx ctx = {runs, n};
    if (atomic_write(path, runs_cb, &ctx, ATOMIC_NO_REPLACE) != 0) {
        if (errno == EEXIST) {
            error_msg("%s already holds results; give another --out", out);
            rc = RL_EXIT_USAGE;
        } else {
            rc = RL_EXIT_HARNESS; /* said in one line */
        }
    }
    free(path);
    return rc;
}

static char *count_text(const json_object *obj, const char *key)
{
    const char *text = jnumber_text(jget(obj, key));
    return xstrdup(text != NULL ? text : "-");
}

/* The note of a fix judged with a control, as the shard's table said it. */
static char *note_of(const json_object *rec)
{
    const char *role = jstring(jget(rec, "role"));
    if (role != NULL && strcmp(role, "control") == 0)
        return xstrdup("run as a positive control");
    const json_object *ctl = jget(rec, "control");
    const char *variant = jstring(jget(ctl, "variant"));
    const char *verdict = jstring(jget(ctl, "verdict"));
    if (variant == NULL || verdict == NULL)
        return xstrdup("");
    if (strcmp(verdict, "reproduced") != 0)
        return xasprintf("control %s not reproduced: inconclusive", variant);
    const char *failures = jnumber_text(jget(ctl, "failures"));
    const char *trials = jnumber_text(jget(ctl, "trials"));
    return xasprintf("control %s: %s/%s", variant, failures ? failures : "?",
                     trials ? trials : "?");
}

typedef struct {
    const session *s;
    int status;
} summary_ctx;

static int summary_cb(const void *ctx, FILE *f)
{
    const summary_ctx *c = ctx;
    summary_write_file(c->s, f, 0, c->status);
    return ferror(f) ? -1 : 0;
}

/* summary.txt of the merged runs (and stdout), through summary.c's table. */
static int write_summary(const char *out, int n_planned, int status)
{
    report_set set;
    if (report_load(out, &set) != 0)
        return RL_EXIT_HARNESS;
    session s;
    memset(&s, 0, sizeof s);
    s.dir = (char *)out;
    s.quiet = 1;
    s.n_planned = n_planned;
    s.rows = xcalloc((size_t)set.n + 1, sizeof *s.rows);
    s.width_scenario = (int)strlen("scenario");
    s.width_variant = (int)strlen("variant");
    for (int i = 0; i < set.n; i++) {
        const report_run *r = &set.runs[i];
        summary_row *row = &s.rows[s.n_rows++];
        double rate = 0;
        row->scenario = xstrdup(r->scenario ? r->scenario : "?");
        row->variant = xstrdup(r->variant ? r->variant : "?");
        row->expectation = xstrdup(r->expectation ? r->expectation : "-");
        row->mode = xstrdup(r->mode ? r->mode : "-");
        row->flavour = xstrdup(r->flavour ? r->flavour : "-");
        row->verdict = xstrdup(r->verdict ? r->verdict : "?");
        row->trials = count_text(r->rec, "trials");
        row->rate =
            jnumber(jget(r->rec, "trials_per_s"), &rate) == 0 ? rp_count(rate) : xstrdup("-");
        row->forbidden = count_text(r->rec, "forbidden");
        row->tsan = r->flavour && strcmp(r->flavour, "tsan") == 0
                        ? count_text(jget(r->rec, "tsan"), "reports")
                        : xstrdup("-");
        row->note = note_of(r->rec);
        row->met = r->met;
        row->index = i;
        row->severity = report_class_exit(r->cls);
        if ((int)strlen(row->scenario) > s.width_scenario)
            s.width_scenario = (int)strlen(row->scenario);
        if ((int)strlen(row->variant) > s.width_variant)
            s.width_variant = (int)strlen(row->variant);
    }
    char *path = xasprintf("%s/summary.txt", out);
    summary_ctx ctx = {&s, status};
    int rc = atomic_write(path, summary_cb, &ctx, ATOMIC_REPLACE) == 0 ? 0 : RL_EXIT_HARNESS;
    /* the terminal says the status the process exits with, a failed summary.txt included */
    summary_write_file(&s, stdout, 0, rl_worse_exit(status, rc));
    fflush(stdout);
    free(path);
    for (int i = 0; i < s.n_rows; i++) {
        summary_row *row = &s.rows[i];
        char *texts[] = {row->scenario,  row->variant, row->expectation, row->mode,
                         row->flavour,   row->verdict, row->trials,      row->rate,
                         row->forbidden, row->tsan,    row->note};
        for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
            free(texts[t]);
    }
    free(s.rows);
    report_set_free(&set);
    return rc;
}

static int merged_status(const char *out)
{
    report_set set;
    if (report_load(out, &set) != 0)
        return RL_EXIT_HARNESS;
    int rc = report_set_exit(&set);
    report_set_free(&set);
    return rc;
}

/* Two records of one plan run (shards whose plans overlap). */
static int check_unique(const merged_run *runs, int n)
{
    for (int i = 1; i < n; i++)
        if (runs[i].index == runs[i - 1].index) {
            error_msg("run %d of the plan is in %s and in %s: a record twice, refusing to merge",
                      runs[i].index, runs[i - 1].from->dir, runs[i].from->dir);
            return RL_EXIT_HARNESS;
        }
    return 0;
}

static int merge_into(const shard *sh, int n, const char *out_given, int incomplete)
{
    if (shard_out_is_free(out_given) != 0)
        return RL_EXIT_USAGE;
    /* every shard read and checked before anything is made */
    merged_run *runs = NULL;
    int n_runs = 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = load_runs(&sh[i], &runs, &n_runs);
    if (rc == 0 && n_runs > 1)
        qsort(runs, (size_t)n_runs, sizeof *runs, by_index);
    if (rc == 0)
        rc = check_unique(runs, n_runs);
    char *out = NULL;
    if (rc == 0 && mkdir(out_given, 0755) != 0 && errno != EEXIST) {
        error_msg("cannot create %s: %s", out_given, strerror(errno));
        rc = RL_EXIT_HARNESS;
    }
    if (rc == 0 && (out = realpath(out_given, NULL)) == NULL) {
        error_msg("cannot create %s: %s", out_given, strerror(errno));
        rc = RL_EXIT_HARNESS;
    }
    if (rc == 0)
        rc = write_runs(runs, n_runs, out);
    int n_planned = (int)jlen(jget(sh[0].info, "runs")); /* a shard's; the plan's below */
    double total;
    if (jnumber(jget(sh[0].info, "plan_runs"), &total) == 0)
        n_planned = (int)total;
    if (rc == 0) {
        /* the reports before the summary, so the summary says the status merge exits with */
        int status = rl_worse_exit(merged_status(out), incomplete);
        status = rl_worse_exit(status, reports_write(out));
        rc = rl_worse_exit(status, write_summary(out, n_planned, status));
    }
    for (int i = 0; i < n_runs; i++) {
        json_object_put(runs[i].rec);
        free(runs[i].old_id);
        free(runs[i].new_id);
    }
    free(runs);
    free(out);
    return rc;
}

int cmd_merge(const command_line *c)
{
    if (c->n_args == 0 || c->o.out_dir == NULL) {
        error_msg("merge wants the shard folders and --out DIR (racelab merge DIR... --out DIR)");
        return RL_EXIT_USAGE;
    }
    atomic_file_on_signals(); /* a kill mid-merge leaves no torn file */
    int rc = merge_kinds(c);
    if (rc != 0)
        return rc < 0 ? merge_exec(c) : rc;
    shard *sh = xcalloc((size_t)c->n_args, sizeof *sh);
    int n = 0;
    for (; n < c->n_args && rc == 0; n++)
        rc = load_shard(c->args[n], &sh[n]);
    if (rc == 0)
        rc = check_shards(sh, n);
    double total = 0;
    if (rc == 0 && jnumber(jget(sh[0].info, "shards"), &total) != 0)
        rc = RL_EXIT_USAGE;
    if (rc == 0) {
        int incomplete = check_complete(sh, n, (int)total);
        rc = merge_into(sh, n, c->o.out_dir, incomplete);
    }
    for (int i = 0; i < n; i++)
        json_object_put(sh[i].info);
    free(sh);
    return rc;
}
