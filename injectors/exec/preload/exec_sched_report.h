/* exec_sched_report.h — what a run under `racelab exec --mode sched` tells
 * the driver about its schedule: one file, PREFIX.<pid>.sched (the prefix of
 * RACELAB_EXEC_REPORT), that the library maps shared and fills as the run
 * goes, so it holds the schedule up to the last step even when the program
 * dies by a signal. Shared by the library (injectors/exec/preload/sched.c)
 * and the driver (harness/driver/exec_sched.c): one layout.
 *
 * Addresses ("[pc 0x…]" in `waits` and `trace`, "mutex@0x…") are the
 * process's own; the driver names them with addr2line and nm on the
 * program, by `exe_base`, the executable's load address. */
#ifndef RACELAB_EXEC_SCHED_REPORT_H
#define RACELAB_EXEC_SCHED_REPORT_H

#include "../../sched/thread_set.h"

#include <stdint.h>

#define RL_EXEC_SCHED_MAGIC 0x52534333u /* "RSC3" */
#define RL_EXEC_SCHED_SUFFIX ".sched"
/* The status a run ends with when the scheduler aborts it (a deadlock, a
 * divergence, a livelock): the report says which. */
#define RL_EXEC_SCHED_ABORT_STATUS 86

enum {
    RL_EXEC_SCHED_RUNNING, /* still going, or died by a signal */
    RL_EXEC_SCHED_EXITED,  /* the process exited */
    RL_EXEC_SCHED_DEADLOCK,
    RL_EXEC_SCHED_DIVERGED, /* the schedule named a thread that could not run */
    RL_EXEC_SCHED_LIVELOCK  /* threads gave way to each other for long (`waits` says who);
                               a run past RL_SCHED_MAX_STEPS goes on, unrecorded */
};

typedef struct {
    uint32_t magic;
    int32_t status;
    int32_t steps; /* choices made: chosen[0..steps) */
    int32_t preemptions;
    int32_t threads;      /* under the scheduler, the main thread included */
    int32_t left_control; /* times a thread blocked outside the model and left control */
    int32_t unscheduled;  /* threads started beyond RL_SCHED_MAX_THREADS: not scheduled */
    int32_t diverged_to;  /* RL_EXEC_SCHED_DIVERGED: the thread the schedule named */
    int32_t unrecorded;   /* steps past RL_SCHED_MAX_STEPS: taken, not recorded (no replay) */
    int32_t spins;        /* times a thread spun outside any call and left control */
    int32_t spin_thread;  /* the first one */
    uint64_t spin_site;   /* its last call's return address (0: none) */
    uint64_t exe_base;
    int32_t n_pairs; /* reads-from pairs observed (the fuzz feedback): pairs[0..n_pairs) */
    int32_t unused;
    uint64_t pairs[RL_SCHED_MAX_PAIRS][2]; /* write site, read site (strategy.h) */
    char waits[1024]; /* deadlock: "T1 waits for mutex@0x… [pc 0x…] held by T2 (taken [pc 0x…])" */
    uint16_t chosen[RL_SCHED_MAX_STEPS];
    int16_t current[RL_SCHED_MAX_STEPS];        /* the thread that reached the point, -1 none */
    uint8_t yielding[RL_SCHED_MAX_STEPS];       /* 1: it gave way there (strategy.h) */
    rl_thread_set runnable[RL_SCHED_MAX_STEPS]; /* 12.8 MB: the file is sparse, read to `steps` */
    char trace[1 << 18];                        /* RACELAB_EXEC_TRACE=1: one line a step */
} rl_exec_sched_report;

#endif
