/* double_free_fixed.c — double_free_bug.c fixed: the decrement and the test
 * of `users` are one step under a lock, so exactly one worker frees. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static char *buffer;
static int users = 2;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    long id = *(const long *)arg;
    buffer[id] = (char)('a' + id);
    pthread_mutex_lock(&lock);
    int last = --users == 0;
    pthread_mutex_unlock(&lock);
    if (last)
        free(buffer);
    return NULL;
}

int main(void)
{
    buffer = malloc(16);
    if (buffer == NULL)
        return 1;
    pthread_t t[2];
    static long ids[2] = {0, 1};
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, &ids[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("users %d\n", users);
    return 0;
}
