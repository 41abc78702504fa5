/* sched.c — sched mode: the program's threads run one at a time under the
 * scheduler's mechanism (injectors/sched, the one the scenarios use), and
 * every interposed call is a scheduling point where the strategy picks who
 * goes next. This file is the mechanism's driver in the program:
 *
 *   - the trial is the whole process: the main thread is thread 0 (adopted
 *     in the constructor), created threads get the next ids through the
 *     interposed pthread_create, and the run is one trial;
 *   - mutexes (trylock and timedlock too), condition variables, create,
 *     join and exit are modelled: nothing is locked for real, so a deadlock
 *     is found at once; rwlocks, semaphores, yields, sleeps and memory
 *     accesses are scheduling points only (a sleep does not sleep: time
 *     passes only in timed waits, when nobody else can run);
 *   - each choice goes into the report as it is made, a file mapped shared
 *     (exec_sched_report.h), so it survives a death by signal; an aborted
 *     run (deadlock, divergence, livelock) fills in why and exits at once
 *     with RL_EXEC_SCHED_ABORT_STATUS; a run longer than RL_SCHED_MAX_STEPS
 *     goes on scheduled, but its steps past that are no longer recorded
 *     (`unrecorded`: the run cannot be replayed, and the driver says so);
 *   - a thread that blocks in a call the library does not model (read,
 *     poll, a raw futex) is noticed by the waiting threads, which find it
 *     asleep in the kernel (/proc/self/task/TID/stat) and let another thread
 *     run: the report counts it (left_control), and a replay says so.
 *
 * Everything here runs with the thread's `busy` flag set: the mechanism's
 * own calls never come back through an interposer. Addresses are written
 * raw: the driver names them. */
#include "preload.h"

#include "../../sched/fuzz_corpus.h"
#include "../../sched/sched.h"
#include "exec_sched_report.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static rl_exec_sched_report *report;
static void at_main_return(void);
static rl_exec_sched_report fallback; /* no RACELAB_EXEC_REPORT: kept in memory */
static int tracing;
static _Atomic int finished; /* after rl_exec_sched_finish: calls pass through */
static long tids[RL_SCHED_MAX_THREADS];
static int schedule[RL_SCHED_MAX_STEPS];

_Noreturn static void refuse(const char *what, const char *value)
{
    char line[400];
    int n = snprintf(line, sizeof line, "racelab-exec: %s: %s\n", what, value);
    syscall(SYS_write, 2, line, (size_t)n);
    syscall(SYS_exit_group, 125);
    __builtin_unreachable();
}

/* ---- the mechanism's hooks --------------------------------------------------- */

static void on_step(const rl_sched_decision *d, int choice)
{
    int step = d->step;
    if (step >= RL_SCHED_MAX_STEPS) { /* the schedule is no longer kept */
        report->unrecorded = step + 1 - RL_SCHED_MAX_STEPS;
        return;
    }
    report->chosen[step] = (uint16_t)choice;
    report->current[step] = (int16_t)d->current;
    report->yielding[step] = (uint8_t)d->yielding;
    report->runnable[step] = *d->runnable;
    report->preemptions += rl_sched_preempts(d, choice);
    report->steps = step + 1;
}

_Noreturn static void on_abort(const rl_sched_trial *t)
{
    snprintf(report->waits, sizeof report->waits, "%s", t->waits);
    report->diverged_to = t->diverged_to;
    report->status = t->diverged     ? RL_EXEC_SCHED_DIVERGED
                     : t->step_limit ? RL_EXEC_SCHED_LIVELOCK
                                     : RL_EXEC_SCHED_DEADLOCK;
    syscall(SYS_exit_group, RL_EXEC_SCHED_ABORT_STATUS);
    __builtin_unreachable();
}

/* Thread `id`'s state letter in its stat line (R, S, D…), or 0. */
static char task_state(int id)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tids[id]);
    long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long n = syscall(SYS_read, (int)fd, buf, sizeof buf - 1);
    syscall(SYS_close, (int)fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *end = strrchr(buf, ')'); /* the name may hold anything */
    if (end == NULL || end[1] != ' ')
        return 0;
    return end[2];
}

/* Whether thread `id` sleeps in the kernel: state S or D. */
static int stalled(int id)
{
    char s = task_state(id);
    return s == 'S' || s == 'D';
}

/* Whether thread `id` runs (or waits for a CPU): state R. */
static int running(int id) { return task_state(id) == 'R'; }

static void spun(int id, const void *last_site)
{
    if (report->spins++ == 0) {
        report->spin_thread = id;
        report->spin_site = (uint64_t)(uintptr_t)last_site;
    }
}

static void observed(const rl_sched_pair *pair)
{
    if (report->n_pairs < RL_SCHED_MAX_PAIRS) {
        report->pairs[report->n_pairs][0] = pair->write;
        report->pairs[report->n_pairs][1] = pair->read;
        report->n_pairs++;
    }
}

static void left(int id)
{
    (void)id;
    report->left_control++;
}

/* ---- set-up ------------------------------------------------------------------- */

static int note_base(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uint64_t *)data = (uint64_t)info->dlpi_addr;
    return 1; /* the first object is the executable */
}

static rl_exec_sched_report *open_report(void)
{
    const char *prefix = getenv(RL_EXEC_ENV_REPORT);
    if (prefix == NULL)
        return &fallback;
    char path[512];
    snprintf(path, sizeof path, "%s.%ld" RL_EXEC_SCHED_SUFFIX, prefix, (long)getpid());
    long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || syscall(SYS_ftruncate, (int)fd, (long)sizeof(rl_exec_sched_report)) != 0)
        refuse("cannot write the schedule report", path);
    void *p =
        mmap(NULL, sizeof(rl_exec_sched_report), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    syscall(SYS_close, (int)fd);
    if (p == MAP_FAILED)
        refuse("cannot map the schedule report", path);
    return p;
}

/* A lenient replay's marks (RL_EXEC_ENV_MAY_PREEMPT), one for each of the
 * schedule's n entries; NULL when none are given (every entry may preempt). */
static const unsigned char *may_preempt_marks(int n)
{
    static int marks[RL_SCHED_MAX_STEPS];
    static unsigned char may[RL_SCHED_MAX_STEPS];
    const char *text = getenv(RL_EXEC_ENV_MAY_PREEMPT);
    if (text == NULL || *text == '\0')
        return NULL;
    if (rl_schedule_parse(text, marks, RL_SCHED_MAX_STEPS) != n)
        refuse("bad " RL_EXEC_ENV_MAY_PREEMPT " (a 0 or 1 for each step of the schedule)", text);
    for (int i = 0; i < n; i++)
        may[i] = marks[i] != 0;
    return may;
}

void rl_exec_sched_start(const char *strategy_text, const char *schedule_text, int steps, int trace)
{
    rl_sched_strategy *strategy = NULL;
    rl_strategy spec;
    const char *text = strategy_text != NULL && *strategy_text ? strategy_text : "random";
    if (rl_parse_strategy(text, &spec) != 0)
        refuse("bad " RL_EXEC_ENV_STRATEGY " (random, pct:D, dfs:B, pos, fuzz)", text);
    if ((schedule_text != NULL && *schedule_text != '\0') || spec.kind == RL_STRAT_DFS) {
        /* a replay, or dfs's prefix for this run (the search is the driver's) */
        int n = 0;
        if (schedule_text != NULL && *schedule_text != '\0' &&
            (n = rl_schedule_parse(schedule_text, schedule, RL_SCHED_MAX_STEPS)) < 0)
            refuse("bad " RL_EXEC_ENV_SCHEDULE, schedule_text);
        const char *lenient = getenv(RL_EXEC_ENV_LENIENT);
        strategy = lenient != NULL && strcmp(lenient, "1") == 0
                       ? rl_strategy_replay_lenient(schedule, may_preempt_marks(n), n)
                       : rl_strategy_replay(schedule, n);
    } else if (spec.kind == RL_STRAT_FUZZ) {
        /* the search is the driver's: this run obeys the schedule it was given */
        const char *fuzz = getenv(RL_EXEC_ENV_FUZZ);
        rl_fuzz_schedule s;
        if (rl_fuzz_schedule_parse(fuzz != NULL ? fuzz : "", &s) != 0)
            refuse("bad " RL_EXEC_ENV_FUZZ, fuzz);
        strategy = rl_strategy_fuzz_run(rl_exec_seed, &s);
    } else {
        strategy = rl_strategy_make(&spec, rl_exec_seed);
    }
    if (strategy == NULL)
        refuse("out of memory", "the strategy");
    if (steps > 0) /* what earlier runs (other processes) taught the strategy */
        strategy->trial_done(strategy, steps);
    report = open_report();
    report->magic = RL_EXEC_SCHED_MAGIC;
    report->threads = 1;
    report->diverged_to = -1;
    dl_iterate_phdr(note_base, &report->exe_base);
    tracing = trace;
    tids[0] = syscall(SYS_gettid);
    rl_sched_trace_into(report->trace, sizeof report->trace);
    rl_sched_hooks hooks = {.step = on_step,
                            .abort = on_abort,
                            .stalled = stalled,
                            .left = left,
                            .running = running,
                            .spun = spun,
                            .unbounded = 1,
                            .observed = observed};
    rl_sched_set_hooks(&hooks);
    rl_sched_setup(1, rl_exec_seed);
    rl_sched_use(strategy); /* kept for the process's life */
    rl_sched_begin_trial(NULL, 0, trace);
    rl_sched_adopt(0);
}

void rl_exec_sched_finish(void)
{
    /* a forked child (rl_sched_active is 0 there) shares the mapping: not its report */
    if (report == NULL || !rl_sched_active || atomic_exchange(&finished, 1))
        return;
    if (report->status == RL_EXEC_SCHED_RUNNING)
        report->status = RL_EXEC_SCHED_EXITED;
}

int rl_exec_sched_tracing(void) { return tracing; }

/* ---- the calls ------------------------------------------------------------------ */

int rl_exec_sched_here(const void *caller)
{
    if (rl_exec_mode_now != RL_EXEC_SCHED || !rl_sched_here() || atomic_load(&finished))
        return 0;
    return !rl_exec_self()->busy && !rl_exec_caller_foreign(caller);
}

/* Around every call into the mechanism: the re-entry guard, the program's
 * errno kept (the futex calls change it), the call's site, the lease. */
typedef struct {
    rl_exec_thread *t;
    int saved_errno;
} sched_call;

static _Thread_local unsigned long thread_points;

unsigned long rl_exec_sched_thread_points(void) { return thread_points; }

static sched_call call_begin(rl_exec_point point, const void *caller)
{
    thread_points++;
    sched_call c = {rl_exec_self(), errno};
    c.t->busy = 1;
    atomic_fetch_add_explicit(&c.t->counts->hits[point], 1, memory_order_relaxed);
    rl_sched_enter();
    rl_sched_site(caller);
    return c;
}

static void call_end(sched_call c)
{
    rl_sched_site(NULL);
    rl_sched_exit();
    c.t->busy = 0;
    errno = c.saved_errno;
}

static int recursive(const void *mutex)
{
#ifdef __GLIBC__
    return (((const pthread_mutex_t *)mutex)->__data.__kind & 3) == PTHREAD_MUTEX_RECURSIVE;
#else
    return 0;
#endif
}

int rl_exec_sched_mutex(rl_exec_point point, void *mutex, const void *caller)
{
    sched_call c = call_begin(point, caller);
    int rc = 0;
    if (point == RL_EXEC_MUTEX_UNLOCK)
        rl_sched_unlock(mutex, NULL);
    else if (point == RL_EXEC_MUTEX_TRYLOCK)
        rc = rl_sched_trylock(mutex, NULL, recursive(mutex)) ? 0 : EBUSY;
    else /* lock, timedlock: a timed lock never times out in the model */
        rl_sched_lock(mutex, NULL, recursive(mutex));
    call_end(c);
    return rc;
}

int rl_exec_sched_cond(rl_exec_point point, void *cond, void *mutex, const void *caller)
{
    sched_call c = call_begin(point, caller);
    int rc = 0;
    if (point == RL_EXEC_COND_WAIT)
        rl_sched_cond_wait(cond, NULL, mutex, NULL);
    else if (point == RL_EXEC_COND_TIMEDWAIT)
        rc = rl_sched_cond_timedwait(cond, NULL, mutex, NULL) ? ETIMEDOUT : 0;
    else
        rl_sched_cond_wake(cond, NULL, point == RL_EXEC_COND_BROADCAST);
    call_end(c);
    return rc;
}

int rl_exec_sched_create(pthread_t *th, const pthread_attr_t *attr, rl_exec_start *s,
                         void *(*trampoline)(void *), const void *caller)
{
    sched_call c = call_begin(RL_EXEC_CREATE, caller);
    static _Atomic int exit_handler;
    if (!atomic_exchange(&exit_handler, 1))
        atexit(at_main_return);
    int detached = 0;
    if (attr != NULL && pthread_attr_getdetachstate(attr, &detached) == 0)
        detached = detached == PTHREAD_CREATE_DETACHED;
    s->sched_id = rl_sched_spawn_prepare(detached);
    if (s->sched_id < 0)
        report->unscheduled++; /* more than RL_SCHED_MAX_THREADS: it runs free */
    else if (s->sched_id + 1 > report->threads)
        report->threads = s->sched_id + 1;
    __typeof__(&pthread_create) real = RL_REAL(pthread_create);
    int rc = real != NULL ? real(th, attr, trampoline, s) : EAGAIN;
    if (s->sched_id >= 0)
        rl_sched_spawn_done(s->sched_id, th, rc);
    call_end(c);
    return rc;
}

typedef struct {
    void *(*start)(void *);
    void *arg, *ret;
} part;

static void run_part(void *p)
{
    part *pt = p;
    rl_exec_thread *t = rl_exec_self();
    t->busy = 0; /* the program's own code */
    /* until its first call, a spin is placed at its start routine (one byte
     * in: the driver names return addresses by the byte before) */
    const void *start = NULL;
    memcpy(&start, &pt->start, sizeof start); /* the routine's address, as data */
    rl_sched_site((const char *)start + 1);
    rl_sched_site(NULL);
    pt->ret = pt->start(pt->arg);
    t->busy = 1;
}

void *rl_exec_sched_run(int id, void *(*start)(void *), void *arg)
{
    part pt = {start, arg, NULL};
    tids[id] = syscall(SYS_gettid);
    rl_exec_self()->sched_id = id;
    rl_exec_self()->busy = 1;
    rl_sched_run_thread(id, run_part, &pt);
    rl_exec_self()->busy = 0;
    return pt.ret;
}

int rl_exec_sched_join(pthread_t th, void **ret, const void *caller)
{
    sched_call c = call_begin(RL_EXEC_JOIN, caller);
    void *value = rl_sched_join(th);
    if (ret != NULL)
        *ret = value;
    call_end(c);
    return 0;
}

void rl_exec_sched_exit(const void *caller)
{
    rl_exec_thread *t = rl_exec_self();
    t->busy = 1;
    rl_sched_site(caller);
    rl_sched_thread_end();
    t->busy = 0;
}

void rl_exec_sched_access(rl_exec_point point, const char *what, const void *caller,
                          const void *addr, int write)
{
    sched_call c = call_begin(point, caller);
    rl_sched_access_point(what != NULL ? what : rl_exec_point_name(point), addr, write);
    call_end(c);
}

void rl_exec_sched_point(rl_exec_point point, const char *what, const void *caller)
{
    sched_call c = call_begin(point, caller);
    rl_sched_point(what != NULL ? what : rl_exec_point_name(point));
    call_end(c);
}

void rl_exec_sched_yield(rl_exec_point point, const char *what, const void *caller)
{
    sched_call c = call_begin(point, caller);
    rl_sched_yield_point(what != NULL ? what : rl_exec_point_name(point));
    call_end(c);
}

void rl_exec_sched_spinning(void)
{
    if (rl_exec_mode_now == RL_EXEC_SCHED && rl_sched_here() && !atomic_load(&finished))
        rl_sched_spinning();
}

static _Atomic int exit_seen; /* the process's end was a point already */

void rl_exec_sched_process_exit(const char *what, const void *caller)
{
    if (!rl_exec_sched_here(caller) || atomic_exchange(&exit_seen, 1))
        return;
    sched_call c = call_begin(RL_EXEC_PROCESS_EXIT, caller);
    rl_sched_exit_point(what);
    call_end(c);
}

/* A return from main: libc calls exit inside itself, past the interposer.
 * The handler is registered at the first pthread_create (the point matters
 * only once there are threads): registered in the constructor, it would
 * run after the destructors (the loader runs a preloaded library's
 * constructor before libc registers its own exit work). */
static void at_main_return(void) { rl_exec_sched_process_exit("return from main (exit)", NULL); }
