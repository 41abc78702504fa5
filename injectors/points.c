/* points.c — what happens when an actor reaches RL_POINT or RL_FAULT.
 *
 * In stress mode nothing: rl_points_live is 0 and the macros never call in.
 * In fuzz mode every enabled point is a libfiu point with an external
 * callback; the callback draws from the calling thread's own generator
 * (libfiu's is shared and not thread-safe), so one seed gives the same
 * decisions per thread. The action itself runs after fiu_fail() returns,
 * outside libfiu's lock. */
#include "../harness/internal.h"
#include "../harness/json.h"
#include "sched.h"

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

/* Returns the spec that fired here, or NULL. */
static const rl_inject_spec *reach(const char *name)
{
    int idx = point_index(name);
    count(hits, idx);
    if (!fiu_ready || !fiu_fail(name))
        return NULL;
    count(fired, idx);
    return fiu_failinfo();
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

    const rl_inject_spec *spec = reach(name);
    if (spec != NULL)
        act(spec);
}

int rl_fault_hit(const char *name)
{
    if (rl_sched_here())
        rl_sched_point(name);
    const rl_inject_spec *spec = reach(name);
    if (spec == NULL)
        return 0;
    if (spec->action == RL_ACT_FAIL)
        return 1;
    act(spec);
    return 0;
}

/* The default fuzz profile: a random delay at every point, sometimes. Fault
 * points are never failed unless asked. */
static const char default_profile[] = "*:delay=100us,p=0.2";

int rl_points_setup(const rl_scenario *sc, rl_config *cfg, char *err, size_t errlen)
{
    scenario = sc;
    if (cfg->mode == RL_MODE_FUZZ && cfg->n_specs == 0 && sc->n_points > 0) {
        if (rl_parse_inject(default_profile, &cfg->specs[0], err, errlen) != 0)
            return -1;
        cfg->n_specs = 1;
        cfg->default_profile = 1;
    }
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
            snprintf(err, errlen, "--inject needs --mode fuzz or sched (points do nothing in stress mode)");
            return -1;
        }
        return 0;
    }
    for (int s = 0; cfg->mode == RL_MODE_SCHED && s < cfg->n_specs; s++) {
        if (cfg->specs[s].action != RL_ACT_FAIL) {
            snprintf(err, errlen,
                     "bad --inject '%s': in sched mode only fail applies (the scheduler decides timing)",
                     cfg->specs[s].text);
            return -1;
        }
    }
    rl_points_live = 1;
    if (cfg->n_specs == 0)
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

void rl_print_point_counts(FILE *f, const rl_scenario *sc)
{
    fputc('{', f);
    for (int i = 0; i < sc->n_points; i++) {
        fputs(i ? ", " : "", f);
        rl_json_string(f, sc->points[i].name);
        fputs(": {\"spec\": ", f);
        rl_json_string(f, point_spec[i] != NULL ? point_spec[i]->text : NULL);
        const char *label[2] = {"hits", "fired"};
        for (int t = 0; t < 2; t++) {
            fprintf(f, ", \"%s\": [", label[t]);
            for (int a = 0; a < sc->actors && a < RL_MAX_ACTORS; a++) {
                _Atomic unsigned long long *row = t == 0 ? hits[i] : fired[i];
                fprintf(f, "%s%llu", a ? ", " : "", atomic_load(&row[a]));
            }
            fputc(']', f);
        }
        fputc('}', f);
    }
    fputc('}', f);
}
