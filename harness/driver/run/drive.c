/* drive.c — one session of runs, shared by `racelab run`, `rerun` and
 * `repro`: every value passed on asked of the programs that will get it,
 * stale fiu-run FIFOs removed, the results folder, the table, the runs,
 * summary.txt; and the last record written, read back. */
#include "run/drive.h"
#include "core/fifos.h"
#include "core/interrupt.h"
#include "core/json_io.h"
#include "core/paths.h"
#include "core/summary.h"
#include "report/report.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Asks the program of ITEM whether it takes the command line of that run:
 * 0, or the exit status to return after a one-line error. */
static int ask(const plan_item *item, const run_options *o)
{
    int argc = 0;
    char **argv = run_argv(item, o, &argc);
    char *why = NULL;
    int rc = program_check_args(argv[0], (const char *const *)argv + 1, argc - 1, &why);
    if (rc != 0)
        error_msg("%s: %s", item->sc->name, why != NULL ? why : "its arguments were refused");
    free(why);
    free_argv(argv);
    return rc;
}

int check_passthrough(const plan_item *plan, int n, const run_options *o)
{
    /* Each scenario's own plain program, with the command line of its first
     * run: the params, points and specs differ between scenarios. */
    for (int i = 0; i < n; i++) {
        int first = 1;
        for (int k = 0; k < i && first; k++)
            first = plan[k].sc != plan[i].sc;
        plan_item plain = plan[i];
        plain.tsan = 0;
        int rc = first ? ask(&plain, o) : 0;
        if (rc != 0)
            return rc;
    }
    /* The TSan build refuses more (malloc faults): asked once. */
    for (int i = 0; i < n; i++)
        if (plan[i].tsan)
            return plan[i].sc->tsan_built ? ask(&plan[i], o) : 0;
    return 0;
}

static void session_free(session *s)
{
    for (int i = 0; i < s->n_rows; i++)
        row_free(&s->rows[i]);
    free(s->rows);
    free(s->dir);
    memset(s, 0, sizeof *s);
}

int drive(const run_options *o, const plan_item *plan, int n, int quiet, char **dir_out)
{
    if (dir_out != NULL)
        *dir_out = NULL;
    /* `--out --seconds`: getopt took the next option for the folder */
    if (o->out_dir != NULL && o->out_dir[0] == '-') {
        error_msg("--out wants a folder, not '%s' (an option? a folder of that name: ./%s)",
                  o->out_dir, o->out_dir);
        return RL_EXIT_USAGE;
    }
    fifo_cleanup_stale();
    char *root = rl_results_root();
    session s;
    memset(&s, 0, sizeof s);
    int rc = results_open(&s, o, root);
    free(root);
    if (rc != 0)
        return rc;
    s.quiet = quiet;
    s.plan = plan;
    s.n_plan = n;
    if (o->controls) /* fixes are judged with their positive controls */
        s.finished = xcalloc((size_t)n + 1, sizeof *s.finished);
    s.tty = !quiet && isatty(1);
    const char *term = getenv("TERM");
    s.colour = s.tty && getenv("NO_COLOR") == NULL && !(term && strcmp(term, "dumb") == 0);
    s.started = now_seconds();
    signal(SIGPIPE, SIG_IGN);
    interrupt_install();
    summary_header(&s, plan, n);
    int interrupted = run_all(&s, o, plan, n);
    rc = results_close(&s, interrupted);
    int report_rc = reports_write(s.dir); /* junit.xml, results.tap, report.html */
    if (report_rc != 0 && rc == 0)
        rc = report_rc;
    if (dir_out != NULL)
        *dir_out = xstrdup(s.dir);
    results_free(&s);
    session_free(&s);
    return rc;
}

json_object *last_record(const char *dir)
{
    char *path = xasprintf("%s/runs.jsonl", dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (f == NULL)
        return NULL;
    char *line = NULL, *last = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        if (line[0] != '{')
            continue;
        free(last);
        last = xstrdup(line);
    }
    free(line);
    fclose(f);
    if (last == NULL)
        return NULL;
    json_object *rec = NULL;
    const char *err;
    if (jparse(last, strlen(last), &rec, &err) != 0 || !jis_object(rec)) {
        json_object_put(rec);
        rec = NULL;
    }
    free(last);
    return rec;
}
