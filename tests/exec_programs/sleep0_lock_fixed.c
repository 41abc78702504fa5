/* sleep0_lock_fixed.c — a spin lock that waits with sleep(0), guarding a
 * pair of counters that must stay equal: four threads each take the lock,
 * bump the first counter, log the step (a mutex of the log's own), bump the
 * second, and let go; a reader takes the lock too and checks the pair.
 * Correct; under a scheduler that keeps a spinning thread first, a waiter
 * spins forever unless a sleep(0) in a loop gives way. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 5

static atomic_int spin;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static long first, second, logged;

static void spin_lock(void)
{
    while (atomic_exchange(&spin, 1))
        sleep(0);
}

static void spin_unlock(void) { atomic_store(&spin, 0); }

static void log_step(void)
{
    pthread_mutex_lock(&log_lock);
    logged++;
    pthread_mutex_unlock(&log_lock);
}

static void *bumper(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        spin_lock();
        first++;
        log_step();
        second++;
        spin_unlock();
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        spin_lock();
        long a = first, b = second;
        spin_unlock();
        if (a != b) {
            fprintf(stderr, "reader saw %ld and %ld\n", a, b);
            abort();
        }
        sleep(0);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS + 1];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, bumper, NULL);
    pthread_create(&t[THREADS], NULL, reader, NULL);
    for (int i = 0; i <= THREADS; i++)
        pthread_join(t[i], NULL);
    printf("%ld %ld (%ld logged)\n", first, second, logged);
    return first == second && first == (long)THREADS * ROUNDS ? 0 : 1;
}
