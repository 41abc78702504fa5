/* aux_c11.c — a helper of the exec tests, not a bug: C11 threads (thrd_*,
 * mtx_*, cnd_*). glibc builds them on its pthread code but calls it
 * internally, so the exec library interposes them on their own; their
 * calls reach the same points as the pthread calls. */
#include <stdio.h>
#include <threads.h>

#define THREADS 2
#define ROUNDS 10

static mtx_t lock;
static cnd_t turn;
static int count;

static int work(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        mtx_lock(&lock);
        count++;
        cnd_broadcast(&turn);
        mtx_unlock(&lock);
        thrd_yield();
    }
    return 0;
}

int main(void)
{
    mtx_init(&lock, mtx_plain);
    cnd_init(&turn);
    thrd_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        thrd_create(&t[i], work, NULL);
    mtx_lock(&lock);
    while (count < THREADS * ROUNDS)
        cnd_wait(&turn, &lock);
    mtx_unlock(&lock);
    for (int i = 0; i < THREADS; i++)
        thrd_join(t[i], NULL);
    printf("count %d\n", count);
    return count == THREADS * ROUNDS ? 0 : 1;
}
