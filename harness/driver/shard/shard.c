/* shard.c — a plan split into N shards, balanced by expected cost, the same
 * on every machine: groups (one scenario in one flavour: a fix with its
 * positive controls) in plan order, sorted by cost (largest first, then plan
 * order), each to the least loaded shard (the lowest on a tie). The plan's
 * identity (a hash of every run's key, role and arguments) and the racelab
 * version go to DIR/shard.json, so that `racelab merge` can refuse shards of
 * different plans. Shards are counted from 1 (--shard 1/N to N/N, "shard" in
 * shard.json and in the plan), as Jest, Playwright, Vitest and GitLab count. */
#include "shard/shard.h"
#include "core/atomic_file.h"
#include "core/json_io.h"
#include "run/drive.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RL_VERSION
#define RL_VERSION "0.1.0"
#endif

#define TSAN_WEIGHT 3.0 /* a TSan run costs about three plain ones */

double shard_cost(const plan_item *it, const run_options *o)
{
    double budget = 1.0; /* the program's default: 1 s */
    unsigned long long trials;
    if (o->seconds_text != NULL)
        budget = o->seconds;
    else if (o->trials_text != NULL && parse_whole(o->trials_text, 1, ~0ULL, &trials) == 0)
        budget = (double)trials;
    return budget * (it->tsan ? TSAN_WEIGHT : 1.0);
}

typedef struct {
    int first; /* plan index of its first run */
    double cost;
} group;

static int by_cost(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return x->first - y->first;
}

static int same_group(const plan_item *a, const plan_item *b)
{
    return a->sc == b->sc && a->tsan == b->tsan;
}

int *shard_assign(const plan_item *plan, int n, int shards, const run_options *o)
{
    int *of = xcalloc((size_t)n + 1, sizeof *of);
    group *groups = xcalloc((size_t)n + 1, sizeof *groups);
    int n_groups = 0;
    for (int i = 0; i < n; i++) {
        int g = 0;
        while (g < n_groups && !same_group(&plan[groups[g].first], &plan[i]))
            g++;
        if (g == n_groups)
            groups[n_groups++] = (group){i, 0};
        groups[g].cost += shard_cost(&plan[i], o);
    }
    qsort(groups, (size_t)n_groups, sizeof *groups, by_cost);
    double *load = xcalloc((size_t)shards, sizeof *load);
    for (int g = 0; g < n_groups; g++) {
        int best = 0;
        for (int k = 1; k < shards; k++)
            if (load[k] < load[best])
                best = k;
        load[best] += groups[g].cost;
        for (int i = 0; i < n; i++)
            if (same_group(&plan[groups[g].first], &plan[i]))
                of[i] = best;
    }
    free(load);
    free(groups);
    return of;
}

static char *run_key(const plan_item *it)
{
    return xasprintf("%s:%s:%s", it->sc->name, it->var->name, it->tsan ? "tsan" : "plain");
}

char *plan_hash(const plan_item *plan, int n, const run_options *o)
{
    uint64_t h = FNV_OFFSET;
    for (int i = 0; i < n; i++) {
        char *key = run_key(&plan[i]);
        fnv_text(&h, key);
        free(key);
        fnv_text(&h, plan[i].control ? "control" : "asked");
        int argc;
        char **argv = run_argv(&plan[i], o, &argc);
        for (int a = 1; a < argc; a++) /* argv[0]: where the build is */
            fnv_text(&h, argv[a]);
        free_argv(argv);
    }
    return xasprintf("%016llx", (unsigned long long)h);
}

/* One plan item as JSON: its place, key, role, cost and shard. */
static json_object *run_json(const plan_item *it, int index, double cost, int shard)
{
    json_object *r = json_object_new_object();
    char *key = run_key(it);
    json_object_object_add(r, "index", json_object_new_int(index + 1));
    json_object_object_add(r, "key", jtext(key));
    json_object_object_add(r, "scenario", jtext(it->sc->name));
    json_object_object_add(r, "variant", jtext(it->var->name));
    json_object_object_add(r, "flavour", jtext(it->tsan ? "tsan" : "plain"));
    json_object_object_add(r, "role", jtext(it->control ? "control" : "asked"));
    json_object_object_add(r, "cost", jreal(cost));
    json_object_object_add(r, "shard", shard >= 0 ? json_object_new_int(shard + 1) : NULL);
    free(key);
    return r;
}

/* The plan's identity and its runs; those of shard `only` when >= 0. */
static json_object *plan_json(const plan_item *plan, int n, const run_options *o, int shards,
                              int only)
{
    int *of = shard_assign(plan, n, shards > 0 ? shards : 1, o);
    json_object *j = json_object_new_object();
    char *hash = plan_hash(plan, n, o);
    json_object_object_add(j, "version", jtext(RL_VERSION));
    json_object_object_add(j, "plan_hash", jtext(hash));
    char *seed = xasprintf("%llu", o->seed);
    json_object_object_add(j, "seed", o->has_seed ? jtext(seed) : NULL);
    free(seed);
    json_object_object_add(j, "shards", json_object_new_int(shards));
    json_object_object_add(j, "plan_runs", json_object_new_int(n));
    if (only >= 0)
        json_object_object_add(j, "shard", json_object_new_int(only + 1)); /* from 1 */
    json_object *runs = json_object_new_array();
    json_object *costs = json_object_new_array();
    for (int k = 0; k < shards; k++) {
        double c = 0;
        for (int i = 0; i < n; i++)
            c += of[i] == k ? shard_cost(&plan[i], o) : 0;
        json_object_array_add(costs, jreal(c));
    }
    for (int i = 0; i < n; i++)
        if (only < 0 || of[i] == only)
            json_object_array_add(
                runs, run_json(&plan[i], i, shard_cost(&plan[i], o), shards > 0 ? of[i] : -1));
    json_object_object_add(j, "shard_costs", costs);
    json_object_object_add(j, "runs", runs);
    free(hash);
    free(of);
    return j;
}

int cmd_plan_print(const plan_item *plan, int n, const run_options *o, int json)
{
    json_object *j = plan_json(plan, n, o, o->shard_n, -1);
    if (json) {
        char *text = jline(j);
        puts(text);
        free(text);
    } else {
        printf("plan %s, %d run%s, %d shard%s\n", jstring(jget(j, "plan_hash")), n,
               n == 1 ? "" : "s", o->shard_n, o->shard_n == 1 ? "" : "s");
        const json_object *runs = jget(j, "runs");
        for (size_t i = 0; i < jlen(runs); i++) {
            const json_object *r = jat(runs, i);
            double cost = 0, shard = -1;
            jnumber(jget(r, "cost"), &cost);
            jnumber(jget(r, "shard"), &shard);
            printf("%3zu  %-50s %-7s cost %-8g shard %s\n", i + 1, jstring(jget(r, "key")),
                   jstring(jget(r, "role")), cost,
                   shard >= 0 ? jnumber_text(jget(r, "shard")) : "-");
        }
    }
    json_object_put(j);
    return fflush(stdout) == 0 ? 0 : RL_EXIT_HARNESS;
}

static int write_shard_json(const char *dir, json_object *j)
{
    char *path = xasprintf("%s/shard.json", dir);
    char *text = jline(j);
    char *line = xasprintf("%s\n", text);
    int rc = atomic_write_text(path, line, strlen(line), ATOMIC_REPLACE) == 0 ? 0 : RL_EXIT_HARNESS;
    free(line);
    free(text);
    free(path);
    return rc;
}

int shard_run(const plan_item *plan, int n, const run_options *o)
{
    if (o->out_dir == NULL || !o->has_seed) {
        error_msg("--shard needs --out DIR and --seed N (every shard of a night the same seed, "
                  "each its own folder)");
        return RL_EXIT_USAGE;
    }
    char *jsonl = xasprintf("%s/runs.jsonl", o->out_dir);
    int taken = access(jsonl, F_OK) == 0;
    free(jsonl);
    if (taken) {
        error_msg("%s already holds results; give another --out", o->out_dir);
        return RL_EXIT_USAGE;
    }
    if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST) {
        error_msg("cannot create the results folder %s: %s", o->out_dir, strerror(errno));
        return RL_EXIT_HARNESS;
    }
    json_object *j = plan_json(plan, n, o, o->shard_n, o->shard_k);
    json_object_object_add(j, "complete", json_object_new_boolean(0));
    int rc = write_shard_json(o->out_dir, j);
    int *of = shard_assign(plan, n, o->shard_n, o);
    plan_item *sub = xcalloc((size_t)n + 1, sizeof *sub);
    int n_sub = 0;
    for (int i = 0; i < n; i++)
        if (of[i] == o->shard_k)
            sub[n_sub++] = plan[i];
    char *dir = NULL;
    if (rc == 0)
        rc = drive(o, sub, n_sub, 0, &dir);
    if (dir != NULL) {
        json_object_object_add(j, "dir", jtext(dir));
        json_object_object_add(j, "complete", json_object_new_boolean(rc != RL_EXIT_INTERRUPTED));
        json_object_object_add(j, "exit_status", json_object_new_int(rc));
        rc = rl_worse_exit(rc, write_shard_json(dir, j));
    }
    free(dir);
    free(sub);
    free(of);
    json_object_put(j);
    return rc;
}

int shard_check_complete(const shard_seen *seen, int n, int total, const char *what)
{
    buffer missing = {0};
    for (int k = 1; k <= total; k++) { /* shards count from 1 */
        const shard_seen *found = NULL;
        for (int i = 0; i < n && found == NULL; i++)
            if (seen[i].k == k)
                found = &seen[i];
        if (found != NULL && found->finished)
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
    error_msg("incomplete %s: shard %s; the merged folder holds the others", what, missing.data);
    buf_free(&missing);
    return RL_EXIT_HARNESS;
}

int shard_out_is_free(const char *out)
{
    char *given = xasprintf("%s/runs.jsonl", out);
    int taken = access(given, F_OK) == 0;
    free(given);
    if (!taken)
        return 0;
    error_msg("%s already holds results; give another --out", out);
    return RL_EXIT_USAGE;
}
