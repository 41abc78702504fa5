/* forkserver.c — the fork server (as AFL's): the program is loaded and the
 * library resolved once; every run is a fork taken in the constructor,
 * before the program's own constructors and main.
 *
 * The driver starts the program with RACELAB_EXEC_FORKSERVER=FD, FD one
 * end of an AF_UNIX SOCK_SEQPACKET pair. The protocol, one datagram each:
 *
 *   server -> driver  "hello PID"                  ready
 *   driver -> server  ENV (NUL-separated K=V)      one run, with two fds
 *                     (SCM_RIGHTS): its stdout and stderr
 *   server -> driver  "pid PID"                    the run's process
 *   server -> driver  "status N"                   its raw wait status
 *
 * The run's process gets exactly ENV as its environment (what a spawned
 * run would get), its own process group, the fds as 1 and 2, and dies
 * with the server (PR_SET_PDEATHSIG); it then returns into the
 * constructor, which configures the library as a spawned run's would.
 * The server ends when the driver closes its end, and dies with it. */
#include "preload.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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

/* In the run's process: its environment, fds and process group. */
static void become_run(int ctl, const int fds[2], long len, pid_t server)
{
    close(ctl);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != server) /* the server died before the request */
        syscall(SYS_exit_group, 127);
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

void rl_exec_fork_server(void)
{
    const char *named = getenv(RL_EXEC_ENV_FORKSERVER);
    if (named == NULL || *named == '\0')
        return;
    int ctl = atoi(named);
    char text[64];
    snprintf(text, sizeof text, "hello %ld", (long)getpid());
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char *driver = getenv(RL_EXEC_ENV_PARENT);
    if (driver != NULL && getppid() != (pid_t)atol(driver)) /* it died before the request */
        syscall(SYS_exit_group, 127);
    pid_t self = getpid();
    send_text(ctl, text);
    for (;;) {
        int fds[2] = {-1, -1};
        long len = receive(ctl, fds);
        if (len == 0)
            syscall(SYS_exit_group, 0);
        if (len < 0) {
            send_text(ctl, "error malformed request");
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            become_run(ctl, fds, len, self);
            return;
        }
        close(fds[0]);
        close(fds[1]);
        if (pid < 0) {
            snprintf(text, sizeof text, "error fork %d", errno);
            send_text(ctl, text);
            continue;
        }
        setpgid(pid, pid); /* as the child does: whichever runs first */
        snprintf(text, sizeof text, "pid %ld", (long)pid);
        send_text(ctl, text);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        snprintf(text, sizeof text, "status %d", status);
        send_text(ctl, text);
    }
}
