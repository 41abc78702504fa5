/* uaf_bug.c — a use-after-free between threads: a reader takes a shared
 * session, tells the owner it has started, and reads the session once more
 * when it finishes. The owner frees the session as soon as the reader has
 * started, taking "started" for "done":
 *
 *   reader: lock; started = 1; signal; unlock
 *   reader: lock(stats); reads++; unlock(stats)
 *   owner:  lock; started: yes; unlock; free(session)
 *   reader: session->hits  -- read after the free (heap-use-after-free)
 *
 * The fix, uaf_fixed.c, has the owner wait for "done", said after the
 * reader's last read. */
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
static int started;

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
    /* BUG: the owner may free the session once `started` is seen */
    int last = s->hits;
    printf("reader %d %d\n", first, last);
    return NULL;
}

static void *owner(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!started)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    free(arg); /* frees what the reader reads late */
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
