/* tsan_hooks.c — what a ThreadSanitizer build tells the program about itself.
 *
 * The TSan flavour bakes in the options and suppressions of DESIGN.md (the
 * environment's TSAN_OPTIONS still wins) and counts its own reports by kind
 * through __tsan_on_report, so a scenario program's record says what TSan
 * saw without anyone parsing logs. */
#include "internal.h"

#include <string.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RL_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define RL_TSAN 1
#endif

#ifdef RL_TSAN

/* exitcode=0: the program's own exit status carries the verdict (TSan
 * reports are part of it); a TSan report must not turn a met expectation
 * into 66. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "atexit_sleep_ms=0:second_deadlock_stack=1:exitcode=0:history_size=4";
}

/* fiu_fail() takes an rwlock: seen by TSan it would add happens-before edges
 * between actors and hide the very races we hunt (DESIGN.md). */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "called_from_lib:libfiu.so\n"
           "called_from_lib:libfiu.so.1\n"
           "called_from_lib:libfiu.so.1.1\n"
           "called_from_lib:fiu_posix_preload.so\n"
           "called_from_lib:fiu_run_preload.so\n";
}

int __tsan_get_report_data(void *report, const char **description, int *count,
                           int *stack_count, int *mop_count, int *loc_count,
                           int *mutex_count, int *thread_count, int *unique_tid_count,
                           void **sleep_trace, unsigned long trace_size);
void __tsan_on_report(void *report);

/* Written only under TSan's report mutex (reports are serialised); read by
 * the main thread at the end through the atomics. */
static const char *kind_names[RL_MAX_TSAN_KINDS];
static _Atomic unsigned long long kind_counts[RL_MAX_TSAN_KINDS];
static _Atomic int n_kinds;
static _Atomic long long first_trial = -1;
static const char *_Atomic first_kind;
static _Atomic double first_time;

void __tsan_on_report(void *report)
{
    const char *description = "unknown";
    int count = 0, stacks = 0, mops = 0, locs = 0, mutexes = 0, threads = 0, tids = 0;
    void *sleep_trace[1];
    __tsan_get_report_data(report, &description, &count, &stacks, &mops, &locs, &mutexes,
                           &threads, &tids, sleep_trace, 1);
    int n = atomic_load(&n_kinds);
    int slot = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(kind_names[i], description) == 0)
            slot = i;
    if (slot < 0 && n < RL_MAX_TSAN_KINDS) {
        slot = n;
        kind_names[slot] = description;
        atomic_store(&n_kinds, n + 1);
    }
    if (slot >= 0)
        atomic_fetch_add(&kind_counts[slot], 1);
    if (atomic_load(&first_kind) == NULL) {
        atomic_store(&first_time, rl_now());
        atomic_store(&first_trial, rl_context_trial());
        atomic_store(&first_kind, description);
    }
}

int rl_flavour_is_tsan(void) { return 1; }

void rl_tsan_snapshot(rl_result *res, double run_start)
{
    int n = atomic_load(&n_kinds);
    res->n_tsan_kinds = n;
    res->tsan_reports = 0;
    for (int i = 0; i < n; i++) {
        res->tsan[i].kind = kind_names[i];
        res->tsan[i].count = atomic_load(&kind_counts[i]);
        res->tsan_reports += res->tsan[i].count;
    }
    const char *kind = atomic_load(&first_kind);
    long long trial = atomic_load(&first_trial);
    if (kind != NULL && trial >= 0 &&
        (res->first_failure_trial < 0 || trial < res->first_failure_trial)) {
        res->first_failure_trial = trial;
        res->first_failure_cause = kind;
        res->first_failure_seconds = atomic_load(&first_time) - run_start;
    }
}

#else

int rl_flavour_is_tsan(void) { return 0; }

void rl_tsan_snapshot(rl_result *res, double run_start)
{
    (void)run_start;
    res->n_tsan_kinds = 0;
    res->tsan_reports = 0;
}

#endif

const char *rl_flavour_name(void) { return rl_flavour_is_tsan() ? "tsan" : "plain"; }
