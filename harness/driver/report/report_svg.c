/* report_svg.c — the SVG the plots are drawn with, written by racelab
 * itself: no library, no script, colours from the page's style sheet (by
 * class), a <title> on every mark for its exact figures. Coordinates are
 * rounded to 0.1 px so that two reports of the same runs diff cleanly. */
#include "report/report.h"

#include <math.h>
#include <string.h>

static void tip(FILE *f, const char *text)
{
    if (text == NULL)
        return;
    fputs("<title>", f);
    rp_xml(f, text);
    fputs("</title>", f);
}

void svg_open(FILE *f, const char *id, double w, double h, const char *label)
{
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"%s\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
            id, w, h, w, h);
    rp_xml(f, label);
    fputs("\">\n", f);
}

void svg_close(FILE *f) { fputs("</svg>\n", f); }

void svg_rect(FILE *f, double x, double y, double w, double h, const char *cls, const char *text)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"%s\">", x, y,
            w > 0 ? w : 0, h > 0 ? h : 0, cls);
    tip(f, text);
    fputs("</rect>\n", f);
}

void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *cls)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>\n", x1, y1, x2,
            y2, cls);
}

void svg_circle(FILE *f, double cx, double cy, double r, const char *cls, const char *text)
{
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" class=\"%s\">", cx, cy, r, cls);
    tip(f, text);
    fputs("</circle>\n", f);
}

void svg_text(FILE *f, double x, double y, const char *anchor, const char *cls, const char *text)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor, cls);
    rp_xml(f, text);
    fputs("</text>\n", f);
}

void svg_polyline(FILE *f, const double *xs, const double *ys, int n, const char *cls)
{
    if (n < 2)
        return;
    fputs("<polyline points=\"", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.1f,%.1f", i ? " " : "", xs[i], ys[i]);
    fprintf(f, "\" class=\"%s\"/>\n", cls);
}

rp_axis rp_axis_fit(double lo, double hi, double x0, double x1)
{
    rp_axis a;
    if (!(lo > 0))
        lo = hi > 0 ? hi / 10 : 1e-6;
    if (!(hi > 0) || hi < lo)
        hi = lo;
    a.lo = (int)floor(log10(lo) + 1e-9);
    a.hi = (int)ceil(log10(hi) - 1e-9);
    if (a.hi <= a.lo)
        a.hi = a.lo + 1;
    a.x0 = x0;
    a.x1 = x1;
    return a;
}

double rp_axis_at(const rp_axis *a, double v)
{
    double e = v > 0 ? log10(v) : a->lo;
    if (e < a->lo)
        e = a->lo;
    if (e > a->hi)
        e = a->hi;
    return a->x0 + (a->x1 - a->x0) * (e - a->lo) / (a->hi - a->lo);
}

static void decade_label(char *out, size_t n, int e, const char *unit)
{
    static const char *const big[] = {"1", "10", "100", "1k", "10k", "100k", "1M", "10M", "100M"};
    if (e >= 0 && e <= 8)
        snprintf(out, n, "%s%s", big[e], unit);
    else if (e < 0 && e >= -2)
        snprintf(out, n, "%g%s", pow(10, e), unit);
    else
        snprintf(out, n, "1e%d%s", e, unit);
}

void svg_log_axis(FILE *f, const rp_axis *a, double y0, double y1, const char *unit)
{
    fputs("<g class=\"axis\">\n", f);
    for (int e = a->lo; e <= a->hi; e++) {
        double x = rp_axis_at(a, pow(10, e));
        svg_line(f, x, y0, x, y1, "grid");
        for (int m = 2; m <= 9 && e < a->hi; m++) {
            double xm = rp_axis_at(a, m * pow(10, e));
            svg_line(f, xm, y1 - 3, xm, y1, "tick");
        }
        char label[32];
        decade_label(label, sizeof label, e, unit);
        svg_text(f, x, y1 + 12, "middle", "tick-label", label);
    }
    svg_line(f, a->x0, y1, a->x1, y1, "axis-line");
    fputs("</g>\n", f);
}

void svg_log_axis_v(FILE *f, const rp_axis *a, double x_left, double x_right, const char *unit)
{
    fputs("<g class=\"axis\">\n", f);
    for (int e = a->lo; e <= a->hi; e++) {
        double y = rp_axis_at(a, pow(10, e));
        svg_line(f, x_left, y, x_right, y, "grid");
        char label[32];
        decade_label(label, sizeof label, e, unit);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"tick-label\">",
                x_left - 3, y + 3);
        rp_xml(f, label);
        fputs("</text>\n", f);
    }
    svg_line(f, x_left, a->x0, x_left, a->x1, "axis-line");
    fputs("</g>\n", f);
}
