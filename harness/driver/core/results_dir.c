/* results_dir.c — the results folder: made whole (mkdir -p, undone on a
 * failure), named results/<UTC>-<host> by default, and the paths inside it. */
#include "core/options.h"
#include "core/results.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_BYTES 2000

/* ---- the folder --------------------------------------------------------- */

typedef struct {
    char **paths;
    int n;
} made_dirs;

/* mkdir -p, remembering what it made so a failure can undo it. */
static int make_dirs(const char *path, made_dirs *made)
{
    char *p = xstrdup(path);
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';
    for (char *q = p + 1;; q++) {
        int last = *q == '\0';
        if (*q == '/' || last) {
            char saved = *q;
            *q = '\0';
            if (mkdir(p, 0755) == 0) {
                made->paths = xrealloc(made->paths, (size_t)(made->n + 1) * sizeof *made->paths);
                made->paths[made->n++] = xstrdup(p);
            } else if (errno != EEXIST) {
                free(p);
                return -1;
            } else {
                struct stat st;
                if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                    errno = ENOTDIR;
                    free(p);
                    return -1;
                }
            }
            *q = saved;
            if (last)
                break;
        }
    }
    free(p);
    return 0;
}

static void undo_dirs(made_dirs *made)
{
    for (int i = made->n - 1; i >= 0; i--) {
        rmdir(made->paths[i]);
        free(made->paths[i]);
    }
    free(made->paths);
    made->paths = NULL;
    made->n = 0;
}

static char *default_dir(const char *root)
{
    char host[256] = "host";
    if (gethostname(host, sizeof host) != 0)
        strcpy(host, "host");
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++)
        if (*p == '/' || *p == ' ')
            *p = '_';
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    char *dir = xasprintf("%s/%s-%s", root, stamp, host);
    for (int k = 2; access(dir, F_OK) == 0 && k < 1000; k++) {
        free(dir);
        dir = xasprintf("%s/%s-%s-%d", root, stamp, host, k);
    }
    return dir;
}

int results_open(session *s, const run_options *o, const char *default_root)
{
    char *dir = o->out_dir ? xstrdup(o->out_dir) : default_dir(default_root);
    made_dirs made = {0};
    if (make_dirs(dir, &made) != 0) {
        error_msg("cannot create the results folder %s: %s", dir, strerror(errno));
        undo_dirs(&made);
        free(dir);
        return RL_EXIT_HARNESS;
    }
    char *jsonl = xasprintf("%s/runs.jsonl", dir);
    int fd = open(jsonl, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        if (e == EEXIST)
            error_msg("%s already holds results; give another --out", dir);
        else
            error_msg("cannot write to the results folder %s: %s", dir, strerror(e));
        undo_dirs(&made);
        free(jsonl);
        free(dir);
        return e == EEXIST ? RL_EXIT_USAGE : RL_EXIT_HARNESS;
    }
    free(jsonl);
    for (int i = 0; i < made.n; i++)
        free(made.paths[i]);
    free(made.paths);
    char real[PATH_MAX];
    if (realpath(dir, real) != NULL) {
        free(dir);
        dir = xstrdup(real);
    }
    s->dir = dir;
    s->jsonl_fd = fd;
    s->opts = o;
    return 0;
}

char *results_path(const session *s, const char *sub, const char *name)
{
    char *d = xasprintf("%s/%s", s->dir, sub);
    if (mkdir(d, 0755) != 0 && errno != EEXIST)
        warn_msg("cannot create %s: %s", d, strerror(errno));
    char *p = xasprintf("%s/%s", d, name);
    free(d);
    return p;
}
