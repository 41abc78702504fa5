/* progress.c — the progress feed a driver can follow during a long run.
 * With RACELAB_PROGRESS_FD=N in the environment (the driver sets it to the
 * write end of a pipe it reads), the watchdog writes one line a second,
 * "progress TRIALS FAILURES\n": the trials graded so far and the forbidden
 * outcomes among them. The descriptor is made non-blocking: a driver that
 * does not read loses lines, never stalls the run. Without the variable
 * nothing is written. */
#include "engine.h"

#include "../common/parse_number.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int rl_progress_fd(void)
{
    const char *text = getenv("RACELAB_PROGRESS_FD");
    if (text == NULL || *text == '\0')
        return -1;
    unsigned long long fd;
    if (rl_parse_u64(text, &fd) != 0 || fd < 3 || fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0) {
        fprintf(stderr,
                "racelab: error: RACELAB_PROGRESS_FD='%s' is not an open descriptor above 2\n",
                text);
        _exit(2);
    }
    int flags = fcntl((int)fd, F_GETFL);
    if (flags >= 0)
        fcntl((int)fd, F_SETFL, flags | O_NONBLOCK);
    return (int)fd;
}

void rl_progress_send(int fd, unsigned long long trials, unsigned long long failures)
{
    char line[64];
    int n = snprintf(line, sizeof line, "progress %llu %llu\n", trials, failures);
    /* one write of a short line: whole or not at all (PIPE_BUF) */
    if (n > 0 && write(fd, line, (size_t)n) < 0) {
        /* EAGAIN: the pipe is full, this second's line is dropped */
    }
}
