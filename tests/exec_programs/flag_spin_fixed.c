/* flag_spin_fixed.c — a waiter spins on a plain atomic flag with no call in
 * its loop, and main raises the flag after some work of its own (a lock, a
 * print). Correct: the flag is always raised. Under a scheduler that
 * switches only at calls, the waiter, once it runs, never reaches a point
 * again until the flag is up: it must be let out of control (as the OS
 * would preempt it) and reported as a spin outside any call, never as the
 * program's hang. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int flag;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int work;

static void *waiter(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&flag, memory_order_acquire)) {
        /* no call: the scheduler never sees this thread here */
    }
    pthread_mutex_lock(&lock);
    int seen = work;
    pthread_mutex_unlock(&lock);
    return seen == 1 ? NULL : (void *)1;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    pthread_mutex_lock(&lock);
    work = 1;
    pthread_mutex_unlock(&lock);
    atomic_store_explicit(&flag, 1, memory_order_release);
    void *ret = NULL;
    pthread_join(t, &ret);
    puts(ret == NULL ? "done" : "waiter saw no work");
    return ret == NULL ? 0 : 1;
}
