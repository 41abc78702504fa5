/* aux_parent_killer.c — a helper of the fork-server tests, a hostile program:
 * when its parent is a copy of itself (racelab's fork server, which is the
 * program loaded and stopped before main), it kills that parent with
 * SIGKILL, then sleeps 0.2 s and exits 0. Run from racelab directly (spawned:
 * its parent is racelab), it only sleeps. Every fork-server run of it is
 * lost with its server, every time: racelab must run each again once, then
 * give up on it and say nothing was tested, never count it as a pass.
 *   aux_parent_killer          as above
 *   aux_parent_killer shrink   two threads take a lock 5 times each (points
 *                              to preempt at), then it exits 1 (a failure)
 *                              in every run; it kills its fork server only in
 *                              the runs of --shrink (those that follow a
 *                              given schedule: RACELAB_EXEC_STRATEGY dfs):
 *                              the shrink's runs are all lost, and it must
 *                              claim nothing of them. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

static void kill_a_parent_fork_server(void)
{
    char path[64], parent[64], self[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)getppid());
    comm_of(path, parent, sizeof parent);
    comm_of("/proc/self/comm", self, sizeof self);
    if (self[0] != '\0' && strcmp(parent, self) == 0)
        kill(getppid(), SIGKILL);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int taken;

static void *taker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        pthread_mutex_lock(&lock);
        taken++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct timespec pause = {0, 200000000L}; /* 0.2 s */
    if (argc > 1 && strcmp(argv[1], "shrink") == 0) {
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, taker, NULL);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        const char *strategy = getenv("RACELAB_EXEC_STRATEGY");
        if (strategy == NULL || strncmp(strategy, "dfs", 3) != 0)
            return 1;
        kill_a_parent_fork_server();
        nanosleep(&pause, NULL);
        return 1;
    }
    kill_a_parent_fork_server();
    nanosleep(&pause, NULL);
    return 0;
}
