/* aux_orphan.c — a helper of the runner tests, a hostile program: it leaves
 * processes behind where a process-group kill cannot reach them, and exits
 * 0 at once.
 *   aux_orphan pgid    a child in a process group of its own, paused
 *   aux_orphan setsid  a grandchild in a session of its own (setsid, then a
 *                      second fork), paused; its parent exits
 *   aux_orphan wait    the twin: the same child, waited for (nothing left)
 * The parent exits only once the paused process has got away (a byte on a
 * pipe), so every run leaves one behind. racelab must find and kill what it
 * leaves, and say so in the record. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "pgid";
    int away[2];
    if (pipe(away) != 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        if (strcmp(how, "pgid") == 0) {
            setpgid(0, 0);
            (void)!write(away[1], "k", 1);
            pause();
        } else if (strcmp(how, "setsid") == 0) {
            setsid();
            if (fork() == 0) {
                (void)!write(away[1], "k", 1);
                pause();
            }
        } else {
            (void)!write(away[1], "k", 1);
        }
        _exit(0);
    }
    char byte;
    (void)!read(away[0], &byte, 1);
    if (strcmp(how, "setsid") == 0 || strcmp(how, "wait") == 0)
        waitpid(pid, NULL, 0);
    puts("done");
    return 0;
}
