/* deadly_signal.c — a scenario program (linked with the racelab runtime) whose
 * actor dies by a real deadly signal in its first trial, chosen by variant:
 * SIGSEGV (a store through NULL), SIGBUS (a mapped page past the end of its
 * file), SIGFPE (an integer division by zero), SIGILL (a trap instruction),
 * SIGABRT (abort). Not a scenario of the suite: tests/test_deadly_signals.py
 * builds it in both flavours to show that the program ends by that signal,
 * never with a clean exit and a record. */
#include "racelab.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SEGV, BUS, FPE, ILL, ABRT, SURVIVES };
enum { AT_NONE };

typedef struct {
    int unused;
} crash_state;

static volatile int zero;

static void die(void *state, int variant)
{
    (void)state;
    switch (variant) {
    case SEGV: *(volatile int *)(long)zero = 1; break;
    case BUS: {
        char path[] = "/tmp/racelab-bus-XXXXXX";
        int fd = mkstemp(path);
        unlink(path);
        volatile char *page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        (void)page[0]; /* the file is empty: the page has no backing */
        break;
    }
    case FPE: {
#if defined(__x86_64__)
        int quotient, remainder;
        /* idiv by zero traps; in C it would be undefined and may be elided */
        __asm__ volatile("idivl %2" : "=a"(quotient), "=d"(remainder) : "r"(zero), "a"(1), "d"(0));
        zero = quotient + remainder;
#else
        raise(SIGFPE);
#endif
        break;
    }
    case ILL: __builtin_trap();
    case ABRT: abort();
    case SURVIVES: break;
    }
}

static int arbiter(void *state, int variant)
{
    (void)state;
    (void)variant;
    return 0;
}

static const rl_outcome outcomes[] = {{"survived", RL_FORBIDDEN, "the signal did not kill"}};
static const rl_variant variants[] = {
    [SEGV] = {"segv", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "store through NULL"},
    [BUS] = {"bus", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "read a mapped page past EOF"},
    [FPE] = {"fpe", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "integer division by zero"},
    [ILL] = {"ill", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "trap instruction"},
    [ABRT] = {"abrt", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL, "abort()"},
    /* the descriptor needs a variant that reproduces: every trial is forbidden */
    [SURVIVES] = {"survives", RL_REPRODUCES, RL_CAUGHT_BY_ANY, NULL, "no signal"},
};
static const rl_point points[] = {[AT_NONE] = {"deadly_signal/none", RL_DELAY_POINT, "unused"}};

static const rl_scenario deadly_signal = {
    .name = "deadly_signal",
    .reference = "tests/programs",
    .summary = "an actor dies by a deadly signal",
    .actors = 1,
    .state_size = sizeof(crash_state),
    .actor = {die},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
};

RL_SCENARIO(deadly_signal)
