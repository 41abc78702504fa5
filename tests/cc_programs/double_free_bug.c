/* double_free_bug.c — a double free between threads: two workers finish
 * with a shared buffer, and whichever is last frees it. The count of users
 * is decremented under the lock, but tested after it, outside:
 *
 *   worker 1: lock; users-- (1); unlock
 *   worker 2: lock; users-- (0); unlock
 *   worker 1: users == 0: free(buffer)
 *   worker 2: users == 0: free(buffer)  -- double free
 *
 * The fix, double_free_fixed.c, tests the count under the lock. */
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
    users--;
    pthread_mutex_unlock(&lock);
    if (users == 0) /* BUG: read after the unlock; both may see 0 */
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
