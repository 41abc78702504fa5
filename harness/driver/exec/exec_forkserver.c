/* exec_forkserver.c — runs as forks of PROGRAM loaded once, as AFL's fork
 * server: the program is spawned with RACELAB_EXEC_FORKSERVER naming one
 * end of a SOCK_SEQPACKET pair (fd RL_EXEC_FORKSERVER_FD), and the preloaded
 * library (injectors/exec/preload/forkserver.c, which has the protocol)
 * forks each run's process before the program's constructors and main;
 * that process takes the next request itself. A run gets the environment
 * a spawned run would get, its stdout and stderr pipes (SCM_RIGHTS) and its
 * own process group; the server reaps it and relays its raw wait status,
 * so outcomes, reports and timeouts (the driver kills the run's group) are
 * the spawned runs'. The run's process is forked ahead and announced
 * ("ready PID"): a request goes out without waiting for a fork or a reply.
 *
 * One server per run at once (--jobs). Not used for what a fork cannot
 * reproduce: TSan and other sanitizer builds (a sanitizer reads its options,
 * the per-run log path among them, before any constructor), --posix-faults
 * (libfiu is set up before the library), #! scripts (the preload acts on the
 * interpreter), and --no-fork-server. A server that does not start or fails
 * is given up: the runs are spawned, and the record says which launch was
 * used (exec.launch).
 *
 * It is the core runner's launcher (core/child.h): its start forks a run
 * through a server (or spawns it), its ended answers from the server's
 * socket (a run is the server's child, not racelab's), and its wait_fd is
 * that socket, polled with the run's pipes. The servers are registered with
 * the runner, so that its sweep of leftovers never takes one for a stray. */
#include "core/child_sweep.h"
#include "exec/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define FS_MAX 256            /* --jobs' bound */
#define FS_HELLO_TIMEOUT 10.0 /* seconds for the program to load */
#define FS_SNDBUF (1 << 21)   /* a request holds the environment and a schedule */

typedef struct {
    pid_t pid;          /* the server */
    int fd;             /* the driver's end */
    int busy;           /* a run of it has not ended */
    pid_t run;          /* that run */
    pid_t next;         /* the process waiting for its next request ("ready"), or 0 */
    unsigned long mark; /* the serial of its RACELAB_RUN_MARK: its runs' descendants show it */
    int ended;          /* its status has come */
    int status;         /* its wait status */
} fork_server;

static fork_server servers[FS_MAX];
static int n_servers;
static int given_up;               /* a server failed: spawn from now on */
static const char *given_up_why;   /* why */
static unsigned long long forked;  /* runs started as forks */
static unsigned long long spawned; /* runs spawned */
static int exit_hook;
static pid_t lost[64]; /* the last runs whose server failed under them */
static unsigned n_lost;

int exec_fs_wanted(const exec_context *x, const char **why)
{
    const char *no = x->o->no_fork_server       ? "--no-fork-server"
                     : x->p->script             ? "a #! script"
                     : x->p->tsan               ? "a TSan build"
                     : x->p->sanitizers != 0    ? "a sanitizer build"
                     : x->s->fiu_enable != NULL ? "--posix-faults"
                     : given_up                 ? given_up_why
                                                : NULL;
    if (why != NULL)
        *why = no;
    return no == NULL;
}

/* One datagram into buf (NUL-terminated); its length, or -1 (EOF, error,
 * or nothing within `wait_s` seconds, < 0: none at once). */
static long receive(int fd, char *buf, size_t cap, double wait_s)
{
    if (wait_s > 0) {
        struct pollfd p = {fd, POLLIN, 0};
        int rc;
        while ((rc = poll(&p, 1, (int)(wait_s * 1000))) < 0 && errno == EINTR)
            ;
        if (rc <= 0)
            return -1;
    }
    ssize_t n;
    while ((n = recv(fd, buf, cap - 1, wait_s > 0 ? 0 : MSG_DONTWAIT)) < 0 && errno == EINTR)
        ;
    if (n == 0)
        errno = ECONNRESET; /* the server has gone */
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return (long)n;
}

static void server_end(fork_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        child_registry_remove(s->pid);
    }
    if (s->fd >= 0)
        close(s->fd);
    s->pid = 0;
    s->fd = -1;
    s->busy = 0;
}

void exec_fs_shutdown(void)
{
    for (int i = 0; i < n_servers; i++)
        server_end(&servers[i]);
    n_servers = 0;
}

static void give_up(const char *why)
{
    given_up = 1;
    given_up_why = why;
    warn_msg("exec: the fork server %s; the runs are spawned from now on", why);
    exec_fs_shutdown();
}

/* A new server from a run's environment; its slot, or -1. */
static int server_start(const exec_context *x, char **envp)
{
    if (n_servers >= FS_MAX)
        return -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    int size = FS_SNDBUF;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    int n = 0;
    while (envp[n] != NULL)
        n++;
    char **env = xcalloc((size_t)n + 4, sizeof *env);
    int k = 0;
    for (int i = 0; i < n; i++) /* the first run's mark is not the server's */
        if (strncmp(envp[i], "RACELAB_RUN_MARK=", 17) != 0)
            env[k++] = envp[i];
    unsigned long mark = child_next_serial();
    char *marked = child_mark(mark);
    env[k++] = marked;
    n = k;
    char *named = xasprintf("%s=%d", RL_EXEC_ENV_FORKSERVER, RL_EXEC_FORKSERVER_FD);
    env[n] = named;
    /* every symbol bound once in the server, not lazily again in each run (as
     * AFL does); the runs get their own environment, without it */
    env[n + 1] = "LD_BIND_NOW=1";
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = 0;
    child_spec spec = {.argv = x->o->argv,
                       .path = x->p->path,
                       .keep_fd = sv[1],
                       .keep_fd_as = RL_EXEC_FORKSERVER_FD};
    const int fds[3] = {null, null, null};
    int rc = null < 0 ? errno : child_spawn.start(&child_spawn, &spec, env, fds, &pid);
    if (null >= 0)
        close(null);
    if (rc == 0)
        child_registry_add(pid, mark); /* the runner's: never a stray */
    close(sv[1]);
    free(named);
    free(marked);
    free(env);
    if (rc != 0) {
        close(sv[0]);
        return -1;
    }
    if (!exit_hook) {
        atexit(exec_fs_shutdown);
        exit_hook = 1;
    }
    fork_server *s = &servers[n_servers];
    *s = (fork_server){pid, sv[0], 0, 0, 0, mark, 0, 0};
    char buf[64];
    if (receive(s->fd, buf, sizeof buf, FS_HELLO_TIMEOUT) < 0 || strncmp(buf, "hello ", 6) != 0) {
        server_end(s);
        return -1;
    }
    return n_servers++;
}

/* One message from the server: "ready PID" or "status PID N"; -1 for
 * anything else (an error: it cannot go on). */
static int take_message(fork_server *s, const char *msg)
{
    char *end;
    if (strncmp(msg, "ready ", 6) == 0) {
        s->next = (pid_t)strtol(msg + 6, &end, 10);
        return s->next > 0 && *end == '\0' ? 0 : -1;
    }
    if (strncmp(msg, "status ", 7) != 0)
        return -1;
    pid_t pid = (pid_t)strtol(msg + 7, &end, 10);
    int status = (int)strtol(end, &end, 10);
    if (*end != '\0' || pid <= 0)
        return -1;
    if (s->busy && pid == s->run && !s->ended) {
        s->status = status;
        s->ended = 1;
    }
    return 0;
}

/* Until the server has announced the process that takes the next request;
 * 0, or -1 (the server failed, or said nothing in time). */
static int await_ready(fork_server *s)
{
    char buf[64];
    while (s->next == 0)
        if (receive(s->fd, buf, sizeof buf, FS_HELLO_TIMEOUT) < 0 || take_message(s, buf) != 0)
            return -1;
    return 0;
}

static int send_run(int fd, char **envp, int out_w, int err_w)
{
    size_t len = 0;
    for (char **v = envp; *v != NULL; v++)
        len += strlen(*v) + 1;
    char *msg = xcalloc(len + 1, 1);
    size_t at = 0;
    for (char **v = envp; *v != NULL; v++) {
        size_t l = strlen(*v) + 1;
        memcpy(msg + at, *v, l);
        at += l;
    }
    struct iovec io = {msg, len};
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int fds[2] = {out_w, err_w};
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    ssize_t n;
    while ((n = sendmsg(fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    free(msg);
    return n == (ssize_t)len ? 0 : -1;
}

/* A run as a fork of an idle server (started when none is); 0, or -1:
 * spawn it instead (the servers are then given up). */
static int fork_run(const exec_context *x, char **envp, int out_w, int err_w, pid_t *pid)
{
    int slot = -1;
    for (int i = 0; i < n_servers && slot < 0; i++)
        if (!servers[i].busy && servers[i].pid > 0)
            slot = i;
    if (slot < 0 && (slot = server_start(x, envp)) < 0) {
        give_up("did not start");
        return -1;
    }
    fork_server *s = &servers[slot];
    if (await_ready(s) != 0 || send_run(s->fd, envp, out_w, err_w) != 0) {
        give_up("failed to fork a run");
        return -1;
    }
    *pid = s->next; /* the only process reading requests: this one is its */
    s->next = 0;
    s->busy = 1;
    s->run = *pid;
    s->ended = 0;
    forked++;
    return 0;
}

static int fs_start(const child_launcher *l, const child_spec *spec, char *const *envp,
                    const int fds[3], pid_t *pid)
{
    const exec_context *x = l->ctx;
    if (exec_fs_wanted(x, NULL) && fork_run(x, (char **)envp, fds[1], fds[2], pid) == 0)
        return 0; /* a fork of the program loaded once */
    spawned++;
    return child_spawn.start(&child_spawn, spec, envp, fds, pid);
}

static fork_server *server_of(pid_t run)
{
    for (int i = 0; i < n_servers; i++)
        if (servers[i].busy && servers[i].run == run)
            return &servers[i];
    return NULL;
}

/* Its status, once the server has relayed it (the server reaped it). */
static int server_ended(fork_server *s)
{
    char buf[64];
    if (s->ended)
        return 1;
    if (s->fd < 0) { /* given up while it ran: the server's death killed it */
        s->status = SIGKILL;
        lost[n_lost++ % (sizeof lost / sizeof lost[0])] = s->run;
        return s->ended = 1;
    }
    long n;
    while ((n = receive(s->fd, buf, sizeof buf, 0)) >= 0 && take_message(s, buf) == 0 && !s->ended)
        ;
    if (s->ended)
        return 1;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    /* the server died or failed; its run dies with it (PR_SET_PDEATHSIG) */
    s->status = SIGKILL;
    s->ended = 1;
    pid_t run = s->run;
    lost[n_lost++ % (sizeof lost / sizeof lost[0])] = run;
    server_end(s);
    s->busy = 1; /* until the runner has taken the status */
    s->run = run;
    return 1;
}

static int fs_ended(const child_launcher *l, pid_t pid, int *status, int peek)
{
    (void)l;
    fork_server *s = server_of(pid);
    if (s == NULL) { /* a spawned run: the driver's own child */
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
            *status = SIGKILL; /* not ours: a fork whose server was given up, and died with it */
            return errno == ECHILD;
        }
        if (si.si_pid != pid)
            return 0;
        while (!peek && waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
        return 1;
    }
    if (!server_ended(s))
        return 0;
    *status = s->status;
    if (!peek) {
        s->busy = 0;
        s->run = 0;
    }
    return 1;
}

static unsigned long fs_mark_of(const child_launcher *l, pid_t pid)
{
    (void)l;
    const fork_server *s = server_of(pid);
    return s != NULL ? s->mark : 0;
}

static int fs_wait_fd(const child_launcher *l, pid_t pid)
{
    (void)l;
    const fork_server *s = server_of(pid);
    return s != NULL && !s->ended ? s->fd : -1;
}

int exec_fs_lost(pid_t pid)
{
    for (unsigned i = 0; i < n_lost && i < sizeof lost / sizeof lost[0]; i++)
        if (lost[i] == pid) {
            lost[i] = 0; /* asked once a run: a later run may get the pid again */
            return 1;
        }
    return 0;
}

const child_launcher *exec_fs_launcher(const exec_context *x)
{
    static child_launcher launcher;
    launcher = (child_launcher){"fork-server", fs_start, fs_ended, fs_wait_fd, fs_mark_of, x};
    return &launcher;
}

const char *exec_fs_launch(const exec_context *x, const char **note)
{
    const char *why = NULL;
    exec_fs_wanted(x, &why);
    *note = spawned == 0 && forked > 0 ? NULL : why;
    if (forked == 0)
        return "spawn";
    return spawned > 0 ? "both" : "fork-server";
}
