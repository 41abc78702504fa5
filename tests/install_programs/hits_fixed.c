/* hits_fixed.c — hits_bug.c's twin: the load and the store of each hit
 * under one mutex, so no hit can be lost. */
#include <pthread.h>
#include <stdio.h>

#define ROUNDS 3

static int hits;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *count(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        int seen = hits;
        hits = seen + 1;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, count, NULL);
    pthread_create(&b, NULL, count, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    if (hits != 2 * ROUNDS) {
        printf("lost %d hits\n", 2 * ROUNDS - hits);
        return 1;
    }
    return 0;
}
