/* hits_bug.c — built from outside the tree by an installed `racelab cc`
 * (tests/test_install.py): two threads each count ROUNDS hits into one
 * shared counter with a plain load and a plain store, no lock; main checks
 * the total and exits 1 when a hit was lost. hits_fixed.c is its twin. */
#include <pthread.h>
#include <stdio.h>

#define ROUNDS 3

static int hits;

static void *count(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        /* RACE: both threads load the same count here, then both store
         * count+1: the second store overwrites the first, one hit is lost */
        int seen = hits;
        hits = seen + 1;
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, count, NULL);
    pthread_create(&b, NULL, count, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    if (hits != 2 * ROUNDS) {
        printf("lost %d hits\n", 2 * ROUNDS - hits);
        return 1;
    }
    return 0;
}
