/* aux_hang.c — a helper of the exec tests, not a bug: the program forks a
 * child that waits for a signal (a grandchild of the driver, in the run's
 * process group), then reads a pipe nobody writes, for ever. A run past
 * --timeout is a hang: its whole process group is killed, the child too,
 * whether the run was spawned or forked by the fork server. */
#include <signal.h>
#include <unistd.h>

int main(void)
{
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    char c;
    return read(fds[0], &c, 1) == 1 ? 0 : 1;
}
