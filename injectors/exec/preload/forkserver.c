/* forkserver.c — the fork server (as AFL's): the program is loaded and the
 * library resolved once; every run is a fork taken in the constructor,
 * before the program's own constructors and main.
 *
 * The driver starts the program with RACELAB_EXEC_FORKSERVER=FD, FD one
 * end of an AF_UNIX SOCK_SEQPACKET pair. The protocol, one datagram each:
 *
 *   server -> driver  "hello PID"                  ready
 *   server -> driver  "ready PID"                  the next run's process
 *                                                  waits for its request
 *   driver -> run     ENV (NUL-separated K=V)      one run, with two fds
 *                     (SCM_RIGHTS): its stdout and stderr
 *   server -> driver  "status PID N"               a run's raw wait status
 *   "error ..."       instead of any of these: the server cannot go on
 *
 * One run's process waits at a time, forked ahead: it takes the next
 * request from the socket itself (a request wakes the run, not the server),
 * and says so on a pipe to the server, which then forks the one after it
 * while the run goes on: no fork and no reply on the path from request to
 * run. The driver knows the run's pid from "ready" before it sends the
 * request. The server reaps each run and relays its status. The run's
 * process gets its own process group (before "ready") and dies with the
 * server (PR_SET_PDEATHSIG); once its request has come, exactly ENV as its
 * environment (what a spawned run would get) and the fds as 1 and 2; it
 * then returns into the constructor, which configures the library as a
 * spawned run's would. The server ends when the driver has gone (a message
 * it cannot send), and dies with it. */
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FS_MAX_MESSAGE (1u << 20)

static char message[FS_MAX_MESSAGE + 1];
static char *run_env[8192];

static void send_text(int fd, const char *text)
{
    while (send(fd, text, strlen(text), MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* One request: its environment into `message`, its two fds; the number of
 * bytes, 0 when the driver has gone, -1 on a malformed request. */
static long receive(int fd, int fds[2])
{
    struct iovec io = {message, FS_MAX_MESSAGE};
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    ssize_t n;
    while ((n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return 0;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(2 * sizeof(int)) ||
        (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
        return -1;
    memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
    message[n] = '\0';
    return (long)n;
}

/* In the run's process, once its request has come: its fds and its
 * environment. */
static void become_run(const int fds[2], long len)
{
    dup2(fds[0], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    int n = 0;
    for (long at = 0; at < len && n < (int)(sizeof run_env / sizeof run_env[0]) - 1;) {
        run_env[n++] = message + at;
        at += (long)strlen(message + at) + 1;
    }
    run_env[n] = NULL;
    extern char **environ;
    environ = run_env; /* exactly the spawned run's environment */
}

/* The next run's process, forked before its request comes: it takes the
 * request from the socket itself and says so on `taken`. Returns in the
 * run; exits when the driver has gone. */
static void wait_for_request(int ctl, pid_t server, int taken)
{
    setpgid(0, 0); /* as the server does: the driver kills the group */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != server) /* the server died before the request */
        syscall(SYS_exit_group, 127);
    int fds[2] = {-1, -1};
    long len = receive(ctl, fds);
    if (len <= 0) {
        send_text(ctl, len < 0 ? "error malformed request" : "error none");
        syscall(SYS_exit_group, 127);
    }
    while (write(taken, "t", 1) < 0 && errno == EINTR)
        ;
    close(taken);
    close(ctl);
    become_run(fds, len);
}

/* Sends TEXT; the server exits when the driver has gone. */
static void tell(int ctl, const char *text)
{
    if (send(ctl, text, strlen(text), MSG_NOSIGNAL) < 0)
        syscall(SYS_exit_group, 0);
}

static void give_up(int ctl, const char *what)
{
    char text[64];
    snprintf(text, sizeof text, "error %s %d", what, errno);
    send_text(ctl, text);
    syscall(SYS_exit_group, 127);
}

/* Forks the run's process that will wait for the next request; returns in
 * it (1), or in the server (0) with its pid and the read end of its pipe. */
static int fork_waiting(int ctl, pid_t self, pid_t *pid, int *taken_r)
{
    int taken[2];
    if (pipe2(taken, O_CLOEXEC) != 0)
        give_up(ctl, "pipe");
    *pid = fork();
    if (*pid == 0) {
        close(taken[0]);
        wait_for_request(ctl, self, taken[1]);
        return 1;
    }
    close(taken[1]);
    if (*pid < 0)
        give_up(ctl, "fork");
    setpgid(*pid, *pid); /* as the child does: whichever runs first */
    *taken_r = taken[0];
    return 0;
}

int rl_exec_fork_server(void)
{
    const char *named = getenv(RL_EXEC_ENV_FORKSERVER);
    if (named == NULL || *named == '\0')
        return 0;
    int ctl = atoi(named);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char *driver = getenv(RL_EXEC_ENV_PARENT);
    if (driver != NULL && getppid() != (pid_t)atol(driver)) /* it died before the request */
        syscall(SYS_exit_group, 127);
    pid_t self = getpid();
    char text[64];
    snprintf(text, sizeof text, "hello %ld", (long)self);
    tell(ctl, text);
    pid_t running = 0; /* the run that took its request, until it ends */
    for (;;) {
        pid_t waiting;
        int taken;
        if (fork_waiting(ctl, self, &waiting, &taken))
            return 1; /* in the run */
        snprintf(text, sizeof text, "ready %ld", (long)waiting);
        tell(ctl, text);
        if (running > 0) {
            int status = 0;
            while (waitpid(running, &status, 0) < 0 && errno == EINTR)
                ;
            snprintf(text, sizeof text, "status %ld %d", (long)running, status);
            tell(ctl, text);
        }
        char byte;
        ssize_t n;
        while ((n = read(taken, &byte, 1)) < 0 && errno == EINTR)
            ;
        close(taken);
        if (n != 1) { /* it died before its request: the driver cannot know */
            errno = 0;
            give_up(ctl, "lost a waiting run");
        }
        running = waiting;
    }
}

void rl_exec_pin(void)
{
    const char *slot_text = getenv(RL_EXEC_ENV_PIN);
    if (rl_exec_mode_now != RL_EXEC_SCHED || slot_text == NULL || *slot_text == '\0')
        return;
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) == 0)
        return;
    int k = atoi(slot_text) % CPU_COUNT(&allowed);
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &allowed) && k-- == 0) {
            CPU_SET(cpu, &one);
            break;
        }
    (void)sched_setaffinity(0, sizeof one, &one); /* before any thread: they all inherit it */
}
