/* report.c — what each process of a run tells the driver: at exit it writes
 * PREFIX.<pid> (RACELAB_EXEC_REPORT), one line of facts and one per point:
 *
 *   pid 1234 root 1 forked 0 threads 3
 *   pthread/mutex_lock 1200 241
 *   ...                 (point, hits, fired)
 *
 * `root` is 1 in the run's own process (RACELAB_EXEC_ROOT), 0 in a
 * descendant: a forked child (which starts its counts from zero) or a
 * program it executed. A process that dies by a signal writes nothing, so it
 * also leaves PREFIX.<pid>.child at once when it is a descendant: the driver
 * learns that the program forked even when nothing exits cleanly, and what
 * ran in the descendant. I/O is by
 * syscall: libfiu's POSIX preload may be failing write() and open() on
 * purpose. */
#include "preload.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

static char prefix[400];
static int forked; /* this process is a fork of the run's process (or of a descendant) */

static int is_root(void)
{
    const char *root = getenv(RL_EXEC_ENV_ROOT);
    return root != NULL && strtol(root, NULL, 10) == (long)getpid() && !forked;
}

static void write_file(const char *path, const char *text, size_t len)
{
    long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    while (len > 0) {
        long n = syscall(SYS_write, (int)fd, text, len);
        if (n <= 0)
            break;
        text += n;
        len -= (size_t)n;
    }
    syscall(SYS_close, (int)fd);
}

/* PREFIX.<pid>.child says how the process came to be (a fork of the
 * program, or a program executed by one of its processes) and what it runs:
 * "fork /path/prog" or "exec /usr/bin/llvm-symbolizer-14". */
static void mark_descendant(const char *how)
{
    if (prefix[0] == '\0')
        return;
    char exe[256];
    long n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char path[448], text[300];
    snprintf(path, sizeof path, "%s.%ld.child", prefix, (long)getpid());
    int len = snprintf(text, sizeof text, "%s %s\n", how, exe);
    write_file(path, text, len > 0 ? (size_t)len : 0);
}

static void after_fork_child(void)
{
    forked = 1;
    rl_exec_counts_reset();
    mark_descendant("fork");
}

void rl_exec_report_init(void)
{
    const char *p = getenv(RL_EXEC_ENV_REPORT);
    if (p != NULL && strlen(p) < sizeof prefix)
        snprintf(prefix, sizeof prefix, "%s", p);
    pthread_atfork(NULL, NULL, after_fork_child);
    if (!is_root())
        mark_descendant("exec");
}

__attribute__((destructor)) static void report_at_exit(void)
{
    if (prefix[0] == '\0' || rl_exec_mode_now == RL_EXEC_IDLE)
        return;
    static rl_exec_counts sum;
    rl_exec_counts_sum(&sum);
    static char text[RL_EXEC_N_POINTS * 80 + 128];
    size_t len = (size_t)snprintf(text, sizeof text, "pid %ld root %d forked %d threads %d\n",
                                  (long)getpid(), is_root(), forked, rl_exec_thread_count());
    for (int p = 0; p < RL_EXEC_N_POINTS && len < sizeof text; p++) {
        unsigned long long hits = atomic_load(&sum.hits[p]), fired = atomic_load(&sum.fired[p]);
        if (hits == 0 && fired == 0)
            continue;
        len += (size_t)snprintf(text + len, sizeof text - len, "%s %llu %llu\n",
                                rl_exec_point_name(p), hits, fired);
    }
    if (len > sizeof text)
        len = sizeof text;
    char path[448];
    snprintf(path, sizeof path, "%s.%ld", prefix, (long)getpid());
    write_file(path, text, len);
}

__attribute__((constructor(101))) static void start_up(void)
{
    rl_exec_resolve();
    rl_exec_callers_init();
    rl_exec_configure();
    rl_exec_report_init();
}
