/* publish_fixed.c — publish_bug.c's fix: the writer publishes the
 * pointer first and raises the ready flag last, so a reader that sees the
 * flag sees the record. */
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
static struct record *_Atomic record;
static atomic_int ready;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long publications, sum;

static void *writer(void *arg)
{
    (void)arg;
    storage.value = 42;
    atomic_store(&record, &storage);
    pthread_mutex_lock(&stats_lock);
    publications++;
    pthread_mutex_unlock(&stats_lock);
    atomic_store(&ready, 1); /* last: everything it guards is in place */
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&ready))
        sched_yield();
    struct record *r = atomic_load(&record);
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
    pthread_create(&w, NULL, writer, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(readers[i], NULL);
    pthread_join(w, NULL);
    printf("publications %ld, sum %ld\n", publications, sum);
    return sum == 42L * n ? 0 : 1;
}
