/* config.c — the library's configuration, read once from the environment
 * the driver sets (exec_points.h lists the variables). The specs are parsed
 * by the same parser as scenario points (rl_parse_inject) and matched with
 * fnmatch against the point names; a later spec for a point wins, as it does
 * for scenarios. */
#include "preload.h"

#include "../../../harness/common/parse_number.h"
#include "../../points/points.h"
#include "../../sched/sched_limits.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#define MAX_SPECS RL_MAX_SPECS

rl_exec_mode rl_exec_mode_now = RL_EXEC_IDLE;
uint64_t rl_exec_seed;
const rl_exec_action *rl_exec_point_action[RL_EXEC_N_POINTS];

static rl_exec_action actions[MAX_SPECS];

static void say(const char *s) { syscall(SYS_write, 2, s, strlen(s)); }

_Noreturn static void refuse(const char *what, const char *detail)
{
    say("racelab-exec: ");
    say(what);
    if (detail != NULL) {
        say(": ");
        say(detail);
    }
    say("\n");
    syscall(SYS_exit_group, 125);
    __builtin_unreachable();
}

static void take_spec(const char *text, int n)
{
    if (n >= MAX_SPECS)
        refuse("too many specs in " RL_EXEC_ENV_INJECT, NULL);
    rl_inject_spec spec;
    char err[512];
    if (rl_parse_inject(text, &spec, err, sizeof err) != 0)
        refuse(err, NULL);
    if (spec.action == RL_ACT_FAIL)
        refuse("exec points are not fault points (fail)", text);
    int action = spec.action == RL_ACT_YIELD  ? RL_EXEC_ACT_YIELD
                 : spec.action == RL_ACT_SPIN ? RL_EXEC_ACT_SPIN
                                              : RL_EXEC_ACT_DELAY;
    actions[n] = (rl_exec_action){action, spec.amount, spec.probability};
    int matched = 0;
    for (int p = 0; p < RL_EXEC_N_POINTS; p++) {
        if (fnmatch(spec.pattern, rl_exec_point_name(p), 0) == 0) {
            rl_exec_point_action[p] = &actions[n];
            matched = 1;
        }
    }
    if (!matched)
        refuse("a spec matches no exec point", text);
}

static void read_specs(const char *list)
{
    char line[512];
    int n = 0;
    while (*list != '\0') {
        const char *end = strchr(list, '\n');
        size_t len = end != NULL ? (size_t)(end - list) : strlen(list);
        if (len >= sizeof line)
            refuse("a spec longer than 511 characters", NULL);
        snprintf(line, sizeof line, "%.*s", (int)len, list);
        if (len > 0)
            take_spec(line, n++);
        list += len + (end != NULL);
    }
}

void rl_exec_configure(void)
{
    const char *mode = getenv(RL_EXEC_ENV_MODE);
    if (mode == NULL || *mode == '\0')
        return;
    int sched = strcmp(mode, "sched") == 0;
    if (!sched && strcmp(mode, "noise") != 0)
        refuse("unknown " RL_EXEC_ENV_MODE " (noise, sched)", mode);
    unsigned long long seed = 0;
    const char *seed_text = getenv(RL_EXEC_ENV_SEED);
    if (seed_text != NULL && rl_parse_u64(seed_text, &seed) != 0)
        refuse("bad " RL_EXEC_ENV_SEED, seed_text);
    rl_exec_seed = seed;
    const char *specs = getenv(RL_EXEC_ENV_INJECT);
    if (specs != NULL)
        read_specs(specs);
    rl_exec_mode_now = sched ? RL_EXEC_SCHED : RL_EXEC_NOISE;
}

void rl_exec_configure_sched(void)
{
    if (rl_exec_mode_now != RL_EXEC_SCHED)
        return;
    const char *trace = getenv(RL_EXEC_ENV_TRACE);
    const char *steps_text = getenv(RL_EXEC_ENV_STEPS);
    unsigned long long steps = 0;
    if (steps_text != NULL && rl_parse_u64(steps_text, &steps) != 0)
        refuse("bad " RL_EXEC_ENV_STEPS, steps_text);
    rl_exec_sched_start(getenv(RL_EXEC_ENV_STRATEGY), getenv(RL_EXEC_ENV_SCHEDULE),
                        steps > RL_SCHED_MAX_STEPS ? RL_SCHED_MAX_STEPS : (int)steps,
                        trace != NULL && strcmp(trace, "1") == 0);
}
