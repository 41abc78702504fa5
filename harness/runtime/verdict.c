/* verdict.c — this run's counts handed to the grader (common/grader.c). */
#include "internal.h"

void rl_judge(const rl_scenario *sc, const rl_config *cfg, const rl_result *res, rl_verdict *v)
{
    const rl_variant *var = &sc->variants[cfg->variant];
    rl_grade_input in = {
        .expect = var->expect,
        .caught_by = var->caught_by,
        .needs_fault = var->inject != NULL,
        .points_act = cfg->mode != RL_MODE_STRESS,
        .tsan_flavour = rl_flavour_is_tsan(),
        .trials = res->trials,
        .forbidden = res->hangs,
        .tsan_reports = res->tsan_reports,
        .interrupted = res->interrupted,
    };
    for (int o = 0; o < sc->n_outcomes; o++) {
        if (sc->outcomes[o].grade == RL_FORBIDDEN)
            in.forbidden += res->outcome_counts[o];
        else if (sc->outcomes[o].grade == RL_INTERESTING)
            in.interesting += res->outcome_counts[o];
    }
    rl_judge_counts(&in, v);
}

int rl_exit_status(const rl_verdict *v) { return rl_verdict_exit_class(v); }
