/* compare_main.c — `racelab compare NAME[:V1,V2,...]`: checks the command
 * line, makes the results folder, runs correctness then cost, prints the
 * comparison on stdout and into DIR/compare.txt. */
#include "compare/compare.h"
#include "core/atomic_file.h"
#include "core/interrupt.h"
#include "core/paths.h"
#include "core/results.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void free_runs(cmp_runs *runs)
{
    for (int i = 0; i < runs->n; i++) {
        json_object_put(runs->runs[i].rec);
        free(runs->runs[i].error);
    }
    free(runs->runs);
}

/* The results folder, made the way `racelab run` makes it. */
static int open_folder(const compare_opts *o, session *s)
{
    run_options ro;
    memset(&ro, 0, sizeof ro);
    ro.out_dir = o->out_dir;
    memset(s, 0, sizeof *s);
    char *root = rl_results_root();
    int rc = results_open(s, &ro, root);
    free(root);
    return rc;
}

typedef struct {
    const compare_opts *o;
    const cmp_runs *runs;
    const cmp_cost *cost;
} table;

static int table_cb(const void *ctx, FILE *f)
{
    const table *t = ctx;
    compare_print(f, t->o, t->runs, t->cost);
    return ferror(f) ? -1 : 0;
}

static int write_text(const compare_opts *o, const session *s, const cmp_runs *runs,
                      const cmp_cost *cost)
{
    char *path = xasprintf("%s/compare.txt", s->dir);
    table t = {o, runs, cost};
    int bad = atomic_write(path, table_cb, &t, ATOMIC_REPLACE) != 0; /* said in one line */
    free(path);
    path = xasprintf("%s/compare.html", s->dir);
    int rc = compare_html(path, o, runs, cost);
    free(path);
    return bad ? RL_EXIT_HARNESS : rc;
}

int cmd_compare(int argc, char **argv)
{
    compare_opts o;
    int rc = compare_parse(argc, argv, &o);
    if (rc != 0) {
        compare_opts_free(&o);
        return rc == CLI_DONE ? 0 : rc;
    }
    session s;
    rc = open_folder(&o, &s);
    if (rc != 0) {
        compare_opts_free(&o);
        return rc;
    }
    interrupt_install();
    cmp_runs runs = {0};
    cmp_cost cost;
    memset(&cost, 0, sizeof cost);
    rc = compare_check(&o, &s.sink, &runs);
    if (rc == 0 && !o.no_cost)
        rc = compare_cost(&o, &s.sink, &cost);
    if (rc == 0) {
        const cmp_cost *c = o.no_cost ? NULL : &cost;
        rc = compare_print(stdout, &o, &runs, c);
        int wrc = write_text(&o, &s, &runs, c);
        rc = rl_worse_exit(rc, wrc);
        printf("results: %s (runs.jsonl, compare.txt, compare.html)\n", relative_path(s.dir));
    } else {
        error_msg("compare stopped (%s); the finished runs are in %s/runs.jsonl",
                  rc == RL_EXIT_INTERRUPTED ? "interrupted" : "a program refused its input", s.dir);
    }
    if (s.sink.n_unwritten > 0) { /* records lost: the environment failed */
        record_sink_report(&s.sink, stderr);
        rc = rl_worse_exit(rc, RL_EXIT_HARNESS);
    }
    record_sink_free(&s.sink);
    free(s.dir);
    free_runs(&runs);
    cost_free(&cost);
    compare_opts_free(&o);
    return rc;
}
