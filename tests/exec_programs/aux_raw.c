/* aux_raw.c — no bug: a program that goes around pthreads. A worker waits
 * on a futex word by syscall() and main wakes it the same way, a wait the
 * preloaded library cannot see. racelab exec says so (exec.raw_calls). */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_uint word;

static void *worker(void *arg)
{
    (void)arg;
    while (atomic_load(&word) == 0)
        syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    atomic_store(&word, 1);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(t, NULL);
    puts("woken");
    return 0;
}
