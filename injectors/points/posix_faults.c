/* posix_faults.c — POSIX faults through libfiu's preload: the program runs itself
 * again under `fiu-run -x`, with one remote-control command per fault, so
 * that write(), fsync(), open()… called by the scenario fail for real with
 * the errno asked for.
 *
 *   --posix-faults 'posix/io/rw/write:p=0.01,errno=ENOSPC'
 *
 * The harness's own output goes through stdio inside libc, which the
 * preload does not intercept, so the record is never the victim. */
#include "posix_faults.h"
#include "../../harness/common/parse_number.h"
#include "spec_words.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNDER_FIU_RUN "RACELAB_UNDER_FIU_RUN"

typedef struct {
    const char *name;
    int value;
} errno_name;

static const errno_name errnos[] = {
    {"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EINTR", EINTR}, {"EAGAIN", EAGAIN},
    {"ENOMEM", ENOMEM}, {"EBADF", EBADF},   {"EFBIG", EFBIG}, {"EDQUOT", EDQUOT},
    {"EACCES", EACCES}, {"ENOENT", ENOENT}, {"EROFS", EROFS}, {"EPIPE", EPIPE},
};

static int parse_errno(const char *text, int *out)
{
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (strcmp(errnos[i].name, text) == 0) {
            *out = errnos[i].value;
            return 0;
        }
    unsigned long long n = 0;
    if (rl_parse_u64(text, &n) != 0 || n == 0 || n > 4095)
        return -1;
    *out = (int)n;
    return 0;
}

int rl_posix_fault_parse(const char *text, int tsan, char *command, size_t command_len, char *err,
                         size_t errlen)
{
    char buf[160];
    if (strlen(text) >= sizeof buf) {
        snprintf(err, errlen, "bad --posix-faults: longer than 159 characters");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", text);
    char *opts = strchr(buf, ':');
    if (opts != NULL)
        *opts++ = '\0';
    if (strncmp(buf, "posix/", 6) != 0 && strncmp(buf, "libc/", 5) != 0 &&
        strncmp(buf, "linux/", 6) != 0) {
        snprintf(err, errlen,
                 "bad --posix-faults '%s': the point must be one of libfiu's "
                 "posix/... or libc/... points, e.g. posix/io/rw/write",
                 text);
        return -1;
    }
    if (!rl_posix_point_known(buf)) {
        snprintf(err, errlen,
                 "bad --posix-faults '%s': libfiu's POSIX preload has no point %s "
                 "(posix/io/rw/write, posix/io/sync/fsync, posix/io/oc/open...; a trailing * "
                 "matches several)",
                 text, buf);
        return -1;
    }
    /* docs/design.md: TSan has its own allocator, so libc/mm faults do nothing. */
    if (tsan && fnmatch(buf, "libc/mm/malloc", 0) == 0) {
        snprintf(err, errlen,
                 "bad --posix-faults '%s': malloc faults do nothing under TSan "
                 "(its own allocator); use the plain build",
                 text);
        return -1;
    }
    double p = 1;
    int errno_value = 0, p_given = 0;
    char *words[8];
    int n = opts == NULL ? 0 : rl_spec_words(opts, words, 8);
    if (n < 0) {
        snprintf(err, errlen, "bad --posix-faults '%s': expected NAME[:p=P][,errno=E]", text);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *w = words[i];
        if ((strncmp(w, "p=", 2) == 0 && p_given++) ||
            (strncmp(w, "errno=", 6) == 0 && errno_value != 0)) {
            snprintf(err, errlen, "bad --posix-faults '%s': %.*s given twice", text,
                     (int)strcspn(w, "="), w);
            return -1;
        }
        if (strncmp(w, "p=", 2) == 0) {
            if (rl_parse_double(w + 2, &p) != 0 || p < 0 || p > 1) {
                snprintf(err, errlen, "bad --posix-faults '%s': p must be a number from 0 to 1",
                         text);
                return -1;
            }
        } else if (strncmp(w, "errno=", 6) == 0) {
            if (parse_errno(w + 6, &errno_value) != 0) {
                snprintf(err, errlen, "bad --posix-faults '%s': unknown errno '%s'", text, w + 6);
                return -1;
            }
        } else {
            snprintf(err, errlen, "bad --posix-faults '%s': unknown option '%s' (p=, errno=)", text,
                     w);
            return -1;
        }
    }
    int w = snprintf(command, command_len, "enable_random name=%s,probability=%g", buf, p);
    if (errno_value != 0 && w > 0 && (size_t)w < command_len)
        snprintf(command + w, command_len - (size_t)w, ",failinfo=%d", errno_value);
    return 0;
}

int rl_posix_reexec(const char *const *commands, int n, char **argv)
{
    if (n == 0 || getenv(UNDER_FIU_RUN) != NULL)
        return 0;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return -1;
    self[len] = '\0';
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    char **args = calloc((size_t)argc + 2 * (size_t)n + 8, sizeof *args);
    if (args == NULL)
        return -1;
    int k = 0;
    args[k++] = "fiu-run";
    args[k++] = "-x";
    args[k++] = "-f"; /* no control FIFO: nothing left behind in /tmp */
    args[k++] = "";
    for (int i = 0; i < n; i++) {
        args[k++] = "-c";
        args[k++] = (char *)commands[i];
    }
    args[k++] = self;
    for (int i = 1; i < argc; i++)
        args[k++] = argv[i];
    setenv(UNDER_FIU_RUN, "1", 1);
    execvp("fiu-run", args);
    free(args);
    return -1; /* fiu-run is missing */
}
