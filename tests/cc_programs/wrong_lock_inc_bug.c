/* wrong_lock_inc_bug.c — an increment under the wrong lock: the request
 * thread counts under `stats_lock`, the timer thread under `timer_lock`,
 * so the two critical sections do not exclude each other:
 *
 *   request: lock stats_lock; load total   -- 0
 *   timer:   lock timer_lock; load total   -- 0
 *   request: store total = 1; unlock
 *   timer:   store total = 1; unlock       -- one count lost
 *
 * Each thread holds a lock, so a reviewer sees "locked". The fix,
 * wrong_lock_inc_fixed.c, has both take stats_lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static int total;

static void *request(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stats_lock);
    total++; /* racy: the timer's increment under timer_lock may interleave */
    pthread_mutex_unlock(&stats_lock);
    return NULL;
}

static void *timer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&timer_lock);
    total++; /* racy: the wrong lock, it excludes nothing request() does */
    pthread_mutex_unlock(&timer_lock);
    return NULL;
}

int main(void)
{
    pthread_t r, t;
    pthread_create(&r, NULL, request, NULL);
    pthread_create(&t, NULL, timer, NULL);
    pthread_join(r, NULL);
    pthread_join(t, NULL);
    if (total != 2) {
        fprintf(stderr, "wrong_lock_inc: total %d, not 2\n", total);
        abort();
    }
    return 0;
}
