/* points.c — what happens when a thread reaches a point of the table.
 *
 * Every point a spec is bound to is a libfiu point with an external
 * callback; the callback draws from the calling thread's own generator
 * (libfiu's is shared and not thread-safe), so one seed gives the same
 * decisions per thread. The action itself runs after fiu_fail() returns,
 * outside libfiu's lock. A point enabled from outside (fiu-ctrl) fires too,
 * and is counted apart. */
#include "points.h"

#include <fiu-control.h>
#include <fiu.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static const rl_point_decl *table;
static int table_size;
static const rl_inject_spec *point_spec[RL_POINTS_MAX];
static const rl_inject_spec *own_specs_begin, *own_specs_end;
static rl_points_random_fn draw;
static int fiu_ready; /* libfiu initialised and the bound points enabled */

/* Per point and thread. In memory shared with forked children, so that a
 * point reached in a process the trial forks (async_mail's worker) counts. */
typedef struct {
    _Atomic unsigned long long hits[RL_POINTS_MAX][RL_POINTS_MAX_THREADS];
    _Atomic unsigned long long fired[RL_POINTS_MAX][RL_POINTS_MAX_THREADS];
    /* fired because fiu-ctrl (or fiu-run -c) enabled the point from outside */
    _Atomic unsigned long long external[RL_POINTS_MAX][RL_POINTS_MAX_THREADS];
} counters;

static counters private_counters; /* when shared memory cannot be had */
static counters *counts = &private_counters;

static void share_counters(void)
{
    static int tried;
    if (tried)
        return;
    tried = 1;
    void *shared = mmap(NULL, sizeof(counters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                        -1, 0); /* zero-filled */
    if (shared != MAP_FAILED)
        counts = shared;
}

int rl_points_bind(const char *owner, const rl_point_decl *points, int n_points,
                   const rl_inject_spec *specs, int n_specs, char *err, size_t errlen)
{
    if (n_points > RL_POINTS_MAX) {
        snprintf(err, errlen, "%s declares %d points (at most %d)", owner, n_points, RL_POINTS_MAX);
        return -1;
    }
    share_counters();
    table = points;
    table_size = n_points;
    own_specs_begin = specs;
    own_specs_end = specs + n_specs;
    memset(point_spec, 0, sizeof point_spec);
    for (int s = 0; s < n_specs; s++) {
        const rl_inject_spec *spec = &specs[s];
        int matched = 0;
        for (int i = 0; i < n_points; i++) {
            if (fnmatch(spec->pattern, points[i].name, 0) != 0)
                continue;
            if (spec->action == RL_ACT_FAIL && !points[i].fault)
                continue;
            point_spec[i] = spec; /* a later spec for the same point wins */
            matched++;
        }
        if (matched == 0) {
            snprintf(err, errlen, "bad --inject '%s': matches no %spoint of %s (see --describe)",
                     spec->text, spec->action == RL_ACT_FAIL ? "fault " : "", owner);
            return -1;
        }
    }
    return 0;
}

static int decide(const char *name, int *failnum, void **failinfo, unsigned int *flags)
{
    (void)name;
    (void)failnum;
    (void)flags;
    const rl_inject_spec *spec = *failinfo;
    /* 53 random bits → [0, 1) */
    double u = (double)(draw() >> 11) * 0x1.0p-53;
    return u < spec->probability;
}

int rl_points_enable(uint64_t seed, rl_points_random_fn random, char *err, size_t errlen)
{
    draw = random;
    if (fiu_init(0) != 0) {
        snprintf(err, errlen, "libfiu: fiu_init failed");
        return -1;
    }
    fiu_set_prng_seed((unsigned int)seed);
    for (int i = 0; i < table_size; i++) {
        if (point_spec[i] == NULL)
            continue;
        /* failinfo carries the spec; libfiu hands it back on each decision */
        if (fiu_enable_external(table[i].name, 1, (void *)point_spec[i], 0, decide) != 0) {
            snprintf(err, errlen, "libfiu: cannot enable point %s", table[i].name);
            return -1;
        }
    }
    fiu_ready = 1;
    return 0;
}

static void count(_Atomic unsigned long long counter[][RL_POINTS_MAX_THREADS], int point,
                  int thread)
{
    if (thread >= 0 && thread < RL_POINTS_MAX_THREADS)
        atomic_fetch_add_explicit(&counter[point][thread], 1, memory_order_relaxed);
}

void rl_points_count_hit(int point, int thread) { count(counts->hits, point, thread); }

/* The spec that fired here, or NULL. A point enabled from outside has no
 * spec of ours: a fault point fails, a delay point pauses for failinfo
 * microseconds when given, else 1 ms; `local` holds that. */
static const rl_inject_spec *fires(int point, int thread, rl_inject_spec *local)
{
    if (!fiu_ready || !fiu_fail(table[point].name))
        return NULL;
    const rl_inject_spec *info = fiu_failinfo();
    if (info >= own_specs_begin && info < own_specs_end) {
        count(counts->fired, point, thread);
        return info;
    }
    count(counts->external, point, thread);
    memset(local, 0, sizeof *local);
    local->probability = 1;
    local->action = table[point].fault ? RL_ACT_FAIL : RL_ACT_DELAY;
    local->amount = info != NULL ? (uint64_t)(uintptr_t)info * 1000u : 1000000u;
    return local;
}

int rl_points_reach(int point, int thread)
{
    count(counts->hits, point, thread);
    rl_inject_spec local;
    const rl_inject_spec *spec = fires(point, thread, &local);
    if (spec == NULL)
        return 0;
    switch (spec->action) {
    case RL_ACT_YIELD: sched_yield(); break;
    case RL_ACT_SPIN:
        for (uint64_t i = 0; i < spec->amount; i++) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        break;
    case RL_ACT_DELAY: rl_pause_ns(draw() % (spec->amount + 1)); break;
    case RL_ACT_FAIL: return 1;
    }
    return 0;
}

void rl_points_report(rl_point_record *out, int threads)
{
    for (int i = 0; i < table_size; i++) {
        rl_point_record *p = &out[i];
        p->name = table[i].name;
        p->spec = point_spec[i] != NULL ? point_spec[i]->text : NULL;
        p->actors = threads;
        for (int t = 0; t < threads && t < RL_POINTS_MAX_THREADS && t < RL_RECORD_MAX_ACTORS; t++) {
            p->hits[t] = atomic_load(&counts->hits[i][t]);
            p->fired[t] = atomic_load(&counts->fired[i][t]);
            p->external[t] = atomic_load(&counts->external[i][t]);
        }
    }
}
