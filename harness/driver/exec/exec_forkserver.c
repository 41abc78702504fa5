/* exec_forkserver.c — runs as forks of PROGRAM loaded once, as AFL's fork
 * server: the program is spawned with RACELAB_EXEC_FORKSERVER naming one
 * end of a SOCK_SEQPACKET pair (fd RL_EXEC_FORKSERVER_FD), and the preloaded
 * library (injectors/exec/preload/forkserver.c, which has the protocol)
 * forks each run's process before the program's constructors and main;
 * that process takes the next request itself. A run gets the environment
 * a spawned run would get, its stdout and stderr pipes (SCM_RIGHTS) and its
 * own process group; the server reaps it and relays its raw wait status,
 * so outcomes, reports and timeouts (the driver kills the run's group) are
 * the spawned runs'.
 *
 * One server per run at once (--jobs). Not used for what a fork cannot
 * reproduce: TSan and other sanitizer builds (a sanitizer reads its options,
 * the per-run log path among them, before any constructor), --posix-faults (libfiu is set up before
 * the library), #! scripts (the preload acts on the interpreter), and --no-fork-server. A server
 * that does not start or fails is given up: the runs are spawned, and the record says which launch
 * was used (exec.launch). */
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
    pid_t pid; /* the server */
    int fd;    /* the driver's end */
    int busy;  /* a run of it has not ended */
} fork_server;

static fork_server servers[FS_MAX];
static int n_servers;
static int given_up;               /* a server failed: spawn from now on */
static const char *given_up_why;   /* why */
static unsigned long long forked;  /* runs started as forks */
static unsigned long long spawned; /* runs spawned */
static int exit_hook;

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
    char **env = xcalloc((size_t)n + 3, sizeof *env);
    memcpy(env, envp, (size_t)n * sizeof *env);
    char *named = xasprintf("%s=%d", RL_EXEC_ENV_FORKSERVER, RL_EXEC_FORKSERVER_FD);
    env[n] = named;
    /* every symbol bound once in the server, not lazily again in each run (as
     * AFL does); the runs get their own environment, without it */
    env[n + 1] = "LD_BIND_NOW=1";
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_t pid = 0;
    int rc = null < 0 ? errno : exec_child_spawn(x, env, null, null, sv[1], &pid);
    if (null >= 0)
        close(null);
    close(sv[1]);
    free(named);
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
    *s = (fork_server){pid, sv[0], 0};
    char buf[64];
    if (receive(s->fd, buf, sizeof buf, FS_HELLO_TIMEOUT) < 0 || strncmp(buf, "hello ", 6) != 0) {
        server_end(s);
        return -1;
    }
    return n_servers++;
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

int exec_fs_start(const exec_context *x, exec_child *c, char **envp, int out_w, int err_w)
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
    char buf[64];
    if (send_run(s->fd, envp, out_w, err_w) != 0 ||
        receive(s->fd, buf, sizeof buf, FS_HELLO_TIMEOUT) < 0 || strncmp(buf, "pid ", 4) != 0) {
        give_up("failed to fork a run");
        return -1;
    }
    c->pid = (pid_t)strtol(buf + 4, NULL, 10);
    c->fs = slot + 1;
    s->busy = 1;
    forked++;
    return 0;
}

int exec_fs_fd(const exec_child *c) { return c->fs > 0 && !c->reaped ? servers[c->fs - 1].fd : -1; }

int exec_fs_poll(exec_child *c)
{
    fork_server *s = &servers[c->fs - 1];
    char buf[64];
    if (s->fd < 0) { /* given up while it ran: the server's death killed it */
        c->status = SIGKILL;
        return 1;
    }
    long n = receive(s->fd, buf, sizeof buf, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        /* the server died; its run died with it (PR_SET_PDEATHSIG) */
        c->status = SIGKILL;
        server_end(s);
        return 1;
    }
    if (strncmp(buf, "status ", 7) != 0)
        return 0;
    c->status = (int)strtol(buf + 7, NULL, 10);
    s->busy = 0;
    return 1;
}

void exec_fs_spawned(void) { spawned++; }

const char *exec_fs_launch(const exec_context *x, const char **note)
{
    const char *why = NULL;
    exec_fs_wanted(x, &why);
    *note = spawned == 0 && forked > 0 ? NULL : why;
    if (forked == 0)
        return "spawn";
    return spawned > 0 ? "both" : "fork-server";
}
