/* compare_cost.c — what each candidate costs: trials/s in stress and fuzz
 * mode (plain build unless only tsan was asked for), for every value of the
 * knob, measured interleaved: round r runs every setting with the candidates
 * in turn (A, B, C; the next round starts one further on), so machine noise
 * hits every candidate alike. A ratio is fastest/candidate: the geometric
 * mean of the per-round ratios with a 95% t-interval on their logarithms. */
#include "compare/compare.h"
#include "core/plan.h"
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 96

double *cost_at(const cmp_cost *c, int cand, int mode, int value)
{
    return &c->tput[((size_t)(cand * c->n_modes + mode) * (size_t)c->n_values + (size_t)value) *
                    (size_t)c->rounds];
}

static int one_cost_run(const compare_opts *o, record_sink *log, cmp_cost *c, int cand, int mode,
                        int value, int round)
{
    const variant_info *var = o->cands[cand];
    char *argv[MAX_ARGS];
    int n = 0;
    int tsan = !(o->flavours & FLAVOUR_PLAIN);
    char *secs = xasprintf("%g", o->cost_seconds),
         *seed = xasprintf("%llu", o->seed + (unsigned)round);
    char *timeout = xasprintf("%g", o->timeout);
    argv[n++] = tsan ? o->sc->tsan_path : o->sc->plain_path;
    argv[n++] = "--variant";
    argv[n++] = var->name;
    argv[n++] = "--mode";
    argv[n++] = (char *)c->modes[mode];
    argv[n++] = "--seconds";
    argv[n++] = secs;
    argv[n++] = "--seed";
    argv[n++] = seed;
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    n += compare_param_args(o, o->n_knob_values > 0 ? value : -1, argv + n, MAX_ARGS - n - 8);
    for (int i = 0; strcmp(c->modes[mode], "fuzz") == 0 && i < o->n_injects && n < MAX_ARGS - 4;
         i++)
        if (spec_applies(o->sc, o->injects[i])) {
            argv[n++] = "--inject";
            argv[n++] = o->injects[i];
        }
    argv[n++] = "--json";
    argv[n] = NULL;
    json_object *rec = NULL;
    char *why = NULL;
    int rc = compare_exec(argv, 1.5 * o->cost_seconds + 2 * o->timeout + 10, &rec, &why);
    if (isatty(2))
        fprintf(stderr, "\r\033[K  cost: round %d/%d %s %s %s", round + 1, c->rounds, var->name,
                c->modes[mode], o->n_knob_values > 0 ? o->knob_values[value] : "");
    cost_at(c, cand, mode, value)[round] = rec ? rec_num(rec, "trials_per_s", NULL) : 0;
    if (rec != NULL) {
        unsigned long long bad =
            (unsigned long long)(rec_num(rec, "forbidden", NULL) + rec_num(rec, "tsan", "reports"));
        c->cand_failures[cand] += bad;
        c->failures += bad;
        compare_log(log, rec, "cost", "candidate", round);
        json_object_put(rec);
    } else if (rc == RL_EXIT_HARNESS) {
        warn_msg("compare: cost run of %s failed: %s", var->name, why ? why : "?");
        rc = 0; /* a missing figure is left out of its ratios */
    }
    free(why);
    free(secs);
    free(seed);
    free(timeout);
    return rc;
}

int compare_cost(const compare_opts *o, record_sink *log, cmp_cost *c)
{
    memset(c, 0, sizeof *c);
    if (o->cost_modes & 1)
        c->modes[c->n_modes++] = "stress";
    if (o->cost_modes & 2)
        c->modes[c->n_modes++] = "fuzz";
    c->n_cands = o->n_cands;
    c->n_values = o->n_knob_values > 0 ? o->n_knob_values : 1;
    c->rounds = o->rounds;
    c->tput =
        xcalloc((size_t)c->n_cands * (size_t)c->n_modes * (size_t)c->n_values * (size_t)c->rounds,
                sizeof(double));
    c->cand_failures = xcalloc((size_t)c->n_cands, sizeof *c->cand_failures);
    for (int r = 0; r < c->rounds; r++)
        for (int m = 0; m < c->n_modes; m++)
            for (int k = 0; k < c->n_values; k++)
                for (int i = 0; i < c->n_cands; i++) {
                    int cand = (i + r) % c->n_cands;
                    int rc = one_cost_run(o, log, c, cand, m, k, r);
                    if (rc != 0)
                        return rc;
                }
    if (isatty(2))
        fputs("\r\033[K", stderr);
    return 0;
}

double cost_geomean(const cmp_cost *c, int cand, int mode, int value)
{
    const double *t = cost_at(c, cand, mode, value);
    double sum = 0;
    int n = 0;
    for (int r = 0; r < c->rounds; r++)
        if (t[r] > 0) {
            sum += log(t[r]);
            n++;
        }
    return n ? exp(sum / n) : 0;
}

/* The geometric mean of a[r]/b[r] over the rounds with both figures, with
 * a 95% t-interval on the logarithms; returns how many rounds. */
static int paired_ratio(const double *a, const double *b, int rounds, double *ratio, double *lo,
                        double *hi)
{
    double d[64], sum = 0, ss = 0;
    int n = 0;
    for (int r = 0; r < rounds && r < 64; r++)
        if (a[r] > 0 && b[r] > 0) {
            d[n] = log(a[r] / b[r]);
            sum += d[n++];
        }
    *ratio = *lo = *hi = 0;
    if (n == 0)
        return 0;
    double mean = sum / n;
    for (int i = 0; i < n; i++)
        ss += (d[i] - mean) * (d[i] - mean);
    *ratio = exp(mean);
    if (n < 2) {
        *lo = 0;
        *hi = INFINITY;
        return n;
    }
    double half = rp_t_q975(n - 1) * sqrt(ss / (n - 1)) / sqrt(n);
    *lo = exp(mean - half);
    *hi = exp(mean + half);
    return n;
}

int cost_ratio(const cmp_cost *c, int fastest, int cand, int mode, int value, double *ratio,
               double *lo, double *hi)
{
    return paired_ratio(cost_at(c, fastest, mode, value), cost_at(c, cand, mode, value), c->rounds,
                        ratio, lo, hi);
}

int cost_growth(const cmp_cost *c, int cand, int mode, double *ratio, double *lo, double *hi)
{
    return paired_ratio(cost_at(c, cand, mode, c->n_values - 1), cost_at(c, cand, mode, 0),
                        c->rounds, ratio, lo, hi);
}

void cost_free(cmp_cost *c)
{
    free(c->tput);
    free(c->cand_failures);
}
