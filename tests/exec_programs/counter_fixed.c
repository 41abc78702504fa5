/* counter_fixed.c — counter_bug.c's fix: the read and the write of the
 * increment are one locked section. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define THREADS 2L
#define HITS 20L

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long hits;

static void count_hit(void)
{
    pthread_mutex_lock(&lock);
    hits++;
    pthread_mutex_unlock(&lock);
}

static void *count_hits(void *arg)
{
    (void)arg;
    for (int i = 0; i < HITS; i++)
        count_hit();
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, count_hits, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("hits: %ld of %ld\n", hits, THREADS * HITS);
    assert(hits == THREADS * HITS);
    return 0;
}
