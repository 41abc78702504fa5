/* compare_print.c — the comparison as a person reads it: the correctness
 * table with each candidate's strongest statement, the cost tables (one per
 * mode, a column per knob value), and the decision. Returns the exit
 * status: 0 a candidate holds with its control reproduced, 1 every
 * candidate fails, 4 weak evidence, 3 a run gave no record. */
#include "compare/compare.h"
#include "core/plan.h"
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *setting_name(const cmp_run *r) { return r->strategy ? r->strategy : r->mode; }

static void print_run(FILE *f, const cmp_run *r)
{
    fprintf(f, "  %-16s %-9s %-6s %-7s", r->var->name, r->control ? "control" : "candidate",
            r->tsan ? "tsan" : "plain", setting_name(r));
    if (r->rec == NULL) {
        fprintf(f, " error: %s\n", r->error ? r->error : "no record");
        return;
    }
    char *trials = rp_count((double)r->trials);
    fprintf(f, " %9s %9llu", trials, r->v.failures);
    free(trials);
    int dfs = r->dfs_bound > 0;
    if (r->control) {
        char *rate = rp_prob(r->v.rate);
        fprintf(f, " %9s  %s", "-", rl_verdict_name(r->v.verdict));
        if (r->v.failures > 0)
            fprintf(f, ", rate %s", rate);
        if (r->tsan_reports > 0)
            fprintf(f, ", %llu TSan report%s", r->tsan_reports, r->tsan_reports == 1 ? "" : "s");
        fprintf(f, "%s%s\n", r->v.judged ? "" : " (not judged here)",
                dfs && r->exhausted ? " (space exhausted)" : "");
        free(rate);
        return;
    }
    char *upper = rp_prob(r->v.upper95);
    fprintf(f, " %9s  %s", dfs && r->exhausted ? "-" : upper, rl_verdict_name(r->v.verdict));
    if (r->tsan_reports > 0)
        fprintf(f, " (%llu TSan report%s)", r->tsan_reports, r->tsan_reports == 1 ? "" : "s");
    if (r->v.verdict == RL_VERDICT_INCONCLUSIVE && r->control_state == RL_CONTROL_MISSED)
        fputs(" (no control reproduced)", f);
    if (dfs && r->exhausted && r->v.failures == 0)
        fprintf(f, ": every schedule with <= %d preemptions tried: none fails", r->dfs_bound);
    else if (dfs && !r->exhausted)
        fputs(" (space not exhausted within the cap)", f);
    fputc('\n', f);
    free(upper);
}

/* The strongest statement about one candidate. */
static cand_state print_statement(FILE *f, const compare_opts *o, const cmp_runs *runs,
                                  const cmp_cost *cost, int i)
{
    const variant_info *cand = o->cands[i];
    cand_state st = compare_cand_state(runs, cand);
    unsigned long long cost_bad = cost && cost->cand_failures ? cost->cand_failures[i] : 0;
    if (cost_bad > 0)
        st = CAND_FAILS;
    int held = 0, settings = 0, exhausted[2] = {0, 0}, failed = 0;
    for (int k = 0; k < runs->n; k++) {
        const cmp_run *r = &runs->runs[k];
        if (r->control || r->var != cand)
            continue;
        settings++;
        held += r->v.met;
        failed += r->v.verdict == RL_VERDICT_FAILS;
        if (r->exhausted && r->v.failures == 0 && r->v.met)
            exhausted[r->tsan] = 1;
    }
    int benign = strcmp(cand->expectation, "benign") == 0;
    const char *word = st == CAND_HOLDS   ? (benign ? "benign (holds)" : "holds")
                       : st == CAND_FAILS ? "OUT, fails"
                       : st == CAND_ERROR ? "error"
                                          : "inconclusive";
    fprintf(f, "  %-16s %s:", cand->name, word);
    if (st == CAND_FAILS) {
        fprintf(f, " failed in %d of %d settings", failed, settings);
        if (cost_bad > 0)
            fprintf(f, ", %llu failures in its cost runs", cost_bad);
    } else {
        fprintf(f, " held with a reproduced control in %d of %d settings", held, settings);
        if (exhausted[0] || exhausted[1])
            fprintf(f, "; every schedule with <= %d preemptions tried: none fails (%s%s%s)",
                    o->dfs_bound, exhausted[0] ? "plain" : "",
                    exhausted[0] && exhausted[1] ? ", " : "", exhausted[1] ? "tsan" : "");
    }
    fputc('\n', f);
    return st;
}

static void print_correctness(FILE *f, const compare_opts *o, const cmp_runs *runs, cand_state *st,
                              const cmp_cost *cost)
{
    fprintf(f, "correctness (stress, fuzz, sched pct:3 runs of %g s", o->check_seconds);
    if (o->dfs_bound > 0)
        fprintf(f, "; dfs:%d up to %llu schedules", o->dfs_bound, o->dfs_trials);
    fprintf(f, "; seed %llu%s%s)\n", o->seed, o->n_knob_values ? "; " : "",
            o->n_knob_values ? o->knob_values[0] : "");
    fprintf(f, "  %-16s %-9s %-6s %-7s %9s %9s %9s  %s\n", "variant", "role", "build", "mode",
            "trials", "failures", "upper95", "verdict");
    for (int k = 0; k < runs->n; k++)
        print_run(f, &runs->runs[k]);
    fputs("evidence:\n", f);
    for (int i = 0; i < o->n_cands; i++)
        st[i] = print_statement(f, o, runs, cost, i);
}

/* The fastest holding candidate (any, when none holds) of one setting. */
static int fastest_of(const cmp_cost *c, const cand_state *st, int mode, int value)
{
    int best = -1;
    for (int pass = 0; pass < 2 && best < 0; pass++)
        for (int i = 0; i < c->n_cands; i++) {
            if (pass == 0 && st[i] != CAND_HOLDS)
                continue;
            double g = cost_geomean(c, i, mode, value);
            if (g > 0 && (best < 0 || g > cost_geomean(c, best, mode, value)))
                best = i;
        }
    return best;
}

/* How each candidate's throughput moves from the knob's first value to its
 * last: the contention story in one line. */
static void print_growth(FILE *f, const compare_opts *o, const cmp_cost *c, int m)
{
    if (c->n_values < 2)
        return;
    fprintf(f, "  growth, trials/s at %s over %s:", o->knob_values[c->n_values - 1],
            o->knob_values[0]);
    for (int i = 0; i < c->n_cands; i++) {
        double x, lo, hi;
        if (cost_growth(c, i, m, &x, &lo, &hi) > 0)
            fprintf(f, "%s %s x%.2f [%.2f, %.2f]", i ? ";" : "", o->cands[i]->name, x, lo, hi);
    }
    fputc('\n', f);
}

static void print_cost(FILE *f, const compare_opts *o, const cmp_cost *c, const cand_state *st)
{
    for (int m = 0; m < c->n_modes; m++) {
        fprintf(f,
                "\ncost, %s mode (%s build): trials/s, geometric mean of %d interleaved rounds "
                "of %g s;\n  xF [lo, hi]: the fastest is F times faster (95%% interval)\n",
                c->modes[m], o->flavours & FLAVOUR_PLAIN ? "plain" : "tsan", c->rounds,
                o->cost_seconds);
        fprintf(f, "  %-16s", "candidate");
        for (int k = 0; k < c->n_values; k++)
            fprintf(f, " %-30s", o->n_knob_values ? o->knob_values[k] : "");
        fputc('\n', f);
        for (int i = 0; i < c->n_cands; i++) {
            fprintf(f, "  %-16s", o->cands[i]->name);
            for (int k = 0; k < c->n_values; k++) {
                int best = fastest_of(c, st, m, k);
                char *g = rp_count(cost_geomean(c, i, m, k)), cell[64];
                double x, lo, hi;
                if (i == best)
                    snprintf(cell, sizeof cell, "%s fastest", g);
                else if (best >= 0 && cost_ratio(c, best, i, m, k, &x, &lo, &hi) > 0)
                    snprintf(cell, sizeof cell, "%s x%.2f [%.2f, %.2f]", g, x, lo, hi);
                else
                    snprintf(cell, sizeof cell, "%s", g);
                fprintf(f, " %-30s", cell);
                free(g);
            }
            fprintf(f, "%s\n", st[i] == CAND_FAILS ? "  (out: fails)" : "");
        }
        print_growth(f, o, c, m);
    }
}

/* One line per cost setting; counts how often each candidate is at the top. */
static void decide_setting(FILE *f, const compare_opts *o, const cmp_cost *c, const cand_state *st,
                           int m, int k, int *top)
{
    int best = fastest_of(c, st, m, k);
    if (best < 0 || st[best] != CAND_HOLDS)
        return;
    top[best]++;
    fprintf(f, "  %s%s%s: %s fastest", c->modes[m], o->n_knob_values ? " " : "",
            o->n_knob_values ? o->knob_values[k] : "", o->cands[best]->name);
    for (int i = 0; i < c->n_cands; i++) {
        double x, lo, hi;
        if (i == best || st[i] != CAND_HOLDS || cost_ratio(c, best, i, m, k, &x, &lo, &hi) == 0)
            continue;
        if (lo <= 1) {
            top[i]++;
            fprintf(f, "; within noise of %s (x%.2f [%.2f, %.2f])", o->cands[i]->name, x, lo, hi);
        } else {
            fprintf(f, "; %.2fx [%.2f, %.2f] faster than %s", x, lo, hi, o->cands[i]->name);
        }
    }
    fputc('\n', f);
}

static void print_decision(FILE *f, const compare_opts *o, const cmp_cost *c, const cand_state *st)
{
    int top[64] = {0}, n_settings = 0, n_hold = 0;
    fputs("\ndecision:\n", f);
    for (int i = 0; i < o->n_cands; i++)
        if (st[i] == CAND_FAILS)
            fprintf(f, "  out: %s (fails)\n", o->cands[i]->name);
        else if (st[i] == CAND_HOLDS)
            n_hold++;
    if (c != NULL)
        for (int m = 0; m < c->n_modes; m++)
            for (int k = 0; k < c->n_values; k++, n_settings++)
                decide_setting(f, o, c, st, m, k, top);
    if (n_hold == 0) {
        fputs("decision: no candidate holds with a reproduced control\n", f);
        return;
    }
    int best = -1, ties = 0;
    for (int i = 0; i < o->n_cands; i++)
        if (st[i] == CAND_HOLDS && (best < 0 || top[i] > top[best]))
            best = i;
    for (int i = 0; i < o->n_cands; i++)
        ties += st[i] == CAND_HOLDS && i != best && top[i] == top[best];
    if (c == NULL) {
        fprintf(f, "decision: %d candidate%s hold%s; cost not measured (--no-cost)\n", n_hold,
                n_hold == 1 ? "" : "s", n_hold == 1 ? "s" : "");
    } else if (ties > 0) {
        fputs("decision: within noise of each other as often:", f);
        for (int i = 0; i < o->n_cands; i++)
            if (st[i] == CAND_HOLDS && top[i] == top[best])
                fprintf(f, " %s", o->cands[i]->name);
        fprintf(f, " (fastest or within noise in %d of %d settings): no cost reason to pick one\n",
                top[best], n_settings);
    } else {
        fprintf(f,
                "decision: %s — holds, and is the fastest or within noise of it in %d of %d "
                "settings\n",
                o->cands[best]->name, top[best], n_settings);
    }
}

int compare_print(FILE *f, const compare_opts *o, const cmp_runs *runs, const cmp_cost *cost)
{
    cand_state st[64] = {CAND_ERROR};
    fprintf(f, "racelab compare %s:", o->sc->name);
    for (int i = 0; i < o->n_cands; i++)
        fprintf(f, "%s%s", i ? "," : "", o->cands[i]->name);
    fputs(" (controls:", f);
    for (int i = 0; i < o->n_controls; i++)
        fprintf(f, " %s", o->controls[i]->name);
    fputs(")\n", f);
    print_correctness(f, o, runs, st, cost);
    if (cost != NULL)
        print_cost(f, o, cost, st);
    print_decision(f, o, cost, st);
    int holds = 0, fails = 0, error = 0;
    for (int i = 0; i < o->n_cands; i++) {
        holds += st[i] == CAND_HOLDS;
        fails += st[i] == CAND_FAILS;
        error += st[i] == CAND_ERROR;
    }
    return holds                 ? RL_EXIT_MET
           : error               ? RL_EXIT_HARNESS
           : fails == o->n_cands ? RL_EXIT_FIX_FAILED
                                 : RL_EXIT_WEAK;
}
