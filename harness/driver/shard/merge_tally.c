/* merge_tally.c — the merged record of an exec campaign's shards (merge_exec.c): the tallies
 * summed (runs, outcomes by class, TSan kinds, points, schedules; the longest run's steps the
 * largest), the failures joined in run order with their files, the first failure's shrink,
 * and the verdict graded again by exec's grader and written by the one serialiser. */
#include "core/atomic_file.h"
#include "core/json_io.h"
#include "core/record_sink.h"
#include "shard/merge_exec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the tallies ------------------------------------------------------- */

unsigned long long merge_count(const json_object *v)
{
    double x = 0;
    return jnumber(v, &x) == 0 && x > 0 ? (unsigned long long)x : 0;
}

/* OUT[KEY] += IN[KEY] (counts), KEY made when OUT lacks it. */
static void add_count(json_object *out, const json_object *in, const char *key)
{
    if (!jis_object(out) || jget(in, key) == NULL)
        return;
    unsigned long long sum = merge_count(jget(out, key)) + merge_count(jget(in, key));
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
                json_object_array_put_idx(a, i,
                                          jcount(merge_count(jat(a, i)) + merge_count(jat(b, i))));
        }
    }
}

/* exec.fuzz: each shard searched with its own corpus; their counts add up,
 * and the pairs any one shard saw are a lower bound of all of theirs. */
static void add_fuzz(json_object *out, const json_object *in)
{
    if (!jis_object(out) || !jis_object(in))
        return;
    static const char *const COUNTS[] = {"loaded", "added", "entries", "unsaved"};
    for (size_t i = 0; i < sizeof COUNTS / sizeof *COUNTS; i++)
        add_count(out, in, COUNTS[i]);
    if (merge_count(jget(in, "pairs_seen")) > merge_count(jget(out, "pairs_seen")))
        json_object_object_add(out, "pairs_seen", jcount(merge_count(jget(in, "pairs_seen"))));
}

static const char *const EXEC_COUNTS[] = {
    "runs_counted", "forked_runs", "left_control", "unscheduled",    "spins", "unrecorded",
    "escaped",      "left_behind", "shrink_runs",  "spawn_failures", "rerun", "lost"};
static const char *const EXEC_FIRSTS[] = {"error", "spin", "forks_note", "launch_note"};

/* Shard IN's tallies into the merged record M (a copy of the first shard's). */
void merge_add_shard(json_object *m, const json_object *in)
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
        if (merge_count(jget(is, "max_steps")) > merge_count(jget(ms, "max_steps")))
            json_object_object_add(ms, "max_steps", jcount(merge_count(jget(is, "max_steps"))));
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
    add_fuzz(jget(mx, "fuzz"), jget(ix, "fuzz"));
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
    unsigned long long x = merge_count(jget(((const failure_ref *)a)->f, "run"));
    unsigned long long y = merge_count(jget(((const failure_ref *)b)->f, "run"));
    return x < y ? -1 : x > y;
}

const char *const MERGE_FILES[4] = {"output_file", "stacks_file", "tsan_log", "sanitizer_log"};

/* A failure's files, written where its shard ran (exec.results/...), copied from the shard's
 * folder as given into OUT under the same names (labels are run indices: no two shards share
 * one), and their paths in F rewritten. 0, or RL_EXIT_HARNESS after one line. */
static int carry_files(json_object *f, const exec_shard *s, const char *out)
{
    size_t len = s->results != NULL ? strlen(s->results) : 0;
    for (size_t i = 0; i < 4; i++) {
        const char *path = jstring(jget(f, MERGE_FILES[i]));
        if (path == NULL || len == 0 || strncmp(path, s->results, len) != 0 || path[len] != '/')
            continue;                  /* not in its results folder: left as it is */
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
                json_object_object_add(f, MERGE_FILES[i], jtext(to));
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
int merge_failures(json_object *m, const exec_shard *sh, int n, const char *out,
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
void merge_take_first(json_object *m, const exec_shard *first)
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
        .runs = merge_count(jget(m, "trials")),
        .failures = merge_count(jget(m, "forbidden")),
        .tsan_reports = merge_count(jget(jget(m, "tsan"), "reports")),
        .spawn_failures = merge_count(jget(x, "spawn_failures")),
        .error = jstring(jget(x, "error")),
        /* a shard interrupted is named unfinished by the merge (exit 3, not 130): the merge
         * itself ran to its end */
        .interrupted = 0,
        .output_failed = jtrue(jget(x, "output_failed")),
    };
}

/* verdict, met, stats, forbidden, trials_per_s: graded by exec's grader, written by the one
 * serialiser (record_json of a record holding only them). */
void merge_regrade(json_object *m, exec_grade_counts *g, rl_verdict *v)
{
    *g = merged_counts(m);
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
    static const char *const keys[] = {"verdict",   "met",         "stats",
                                       "forbidden", "interesting", "trials_per_s"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        json_object_object_add(m, keys[i], json_object_get(jget(graded, keys[i])));
    json_object_put(graded);
}
