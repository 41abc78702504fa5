/* length_bug.c — a length read before a concurrent delete. A reader reads
 * the list's length under the lock, lets go, and then reads the last
 * entry; a deleter removes entries (each under the lock, the freed slot
 * poisoned):
 *
 *   reader:  lock; n = len (3); unlock
 *   deleter: lock; len = 2; slot[2] = DELETED; unlock
 *   reader:  lock; v = slot[n - 1]: DELETED; unlock -- the assertion fails
 *
 * The fix, length_fixed.c, reads the length and the entry in one critical
 * section. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>

#define DELETED (-1)
#define READERS 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int slot[8] = {10, 11, 12};
static int len = 3;

static void *reader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    int n = len;
    pthread_mutex_unlock(&lock);
    if (n == 0)
        return NULL;
    /* RACE: a delete here leaves slot[n - 1] deleted */
    pthread_mutex_lock(&lock);
    int v = slot[n - 1];
    pthread_mutex_unlock(&lock);
    if (v == DELETED)
        fprintf(stderr, "reader: entry %d was deleted after the length was read\n", n - 1);
    assert(v != DELETED);
    return NULL;
}

static void *deleter(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) {
        pthread_mutex_lock(&lock);
        if (len > 0)
            slot[--len] = DELETED;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t r[READERS], d;
    pthread_create(&d, NULL, deleter, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_create(&r[i], NULL, reader, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_join(r[i], NULL);
    pthread_join(d, NULL);
    return 0;
}
