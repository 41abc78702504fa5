/* aux_work.c — no bug: the benchmark's fixed workload for the cost of
 * racelab cc. Two threads each make ROUNDS (argv[1], default 2000000)
 * updates of a shared table, a load and a store each, taking the table's
 * lock once every 1000 updates; main checks the sum. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 1024
#define BATCH 1000

static long table[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long rounds = 2000000;

static void *worker(void *arg)
{
    long offset = *(const long *)arg;
    for (long i = 0; i < rounds; i += BATCH) {
        pthread_mutex_lock(&lock);
        for (long j = i; j < i + BATCH && j < rounds; j++)
            table[(j + offset) % SLOTS] += 1;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        char *end;
        rounds = strtol(argv[1], &end, 10);
        if (*end != '\0' || rounds <= 0) {
            fprintf(stderr, "aux_work: ROUNDS must be a positive number, not '%s'\n", argv[1]);
            return 2;
        }
    }
    pthread_t t[2];
    static long offsets[2] = {0, 7};
    for (int k = 0; k < 2; k++)
        pthread_create(&t[k], NULL, worker, &offsets[k]);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    long sum = 0;
    for (int s = 0; s < SLOTS; s++)
        sum += table[s];
    if (sum != 2 * rounds) {
        fprintf(stderr, "aux_work: sum %ld, not %ld\n", sum, 2 * rounds);
        abort();
    }
    return 0;
}
