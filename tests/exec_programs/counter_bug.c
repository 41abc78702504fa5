/* counter_bug.c — an atomicity violation: two threads count hits on a shared
 * counter through a getter and a setter, each of which takes the lock. The
 * read and the write are each atomic, the increment is not:
 *
 *   T1: v = read_hits()  (5)
 *                               T2: v = read_hits() (5); store_hits(6)
 *   T1: store_hits(v + 1) (6)   -- T2's hit is lost
 *
 * Each thread counts a few hits and is done long before the other one has
 * started, so the two rarely overlap; the assertion on the total fails then.
 * The fix, counter_fixed.c, increments in one locked section. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define THREADS 2L
#define HITS 20L

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long hits;

static long read_hits(void)
{
    pthread_mutex_lock(&lock);
    long v = hits;
    pthread_mutex_unlock(&lock);
    return v;
}

static void store_hits(long v)
{
    pthread_mutex_lock(&lock);
    hits = v;
    pthread_mutex_unlock(&lock);
}

static void *count_hits(void *arg)
{
    (void)arg;
    for (int i = 0; i < HITS; i++) {
        long v = read_hits();
        store_hits(v + 1); /* BUG: another thread may have counted since the read */
    }
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
