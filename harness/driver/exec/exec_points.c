/* exec_points.c — `racelab exec --list-points`: the points of the preloaded
 * library (exec_points.h), one a line — name and the calls that reach it —
 * or with --json a list of {name, kind, meaning} (kind: delay, as a
 * scenario's delay points; none of them is a fault point). */
#include "exec/exec.h"

#include "../../common/json_write.h"

int exec_list_points(int json)
{
    if (json) {
        fputc('[', stdout);
        for (int p = 0; p < RL_EXEC_N_POINTS; p++) {
            fputs(p ? ", {\"name\": " : "{\"name\": ", stdout);
            rl_json_string(stdout, rl_exec_point_name(p));
            fputs(", \"kind\": \"delay\", \"meaning\": ", stdout);
            rl_json_string(stdout, rl_exec_point_meaning(p));
            fputc('}', stdout);
        }
        fputs("]\n", stdout);
    } else {
        for (int p = 0; p < RL_EXEC_N_POINTS; p++)
            printf("%-28s %s\n", rl_exec_point_name(p), rl_exec_point_meaning(p));
    }
    return fflush(stdout) == 0 ? 0 : RL_EXIT_HARNESS;
}
