/* yield_livelock_bug.c — two threads each wait, yielding, for the other to
 * say it is ready, and each says so only after its wait:
 *
 *   left:  while (!right_ready) sched_yield();  right_ready never comes
 *   right: while (!left_ready) sched_yield();   left_ready never comes
 *
 * A livelock on every schedule: both threads run, both yield, forever. The
 * fix, yield_livelock_fixed.c, has each thread say it is ready before it
 * waits for the other. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int left_ready, right_ready;

static void *left(void *arg)
{
    (void)arg;
    while (!atomic_load(&right_ready))
        sched_yield();
    atomic_store(&left_ready, 1); /* BUG: after the wait: right waits for it first */
    return NULL;
}

static void *right(void *arg)
{
    (void)arg;
    while (!atomic_load(&left_ready))
        sched_yield();
    atomic_store(&right_ready, 1); /* BUG: after the wait: left waits for it first */
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
