/* verdict.c — from what a run measured to what it means.
 *
 * Failures are forbidden outcomes (hangs included) seen by the oracle, and
 * ThreadSanitizer reports in the tsan flavour. `holds` states the one-sided
 * 95% upper bound on the per-trial failure probability (exact for zero
 * failures: 1 - 0.05^(1/n), about 3/n); `reproduces` states the rate with
 * its 95% Wilson interval. */
#include "internal.h"

#include <math.h>

static void wilson(unsigned long long f, unsigned long long n, double z, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double p = (double)f / (double)n, nn = (double)n, z2 = z * z;
    double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
    *lo = fmax(0, centre - half);
    *hi = fmin(1, centre + half);
}

void rl_judge(const rl_scenario *sc, const rl_config *cfg, const rl_result *res, rl_verdict *v)
{
    const rl_variant *var = &sc->variants[cfg->variant];
    int tsan = rl_flavour_is_tsan();
    v->forbidden = res->hangs;
    v->interesting = 0;
    for (int o = 0; o < sc->n_outcomes; o++) {
        if (sc->outcomes[o].grade == RL_FORBIDDEN)
            v->forbidden += res->outcome_counts[o];
        else if (sc->outcomes[o].grade == RL_INTERESTING)
            v->interesting += res->outcome_counts[o];
    }
    v->failures = v->forbidden;
    v->rate = res->trials ? (double)v->forbidden / (double)res->trials : 0;
    wilson(v->forbidden, res->trials, 1.959964, &v->wilson_low, &v->wilson_high);
    if (v->forbidden == 0)
        v->upper95 = res->trials ? 1 - pow(0.05, 1.0 / (double)res->trials) : 1;
    else {
        double lo, hi;
        wilson(v->forbidden, res->trials, 1.644854, &lo, &hi);
        v->upper95 = hi;
    }
    v->judged = 1;
    int oracle_caught = v->forbidden > 0;
    int tsan_caught = res->tsan_reports > 0;
    switch (var->expect) {
    case RL_REPRODUCES: {
        int caught = var->caught_by == RL_CAUGHT_BY_ORACLE ? oracle_caught
                     : var->caught_by == RL_CAUGHT_BY_TSAN ? tsan_caught
                                                           : oracle_caught || tsan_caught;
        if (var->caught_by == RL_CAUGHT_BY_TSAN && !tsan) {
            v->judged = 0; /* nothing in this flavour can catch it */
            caught = oracle_caught;
        }
        if (sc->variant_inject[cfg->variant] != NULL && cfg->mode == RL_MODE_STRESS)
            v->judged = 0; /* its failure needs a fault, and points do not act */
        v->verdict = caught ? RL_VERDICT_REPRODUCED : RL_VERDICT_NOT_REPRODUCED;
        v->met = caught;
        break;
    }
    case RL_HOLDS:
        v->verdict = oracle_caught || tsan_caught ? RL_VERDICT_FAILS : RL_VERDICT_HOLDS;
        v->met = v->verdict == RL_VERDICT_HOLDS;
        break;
    case RL_BENIGN:
        v->verdict = oracle_caught || tsan_caught ? RL_VERDICT_FAILS : RL_VERDICT_BENIGN;
        v->met = v->verdict == RL_VERDICT_BENIGN;
        break;
    }
}

int rl_exit_status(const rl_verdict *v) { return !v->judged || v->met ? 0 : 1; }

const char *rl_verdict_name(rl_verdict_kind k)
{
    static const char *const names[] = {"reproduced", "not-reproduced", "holds", "fails", "benign"};
    return names[k];
}

const char *rl_expectation_name(rl_expectation e)
{
    static const char *const names[] = {"reproduces", "holds", "benign"};
    return names[e];
}

const char *rl_grade_name(rl_grade g)
{
    static const char *const names[] = {"acceptable", "interesting", "forbidden"};
    return names[g];
}

const char *rl_detector_name(rl_detector d)
{
    static const char *const names[] = {"any", "oracle", "tsan"};
    return names[d];
}
