/* exec_points.c — `racelab exec --list-points`: the points of the preloaded
 * library (exec_points.h), one a line — name and the calls that reach it —
 * or with --json a list of {name, kind, meaning} (kind: delay, as a
 * scenario's delay points; none of them is a fault point). */
#include "core/json_io.h"
#include "exec/exec.h"

#include <stdlib.h>

int exec_list_points(int json)
{
    if (json) {
        json_object *all = json_object_new_array();
        for (int p = 0; p < RL_EXEC_N_POINTS; p++) {
            json_object *point = json_object_new_object();
            json_object_object_add(point, "name", jtext(rl_exec_point_name(p)));
            json_object_object_add(point, "kind", jtext("delay"));
            json_object_object_add(point, "meaning", jtext(rl_exec_point_meaning(p)));
            json_object_array_add(all, point);
        }
        char *line = jline(all);
        puts(line);
        free(line);
        json_object_put(all);
    } else {
        for (int p = 0; p < RL_EXEC_N_POINTS; p++)
            printf("%-28s %s\n", rl_exec_point_name(p), rl_exec_point_meaning(p));
    }
    return fflush(stdout) == 0 ? 0 : RL_EXIT_HARNESS;
}
