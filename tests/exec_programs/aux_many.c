/* aux_many.c — a helper of the exec tests, not a bug: N threads (argv[1],
 * default 1023: with main, the scheduler's 1,024) each take one mutex once,
 * and main joins them all. With "fail" as argv[2] it exits with status 1 at
 * the end, so that a run's schedule is kept (a failure's is) and can be
 * replayed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *work(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    count++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1023;
    if (n < 1 || n > 100000)
        return 2;
    pthread_t *t = malloc(sizeof *t * (size_t)n);
    if (t == NULL)
        return 2;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    free(t);
    printf("%ld of %d\n", count, n);
    if (argc > 2 && strcmp(argv[2], "fail") == 0)
        return 1;
    return count == n ? 0 : 1;
}
