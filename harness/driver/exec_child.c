/* exec_child.c — one run of PROGRAM: a child in its own process group
 * (killed with the driver: PR_SET_PDEATHSIG), stdin from /dev/null, stdout
 * and stderr through pipes (kept up to 1 MB each), and the environment the
 * preloaded library reads (exec_points.h), libfiu's (--posix-faults) and
 * TSan's (log_path per run, atexit_sleep_ms=0, after the user's own
 * TSAN_OPTIONS). It is started with vfork, the way a shell starts a
 * command. Past its deadline gdb takes the threads' stacks and the
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

/* The run's environment: the driver's, with the variables below set. It is
 * built before vfork (the child may not allocate). */
typedef struct {
    char **items;
    int n;
} env_list;

static void env_set(env_list *e, const char *name, const char *value)
{
    size_t len = strlen(name);
    char *item = xasprintf("%s=%s", name, value);
    for (int i = 0; i < e->n; i++)
        if (strncmp(e->items[i], name, len) == 0 && e->items[i][len] == '=') {
            free(e->items[i]);
            e->items[i] = item;
            return;
        }
    e->items = xrealloc(e->items, (size_t)(e->n + 2) * sizeof *e->items);
    e->items[e->n++] = item;
    e->items[e->n] = NULL;
}

static char **run_environment(const exec_context *x, const exec_child *c, const char *tsan_env,
                              char **root_slot)
{
    extern char **environ;
    env_list e = {xcalloc(1, sizeof(char *)), 0};
    for (char **v = environ; *v != NULL; v++) {
        e.items = xrealloc(e.items, (size_t)(e.n + 2) * sizeof *e.items);
        e.items[e.n++] = xstrdup(*v);
        e.items[e.n] = NULL;
    }
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    char *report = xasprintf("%s/%s", x->reports_dir, c->label);
    env_set(&e, "LD_PRELOAD", x->s->preload);
    env_set(&e, RL_EXEC_ENV_MODE, x->o->mode);
    env_set(&e, RL_EXEC_ENV_SEED, seed);
    env_set(&e, RL_EXEC_ENV_INJECT, x->s->inject_env);
    env_set(&e, RL_EXEC_ENV_REPORT, report);
    free(report);
    if (x->s->fiu_enable != NULL) {
        /* what `fiu-run -x -f ''` sets, without its own LD_PRELOAD */
        env_set(&e, "FIU_ENABLE", x->s->fiu_enable);
        env_set(&e, "FIU_CTRL_FIFO", "");
    }
    if (tsan_env != NULL)
        env_set(&e, "TSAN_OPTIONS", tsan_env);
    env_set(&e, RL_EXEC_ENV_ROOT, "00000000000000000000");
    for (char **v = e.items; *v != NULL; v++)
        if (strncmp(*v, RL_EXEC_ENV_ROOT "=", sizeof RL_EXEC_ENV_ROOT) == 0)
            *root_slot = *v + sizeof RL_EXEC_ENV_ROOT;
    return e.items;
}

/* In the child, after vfork: system calls only, then exec or _exit. The
 * run's own pid (RACELAB_EXEC_ROOT) is known only here: the child writes it
 * into the environment entry the parent reserved for it. */
_Noreturn static void become_run(const exec_context *x, char **envp, char *root_slot, int out_w,
                                 int err_w, int status_w, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    interrupt_restore_in_child();
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull > 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    dup2(out_w, 1);
    dup2(err_w, 2);
    /* getpid() into the slot, by hand (no stdio in a vfork child) */
    char digits[24];
    int n = 0;
    for (long pid = (long)getpid(); pid > 0 && n < 23; pid /= 10)
        digits[n++] = (char)('0' + pid % 10);
    while (n > 0)
        *root_slot++ = digits[--n];
    *root_slot = '\0';
    execve(x->p->path, x->o->argv, envp);
    int e = errno;
    (void)!write(status_w, &e, sizeof e);
    _exit(127);
}

/* vfork in a frame of its own: nothing of the caller's lives across it. */
__attribute__((noinline)) static pid_t start_child(const exec_context *x, char **envp,
                                                   char *root_slot, const int fds[3], pid_t parent)
{
    pid_t pid = vfork();
    if (pid == 0)
        become_run(x, envp, root_slot, fds[0], fds[1], fds[2], parent);
    return pid;
}

static void free_environment(char **envp)
{
    for (char **v = envp; *v != NULL; v++)
        free(*v);
    free(envp);
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
    char *root_slot = NULL;
    char **envp = run_environment(x, c, tsan_env, &root_slot);
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    c->start = now_seconds();
    /* vfork: the parent waits until the child has exec'd, so on a busy
     * machine the run starts at once instead of queueing for a CPU */
    const int child_fds[3] = {out[1], err[1], st[1]};
    pid_t pid = start_child(x, envp, root_slot, child_fds, parent);
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    free_environment(envp);
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
