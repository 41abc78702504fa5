/* drive.c — one session of runs, shared by `racelab run`, `rerun` and
 * `repro`: the options only the programs can judge asked of one of them,
 * stale fiu-run FIFOs removed, the results folder, the table, the runs,
 * summary.txt; and the last record written, read back. */
#include "driver.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int check_passthrough(const plan_item *plan, int n, const run_options *o)
{
    if (o->profile == NULL && o->n_posix_faults == 0)
        return 0;
    if (o->profile != NULL && (o->mode == NULL || strcmp(o->mode, "fuzz") != 0)) {
        error_msg("--profile needs --mode fuzz (a profile is delays at every point)");
        return EXIT_USAGE;
    }
    int n_args = 0;
    const char **args = xcalloc(2 + 2 * (size_t)o->n_posix_faults, sizeof *args);
    if (o->profile != NULL) {
        args[n_args++] = "--profile";
        args[n_args++] = o->profile;
    }
    for (int i = 0; i < o->n_posix_faults; i++) {
        args[n_args++] = "--posix-faults";
        args[n_args++] = o->posix_faults[i];
    }
    /* The same parser is in every program; the TSan build refuses more
     * (malloc faults), so each flavour is asked once. */
    int rc = 0;
    for (int tsan = 0; tsan <= 1 && rc == 0; tsan++) {
        const plan_item *first = NULL;
        for (int i = 0; i < n && first == NULL; i++)
            if (plan[i].tsan == tsan)
                first = &plan[i];
        if (first == NULL || (tsan && !first->sc->tsan_built))
            continue;
        char *why = NULL;
        int status = program_check_args(tsan ? first->sc->tsan_path : first->sc->plain_path, args,
                                        n_args, &why);
        if (status == EXIT_USAGE) {
            error_msg("%s", why != NULL ? why : "--profile or --posix-faults refused");
            rc = EXIT_USAGE;
        }
        free(why);
    }
    free(args);
    return rc;
}

int drive(const run_options *o, const plan_item *plan, int n, int quiet, char **dir_out)
{
    if (dir_out != NULL)
        *dir_out = NULL;
    fifo_cleanup_stale();
    char *here = self_dir();
    char *root = xasprintf("%s/../results", here);
    free(here);
    session s;
    memset(&s, 0, sizeof s);
    int rc = results_open(&s, o, root);
    free(root);
    if (rc != 0)
        return rc;
    s.quiet = quiet;
    s.tty = !quiet && isatty(1);
    const char *term = getenv("TERM");
    s.colour = s.tty && getenv("NO_COLOR") == NULL && !(term && strcmp(term, "dumb") == 0);
    signal(SIGPIPE, SIG_IGN);
    interrupt_install();
    summary_header(&s, plan, n);
    int interrupted = run_all(&s, o, plan, n);
    rc = results_close(&s, interrupted);
    if (dir_out != NULL)
        *dir_out = xstrdup(s.dir);
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
