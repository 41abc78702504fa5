/* points.c — what happens when an actor reaches RL_POINT or RL_FAULT.
 *
 * In stress mode nothing: rl_points_live is 0 and the macros never call in.
 * In fuzz mode every enabled point is a libfiu point with an external
 * callback; the callback draws from the calling thread's own generator
 * (libfiu's is shared and not thread-safe), so one seed gives the same
 * decisions per thread. The action itself runs after fiu_fail() returns,
 * outside libfiu's lock. */
#include "../../harness/runtime/internal.h"
#include "../sched/sched.h"

#include <fiu-control.h>
#include <fiu.h>
#include <fnmatch.h>
#include <sched.h>
#include <string.h>

int rl_points_live;
static int fiu_ready; /* libfiu initialised and some point enabled */

static const rl_scenario *scenario;
static const rl_inject_spec *point_spec[RL_MAX_POINTS];
static _Atomic unsigned long long hits[RL_MAX_POINTS][RL_MAX_ACTORS];
static _Atomic unsigned long long fired[RL_MAX_POINTS][RL_MAX_ACTORS];
/* fired because fiu-ctrl (or fiu-run -c) enabled the point from outside */
static _Atomic unsigned long long external[RL_MAX_POINTS][RL_MAX_ACTORS];
static const rl_inject_spec *own_specs_begin, *own_specs_end;

static int decide(const char *name, int *failnum, void **failinfo, unsigned int *flags)
{
    (void)name;
    (void)failnum;
    (void)flags;
    const rl_inject_spec *spec = *failinfo;
    /* 53 random bits → [0, 1) */
    double u = (double)(rl_context_random() >> 11) * 0x1.0p-53;
    return u < spec->probability;
}

static int point_index(const char *name)
{
    for (int i = 0; i < scenario->n_points; i++)
        if (scenario->points[i].name == name || strcmp(scenario->points[i].name, name) == 0)
            return i;
    return -1;
}

static void count(_Atomic unsigned long long table[][RL_MAX_ACTORS], int point)
{
    int actor = rl_self();
    if (point >= 0 && actor >= 0 && actor < RL_MAX_ACTORS)
        atomic_fetch_add_explicit(&table[point][actor], 1, memory_order_relaxed);
}

/* Returns the spec that fired here, or NULL. A point enabled from outside
 * (fiu-ctrl) has no spec of ours: a fault point fails, a delay point pauses
 * for failinfo microseconds when given, else 1 ms; `local` holds that. */
static const rl_inject_spec *reach(const char *name, rl_inject_spec *local)
{
    int idx = point_index(name);
    count(hits, idx);
    if (!fiu_ready || !fiu_fail(name))
        return NULL;
    const rl_inject_spec *info = fiu_failinfo();
    if (info >= own_specs_begin && info < own_specs_end) {
        count(fired, idx);
        return info;
    }
    count(external, idx);
    memset(local, 0, sizeof *local);
    local->probability = 1;
    int fault = idx >= 0 && scenario->points[idx].kind == RL_FAULT_POINT;
    local->action = fault ? RL_ACT_FAIL : RL_ACT_DELAY;
    local->amount = info != NULL ? (uint64_t)(uintptr_t)info * 1000u : 1000000u;
    return local;
}

static void act(const rl_inject_spec *spec)
{
    switch (spec->action) {
    case RL_ACT_YIELD: sched_yield(); break;
    case RL_ACT_SPIN:
        for (uint64_t i = 0; i < spec->amount; i++) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        break;
    case RL_ACT_DELAY: rl_pause_ns(rl_context_random() % (spec->amount + 1)); break;
    case RL_ACT_FAIL: break;
    }
}

void rl_point_hit(const char *name)
{
    if (rl_sched_here()) {
        count(hits, point_index(name));
        rl_sched_point(name); /* in sched mode a point is a scheduling decision */
        return;
    }

    rl_inject_spec local;
    const rl_inject_spec *spec = reach(name, &local);
    if (spec != NULL)
        act(spec);
}

int rl_fault_hit(const char *name)
{
    if (rl_sched_here())
        rl_sched_point(name);
    rl_inject_spec local;
    const rl_inject_spec *spec = reach(name, &local);
    if (spec == NULL)
        return 0;
    if (spec->action == RL_ACT_FAIL)
        return 1;
    act(spec);
    return 0;
}

/* Fuzz profiles: specs for every point, applied before --inject's (a later
 * spec for a point wins). Fault points are never failed by a profile. */
typedef struct {
    const char *name;
    const char *spec; /* NULL: nothing injected */
    const char *meaning;
} rl_profile;

static const rl_profile profiles[] = {
    {"none", NULL, "points live but nothing injected: for fiu-ctrl from outside"},
    {"gentle", "*:yield,p=0.1", "a yield at one point hit in ten"},
    {"default", "*:delay=100us,p=0.2", "a pause of up to 100 us at one point hit in five"},
    {"heavy", "*:delay=1ms,p=0.5", "a pause of up to 1 ms at every other point hit"},
};

int rl_profile_known(const char *name)
{
    for (int i = 0; i < RL_COUNT(profiles); i++)
        if (strcmp(profiles[i].name, name) == 0)
            return 1;
    return 0;
}

void rl_print_profiles(FILE *f)
{
    for (int i = 0; i < RL_COUNT(profiles); i++)
        fprintf(f, "                     %-8s %s%s%s\n", profiles[i].name, profiles[i].meaning,
                profiles[i].spec ? ": " : "", profiles[i].spec ? profiles[i].spec : "");
}

/* Puts the profile's spec in front of the user's. Without --profile, fuzz
 * mode uses `default` unless --inject says otherwise. */
static int apply_profile(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen)
{
    const char *name = cfg->profile;
    if (name == NULL) {
        if (cfg->mode != RL_MODE_FUZZ || cfg->n_specs > 0)
            return 0;
        name = "default";
    }
    if (cfg->mode != RL_MODE_FUZZ) {
        snprintf(err, errlen, "--profile needs --mode fuzz");
        return -1;
    }
    const rl_profile *p = NULL;
    for (int i = 0; i < RL_COUNT(profiles); i++)
        if (strcmp(profiles[i].name, name) == 0)
            p = &profiles[i];
    if (p == NULL) {
        snprintf(err, errlen, "unknown profile '%s'", name);
        return -1;
    }
    cfg->profile = p->name;
    cfg->default_profile = strcmp(p->name, "default") == 0;
    if (p->spec == NULL || sc->n_points == 0)
        return 0;
    cfg->profile_spec = p->spec;
    if (cfg->n_specs >= RL_MAX_SPECS) {
        snprintf(err, errlen, "too many --inject specs with the profile");
        return -1;
    }
    memmove(&cfg->specs[1], &cfg->specs[0], (size_t)cfg->n_specs * sizeof cfg->specs[0]);
    cfg->n_specs++;
    return rl_parse_inject(p->spec, &cfg->specs[0], err, errlen);
}

int rl_points_setup(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen)
{
    scenario = sc;
    if (apply_profile(sc, cfg, err, errlen) != 0)
        return -1;
    const char *needs = sc->variant_inject[cfg->variant];
    if (needs != NULL && cfg->mode != RL_MODE_STRESS) {
        int at = cfg->profile_spec != NULL; /* after the profile, before the user's */
        if (cfg->n_specs >= RL_MAX_SPECS) {
            snprintf(err, errlen, "too many --inject specs");
            return -1;
        }
        memmove(&cfg->specs[at + 1], &cfg->specs[at],
                (size_t)(cfg->n_specs - at) * sizeof cfg->specs[0]);
        cfg->n_specs++;
        if (rl_parse_inject(needs, &cfg->specs[at], err, errlen) != 0)
            return -3; /* a broken descriptor */
        cfg->variant_spec = cfg->specs[at].text;
    }
    own_specs_begin = &cfg->specs[0];
    own_specs_end = &cfg->specs[cfg->n_specs];
    for (int s = 0; s < cfg->n_specs; s++) {
        const rl_inject_spec *spec = &cfg->specs[s];
        int matched = 0;
        for (int i = 0; i < sc->n_points; i++) {
            if (fnmatch(spec->pattern, sc->points[i].name, 0) != 0)
                continue;
            if (spec->action == RL_ACT_FAIL && sc->points[i].kind != RL_FAULT_POINT)
                continue;
            point_spec[i] = spec; /* a later spec for the same point wins */
            matched++;
        }
        if (matched == 0) {
            snprintf(err, errlen, "bad --inject '%s': matches no %spoint of %s (see --describe)",
                     spec->text, spec->action == RL_ACT_FAIL ? "fault " : "", sc->name);
            return -1;
        }
    }
    if (cfg->mode == RL_MODE_STRESS) {
        if (cfg->n_specs > 0) {
            snprintf(err, errlen,
                     "--inject needs --mode fuzz or sched (points do nothing in stress mode)");
            return -1;
        }
        return 0;
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
    rl_points_live = 1;
    if (cfg->mode == RL_MODE_SCHED && cfg->n_specs == 0)
        return 0; /* sched mode without faults: libfiu is not needed */
    if (fiu_init(0) != 0) {
        snprintf(err, errlen, "libfiu: fiu_init failed");
        return -3;
    }
    fiu_set_prng_seed((unsigned int)cfg->seed);
    for (int i = 0; i < sc->n_points; i++) {
        if (point_spec[i] == NULL)
            continue;
        /* failinfo carries the spec; libfiu hands it back on each decision */
        if (fiu_enable_external(sc->points[i].name, 1, (void *)point_spec[i], 0, decide) != 0) {
            snprintf(err, errlen, "libfiu: cannot enable point %s", sc->points[i].name);
            return -3;
        }
    }
    fiu_ready = 1;
    rl_points_live = 1;
    return 0;
}

void rl_point_counts(const rl_scenario *sc, rl_point_record *out)
{
    for (int i = 0; i < sc->n_points; i++) {
        rl_point_record *p = &out[i];
        p->name = sc->points[i].name;
        p->spec = point_spec[i] != NULL ? point_spec[i]->text : NULL;
        p->actors = sc->actors;
        for (int a = 0; a < sc->actors && a < RL_MAX_ACTORS; a++) {
            p->hits[a] = atomic_load(&hits[i][a]);
            p->fired[a] = atomic_load(&fired[i][a]);
            p->external[a] = atomic_load(&external[i][a]);
        }
    }
}
