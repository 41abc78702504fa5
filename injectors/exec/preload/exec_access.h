/* exec_access.h — the one call from racelab cc's runtime (injectors/cc) into
 * exec mode's preloaded library. A program built by `racelab cc` calls it at
 * every instrumented access that may be shared (its own stack is skipped
 * before the call); run under `racelab exec`, the preloaded library defines
 * it, and each access is a point: "mem/read", "mem/write" or "mem/atomic"
 * (exec_points.h), a noise point in noise mode and a scheduling point in
 * sched mode. Run without the library, the runtime's weak reference is NULL
 * and nothing is called.
 *
 * `caller` is the instrumented instruction's return address (the source line
 * of the access, symbolised in traces); `size` is in bytes. */
#ifndef RACELAB_EXEC_ACCESS_H
#define RACELAB_EXEC_ACCESS_H

typedef enum {
    RL_EXEC_ACCESS_READ,
    RL_EXEC_ACCESS_WRITE,
    RL_EXEC_ACCESS_ATOMIC /* an atomic load, store, exchange or read-modify-write */
} rl_exec_access_kind;

void rl_exec_access(rl_exec_access_kind kind, const void *addr, unsigned size, const void *caller);

#endif
