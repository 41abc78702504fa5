/* uaf_fixed.c — uaf_bug.c fixed: the reader says "done" after its last read
 * of the session, and the owner frees it only then. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int id;
    int hits;
} session;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long reads;
static int started, done;

static void *reader(void *arg)
{
    const session *s = arg;
    int first = s->id;
    pthread_mutex_lock(&lock);
    started = 1;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    pthread_mutex_lock(&stats_lock); /* the owner may run here */
    reads++;
    pthread_mutex_unlock(&stats_lock);
    int last = s->hits;
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    printf("reader %d %d\n", first, last);
    return NULL;
}

static void *owner(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!started || !done)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    free(arg);
    return NULL;
}

int main(void)
{
    session *shared = malloc(sizeof *shared);
    if (shared == NULL)
        return 1;
    shared->id = 7;
    shared->hits = 3;
    pthread_t r, o;
    pthread_create(&o, NULL, owner, shared);
    pthread_create(&r, NULL, reader, shared);
    pthread_join(r, NULL);
    pthread_join(o, NULL);
    return 0;
}
