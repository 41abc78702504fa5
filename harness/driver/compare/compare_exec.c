/* compare_exec.c — one scenario program as a child in its own process
 * group: stdout (its one JSON record) and stderr into temporary files, a
 * deadline, SIGTERM on the driver's interrupt. Also the folder's log. */
#include "compare/compare.h"
#include "core/interrupt.h"
#include "core/json_io.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *slurp(FILE *f, size_t *len)
{
    buffer b = {0};
    char chunk[8192];
    size_t n;
    rewind(f);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n, 16u << 20);
    buf_append(&b, "", 1, 16u << 20);
    *len = b.len - 1;
    return b.data;
}

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

static int wait_child(pid_t pid, double limit, int *status, int *timed_out)
{
    double deadline = now_seconds() + limit, kill_at = 0;
    *timed_out = 0;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        double t = now_seconds();
        if (interrupt_count() > 0 && kill_at == 0) {
            kill(-pid, SIGTERM); /* the program prints what it ran */
            kill_at = t + 2;
        }
        if (t > deadline && kill_at == 0) {
            *timed_out = 1;
            kill_at = t;
        }
        if (kill_at > 0 && t >= kill_at)
            kill(-pid, SIGKILL);
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
}

int compare_exec(char *const argv[], double limit, json_object **rec, char **why)
{
    *rec = NULL;
    *why = NULL;
    FILE *out = tmpfile(), *err = tmpfile();
    if (out == NULL || err == NULL) {
        *why = xasprintf("cannot make a temporary file: %s", strerror(errno));
        if (out)
            fclose(out);
        if (err)
            fclose(err);
        return RL_EXIT_HARNESS;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        interrupt_restore_in_child();
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0, timed_out = 0, rc = 0;
    if (pid < 0 || (setpgid(pid, pid), wait_child(pid, limit, &status, &timed_out)) != 0) {
        *why = xasprintf("cannot run %s: %s", argv[0], strerror(errno));
        rc = RL_EXIT_HARNESS;
    }
    if (pid > 0)
        kill(-pid, SIGKILL); /* anything it left behind */
    size_t n;
    char *text = slurp(out, &n), *etext = slurp(err, &n);
    fclose(out);
    fclose(err);
    if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == RL_EXIT_USAGE) {
        *why = last_line(etext);
        rc = RL_EXIT_USAGE;
    } else if (rc == 0) {
        *rec = last_record_line(text);
        if (*rec == NULL) {
            *why = timed_out ? xasprintf("past the deadline of %.0f s", limit)
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
    return rc;
}

void compare_log(int fd, json_object *rec, const char *part, const char *role, int round)
{
    if (fd < 0 || rec == NULL)
        return;
    json_object *c = json_object_new_object();
    json_object_object_add(c, "part", jtext(part));
    json_object_object_add(c, "role", jtext(role));
    json_object_object_add(c, "round", round >= 0 ? json_object_new_int(round) : NULL);
    json_object_object_add(rec, "compare", c);
    char *line = jline(rec);
    size_t len = strlen(line);
    line[len] = '\n';
    (void)write_all(fd, line, len + 1);
    line[len] = '\0';
    free(line);
}

double rec_num(const json_object *rec, const char *key, const char *sub)
{
    const json_object *v = jget(rec, key);
    if (sub != NULL)
        v = jget(v, sub);
    double x = 0;
    return jnumber(v, &x) == 0 ? x : 0;
}
