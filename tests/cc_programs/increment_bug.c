/* increment_bug.c — THREADS threads each add ROUNDS to a shared counter with
 * a plain `hits++`, a load and a store:
 *
 *   T1: load hits        -- 5
 *   T2: load hits        -- 5
 *   T1: store hits = 6
 *   T2: store hits = 6   -- one increment lost
 *
 * and main asserts the total. The fix, increment_fixed.c, uses an atomic
 * add. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 3
#define ROUNDS 2

static int hits;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++)
        hits++; /* racy: another thread's load and store between this load and store */
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    if (hits != THREADS * ROUNDS) {
        fprintf(stderr, "increment: %d hits, not %d\n", hits, THREADS * ROUNDS);
        abort();
    }
    return 0;
}
