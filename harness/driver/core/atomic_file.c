/* atomic_file.c — a temp file beside the final name, renamed into place (atomic_file.h). */
#include "core/atomic_file.h"
#include "core/interrupt.h"
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temp file being written, for the signal handler (one at a time: the driver writes
 * files from one thread). */
static char pending[PATH_MAX];
static volatile sig_atomic_t has_pending;

static void on_signal(int sig)
{
    if (has_pending)
        (void)unlink(pending); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

void atomic_file_on_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    signals_handled_by(on_signal, sigs, 2);
}

static void block(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, old);
}

/* The temp file, made and registered with the signals blocked, so a signal finds it. */
static int open_temp(const char *path, char **tmp_out)
{
    char *tmp = xasprintf("%s.XXXXXX", path);
    sigset_t old;
    block(&old);
    int fd = strlen(tmp) < sizeof pending ? mkstemp(tmp) : (errno = ENAMETOOLONG, -1);
    if (fd >= 0) {
        memcpy(pending, tmp, strlen(tmp) + 1);
        has_pending = 1;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask); /* as fopen(path, "w") would have made it */
    *tmp_out = tmp;
    return fd;
}

static void drop_temp(char *tmp)
{
    sigset_t old;
    block(&old);
    has_pending = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(tmp);
}

int atomic_write(const char *path, atomic_writer w, const void *ctx, int flags)
{
    char *tmp = NULL;
    int fd = open_temp(path, &tmp);
    if (fd < 0) {
        error_msg("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    int err = 0;
    if (f == NULL) {
        err = errno;
        close(fd);
    } else {
        int bad = w(ctx, f) != 0;
        if (bad)
            err = errno ? errno : EIO;
        if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
            bad = 1;
            err = errno;
        }
        if (fclose(f) != 0 && !bad) {
            bad = 1;
            err = errno;
        }
        if (!bad && (flags & ATOMIC_NO_REPLACE)) {
            /* link(2) refuses an existing name: the check and the write are one step */
            if (link(tmp, path) != 0)
                err = errno;
        } else if (!bad && rename(tmp, path) != 0) {
            err = errno;
        } else if (bad && err == 0) {
            err = EIO;
        }
    }
    unlink(tmp); /* after link(2), or the torn temp file */
    drop_temp(tmp);
    if (err != 0) {
        if (!(err == EEXIST && (flags & ATOMIC_NO_REPLACE)))
            error_msg("cannot write %s: %s", path, strerror(err));
        errno = err;
        return -1;
    }
    return 0;
}

typedef struct {
    const char *text;
    size_t len;
} text_ctx;

static int write_text(const void *ctx, FILE *f)
{
    const text_ctx *t = ctx;
    return fwrite(t->text, 1, t->len, f) == t->len ? 0 : -1;
}

int atomic_write_text(const char *path, const char *text, size_t len, int flags)
{
    text_ctx t = {text, len};
    return atomic_write(path, write_text, &t, flags);
}

static int copy_from(const void *ctx, FILE *out)
{
    FILE *in = fopen(ctx, "rb");
    if (in == NULL)
        return -1;
    char buf[65536];
    size_t got;
    int ok = 1;
    while (ok && (got = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, got, out) == got;
    ok = ok && !ferror(in);
    fclose(in);
    return ok ? 0 : -1;
}

int atomic_copy(const char *from, const char *to)
{
    return atomic_write(to, copy_from, from, ATOMIC_REPLACE);
}
