/* report_cmd.c — the entry points: reports_write (a session's folder gets
 * junit.xml, results.tap and report.html), `racelab report DIR...` and
 * `racelab diff OLD NEW`. Files are written beside their final name and
 * renamed into place (core/atomic_file.c), so a reader never sees half a
 * report and a symlink at the name is replaced, never written through. */
#include "core/atomic_file.h"
#include "report/report.h"

#include <errno.h>
#include <getopt.h>
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

/* getopt wants the program's name first: "racelab CMD" then the rest. */
static char **with_name(const char *name, int argc, char **argv)
{
    char **v = xcalloc(1, (size_t)(argc + 2) * sizeof *v);
    v[0] = (char *)name;
    for (int i = 0; i < argc; i++)
        v[i + 1] = argv[i];
    return v;
}

static int by_date(const void *a, const void *b)
{
    const report_set *x = *(const report_set *const *)a, *y = *(const report_set *const *)b;
    int c = strcmp(x->date, y->date);
    return c != 0 ? c : strcmp(x->path, y->path);
}

static const char REPORT_USAGE[] =
    "usage: racelab report DIR... [--html FILE]\n"
    "  DIR is a results folder or its runs.jsonl. One DIR: writes DIR/junit.xml,\n"
    "  DIR/results.tap and DIR/report.html (or FILE). Several: one page over all of\n"
    "  them, by date (the newest folder's matrix and plots, a trend per variant\n"
    "  across folders, and what changed since the folder before the newest), to FILE\n"
    "  or the newest folder's report.html.\n"
    "exit status: the worst class of the newest folder: 0 all met, 4 weak evidence,\n"
    "1 a fix failed, 2 bad input, 3 harness failure or records that are not whole\n"
    "(docs/trust.md)\n";

int cmd_report(int argc, char **argv)
{
    static const struct option options[] = {
        {"html", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    char **v = with_name("racelab report", argc, argv);
    const char *html = NULL;
    int opt, rc = 0;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc + 1, v, "h", options, NULL)) != -1) {
        if (opt == 'o') {
            html = optarg;
        } else if (opt == 'h') {
            fputs(REPORT_USAGE, stdout);
            free((void *)v);
            return 0;
        } else {
            error_msg("report: unknown option or missing value '%s' (see racelab report --help)",
                      v[optind - 1]);
            free((void *)v);
            return RL_EXIT_USAGE;
        }
    }
    int n = argc + 1 - optind;
    if (n < 1) {
        error_msg("report wants at least one results folder (see racelab report --help)");
        free((void *)v);
        return RL_EXIT_USAGE;
    }
    report_set *sets = xcalloc(1, (size_t)n * sizeof *sets);
    const report_set **order = xcalloc(1, (size_t)n * sizeof(const report_set *));
    int loaded = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = report_load(v[optind + i], &sets[i]);
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
    free((void *)v);
    return rc;
}

static const char DIFF_USAGE[] =
    "usage: racelab diff OLD NEW [--json FILE] [--alpha A] [--band F]\n"
    "  OLD and NEW are results folders or runs.jsonl files. One row per variant x\n"
    "  flavour x mode: regression (a fix that held now fails), detector-regression (a\n"
    "  racy variant that reproduced no longer does), fixed, inconclusive, error...;\n"
    "  failure-rate changes by Fisher's exact test (two-sided, p printed; a change\n"
    "  when p < A, default 0.01), time to first failure by an F test on the mean\n"
    "  times (exponential model), trials/s by Welch's t on repeated figures or,\n"
    "  with one figure a side, outside a band of x(1+F) (default F 1: a factor 2).\n"
    "  --json FILE   the rows as JSON ('-' for stdout, the table then to stderr)\n"
    "exit status: the worst class of the rows (the new folder's): 0 all met, 4 weak\n"
    "evidence, 1 a fix failed, 2 bad input, 3 harness failure or records that are not\n"
    "whole (docs/trust.md)\n";

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
    static const struct option options[] = {{"json", required_argument, NULL, 'j'},
                                            {"alpha", required_argument, NULL, 'a'},
                                            {"band", required_argument, NULL, 'b'},
                                            {"help", no_argument, NULL, 'h'},
                                            {0, 0, 0, 0}};
    char **v = with_name("racelab diff", argc, argv);
    const char *json = NULL;
    double alpha = DEFAULT_ALPHA, band = DEFAULT_BAND;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc + 1, v, "h", options, NULL)) != -1) {
        int bad = 0;
        if (opt == 'j')
            json = optarg;
        else if (opt == 'a')
            bad = parse_fraction(optarg, 0, 1, &alpha) != 0;
        else if (opt == 'b')
            bad = parse_fraction(optarg, 0, 100, &band) != 0;
        else if (opt == 'h') {
            fputs(DIFF_USAGE, stdout);
            free((void *)v);
            return 0;
        } else {
            error_msg("diff: unknown option or missing value '%s' (see racelab diff --help)",
                      v[optind - 1]);
            free((void *)v);
            return RL_EXIT_USAGE;
        }
        if (bad) {
            error_msg("diff: --%s wants a number in (0, %s), not '%s'",
                      opt == 'a' ? "alpha" : "band", opt == 'a' ? "1" : "100", optarg);
            free((void *)v);
            return RL_EXIT_USAGE;
        }
    }
    if (argc + 1 - optind != 2) {
        error_msg("diff wants two results folders or runs.jsonl files, OLD and NEW");
        free((void *)v);
        return RL_EXIT_USAGE;
    }
    report_set old_set, new_set;
    int rc = report_load(v[optind], &old_set);
    if (rc == 0) {
        rc = report_load(v[optind + 1], &new_set);
        if (rc != 0)
            report_set_free(&old_set);
    }
    free((void *)v);
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
