/* length_fixed.c — length_bug.c's fix: a reader reads the length and the
 * last entry in one critical section, so a delete cannot come between. */
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
    int v = n > 0 ? slot[n - 1] : 0;
    pthread_mutex_unlock(&lock);
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
