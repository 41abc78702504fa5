/* yield_barrier_bug.c — yield_barrier_fixed.c with the count off by one:
 * a thread leaves when seven have arrived, so the last one may not have
 * recorded its first phase yet:
 *
 *   T1..T7: record; arrive; see 7 arrived; leave; check  -- 7 of 8: abort
 *   T8:     (not yet) record
 *
 * Seven arrivals take the others a few microseconds, and the eighth thread
 * has long started by then, so the check nearly always sees all eight.
 *
 * Otherwise as the fixed twin: the barrier spins on sched_yield, and only a
 * scheduler that lets a yield in a loop give way gets past it. */
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
    while (atomic_load(&arrived) < THREADS - 1) /* BUG: the last one may not have recorded */
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
