/* publish_bug.c — a two-stage publish read by N threads: a writer fills
 * in a record and publishes a pointer to it, then raises a ready flag; N
 * readers wait (spinning on sched_yield) for the flag, then read through the
 * pointer. The writer raises the flag first:
 *
 *   writer:  ready = 1;  count the publication (a lock)
 *   reader:  sees ready; r = record;  -- NULL: r->value crashes
 *   writer:  record = &storage;
 *
 * The writer's bookkeeping between the two stores takes well under a
 * microsecond, and the readers are asleep in sched_yield, so a reader nearly
 * never looks between them. The fix, publish_fixed.c, publishes the
 * pointer first and raises the flag last. Usage: publish_bug [READERS]
 * (default 100, at most 1000). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_READERS 1000

struct record {
    long value;
};

static struct record storage;
static struct record *_Atomic record; /* published second: too late */
static atomic_int ready;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long publications, sum;

static void *writer(void *arg)
{
    (void)arg;
    storage.value = 42;
    atomic_store(&ready, 1);         /* BUG: raised before the pointer is published */
    pthread_mutex_lock(&stats_lock); /* a reader running here finds record NULL */
    publications++;
    pthread_mutex_unlock(&stats_lock);
    atomic_store(&record, &storage);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&ready))
        sched_yield();
    struct record *r = atomic_load(&record); /* NULL between the writer's two stores */
    pthread_mutex_lock(&stats_lock);
    sum += r->value;
    pthread_mutex_unlock(&stats_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    if (n < 1 || n > MAX_READERS)
        return 2;
    static pthread_t readers[MAX_READERS];
    pthread_t w;
    for (int i = 0; i < n; i++)
        pthread_create(&readers[i], NULL, reader, NULL);
    pthread_create(&w, NULL, writer, NULL); /* thread n + 1 under the scheduler */
    for (int i = 0; i < n; i++)
        pthread_join(readers[i], NULL);
    pthread_join(w, NULL);
    printf("publications %ld, sum %ld\n", publications, sum);
    return sum == 42L * n ? 0 : 1;
}
