/* record_sink.c — the results folder, made once for run, exec and compare
 * alike, and its runs.jsonl on a disk that may fill up: each record is one
 * whole line or nothing. The line goes to the end of the file in one write()
 * and is fsync'd; after a short write, a failed write or a failed fsync the
 * file is cut back to the end of its last whole line, so that no torn line
 * stays and no later record merges onto one. The records that could not be
 * written are counted: the summary says how many, and the exit status is 3. */
#include "core/record_sink.h"
#include "core/json_io.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The length of the first `end` bytes of the file up to its last newline. */
static off_t last_newline_end(int fd, off_t end)
{
    char chunk[4096];
    while (end > 0) {
        size_t n = end > (off_t)sizeof chunk ? sizeof chunk : (size_t)end;
        ssize_t got = pread(fd, chunk, n, end - (off_t)n);
        if (got != (ssize_t)n)
            return -1;
        for (size_t i = n; i > 0; i--)
            if (chunk[i - 1] == '\n')
                return end - (off_t)n + (off_t)i;
        end -= (off_t)n;
    }
    return 0;
}

/* Cuts runs.jsonl back to the end of its last whole line before `end` (read
 * through a descriptor of its own: the session's is write-only). */
static int cut_back(const record_sink *s, off_t end)
{
    char *path = xasprintf("%s/runs.jsonl", s->dir);
    int rfd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    off_t keep = rfd >= 0 ? last_newline_end(rfd, end) : -1;
    if (rfd >= 0)
        close(rfd);
    return keep >= 0 && ftruncate(s->fd, keep) == 0 ? 0 : -1;
}

int record_sink_append(record_sink *s, const char *run_id, const char *line, size_t len)
{
    struct stat st;
    off_t end = fstat(s->fd, &st) == 0 ? st.st_size : -1;
    ssize_t w;
    while ((w = write(s->fd, line, len)) < 0 && errno == EINTR)
        ;
    int e = w < 0 ? errno : (size_t)w < len ? ENOSPC : 0; /* a short write: the disk is full */
    if (e == 0 && fsync(s->fd) != 0 && errno != EINVAL)   /* EINVAL: a pipe, /dev/null */
        e = errno;
    if (e == 0)
        return 0;
    int cut = end >= 0 && cut_back(s, end) == 0;
    s->n_unwritten++;
    s->unwritten_errno = e;
    warn_msg("the record of %s could not be written to %s/runs.jsonl: %s (%s)", run_id, s->dir,
             strerror(e),
             cut ? "the file ends at its last whole record"
                 : "and it could not be cut back: its last line is torn");
    return -1;
}

int record_sink_write(record_sink *k, const char *run_id, json_object *rec)
{
    char *line = jline(rec);
    size_t len = strlen(line);
    line = xrealloc(line, len + 2);
    line[len] = '\n';
    line[len + 1] = '\0';
    int rc = record_sink_append(k, run_id != NULL ? run_id : "?", line, len + 1);
    free(line);
    return rc;
}

void record_sink_report(const record_sink *s, FILE *f)
{
    if (s->n_unwritten == 0)
        return;
    fprintf(f, "%d record%s could not be written to %s/runs.jsonl (%s): not counted as finished\n",
            s->n_unwritten, s->n_unwritten == 1 ? "" : "s", s->dir, strerror(s->unwritten_errno));
}

int record_sink_close(record_sink *k)
{
    int rc = k->fd >= 0 ? close(k->fd) : 0;
    k->fd = -1;
    return rc;
}

void record_sink_free(record_sink *k)
{
    record_sink_close(k);
    free(k->dir);
    k->dir = NULL;
}

json_object *record_json(const rl_record *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) {
        error_msg("out of memory");
        exit(RL_EXIT_HARNESS);
    }
    rl_record_write(f, r);
    fclose(f);
    json_object *v = NULL;
    const char *err;
    if (jparse(text, len, &v, &err) != 0 || !jis_object(v)) {
        json_object_put(v);
        v = json_object_new_object(); /* not reached: the writer writes JSON */
    }
    free(text);
    return v;
}

/* ---- the folder ------------------------------------------------------------ */

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
        if (*q != '/' && !last)
            continue;
        char saved = *q;
        *q = '\0';
        struct stat st;
        if (mkdir(p, 0755) == 0) {
            made->paths = xrealloc(made->paths, (size_t)(made->n + 1) * sizeof *made->paths);
            made->paths[made->n++] = xstrdup(p);
        } else if (errno != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            if (errno == EEXIST)
                errno = ENOTDIR;
            free(p);
            return -1;
        }
        *q = saved;
        if (last)
            break;
    }
    free(p);
    return 0;
}

static void drop_dirs(made_dirs *made, int undo)
{
    for (int i = made->n - 1; i >= 0; i--) {
        if (undo)
            rmdir(made->paths[i]);
        free(made->paths[i]);
    }
    free(made->paths);
    made->paths = NULL;
    made->n = 0;
}

/* ROOT/<UTC stamp>-<host>, -2, -3... when taken. */
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

int record_sink_open(record_sink *k, const char *given, const char *root, const char *who)
{
    memset(k, 0, sizeof *k);
    k->fd = -1;
    char *dir = given != NULL ? xstrdup(given) : default_dir(root);
    made_dirs made = {0};
    if (make_dirs(dir, &made) != 0) {
        error_msg("%scannot create the results folder %s: %s", who, dir, strerror(errno));
        drop_dirs(&made, 1);
        free(dir);
        return RL_EXIT_HARNESS;
    }
    char *jsonl = xasprintf("%s/runs.jsonl", dir);
    int fd = open(jsonl, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    int e = errno;
    free(jsonl);
    if (fd < 0) {
        if (e == EEXIST)
            error_msg("%s%s already holds results; give another --out", who, dir);
        else
            error_msg("%scannot write to the results folder %s: %s", who, dir, strerror(e));
        drop_dirs(&made, 1);
        free(dir);
        return e == EEXIST ? RL_EXIT_USAGE : RL_EXIT_HARNESS;
    }
    drop_dirs(&made, 0);
    char real[PATH_MAX];
    if (realpath(dir, real) != NULL) {
        free(dir);
        dir = xstrdup(real);
    }
    k->dir = dir;
    k->fd = fd;
    return 0;
}
