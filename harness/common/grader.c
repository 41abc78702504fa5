/* grader.c — from what a run measured to what it means.
 *
 * Failures are forbidden outcomes (hangs and crashes included) seen by the
 * oracle, and ThreadSanitizer reports in the tsan flavour. `holds` states the
 * one-sided 95% upper bound on the per-trial failure probability (exact for
 * zero failures: 1 - 0.05^(1/n), about 3/n); `reproduces` states the rate
 * with its 95% Wilson interval. */
#include "grader.h"

#include <math.h>
#include <string.h>

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

static void stats(unsigned long long failures, unsigned long long trials, rl_verdict *v)
{
    v->failures = failures;
    v->rate = trials ? fmin(1, (double)failures / (double)trials) : 0;
    wilson(failures < trials ? failures : trials, trials, 1.959964, &v->wilson_low,
           &v->wilson_high);
    if (failures == 0)
        v->upper95 = trials ? 1 - pow(0.05, 1.0 / (double)trials) : 1;
    else {
        double lo;
        wilson(failures < trials ? failures : trials, trials, 1.644854, &lo, &v->upper95);
    }
}

void rl_judge_counts(const rl_grade_input *in, rl_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->forbidden = in->forbidden;
    v->interesting = in->interesting;
    stats(in->forbidden, in->trials, v);
    v->judged = 1;
    int oracle_caught = in->forbidden > 0;
    int tsan_caught = in->tsan_reports > 0;
    if (in->trials == 0 && !oracle_caught && !tsan_caught) {
        v->verdict = RL_VERDICT_ERROR; /* nothing was graded: nothing passes */
        v->met = 0;
        return;
    }
    switch (in->expect) {
    case RL_REPRODUCES: {
        int caught = in->caught_by == RL_CAUGHT_BY_ORACLE ? oracle_caught
                     : in->caught_by == RL_CAUGHT_BY_TSAN ? tsan_caught
                                                          : oracle_caught || tsan_caught;
        if (in->caught_by == RL_CAUGHT_BY_TSAN && !in->tsan_flavour) {
            v->judged = 0; /* nothing in this flavour can catch it */
            caught = oracle_caught;
        }
        if (in->needs_fault && !in->points_act)
            v->judged = 0; /* its failure needs a fault, and points do not act */
        v->verdict = caught ? RL_VERDICT_REPRODUCED : RL_VERDICT_NOT_REPRODUCED;
        v->met = caught;
        break;
    }
    case RL_HOLDS:
    case RL_BENIGN:
        if (oracle_caught || tsan_caught)
            v->verdict = RL_VERDICT_FAILS;
        else if (in->interrupted || in->control == RL_CONTROL_MISSED)
            v->verdict = RL_VERDICT_INCONCLUSIVE; /* clean, but not evidence */
        else
            v->verdict = in->expect == RL_HOLDS ? RL_VERDICT_HOLDS : RL_VERDICT_BENIGN;
        v->met = v->verdict == RL_VERDICT_HOLDS || v->verdict == RL_VERDICT_BENIGN;
        if (v->met && in->control == RL_CONTROL_UNJUDGEABLE)
            v->judged = 0; /* clean, but nothing here could have shown the bug */
        break;
    }
}

int rl_verdict_exit_class(const rl_verdict *v)
{
    if (v->verdict == RL_VERDICT_ERROR)
        return RL_EXIT_HARNESS;
    if (!v->judged || v->met)
        return RL_EXIT_MET;
    return v->verdict == RL_VERDICT_FAILS ? RL_EXIT_FIX_FAILED : RL_EXIT_WEAK;
}

static int rank(int status)
{
    switch (status) {
    case RL_EXIT_MET: return 0;
    case RL_EXIT_WEAK: return 1;
    case RL_EXIT_FIX_FAILED: return 2;
    case RL_EXIT_USAGE: return 3;
    case RL_EXIT_HARNESS: return 4;
    default: return 5; /* interrupted */
    }
}

int rl_worse_exit(int a, int b) { return rank(a) >= rank(b) ? a : b; }

double rl_rate_lower95(unsigned long long failures, unsigned long long trials)
{
    double lo, hi;
    wilson(failures < trials ? failures : trials, trials, 1.644854, &lo, &hi);
    return lo;
}

void rl_judge_error(rl_verdict *v)
{
    memset(v, 0, sizeof *v);
    stats(0, 0, v);
    v->verdict = RL_VERDICT_ERROR;
    v->judged = 1;
    v->met = 0;
}
