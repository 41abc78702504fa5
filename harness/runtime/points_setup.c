/* points_setup.c — the specs in force for this run, bound to the
 * scenario's points: the profile's first (fuzz mode), then the one the
 * variant declares it needs, then --inject's (a later spec for a point
 * wins). Checked against the mode, then the points are made live. */
#include "internal.h"

#include <string.h>

static rl_point_decl decls[RL_MAX_POINTS];

_Static_assert(RL_MAX_POINTS <= RL_POINTS_MAX, "the injectors' point table is too small");
_Static_assert(RL_MAX_ACTORS <= RL_POINTS_MAX_THREADS, "the injectors count too few threads");
_Static_assert(RL_MAX_ACTORS <= RL_RECORD_MAX_ACTORS, "the record counts too few actors");

/* Puts `text` at specs[at], moving the later ones up. */
static int insert_spec(rl_config *cfg, int at, const char *text, char *err, size_t errlen)
{
    if (cfg->n_specs >= RL_MAX_SPECS) {
        snprintf(err, errlen, "too many --inject specs (at most %d with the profile's)",
                 RL_MAX_SPECS);
        return -1;
    }
    memmove(&cfg->specs[at + 1], &cfg->specs[at],
            (size_t)(cfg->n_specs - at) * sizeof cfg->specs[0]);
    cfg->n_specs++;
    return rl_parse_inject(text, &cfg->specs[at], err, errlen);
}

/* Without --profile, fuzz mode (and the fuzz half of stress+fuzz) uses
 * `default` unless --inject says otherwise. */
static int apply_profile(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen)
{
    const char *name = cfg->profile;
    if (name == NULL) {
        if ((cfg->mode != RL_MODE_FUZZ && cfg->mode != RL_MODE_BOTH) || cfg->n_specs > 0)
            return 0;
        name = "default";
    }
    if (cfg->mode != RL_MODE_FUZZ && cfg->mode != RL_MODE_BOTH) {
        snprintf(err, errlen, "--profile needs --mode fuzz or stress+fuzz");
        return -1;
    }
    const rl_profile *p = rl_profile_find(name);
    if (p == NULL) {
        snprintf(err, errlen, "unknown profile '%s'", name);
        return -1;
    }
    cfg->profile = p->name;
    cfg->default_profile = strcmp(p->name, "default") == 0;
    if (p->spec == NULL || sc->n_points == 0)
        return 0;
    cfg->profile_spec = p->spec;
    return insert_spec(cfg, 0, p->spec, err, errlen);
}

/* The variant's own spec, after the profile's and before the user's. */
static int apply_variant_spec(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen)
{
    const char *needs = rl_variant_inject(&sc->variants[cfg->variant]);
    if (needs == NULL || cfg->mode == RL_MODE_STRESS)
        return 0;
    int at = cfg->profile_spec != NULL;
    char why[512];
    if (insert_spec(cfg, at, needs, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: variant %s: %s", sc->name, sc->variants[cfg->variant].name, why);
        return -3; /* a broken descriptor */
    }
    cfg->variant_spec = cfg->specs[at].text;
    return 0;
}

static int check_mode(const rl_config *cfg, char *err, size_t errlen)
{
    if (cfg->mode == RL_MODE_STRESS && cfg->n_specs > 0) {
        snprintf(err, errlen,
                 "--inject needs --mode fuzz or sched (points do nothing in stress "
                 "mode)");
        return -1;
    }
    for (int s = 0; cfg->mode == RL_MODE_SCHED && s < cfg->n_specs; s++) {
        if (cfg->specs[s].action != RL_ACT_FAIL) {
            snprintf(
                err, errlen,
                "bad --inject '%s': in sched mode only fail applies (the scheduler decides timing)",
                cfg->specs[s].text);
            return -1;
        }
    }
    return 0;
}

int rl_points_check(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen)
{
    int rc = apply_profile(sc, cfg, err, errlen);
    if (rc == 0)
        rc = apply_variant_spec(sc, cfg, err, errlen);
    if (rc != 0)
        return rc;
    for (int i = 0; i < sc->n_points; i++)
        decls[i] = (rl_point_decl){sc->points[i].name, sc->points[i].kind == RL_FAULT_POINT};
    if (rl_points_bind(sc->name, decls, sc->n_points, cfg->specs, cfg->n_specs, err, errlen) != 0)
        return -1;
    return check_mode(cfg, err, errlen);
}

int rl_points_setup(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen)
{
    int rc = rl_points_check(sc, cfg, err, errlen);
    if (rc != 0)
        return rc;
    if (cfg->mode == RL_MODE_STRESS)
        return 0;
    /* sched mode without faults: libfiu is not needed */
    if ((cfg->mode != RL_MODE_SCHED || cfg->n_specs > 0) &&
        rl_points_enable(cfg->seed, rl_context_random, err, errlen) != 0)
        return -3;
    rl_points_arm(sc);
    return 0;
}

void rl_point_counts(const rl_scenario *sc, rl_point_record *out)
{
    rl_points_report(out, sc->actors);
}

int rl_points_unhit(const rl_scenario *sc, const rl_point_record *counts, const char **out)
{
    int n = 0;
    for (int i = 0; i < sc->n_points; i++) {
        unsigned long long total = 0;
        for (int a = 0; a < sc->actors; a++)
            total += counts[i].hits[a];
        if (total == 0)
            out[n++] = sc->points[i].name;
    }
    return n;
}
