/* aux_exit.c — a worker thread ends the process with exit(3), _exit(3),
 * _Exit(3) or quick_exit(3), as argv[1] says, while main waits to join it:
 * each is a scheduling point before the process ends, named in the trace
 * (tests/test_exec_reach.py). Status 3 makes the run a failure, so that
 * --shrink prints the trace. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int done;

static void *worker(void *arg)
{
    const char *how = arg;
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_mutex_unlock(&lock);
    if (strcmp(how, "_exit") == 0)
        _exit(3);
    if (strcmp(how, "_Exit") == 0)
        _Exit(3);
    if (strcmp(how, "quick_exit") == 0)
        quick_exit(3);
    exit(3);
}

int main(int argc, char **argv)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, argc > 1 ? argv[1] : "exit");
    pthread_join(t, NULL);
    return 0;
}
