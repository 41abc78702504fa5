/* fifos.h — libfiu control FIFOs left in /tmp by crashed runs. */
#ifndef RL_DRIVER_CORE_FIFOS_H
#define RL_DRIVER_CORE_FIFOS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* fiu-run's control FIFOs (/tmp/fiu-ctrl-PID.in and .out; $TMPDIR too)
 * outlive a program that dies. Removes those of PID. */
void fifo_cleanup_pid(pid_t pid);
/* Removes those of every PID that no longer exists. */
void fifo_cleanup_stale(void);

#endif
