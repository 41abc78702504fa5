/* aux_parent_killer.c — a helper of the fork-server tests, a hostile program:
 * when its parent is a copy of itself (racelab's fork server, which is the
 * program loaded and stopped before main), it kills that parent with
 * SIGKILL, then sleeps 0.2 s and exits 0. Run from racelab directly (spawned:
 * its parent is racelab), it only sleeps. Every fork-server run of it is
 * lost with its server, every time: racelab must run each again once, then
 * give up on it and say nothing was tested, never count it as a pass. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void comm_of(const char *path, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    if (fgets(out, (int)len, f) == NULL)
        out[0] = '\0';
    fclose(f);
}

int main(void)
{
    char path[64], parent[64], self[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)getppid());
    comm_of(path, parent, sizeof parent);
    comm_of("/proc/self/comm", self, sizeof self);
    if (self[0] != '\0' && strcmp(parent, self) == 0)
        kill(getppid(), SIGKILL);
    struct timespec pause = {0, 200000000L}; /* 0.2 s */
    nanosleep(&pause, NULL);
    return 0;
}
