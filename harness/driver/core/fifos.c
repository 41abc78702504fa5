/* fifos.c — libfiu's fiu-run gives a program two control FIFOs,
 * <base>-PID.in and .out (base: $TMPDIR/fiu-ctrl, else /tmp/fiu-ctrl), and
 * removes them when the program exits normally; a program that dies leaves
 * them behind for good. The driver removes those of a run that died by a
 * signal or by its watchdog, and, when it starts, those of every process
 * that no longer exists. Only FIFOs the driver's user owns are touched. */
#include "core/fifos.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX "fiu-ctrl-"

/* The folders fiu-run may have used: /tmp, and $TMPDIR when it differs. */
static int fifo_dirs(const char *dirs[2])
{
    int n = 0;
    dirs[n++] = "/tmp";
    const char *tmp = getenv("TMPDIR");
    if (tmp != NULL && *tmp != '\0' && strcmp(tmp, "/tmp") != 0 && strcmp(tmp, "/tmp/") != 0)
        dirs[n++] = tmp;
    return n;
}

static void remove_fifo(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_uid == geteuid())
        unlink(path);
}

void fifo_cleanup_pid(pid_t pid)
{
    if (pid <= 0)
        return;
    const char *dirs[2];
    int n = fifo_dirs(dirs);
    for (int d = 0; d < n; d++) {
        static const char *const suffixes[] = {"in", "out"};
        for (int k = 0; k < 2; k++) {
            char *path = xasprintf("%s/" PREFIX "%d.%s", dirs[d], (int)pid, suffixes[k]);
            remove_fifo(path);
            free(path);
        }
    }
}

/* The PID of a name PREFIX<digits>.in or .out, else 0. */
static pid_t fifo_pid(const char *name)
{
    size_t plen = strlen(PREFIX);
    if (strncmp(name, PREFIX, plen) != 0)
        return 0;
    const char *dot = strrchr(name, '.');
    if (dot == NULL || (strcmp(dot, ".in") != 0 && strcmp(dot, ".out") != 0))
        return 0;
    size_t digits = (size_t)(dot - name) - plen;
    if (digits == 0 || digits > 10)
        return 0;
    char text[16];
    memcpy(text, name + plen, digits);
    text[digits] = '\0';
    unsigned long long pid;
    if (parse_whole(text, 1, 0x7fffffff, &pid) != 0)
        return 0;
    return (pid_t)pid;
}

void fifo_cleanup_stale(void)
{
    const char *dirs[2];
    int n = fifo_dirs(dirs);
    for (int d = 0; d < n; d++) {
        DIR *dir = opendir(dirs[d]);
        if (dir == NULL)
            continue;
        const struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            pid_t pid = fifo_pid(e->d_name);
            if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
                continue; /* alive, or not ours to judge (EPERM) */
            char *path = xasprintf("%s/%s", dirs[d], e->d_name);
            remove_fifo(path);
            free(path);
        }
        closedir(dir);
    }
}
