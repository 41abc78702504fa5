/* interrupt.h — SIGINT/SIGTERM through a self-pipe. */
#ifndef RL_DRIVER_CORE_INTERRUPT_H
#define RL_DRIVER_CORE_INTERRUPT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* SIGS[0..n-1] handled by HANDLER (SIG_DFL too), with an empty mask. */
void signals_handled_by(void (*handler)(int), const int *sigs, size_t n);
void interrupt_install(void);
int interrupt_fd(void);    /* readable after SIGINT/SIGTERM */
int interrupt_count(void); /* signals seen so far */
void interrupt_drain(void);
void interrupt_restore_in_child(void);

#endif
