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
#include "shard/merge_exec.h"
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

/* Run shards (0), exec shards (-1), or a mix (one line, RL_EXIT_USAGE). */
int merge_kinds(const command_line *c)
{
    int run = -1, exec = -1;
    for (int i = 0; i < c->n_args; i++) {
        int kind = merge_shard_kind(c->args[i]);
        if (kind == MERGE_RUN_SHARD && run < 0)
            run = i;
        if (kind == MERGE_EXEC_SHARD && exec < 0)
            exec = i;
    }
    if (run >= 0 && exec >= 0) {
        error_msg("%s is a shard of racelab run, %s of racelab exec: merge each kind on its own",
                  c->args[run], c->args[exec]);
        return RL_EXIT_USAGE;
    }
    return exec >= 0 && run < 0 ? -1 : 0;
}

json_object *merge_shard_info(const exec_shard *s) { return jget(jget(s->rec, "exec"), "shard"); }

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
    const json_object *info = merge_shard_info(s);
    s->results = jstring(jget(jget(s->rec, "exec"), "results"));
    if (!jis_object(info) || jtrue(jget(info, "merged")) || jnumber(jget(info, "shard"), &k) != 0 ||
        jstring(jget(info, "campaign")) == NULL) {
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
    {"version", NULL},   {"scenario", NULL},    {"exec", "args"},      {"seed", NULL},
    {"exec", "budget"},  {"mode", NULL},        {"expectation", NULL}, {"sched", "strategy"},
    {"shard", "shards"}, {"shard", "campaign"},
};

static json_object *same_field(const exec_shard *s, size_t f)
{
    if (strcmp(SAME[f][0], "shard") == 0)
        return jget(merge_shard_info(s), SAME[f][1]);
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
                          sh[i].dir, sh[0].dir, SAME[f][1] ? SAME[f][0] : "", SAME[f][1] ? "." : "",
                          SAME[f][1] ? SAME[f][1] : SAME[f][0], tb, ta);
                free(ta);
                free(tb);
                return RL_EXIT_USAGE;
            }
        }
        for (int j = 0; j < i; j++)
            if (sh[j].k == sh[i].k) {
                error_msg("shard %d/%s given twice: %s and %s", sh[i].k,
                          jnumber_text(jget(merge_shard_info(&sh[i]), "shards")), sh[j].dir,
                          sh[i].dir);
                return RL_EXIT_USAGE;
            }
    }
    return 0;
}

/* Names the shards not given or interrupted; RL_EXIT_HARNESS when any. */
static int check_complete(const exec_shard *sh, int n, int total)
{
    shard_seen *seen = xcalloc((size_t)n + 1, sizeof *seen);
    for (int i = 0; i < n; i++)
        seen[i] = (shard_seen){sh[i].k, sh[i].dir, !jtrue(jget(sh[i].rec, "interrupted"))};
    int rc = shard_check_complete(seen, n, total, "campaign");
    free(seen);
    return rc;
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
    fprintf(out,
            "%s (%s, %s; %d shard%s merged): %llu run%s in %.1f s (the shards' summed), %llu "
            "failure%s",
            jstring(jget(m, "scenario")), jstring(jget(m, "flavour")), jstring(jget(m, "mode")),
            c->n, c->n == 1 ? "" : "s", c->g->runs, c->g->runs == 1 ? "" : "s", seconds,
            c->g->failures, c->g->failures == 1 ? "" : "s");
    int any = 0;
    json_object_object_foreach(jget(m, "outcomes"), name, count)
    {
        if (strcmp(name, "ok") != 0 && merge_count(count) > 0) {
            fprintf(out, "%s%s %llu", any ? ", " : " (", name, merge_count(count));
            any = 1;
        }
    }
    fputs(any ? ")\n" : "\n", out);
    json_object *f = jat(jget(x, "failures"), 0);
    if (f != NULL) {
        fprintf(out, "  first failure  run %s (seed %s), %s\n", jnumber_text(jget(f, "run")),
                jnumber_text(jget(f, "seed")), jstring(jget(f, "cause")));
        for (size_t i = 0; i < 4; i++)
            if (jstring(jget(f, MERGE_FILES[i])) != NULL)
                fprintf(out, "  %-14s %s\n", MERGE_FILES[i], jstring(jget(f, MERGE_FILES[i])));
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
                jnumber_text(jget(merge_shard_info(&c->sh[i]), "shards")),
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
    json_object_deep_copy(merge_shard_info(&sh[0]), &info, NULL);
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
    if (shard_out_is_free(out_given) != 0)
        return RL_EXIT_USAGE;
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
        merge_add_shard(m, sh[i].rec);
    const exec_shard *first = NULL;
    int rc = merge_failures(m, sh, n, out, &first);
    merge_take_first(m, first);
    json_object_object_add(jget(m, "exec"), "results", jtext(out));
    mark_merged(m, sh, n);
    exec_grade_counts g;
    rl_verdict v;
    merge_regrade(m, &g, &v);
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
        int total = (int)merge_count(jget(merge_shard_info(&sh[0]), "shards"));
        int incomplete = check_complete(sh, n, total);
        rc = write_merged(sh, n, c->o.out_dir, incomplete);
    }
    for (int i = 0; i < n; i++)
        report_set_free(&sh[i].set);
    free(sh);
    return rc;
}
