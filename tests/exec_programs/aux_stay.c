/* aux_stay.c — a helper of the runner tests, the twin of aux_escape.c: the
 * same two threads under a mutex, run where the preloaded library (and the
 * scheduler) sees them. Not a bug: it holds. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *bump(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&lock);
        count++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, bump, NULL);
    pthread_create(&b, NULL, bump, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("count %ld\n", count);
    return count == 2000 ? 0 : 1;
}
