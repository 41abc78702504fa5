/* engine_both.c — stress+fuzz mode: the batched engine twice over one budget,
 * first free-running (points cost nothing), then with points acting (the
 * fuzz profile's delays and the variant's own fault). Stress finds races
 * whose window is a few instructions; fuzz widens windows that the stress
 * half crosses too rarely on a loaded machine. One result, one verdict, and
 * each half's counts in `phases`. */
#include "engine.h"

int rl_run_both(const rl_scenario *sc, const rl_config *cfg, rl_result *out)
{
    rl_config half = *cfg;
    if (cfg->trials > 0) {
        half.trials = cfg->trials / 2 > 0 ? cfg->trials / 2 : 1;
    } else {
        half.seconds = cfg->seconds / 2;
    }
    static rl_result stress; /* outlives the second half: its watchdog may print it */
    int live = rl_points_live;
    rl_points_live = 0;
    rl_run_carry(NULL, NULL, "stress");
    int rc = rl_run_batched(sc, &half, &stress);
    rl_run_carry(NULL, NULL, NULL);
    rl_points_live = live;
    if (rc != 0)
        return rc;
    int done = stress.interrupted || (cfg->until_fail && stress.first_failure_trial >= 0) ||
               (cfg->trials > 0 && stress.trials >= cfg->trials);
    if (done) {
        *out = stress;
        return 0;
    }
    if (cfg->trials > 0)
        half.trials = cfg->trials - stress.trials;
    else
        half.seconds = cfg->seconds - stress.seconds > 0 ? cfg->seconds - stress.seconds : 1e-3;
    rl_run_carry(&stress, "stress", "fuzz");
    rc = rl_run_batched(sc, &half, out);
    rl_run_carry(NULL, NULL, NULL);
    return rc;
}
