/* reorder_bug.c — a two-field update that is not one step (the shape of
 * SCTBench's reorder_N): N setter threads each set a = 1 and then b = -1,
 * each field under the lock but the pair in two critical sections; a
 * checker reads both and asserts they agree (both unset, or both set):
 *
 *   setter:  lock; a = 1; unlock            (a set, b not yet)
 *   checker: lock; sees a == 1, b == 0; unlock  -- assertion fails
 *   setter:  lock; b = -1; unlock
 *
 * The checker is created last, after every setter. Usage: reorder_bug
 * [SETTERS] (default 10, at most 200). The fix, reorder_fixed.c, sets both
 * fields in one critical section. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_SETTERS 200

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int a, b;

static void *setter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    a = 1;
    pthread_mutex_unlock(&lock);
    /* RACE: the checker running here sees a set and b not */
    pthread_mutex_lock(&lock);
    b = -1;
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *checker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    int seen_a = a, seen_b = b;
    pthread_mutex_unlock(&lock);
    if (!((seen_a == 0 && seen_b == 0) || (seen_a == 1 && seen_b == -1))) {
        fprintf(stderr, "checker: a = %d, b = %d disagree\n", seen_a, seen_b);
        assert(0);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    if (n < 1 || n > MAX_SETTERS)
        return 2;
    pthread_t t[MAX_SETTERS + 1];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, setter, NULL);
    pthread_create(&t[n], NULL, checker, NULL);
    for (int i = 0; i <= n; i++)
        pthread_join(t[i], NULL);
    return 0;
}
