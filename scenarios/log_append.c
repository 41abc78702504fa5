/* log_append — threads appending to one log file ("Threading in Django",
 * seeds/004, section "Writing files": "Some applications maintain logs...
 * These are great uses for Python threads, since the GIL is released during
 * file IO operations").
 *
 * The GIL is released around every write(), so nothing orders two threads'
 * writes to one file. A hand-rolled appender that opens the log, seeks to
 * its end and writes a record in pieces
 *
 *     f = open(LOG, 'r+'); f.seek(0, 2); f.write(prefix); f.write(message)
 *
 * loses records when two threads find the same end of file (the second
 * write lands on the first) and tears them when a write of the other thread
 * falls between the two pieces. A failed write() (EIO, ENOSPC) that nobody
 * checks loses a record silently too. (The article's other case, two
 * threads rewriting one static file in place, tears the same way; it is the
 * tmp-rename part of session_save.)
 *
 * Real files: each trial appends to its own file in the run's scratch
 * directory (rl_scratch_dir). Each writer has its own open file, as a thread
 * that opens the log itself does. The file is unlinked as soon as both are
 * open, so no name is left behind whatever happens to the run; the arbiter
 * reads it back byte by byte through its descriptor.
 *
 * The fault point log_append/write stands in for libfiu's POSIX write
 * faults: the write() fails with EIO having written nothing (as
 * posix/io/rw/write does). The fixed variants check every write() and
 * report the record as failed; none may lose one silently. */
#include "racelab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { RACY, O_APPEND_ONE_WRITE, LOCKED };
enum { OK, WRITE_ERROR_REPORTED, TORN_LINE, LOST_LINE };
enum { AT_FORMAT, AT_SEEK, AT_BETWEEN, AT_WRITE };

#define WRITERS 2
#define MAX_RECORDS 16
/* "[w0] " then "record 03 of writer 0 aaaaaaaa\n": one line, two pieces */
#define PREFIX_LEN 5
#define LINE_LEN 36
#define MAX_FILE ((long)WRITERS * MAX_RECORDS * LINE_LEN)

/* _Alignas(64): each state a whole number of cache lines. (It also keeps
 * the engine's aligned_alloc(64, n * stride) valid under TSan, which
 * rejects a size that is not a multiple of 64, in runtimes that do not
 * round the size up.) */
typedef struct {
    _Alignas(64) int fd[WRITERS];                 /* each writer's own open file of the log */
    int records;                                  /* records per writer (--param records=N) */
    unsigned char reported[WRITERS][MAX_RECORDS]; /* failures the writer reported */
    rl_mutex lock;                                /* `locked` */
} log_file;

/* The record text: both pieces name the writer, so a piece of one writer's
 * record inside the other's line is visible. */
static size_t record_text(char line[LINE_LEN + 1], int writer, int r)
{
    int n = snprintf(line, LINE_LEN + 1, "[w%d] record %02d of writer %d %c%c%c%c%c%c%c%c\n",
                     writer, r, writer, 'a' + writer, 'a' + writer, 'a' + writer, 'a' + writer,
                     'a' + writer, 'a' + writer, 'a' + writer, 'a' + writer);
    return (size_t)n;
}

/* write(2), or the failure libfiu's posix/io/rw/write would inject. */
static ssize_t log_write(int fd, const char *buf, size_t n)
{
    if (RL_FAULT(AT_WRITE)) {
        errno = EIO;
        return -1;
    }
    return write(fd, buf, n);
}

/* The whole buffer, across short writes; 0 on an error. */
static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t got = log_write(fd, buf, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return 0;
        buf += got;
        n -= (size_t)got;
    }
    return 1;
}

static void append_racy(log_file *lf, int w, int r)
{
    char line[LINE_LEN + 1];
    size_t n = record_text(line, w, r);
    RL_POINT(AT_FORMAT);
    int fd = lf->fd[w];
    lseek(fd, 0, SEEK_END);
    /* RACE: the other writer can find the same end of file here; both then
     * write at one offset and the second record overwrites the first:
     *   w0: seek -> E                   write "[w0] ..." at E
     *   w1:         seek -> E                              write "[w1] ..." at E
     * (lost-line). */
    RL_POINT(AT_SEEK);
    (void)log_write(fd, line, PREFIX_LEN);
    /* RACE: a record of the other writer can land between the two pieces,
     * or its second piece on top of ours (torn-line). */
    RL_POINT(AT_BETWEEN);
    /* RACE: and a failed write() is never checked: the record is gone and
     * nothing says so. */
    (void)log_write(fd, line + PREFIX_LEN, n - PREFIX_LEN);
}

static void append_o_append(log_file *lf, int w, int r)
{
    char line[LINE_LEN + 1];
    size_t n = record_text(line, w, r);
    RL_POINT(AT_FORMAT);
    /* FIX: the whole record in one write() on an O_APPEND descriptor: the
     * kernel moves to the end of file and writes under the inode lock, so
     * two records never share an offset or interleave. The result is
     * checked; a failure is reported, not retried (a retried remainder of a
     * short write could land after the other writer's record). */
    if (log_write(lf->fd[w], line, n) != (ssize_t)n)
        lf->reported[w][r] = 1;
}

static void append_locked(log_file *lf, int w, int r)
{
    char line[LINE_LEN + 1];
    size_t n = record_text(line, w, r);
    RL_POINT(AT_FORMAT);
    int fd = lf->fd[w];
    /* FIX: the same seek and two writes, under one lock for all writers. */
    rl_mutex_lock(&lf->lock);
    off_t start = lseek(fd, 0, SEEK_END);
    RL_POINT(AT_SEEK);
    int ok = start >= 0 && write_all(fd, line, PREFIX_LEN);
    RL_POINT(AT_BETWEEN);
    ok = ok && write_all(fd, line + PREFIX_LEN, n - PREFIX_LEN);
    if (!ok) {
        /* Report it, and take a half-written record back out: nobody can
         * have written after it, we hold the lock. */
        lf->reported[w][r] = 1;
        if (start >= 0)
            (void)ftruncate(fd, start); /* if this fails, the arbiter sees the torn line */
    }
    rl_mutex_unlock(&lf->lock);
}

static void writer(void *state, int variant)
{
    log_file *lf = state;
    int w = rl_self();
    for (int r = 0; r < lf->records; r++) {
        if (variant == RACY)
            append_racy(lf, w, r);
        else if (variant == O_APPEND_ONE_WRITE)
            append_o_append(lf, w, r);
        else
            append_locked(lf, w, r);
    }
}

static void init(void *state, int variant)
{
    log_file *lf = state;
    lf->records = (int)rl_param("records");
    char path[4352];
    snprintf(path, sizeof path, "%s/log-%p", rl_scratch_dir(), state);
    int flags = O_RDWR | O_CLOEXEC | (variant == O_APPEND_ONE_WRITE ? O_APPEND : 0);
    lf->fd[0] = open(path, flags | O_CREAT | O_EXCL, 0600);
    for (int w = 1; w < WRITERS; w++)
        lf->fd[w] = lf->fd[0] < 0 ? -1 : open(path, flags);
    int failed = lf->fd[WRITERS - 1] < 0;
    if (lf->fd[0] >= 0)
        unlink(path);
    if (failed) {
        fprintf(stderr, "log_append: cannot create %s: %s\n", path, strerror(errno));
        exit(3);
    }
    if (variant == LOCKED)
        rl_mutex_init(&lf->lock);
}

static void fini(void *state, int variant)
{
    log_file *lf = state;
    for (int w = 0; w < WRITERS; w++)
        close(lf->fd[w]);
    if (variant == LOCKED)
        rl_mutex_destroy(&lf->lock);
}

/* One line: a whole record of a known writer, byte for byte. */
static int parse_line(const log_file *lf, const char *s, size_t len, int *w, int *r)
{
    char expect[LINE_LEN + 1];
    if (len != LINE_LEN || sscanf(s, "[w%d] record %d", w, r) != 2)
        return 0;
    if (*w < 0 || *w >= WRITERS || *r < 0 || *r >= lf->records)
        return 0;
    return record_text(expect, *w, *r) == len && memcmp(expect, s, len) == 0;
}

/* Read the log back: every line a whole record, every record there once
 * or reported as failed by its writer. */
static int arbiter(void *state, int variant)
{
    (void)variant;
    log_file *lf = state;
    char buf[MAX_FILE + 1];
    struct stat st;
    if (fstat(lf->fd[0], &st) != 0 || st.st_size > MAX_FILE)
        return TORN_LINE; /* more bytes than all records: something repeated */
    ssize_t size = pread(lf->fd[0], buf, (size_t)st.st_size, 0);
    if (size != st.st_size)
        return TORN_LINE;
    buf[size] = '\0';
    unsigned char seen[WRITERS][MAX_RECORDS] = {{0}};
    for (ssize_t at = 0; at < size;) {
        const char *nl = memchr(buf + at, '\n', (size_t)(size - at));
        if (nl == NULL)
            return TORN_LINE; /* a last line without its end */
        size_t len = (size_t)(nl - (buf + at)) + 1;
        int w, r;
        if (!parse_line(lf, buf + at, len, &w, &r) || seen[w][r]++)
            return TORN_LINE; /* interleaved, overwritten, a hole, or twice */
        at += (ssize_t)len;
    }
    int reported = 0;
    for (int w = 0; w < WRITERS; w++)
        for (int r = 0; r < lf->records; r++) {
            if (seen[w][r])
                continue;
            if (!lf->reported[w][r])
                return LOST_LINE;
            reported = 1;
        }
    return reported ? WRITE_ERROR_REPORTED : OK;
}

static const rl_outcome outcomes[] = {
    [OK] = {"ok", RL_ACCEPTABLE, "every record in the log, whole, once"},
    [WRITE_ERROR_REPORTED] = {"write-error-reported", RL_ACCEPTABLE,
                              "the log is clean; each record missing from it was reported failed"},
    [TORN_LINE] = {"torn-line", RL_FORBIDDEN,
                   "a line that is not one whole record (interleaved, overwritten, repeated)"},
    [LOST_LINE] = {"lost-line", RL_FORBIDDEN, "a record missing from the log and never reported"},
};

static const rl_variant variants[] = {
    [RACY] = {"racy", RL_REPRODUCES, RL_CAUGHT_BY_ORACLE, NULL,
              "seek to the end, then two write() calls; errors unchecked"},
    [O_APPEND_ONE_WRITE] = {"o-append", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                            "one write() per record on an O_APPEND descriptor; errors reported"},
    [LOCKED] = {"locked", RL_HOLDS, RL_CAUGHT_BY_ANY, NULL,
                "seek and writes under one lock; errors reported, partial record removed"},
};

static const rl_param_spec params[] = {
    {"records", 4, 1, MAX_RECORDS, "records each writer appends"},
};

static const rl_point points[] = {
    [AT_FORMAT] = {"log_append/format", RL_DELAY_POINT, "formatting a record before writing it"},
    [AT_SEEK] = {"log_append/seek", RL_DELAY_POINT,
                 "between finding the end of file and writing there"},
    [AT_BETWEEN] = {"log_append/between", RL_DELAY_POINT,
                    "between the two write() calls of one record"},
    [AT_WRITE] = {"log_append/write", RL_FAULT_POINT,
                  "a write() fails with EIO (libfiu posix/io/rw/write)"},
};

/* o-append lets the kernel find the end (one write(2), O_APPEND): no seek, no
 * second piece. */
static const rl_point_reach reach[] = {
    {AT_SEEK, "racy,locked"},
    {AT_BETWEEN, "racy,locked"},
};

static const rl_scenario log_append = {
    .name = "log_append",
    .reference = "Threading in Django (seeds/004): threads maintaining logs, writing files",
    .summary = "two threads append records to one log file",
    .actors = WRITERS,
    .state_size = sizeof(log_file),
    .init = init,
    .fini = fini,
    .actor = {writer, writer},
    .arbiter = arbiter,
    RL_TABLES(outcomes, variants, points),
    RL_REACH(reach),
    RL_PARAMS(params),
    .max_batch = 64, /* two descriptors per state */
};

RL_SCENARIO(log_append)
