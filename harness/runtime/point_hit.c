/* point_hit.c — RL_POINT and RL_FAULT when points are live (fuzz and sched
 * modes). The point is checked against the descriptor's table, then in
 * sched mode it is a scheduling decision and in fuzz mode it goes to the
 * injectors (libfiu delays and faults). */
#include "internal.h"

#include "../../injectors/sched/sched.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

int rl_points_live;
static const rl_scenario *armed;

void rl_points_arm(const rl_scenario *sc)
{
    armed = sc;
    rl_points_live = 1;
}

/* A scenario defect, found the first time the point is reached: one line,
 * exit status 3 (other actors may still be running: no atexit handlers). */
static _Noreturn void bad_point(const char *what)
{
    /* Several actors can reach the point at once: the first says it and
     * ends the process, the others wait for that end (one line, not two). */
    static atomic_flag said = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&said))
        for (;;)
            pause();
    fprintf(stderr, "%s: error: %s\n", armed->name, what);
    fflush(stderr);
    rl_scratch_cleanup();
    _exit(3);
}

/* The declared name of `point`, reached as `macro`(as_written). */
static const char *checked(int point, rl_point_kind kind, const char *macro, const char *as_written)
{
    char why[512];
    if (point < 0 || point >= armed->n_points) {
        snprintf(why, sizeof why,
                 "%s(%s) is not a point of scenario %s: its point table has %d row%s "
                 "(see --describe)",
                 macro, as_written, armed->name, armed->n_points, armed->n_points == 1 ? "" : "s");
        bad_point(why);
    }
    const rl_point *p = &armed->points[point];
    if (p->kind != kind) {
        snprintf(why, sizeof why, "%s(%s) reaches %s, a %s point of scenario %s: use %s", macro,
                 as_written, p->name, p->kind == RL_FAULT_POINT ? "fault" : "delay", armed->name,
                 p->kind == RL_FAULT_POINT ? "RL_FAULT" : "RL_POINT");
        bad_point(why);
    }
    return p->name;
}

void rl_point_hit(int point, const char *as_written)
{
    const char *name = checked(point, RL_DELAY_POINT, "RL_POINT", as_written);
    if (rl_sched_here()) {
        rl_points_count_hit(point, rl_self());
        rl_sched_point(name); /* in sched mode a point is a scheduling decision */
        return;
    }
    (void)rl_points_reach(point, rl_self());
}

int rl_fault_hit(int point, const char *as_written)
{
    const char *name = checked(point, RL_FAULT_POINT, "RL_FAULT", as_written);
    if (rl_sched_here())
        rl_sched_point(name); /* a scheduling decision, then maybe the fault */
    return rl_points_reach(point, rl_self());
}
