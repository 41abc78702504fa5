/* report_plots.c — the plots of one results folder, as inline SVG: the
 * verdict matrix, failure rates with their intervals and the fixes' upper
 * bounds (log axis), outcome distributions with their grades, time to first
 * failure and throughput. One row per run (variant x flavour x mode). */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROW 18.0
#define TOP 30.0
#define LABEL_W 330.0
#define PLOT_W 440.0
#define NOTE_W 330.0
#define WIDTH (LABEL_W + PLOT_W + NOTE_W)

static double height(int rows) { return TOP + ROW * (rows > 0 ? rows : 1) + 24; }

static void row_label(FILE *f, const report_run *r, double y)
{
    char *key = report_key(r);
    char cls[64];
    snprintf(cls, sizeof cls, "swatch %s", rp_class_css(r->cls));
    svg_rect(f, 4, y - 10, 10, 10, cls, report_class_name(r->cls));
    svg_text(f, 20, y, "start", "row-label", key);
    free(key);
}

void plot_matrix(FILE *f, const report_run *const *runs, int n)
{
    /* Rows: scenario:variant; columns: flavour x mode, in order of appearance. */
    const report_run **rows = xcalloc(1, (size_t)(n + 1) * sizeof(const report_run *));
    int n_cols = 0, n_rows = 0;
    char **col_names = xcalloc(1, (size_t)(n + 1) * sizeof *col_names);
    for (int i = 0; i < n; i++) {
        char *c = xasprintf("%s %s", runs[i]->flavour, runs[i]->mode);
        int k = 0;
        while (k < n_cols && strcmp(col_names[k], c) != 0)
            k++;
        if (k == n_cols)
            col_names[n_cols++] = c;
        else
            free(c);
        k = 0;
        while (k < n_rows && !(strcmp(rows[k]->scenario, runs[i]->scenario) == 0 &&
                               strcmp(rows[k]->variant, runs[i]->variant) == 0))
            k++;
        if (k == n_rows)
            rows[n_rows++] = runs[i];
    }
    const double cell_w = 130, name_w = 330, exp_w = 90;
    double w = name_w + exp_w + cell_w * (n_cols ? n_cols : 1) + 10;
    svg_open(f, "plot-matrix", w, height(n_rows), "verdicts: scenarios x variants x flavours");
    for (int c = 0; c < n_cols; c++)
        svg_text(f, name_w + exp_w + cell_w * (c + 0.5), 18, "middle", "col-label", col_names[c]);
    svg_text(f, name_w + 4, 18, "start", "col-label", "expectation");
    for (int k = 0; k < n_rows; k++) {
        double y = TOP + ROW * k;
        char *name = xasprintf("%s:%s", rows[k]->scenario, rows[k]->variant);
        svg_text(f, 4, y + 12, "start", "row-label", name);
        free(name);
        svg_text(f, name_w + 4, y + 12, "start", "row-note",
                 rows[k]->expectation ? rows[k]->expectation : "?");
        for (int c = 0; c < n_cols; c++) {
            const report_run *worst = NULL;
            buffer tip = {0};
            for (int i = 0; i < n; i++) {
                char *col = xasprintf("%s %s", runs[i]->flavour, runs[i]->mode);
                int here = strcmp(col, col_names[c]) == 0 &&
                           strcmp(runs[i]->scenario, rows[k]->scenario) == 0 &&
                           strcmp(runs[i]->variant, rows[k]->variant) == 0;
                free(col);
                if (!here)
                    continue;
                if (worst == NULL || runs[i]->cls > worst->cls)
                    worst = runs[i];
                char *e = report_evidence(runs[i]);
                buf_addf(&tip, "%s%s", tip.len ? "\n" : "", e);
                free(e);
            }
            double x = name_w + exp_w + cell_w * c;
            if (worst == NULL) {
                svg_rect(f, x + 1, y + 1, cell_w - 2, ROW - 2, "cell empty", "not run");
            } else {
                char cls[96];
                snprintf(cls, sizeof cls, "cell %s vd-%s", rp_class_css(worst->cls),
                         worst->verdict ? worst->verdict : "none");
                char *t = buf_take(&tip);
                svg_rect(f, x + 1, y + 1, cell_w - 2, ROW - 2, cls, t);
                free(t);
                svg_text(f, x + cell_w / 2, y + 13, "middle", "cell-label",
                         worst->verdict ? worst->verdict : "?");
            }
            buf_free(&tip);
        }
    }
    svg_close(f);
    for (int c = 0; c < n_cols; c++)
        free(col_names[c]);
    free(col_names);
    free((void *)rows);
}

void plot_rates(FILE *f, const report_run *const *runs, int n)
{
    double lo = 1;
    for (int i = 0; i < n; i++) {
        const report_run *r = runs[i];
        if (r->trials == 0)
            continue;
        double v = r->failures > 0 ? (r->wilson_low > 0 ? r->wilson_low : r->rate) : r->upper95;
        if (v > 0 && v < lo)
            lo = v;
    }
    lo = fmax(lo / 3, 1e-12);
    rp_axis a = rp_axis_fit(lo, 1, LABEL_W, LABEL_W + PLOT_W);
    svg_open(f, "plot-rates", WIDTH, height(n),
             "per-trial failure rate with its 95% interval; fixes: the 95% upper bound");
    svg_text(f, LABEL_W, 14, "start", "col-label",
             "failures per trial (log): dot and bar = rate and 95% Wilson interval; "
             "bracket = 95% upper bound with no failure");
    svg_log_axis(f, &a, TOP - 6, TOP + ROW * n + 2, "");
    for (int i = 0; i < n; i++) {
        const report_run *r = runs[i];
        double y = TOP + ROW * i + 12;
        row_label(f, r, y);
        char *ev = report_evidence(r);
        char *note;
        if (r->trials == 0) {
            note = xstrdup("no trials");
        } else if (r->failures > 0) {
            double x_lo = rp_axis_at(&a, r->wilson_low), x_hi = rp_axis_at(&a, r->wilson_high);
            const char *cls = r->cls == RC_FIX_FAILED ? "interval bad" : "interval";
            svg_line(f, x_lo, y - 4, x_hi, y - 4, cls);
            svg_line(f, x_lo, y - 8, x_lo, y, cls);
            svg_line(f, x_hi, y - 8, x_hi, y, cls);
            svg_circle(f, rp_axis_at(&a, r->rate), y - 4, 4,
                       r->cls == RC_FIX_FAILED ? "rate bad" : "rate", ev);
            char *p = rp_prob(r->rate), *l = rp_prob(r->wilson_low), *h = rp_prob(r->wilson_high);
            note = xasprintf("%s [%s, %s] of %llu", p, l, h, r->trials);
            free(p);
            free(l);
            free(h);
        } else {
            double x = rp_axis_at(&a, r->upper95);
            svg_rect(f, a.x0, y - 7, x - a.x0, 6, "bound", ev);
            svg_line(f, x, y - 10, x, y + 2, "bound-edge");
            char *u = rp_prob(r->upper95);
            note = xasprintf("< %s (0 in %llu)%s", u, r->trials,
                             r->tsan_reports ? ", TSan reports" : "");
            free(u);
        }
        svg_text(f, LABEL_W + PLOT_W + 8, y, "start", "row-note", note);
        free(note);
        free(ev);
    }
    svg_close(f);
}

static int grade_rank(report_grade g)
{
    return g == GRADE_ACCEPTABLE ? 0 : g == GRADE_INTERESTING ? 1 : g == GRADE_FORBIDDEN ? 2 : 3;
}

void plot_outcomes(FILE *f, const report_run *const *runs, int n, const rp_grades *g)
{
    svg_open(f, "plot-outcomes", WIDTH, height(n), "outcome distribution of each run, by grade");
    svg_text(f, LABEL_W, 14, "start", "col-label",
             "share of trials by outcome (green acceptable, yellow interesting, red forbidden, "
             "grey unknown grade)");
    for (int i = 0; i < n; i++) {
        const report_run *r = runs[i];
        double y = TOP + ROW * i + 12;
        row_label(f, r, y);
        json_object *outcomes = NULL;
        if (!json_object_object_get_ex(r->rec, "outcomes", &outcomes) ||
            !json_object_is_type(outcomes, json_type_object))
            continue;
        double total = 0;
        json_object_object_foreach(outcomes, name0, c0)
        {
            (void)name0;
            total += (double)json_object_get_int64(c0);
        }
        buffer note = {0};
        double x = LABEL_W;
        for (int rank = 0; rank < 4 && total > 0; rank++) {
            json_object_object_foreach(outcomes, name, count)
            {
                long long c = json_object_get_int64(count);
                report_grade gr = rp_grades_of(g, r->scenario, name);
                if (c <= 0 || grade_rank(gr) != rank)
                    continue;
                double w = fmax(2, PLOT_W * (double)c / total);
                char cls[48];
                snprintf(cls, sizeof cls, "seg g-%s", rp_grade_name(gr));
                char *tip = xasprintf("%s (%s): %lld of %.0f trials (%.3g%%)", name,
                                      rp_grade_name(gr), c, total, 100.0 * (double)c / total);
                svg_rect(f, x, y - 10, w, 12, cls, tip);
                free(tip);
                x += w;
                char *cnt = rp_count((double)c);
                buf_addf(&note, "%s%s %s", note.len ? ", " : "", name, cnt);
                free(cnt);
            }
        }
        char *t = buf_take(&note);
        svg_text(f, LABEL_W + PLOT_W + 8, y, "start", "row-note", t);
        free(t);
    }
    svg_close(f);
}

/* A horizontal bar per row on a log axis; value(r) <= 0 leaves a row out. */
static void log_bars(FILE *f, const char *id, const char *label, const char *unit,
                     const report_run *const *runs, int n, double (*value)(const report_run *),
                     char *(*note)(const report_run *))
{
    int rows = 0;
    double lo = 0, hi = 0;
    for (int i = 0; i < n; i++) {
        double v = value(runs[i]);
        if (v <= 0)
            continue;
        rows++;
        lo = lo == 0 || v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    rp_axis a = rp_axis_fit(lo > 0 ? lo / 2 : 1e-3, hi > 0 ? hi : 1, LABEL_W, LABEL_W + PLOT_W);
    svg_open(f, id, WIDTH, height(rows), label);
    svg_text(f, LABEL_W, 14, "start", "col-label", label);
    if (rows == 0)
        svg_text(f, LABEL_W, TOP + 12, "start", "row-note", "none");
    else
        svg_log_axis(f, &a, TOP - 6, TOP + ROW * rows + 2, unit);
    int k = 0;
    for (int i = 0; i < n; i++) {
        double v = value(runs[i]);
        if (v <= 0)
            continue;
        double y = TOP + ROW * k++ + 12;
        row_label(f, runs[i], y);
        char *t = note(runs[i]);
        char cls[48];
        snprintf(cls, sizeof cls, "bar %s", rp_class_css(runs[i]->cls));
        svg_rect(f, a.x0, y - 10, rp_axis_at(&a, v) - a.x0, 11, cls, t);
        svg_text(f, LABEL_W + PLOT_W + 8, y, "start", "row-note", t);
        free(t);
    }
    svg_close(f);
}

static double ttff_value(const report_run *r)
{
    return r->has_failure && r->ff_seconds >= 0 ? fmax(r->ff_seconds, 1e-6) : 0;
}

static char *ttff_note(const report_run *r)
{
    buffer b = {0};
    buf_addf(&b, "%.3g s", r->ff_seconds);
    if (r->ff_trial >= 0)
        buf_addf(&b, ", trial %lld", r->ff_trial);
    buf_addf(&b, ": %s", r->ff_cause ? r->ff_cause : "?");
    return buf_take(&b);
}

static double tput_value(const report_run *r) { return r->trials_per_s; }

static char *tput_note(const report_run *r)
{
    char *c = rp_count(r->trials_per_s), *t = rp_count((double)r->trials);
    char *s = xasprintf("%s trials/s (%s in %.3g s)", c, t, r->seconds);
    free(c);
    free(t);
    return s;
}

void plot_ttff(FILE *f, const report_run *const *runs, int n)
{
    log_bars(f, "plot-ttff", "time to first failure (seconds, log)", "s", runs, n, ttff_value,
             ttff_note);
}

void plot_throughput(FILE *f, const report_run *const *runs, int n)
{
    log_bars(f, "plot-throughput", "throughput (trials per second, log)", "", runs, n, tput_value,
             tput_note);
}
