/* wrong_lock_inc_fixed.c — wrong_lock_inc_bug.c with both threads counting
 * under stats_lock, the lock that guards `total`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int total;

static void *request(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stats_lock);
    total++;
    pthread_mutex_unlock(&stats_lock);
    return NULL;
}

static void *timer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stats_lock);
    total++;
    pthread_mutex_unlock(&stats_lock);
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
