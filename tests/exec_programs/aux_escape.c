/* aux_escape.c — a helper of the runner tests, a hostile program: it leaves
 * the preloaded library's reach before doing anything. It clears LD_PRELOAD
 * and executes itself, and the new image, with no library in it, runs two
 * threads. Under `racelab exec` nothing it did was scheduled or had noise:
 * a pass from it is no evidence. Its twin, aux_stay.c, runs the same two
 * threads without escaping. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *bump(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&lock);
        count++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "escaped") != 0) {
        unsetenv("LD_PRELOAD");
        char *again[] = {argv[0], "escaped", NULL};
        execv("/proc/self/exe", again);
        return 1;
    }
    pthread_t a, b;
    pthread_create(&a, NULL, bump, NULL);
    pthread_create(&b, NULL, bump, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("count %ld\n", count);
    return count == 2000 ? 0 : 1;
}
