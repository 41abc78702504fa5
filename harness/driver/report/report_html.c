/* report_html.c — report.html: one file, no script, no network (a content
 * security policy forbids every load), that opens from disk and in a CI's
 * artifact browser. Sections: the verdict matrix, failure rates, outcome
 * distributions, time to first failure and throughput, TSan sites, hang
 * stacks, the failures with their rerun commands; with several folders the
 * trends by date and what changed since the night before. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#define STACKS_MAX ((size_t)64 * 1024)

static const char STYLE[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328;background:#fff}\n"
    "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.6em 0 .4em;"
    "border-bottom:1px solid #d0d7de}h3{font-size:1em;margin:1em 0 .3em}\n"
    "table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #d0d7de;"
    "padding:2px 6px;text-align:left;vertical-align:top}th{background:#f6f8fa}\n"
    "code,pre{font:12px ui-monospace,monospace}pre{background:#f6f8fa;padding:.5em;"
    "overflow:auto;max-height:30em}\n"
    ".meta{color:#57606a}.plot{display:block;margin:.3em 0;max-width:100%;height:auto}\n"
    "svg text{font:11px system-ui,sans-serif;fill:#1f2328}svg .tick-label{fill:#57606a;"
    "font-size:10px}svg .col-label{font-weight:600}svg .cell-label{font-size:10px;fill:#fff}\n"
    "svg .panel-title{font-size:10px;font-weight:600}svg .row-note{fill:#57606a}\n"
    "svg .grid{stroke:#eaeef2}svg .tick,svg .axis-line{stroke:#8c959f}\n"
    "svg .panel-frame{fill:none;stroke:#d0d7de}\n"
    ".v-met{fill:#1a7f37;background:#dafbe1}.v-skipped{fill:#8c959f;background:#eaeef2}\n"
    ".v-weak{fill:#bf8700;background:#fff8c5}.v-regression{fill:#cf222e;background:#ffebe9}\n"
    ".v-error,.v-bad-input{fill:#8250df;background:#fbefff}\n"
    "svg .cell.vd-holds,svg .cell.vd-benign{fill:#4ac26b}svg .cell.vd-reproduced{fill:#1a7f37}\n"
    "svg .cell.v-skipped{fill:#afb8c1}svg .cell.empty{fill:#f6f8fa}\n"
    "svg .interval{stroke:#0969da;stroke-width:2}svg .rate{fill:#0969da}\n"
    "svg .interval.bad{stroke:#cf222e}svg .rate.bad{fill:#cf222e}\n"
    "svg .bound{fill:#a0d8b0}svg .bound-edge{stroke:#1a7f37;stroke-width:2}\n"
    "svg .g-acceptable{fill:#4ac26b}svg .g-interesting{fill:#eac54f}svg "
    ".g-forbidden{fill:#cf222e}svg .g-unknown{fill:#afb8c1}svg .seg{stroke:#fff;"
    "stroke-width:.5}\n"
    "svg .trend-line{fill:none;stroke:#57606a;stroke-width:1}svg .pt.hollow{fill:#fff;"
    "stroke:#1a7f37;stroke-width:1.5}\n"
    ".legend span{display:inline-block;padding:0 .5em;margin-right:.4em;border-radius:3px}\n"
    "td.change{font-weight:600}\n";

static void legend(FILE *f)
{
    fputs("<p class=\"legend\">", f);
    for (int c = RC_MET; c <= RC_ERROR; c++)
        fprintf(f, "<span class=\"%s\">%s</span>", rp_class_css((report_class)c),
                report_class_name((report_class)c));
    fputs("</p>\n", f);
}

static void header(FILE *f, const report_set *const *sets, int n_sets)
{
    const report_set *set = sets[n_sets - 1];
    int counts[6] = {0};
    for (int i = 0; i < set->n; i++)
        counts[set->runs[i].cls]++;
    fputs("<h1>racelab report</h1>\n<p class=\"meta\">", f);
    rp_xml(f, set->jsonl);
    fputs(" &middot; ", f);
    rp_xml(f, set->date);
    json_object *v = NULL;
    if (set->n > 0 && json_object_object_get_ex(set->runs[0].rec, "version", &v) && v != NULL) {
        fputs(" &middot; version ", f);
        rp_xml(f, json_object_get_string(v));
    }
    if (n_sets > 1) {
        fprintf(f, " &middot; %d folders, oldest ", n_sets);
        rp_xml(f, sets[0]->date);
    }
    fputs("</p>\n<table id=\"totals\"><tr><th>runs</th>", f);
    for (int c = RC_MET; c <= RC_ERROR; c++)
        fprintf(f, "<th class=\"%s\">%s</th>", rp_class_css((report_class)c),
                report_class_name((report_class)c));
    fprintf(f, "<th>exit status</th></tr>\n<tr><td>%d</td>", set->n);
    for (int c = RC_MET; c <= RC_ERROR; c++)
        fprintf(f, "<td>%d</td>", counts[c]);
    fprintf(f, "<td>%d</td></tr></table>\n", report_set_exit(set));
}

static void outcome_tables(FILE *f, const report_run *const *runs, int n, const rp_grades *g)
{
    for (int i = 0; i < n;) {
        int end = i;
        while (end < n && strcmp(runs[end]->scenario, runs[i]->scenario) == 0)
            end++;
        fputs("<details class=\"outcome-table\"><summary>", f);
        rp_xml(f, runs[i]->scenario);
        fprintf(f,
                ": outcomes by run (grades %s)</summary>\n<table><tr><th>outcome</th>"
                "<th>grade</th>",
                rp_grades_from_descriptor(g, runs[i]->scenario) ? "from the descriptor"
                                                                : "inferred from the records");
        for (int k = i; k < end; k++) {
            fputs("<th>", f);
            rp_xml(f, runs[k]->variant);
            fprintf(f, "<br>%s %s</th>", runs[k]->flavour, runs[k]->mode);
        }
        fputs("</tr>\n", f);
        json_object *outcomes = NULL;
        if (json_object_object_get_ex(runs[i]->rec, "outcomes", &outcomes) &&
            json_object_is_type(outcomes, json_type_object)) {
            json_object_object_foreach(outcomes, name, unused)
            {
                (void)unused;
                report_grade gr = rp_grades_of(g, runs[i]->scenario, name);
                fputs("<tr><td>", f);
                rp_xml(f, name);
                fprintf(f, "</td><td class=\"g-%s\">%s</td>", rp_grade_name(gr), rp_grade_name(gr));
                for (int k = i; k < end; k++) {
                    json_object *o = NULL, *c = NULL;
                    long long count = json_object_object_get_ex(runs[k]->rec, "outcomes", &o) &&
                                              json_object_object_get_ex(o, name, &c)
                                          ? json_object_get_int64(c)
                                          : 0;
                    fprintf(f, "<td>%lld</td>", count);
                }
                fputs("</tr>\n", f);
            }
        }
        fputs("</table></details>\n", f);
        i = end;
    }
}

static void run_heading(FILE *f, const report_run *r)
{
    char *key = report_key(r);
    fprintf(f, "<h3 class=\"%s-text\">", rp_class_css(r->cls));
    rp_xml(f, key);
    fputs("</h3>\n", f);
    free(key);
}

static void tsan_sites(FILE *f, const report_run *const *runs, int n)
{
    int any = 0;
    for (int i = 0; i < n; i++) {
        json_object *parsed = NULL, *sites = NULL;
        if (!json_object_object_get_ex(runs[i]->rec, "tsan_parsed", &parsed) || parsed == NULL ||
            !json_object_object_get_ex(parsed, "sites", &sites) ||
            !json_object_is_type(sites, json_type_array) || json_object_array_length(sites) == 0)
            continue;
        any = 1;
        run_heading(f, runs[i]);
        fputs("<table class=\"tsan\"><tr><th>kind</th><th>reports</th><th>frames</th></tr>\n", f);
        for (size_t k = 0; k < json_object_array_length(sites); k++) {
            json_object *site = json_object_array_get_idx(sites, k), *v = NULL;
            fputs("<tr><td>", f);
            if (json_object_object_get_ex(site, "kind", &v))
                rp_xml(f, json_object_get_string(v));
            fputs("</td><td>", f);
            if (json_object_object_get_ex(site, "count", &v))
                rp_xml(f, json_object_get_string(v));
            fputs("</td><td><code>", f);
            if (json_object_object_get_ex(site, "frames", &v) &&
                json_object_is_type(v, json_type_array))
                for (size_t j = 0; j < json_object_array_length(v); j++) {
                    if (j)
                        fputs("<br>", f);
                    rp_xml(f, json_object_get_string(json_object_array_get_idx(v, j)));
                }
            else if (v != NULL)
                rp_xml(f, json_object_get_string(v));
            fputs("</code></td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    if (!any)
        fputs("<p>No ThreadSanitizer report.</p>\n", f);
}

static void hang_stacks(FILE *f, const report_run *const *runs, int n)
{
    int any = 0;
    for (int i = 0; i < n; i++) {
        const report_run *r = runs[i];
        json_object *hang = NULL, *ff = NULL, *waits = NULL;
        int hung =
            r->hangs > 0 || (json_object_object_get_ex(r->rec, "hang", &hang) && hang != NULL);
        if (!hung && r->stacks_file == NULL)
            continue;
        any = 1;
        run_heading(f, r);
        if (json_object_object_get_ex(r->rec, "first_failure", &ff) && ff != NULL &&
            json_object_object_get_ex(ff, "waits", &waits) && waits != NULL) {
            fputs("<p>waits: <code>", f);
            rp_xml(f, json_object_get_string(waits));
            fputs("</code></p>\n", f);
        }
        if (hang != NULL) {
            fputs("<p>hang: <code>", f);
            rp_xml(f, json_object_to_json_string_ext(hang, JSON_C_TO_STRING_PLAIN));
            fputs("</code></p>\n", f);
        }
        if (r->stacks_file != NULL) {
            int truncated = 0;
            char *text = rp_read_file(r->stacks_file, STACKS_MAX, &truncated);
            fputs("<details class=\"stacks\" open><summary>thread stacks: ", f);
            rp_xml(f, r->stacks_file);
            fputs("</summary><pre>", f);
            rp_xml(f, text ? text : "(the file is gone)");
            if (truncated)
                fputs("\n[... cut at 64 KiB]", f);
            fputs("</pre></details>\n", f);
            free(text);
        } else {
            fputs("<p>No thread stacks: the program's own watchdog caught the hang (the "
                  "driver takes stacks only past its deadline).</p>\n",
                  f);
        }
    }
    if (!any)
        fputs("<p>No hang.</p>\n", f);
}

static void reruns(FILE *f, const report_set *set, const report_run *const *runs, int n)
{
    fputs("<table id=\"rerun-table\"><tr><th>run</th><th>class</th><th>evidence</th>"
          "<th>rerun</th></tr>\n",
          f);
    int any = 0;
    for (int i = 0; i < n; i++) {
        const report_run *r = runs[i];
        if (!r->has_failure && (r->cls == RC_MET || r->cls == RC_SKIPPED))
            continue;
        any = 1;
        char *key = report_key(r), *ev = report_evidence(r), *cmd = report_rerun_command(set, r);
        fprintf(f, "<tr class=\"failure-row\"><td>");
        rp_xml(f, key);
        fprintf(f, "</td><td class=\"%s\">%s</td><td>", rp_class_css(r->cls),
                report_class_name(r->cls));
        rp_xml(f, ev);
        fputs("</td><td><code class=\"rerun\">", f);
        rp_xml(f, cmd);
        fputs("</code></td></tr>\n", f);
        free(key);
        free(ev);
        free(cmd);
    }
    fputs("</table>\n", f);
    if (!any)
        fputs("<p>No failure.</p>\n", f);
}

int rp_html_write(FILE *f, const report_set *const *sets, int n_sets, const rp_diff_result *diff)
{
    const report_set *set = sets[n_sets - 1];
    const report_run **runs = report_sorted(set);
    const report_run *const *rr = runs;
    rp_grades *g = rp_grades_load(set);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n<title>racelab report: ",
          f);
    rp_xml(f, set->dir);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", STYLE);
    header(f, sets, n_sets);
    fputs("<h2 id=\"matrix\">Verdicts: scenarios &times; variants &times; flavours</h2>\n", f);
    legend(f);
    plot_matrix(f, rr, set->n);
    fputs("<h2 id=\"rates\">Failure rates</h2>\n<p>Failures per trial on a log axis: a dot and its "
          "bar are the rate and its 95% Wilson interval; a run with no failure shows the "
          "one-sided 95% upper bound on its per-trial failure probability "
          "(<code>stats.upper95</code>).</p>\n",
          f);
    plot_rates(f, rr, set->n);
    fputs("<h2 id=\"outcomes\">Outcome distributions</h2>\n", f);
    plot_outcomes(f, rr, set->n, g);
    outcome_tables(f, rr, set->n, g);
    fputs("<h2 id=\"ttff\">Time to first failure</h2>\n", f);
    plot_ttff(f, rr, set->n);
    fputs("<h2 id=\"throughput\">Throughput</h2>\n", f);
    plot_throughput(f, rr, set->n);
    fputs("<h2 id=\"tsan-sites\">ThreadSanitizer sites</h2>\n", f);
    tsan_sites(f, rr, set->n);
    fputs("<h2 id=\"hang-stacks\">Hangs and thread stacks</h2>\n", f);
    hang_stacks(f, rr, set->n);
    fputs("<h2 id=\"reruns\">Failures and how to run them again</h2>\n", f);
    reruns(f, set, rr, set->n);
    if (diff != NULL) {
        fputs("<h2 id=\"diff\">What changed since ", f);
        rp_xml(f, diff->old_date);
        fprintf(f, " (exit status %d)</h2>\n", diff->exit_status);
        rp_diff_html(f, diff);
    }
    if (n_sets > 1) {
        fputs("<h2 id=\"trends\">Trends by date</h2>\n<p>One panel per variant &times; flavour "
              "&times; mode, one point per folder (oldest left); hollow points are upper bounds "
              "of runs with no failure.</p>\n",
              f);
        plot_trends(f, sets, n_sets);
    }
    fputs("<p class=\"meta\">Written by racelab: inline SVG, no script, no network.</p>\n"
          "</body>\n</html>\n",
          f);
    rp_grades_free(g);
    free(runs);
    return ferror(f) ? -1 : 0;
}
