/* runner.c — every run is a child process in its own process group, its
 * stdout (the record) and stderr read through pipes, under the driver's own
 * watchdog: past the deadline the child's threads are dumped with gdb and
 * its group is killed. SIGINT/SIGTERM to the driver: SIGTERM to each running
 * group (a scenario program then prints what it has); a program that has not
 * ended after a grace period is hung: its stacks are taken, then SIGKILL,
 * as the watchdog does. A second signal: SIGKILL at once, no stacks. No new
 * run starts. A run that died by a signal
 * (or by the watchdog) leaves no fiu-run FIFOs behind: the driver removes
 * them. */
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
#define TERM_GRACE_S 2.0  /* after SIGTERM, before SIGKILL */
#define DRAIN_GRACE_S 1.0 /* pipes still open after the child ended */
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

static void build_command(child_run *c, const run_options *o)
{
    c->argv = run_argv(&c->item, o, &c->argc);
}

static void child_exec(child_run *c, int out_w, int err_w, int status_w, int progress_w,
                       const char *tsan_env, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* the driver killed outright: so is the run */
    if (getppid() != parent)
        _exit(127);
    interrupt_restore_in_child();
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out_w, 1);
    dup2(err_w, 2);
    if (tsan_env != NULL)
        setenv("TSAN_OPTIONS", tsan_env, 1);
    if (progress_w >= 0 && fcntl(progress_w, F_SETFD, 0) == 0) { /* kept across exec */
        char fd_text[16];
        snprintf(fd_text, sizeof fd_text, "%d", progress_w);
        setenv("RACELAB_PROGRESS_FD", fd_text, 1);
    }
    execv(c->argv[0], c->argv);
    int e = errno;
    (void)!write(status_w, &e, sizeof e);
    _exit(127);
}

/* 0 when started; else c->spawn_errno says why. */
static int spawn(child_run *c, const run_options *o, const session *s)
{
    build_command(c, o);
    c->fd_out = c->fd_err = c->fd_progress = -1;
    c->start = now_seconds();
    c->deadline = c->start + run_deadline(o);
    if (c->argv[0] == NULL || access(c->argv[0], X_OK) != 0) {
        c->spawn_errno = ENOENT;
        return -1;
    }
    char *tsan_env = NULL;
    if (c->item.tsan) {
        c->tsan_base = results_path(s, "tsan", c->run_id);
        tsan_env = tsan_run_options(c->tsan_base, "");
    }
    int out[2], err[2], st[2];
    if (pipe(out) != 0) {
        c->spawn_errno = errno;
        free(tsan_env);
        return -1;
    }
    if (pipe(err) != 0) {
        c->spawn_errno = errno;
        close(out[0]);
        close(out[1]);
        free(tsan_env);
        return -1;
    }
    if (pipe2(st, O_CLOEXEC) != 0) {
        c->spawn_errno = errno;
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        free(tsan_env);
        return -1;
    }
    /* the feed is a nicety: without its pipe the run goes on unfollowed */
    int feed[2] = {-1, -1};
    if (pipe2(feed, O_CLOEXEC) != 0)
        feed[0] = feed[1] = -1;
    set_cloexec_nonblock(out[0]);
    set_cloexec_nonblock(err[0]);
    if (feed[0] >= 0)
        set_cloexec_nonblock(feed[0]);
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(st[0]);
        child_exec(c, out[1], err[1], st[1], feed[1], tsan_env, parent);
    }
    int fork_errno = errno;
    free(tsan_env);
    close(out[1]);
    close(err[1]);
    close(st[1]);
    if (feed[1] >= 0)
        close(feed[1]);
    c->fd_progress = feed[0];
    c->live_trials = c->live_failures = -1;
    if (pid < 0) {
        close(out[0]);
        close(err[0]);
        close(st[0]);
        if (feed[0] >= 0)
            close(feed[0]);
        c->fd_progress = -1;
        c->spawn_errno = fork_errno;
        return -1;
    }
    setpgid(pid, pid);
    c->pid = pid;
    int exec_errno = 0;
    ssize_t n;
    while ((n = read(st[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
        ;
    close(st[0]);
    c->fd_out = out[0];
    c->fd_err = err[0];
    if (n == (ssize_t)sizeof exec_errno) {
        c->spawn_errno = exec_errno;
        while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR)
            ;
        close(c->fd_out);
        close(c->fd_err);
        if (c->fd_progress >= 0)
            close(c->fd_progress);
        c->fd_progress = -1;
        c->fd_out = c->fd_err = -1;
        c->pid = 0;
        return -1;
    }
    c->start = now_seconds();
    c->deadline = c->start + run_deadline(o);
    return 0;
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

/* Reaps the child if it has ended, killing whatever else is in its group
 * first (the group id stays ours while the leader is a zombie). */
static void try_reap(child_run *c)
{
    if (c->reaped || c->pid <= 0)
        return;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != c->pid)
        return;
    kill(-c->pid, SIGKILL);
    while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
        ;
    c->reaped = 1;
    c->end = now_seconds();
}

static void watchdog_fire(child_run *c, const session *s)
{
    c->timed_out = 1;
    char *name = xasprintf("%s.txt", c->run_id);
    char *path = results_path(s, "stacks", name);
    free(name);
    char *why = NULL;
    int rc = take_stacks(c->pid, path, &why);
    if (rc >= 0)
        c->stacks_file = path;
    else
        free(path);
    c->stacks_note = why;
    kill(-c->pid, SIGKILL);
}

static void child_free(child_run *c)
{
    free_argv(c->argv);
    free(c->run_id);
    free(c->tsan_base);
    free(c->stacks_file);
    free(c->stacks_note);
    buf_free(&c->out);
    buf_free(&c->err);
    if (c->fd_out >= 0)
        close(c->fd_out);
    if (c->fd_err >= 0)
        close(c->fd_err);
    if (c->fd_progress >= 0)
        close(c->fd_progress);
    memset(c, 0, sizeof *c);
}

static char *make_run_id(int index, const plan_item *it)
{
    return xasprintf("%03d-%s-%s-%s", index + 1, it->sc->name, it->var->name,
                     it->tsan ? "tsan" : "plain");
}

int run_all(session *s, const run_options *o, const plan_item *plan, int n)
{
    int jobs = o->jobs < 1 ? 1 : o->jobs;
    child_run *slots = xcalloc((size_t)jobs, sizeof *slots);
    int *busy = xcalloc((size_t)jobs, sizeof *busy);
    const child_run **running = xcalloc((size_t)jobs, sizeof(const child_run *));
    struct pollfd *fds = xcalloc((size_t)jobs * 3 + 1, sizeof *fds);
    int next = 0, active = 0, done = 0, signals = 0;
    double last_progress = 0;

    while ((next < n && signals == 0) || active > 0) {
        /* Start what fits. */
        for (int j = 0; j < jobs && next < n && signals == 0; j++) {
            if (busy[j])
                continue;
            child_run *c = &slots[j];
            memset(c, 0, sizeof *c);
            c->index = next;
            c->item = plan[next];
            c->run_id = make_run_id(next, &plan[next]);
            next++;
            if (spawn(c, o, s) != 0) {
                c->end = now_seconds();
                results_finish(s, c, o);
                child_free(c);
                done++;
                continue;
            }
            busy[j] = 1;
            active++;
        }
        if (active == 0)
            continue;

        /* Wait for output, an exit, a signal or a deadline. */
        int nf = 0;
        fds[nf++] = (struct pollfd){interrupt_fd(), POLLIN, 0};
        double now = now_seconds();
        double wake = now + TICK_MS / 1000.0;
        for (int j = 0; j < jobs; j++) {
            if (!busy[j])
                continue;
            const child_run *c = &slots[j];
            if (c->fd_out >= 0)
                fds[nf++] = (struct pollfd){c->fd_out, POLLIN, 0};
            if (c->fd_err >= 0)
                fds[nf++] = (struct pollfd){c->fd_err, POLLIN, 0};
            if (c->fd_progress >= 0)
                fds[nf++] = (struct pollfd){c->fd_progress, POLLIN, 0};
            if (!c->reaped && !c->timed_out && c->deadline < wake)
                wake = c->deadline;
            if (c->kill_at > 0 && c->kill_at < wake)
                wake = c->kill_at;
        }
        int ms = wake > now ? (int)((wake - now) * 1000) + 1 : 0;
        /* An exit shows as EOF on the pipes, but a grandchild may hold them:
         * poll in short steps so reaping never waits long. */
        if (ms > 50)
            ms = 50;
        if (poll(fds, (nfds_t)nf, ms) < 0 && errno != EINTR)
            break;

        if (interrupt_count() != signals) {
            interrupt_drain();
            int first = signals == 0;
            signals = interrupt_count();
            for (int j = 0; j < jobs; j++) {
                child_run *c = &slots[j];
                if (!busy[j] || c->reaped)
                    continue;
                c->interrupted = 1;
                if (first) {
                    kill(-c->pid, SIGTERM);
                    c->kill_at = now_seconds() + TERM_GRACE_S;
                } else {
                    kill(-c->pid, SIGKILL);
                }
            }
        }

        now = now_seconds();
        for (int j = 0; j < jobs; j++) {
            if (!busy[j])
                continue;
            child_run *c = &slots[j];
            if (c->fd_out >= 0)
                buf_drain(&c->fd_out, &c->out, OUT_CAP);
            if (c->fd_err >= 0)
                buf_drain(&c->fd_err, &c->err, ERR_CAP);
            if (c->fd_progress >= 0)
                read_feed(c);
            try_reap(c);
            if (!c->reaped && !c->timed_out && !c->interrupted && now >= c->deadline) {
                summary_progress_clear(s);
                watchdog_fire(c, s);
            }
            if (!c->reaped && c->kill_at > 0 && now >= c->kill_at) {
                /* SIGTERM not answered within the grace: the program is stuck
                 * (a hung batch never reaches the check). Its stacks are the
                 * evidence: taken before the kill, and the run's record is the
                 * watchdog's, marked interrupted. */
                summary_progress_clear(s);
                watchdog_fire(c, s);
                c->kill_at = 0;
            }
            int pipes_open = c->fd_out >= 0 || c->fd_err >= 0;
            if (c->reaped && (!pipes_open || now - c->end > DRAIN_GRACE_S)) {
                /* A program that died leaves fiu-run's FIFOs behind. */
                if (c->timed_out || WIFSIGNALED(c->status))
                    fifo_cleanup_pid(c->pid);
                results_finish(s, c, o);
                child_free(c);
                busy[j] = 0;
                active--;
                done++;
            }
        }

        if (s->tty && now - last_progress > 0.25) {
            int k = 0;
            for (int j = 0; j < jobs; j++)
                if (busy[j])
                    running[k++] = &slots[j];
            summary_progress(s, done, running, k);
            last_progress = now;
        }
    }
    summary_progress_clear(s);
    free(slots);
    free(busy);
    free(running);
    free(fds);
    return signals != 0;
}
