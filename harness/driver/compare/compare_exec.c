/* compare_exec.c — one scenario program as a child in its own process
 * group (core/child.c): stdout (its one JSON record) and stderr through pipes, a
 * deadline, SIGTERM on the driver's interrupt. Also the folder's log. */
#include "compare/compare.h"
#include "core/child.h"
#include "core/interrupt.h"
#include "core/json_io.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The last line that parses as a JSON object with a "scenario". */
static json_object *last_record_line(char *text)
{
    json_object *found = NULL;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_object *v = NULL;
        const char *err;
        if (line[0] == '{' && jparse(line, strlen(line), &v, &err) == 0 &&
            jget(v, "scenario") != NULL) {
            json_object_put(found);
            found = v;
        } else {
            json_object_put(v);
        }
    }
    return found;
}

static char *last_line(char *text)
{
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    char *nl = strrchr(text, '\n');
    return xstrdup(nl ? nl + 1 : text);
}

#define OUTPUT_CAP (16u << 20)

int compare_exec(char *const argv[], double limit, json_object **rec, char **why)
{
    *rec = NULL;
    *why = NULL;
    child_spec spec = {.argv = argv,
                       .out = CHILD_IO_PIPE,
                       .out_cap = OUTPUT_CAP,
                       .err = CHILD_IO_PIPE,
                       .err_cap = OUTPUT_CAP,
                       .limit = limit,
                       .term_on_interrupt = 1};
    child c;
    memset(&c, 0, sizeof c);
    int rc = 0;
    if (child_run_to_end(&c, &spec) != 0) {
        *why = xasprintf("cannot run %s: %s", argv[0], strerror(c.spawn_errno));
        child_free(&c);
        return RL_EXIT_HARNESS;
    }
    int status = c.status;
    char *text = buf_take(&c.out), *etext = buf_take(&c.err);
    if (WIFEXITED(status) && WEXITSTATUS(status) == RL_EXIT_USAGE) {
        *why = last_line(etext);
        rc = RL_EXIT_USAGE;
    } else {
        *rec = last_record_line(text);
        if (*rec == NULL) {
            *why = c.timed_out ? xasprintf("past the deadline of %.0f s", limit)
                   : WIFSIGNALED(status)
                       ? xasprintf("killed by %s", signal_name(WTERMSIG(status)))
                       : xasprintf("no record (exit status %d)", WEXITSTATUS(status));
            rc = interrupt_count() > 0 ? RL_EXIT_INTERRUPTED : RL_EXIT_HARNESS;
        } else if (interrupt_count() > 0) {
            rc = RL_EXIT_INTERRUPTED;
        }
    }
    free(text);
    free(etext);
    child_free(&c);
    return rc;
}

void compare_log(record_sink *log, json_object *rec, const char *part, const char *role, int round)
{
    if (log == NULL || rec == NULL)
        return;
    json_object *c = json_object_new_object();
    json_object_object_add(c, "part", jtext(part));
    json_object_object_add(c, "role", jtext(role));
    json_object_object_add(c, "round", round >= 0 ? json_object_new_int(round) : NULL);
    json_object_object_add(rec, "compare", c);
    (void)record_sink_write(log, jstring(jget(rec, "scenario")), rec); /* whole or not at all */
}

double rec_num(const json_object *rec, const char *key, const char *sub)
{
    const json_object *v = jget(rec, key);
    if (sub != NULL)
        v = jget(v, sub);
    double x = 0;
    return jnumber(v, &x) == 0 ? x : 0;
}
