/* report_cmd.c — the entry points: reports_write (a session's folder gets
 * junit.xml, results.tap and report.html), `racelab report DIR...` and
 * `racelab diff OLD NEW`. Files are written beside their final name and
 * renamed into place (core/atomic_file.c), so a reader never sees half a
 * report and a symlink at the name is replaced, never written through. */
#include "core/atomic_file.h"
#include "core/cli.h"
#include "report/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ALPHA 0.01
#define DEFAULT_BAND 1.0

static int write_file(const char *path, atomic_writer w, const void *ctx)
{
    return atomic_write(path, w, ctx, ATOMIC_REPLACE) == 0 ? 0 : RL_EXIT_HARNESS;
}

static int junit_cb(const void *ctx, FILE *f) { return rp_junit_write(ctx, f); }
static int tap_cb(const void *ctx, FILE *f) { return rp_tap_write(ctx, f); }

typedef struct {
    const report_set *const *sets;
    int n;
    const rp_diff_result *diff;
} page;

static int html_cb(const void *ctx, FILE *f)
{
    const page *p = ctx;
    return rp_html_write(f, p->sets, p->n, p->diff);
}

static char *in_dir(const report_set *set, const char *name)
{
    return xasprintf("%s/%s", set->dir, name);
}

static int write_folder(const report_set *set, const char *html_path)
{
    const report_set *one[1] = {set};
    page p = {one, 1, NULL};
    char *junit = in_dir(set, "junit.xml"), *tap = in_dir(set, "results.tap");
    char *html = html_path ? xstrdup(html_path) : in_dir(set, "report.html");
    int rc = write_file(junit, junit_cb, set);
    if (rc == 0)
        rc = write_file(tap, tap_cb, set);
    if (rc == 0)
        rc = write_file(html, html_cb, &p);
    free(junit);
    free(tap);
    free(html);
    return rc;
}

int reports_write(const char *dir)
{
    report_set set;
    int rc = report_load(dir, &set);
    if (rc != 0)
        return rc;
    rc = write_folder(&set, NULL);
    report_set_free(&set);
    return rc;
}

static int by_date(const void *a, const void *b)
{
    const report_set *x = *(const report_set *const *)a, *y = *(const report_set *const *)b;
    int c = strcmp(x->date, y->date);
    return c != 0 ? c : strcmp(x->path, y->path);
}

/* The options of report and diff, checked and kept. */
typedef struct {
    const char *html, *json;
    double alpha, band;
} report_opts;

static int parse_fraction(const char *text, double lo, double hi, double *out);

static int take(void *ctx, int id, const char *value)
{
    report_opts *o = ctx;
    switch (id) {
    case OPT_HTML: o->html = value; return 0;
    case OPT_JSON: o->json = value; return 0;
    case OPT_ALPHA:
    case OPT_BAND:
        if (parse_fraction(value, 0, id == OPT_ALPHA ? 1 : 100,
                           id == OPT_ALPHA ? &o->alpha : &o->band) != 0) {
            error_msg("diff: --%s wants a number in (0, %s), not '%s'",
                      id == OPT_ALPHA ? "alpha" : "band", id == OPT_ALPHA ? "1" : "100", value);
            return RL_EXIT_USAGE;
        }
        return 0;
    default: return RL_EXIT_USAGE;
    }
}

int cmd_report(int argc, char **argv)
{
    char **words = xcalloc((size_t)argc + 1, sizeof *words);
    report_opts ro = {0};
    int n = 0, rc = cli_parse("report", argc, argv, take, &ro, words, &n);
    const char *html = ro.html;
    if (rc != 0) {
        free((void *)words);
        return rc == CLI_DONE ? 0 : rc;
    }
    if (n < 1) {
        error_msg("report wants at least one results folder (see racelab report --help)");
        free((void *)words);
        return RL_EXIT_USAGE;
    }
    report_set *sets = xcalloc(1, (size_t)n * sizeof *sets);
    const report_set **order = xcalloc(1, (size_t)n * sizeof(const report_set *));
    int loaded = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = report_load(words[i], &sets[i]);
        if (rc == 0)
            order[loaded++] = &sets[i];
    }
    if (rc == 0) {
        qsort((void *)order, (size_t)n, sizeof(const report_set *), by_date);
        const report_set *newest = order[n - 1];
        if (n == 1) {
            rc = write_folder(newest, html);
        } else {
            rp_diff_result diff;
            rp_diff_compute(order[n - 2], newest, DEFAULT_ALPHA, DEFAULT_BAND, &diff);
            page p = {order, n, &diff};
            char *path = html ? xstrdup(html) : in_dir(newest, "report.html");
            rc = write_file(path, html_cb, &p);
            if (rc == 0)
                printf("report: %s\n", path);
            free(path);
            rp_diff_free(&diff);
        }
        if (rc == 0)
            rc = report_set_exit(newest);
    }
    for (int i = 0; i < loaded; i++)
        report_set_free((report_set *)order[i]);
    free((void *)order);
    free(sets);
    free((void *)words);
    return rc;
}

static int parse_fraction(const char *text, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v > lo) || !(v < hi))
        return -1;
    *out = v;
    return 0;
}

int cmd_diff(int argc, char **argv)
{
    char **words = xcalloc((size_t)argc + 1, sizeof *words);
    report_opts ro = {.alpha = DEFAULT_ALPHA, .band = DEFAULT_BAND};
    int n = 0, rc = cli_parse("diff", argc, argv, take, &ro, words, &n);
    if (rc == 0 && n != 2) {
        error_msg("diff wants two results folders or runs.jsonl files, OLD and NEW");
        rc = RL_EXIT_USAGE;
    }
    if (rc != 0) {
        free((void *)words);
        return rc == CLI_DONE ? 0 : rc;
    }
    const char *json = ro.json;
    double alpha = ro.alpha, band = ro.band;
    report_set old_set, new_set;
    rc = report_load(words[0], &old_set);
    if (rc == 0) {
        rc = report_load(words[1], &new_set);
        if (rc != 0)
            report_set_free(&old_set);
    }
    free((void *)words);
    if (rc != 0)
        return rc;
    rp_diff_result d;
    rp_diff_compute(&old_set, &new_set, alpha, band, &d);
    int to_stdout = json != NULL && strcmp(json, "-") == 0;
    rc = d.exit_status;
    char *line = NULL;
    if (json != NULL) {
        json_object *j = rp_diff_to_json(&d);
        line = xasprintf("%s\n", json_object_to_json_string_ext(
                                     j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
    }
    /* the file first: the table's "exit status" line then says a failed write too */
    if (json != NULL && !to_stdout &&
        atomic_write_text(json, line, strlen(line), ATOMIC_REPLACE) != 0)
        rc = d.exit_status = rl_worse_exit(rc, RL_EXIT_HARNESS);
    rp_diff_print(&d, to_stdout ? stderr : stdout);
    if (to_stdout && (fputs(line, stdout) < 0 || fflush(stdout) != 0)) {
        error_msg("cannot write the diff to stdout: %s", strerror(errno));
        rc = RL_EXIT_HARNESS;
    }
    free(line);
    rp_diff_free(&d);
    report_set_free(&old_set);
    report_set_free(&new_set);
    return rc;
}
