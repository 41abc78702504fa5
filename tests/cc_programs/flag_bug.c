/* flag_bug.c — check-then-act on an unlocked flag: two workers each start
 * the background service unless the flag says it has been started.
 *
 *   T1: started == 0      -- not yet
 *   T2: started == 0      -- not yet either
 *   T1: started = 1; launches++
 *   T2: started = 1; launches++   -- launched twice
 *
 * The fix, flag_fixed.c, tests and sets in one atomic exchange. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int started;
static int launches;

static void *worker(void *arg)
{
    (void)arg;
    /* racy: another worker may test the flag between this test and the set */
    if (!started) {
        started = 1;
        launches++;
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (launches != 1) {
        fprintf(stderr, "flag: the service was launched %d times\n", launches);
        abort();
    }
    return 0;
}
