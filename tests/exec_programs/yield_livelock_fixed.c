/* yield_livelock_fixed.c — yield_livelock_bug.c's fix: each thread says it
 * is ready before it waits, yielding, for the other. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int left_ready, right_ready;

static void *left(void *arg)
{
    (void)arg;
    atomic_store(&left_ready, 1);
    while (!atomic_load(&right_ready))
        sched_yield();
    return NULL;
}

static void *right(void *arg)
{
    (void)arg;
    atomic_store(&right_ready, 1);
    while (!atomic_load(&left_ready))
        sched_yield();
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, left, NULL);
    pthread_create(&b, NULL, right, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    puts("both ready");
    return 0;
}
