/* exec_child.c — one run of PROGRAM: a child in its own process group,
 * stdin from /dev/null, stdout and stderr through pipes (kept up to 1 MB
 * each), and the environment the preloaded library reads (exec_points.h),
 * libfiu's (--posix-faults) and TSan's (log_path per run, atexit_sleep_ms=0,
 * after the user's own TSAN_OPTIONS). posix_spawn starts it, and the library
 * makes it die with the driver (RACELAB_EXEC_PARENT). Past its deadline gdb
 * takes the threads' stacks and the group is killed: a hang. */
#include "core/stacks.h"
#include "core/tsanlog.h"
#include "exec/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_CAP (1u << 20)

/* handle_*=0: a deadly signal kills the program by that signal, as in the
 * scenarios' own defaults. TSan's handler would report it instead, and it
 * can deadlock doing so: a SEGV in one thread while another is inside
 * ReportRace leaves both waiting for the report lock (a gdb stack of
 * init_order_bug under load), and the run is taken for a hang. */
#define EXEC_TSAN_SIGNALS                                                                          \
    ":handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0"

static char *tsan_options(const exec_context *x, const exec_child *c)
{
    char *extra = x->s->tsan_suppressions != NULL
                      ? xasprintf(EXEC_TSAN_SIGNALS ":suppressions=%s", x->s->tsan_suppressions)
                      : xstrdup(EXEC_TSAN_SIGNALS);
    char *env = tsan_run_options(c->tsan_base, extra);
    free(extra);
    return env;
}

/* The run's environment: the driver's, with the variables below set. */
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

char **exec_child_environment(const exec_context *x, const exec_child *c)
{
    char *tsan_env = x->p->tsan ? tsan_options(x, c) : NULL;
    extern char **environ;
    env_list e = {xcalloc(1, sizeof(char *)), 0};
    for (char **v = environ; *v != NULL; v++) {
        e.items = xrealloc(e.items, (size_t)(e.n + 2) * sizeof *e.items);
        e.items[e.n++] = xstrdup(*v);
        e.items[e.n] = NULL;
    }
    char seed[32], parent[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    snprintf(parent, sizeof parent, "%ld", (long)getpid());
    char *report = xasprintf("%s/%s", x->reports_dir, c->label);
    env_set(&e, "LD_PRELOAD", x->s->preload);
    env_set(&e, RL_EXEC_ENV_MODE, x->o->mode);
    env_set(&e, RL_EXEC_ENV_SEED, seed);
    env_set(&e, RL_EXEC_ENV_INJECT, x->s->inject_env);
    env_set(&e, RL_EXEC_ENV_REPORT, report);
    env_set(&e, RL_EXEC_ENV_PARENT, parent);
    free(report);
    if (x->o->sched) {
        char steps[32];
        snprintf(steps, sizeof steps, "%d", c->steps_hint);
        const char *schedule = c->schedule != NULL ? c->schedule : x->o->replay;
        /* dfs (any bound) makes the library follow the schedule and then keep
         * the running thread: a search's trial */
        env_set(&e, RL_EXEC_ENV_STRATEGY, c->follow ? "dfs:0" : x->o->strategy);
        env_set(&e, RL_EXEC_ENV_SCHEDULE, schedule != NULL ? schedule : "");
        env_set(&e, RL_EXEC_ENV_STEPS, steps);
        env_set(&e, RL_EXEC_ENV_TRACE, c->trace ? "1" : "0");
    }
    if (x->s->fiu_enable != NULL) {
        /* what `fiu-run -x -f ''` sets, without its own LD_PRELOAD */
        env_set(&e, "FIU_ENABLE", x->s->fiu_enable);
        env_set(&e, "FIU_CTRL_FIFO", "");
    }
    if (tsan_env != NULL)
        env_set(&e, "TSAN_OPTIONS", tsan_env);
    if (c->san_base != NULL) {
        exec_env_item items[5];
        int n = exec_sanitizer_env(x, c->san_base, items);
        for (int i = 0; i < n; i++) {
            env_set(&e, items[i].name, items[i].value);
            free(items[i].value);
        }
    }
    free(tsan_env);
    return e.items;
}

void exec_free_environment(char **envp)
{
    for (char **v = envp; *v != NULL; v++)
        free(*v);
    free(envp);
}

/* posix_spawn: its own process group, the default dispositions of the
 * signals the driver handles, an empty mask, stdin from /dev/null, stdout
 * and stderr into the pipes. glibc starts it with CLONE_VFORK, as a shell
 * starts a command: on a busy machine the run starts at once instead of
 * queueing for a processor, as a forked child would. */
int exec_child_spawn(const exec_context *x, char **envp, int out_w, int err_w, int ctl, pid_t *pid)
{
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t files;
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&files);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    const int handled[] = {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGCHLD};
    for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
        sigaddset(&dfl, handled[i]);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&files, out_w, 1);
    posix_spawn_file_actions_adddup2(&files, err_w, 2);
    posix_spawn_file_actions_addclose(&files, out_w);
    posix_spawn_file_actions_addclose(&files, err_w);
    if (ctl >= 0) /* dup2 clears close-on-exec */
        posix_spawn_file_actions_adddup2(&files, ctl, RL_EXEC_FORKSERVER_FD);
    int rc = posix_spawn(pid, x->p->path, &files, &attr, x->o->argv, envp);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    return rc;
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
    if (x->p->sanitizers || x->p->cc)
        c->san_base = xasprintf("%s/sanitizer/%s", x->dir, c->label);
    int out[2], err[2];
    if (pipe(out) != 0) {
        c->spawn_errno = errno;
        return -1;
    }
    if (pipe(err) != 0) {
        c->spawn_errno = errno;
        close_pair(out);
        return -1;
    }
    set_cloexec_nonblock(out[0]);
    set_cloexec_nonblock(err[0]);
    char **envp = exec_child_environment(x, c);
    fflush(stdout);
    fflush(stderr);
    c->start = now_seconds();
    pid_t pid = 0;
    int rc = 0;
    if (exec_fs_wanted(x, NULL) && exec_fs_start(x, c, envp, out[1], err[1]) == 0)
        pid = c->pid; /* a fork of the program loaded once */
    else {
        rc = exec_child_spawn(x, envp, out[1], err[1], -1, &pid);
        exec_fs_spawned();
    }
    exec_free_environment(envp);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(out[0]);
        close(err[0]);
        c->spawn_errno = rc;
        return -1;
    }
    c->pid = pid;
    c->fd_out = out[0];
    c->fd_err = err[0];
    c->deadline = c->start + x->o->timeout;
    return 0;
}

void exec_child_poll(exec_child *c)
{
    if (c->fd_out >= 0)
        buf_drain(&c->fd_out, &c->out, OUT_CAP);
    if (c->fd_err >= 0)
        buf_drain(&c->fd_err, &c->err, OUT_CAP);
    if (c->reaped || c->pid <= 0)
        return;
    if (c->fs > 0) { /* the server reaped it and relays its status */
        if (exec_fs_poll(c)) {
            kill(-c->pid, SIGKILL);
            c->reaped = 1;
            c->end = now_seconds();
        }
        return;
    }
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

int exec_child_wait_fd(const exec_child *c) { return exec_fs_fd(c); }

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
    free(c->san_base);
    buf_free(&c->out);
    buf_free(&c->err);
    if (c->fd_out >= 0)
        close(c->fd_out);
    if (c->fd_err >= 0)
        close(c->fd_err);
    memset(c, 0, sizeof *c);
}
