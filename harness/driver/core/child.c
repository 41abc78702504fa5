/* child.c — the one child runner (child.h): start through a launcher,
 * drain, scan, deadline, interrupt, kill the group, sweep, reap. */
#include "core/child.h"
#include "core/child_sweep.h"
#include "core/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_CAP (1u << 20)
#define SCAN_OVERLAP 4096
#define DRAIN_GRACE_S 1.0 /* pipes still open after the child ended */
#define TERM_GRACE_S 2.0
#define NO_DEADLINE 1e300 /* later than any clock reading */

/* ---- the environment ---------------------------------------------------- */

static void env_put(char ***items, int *n, char *item)
{
    size_t len = strcspn(item, "=");
    for (int i = 0; i < *n; i++)
        if (strncmp((*items)[i], item, len) == 0 && (*items)[i][len] == '=') {
            free((*items)[i]);
            (*items)[i] = item;
            return;
        }
    *items = xrealloc(*items, (size_t)(*n + 2) * sizeof **items);
    (*items)[(*n)++] = item;
    (*items)[*n] = NULL;
}

/* The child's environment: the given one (or the driver's), the spec's
 * settings, the kept descriptor's name, the mark. */
static char **child_environment(const child_spec *s, unsigned long serial)
{
    extern char **environ;
    char *const *base = s->envp != NULL ? s->envp : environ;
    char **items = xcalloc(1, sizeof *items);
    int n = 0;
    for (char *const *v = base; *v != NULL; v++)
        env_put(&items, &n, xstrdup(*v));
    for (const char *const *v = s->setenv; v != NULL && *v != NULL; v++)
        env_put(&items, &n, xstrdup(*v));
    if (s->keep_fd > 0 && s->keep_fd_env != NULL)
        env_put(&items, &n, xasprintf("%s=%d", s->keep_fd_env, s->keep_fd));
    env_put(&items, &n, child_mark(serial));
    return items;
}

static void free_environment(char **envp)
{
    for (char **v = envp; v != NULL && *v != NULL; v++)
        free(*v);
    free(envp);
}

/* ---- the launchers --------------------------------------------------------- */

/* posix_spawn: its own process group, the default dispositions of the
 * signals the driver handles, an empty mask, the three descriptors. glibc
 * starts it with CLONE_VFORK, as a shell starts a command: on a busy machine
 * the run starts at once instead of queueing for a processor, as a forked
 * child would. It cannot keep a descriptor or ask to die with the driver. */
static int spawn_start(const child_launcher *l, const child_spec *s, char *const *envp,
                       const int fds[3], pid_t *pid)
{
    (void)l;
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
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (!s->same_group)
        flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setflags(&attr, flags);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setsigmask(&attr, &none);
    for (int i = 0; i < 3; i++)
        if (fds[i] != i)
            posix_spawn_file_actions_adddup2(&files, fds[i], i);
    if (s->keep_fd > 0) /* dup2, even onto itself, clears close-on-exec (glibc 2.29) */
        posix_spawn_file_actions_adddup2(&files, s->keep_fd,
                                         s->keep_fd_as > 0 ? s->keep_fd_as : s->keep_fd);
    const char *file = s->path != NULL ? s->path : s->argv[0];
    int rc = s->search_path ? posix_spawnp(pid, file, &files, &attr, s->argv, envp)
                            : posix_spawn(pid, file, &files, &attr, s->argv, envp);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    return rc;
}

static void fork_child(const child_spec *s, char *const *envp, const int fds[3], int status_w,
                       pid_t parent)
{
    if (!s->same_group)
        setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* the driver killed outright: so is the child */
    if (getppid() != parent)
        _exit(127);
    interrupt_restore_in_child();
    for (int i = 0; i < 3; i++)
        if (fds[i] != i)
            dup2(fds[i], i);
    if (s->keep_fd > 0)
        (void)fcntl(s->keep_fd, F_SETFD, 0); /* kept across exec */
    const char *file = s->path != NULL ? s->path : s->argv[0];
    if (s->search_path)
        execvpe(file, s->argv, envp);
    else
        execve(file, s->argv, envp);
    int e = errno;
    (void)!write(status_w, &e, sizeof e);
    _exit(127);
}

/* fork+exec: the child asks to die with the driver (PR_SET_PDEATHSIG) and
 * may keep one descriptor; a failed exec comes back as its errno. */
static int fork_start(const child_launcher *l, const child_spec *s, char *const *envp,
                      const int fds[3], pid_t *pid)
{
    (void)l;
    int st[2];
    if (pipe2(st, O_CLOEXEC) != 0)
        return errno;
    pid_t parent = getpid();
    pid_t p = fork();
    if (p == 0) {
        close(st[0]);
        fork_child(s, envp, fds, st[1], parent);
    }
    int fork_errno = errno;
    close(st[1]);
    if (p < 0) {
        close(st[0]);
        return fork_errno;
    }
    if (!s->same_group)
        setpgid(p, p);
    int exec_errno = 0;
    ssize_t n;
    while ((n = read(st[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
        ;
    close(st[0]);
    if (n == (ssize_t)sizeof exec_errno) {
        while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
            ;
        return exec_errno;
    }
    *pid = p;
    return 0;
}

const child_launcher child_spawn = {"spawn", spawn_start, NULL, NULL, NULL, NULL};
const child_launcher child_fork = {"fork", fork_start, NULL, NULL, NULL, NULL};

/* ---- start ------------------------------------------------------------------- */

/* The child's end of one stream, and the driver's (a pipe's read end, or -1). */
static int open_stream(child_io io, int given, int out_fd, int devnull, int *child_end, int *ours)
{
    *ours = -1;
    switch (io) {
    case CHILD_IO_PIPE: {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            return -1;
        set_cloexec_nonblock(p[0]);
        *ours = p[0];
        *child_end = p[1];
        return 0;
    }
    case CHILD_IO_FD: *child_end = given; return 0;
    case CHILD_IO_INHERIT: *child_end = out_fd < 0 ? 1 : 2; return 0;
    case CHILD_IO_AS_OUT: *child_end = out_fd; return 0;
    case CHILD_IO_NULL:
    default: *child_end = devnull; return 0;
    }
}

int child_start(child *c, const child_spec *s)
{
    child_registry_init();
    c->fd_out = c->fd_err = -1;
    c->via = s->via != NULL ? s->via : &child_spawn;
    c->own_group = !s->same_group;
    c->out_cap = s->out_cap ? s->out_cap : DEFAULT_CAP;
    c->err_cap = s->err_cap ? s->err_cap : DEFAULT_CAP;
    c->serial = child_next_serial();
    c->start = now_seconds();
    c->deadline = s->limit > 0 ? c->start + s->limit : NO_DEADLINE;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    int fds[3] = {s->keep_stdin ? 0 : devnull, -1, -1}, out_w = -1, err_w = -1;
    int ok = devnull >= 0 && open_stream(s->out, s->out_fd, -1, devnull, &fds[1], &c->fd_out) == 0;
    if (ok && s->out == CHILD_IO_PIPE)
        out_w = fds[1];
    ok = ok && open_stream(s->err, s->err_fd, fds[1], devnull, &fds[2], &c->fd_err) == 0;
    if (ok && s->err == CHILD_IO_PIPE)
        err_w = fds[2];
    int rc = ok ? 0 : errno;
    if (ok) {
        char **envp = child_environment(s, c->serial);
        fflush(stdout);
        fflush(stderr);
        rc = c->via->start(c->via, s, envp, fds, &c->pid);
        free_environment(envp);
    }
    if (out_w >= 0)
        close(out_w);
    if (err_w >= 0)
        close(err_w);
    if (devnull >= 0)
        close(devnull);
    if (rc != 0) {
        if (c->fd_out >= 0)
            close(c->fd_out);
        if (c->fd_err >= 0)
            close(c->fd_err);
        c->fd_out = c->fd_err = -1;
        c->pid = 0;
        c->spawn_errno = rc;
        return -1;
    }
    child_registry_add(c->pid, c->serial);
    c->shown = c->via->mark_of != NULL ? c->via->mark_of(c->via, c->pid) : 0;
    return 0;
}

/* ---- watch ---------------------------------------------------------------------- */

int child_pollfds(const child *c, struct pollfd *fds)
{
    int n = 0;
    if (c->fd_out >= 0)
        fds[n++] = (struct pollfd){c->fd_out, POLLIN, 0};
    if (c->fd_err >= 0)
        fds[n++] = (struct pollfd){c->fd_err, POLLIN, 0};
    int wait = c->via != NULL && c->via->wait_fd != NULL && c->pid > 0 && !c->reaped
                   ? c->via->wait_fd(c->via, c->pid)
                   : -1;
    if (wait >= 0)
        fds[n++] = (struct pollfd){wait, POLLIN, 0};
    return n;
}

/* One chunk of a stream, matched with the previous chunk's tail in front. */
static void scan_chunk(child_scan *sc, int stream, const char *data, size_t n)
{
    if (sc->matched)
        return;
    size_t overlap = sc->overlap ? sc->overlap : SCAN_OVERLAP;
    buffer b = {0};
    buf_append(&b, sc->tail[stream] != NULL ? sc->tail[stream] : "", sc->tail_len[stream],
               SIZE_MAX);
    buf_append(&b, data, n, SIZE_MAX);
    if (b.data != NULL) /* ^ at the start of the stream only */
        sc->matched = regexec(sc->re, b.data, 0, NULL, sc->started[stream] ? REG_NOTBOL : 0) == 0;
    sc->started[stream] = 1;
    size_t keep = b.len > overlap ? overlap : b.len;
    free(sc->tail[stream]);
    sc->tail[stream] = xcalloc(keep + 1, 1);
    if (keep > 0 && b.data != NULL)
        memcpy(sc->tail[stream], b.data + b.len - keep, keep);
    sc->tail_len[stream] = keep;
    buf_free(&b);
}

void child_scan_free(child_scan *sc)
{
    for (int i = 0; i < 2; i++) {
        free(sc->tail[i]);
        sc->tail[i] = NULL;
        sc->tail_len[i] = 0;
        sc->started[i] = 0;
    }
}

static void scan_out(void *p, const char *data, size_t n) { scan_chunk(p, 0, data, n); }
static void scan_err(void *p, const char *data, size_t n) { scan_chunk(p, 1, data, n); }

static void signal_group(const child *c, int sig)
{
    if (c->pid > 0 && !c->reaped)
        kill(c->own_group ? -c->pid : c->pid, sig);
}

/* 1 when it has ended (not yet reaped), with the launcher's say for a fork
 * server's child. */
static int has_ended(const child *c)
{
    if (c->via->ended != NULL) {
        int status;
        return c->via->ended(c->via, c->pid, &status, 1) == 1;
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == c->pid;
}

void child_poll(child *c)
{
    if (c->fd_out >= 0)
        buf_drain_each(&c->fd_out, &c->out, c->out_cap, c->scan ? scan_out : NULL, c->scan);
    if (c->fd_err >= 0)
        buf_drain_each(&c->fd_err, &c->err, c->err_cap, c->scan ? scan_err : NULL, c->scan);
    if (c->reaped || c->pid <= 0 || !has_ended(c))
        return;
    /* Whatever else is in its group goes with it (the group id stays ours
     * while the leader is a zombie), and whatever got away from the group. */
    if (c->own_group)
        kill(-c->pid, SIGKILL);
    c->left_behind += child_sweep(c->pid, c->own_group, c->serial, c->shown, 0);
    if (c->via->ended != NULL)
        (void)c->via->ended(c->via, c->pid, &c->status, 0);
    else
        while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
            ;
    c->reaped = 1;
    c->end = now_seconds();
    child_registry_remove(c->pid);
}

void child_time_out(child *c)
{
    c->timed_out = 1;
    signal_group(c, SIGKILL);
}

void child_interrupt(child *c, int first, double grace)
{
    if (c->reaped)
        return;
    c->interrupted = 1;
    signal_group(c, first ? SIGTERM : SIGKILL);
    c->kill_at = first ? now_seconds() + grace : 0;
}

void child_kill_if_due(child *c, double now)
{
    if (!c->reaped && c->kill_at > 0 && now >= c->kill_at) {
        signal_group(c, SIGKILL);
        c->kill_at = 0;
    }
}

int child_done(const child *c, double now)
{
    int pipes_open = c->fd_out >= 0 || c->fd_err >= 0;
    return c->reaped && (!pipes_open || now - c->end > DRAIN_GRACE_S);
}

void child_free(child *c)
{
    if (c->pid > 0 && !c->reaped) { /* never left running */
        signal_group(c, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        child_registry_remove(c->pid);
    }
    free(c->stacks_file);
    free(c->stacks_note);
    buf_free(&c->out);
    buf_free(&c->err);
    if (c->fd_out >= 0)
        close(c->fd_out);
    if (c->fd_err >= 0)
        close(c->fd_err);
    memset(c, 0, sizeof *c);
}

int child_run_to_end(child *c, const child_spec *s)
{
    if (child_start(c, s) != 0)
        return -1;
    int termed = 0;
    for (;;) {
        struct pollfd fds[3];
        int nf = child_pollfds(c, fds);
        if (poll(fds, (nfds_t)nf, nf > 0 ? 10 : 5) < 0 && errno != EINTR)
            break;
        child_poll(c);
        double now = now_seconds();
        if (child_done(c, now))
            break;
        if (c->reaped)
            continue;
        if (now >= c->deadline && !c->timed_out)
            child_time_out(c);
        if (s->term_on_interrupt && interrupt_count() > 0 && !termed) {
            child_interrupt(c, 1, TERM_GRACE_S); /* a program prints what it ran */
            termed = 1;
        } else if (interrupt_count() > 1) { /* a second Ctrl-C: now */
            child_interrupt(c, 0, 0);
        }
        child_kill_if_due(c, now);
    }
    return 0;
}

int child_capture(char *const *argv, int search_path, size_t cap, double limit, char **out)
{
    child_spec spec = {.argv = argv,
                       .search_path = search_path,
                       .out = CHILD_IO_PIPE,
                       .out_cap = cap,
                       .err = CHILD_IO_NULL,
                       .limit = limit};
    child c;
    memset(&c, 0, sizeof c);
    int status = child_run_to_end(&c, &spec) == 0 && c.fd_out < 0 ? c.status : -1;
    *out = status != -1 ? buf_take(&c.out) : NULL;
    child_free(&c);
    return status;
}
