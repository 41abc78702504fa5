/* report_diff.c — what changed between two results folders, per variant x
 * flavour x mode (several records of one key on a side are pooled):
 *
 *   regression            a fix (holds/benign) that met its expectation and now fails
 *   still-failing         a fix that failed and still fails
 *   fixed                 a fix that failed and now holds
 *   detector-regression   a racy variant that reproduced and now does not
 *   still-not-reproduced  ... that did not and still does not
 *   detector-recovered    ... that did not and now does
 *   inconclusive          a fix whose control did not reproduce
 *   error, bad-input      the new run measured nothing usable
 *   new, gone             a key on one side only
 *   measured, fails       nothing was judged before (an error, not judged)
 *   same                  met on both sides
 *
 * Each row asks the exit status of its new class (a regression 1, weak
 * evidence 4, an error 3...), so the diff exits as the new folder does and
 * says what moved. Beside it, informational: the failure rate judged by
 * Fisher's exact test (two-sided, p printed), the time to first failure by
 * the exponential model's F test, the throughput by Welch's t on repeated
 * figures, or against a stated band (--band) when a side has one figure. */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void side_add(rp_diff_side *s, const report_run *r)
{
    if (s->n == 0 || r->cls > s->cls) {
        s->cls = r->cls;
        s->verdict = r->verdict;
        s->line = r->line;
    }
    s->n++;
    s->trials += r->trials;
    s->failures += r->failures;
    if (r->has_failure && r->ff_seconds >= 0) {
        s->ttff = realloc(s->ttff, (size_t)(s->n_ttff + 1) * sizeof *s->ttff);
        s->ttff[s->n_ttff++] = fmax(r->ff_seconds, 1e-6);
    }
    if (r->trials_per_s > 0) {
        s->tput = realloc(s->tput, (size_t)(s->n_tput + 1) * sizeof *s->tput);
        s->tput[s->n_tput++] = r->trials_per_s;
    }
}

static void side_finish(rp_diff_side *s)
{
    s->rate = s->trials ? (double)s->failures / (double)s->trials : 0;
    rp_wilson(s->failures, s->trials, &s->wilson_low, &s->wilson_high);
    s->upper95 = rp_upper95(s->failures, s->trials);
}

static rp_diff_row *find_row(rp_diff_result *d, const report_run *r, int add)
{
    for (int i = 0; i < d->n; i++) {
        rp_diff_row *row = &d->rows[i];
        if (strcmp(row->scenario, r->scenario) == 0 && strcmp(row->variant, r->variant) == 0 &&
            strcmp(row->flavour, r->flavour) == 0 && strcmp(row->mode, r->mode) == 0)
            return row;
    }
    if (!add)
        return NULL;
    rp_diff_row *rows = realloc(d->rows, (size_t)(d->n + 1) * sizeof *rows);
    if (rows == NULL) {
        error_msg("out of memory");
        exit(RL_EXIT_HARNESS);
    }
    d->rows = rows;
    rp_diff_row *row = &d->rows[d->n++];
    memset(row, 0, sizeof *row);
    row->scenario = xstrdup(r->scenario);
    row->variant = xstrdup(r->variant);
    row->flavour = xstrdup(r->flavour);
    row->mode = xstrdup(r->mode);
    row->expectation = xstrdup(r->expectation ? r->expectation : "?");
    row->rate_p = row->ttff_ratio = row->ttff_p = row->tput_ratio = -1;
    row->tput_low = row->tput_high = -1;
    return row;
}

static void classify(rp_diff_row *row)
{
    report_class o = row->old.cls, n = row->new_.cls;
    int racy = strcmp(row->expectation, "reproduces") == 0;
    if (!row->has_new) {
        row->change = "gone";
        row->cls = RC_MET;
        return;
    }
    row->cls = n;
    if (!row->has_old) {
        row->change = "new";
        return;
    }
    if (n == RC_ERROR || n == RC_BAD_INPUT) {
        row->change = n == RC_ERROR ? "error" : "bad-input";
        return;
    }
    if (n == RC_SKIPPED) {
        row->change = "not-judged";
        return;
    }
    if (o == RC_ERROR || o == RC_BAD_INPUT || o == RC_SKIPPED) {
        /* nothing judged before: no transition to name */
        row->change = n == RC_MET ? "measured" : n == RC_WEAK ? "not-reproduced" : "fails";
        return;
    }
    if (racy) {
        if (n == RC_WEAK)
            row->change = o == RC_MET    ? "detector-regression"
                          : o == RC_WEAK ? "still-not-reproduced"
                                         : "not-reproduced";
        else
            row->change = o == RC_WEAK ? "detector-recovered" : "same";
        return;
    }
    if (n == RC_FIX_FAILED)
        row->change = o == RC_FIX_FAILED ? "still-failing" : "regression";
    else if (n == RC_WEAK)
        row->change = "inconclusive";
    else
        row->change = o == RC_FIX_FAILED ? "fixed" : "same";
}

static void mean_sd_log(const double *v, int n, double *mean, double *var)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++)
        s += log(v[i]);
    *mean = s / n;
    for (int i = 0; i < n; i++)
        ss += (log(v[i]) - *mean) * (log(v[i]) - *mean);
    *var = n > 1 ? ss / (n - 1) : 0;
}

static double mean(const double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s / n;
}

static void tests(rp_diff_row *row, double alpha, double band)
{
    const rp_diff_side *o = &row->old, *n = &row->new_;
    if (!row->has_old || !row->has_new)
        return;
    if (o->trials > 0 && n->trials > 0) {
        row->rate_p =
            rp_fisher(o->failures, o->trials - o->failures, n->failures, n->trials - n->failures);
        row->rate_change = row->rate_p >= alpha ? "same" : n->rate > o->rate ? "up" : "down";
    }
    if (o->n_ttff > 0 && n->n_ttff > 0) {
        row->ttff_ratio = mean(n->ttff, n->n_ttff) / mean(o->ttff, o->n_ttff);
        double c = rp_f_cdf(row->ttff_ratio, 2.0 * n->n_ttff, 2.0 * o->n_ttff);
        row->ttff_p = fmin(1, 2 * fmin(c, 1 - c));
        row->ttff_change = row->ttff_p >= alpha ? "same" : row->ttff_ratio > 1 ? "later" : "sooner";
    }
    if (o->n_tput > 0 && n->n_tput > 0) {
        double mo, vo, mn, vn;
        mean_sd_log(o->tput, o->n_tput, &mo, &vo);
        mean_sd_log(n->tput, n->n_tput, &mn, &vn);
        row->tput_ratio = exp(mn - mo);
        if (o->n_tput >= 2 && n->n_tput >= 2 && vo + vn > 0) {
            double a = vo / o->n_tput, b = vn / n->n_tput, se = sqrt(a + b);
            double df = (a + b) * (a + b) / (a * a / (o->n_tput - 1) + b * b / (n->n_tput - 1));
            double t = rp_t_q975(df);
            row->tput_low = exp(mn - mo - t * se);
            row->tput_high = exp(mn - mo + t * se);
            row->tput_basis = "welch";
        } else {
            row->tput_low = row->tput_ratio / (1 + band);
            row->tput_high = row->tput_ratio * (1 + band);
            row->tput_basis = "band";
        }
        row->tput_change = row->tput_low > 1 ? "up" : row->tput_high < 1 ? "down" : "same";
    }
}

void rp_diff_compute(const report_set *old_set, const report_set *new_set, double alpha,
                     double band, rp_diff_result *d)
{
    memset(d, 0, sizeof *d);
    d->old_path = xstrdup(old_set->path);
    d->new_path = xstrdup(new_set->path);
    d->old_date = xstrdup(old_set->date);
    d->new_date = xstrdup(new_set->date);
    d->old_jsonl = xstrdup(old_set->jsonl);
    d->new_jsonl = xstrdup(new_set->jsonl);
    d->alpha = alpha;
    d->band = band;
    const report_run **runs = report_sorted(new_set);
    for (int i = 0; i < new_set->n; i++) {
        rp_diff_row *row = find_row(d, runs[i], 1);
        row->has_new = 1;
        side_add(&row->new_, runs[i]);
    }
    free(runs);
    runs = report_sorted(old_set);
    for (int i = 0; i < old_set->n; i++) {
        rp_diff_row *row = find_row(d, runs[i], 1);
        row->has_old = 1;
        side_add(&row->old, runs[i]);
    }
    free(runs);
    d->exit_status = 0;
    for (int i = 0; i < d->n; i++) {
        rp_diff_row *row = &d->rows[i];
        side_finish(&row->old);
        side_finish(&row->new_);
        classify(row);
        tests(row, alpha, band);
        d->exit_status = rl_worse_exit(d->exit_status, report_class_exit(row->cls));
    }
}

static char *rate_text(const rp_diff_side *s, int present)
{
    if (!present)
        return xstrdup("-");
    return xasprintf("%llu/%llu", s->failures, s->trials);
}

static char *ttff_text(const rp_diff_side *s, int present)
{
    if (!present || s->n_ttff == 0)
        return xstrdup("-");
    return xasprintf("%.3gs", mean(s->ttff, s->n_ttff));
}

static char *tput_text(const rp_diff_side *s, int present)
{
    if (!present || s->n_tput == 0)
        return xstrdup("-");
    double lm, var;
    mean_sd_log(s->tput, s->n_tput, &lm, &var);
    return rp_count(exp(lm)); /* the geometric mean, as the ratio uses */
}

void rp_diff_print(const rp_diff_result *d, FILE *f)
{
    fprintf(f, "racelab diff %s (%s) -> %s (%s)\n", d->old_path, d->old_date, d->new_path,
            d->new_date);
    fprintf(f, "%-44s %-15s %-15s %-21s %-32s %-26s %s\n", "scenario:variant flavour mode", "old",
            "new", "change", "failures old -> new (Fisher p)", "first failure (F p)",
            "trials/s (ratio, 95%)");
    int counts[8] = {0};
    for (int i = 0; i < d->n; i++) {
        const rp_diff_row *r = &d->rows[i];
        char *key = xasprintf("%s:%s %s %s", r->scenario, r->variant, r->flavour, r->mode);
        char *ro = rate_text(&r->old, r->has_old), *rn = rate_text(&r->new_, r->has_new);
        char *to = ttff_text(&r->old, r->has_old), *tn = ttff_text(&r->new_, r->has_new);
        char *po = tput_text(&r->old, r->has_old), *pn = tput_text(&r->new_, r->has_new);
        char rate[96] = "", ttff[96] = "", tput[128] = "";
        snprintf(rate, sizeof rate, "%s -> %s", ro, rn);
        if (r->rate_p >= 0)
            snprintf(rate + strlen(rate), sizeof rate - strlen(rate), " (p %.2g) %s", r->rate_p,
                     r->rate_change);
        snprintf(ttff, sizeof ttff, "%s -> %s", to, tn);
        if (r->ttff_p >= 0)
            snprintf(ttff + strlen(ttff), sizeof ttff - strlen(ttff), " (p %.2g) %s", r->ttff_p,
                     r->ttff_change);
        snprintf(tput, sizeof tput, "%s -> %s", po, pn);
        if (r->tput_ratio >= 0)
            snprintf(tput + strlen(tput), sizeof tput - strlen(tput), " (x%.3g [%.3g, %.3g] %s) %s",
                     r->tput_ratio, r->tput_low, r->tput_high, r->tput_basis, r->tput_change);
        char change[48];
        snprintf(change, sizeof change, "%s", r->change);
        if (r->cls == RC_FIX_FAILED || r->cls == RC_WEAK || r->cls >= RC_BAD_INPUT)
            for (char *p = change; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        fprintf(f, "%-44s %-15s %-15s %-21s %-32s %-26s %s\n", key,
                r->has_old ? (r->old.verdict ? r->old.verdict : "?") : "-",
                r->has_new ? (r->new_.verdict ? r->new_.verdict : "?") : "-", change, rate, ttff,
                tput);
        counts[r->cls]++;
        free(key);
        free(ro);
        free(rn);
        free(to);
        free(tn);
        free(po);
        free(pn);
    }
    fprintf(f,
            "\n%d keys: %d regressed or still failing, %d weak evidence, %d errors, %d met or "
            "skipped\n",
            d->n, counts[RC_FIX_FAILED], counts[RC_WEAK], counts[RC_ERROR] + counts[RC_BAD_INPUT],
            counts[RC_MET] + counts[RC_SKIPPED]);
    fprintf(f,
            "rates: Fisher's exact test, two-sided, alpha %g; first failure: F(2m, 2n) on the "
            "mean times; trials/s: Welch's t on log figures, or a band of +-%g%% with one figure\n",
            d->alpha, d->band * 100);
    fprintf(f, "exit status %d\n", d->exit_status);
}

static json_object *num_or_null(double v) { return v < 0 ? NULL : json_object_new_double(v); }

static json_object *doubles(const double *v, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_double(v[i]));
    return a;
}

static json_object *side_json(const rp_diff_side *s, int present, const char *jsonl)
{
    if (!present)
        return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "records", json_object_new_int(s->n));
    json_object_object_add(o, "class", json_object_new_string(report_class_name(s->cls)));
    json_object_object_add(o, "verdict", s->verdict ? json_object_new_string(s->verdict) : NULL);
    json_object_object_add(o, "trials", json_object_new_uint64(s->trials));
    json_object_object_add(o, "failures", json_object_new_uint64(s->failures));
    json_object_object_add(o, "rate", json_object_new_double(s->rate));
    json_object *w = json_object_new_array();
    json_object_array_add(w, json_object_new_double(s->wilson_low));
    json_object_array_add(w, json_object_new_double(s->wilson_high));
    json_object_object_add(o, "wilson95", w);
    json_object_object_add(o, "upper95", json_object_new_double(s->upper95));
    json_object_object_add(o, "first_failure_seconds", doubles(s->ttff, s->n_ttff));
    json_object_object_add(o, "trials_per_s", doubles(s->tput, s->n_tput));
    char *rerun = xasprintf("racelab rerun %s --line %d", jsonl, s->line);
    json_object_object_add(o, "rerun", json_object_new_string(rerun));
    free(rerun);
    return o;
}

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

json_object *rp_diff_to_json(const rp_diff_result *d)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "old", json_object_new_string(d->old_path));
    json_object_object_add(o, "new", json_object_new_string(d->new_path));
    json_object_object_add(o, "old_date", json_object_new_string(d->old_date));
    json_object_object_add(o, "new_date", json_object_new_string(d->new_date));
    json_object_object_add(o, "alpha", json_object_new_double(d->alpha));
    json_object_object_add(o, "band", json_object_new_double(d->band));
    json_object_object_add(o, "rate_test", json_object_new_string("fisher-exact-two-sided"));
    json_object_object_add(o, "ttff_test", json_object_new_string("exponential-F(2m,2n)"));
    json_object_object_add(o, "exit_status", json_object_new_int(d->exit_status));
    json_object *rows = json_object_new_array();
    for (int i = 0; i < d->n; i++) {
        const rp_diff_row *r = &d->rows[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "scenario", json_object_new_string(r->scenario));
        json_object_object_add(j, "variant", json_object_new_string(r->variant));
        json_object_object_add(j, "flavour", json_object_new_string(r->flavour));
        json_object_object_add(j, "mode", json_object_new_string(r->mode));
        json_object_object_add(j, "expectation", json_object_new_string(r->expectation));
        json_object_object_add(j, "change", json_object_new_string(r->change));
        json_object_object_add(j, "class", json_object_new_string(report_class_name(r->cls)));
        json_object_object_add(j, "exit_status", json_object_new_int(report_class_exit(r->cls)));
        json_object_object_add(j, "old", side_json(&r->old, r->has_old, d->old_jsonl));
        json_object_object_add(j, "new", side_json(&r->new_, r->has_new, d->new_jsonl));
        json_object *rate = json_object_new_object();
        json_object_object_add(rate, "p", num_or_null(r->rate_p));
        json_object_object_add(rate, "change", str_or_null(r->rate_change));
        json_object_object_add(j, "rate", rate);
        json_object *ttff = json_object_new_object();
        json_object_object_add(ttff, "ratio", num_or_null(r->ttff_ratio));
        json_object_object_add(ttff, "p", num_or_null(r->ttff_p));
        json_object_object_add(ttff, "change", str_or_null(r->ttff_change));
        json_object_object_add(j, "first_failure", ttff);
        json_object *tput = json_object_new_object();
        json_object_object_add(tput, "ratio", num_or_null(r->tput_ratio));
        json_object *iv = NULL;
        if (r->tput_low >= 0) {
            iv = json_object_new_array();
            json_object_array_add(iv, json_object_new_double(r->tput_low));
            json_object_array_add(iv, json_object_new_double(r->tput_high));
        }
        json_object_object_add(tput, "interval95", iv);
        json_object_object_add(tput, "basis", str_or_null(r->tput_basis));
        json_object_object_add(tput, "change", str_or_null(r->tput_change));
        json_object_object_add(j, "throughput", tput);
        json_object_array_add(rows, j);
    }
    json_object_object_add(o, "rows", rows);
    return o;
}

void rp_diff_free(rp_diff_result *d)
{
    for (int i = 0; i < d->n; i++) {
        rp_diff_row *r = &d->rows[i];
        free(r->scenario);
        free(r->variant);
        free(r->flavour);
        free(r->mode);
        free(r->expectation);
        free(r->old.ttff);
        free(r->old.tput);
        free(r->new_.ttff);
        free(r->new_.tput);
    }
    free(d->rows);
    free(d->old_path);
    free(d->new_path);
    free(d->old_date);
    free(d->new_date);
    free(d->old_jsonl);
    free(d->new_jsonl);
    memset(d, 0, sizeof *d);
}

void rp_diff_html(FILE *f, const rp_diff_result *d)
{
    fputs("<table class=\"diff\" id=\"diff-table\">\n<tr><th>run</th><th>old</th><th>new</th>"
          "<th>change</th><th>failures old &rarr; new (Fisher p)</th><th>first failure (F p)</th>"
          "<th>trials/s (ratio, 95%)</th></tr>\n",
          f);
    for (int i = 0; i < d->n; i++) {
        const rp_diff_row *r = &d->rows[i];
        char *ro = rate_text(&r->old, r->has_old), *rn = rate_text(&r->new_, r->has_new);
        char *to = ttff_text(&r->old, r->has_old), *tn = ttff_text(&r->new_, r->has_new);
        char *po = tput_text(&r->old, r->has_old), *pn = tput_text(&r->new_, r->has_new);
        fprintf(f, "<tr class=\"%s\"><td>", rp_class_css(r->cls));
        rp_xml(f, r->scenario);
        fputc(':', f);
        rp_xml(f, r->variant);
        fprintf(f, " %s %s</td><td>%s</td><td>%s</td><td class=\"change\">%s</td>", r->flavour,
                r->mode, r->has_old && r->old.verdict ? r->old.verdict : "-",
                r->has_new && r->new_.verdict ? r->new_.verdict : "-", r->change);
        fprintf(f, "<td>%s &rarr; %s", ro, rn);
        if (r->rate_p >= 0)
            fprintf(f, " (p %.2g) %s", r->rate_p, r->rate_change);
        fprintf(f, "</td><td>%s &rarr; %s", to, tn);
        if (r->ttff_p >= 0)
            fprintf(f, " (p %.2g) %s", r->ttff_p, r->ttff_change);
        fprintf(f, "</td><td>%s &rarr; %s", po, pn);
        if (r->tput_ratio >= 0)
            fprintf(f, " (&times;%.3g [%.3g, %.3g] %s) %s", r->tput_ratio, r->tput_low,
                    r->tput_high, r->tput_basis, r->tput_change);
        fputs("</td></tr>\n", f);
        free(ro);
        free(rn);
        free(to);
        free(tn);
        free(po);
        free(pn);
    }
    fputs("</table>\n", f);
}
