/* record_sink.c — runs.jsonl on a disk that may fill up: each record is one
 * whole line or nothing. The line goes to the end of the file in one write()
 * and is fsync'd; after a short write, a failed write or a failed fsync the
 * file is cut back to the end of its last whole line, so that no torn line
 * stays and no later record merges onto one. The records that could not be
 * written are counted: the summary says how many, and the exit status is 3. */
#include "core/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
static int cut_back(const session *s, off_t end)
{
    char *path = xasprintf("%s/runs.jsonl", s->dir);
    int rfd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    off_t keep = rfd >= 0 ? last_newline_end(rfd, end) : -1;
    if (rfd >= 0)
        close(rfd);
    return keep >= 0 && ftruncate(s->jsonl_fd, keep) == 0 ? 0 : -1;
}

int record_sink_append(session *s, const char *run_id, const char *line, size_t len)
{
    struct stat st;
    off_t end = fstat(s->jsonl_fd, &st) == 0 ? st.st_size : -1;
    ssize_t w;
    while ((w = write(s->jsonl_fd, line, len)) < 0 && errno == EINTR)
        ;
    int e = w < 0 ? errno : (size_t)w < len ? ENOSPC : 0;     /* a short write: the disk is full */
    if (e == 0 && fsync(s->jsonl_fd) != 0 && errno != EINVAL) /* EINVAL: a pipe, /dev/null */
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

void record_sink_report(const session *s, FILE *f)
{
    if (s->n_unwritten == 0)
        return;
    fprintf(f, "%d record%s could not be written to %s/runs.jsonl (%s): not counted as finished\n",
            s->n_unwritten, s->n_unwritten == 1 ? "" : "s", s->dir, strerror(s->unwritten_errno));
}
