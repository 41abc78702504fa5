/* leak_bug.c — a leak across threads: each worker returns a result it
 * allocated, and main frees only the results it prints. The odd workers'
 * results are dropped (LeakSanitizer reports them at exit). The fix,
 * leak_fixed.c, frees every result. Not a race: the leak is in every run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define WORKERS 4

static void *work(void *arg)
{
    long *result = malloc(sizeof *result);
    if (result != NULL)
        *result = *(const long *)arg * 10;
    return result;
}

int main(void)
{
    pthread_t t[WORKERS];
    static long ids[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        ids[i] = i;
        pthread_create(&t[i], NULL, work, &ids[i]);
    }
    for (int i = 0; i < WORKERS; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        if (i % 2 == 0) {
            printf("result %ld\n", r != NULL ? *(long *)r : -1L);
            free(r);
        } /* BUG: the odd workers' results are never freed */
    }
    return 0;
}
