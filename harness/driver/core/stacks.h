/* stacks.h — gdb thread stacks of a hung child; a captured child run. */
#ifndef RL_DRIVER_CORE_STACKS_H
#define RL_DRIVER_CORE_STACKS_H

#include "core/child.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Thread stacks of PID into PATH with gdb. Returns 0 when written; else
 * *why says what happened (gdb missing, attach failed...). */
int take_stacks(pid_t pid, const char *path, char **why);
/* Runs argv with stdout+stderr to out_path, in its own process group, for at
 * most `limit` seconds (less after a second SIGINT/SIGTERM to the driver).
 * Returns the wait status, or -1. */
int run_captured(char *const argv[], const char *out_path, double limit);

/* The driver's watchdog fired: the hung child's thread stacks into
 * STACKS_PATH (NULL: none; the record says why when gdb could not), then its
 * whole group killed (child_time_out). */
void child_watchdog(child *c, const char *stacks_path);

#endif
