/* child_sweep.h — the runner's registry of live children and the sweep of
 * what they leave behind (child_sweep.c); used by child.c only. */
#ifndef RL_DRIVER_CORE_CHILD_SWEEP_H
#define RL_DRIVER_CORE_CHILD_SWEEP_H

#include <sys/types.h>

/* Once: the driver a subreaper, the children it had before noted. */
void child_registry_init(void);
void child_registry_add(pid_t pid, unsigned long serial);
void child_registry_remove(pid_t pid);
/* "RACELAB_RUN_MARK=<driver pid>.<serial>", malloc'd. */
char *child_mark(unsigned long serial);
/* A new serial for a mark (a child's, or a fork server's). */
unsigned long child_next_serial(void);
/* After LEADER ended: kills and reaps what it left (marked SERIAL or ALSO, or
 * unmarked); how many were outside its group. */
int child_sweep(pid_t leader, int own_group, unsigned long serial, unsigned long also, int all);

#endif
