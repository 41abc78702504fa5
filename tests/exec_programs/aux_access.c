/* aux_access.c — a helper of the exec tests: what a program built by
 * `racelab cc` does at its memory accesses, written out by hand. Two threads
 * add to a counter with no lock (a lost update: the assertion fails when
 * their read-modify-writes interleave), and every load and store of it is
 * announced through rl_exec_access (exec_access.h), a weak reference that
 * is NULL unless racelab exec's library is preloaded. With the argument
 * "count" it only counts (no assertion: every run exits, with its counts). */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../../injectors/exec/preload/exec_access.h"

#pragma weak rl_exec_access

#define ADDS 5L

static long total;

/* Each access names its own call site, as the instrumentation does. */
__attribute__((noinline)) static long load(const long *p)
{
    if (rl_exec_access != NULL)
        rl_exec_access(RL_EXEC_ACCESS_READ, p, sizeof *p, __builtin_return_address(0));
    return *(const volatile long *)p;
}

__attribute__((noinline)) static void store(long *p, long v)
{
    if (rl_exec_access != NULL)
        rl_exec_access(RL_EXEC_ACCESS_WRITE, p, sizeof *p, __builtin_return_address(0));
    *(volatile long *)p = v;
}

static void *add(void *arg)
{
    (void)arg;
    for (int i = 0; i < ADDS; i++)
        store(&total, load(&total) + 1); /* BUG: not atomic, no lock */
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t a, b;
    pthread_create(&a, NULL, add, NULL);
    pthread_create(&b, NULL, add, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("total %ld of %ld\n", total, 2 * ADDS);
    if (argc > 1 && strcmp(argv[1], "count") == 0)
        return 0;
    assert(total == 2 * ADDS);
    return 0;
}
