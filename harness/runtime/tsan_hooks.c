/* tsan_hooks.c — what a ThreadSanitizer build tells the program about itself.
 *
 * The TSan flavour bakes in the options and suppressions of docs/design.md (the
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
 * into 66. die_after_fork=0: scenarios that fork per trial start threads in
 * the child (docs/design.md). */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    /* exitcode=0: the exit status is the verdict, not "TSan saw a report".
     * handle_*=0: a deadly signal must kill the program by that signal (the
     * driver records the crash and its name); TSan's own handlers would turn
     * it into a report and a clean exit with that exitcode. */
    return "atexit_sleep_ms=0:second_deadlock_stack=1:exitcode=0:history_size=4:die_after_fork=0:"
           "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0";
}

/* fiu_fail() takes an rwlock: seen by TSan it would add happens-before edges
 * between actors and hide the very races we hunt (docs/design.md). */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
    return "called_from_lib:libfiu.so\n"
           "called_from_lib:libfiu.so.1\n"
           "called_from_lib:libfiu.so.1.1\n"
           "called_from_lib:fiu_posix_preload.so\n"
           "called_from_lib:fiu_run_preload.so\n";
}

int __tsan_get_report_data(void *report, const char **description, int *count, int *stack_count,
                           int *mop_count, int *loc_count, int *mutex_count, int *thread_count,
                           int *unique_tid_count, void **sleep_trace, unsigned long trace_size);
void __tsan_on_report(void *report);

/* The hook runs inside TSan's report machinery: an instrumented access or
 * atomic here would re-enter TSan and deadlock it. So the hook and the
 * reader are not instrumented, use plain variables (TSan serialises its
 * reports; the reader runs after the actors have stopped) and compare the
 * kind by pointer (TSan's kind names are its own static strings). */
#define RL_NO_TSAN __attribute__((no_sanitize("thread")))

static const char *kind_names[RL_MAX_TSAN_KINDS];
static unsigned long long kind_counts[RL_MAX_TSAN_KINDS];
static int n_kinds;
static long long first_trial = -1;
static const char *first_kind;
static double first_time;

RL_NO_TSAN void __tsan_on_report(void *report)
{
    const char *description = "unknown";
    int count = 0, stacks = 0, mops = 0, locs = 0, mutexes = 0, threads = 0, tids = 0;
    void *sleep_trace[1];
    __tsan_get_report_data(report, &description, &count, &stacks, &mops, &locs, &mutexes, &threads,
                           &tids, sleep_trace, 1);
    int slot = -1;
    for (int i = 0; i < n_kinds; i++)
        if (kind_names[i] == description)
            slot = i;
    if (slot < 0 && n_kinds < RL_MAX_TSAN_KINDS) {
        slot = n_kinds++;
        kind_names[slot] = description;
    }
    if (slot >= 0)
        kind_counts[slot]++;
    if (first_kind == NULL) {
        first_kind = description;
        first_trial = rl_context_trial();
        first_time = rl_now();
    }
}

int rl_flavour_is_tsan(void) { return 1; }

RL_NO_TSAN void rl_tsan_snapshot(rl_result *res, double run_start)
{
    int n = n_kinds;
    res->n_tsan_kinds = n;
    res->tsan_reports = 0;
    for (int i = 0; i < n; i++) {
        res->tsan[i].kind = kind_names[i];
        res->tsan[i].count = kind_counts[i];
        res->tsan_reports += res->tsan[i].count;
    }
    const char *kind = first_kind;
    long long trial = first_trial;
    if (kind != NULL && trial >= 0 &&
        (res->first_failure_trial < 0 || trial < res->first_failure_trial)) {
        res->first_failure_trial = trial;
        res->first_failure_cause = kind;
        res->first_failure_seconds = first_time - run_start;
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
