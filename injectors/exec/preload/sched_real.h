/* sched_real.h — included first (-include) in every file of the scheduler's
 * mechanism (injectors/sched) as compiled into libracelab-exec.so: the
 * mechanism's own pthread_join must reach the real one, never the
 * library's interposer (preload.h: nothing here calls an interposed
 * function by name). Its other calls (pthread_atfork, pthread_equal, the
 * futex by syscall) are not interposed. */
#ifndef RACELAB_EXEC_SCHED_REAL_H
#define RACELAB_EXEC_SCHED_REAL_H

#include "preload.h"

#define pthread_join(thread, ret) RL_REAL(pthread_join)(thread, ret)

#endif
