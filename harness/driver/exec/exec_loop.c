/* exec_loop.c — the runs of one invocation: --jobs at once, until --runs
 * have finished or --seconds have passed (a run started in time finishes),
 * or after the first failure with --until-fail (runs already going finish
 * and count). Run i is seeded with splitmix64 of (seed, i) (exec_run_seed);
 * --run-seed gives every run one seed. With --shard K/N the runs are those
 * of the whole campaign with i mod N = K-1, each keeping its index and
 * seed; the budget and --until-fail are the shard's own. On a terminal a progress line says
 * "N runs so far, M failures", as Go's stress does; each failure is
 * reported as it happens. SIGINT/SIGTERM: SIGTERM to the running groups,
 * SIGKILL after 2 s or a second signal; runs cut short are not counted.
 *
 * Sched mode: each run is told the most steps a run took so far (pct draws
 * its change points below it); with dfs, each run follows the prefix the
 * search gives it, and the search stops when every schedule within its
 * bound has run (exhausted). */
#include "core/child.h"
#include "core/fifos.h"
#include "core/interrupt.h"
#include "exec/exec.h"

#include "../common/splitmix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TERM_GRACE_S 2.0
#define PROGRESS_EVERY_S 0.5

/* SIGCHLD through a pipe: a run that ended wakes the loop at once (its
 * pipes may close before it can be reaped). */
static int chld_pipe[2] = {-1, -1};

static void on_chld(int sig)
{
    (void)sig;
    int saved = errno;
    (void)!write(chld_pipe[1], "c", 1);
    errno = saved;
}

static void chld_install(void)
{
    if (chld_pipe[0] < 0 && pipe2(chld_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
}

static void chld_drain(void)
{
    char buf[64];
    while (chld_pipe[0] >= 0 && read(chld_pipe[0], buf, sizeof buf) > 0) {
    }
}

uint64_t exec_run_seed(uint64_t seed, unsigned long long index)
{
    uint64_t s = seed;
    uint64_t mixed = rl_splitmix64(&s) ^ (uint64_t)index; /* the seed mixed first: no overlap */
    return rl_splitmix64(&mixed);
}

static void fatal_oom(void)
{
    error_msg("exec: out of memory for the dfs search");
    exit(RL_EXIT_HARNESS);
}

unsigned long long exec_run_index(const exec_options *o, unsigned long long started)
{
    return o->shard_n > 0
               ? (unsigned long long)o->shard_k + started * (unsigned long long)o->shard_n
               : started;
}

/* Whether the campaign goes on at all (a failure with --until-fail, the
 * search's end, an error, --seconds). */
static int going_on(const exec_options *o, const exec_tally *t, double now)
{
    if (o->until_fail && t->failures > 0)
        return 0;
    if (t->exhausted || t->error != NULL)
        return 0;
    return !(o->seconds > 0 && now - t->started >= o->seconds);
}

static int budget_left(const exec_options *o, const exec_tally *t, unsigned long long started,
                       double now)
{
    return going_on(o, t, now) && (!o->runs_given || exec_run_index(o, started) < o->runs);
}

static void progress(const exec_tally *t, int tty, int *shown)
{
    if (!tty)
        return;
    printf("\r\033[K%.0fs: %llu runs so far, %llu failure%s", now_seconds() - t->started, t->runs,
           t->failures, t->failures == 1 ? "" : "s");
    fflush(stdout);
    *shown = 1;
}

static void clear_progress(int *shown)
{
    if (*shown) {
        printf("\r\033[K");
        fflush(stdout);
        *shown = 0;
    }
}

/* Grades a finished run; returns 1 when it was killed with its fork server
 * (not a run: the caller runs it again), else 0. */
static int finish(const exec_context *x, exec_child *c, exec_tally *t, int tty, int *shown)
{
    int lost = exec_fs_lost(c->ch.pid);
    if ((c->ch.interrupted && !c->ch.timed_out) || lost) {
        exec_child_not_a_run(x, c);
        return lost && !c->ch.interrupted; /* cut short by us, or lost: not a run */
    }
    unsigned long long before = t->failures;
    int n_before = t->n_failed;
    int outcome = exec_grade(x, c, t);
    if (t->dfs != NULL && outcome == EXEC_ESCAPED) {
        /* the search cannot steer a program that leaves the scheduler: its
         * space is not exhausted, it cannot be searched */
        t->error = "a run escaped the scheduler (its own process did not finish under it): "
                   "the dfs search cannot go on";
    } else if (t->dfs != NULL) {
        /* a run without a report teaches the search nothing: it would repeat */
        int more = outcome != -1 && t->last != NULL && t->last->present &&
                   exec_sched_feed(t->dfs, t->last);
        t->exhausted = !more;
    } else if (t->fuzz != NULL && outcome != -1 && t->last != NULL && t->last->present) {
        exec_fuzz_feedback(x->o, t, c->fuzz, c->seed, t->last, t->failures > before);
    }
    if (t->failures > before && t->n_failed > n_before) {
        clear_progress(shown);
        exec_print_failure(x, &t->failed[t->n_failed - 1], stdout);
    } else if (t->failures > before && tty) {
        clear_progress(shown);
    }
    return 0;
}

/* The state of exec_run_all's loop. */
typedef struct {
    const exec_context *x;
    exec_tally *t;
    int jobs;
    exec_child *slots;
    int *busy;
    struct pollfd *fds;
    int tty, shown, active, signals, stop;
    unsigned long long started;
    exec_child *again; /* [jobs]: lost runs waiting to run again (exec_child_reset) */
    int n_again;
} loop;

/* Slot J's child starts as the next lost run (its `again` set), or as the
 * campaign's next run. */
static void next_run(loop *l, exec_child *c)
{
    const exec_options *o = l->x->o;
    exec_tally *t = l->t;
    if (l->n_again > 0) {
        int slot = c->slot;
        *c = l->again[--l->n_again];
        c->slot = slot;
        c->steps_hint = t->max_steps;
        return;
    }
    c->index = exec_run_index(o, l->started++);
    c->seed = o->run_seed_given ? o->run_seed : exec_run_seed(o->seed, c->index);
    t->runs_started++;
    if (o->sched) {
        c->steps_hint = t->max_steps;
        c->schedule = t->dfs != NULL ? exec_sched_prefix(t->dfs) : NULL;
        c->follow = t->dfs != NULL;
        c->fuzz = t->fuzz != NULL ? exec_fuzz_next(t, &c->seed) : NULL;
    }
}

/* Starts runs in the free slots while the budget lasts. */
static void start_runs(loop *l)
{
    const exec_options *o = l->x->o;
    exec_tally *t = l->t;
    for (int j = 0; j < l->jobs && !l->stop && l->signals == 0; j++) {
        double now = now_seconds();
        if (l->n_again > 0 ? !going_on(o, t, now) : !budget_left(o, t, l->started, now))
            break;
        if (l->busy[j])
            continue;
        exec_child *c = &l->slots[j];
        memset(c, 0, sizeof *c);
        c->slot = j;
        next_run(l, c);
        if (exec_child_start(l->x, c) != 0) {
            clear_progress(&l->shown);
            error_msg("exec: cannot run %s: %s", l->x->p->path, strerror(c->ch.spawn_errno));
            t->spawn_failures++;
            free(c->schedule);
            free(c->fuzz);
            exec_child_free(c);
            l->stop = 1;
            break;
        }
        l->busy[j] = 1;
        l->active++;
    }
}

/* Reads slot J's run, fires its watchdog, and grades it once it is done. */
static void watch(loop *l, int j, double now)
{
    exec_child *c = &l->slots[j];
    child_poll(&c->ch);
    if (!c->ch.reaped && !c->ch.timed_out && !c->ch.interrupted && now >= c->ch.deadline) {
        clear_progress(&l->shown);
        exec_child_watchdog(l->x, c);
    }
    child_kill_if_due(&c->ch, now);
    if (child_done(&c->ch, now)) {
        if (c->ch.timed_out || WIFSIGNALED(c->ch.status))
            fifo_cleanup_pid(c->ch.pid);
        if (finish(l->x, c, l->t, l->tty, &l->shown)) {
            if (!c->again && l->n_again < l->jobs) {
                /* killed with its fork server: the next start runs it again */
                exec_child_reset(c);
                l->again[l->n_again++] = *c;
                memset(c, 0, sizeof *c); /* its schedule and fuzz went with it */
                l->t->rerun++;
            } else {
                l->t->lost++; /* lost twice: not run */
            }
        }
        free(c->schedule);
        free(c->fuzz);
        exec_child_free(c);
        l->busy[j] = 0;
        l->active--;
    }
}

int exec_run_all(const exec_context *x, exec_tally *t)
{
    const exec_options *o = x->o;
    int jobs = o->jobs;
    loop l = {.x = x,
              .t = t,
              .jobs = jobs,
              .slots = xcalloc((size_t)jobs, sizeof(exec_child)),
              .busy = xcalloc((size_t)jobs, sizeof(int)),
              .fds = xcalloc((size_t)jobs * 3 + 2, sizeof(struct pollfd)),
              .again = xcalloc((size_t)jobs, sizeof(exec_child)),
              .tty = isatty(1)};
    chld_install();
    if (o->sched && o->strategy_spec.kind == RL_STRAT_DFS &&
        (t->dfs = rl_strategy_dfs(o->strategy_spec.preemptions)) == NULL)
        fatal_oom();
    double last_progress = 0;
    t->started = now_seconds();
    for (;;) {
        start_runs(&l);
        if (l.active == 0)
            break;
        int nf = 0;
        l.fds[nf++] = (struct pollfd){interrupt_fd(), POLLIN, 0};
        if (chld_pipe[0] >= 0)
            l.fds[nf++] = (struct pollfd){chld_pipe[0], POLLIN, 0};
        for (int j = 0; j < jobs; j++)
            if (l.busy[j])
                nf += child_pollfds(&l.slots[j].ch, l.fds + nf);
        /* An exit shows as SIGCHLD (and EOF on the pipes, unless a grandchild
         * holds them); the short step bounds the deadline checks. */
        if (poll(l.fds, (nfds_t)nf, 20) < 0 && errno != EINTR)
            break;
        chld_drain();
        if (interrupt_count() != l.signals) {
            interrupt_drain();
            int first = l.signals == 0;
            l.signals = interrupt_count();
            t->interrupted = 1;
            for (int j = 0; j < jobs; j++)
                if (l.busy[j])
                    child_interrupt(&l.slots[j].ch, first, TERM_GRACE_S);
        }
        double now = now_seconds();
        for (int j = 0; j < jobs; j++)
            if (l.busy[j])
                watch(&l, j, now);
        if (now - last_progress >= PROGRESS_EVERY_S) {
            progress(t, l.tty, &l.shown);
            last_progress = now;
        }
    }
    clear_progress(&l.shown);
    child_sweep_all(); /* nothing a run started outlives the invocation */
    t->seconds = now_seconds() - t->started;
    for (int i = 0; i < l.n_again; i++) { /* the campaign ended before they ran again */
        free(l.again[i].schedule);
        free(l.again[i].fuzz);
    }
    free(l.again);
    free(l.slots);
    free(l.busy);
    free(l.fds);
    return t->interrupted;
}
