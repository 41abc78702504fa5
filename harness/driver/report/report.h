/* report.h — what a results folder says to a CI and to a person: JUnit XML,
 * TAP, one self-contained HTML page with inline SVG plots, a page over many
 * nights, and what changed between two folders.
 *
 *   report_load.c    runs.jsonl (json-c) into runs, their fields and dates
 *   report_class.c   a run's class (met, fix failed, weak evidence...), exit
 *                    statuses and their order, the evidence and rerun lines
 *   report_text.c    a growing string, XML/HTML escaping, number formats
 *   report_junit.c   DIR/junit.xml
 *   report_tap.c     DIR/results.tap (TAP version 13)
 *   report_grades.c  outcome grades: the scenario's --describe, else inferred
 *   report_svg.c     SVG primitives and a log axis
 *   report_plots.c   the plots of one folder (matrix, rates, outcomes, times)
 *   report_trend.c   the plots across folders (one line per variant, by date)
 *   report_html.c    the page: style, sections, tables
 *   report_stats.c   Fisher's exact test, F and t distributions
 *   report_diff.c    what changed between two folders: rows, table, JSON
 *   report_cmd.c     reports_write, `racelab report`, `racelab diff`
 */
#ifndef RL_REPORT_H
#define RL_REPORT_H

#include "core/util.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

/* ---- entry points ------------------------------------------------------ */

/* Reads DIR/runs.jsonl, writes DIR/junit.xml, DIR/results.tap and
 * DIR/report.html. Returns 0, 2 (no or malformed runs.jsonl) or 3 (a file
 * that cannot be written), after a one-line message on stderr. */
int reports_write(const char *dir);
/* racelab report DIR... [--html FILE] */
int cmd_report(int argc, char **argv);
/* racelab diff OLD NEW [--json FILE] [--alpha A] [--band F] */
int cmd_diff(int argc, char **argv);

/* ---- classes and exit statuses (report_class.c) ------------------------ */

/* What one run means, mildest first. */
typedef enum {
    RC_MET,        /* the expectation met */
    RC_SKIPPED,    /* met null: not judged in this flavour or mode */
    RC_WEAK,       /* a racy variant not reproduced, a fix inconclusive */
    RC_FIX_FAILED, /* a holds/benign variant showed a failure */
    RC_BAD_INPUT,  /* the program refused its input */
    RC_ERROR       /* nothing usable was measured: the harness failed */
} report_class;

const char *report_class_name(report_class c); /* met, skipped, weak-evidence... */
int report_class_exit(report_class c);

/* ---- runs (report_load.c) ---------------------------------------------- */

typedef struct {
    json_object *rec; /* the record (owned by its set) */
    int line;         /* in runs.jsonl, from 1 */
    const char *scenario, *variant, *expectation, *caught_by, *mode, *flavour, *verdict;
    const char *run_id, *finished_at, *error, *stacks_file;
    int met; /* 1, 0, or -1 for null */
    report_class cls;
    unsigned long long trials, failures, forbidden, interesting, tsan_reports, hangs, crashes;
    double seconds, trials_per_s, rate, wilson_low, wilson_high, upper95;
    int has_failure; /* first_failure is an object */
    double ff_seconds;
    long long ff_trial; /* -1: unknown */
    const char *ff_cause;
    int interrupted;
    char *invalid; /* why the record is not whole and typed (class error), or NULL */
} report_run;

typedef struct {
    char *path;  /* the folder or file as given */
    char *jsonl; /* its runs.jsonl */
    char *dir;   /* the folder holding it */
    char *date;  /* the first run's finished_at, else the folder's name */
    report_run *runs;
    int n;
} report_set;

/* PATH is a results folder or a runs.jsonl file. Returns 0; 2 after a one-line message when
 * PATH is missing or unreadable; 3 (docs/trust.md, rule 1) when the file is not whole records
 * against the plan it claims: a line that is not a record, a torn last line, no record, a run
 * twice, or (with DIR/shard.json) a run outside the plan or missing from a finished one. A
 * record that is not whole and typed is kept with class error (run.invalid says why). */
int report_load(const char *path, report_set *set);
void report_set_free(report_set *set);
/* The runs in reading order: scenario, variant (each by first appearance),
 * flavour, mode. Returns a new array of pointers into the set. */
const report_run **report_sorted(const report_set *set);
/* "scenario:variant flavour mode" */
char *report_key(const report_run *r);
/* The worst class of a set's runs, as an exit status. */
int report_set_exit(const report_set *set);

/* ---- text (report_text.c) ---------------------------------------------- */

/* Escaped for XML text and attributes (HTML too); control characters that
 * XML 1.0 forbids become U+FFFD. */
void rp_xml(FILE *f, const char *text);
/* A count the way a person reads it: 1234567 -> "1.23M". */
char *rp_count(double v);
/* A probability: 0, 1.2e-05, 0.0312. */
char *rp_prob(double p);
/* The contents of a small text file (at most max bytes), or NULL. */
char *rp_read_file(const char *path, size_t max, int *truncated);

/* ---- evidence (report_class.c) ----------------------------------------- */

/* racelab rerun JSONL --line N */
char *report_rerun_command(const report_set *set, const report_run *r);
/* One line: verdict, counts, first failure, bound or interval. */
char *report_evidence(const report_run *r);
/* TSan sites and hang stacks as plain text (NULL: none). */
char *report_details(const report_run *r);

/* ---- outcome grades (report_grades.c) ------------------------------------- */

typedef enum { GRADE_ACCEPTABLE, GRADE_INTERESTING, GRADE_FORBIDDEN, GRADE_UNKNOWN } report_grade;

typedef struct rp_grades rp_grades;
/* Grades of every scenario in SET: from each program's --describe when the
 * record's program is there, else inferred from the records. */
rp_grades *rp_grades_load(const report_set *set);
report_grade rp_grades_of(const rp_grades *g, const char *scenario, const char *outcome);
int rp_grades_from_descriptor(const rp_grades *g, const char *scenario);
const char *rp_grade_name(report_grade g);
void rp_grades_free(rp_grades *g);

/* ---- writers ----------------------------------------------------------- */

int rp_junit_write(const report_set *set, FILE *f);
int rp_tap_write(const report_set *set, FILE *f);

/* ---- SVG (report_svg.c) ------------------------------------------------ */

typedef struct {
    int lo, hi;    /* decades: 10^lo .. 10^hi */
    double x0, x1; /* pixels */
} rp_axis;

void svg_open(FILE *f, const char *id, double w, double h, const char *label);
void svg_close(FILE *f);
void svg_rect(FILE *f, double x, double y, double w, double h, const char *cls, const char *tip);
void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *cls);
void svg_circle(FILE *f, double cx, double cy, double r, const char *cls, const char *tip);
void svg_text(FILE *f, double x, double y, const char *anchor, const char *cls, const char *text);
void svg_polyline(FILE *f, const double *xs, const double *ys, int n, const char *cls);
/* The decades around [lo, hi] (both > 0), at least one. */
rp_axis rp_axis_fit(double lo, double hi, double x0, double x1);
double rp_axis_at(const rp_axis *a, double v); /* v clamped into the axis */
/* Ticks at each decade with labels, grid lines from y0 to y1, labels at y1. */
void svg_log_axis(FILE *f, const rp_axis *a, double y0, double y1, const char *unit);
/* The same axis standing up: x0/x1 are the bottom and top pixels. */
void svg_log_axis_v(FILE *f, const rp_axis *a, double x_left, double x_right, const char *unit);

/* ---- plots and page (report_plots.c, report_trend.c, report_html.c) ---- */

void plot_matrix(FILE *f, const report_run *const *runs, int n);
void plot_rates(FILE *f, const report_run *const *runs, int n);
void plot_outcomes(FILE *f, const report_run *const *runs, int n, const rp_grades *g);
void plot_ttff(FILE *f, const report_run *const *runs, int n);
void plot_throughput(FILE *f, const report_run *const *runs, int n);
/* One line per variant x flavour x mode across the sets, by date. */
void plot_trends(FILE *f, const report_set *const *sets, int n_sets);

struct rp_diff_result;
/* The page over the newest set (sets sorted by date, oldest first), with
 * trends when there are several and the diff when one is given. */
int rp_html_write(FILE *f, const report_set *const *sets, int n_sets,
                  const struct rp_diff_result *diff);
const char *rp_class_css(report_class c); /* v-met, v-fails... */

/* ---- statistics (report_stats.c) --------------------------------------- */

/* Two-sided Fisher's exact test of a 2x2 table [a b; c d]. */
double rp_fisher(unsigned long long a, unsigned long long b, unsigned long long c,
                 unsigned long long d);
/* Regularised incomplete beta I_x(a, b). */
double rp_incbeta(double a, double b, double x);
/* P(F <= x) for F(d1, d2). */
double rp_f_cdf(double x, double d1, double d2);
/* Two-sided p of Student's t with nu degrees of freedom. */
double rp_t_two_sided(double t, double nu);
/* The 95% Wilson interval of f failures in n trials, and the one-sided 95%
 * upper bound (exact for no failure: 1 - 0.05^(1/n)), as the grader says. */
void rp_wilson(unsigned long long f, unsigned long long n, double *lo, double *hi);
double rp_upper95(unsigned long long f, unsigned long long n);
/* The two-sided 97.5% quantile of Student's t (for a 95% interval). */
double rp_t_q975(double nu);

/* ---- diff (report_diff.c) ---------------------------------------------- */

typedef struct {
    int n;               /* records */
    report_class cls;    /* the worst of them */
    const char *verdict; /* of the worst */
    unsigned long long trials, failures;
    double rate, wilson_low, wilson_high, upper95;
    double *ttff; /* first-failure seconds of the records that failed */
    int n_ttff;
    double *tput; /* trials/s of the records */
    int n_tput;
    int line; /* of the worst record */
} rp_diff_side;

typedef struct {
    char *scenario, *variant, *flavour, *mode, *expectation;
    int has_old, has_new;
    rp_diff_side old, new_;
    const char *change;        /* regression, detector-regression, fixed, ... */
    report_class cls;          /* what this row asks of the exit status */
    double rate_p;             /* Fisher's exact test, -1: not tested */
    const char *rate_change;   /* up, down, same, NULL */
    double ttff_ratio, ttff_p; /* new/old mean; p of F(2m, 2n); -1: none */
    const char *ttff_change;
    double tput_ratio, tput_low, tput_high; /* new/old, 95% interval; -1: none */
    const char *tput_change;
    const char *tput_basis; /* "welch" (repeated figures) or "band" */
} rp_diff_row;

typedef struct rp_diff_result {
    char *old_path, *new_path, *old_date, *new_date;
    char *old_jsonl, *new_jsonl;
    double alpha, band;
    rp_diff_row *rows;
    int n;
    int exit_status;
} rp_diff_result;

void rp_diff_compute(const report_set *old_set, const report_set *new_set, double alpha,
                     double band, rp_diff_result *d);
void rp_diff_print(const rp_diff_result *d, FILE *f);
json_object *rp_diff_to_json(const rp_diff_result *d);
void rp_diff_free(rp_diff_result *d);
/* The diff as an HTML table. */
void rp_diff_html(FILE *f, const rp_diff_result *d);

#endif
