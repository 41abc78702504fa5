/* uaf_fixed.c — uaf_bug.c's fix: a reader uses the connection while it
 * holds the lock, so the closer cannot unpublish and free it in between. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READERS 3
#define MAGIC 0x5eedc0de

struct conn {
    long magic;
    long requests;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *current;
static long served;

static void *reader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    struct conn *c = current;
    if (c != NULL) {
        pthread_mutex_lock(&stats_lock);
        served++;
        pthread_mutex_unlock(&stats_lock);
        assert(c->magic == MAGIC);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *closer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    struct conn *c = current;
    current = NULL;
    pthread_mutex_unlock(&lock);
    if (c != NULL) {
        memset(c, 0xdd, sizeof *c); /* poisoned, as freed memory is in a debug build */
        free(c);
    }
    return NULL;
}

int main(void)
{
    current = malloc(sizeof *current);
    current->magic = MAGIC;
    current->requests = 0;
    pthread_t r[READERS], cl;
    for (int i = 0; i < READERS; i++)
        pthread_create(&r[i], NULL, reader, NULL);
    pthread_create(&cl, NULL, closer, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_join(r[i], NULL);
    pthread_join(cl, NULL);
    printf("served %ld\n", served);
    return 0;
}
