/* runner.c — every run is a child process in its own process group, its
 * stdout (the record) and stderr read through pipes, under the driver's own
 * watchdog: past the deadline the child's threads are dumped with gdb and
 * its group is killed. SIGINT/SIGTERM to the driver: SIGTERM to each running
 * group (a scenario program then prints what it has); a program that has not
 * ended after a grace period is hung: its stacks are taken, then SIGKILL,
 * as the watchdog does. A second signal: SIGKILL at once, no stacks. No new
 * run starts. A run that died by a signal
 * (or by the watchdog) leaves no fiu-run FIFOs behind: the driver removes
 * them. Each child is started, watched and reaped by core/child.c. */
#include "core/runner.h"
#include "core/fifos.h"
#include "core/interrupt.h"
#include "core/stacks.h"
#include "core/summary.h"
#include "core/tsanlog.h"

#include "../../../injectors/sched/schedule_text.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_CAP (4u << 20) /* a record is a few kB; keep at most this much */
#define ERR_CAP (1u << 20)
#define TERM_GRACE_S 2.0 /* after SIGTERM, before SIGKILL */
#define TICK_MS 200

char **run_argv(const plan_item *it, const run_options *o, int *argc)
{
    arglist l = {NULL, 0};
    arglist_add(&l, it->tsan ? it->sc->tsan_path : it->sc->plain_path);
    arglist_opt(&l, "--variant", it->var->name);
    if (o->has_mode)
        arglist_opt(&l, "--mode", rl_mode_name(o->mode));
    arglist_opt(&l, "--seconds", o->seconds_text);
    arglist_opt(&l, "--trials", o->trials_text);
    if (o->has_seed)
        arglist_opt_u64(&l, "--seed", o->seed);
    arglist_opt(&l, "--timeout", o->timeout_text);
    arglist_opt(&l, "--engine", o->engine);
    if (o->has_strategy) {
        char strategy[32];
        rl_format_strategy(&o->strategy, strategy, sizeof strategy);
        arglist_opt(&l, "--strategy", strategy);
    }
    arglist_opt(&l, "--replay", o->replay);
    if (o->until_fail)
        arglist_add(&l, "--until-fail");
    if (o->shrink)
        arglist_add(&l, "--shrink");
    arglist_opt(&l, "--outcome", o->outcome);
    arglist_opt(&l, "--profile", o->profile);
    for (int i = 0; i < o->n_injects; i++)
        if (spec_applies(it->sc, o->injects[i]))
            arglist_opt(&l, "--inject", o->injects[i]);
    for (int i = 0; i < o->n_params; i++)
        arglist_opt(&l, "--param", o->params[i]);
    /* To every scenario: the driver cannot know which do real I/O. */
    for (int i = 0; i < o->n_posix_faults; i++)
        arglist_opt(&l, "--posix-faults", o->posix_faults[i]);
    arglist_add(&l, "--json");
    *argc = l.argc;
    return l.argv;
}

/* 0 when started; else c->ch.spawn_errno says why. */
static int spawn(child_run *c, const run_options *o, const session *s)
{
    c->argv = run_argv(&c->item, o, &c->argc);
    c->fd_progress = -1;
    c->live_trials = c->live_failures = -1;
    if (c->argv[0] == NULL || access(c->argv[0], X_OK) != 0) {
        c->ch.fd_out = c->ch.fd_err = -1;
        c->ch.start = now_seconds();
        c->ch.spawn_errno = ENOENT;
        return -1;
    }
    char *tsan_env = NULL;
    if (c->item.tsan) {
        c->tsan_base = results_path(s, "tsan", c->run_id);
        char *opts = tsan_run_options(c->tsan_base, "");
        tsan_env = xasprintf("TSAN_OPTIONS=%s", opts);
        free(opts);
    }
    const char *env[] = {tsan_env, NULL};
    /* the feed is a nicety: without its pipe the run goes on unfollowed */
    int feed[2] = {-1, -1};
    if (pipe2(feed, O_CLOEXEC) != 0)
        feed[0] = feed[1] = -1;
    if (feed[0] >= 0)
        set_cloexec_nonblock(feed[0]);
    child_spec spec = {.argv = c->argv,
                       .setenv = tsan_env != NULL ? env : NULL,
                       .out = CHILD_IO_PIPE,
                       .out_cap = OUT_CAP,
                       .err = CHILD_IO_PIPE,
                       .err_cap = ERR_CAP,
                       .keep_fd = feed[1],
                       .keep_fd_env = "RACELAB_PROGRESS_FD",
                       .limit = run_deadline(o),
                       .via = &child_fork};
    int rc = child_start(&c->ch, &spec);
    free(tsan_env);
    if (feed[1] >= 0)
        close(feed[1]);
    c->fd_progress = feed[0];
    if (rc != 0 && feed[0] >= 0) {
        close(feed[0]);
        c->fd_progress = -1;
    }
    return rc;
}

/* The feed's lines: the last whole "progress TRIALS FAILURES" is kept. */
static void read_feed(child_run *c)
{
    for (;;) {
        ssize_t n = read(c->fd_progress, c->feed + c->feed_len, sizeof c->feed - 1 - c->feed_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                close(c->fd_progress);
                c->fd_progress = -1;
            }
            return;
        }
        c->feed_len += (size_t)n;
        c->feed[c->feed_len] = '\0';
        char *line = c->feed, *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
            long long t, f;
            char tail;
            if (sscanf(line, "progress %lld %lld%c", &t, &f, &tail) == 2 && t >= 0 && f >= 0) {
                c->live_trials = t;
                c->live_failures = f;
            }
            line = nl + 1;
        }
        c->feed_len = strlen(line);
        memmove(c->feed, line, c->feed_len + 1);
        if (c->feed_len >= sizeof c->feed - 1)
            c->feed_len = 0; /* not a line of ours: dropped */
    }
}

static void watchdog_fire(child_run *c, const session *s)
{
    char *name = xasprintf("%s.txt", c->run_id);
    char *path = results_path(s, "stacks", name);
    free(name);
    child_watchdog(&c->ch, path);
    free(path);
}

static void run_free(child_run *c)
{
    free_argv(c->argv);
    free(c->run_id);
    free(c->tsan_base);
    child_free(&c->ch);
    if (c->fd_progress >= 0)
        close(c->fd_progress);
    memset(c, 0, sizeof *c);
}

static char *make_run_id(int index, const plan_item *it)
{
    return xasprintf("%03d-%s-%s-%s", index + 1, it->sc->name, it->var->name,
                     it->tsan ? "tsan" : "plain");
}

/* The state of run_all's loop. */
typedef struct {
    session *s;
    const run_options *o;
    const plan_item *plan;
    int n, jobs;
    child_run *slots;
    int *busy;
    const child_run **running;
    struct pollfd *fds;
    int next, active, done, signals;
    double last_progress;
} runs;

/* Starts what fits in the free slots. */
static void start_runs(runs *r)
{
    for (int j = 0; j < r->jobs && r->next < r->n && r->signals == 0; j++) {
        if (r->busy[j])
            continue;
        child_run *c = &r->slots[j];
        memset(c, 0, sizeof *c);
        c->index = r->next;
        c->item = r->plan[r->next];
        c->run_id = make_run_id(r->next, &r->plan[r->next]);
        r->next++;
        if (spawn(c, r->o, r->s) != 0) {
            c->ch.end = now_seconds();
            results_finish(r->s, c, r->o);
            run_free(c);
            r->done++;
            continue;
        }
        r->busy[j] = 1;
        r->active++;
    }
}

/* Waits for output, an exit, a signal or a deadline; -1 when poll fails. */
static int wait_for_events(runs *r)
{
    int nf = 0;
    r->fds[nf++] = (struct pollfd){interrupt_fd(), POLLIN, 0};
    double now = now_seconds();
    double wake = now + TICK_MS / 1000.0;
    for (int j = 0; j < r->jobs; j++) {
        if (!r->busy[j])
            continue;
        const child_run *c = &r->slots[j];
        nf += child_pollfds(&c->ch, r->fds + nf);
        if (c->fd_progress >= 0)
            r->fds[nf++] = (struct pollfd){c->fd_progress, POLLIN, 0};
        if (!c->ch.reaped && !c->ch.timed_out && c->ch.deadline < wake)
            wake = c->ch.deadline;
        if (c->ch.kill_at > 0 && c->ch.kill_at < wake)
            wake = c->ch.kill_at;
    }
    int ms = wake > now ? (int)((wake - now) * 1000) + 1 : 0;
    /* An exit shows as EOF on the pipes, but a grandchild may hold them:
     * poll in short steps so reaping never waits long. */
    if (ms > 50)
        ms = 50;
    return poll(r->fds, (nfds_t)nf, ms) < 0 && errno != EINTR ? -1 : 0;
}

static void pass_on_interrupts(runs *r)
{
    if (interrupt_count() == r->signals)
        return;
    interrupt_drain();
    int first = r->signals == 0;
    r->signals = interrupt_count();
    for (int j = 0; j < r->jobs; j++)
        if (r->busy[j])
            child_interrupt(&r->slots[j].ch, first, TERM_GRACE_S);
}

/* Reads slot J's run, fires its watchdog, and finishes it once it is done. */
static void watch(runs *r, int j, double now)
{
    child_run *c = &r->slots[j];
    child_poll(&c->ch);
    if (c->fd_progress >= 0)
        read_feed(c);
    if (!c->ch.reaped && !c->ch.timed_out && !c->ch.interrupted && now >= c->ch.deadline) {
        summary_progress_clear(r->s);
        watchdog_fire(c, r->s);
    }
    if (!c->ch.reaped && c->ch.kill_at > 0 && now >= c->ch.kill_at) {
        /* SIGTERM not answered within the grace: the program is stuck
         * (a hung batch never reaches the check). Its stacks are the
         * evidence: taken before the kill, and the run's record is the
         * watchdog's, marked interrupted. */
        summary_progress_clear(r->s);
        watchdog_fire(c, r->s);
        c->ch.kill_at = 0;
    }
    if (child_done(&c->ch, now)) {
        /* A program that died leaves fiu-run's FIFOs behind. */
        if (c->ch.timed_out || WIFSIGNALED(c->ch.status))
            fifo_cleanup_pid(c->ch.pid);
        results_finish(r->s, c, r->o);
        run_free(c);
        r->busy[j] = 0;
        r->active--;
        r->done++;
    }
}

static void show_progress(runs *r, double now)
{
    if (!r->s->tty || now - r->last_progress <= 0.25)
        return;
    int k = 0;
    for (int j = 0; j < r->jobs; j++)
        if (r->busy[j])
            r->running[k++] = &r->slots[j];
    summary_progress(r->s, r->done, r->running, k);
    r->last_progress = now;
}

int run_all(session *s, const run_options *o, const plan_item *plan, int n)
{
    int jobs = o->jobs < 1 ? 1 : o->jobs;
    runs r = {.s = s,
              .o = o,
              .plan = plan,
              .n = n,
              .jobs = jobs,
              .slots = xcalloc((size_t)jobs, sizeof(child_run)),
              .busy = xcalloc((size_t)jobs, sizeof(int)),
              .running = xcalloc((size_t)jobs, sizeof(const child_run *)),
              .fds = xcalloc((size_t)jobs * 4 + 1, sizeof(struct pollfd))};
    while ((r.next < n && r.signals == 0) || r.active > 0) {
        start_runs(&r);
        if (r.active == 0)
            continue;
        if (wait_for_events(&r) != 0)
            break;
        pass_on_interrupts(&r);
        double now = now_seconds();
        for (int j = 0; j < jobs; j++)
            if (r.busy[j])
                watch(&r, j, now);
        show_progress(&r, now);
    }
    summary_progress_clear(s);
    child_sweep_all(); /* nothing a run started outlives the driver */
    free(r.slots);
    free(r.busy);
    free(r.running);
    free(r.fds);
    return r.signals != 0;
}
