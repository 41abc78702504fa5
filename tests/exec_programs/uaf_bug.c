/* uaf_bug.c — a use after free between a free and a late reader. Readers
 * take the current connection under the lock, let go of the lock, count
 * the request (under the stats lock), then use the connection. A closer
 * unpublishes it under the lock, poisons it (as a debugging allocator or
 * the kernel's slab poisoning does) and frees it:
 *
 *   reader: lock; c = current; unlock; lock(stats); ...; unlock(stats)
 *   closer: lock; current = NULL; unlock; poison c; free(c)
 *   reader: c->magic is not MAGIC -- the assertion fails (a use after free)
 *
 * The fix, uaf_fixed.c, uses the connection while holding the lock. */
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
    pthread_mutex_unlock(&lock);
    if (c == NULL)
        return NULL;
    /* RACE: the closer can free c while this reader counts */
    pthread_mutex_lock(&stats_lock);
    served++;
    pthread_mutex_unlock(&stats_lock);
    if (c->magic != MAGIC)
        fprintf(stderr, "reader: connection %p used after it was freed\n", (void *)c);
    assert(c->magic == MAGIC);
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
