/* aux_long.c — a helper of the exec tests, not a bug: two threads take a
 * mutex 30,000 times each, more scheduling points (120,000) than a schedule
 * records (RL_SCHED_MAX_STEPS, 100,000). Under `racelab exec --mode sched`
 * the run goes on scheduled past the limit, unrecorded, and is not graded. */
#include <pthread.h>
#include <stdio.h>

#define TIMES 30000L

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *work(void *arg)
{
    (void)arg;
    for (int i = 0; i < TIMES; i++) {
        pthread_mutex_lock(&lock);
        count++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, work, NULL);
    pthread_create(&b, NULL, work, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("count %ld\n", count);
    return count == 2 * TIMES ? 0 : 1;
}
