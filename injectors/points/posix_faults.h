/* posix_faults.h — libfiu's POSIX points (posix/io/rw/write, …) failed for
 * real: the program runs itself again under `fiu-run -x` with one
 * remote-control command per fault. */
#ifndef RACELAB_POSIX_FAULTS_H
#define RACELAB_POSIX_FAULTS_H

#include <stddef.h>

#define RL_POSIX_COMMAND_MAX 256 /* bytes of one fiu-run -c command */

/* Parses NAME[:p=P][,errno=E] into fiu-run's command (`enable_random …`).
 * tsan: the program is a TSan build, whose own allocator makes libc/mm
 * faults do nothing, so they are refused. 0, or -1 with a one-line message. */
int rl_posix_fault_parse(const char *text, int tsan, char *command, size_t command_len, char *err,
                         size_t errlen);

/* NAME is one of libfiu's POSIX preload points (posix_points.c), or a prefix
 * of some ending in libfiu's one wildcard, a
 * trailing '*' ("posix/io/rw/" then '*': every read and write point). */
int rl_posix_point_known(const char *name);

/* Runs the program again under fiu-run -x with the commands; returns 0 at
 * once when there are none or this is already the run under fiu-run, and
 * -1 when fiu-run cannot be started (on success it does not return). */
int rl_posix_reexec(const char *const *commands, int n, char **argv);

#endif
