/* compare_html.c — DIR/compare.html: the comparison's text and, per cost
 * mode, a plot of each candidate's trials/s (log axis) against the knob's
 * values, drawn with the report's SVG helpers (report_svg.c). One file, no
 * script, nothing loaded (a content security policy forbids it). */
#include "compare/compare.h"
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#define W 560.0
#define H 260.0
#define LEFT 70.0
#define RIGHT 150.0
#define TOP 20.0
#define BOTTOM 40.0

static const char STYLE[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}pre{font-size:12px;background:#f6f6f6;"
    "padding:1em;overflow-x:auto}.grid{stroke:#ddd}.tick{stroke:#999}.axis-line{stroke:#444}"
    ".tick-label,.label{font-size:11px;fill:#333}.c0{stroke:#1f77b4;fill:#1f77b4}"
    ".c1{stroke:#d62728;fill:#d62728}.c2{stroke:#2ca02c;fill:#2ca02c}"
    ".c3{stroke:#9467bd;fill:#9467bd}polyline{fill:none!important;stroke-width:2}"
    "text{stroke:none!important}\n";

static void plot_mode(FILE *f, const compare_opts *o, const cmp_cost *c, int m)
{
    double lo = 0, hi = 0;
    for (int i = 0; i < c->n_cands; i++)
        for (int k = 0; k < c->n_values; k++) {
            double g = cost_geomean(c, i, m, k);
            if (g > 0 && (lo == 0 || g < lo))
                lo = g;
            hi = g > hi ? g : hi;
        }
    if (lo <= 0)
        return;
    char *label =
        xasprintf("trials/s in %s mode against %s", c->modes[m], o->knob ? o->knob : "(no knob)");
    fprintf(f, "<h2>Cost, %s mode</h2>\n", c->modes[m]);
    svg_open(f, c->modes[m], W, H, label);
    rp_axis y = rp_axis_fit(lo, hi, H - BOTTOM, TOP);
    svg_log_axis_v(f, &y, LEFT, W - RIGHT, "/s");
    double step = c->n_values > 1 ? (W - LEFT - RIGHT - 40) / (c->n_values - 1) : 0;
    for (int k = 0; k < c->n_values; k++)
        svg_text(f, LEFT + 20 + k * step, H - BOTTOM + 16, "middle", "label",
                 o->n_knob_values ? o->knob_values[k] : "");
    for (int i = 0; i < c->n_cands; i++) {
        double xs[CMP_MAX_VALUES], ys[CMP_MAX_VALUES];
        char cls[8];
        snprintf(cls, sizeof cls, "c%d", i % 4);
        int n = 0;
        for (int k = 0; k < c->n_values; k++) {
            double g = cost_geomean(c, i, m, k);
            if (g <= 0)
                continue;
            xs[n] = LEFT + 20 + k * step;
            ys[n] = rp_axis_at(&y, g);
            char *count = rp_count(g);
            char *tip = xasprintf("%s: %s trials/s", o->cands[i]->name, count);
            svg_circle(f, xs[n], ys[n], 3.5, cls, tip);
            free(count);
            free(tip);
            n++;
        }
        if (n > 1)
            svg_polyline(f, xs, ys, n, cls);
        svg_text(f, W - RIGHT + 10, TOP + 14 * (i + 1), "start", cls, o->cands[i]->name);
    }
    svg_close(f);
    free(label);
}

int compare_html(const char *path, const compare_opts *o, const cmp_runs *runs,
                 const cmp_cost *cost)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        return RL_EXIT_HARNESS;
    compare_print(mem, o, runs, cost);
    fclose(mem);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        free(text);
        error_msg("cannot write %s", path);
        return RL_EXIT_HARNESS;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n<title>racelab compare: ",
          f);
    rp_xml(f, o->sc->name);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>racelab compare ", STYLE);
    rp_xml(f, o->sc->name);
    fputs("</h1>\n", f);
    for (int m = 0; cost != NULL && m < cost->n_modes; m++)
        plot_mode(f, o, cost, m);
    fputs("<h2>Correctness, cost and the decision</h2>\n<pre>", f);
    rp_xml(f, text);
    fputs("</pre>\n</body>\n</html>\n", f);
    free(text);
    return fclose(f) == 0 ? 0 : RL_EXIT_HARNESS;
}
