/* exec_child.c — one run of PROGRAM: a child in its own process group
 * (killed with the driver: PR_SET_PDEATHSIG), stdin from /dev/null, stdout
 * and stderr through pipes (kept up to 1 MB each), and the environment the
 * preloaded library reads (exec_points.h), libfiu's (--posix-faults) and
 * TSan's (log_path per run, atexit_sleep_ms=0, after the user's own
 * TSAN_OPTIONS). Past its deadline gdb takes the threads' stacks and the
 * group is killed: a hang. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_CAP (1u << 20)

static char *tsan_options(const exec_context *x, const exec_child *c)
{
    const char *user = getenv("TSAN_OPTIONS");
    char *supp = x->s->tsan_suppressions != NULL
                     ? xasprintf(":suppressions=%s", x->s->tsan_suppressions)
                     : xstrdup("");
    char *env =
        xasprintf("%s%slog_path=%s:atexit_sleep_ms=0:second_deadlock_stack=1%s",
                  user != NULL ? user : "", user != NULL && *user ? ":" : "", c->tsan_base, supp);
    free(supp);
    return env;
}

/* In the child, after fork: never returns. */
static void become_run(const exec_context *x, const exec_child *c, int out_w, int err_w,
                       int status_w, const char *tsan_env, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    interrupt_restore_in_child();
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out_w, 1);
    dup2(err_w, 2);
    char seed[32], root[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    snprintf(root, sizeof root, "%ld", (long)getpid());
    char *report = xasprintf("%s/%s", x->reports_dir, c->label);
    setenv("LD_PRELOAD", x->s->preload, 1);
    setenv(RL_EXEC_ENV_MODE, x->o->mode, 1);
    setenv(RL_EXEC_ENV_SEED, seed, 1);
    setenv(RL_EXEC_ENV_INJECT, x->s->inject_env, 1);
    setenv(RL_EXEC_ENV_REPORT, report, 1);
    setenv(RL_EXEC_ENV_ROOT, root, 1);
    if (x->s->fiu_enable != NULL) {
        /* what `fiu-run -x -f ''` sets, without its own LD_PRELOAD */
        setenv("FIU_ENABLE", x->s->fiu_enable, 1);
        setenv("FIU_CTRL_FIFO", "", 1);
    }
    if (tsan_env != NULL)
        setenv("TSAN_OPTIONS", tsan_env, 1);
    execv(x->p->path, x->o->argv);
    int e = errno;
    (void)!write(status_w, &e, sizeof e);
    _exit(127);
}

static void close_pair(int p[2])
{
    close(p[0]);
    close(p[1]);
}

int exec_child_start(const exec_context *x, exec_child *c)
{
    c->fd_out = c->fd_err = -1;
    c->label = xasprintf("run-%06llu", c->index);
    if (x->p->tsan)
        c->tsan_base = xasprintf("%s/tsan/%s", x->dir, c->label);
    char *tsan_env = x->p->tsan ? tsan_options(x, c) : NULL;
    int out[2], err[2], st[2];
    if (pipe(out) != 0) {
        c->spawn_errno = errno;
        free(tsan_env);
        return -1;
    }
    if (pipe(err) != 0) {
        c->spawn_errno = errno;
        close_pair(out);
        free(tsan_env);
        return -1;
    }
    if (pipe2(st, O_CLOEXEC) != 0) {
        c->spawn_errno = errno;
        close_pair(out);
        close_pair(err);
        free(tsan_env);
        return -1;
    }
    set_cloexec_nonblock(out[0]);
    set_cloexec_nonblock(err[0]);
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    c->start = now_seconds();
    pid_t pid = fork();
    if (pid == 0) {
        close(st[0]);
        become_run(x, c, out[1], err[1], st[1], tsan_env, parent);
    }
    int fork_errno = errno;
    free(tsan_env);
    close(out[1]);
    close(err[1]);
    close(st[1]);
    if (pid < 0) {
        close(out[0]);
        close(err[0]);
        close(st[0]);
        c->spawn_errno = fork_errno;
        return -1;
    }
    setpgid(pid, pid);
    c->pid = pid;
    c->fd_out = out[0];
    c->fd_err = err[0];
    int exec_errno = 0;
    ssize_t n;
    while ((n = read(st[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
        ;
    close(st[0]);
    if (n == (ssize_t)sizeof exec_errno) {
        c->spawn_errno = exec_errno;
        while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR)
            ;
        c->reaped = 1;
        return -1;
    }
    c->deadline = c->start + x->o->timeout;
    return 0;
}

static void drain(int *fd, buffer *b)
{
    char chunk[16384];
    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            buf_append(b, chunk, (size_t)n, OUT_CAP);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno != EAGAIN) {
            close(*fd);
            *fd = -1;
        }
        return;
    }
}

void exec_child_poll(exec_child *c)
{
    if (c->fd_out >= 0)
        drain(&c->fd_out, &c->out);
    if (c->fd_err >= 0)
        drain(&c->fd_err, &c->err);
    if (c->reaped || c->pid <= 0)
        return;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != c->pid)
        return;
    /* Whatever else is in its group (a forked child) goes with it; the
     * group id stays ours while the leader is a zombie. */
    kill(-c->pid, SIGKILL);
    while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
        ;
    c->reaped = 1;
    c->end = now_seconds();
}

void exec_child_watchdog(const exec_context *x, exec_child *c)
{
    c->timed_out = 1;
    char *sub = xasprintf("%s/stacks", x->dir);
    mkdir(sub, 0755);
    char *path = xasprintf("%s/%s.txt", sub, c->label);
    free(sub);
    char *why = NULL;
    if (take_stacks(c->pid, path, &why) >= 0)
        c->stacks_file = path;
    else
        free(path);
    c->stacks_note = why;
    kill(-c->pid, SIGKILL);
}

int exec_child_done(const exec_child *c, double now)
{
    int pipes_open = c->fd_out >= 0 || c->fd_err >= 0;
    return c->reaped && (!pipes_open || now - c->end > 1.0);
}

void exec_child_free(exec_child *c)
{
    free(c->label);
    free(c->stacks_file);
    free(c->stacks_note);
    free(c->tsan_base);
    buf_free(&c->out);
    buf_free(&c->err);
    if (c->fd_out >= 0)
        close(c->fd_out);
    if (c->fd_err >= 0)
        close(c->fd_err);
    memset(c, 0, sizeof *c);
}
