/* flag_fixed.c — flag_bug.c with the test and the set made one atomic
 * exchange: exactly one worker sees the flag clear. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int started;
static atomic_int launches;

static void *worker(void *arg)
{
    (void)arg;
    if (atomic_exchange(&started, 1) == 0)
        atomic_fetch_add(&launches, 1);
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (atomic_load(&launches) != 1) {
        fprintf(stderr, "flag: the service was launched %d times\n", atomic_load(&launches));
        abort();
    }
    return 0;
}
