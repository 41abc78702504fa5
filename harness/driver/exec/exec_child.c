/* exec_child.c — one run of PROGRAM: a child in its own process group,
 * stdin from /dev/null, stdout and stderr through pipes (kept up to 1 MB
 * each), and the environment the preloaded library reads (exec_points.h),
 * libfiu's (--posix-faults) and TSan's (log_path per run, atexit_sleep_ms=0,
 * after the user's own TSAN_OPTIONS). The core's runner (core/child.c)
 * starts it — posix_spawn by default, or the context's launcher (a fork
 * server) — and the library makes it die with the driver
 * (RACELAB_EXEC_PARENT). --fail-on is matched on the whole of its output as
 * it is drained, not only on the part kept. Past its deadline gdb takes the
 * threads' stacks and the group is killed: a hang. */
#include "core/child.h"
#include "core/stacks.h"
#include "core/tsanlog.h"
#include "exec/exec.h"

#include "../../../injectors/sched/schedule_text.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_CAP (1u << 20)

/* handle_*=0: a deadly signal kills the program by that signal, as in the
 * scenarios' own defaults. TSan's handler would report it instead, and it
 * can deadlock doing so: a SEGV in one thread while another is inside
 * ReportRace leaves both waiting for the report lock (a gdb stack of
 * init_order_bug under load), and the run is taken for a hang. */
#define EXEC_TSAN_SIGNALS                                                                          \
    ":handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0"

static char *tsan_options(const exec_context *x, const exec_child *c)
{
    char *extra = x->s->tsan_suppressions != NULL
                      ? xasprintf(EXEC_TSAN_SIGNALS ":suppressions=%s", x->s->tsan_suppressions)
                      : xstrdup(EXEC_TSAN_SIGNALS);
    char *env = tsan_run_options(c->tsan_base, extra);
    free(extra);
    return env;
}

/* The run's environment: the driver's, with the variables below set. */
typedef struct {
    char **items;
    int n;
} env_list;

static void env_set(env_list *e, const char *name, const char *value)
{
    size_t len = strlen(name);
    char *item = xasprintf("%s=%s", name, value);
    for (int i = 0; i < e->n; i++)
        if (strncmp(e->items[i], name, len) == 0 && e->items[i][len] == '=') {
            free(e->items[i]);
            e->items[i] = item;
            return;
        }
    e->items = xrealloc(e->items, (size_t)(e->n + 2) * sizeof *e->items);
    e->items[e->n++] = item;
    e->items[e->n] = NULL;
}

static char **run_environment(const exec_context *x, const exec_child *c)
{
    char *tsan_env = x->p->tsan ? tsan_options(x, c) : NULL;
    extern char **environ;
    env_list e = {xcalloc(1, sizeof(char *)), 0};
    for (char **v = environ; *v != NULL; v++) {
        e.items = xrealloc(e.items, (size_t)(e.n + 2) * sizeof *e.items);
        e.items[e.n++] = xstrdup(*v);
        e.items[e.n] = NULL;
    }
    char seed[32], parent[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    snprintf(parent, sizeof parent, "%ld", (long)getpid());
    char *report = xasprintf("%s/%s", x->reports_dir, c->label);
    env_set(&e, "LD_PRELOAD", x->s->preload);
    env_set(&e, RL_EXEC_ENV_MODE, x->o->mode);
    env_set(&e, RL_EXEC_ENV_SEED, seed);
    env_set(&e, RL_EXEC_ENV_INJECT, x->s->inject_env);
    env_set(&e, RL_EXEC_ENV_REPORT, report);
    env_set(&e, RL_EXEC_ENV_PARENT, parent);
    free(report);
    if (x->o->sched) {
        char steps[32];
        snprintf(steps, sizeof steps, "%d", c->steps_hint);
        const char *schedule = c->schedule != NULL ? c->schedule : x->o->replay;
        /* dfs (any bound) makes the library follow the schedule and then keep
         * the running thread: a search's trial */
        char strategy[32]; /* re-rendered from the parsed value, as every child gets it */
        rl_format_strategy(&x->o->strategy_spec, strategy, sizeof strategy);
        env_set(&e, RL_EXEC_ENV_STRATEGY, c->follow ? "dfs:0" : strategy);
        env_set(&e, RL_EXEC_ENV_SCHEDULE, schedule != NULL ? schedule : "");
        env_set(&e, RL_EXEC_ENV_LENIENT, c->lenient ? "1" : "0");
        env_set(&e, RL_EXEC_ENV_MAY_PREEMPT, c->preempts != NULL ? c->preempts : "");
        env_set(&e, RL_EXEC_ENV_STEPS, steps);
        env_set(&e, RL_EXEC_ENV_TRACE, c->trace ? "1" : "0");
        if (x->o->pin) {
            char slot[32];
            snprintf(slot, sizeof slot, "%d", c->slot);
            env_set(&e, RL_EXEC_ENV_PIN, slot);
        }
        env_set(&e, RL_EXEC_ENV_FUZZ, c->fuzz != NULL ? c->fuzz : "");
    }
    if (x->s->fiu_enable != NULL) {
        /* what `fiu-run -x -f ''` sets, without its own LD_PRELOAD */
        env_set(&e, "FIU_ENABLE", x->s->fiu_enable);
        env_set(&e, "FIU_CTRL_FIFO", "");
    }
    if (tsan_env != NULL)
        env_set(&e, "TSAN_OPTIONS", tsan_env);
    if (c->san_base != NULL) {
        exec_env_item items[5];
        int n = exec_sanitizer_env(x, c->san_base, items);
        for (int i = 0; i < n; i++) {
            env_set(&e, items[i].name, items[i].value);
            free(items[i].value);
        }
    }
    free(tsan_env);
    return e.items;
}

static void free_environment(char **envp)
{
    for (char **v = envp; *v != NULL; v++)
        free(*v);
    free(envp);
}

int exec_child_start(const exec_context *x, exec_child *c)
{
    c->label = xasprintf("run-%06llu", c->index);
    if (x->p->tsan)
        c->tsan_base = xasprintf("%s/tsan/%s", x->dir, c->label);
    if (x->p->sanitizers || x->p->cc)
        c->san_base = xasprintf("%s/sanitizer/%s", x->dir, c->label);
    char **envp = run_environment(x, c);
    child_spec spec = {.argv = x->o->argv,
                       .path = x->p->path,
                       .envp = envp,
                       .out = CHILD_IO_PIPE,
                       .out_cap = OUT_CAP,
                       .err = CHILD_IO_PIPE,
                       .err_cap = OUT_CAP,
                       .limit = x->o->timeout,
                       .via = x->launcher};
    c->ch.scan = x->o->fail_on != NULL ? &c->scan : NULL;
    c->scan.re = &x->o->fail_re;
    int rc = child_start(&c->ch, &spec);
    free_environment(envp);
    return rc;
}

void exec_child_watchdog(const exec_context *x, exec_child *c)
{
    char *sub = xasprintf("%s/stacks", x->dir);
    mkdir(sub, 0755);
    char *path = xasprintf("%s/%s.txt", sub, c->label);
    free(sub);
    child_watchdog(&c->ch, path);
    free(path);
}

void exec_child_not_a_run(const exec_context *x, exec_child *c)
{
    exec_counts ignored;
    exec_read_reports(x->reports_dir, c->label, c->ch.pid, &ignored);
}

void exec_child_reset(exec_child *c)
{
    exec_child given = *c;
    exec_child_free(c);
    c->index = given.index;
    c->seed = given.seed;
    c->schedule = given.schedule;
    c->preempts = given.preempts;
    c->follow = given.follow;
    c->lenient = given.lenient;
    c->trace = given.trace;
    c->steps_hint = given.steps_hint;
    c->fuzz = given.fuzz;
    c->slot = given.slot;
    c->again = 1;
}

void exec_child_free(exec_child *c)
{
    free(c->label);
    free(c->tsan_base);
    free(c->san_base);
    child_scan_free(&c->scan);
    child_free(&c->ch);
    memset(c, 0, sizeof *c);
}
