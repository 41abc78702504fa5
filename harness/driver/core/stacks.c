/* stacks.c — the thread stacks of a hung child, by gdb in batch mode, and
 * the watchdog that takes them before the child is killed:
 *   gdb -batch -nx -p PID -ex 'thread apply all bt'
 * (about half a second). Where gdb is missing the record says so. */
#include "core/stacks.h"
#include "core/child.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GDB_LIMIT_S 30.0

static char *find_in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/bin:/bin";
    char *copy = xstrdup(path);
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
        char *full = xasprintf("%s/%s", *dir ? dir : ".", name);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
            free(copy);
            return full;
        }
        free(full);
    }
    free(copy);
    return NULL;
}

int run_captured(char *const argv[], const char *out_path, double limit)
{
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        return -1;
    child c;
    memset(&c, 0, sizeof c);
    child_spec spec = {
        .argv = argv, .out = CHILD_IO_FD, .out_fd = out, .err = CHILD_IO_AS_OUT, .limit = limit};
    int rc = child_run_to_end(&c, &spec);
    int e = c.spawn_errno;
    close(out);
    int status = rc == 0 ? c.status : -1;
    child_free(&c);
    if (rc != 0)
        errno = e;
    return status;
}

static int file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, f) >= 0)
        found = strstr(line, needle) != NULL;
    free(line);
    fclose(f);
    return found;
}

int take_stacks(pid_t pid, const char *path, char **why)
{
    *why = NULL;
    char *gdb = find_in_path("gdb");
    if (gdb == NULL) {
        *why = xstrdup("gdb not available: no thread stacks");
        return -1;
    }
    char pidtext[32];
    snprintf(pidtext, sizeof pidtext, "%d", (int)pid);
    char *argv[] = {gdb,
                    "-batch",
                    "-nx",
                    "-iex",
                    "set debuginfod enabled off",
                    "-p",
                    pidtext,
                    "-ex",
                    "thread apply all bt",
                    NULL};
    int status = run_captured(argv, path, GDB_LIMIT_S);
    free(gdb);
    if (status == -1) {
        *why = xasprintf("could not run gdb: %s", strerror(errno));
        unlink(path);
        return -1;
    }
    if (!file_has(path, "#0 ")) {
        *why = xstrdup("gdb printed no stacks (could not attach?); see its output");
        return 1; /* the file still says why */
    }
    return 0;
}

void child_watchdog(child *c, const char *stacks_path)
{
    if (stacks_path != NULL) {
        char *why = NULL;
        if (take_stacks(c->pid, stacks_path, &why) >= 0)
            c->stacks_file = xstrdup(stacks_path);
        c->stacks_note = why;
    }
    child_time_out(c);
}
