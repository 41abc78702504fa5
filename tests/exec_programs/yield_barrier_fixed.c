/* yield_barrier_fixed.c — eight threads meet at a barrier that spins on
 * sched_yield, as hand-made barriers do: each records its first phase
 * (under a lock), arrives, and waits until all eight have arrived; then
 * each checks that all eight first phases are recorded. Correct: a thread
 * leaves only once every thread has arrived, and each arrives after it has
 * recorded. Under a scheduler that keeps a spinning thread first, the wait
 * is endless unless a yield in a loop gives way (fair scheduling). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int recorded;
static atomic_int arrived;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    recorded++;
    pthread_mutex_unlock(&lock);
    atomic_fetch_add(&arrived, 1);
    while (atomic_load(&arrived) < THREADS)
        sched_yield();
    pthread_mutex_lock(&lock);
    int seen = recorded;
    pthread_mutex_unlock(&lock);
    if (seen != THREADS) {
        fprintf(stderr, "left the barrier with %d of %d recorded\n", seen, THREADS);
        abort();
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    puts("all through");
    return 0;
}
