/* report_trend.c — the plots across results folders (nights), by date:
 * one small panel per variant x flavour x mode, for the failure rate with
 * its 95% interval (a fix with no failure: its upper bound, hollow), the
 * time to first failure and the throughput, each on a log axis. */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PANEL_W 270.0
#define PANEL_H 120.0
#define COLS 4
#define PAD_L 44.0
#define PAD_T 18.0
#define PAD_B 18.0

typedef struct {
    int present;
    unsigned long long trials, failures;
    double rate, lo, hi, upper95;
    double ttff, tput; /* means over the records; 0: none */
    report_class cls;
} night;

typedef enum { M_RATE, M_TTFF, M_TPUT } metric;

static void gather(const report_set *set, const char *key, night *out)
{
    memset(out, 0, sizeof *out);
    int n_ttff = 0, n_tput = 0;
    for (int i = 0; i < set->n; i++) {
        const report_run *r = &set->runs[i];
        char *k = report_key(r);
        int same = strcmp(k, key) == 0;
        free(k);
        if (!same)
            continue;
        if (!out->present || r->cls > out->cls)
            out->cls = r->cls;
        out->present = 1;
        out->trials += r->trials;
        out->failures += r->failures;
        if (r->has_failure && r->ff_seconds >= 0) {
            out->ttff += fmax(r->ff_seconds, 1e-6);
            n_ttff++;
        }
        if (r->trials_per_s > 0) {
            out->tput += r->trials_per_s;
            n_tput++;
        }
    }
    if (n_ttff)
        out->ttff /= n_ttff;
    if (n_tput)
        out->tput /= n_tput;
    if (out->trials > 0) {
        out->rate = (double)out->failures / (double)out->trials;
        rp_wilson(out->failures, out->trials, &out->lo, &out->hi);
        out->upper95 = rp_upper95(out->failures, out->trials);
    }
}

static double value(const night *v, metric m)
{
    switch (m) {
    case M_RATE: return v->failures > 0 ? v->rate : v->upper95;
    case M_TTFF: return v->ttff;
    case M_TPUT: return v->tput;
    }
    return 0;
}

static void panel(FILE *f, const char *key, const night *nights, int n,
                  const report_set *const *sets, metric m, double ox, double oy)
{
    double lo = 0, hi = 0;
    for (int i = 0; i < n; i++) {
        double v = value(&nights[i], m);
        if (m == M_RATE && nights[i].failures > 0 && nights[i].lo > 0)
            v = fmin(v, nights[i].lo);
        if (v > 0 && (lo == 0 || v < lo))
            lo = v;
        double top = m == M_RATE && nights[i].failures > 0 ? nights[i].hi : value(&nights[i], m);
        if (top > hi)
            hi = top;
    }
    fprintf(f, "<g class=\"panel\" transform=\"translate(%.1f,%.1f)\">\n", ox, oy);
    svg_rect(f, 0, 0, PANEL_W - 6, PANEL_H - 6, "panel-frame", NULL);
    svg_text(f, 4, 12, "start", "panel-title", key);
    double x0 = PAD_L, x1 = PANEL_W - 16, y_bottom = PANEL_H - 6 - PAD_B, y_top = PAD_T + 4;
    if (hi <= 0) {
        svg_text(f, x0, y_top + 30, "start", "row-note", m == M_TTFF ? "no failure" : "no data");
        fputs("</g>\n", f);
        return;
    }
    rp_axis a = rp_axis_fit(lo / 1.5, m == M_RATE ? fmin(1, hi * 1.2) : hi * 1.2, y_bottom, y_top);
    if (a.hi - a.lo > 4)
        a.lo = a.hi - 4; /* keep the panel readable: 4 decades */
    svg_log_axis_v(f, &a, x0, x1, m == M_TTFF ? "s" : "");
    double *xs = xcalloc(1, (size_t)n * sizeof *xs), *ys = xcalloc(1, (size_t)n * sizeof *ys);
    int k = 0;
    for (int i = 0; i < n; i++) {
        double x = n == 1 ? (x0 + x1) / 2 : x0 + 8 + (x1 - x0 - 16) * i / (n - 1);
        if (i == 0 || i == n - 1) {
            /* MM-DD, or hh:mm when the first and last folder share a day */
            const char *first = sets[0]->date, *last = sets[n - 1]->date, *d = sets[i]->date;
            int same_day =
                strlen(first) >= 16 && strlen(last) >= 16 && strncmp(first, last, 10) == 0;
            char day[16];
            snprintf(day, sizeof day, "%.5s", same_day ? d + 11 : strlen(d) >= 10 ? d + 5 : d);
            svg_text(f, x, y_bottom + 13, "middle", "tick-label", day);
        }
        double v = value(&nights[i], m);
        if (!nights[i].present || v <= 0)
            continue;
        double y = rp_axis_at(&a, v);
        char *tip;
        if (m == M_RATE && nights[i].failures > 0) {
            svg_line(f, x, rp_axis_at(&a, nights[i].lo), x, rp_axis_at(&a, nights[i].hi),
                     "interval");
            tip = xasprintf("%s: rate %.3g [%.3g, %.3g], %llu of %llu", sets[i]->date, v,
                            nights[i].lo, nights[i].hi, nights[i].failures, nights[i].trials);
        } else if (m == M_RATE) {
            tip = xasprintf("%s: no failure in %llu trials, upper bound %.3g", sets[i]->date,
                            nights[i].trials, v);
        } else {
            tip = xasprintf("%s: %.4g%s", sets[i]->date, v, m == M_TTFF ? " s" : " trials/s");
        }
        char cls[64];
        snprintf(cls, sizeof cls, "%s %s",
                 m == M_RATE && nights[i].failures == 0 ? "pt hollow" : "pt",
                 rp_class_css(nights[i].cls));
        svg_circle(f, x, y, 3.5, cls, tip);
        free(tip);
        xs[k] = x;
        ys[k] = y;
        k++;
    }
    svg_polyline(f, xs, ys, k, "trend-line");
    free(xs);
    free(ys);
    fputs("</g>\n", f);
}

static char **keys_of(const report_set *const *sets, int n_sets, int *n_out)
{
    int cap = 16, n = 0;
    char **keys = xcalloc(1, (size_t)cap * sizeof *keys);
    for (int s = n_sets - 1; s >= 0; s--) { /* the newest night's order first */
        const report_run **runs = report_sorted(sets[s]);
        for (int i = 0; i < sets[s]->n; i++) {
            char *k = report_key(runs[i]);
            int seen = 0;
            for (int j = 0; j < n && !seen; j++)
                seen = strcmp(keys[j], k) == 0;
            if (seen) {
                free(k);
                continue;
            }
            if (n == cap) {
                cap *= 2;
                char **more = xcalloc(1, (size_t)cap * sizeof *more);
                memcpy(more, keys, (size_t)n * sizeof *keys);
                free(keys);
                keys = more;
            }
            keys[n++] = k;
        }
        free(runs);
    }
    *n_out = n;
    return keys;
}

static void one_metric(FILE *f, const char *id, const char *label, metric m, char **keys,
                       int n_keys, const report_set *const *sets, int n_sets)
{
    int rows = (n_keys + COLS - 1) / COLS;
    svg_open(f, id, PANEL_W * COLS, PANEL_H * (rows ? rows : 1), label);
    night *nights = xcalloc(1, (size_t)n_sets * sizeof *nights);
    for (int k = 0; k < n_keys; k++) {
        for (int s = 0; s < n_sets; s++)
            gather(sets[s], keys[k], &nights[s]);
        int row = k / COLS, col = k % COLS;
        panel(f, keys[k], nights, n_sets, sets, m, PANEL_W * col, PANEL_H * row);
    }
    free(nights);
    svg_close(f);
}

void plot_trends(FILE *f, const report_set *const *sets, int n_sets)
{
    int n_keys = 0;
    char **keys = keys_of(sets, n_sets, &n_keys);
    fputs("<h3>Failure rate</h3>\n", f);
    one_metric(f, "plot-trend-rate", "failure rate per night with its 95% interval", M_RATE, keys,
               n_keys, sets, n_sets);
    fputs("<h3>Time to first failure</h3>\n", f);
    one_metric(f, "plot-trend-ttff", "time to first failure per night", M_TTFF, keys, n_keys, sets,
               n_sets);
    fputs("<h3>Throughput</h3>\n", f);
    one_metric(f, "plot-trend-throughput", "trials per second per night", M_TPUT, keys, n_keys,
               sets, n_sets);
    for (int k = 0; k < n_keys; k++)
        free(keys[k]);
    free(keys);
}
