/* increment_fixed.c — increment_bug.c with the counter an atomic and every
 * increment one atomic add. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 3
#define ROUNDS 2

static atomic_int hits;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++)
        atomic_fetch_add(&hits, 1);
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    if (atomic_load(&hits) != THREADS * ROUNDS) {
        fprintf(stderr, "increment: %d hits, not %d\n", atomic_load(&hits), THREADS * ROUNDS);
        abort();
    }
    return 0;
}
