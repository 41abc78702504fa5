/* interrupt.c — SIGINT and SIGTERM become a byte on a self-pipe, so the
 * runner's poll loop wakes at once and stops cleanly. */
#include "core/interrupt.h"
#include "core/util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2] = {-1, -1};
static volatile sig_atomic_t seen;

static void on_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;
    seen++;
    if (pipe_fds[1] >= 0)
        (void)!write(pipe_fds[1], &c, 1);
    errno = saved;
}

void signals_handled_by(void (*handler)(int), const int *sigs, size_t n)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < n; i++)
        sigaction(sigs[i], &sa, NULL);
}

void interrupt_install(void)
{
    if (pipe_fds[0] < 0 && pipe(pipe_fds) == 0) {
        set_cloexec_nonblock(pipe_fds[0]);
        set_cloexec_nonblock(pipe_fds[1]);
    }
    static const int sigs[] = {SIGINT, SIGTERM};
    signals_handled_by(on_signal, sigs, 2);
}

int interrupt_fd(void) { return pipe_fds[0]; }

int interrupt_count(void) { return (int)seen; }

void interrupt_drain(void)
{
    char buf[64];
    if (pipe_fds[0] >= 0)
        while (read(pipe_fds[0], buf, sizeof buf) > 0)
            ;
}

/* Between fork and exec: the program gets the default dispositions (an
 * ignored SIGPIPE or SIGINT would survive exec) and an empty mask. */
void interrupt_restore_in_child(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGCHLD};
    signals_handled_by(SIG_DFL, sigs, sizeof sigs / sizeof sigs[0]);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}
