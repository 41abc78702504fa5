/* exit.c — exit, _exit, _Exit and quick_exit. In sched mode the end of the
 * process is a scheduling point (sched.c: rl_exec_sched_process_exit): on a
 * real machine the other threads may run between a thread's last call and
 * the process's end, and a program whose main returns without joining
 * fails only then. A return from main reaches the same point through an
 * atexit handler (libc's own call to exit is not interposed). */
#include "preload.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef void (*exit_fn)(int);

/* "exit(3)" into buf. */
static const char *named(char *buf, size_t len, const char *fn, int status)
{
    snprintf(buf, len, "%s(%d)", fn, status);
    return buf;
}

#define RL_EXEC_EXIT_CALL(fn, status)                                                              \
    do {                                                                                           \
        char what[48];                                                                             \
        rl_exec_event(RL_EXEC_PROCESS_EXIT, RL_EXEC_BEFORE, 0, RL_EXEC_CALLER, status);            \
        rl_exec_sched_process_exit(named(what, sizeof what, #fn, status), RL_EXEC_CALLER);         \
        if (__builtin_strcmp(#fn, "exit") != 0) /* no destructors to come: report now */           \
            rl_exec_report_at_exit_call();                                                         \
        exit_fn real = (exit_fn)dlsym(RTLD_NEXT, #fn);                                             \
        if (real != NULL)                                                                          \
            real(status);                                                                          \
        syscall(SYS_exit_group, status); /* not resolved: the raw call */                          \
        __builtin_unreachable();                                                                   \
    } while (0)

RL_EXEC_EXPORT void exit(int status) { RL_EXEC_EXIT_CALL(exit, status); }

RL_EXEC_EXPORT void quick_exit(int status) { RL_EXEC_EXIT_CALL(quick_exit, status); }

RL_EXEC_EXPORT void _exit(int status) { RL_EXEC_EXIT_CALL(_exit, status); }

RL_EXEC_EXPORT void _Exit(int status) { RL_EXEC_EXIT_CALL(_Exit, status); }
