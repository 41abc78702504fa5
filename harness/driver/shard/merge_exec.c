/* merge_exec.c — `racelab merge DIR... --out DIR` of the shards of one exec
 * campaign (racelab exec --shard K/N): one record, as the unsharded campaign
 * writes it. Each shard's record says which shard it is and of which campaign
 * (exec.shard: K, N and the campaign's hash of program, args, seed, budget and
 * options); shards of different campaigns or versions, or a shard given twice:
 * one line, exit 2, nothing written. A shard folder whose runs.jsonl is not
 * one whole record is refused as report_load refuses it (exit 3). The tallies
 * are summed (runs, outcomes by class, schedules, steps, points...), the
 * failures joined in run-index order (the first EXEC_MAX_FAILURES, as exec
 * keeps them) with their output, stacks and logs copied in, and the verdict
 * and exit status graded from the merged tallies by exec's own grader
 * (exec_judge, exec_exit_status). A shard missing or unfinished is named:
 * exit 3, the others merged. Every file through core/atomic_file.c. */
#include "core/atomic_file.h"
#include "core/json_io.h"
#include "core/record_sink.h"
#include "exec/exec.h"
#include "report/report.h"
#include "shard/shard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *dir;
    report_set set;
    json_object *rec; /* the one record (the set's) */
    const char *results; /* exec.results: where the shard ran */
    int k;               /* from 1 */
} exec_shard;

int merge_shard_kind(const char *dir)
{
    char *info = xasprintf("%s/shard.json", dir);
    char *jsonl = xasprintf("%s/runs.jsonl", dir);
    int kind = access(info, F_OK) == 0    ? MERGE_RUN_SHARD
               : access(jsonl, F_OK) == 0 ? MERGE_EXEC_SHARD
                                          : MERGE_NOT_A_SHARD;
    free(info);
    free(jsonl);
    return kind;
}

static json_object *shard_info(const exec_shard *s) { return jget(jget(s->rec, "exec"), "shard"); }

/* DIR's one exec record, whole (report_load: exit 3 when not) and a shard's. */
static int load_exec_shard(const char *dir, exec_shard *s)
{
    memset(s, 0, sizeof *s);
    s->dir = dir;
    int rc = report_load(dir, &s->set); /* torn or not a record: said, exit 3 */
    if (rc != 0) {
        memset(&s->set, 0, sizeof s->set); /* freed by report_load */
        return rc;
    }
    if (s->set.n != 1) {
        error_msg("%s holds %d records: an exec shard holds one (racelab exec --shard K/N)", dir,
                  s->set.n);
        return RL_EXIT_HARNESS;
    }
    if (s->set.runs[0].invalid != NULL) /* report_load said why */
        return RL_EXIT_HARNESS;
    s->rec = s->set.runs[0].rec;
    double k;
    const json_object *info = shard_info(s);
    s->results = jstring(jget(jget(s->rec, "exec"), "results"));
    if (!jis_object(info) || jtrue(jget(info, "merged")) ||
        jnumber(jget(info, "shard"), &k) != 0 || jstring(jget(info, "campaign")) == NULL) {
        error_msg("%s is not a shard folder (no exec.shard in its record: racelab exec --shard "
                  "K/N --out DIR writes one)",
                  dir);
        return RL_EXIT_USAGE;
    }
    s->k = (int)k;
    return 0;
}

/* The fields that make a campaign, said by name when two shards differ in one. */
static const char *const SAME[][2] = {
    {"version", NULL},          {"scenario", NULL}, {"exec", "args"},
    {"seed", NULL},             {"exec", "budget"}, {"mode", NULL},
    {"expectation", NULL},      {"sched", "strategy"}, {"shard", "shards"},
    {"shard", "campaign"},
};

static json_object *same_field(const exec_shard *s, size_t f)
{
    if (strcmp(SAME[f][0], "shard") == 0)
        return jget(shard_info(s), SAME[f][1]);
    json_object *v = jget(s->rec, SAME[f][0]);
    return SAME[f][1] != NULL ? jget(v, SAME[f][1]) : v;
}

static int check_campaign(const exec_shard *sh, int n)
{
    for (int i = 1; i < n; i++) {
        for (size_t f = 0; f < sizeof SAME / sizeof SAME[0]; f++) {
            json_object *a = same_field(&sh[0], f), *b = same_field(&sh[i], f);
            if (!json_object_equal(a, b)) {
                char *ta = jline(a), *tb = jline(b);
                error_msg("%s is of another campaign than %s (%s%s%s %s, not %s): refusing to "
                          "merge",
                          sh[i].dir, sh[0].dir, SAME[f][1] ? SAME[f][0] : "",
                          SAME[f][1] ? "." : "", SAME[f][1] ? SAME[f][1] : SAME[f][0], tb, ta);
                free(ta);
                free(tb);
                return RL_EXIT_USAGE;
            }
        }
        for (int j = 0; j < i; j++)
            if (sh[j].k == sh[i].k) {
                error_msg("shard %d/%s given twice: %s and %s", sh[i].k,
                          jnumber_text(jget(shard_info(&sh[i]), "shards")), sh[j].dir, sh[i].dir);
                return RL_EXIT_USAGE;
            }
    }
    return 0;
}

/* Names the shards not given or interrupted; RL_EXIT_HARNESS when any. */
static int check_complete(const exec_shard *sh, int n, int total)
{
    buffer missing = {0};
    for (int k = 1; k <= total; k++) {
        const exec_shard *found = NULL;
        for (int i = 0; i < n && found == NULL; i++)
            if (sh[i].k == k)
                found = &sh[i];
        if (found != NULL && !jtrue(jget(found->rec, "interrupted")))
            continue;
        char *text = found == NULL ? xasprintf("%s%d/%d missing", missing.len ? ", " : "", k, total)
                                   : xasprintf("%s%d/%d unfinished (%s)", missing.len ? ", " : "",
                                               k, total, found->dir);
        buf_append(&missing, text, strlen(text), SIZE_MAX);
        free(text);
    }
    if (missing.len == 0)
        return 0;
    buf_append(&missing, "", 1, SIZE_MAX);
    error_msg("incomplete campaign: shard %s; the merged folder holds the others", missing.data);
    buf_free(&missing);
    return RL_EXIT_HARNESS;
}

/* ---- the tallies ------------------------------------------------------- */

static unsigned long long count_of(const json_object *v)
{
    double x = 0;
    return jnumber(v, &x) == 0 && x > 0 ? (unsigned long long)x : 0;
}

/* OUT[KEY] += IN[KEY] (counts), KEY made when OUT lacks it. */
static void add_count(json_object *out, const json_object *in, const char *key)
{
    if (!jis_object(out) || jget(in, key) == NULL)
        return;
    unsigned long long sum = count_of(jget(out, key)) + count_of(jget(in, key));
    json_object_object_add(out, key, jcount(sum));
}

/* Every count of object IN into OUT, key by key (outcomes, TSan kinds). */
static void add_counts(json_object *out, const json_object *in)
{
    if (!jis_object(in) || !jis_object(out))
        return;
    json_object_object_foreach((json_object *)in, key, v)
    {
        (void)v;
        add_count(out, in, key);
    }
}

/* points: {"name": {"spec", "hits": [..], "fired": [..], "external": [..]}}, summed per actor. */
static void add_points(json_object *out, const json_object *in)
{
    if (!jis_object(in) || !jis_object(out))
        return;
    json_object_object_foreach((json_object *)in, name, p)
    {
        json_object *mine = jget(out, name);
        if (mine == NULL) {
            json_object *copy = NULL;
            json_object_deep_copy(p, &copy, NULL);
            json_object_object_add(out, name, copy);
            continue;
        }
        static const char *const rows[] = {"hits", "fired", "external"};
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            json_object *a = jget(mine, rows[r]);
            const json_object *b = jget(p, rows[r]);
            for (size_t i = 0; i < jlen(a) && i < jlen(b); i++)
                json_object_array_put_idx(a, i, jcount(count_of(jat(a, i)) + count_of(jat(b, i))));
        }
    }
}

static const char *const EXEC_COUNTS[] = {
    "runs_counted", "forked_runs", "left_control", "unscheduled",    "spins",
    "unrecorded",   "escaped",     "left_behind",  "shrink_runs", "spawn_failures"};
static const char *const EXEC_FIRSTS[] = {"error", "spin", "forks_note", "launch_note"};

/* Shard IN's tallies into the merged record M (a copy of the first shard's). */
static void add_shard(json_object *m, const json_object *in)
{
    add_count(m, in, "trials");
    add_count(m, in, "forbidden"); /* the failed runs */
    add_count(m, in, "interesting");
    add_count(m, in, "hangs");
    add_count(m, in, "crashes");
    add_counts(jget(m, "outcomes"), jget(in, "outcomes"));
    add_count(jget(m, "tsan"), jget(in, "tsan"), "reports");
    add_counts(jget(jget(m, "tsan"), "kinds"), jget(jget(in, "tsan"), "kinds"));
    add_points(jget(m, "points"), jget(in, "points"));
    double a = 0, b = 0;
    jnumber(jget(m, "seconds"), &a);
    jnumber(jget(in, "seconds"), &b);
    json_object_object_add(m, "seconds", jreal(a + b)); /* machine time, the shards' summed */
    json_object *ms = jget(m, "sched");
    const json_object *is = jget(in, "sched");
    if (jis_object(ms) && jis_object(is)) {
        add_count(ms, is, "schedules");
        add_count(ms, is, "deadlocks");
        add_count(ms, is, "diverged");
        if (count_of(jget(is, "max_steps")) > count_of(jget(ms, "max_steps")))
            json_object_object_add(ms, "max_steps", jcount(count_of(jget(is, "max_steps"))));
    }
    if (jtrue(jget(in, "interrupted")))
        json_object_object_add(m, "interrupted", json_object_new_boolean(1));
    json_object *mx = jget(m, "exec");
    const json_object *ix = jget(in, "exec");
    for (size_t i = 0; i < sizeof EXEC_COUNTS / sizeof *EXEC_COUNTS; i++)
        add_count(mx, ix, EXEC_COUNTS[i]);
    for (size_t i = 0; i < sizeof EXEC_FIRSTS / sizeof *EXEC_FIRSTS; i++)
        if (jget(mx, EXEC_FIRSTS[i]) == NULL && jget(ix, EXEC_FIRSTS[i]) != NULL)
            json_object_object_add(mx, EXEC_FIRSTS[i],
                                   json_object_get(jget((json_object *)ix, EXEC_FIRSTS[i])));
    if (jtrue(jget(ix, "output_failed")))
        json_object_object_add(mx, "output_failed", json_object_new_boolean(1));
    const char *la = jstring(jget(mx, "launch")), *lb = jstring(jget(ix, "launch"));
    if (la != NULL && lb != NULL && strcmp(la, lb) != 0)
        json_object_object_add(mx, "launch", jtext("both"));
}

/* ---- the failures ------------------------------------------------------ */

typedef struct {
    json_object *f; /* a new reference */
    const exec_shard *from;
} failure_ref;

static int by_run(const void *a, const void *b)
{
    unsigned long long x = count_of(jget(((const failure_ref *)a)->f, "run"));
    unsigned long long y = count_of(jget(((const failure_ref *)b)->f, "run"));
    return x < y ? -1 : x > y;
}

static const char *const FILES[] = {"output_file", "stacks_file", "tsan_log", "sanitizer_log"};

/* A failure's files, written where its shard ran (exec.results/...), copied from the shard's
 * folder as given into OUT under the same names (labels are run indices: no two shards share
 * one), and their paths in F rewritten. 0, or RL_EXIT_HARNESS after one line. */
static int carry_files(json_object *f, const exec_shard *s, const char *out)
{
    size_t len = s->results != NULL ? strlen(s->results) : 0;
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        const char *path = jstring(jget(f, FILES[i]));
        if (path == NULL || len == 0 || strncmp(path, s->results, len) != 0 || path[len] != '/')
            continue; /* not in its results folder: left as it is */
        const char *tail = path + len; /* "/output/run-000012.txt" */
        char *from = xasprintf("%s%s", s->dir, tail);
        char *to = xasprintf("%s%s", out, tail);
        char *parent = xstrdup(to);
        *strrchr(parent, '/') = '\0';
        int rc = 0;
        if (mkdir(parent, 0755) != 0 && errno != EEXIST) {
            error_msg("cannot create %s: %s", parent, strerror(errno));
            rc = RL_EXIT_HARNESS;
        } else if (access(from, F_OK) == 0) {
            rc = atomic_copy(from, to) == 0 ? 0 : RL_EXIT_HARNESS; /* said in one line */
            if (rc == 0)
                json_object_object_add(f, FILES[i], jtext(to));
        }
        free(parent);
        free(from);
        free(to);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* exec.failures of every shard in run order, the first EXEC_MAX_FAILURES (exec keeps as many,
 * the first seen: with --jobs 1, the lowest runs, so these are the unsharded campaign's);
 * the shard whose failure is first in *first. */
static int merge_failures(json_object *m, const exec_shard *sh, int n, const char *out,
                          const exec_shard **first)
{
    failure_ref *all = NULL;
    size_t n_all = 0;
    for (int i = 0; i < n; i++) {
        json_object *fs = jget(jget(sh[i].rec, "exec"), "failures");
        for (size_t j = 0; j < jlen(fs); j++) {
            all = xrealloc(all, (n_all + 1) * sizeof *all);
            json_object *copy = NULL;
            json_object_deep_copy(jat(fs, j), &copy, NULL);
            all[n_all++] = (failure_ref){copy, &sh[i]};
        }
    }
    if (n_all > 1)
        qsort(all, n_all, sizeof *all, by_run);
    json_object *kept = json_object_new_array();
    int rc = 0;
    *first = n_all > 0 ? all[0].from : NULL;
    for (size_t i = 0; i < n_all; i++) {
        if (i < EXEC_MAX_FAILURES && rc == 0) {
            rc = carry_files(all[i].f, all[i].from, out);
            json_object_array_add(kept, json_object_get(all[i].f));
        }
        json_object_put(all[i].f);
    }
    free(all);
    json_object_object_add(jget(m, "exec"), "failures", kept);
    return rc;
}

/* first_failure and sched.shrunk: the first failure's shard's (its first is the campaign's). */
static void take_first(json_object *m, const exec_shard *first)
{
    json_object *ff = first != NULL ? jget(first->rec, "first_failure") : NULL;
    json_object_object_add(m, "first_failure", ff != NULL ? json_object_get(ff) : NULL);
    json_object *shrunk = first != NULL ? jget(jget(first->rec, "sched"), "shrunk") : NULL;
    if (jis_object(jget(m, "sched")))
        json_object_object_add(jget(m, "sched"), "shrunk",
                               shrunk != NULL ? json_object_get(shrunk) : NULL);
}

/* ---- the verdict ------------------------------------------------------- */

static exec_grade_counts merged_counts(json_object *m)
{
    json_object *x = jget(m, "exec");
    const char *expectation = jstring(jget(m, "expectation"));
    int expect = expectation != NULL ? rl_expectation_from_name(expectation) : -1;
    return (exec_grade_counts){
        .expect = expect >= 0 ? expect : RL_HOLDS,
        .tsan = jtrue(jget(jget(m, "tsan"), "enabled")),
        .runs = count_of(jget(m, "trials")),
        .failures = count_of(jget(m, "forbidden")),
        .tsan_reports = count_of(jget(jget(m, "tsan"), "reports")),
        .spawn_failures = count_of(jget(x, "spawn_failures")),
        .error = jstring(jget(x, "error")),
        .interrupted = jtrue(jget(m, "interrupted")),
        .output_failed = jtrue(jget(x, "output_failed")),
    };
}

/* verdict, met, stats, forbidden, trials_per_s: graded by exec's grader, written by the one
 * serialiser (record_json of a record holding only them). */
static void regrade(json_object *m, const exec_grade_counts *g, rl_verdict *v)
{
    exec_judge(g, v);
    rl_record r;
    memset(&r, 0, sizeof r);
    r.scenario = jstring(jget(m, "scenario"));
    r.variant = "exec";
    r.expectation = rl_expectation_name((rl_expectation)g->expect);
    r.trials = g->runs;
    double seconds = 0;
    jnumber(jget(m, "seconds"), &seconds);
    r.seconds = seconds;
    r.verdict = *v;
    r.batch_max = -1;
    json_object *graded = record_json(&r);
    static const char *const keys[] = {"verdict", "met", "stats", "forbidden", "interesting",
                                       "trials_per_s"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        json_object_object_add(m, keys[i], json_object_get(jget(graded, keys[i])));
    json_object_put(graded);
}

/* ---- the folder -------------------------------------------------------- */

typedef struct {
    json_object *m;
    const exec_shard *sh;
    int n;
    const exec_grade_counts *g;
    const rl_verdict *v;
    int status;
} summary_ctx;

/* What exec's summary says of a campaign, from the merged record: the counts, the first
 * failure and how to run it again, the scheduler, the shards, the verdict (exec's printer). */
static int summary_cb(const void *ctx, FILE *out)
{
    const summary_ctx *c = ctx;
    json_object *m = c->m, *x = jget(m, "exec"), *sched = jget(m, "sched");
    double seconds = 0;
    jnumber(jget(m, "seconds"), &seconds);
    fprintf(out, "%s (%s, %s; %d shard%s merged): %llu run%s in %.1f s (the shards' summed), %llu "
            "failure%s",
            jstring(jget(m, "scenario")), jstring(jget(m, "flavour")), jstring(jget(m, "mode")),
            c->n, c->n == 1 ? "" : "s", c->g->runs, c->g->runs == 1 ? "" : "s", seconds,
            c->g->failures, c->g->failures == 1 ? "" : "s");
    int any = 0;
    json_object_object_foreach(jget(m, "outcomes"), name, count)
    {
        if (strcmp(name, "ok") != 0 && count_of(count) > 0) {
            fprintf(out, "%s%s %llu", any ? ", " : " (", name, count_of(count));
            any = 1;
        }
    }
    fputs(any ? ")\n" : "\n", out);
    json_object *f = jat(jget(x, "failures"), 0);
    if (f != NULL) {
        fprintf(out, "  first failure  run %s (seed %s), %s\n", jnumber_text(jget(f, "run")),
                jnumber_text(jget(f, "seed")), jstring(jget(f, "cause")));
        for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++)
            if (jstring(jget(f, FILES[i])) != NULL)
                fprintf(out, "  %-14s %s\n", FILES[i], jstring(jget(f, FILES[i])));
        fprintf(out, "  run it again   %s\n", jstring(jget(f, "rerun")));
        if (jstring(jget(f, "schedule")) != NULL)
            fprintf(out, "  schedule       %s (%s preemptions)\n", jstring(jget(f, "schedule")),
                    jnumber_text(jget(f, "preemptions")));
    }
    if (jis_object(sched))
        fprintf(out,
                "  scheduler      %s: %s schedules, %s deadlocked, %s diverged (not graded); "
                "the longest %s steps\n",
                jstring(jget(sched, "strategy")), jnumber_text(jget(sched, "schedules")),
                jnumber_text(jget(sched, "deadlocks")), jnumber_text(jget(sched, "diverged")),
                jnumber_text(jget(sched, "max_steps")));
    for (int i = 0; i < c->n; i++)
        fprintf(out, "  shard %d/%s      %s runs, %s failed, from %s\n", c->sh[i].k,
                jnumber_text(jget(shard_info(&c->sh[i]), "shards")),
                jnumber_text(jget(c->sh[i].rec, "trials")),
                jnumber_text(jget(c->sh[i].rec, "forbidden")), c->sh[i].dir);
    exec_print_verdict(c->g, c->v, c->status, out);
    fprintf(out, "results: %s\n", jstring(jget(x, "results")));
    return ferror(out) ? -1 : 0;
}

static int record_cb(const void *ctx, FILE *f)
{
    char *line = jline((json_object *)ctx);
    int bad = fprintf(f, "%s\n", line) < 0;
    free(line);
    return bad ? -1 : 0;
}

/* exec.shard of the merged record: every shard of the campaign, merged. */
static void mark_merged(json_object *m, const exec_shard *sh, int n)
{
    json_object *info = NULL;
    json_object_deep_copy(shard_info(&sh[0]), &info, NULL);
    json_object_object_add(info, "shard", NULL);
    json_object_object_add(info, "split", jtext("every run of the shards given"));
    json_object_object_add(info, "merged", json_object_new_boolean(1));
    json_object *from = json_object_new_array();
    for (int i = 0; i < n; i++) {
        json_object *one = json_object_new_object();
        json_object_object_add(one, "shard", json_object_new_int(sh[i].k));
        json_object_object_add(one, "folder", jtext(sh[i].dir));
        json_object_object_add(one, "results", jtext(sh[i].results));
        json_object_object_add(one, "runs", json_object_get(jget(sh[i].rec, "trials")));
        json_object_object_add(one, "seconds", json_object_get(jget(sh[i].rec, "seconds")));
        json_object_array_add(from, one);
    }
    json_object_object_add(info, "from", from);
    json_object_object_add(jget(m, "exec"), "shard", info);
}

static int by_k(const void *a, const void *b)
{
    return ((const exec_shard *)a)->k - ((const exec_shard *)b)->k;
}

/* The merged record written to OUT (new), its summary to OUT/summary.txt and stdout. */
static int write_merged(exec_shard *sh, int n, const char *out_given, int incomplete)
{
    char *given = xasprintf("%s/runs.jsonl", out_given);
    int taken = access(given, F_OK) == 0;
    free(given);
    if (taken) {
        error_msg("%s already holds results; give another --out", out_given);
        return RL_EXIT_USAGE;
    }
    if (mkdir(out_given, 0755) != 0 && errno != EEXIST) {
        error_msg("cannot create %s: %s", out_given, strerror(errno));
        return RL_EXIT_HARNESS;
    }
    char *out = realpath(out_given, NULL);
    if (out == NULL) {
        error_msg("cannot create %s: %s", out_given, strerror(errno));
        return RL_EXIT_HARNESS;
    }
    json_object *m = NULL;
    json_object_deep_copy(sh[0].rec, &m, NULL);
    for (int i = 1; i < n; i++)
        add_shard(m, sh[i].rec);
    const exec_shard *first = NULL;
    int rc = merge_failures(m, sh, n, out, &first);
    take_first(m, first);
    json_object_object_add(jget(m, "exec"), "results", jtext(out));
    mark_merged(m, sh, n);
    exec_grade_counts g = merged_counts(m);
    rl_verdict v;
    regrade(m, &g, &v);
    int status = rl_worse_exit(exec_exit_status(&g, &v), incomplete);
    if (rc == 0) {
        char *path = xasprintf("%s/runs.jsonl", out);
        if (atomic_write(path, record_cb, m, ATOMIC_NO_REPLACE) != 0)
            rc = errno == EEXIST ? RL_EXIT_USAGE : RL_EXIT_HARNESS;
        if (rc == RL_EXIT_USAGE)
            error_msg("%s already holds results; give another --out", out_given);
        free(path);
    }
    if (rc == 0) {
        char *path = xasprintf("%s/summary.txt", out);
        summary_ctx ctx = {m, sh, n, &g, &v, status};
        if (atomic_write(path, summary_cb, &ctx, ATOMIC_REPLACE) != 0)
            status = rl_worse_exit(status, RL_EXIT_HARNESS);
        ctx.status = status; /* the terminal says the status the process exits with */
        summary_cb(&ctx, stdout);
        fflush(stdout);
        free(path);
    }
    json_object_put(m);
    free(out);
    return rc != 0 ? rc : status;
}

int merge_exec(const command_line *c)
{
    exec_shard *sh = xcalloc((size_t)c->n_args, sizeof *sh);
    int rc = 0, n = 0;
    for (; n < c->n_args && rc == 0; n++)
        rc = load_exec_shard(c->args[n], &sh[n]);
    if (rc == 0)
        rc = check_campaign(sh, n);
    if (rc == 0) {
        qsort(sh, (size_t)n, sizeof *sh, by_k); /* the lowest shard's record is the base */
        int total = (int)count_of(jget(shard_info(&sh[0]), "shards"));
        int incomplete = check_complete(sh, n, total);
        rc = write_merged(sh, n, c->o.out_dir, incomplete);
    }
    for (int i = 0; i < n; i++)
        report_set_free(&sh[i].set);
    free(sh);
    return rc;
}
