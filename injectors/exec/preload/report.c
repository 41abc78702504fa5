/* report.c — what each process of a run tells the driver, in files named
 * after RACELAB_EXEC_REPORT's prefix:
 *
 *   PREFIX.<pid>.start  at once, when the library starts in a process ("exec
 *                       EXE") or a process forks ("fork EXE"): the driver
 *                       learns which processes the run had, even if none of
 *                       them exits cleanly, and what ran in them (not in the
 *                       run's own process, whose pid the driver knows)
 *   PREFIX.<pid>        at exit: "pid P forked F threads T", then one
 *                       "point hits fired" line per point that was hit
 *
 * A forked child starts its counts from zero. I/O is by syscall: libfiu's
 * POSIX preload may be failing write() and open() on purpose.
 *
 * The run's own process (its parent is the driver, RACELAB_EXEC_PARENT) asks
 * the kernel to kill it when the driver dies (PR_SET_PDEATHSIG), as the
 * driver cannot between vfork and exec. */
#include "preload.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static char prefix[400];
static int forked; /* this process is a fork of one of the run's processes */

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

static void mark_start(const char *how)
{
    if (prefix[0] == '\0')
        return;
    char exe[256];
    long n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char path[448], text[300];
    snprintf(path, sizeof path, "%s.%ld.start", prefix, (long)getpid());
    int len = snprintf(text, sizeof text, "%s %s\n", how, exe);
    write_file(path, text, len > 0 ? (size_t)len : 0);
}

static void after_fork_child(void)
{
    forked = 1;
    rl_exec_counts_reset();
    mark_start("fork");
}

/* 1 in the run's own process (the driver's child), which is then made to
 * die with the driver. */
static int die_with_the_driver(void)
{
    const char *parent = getenv(RL_EXEC_ENV_PARENT);
    if (parent == NULL)
        return 0;
    long driver = strtol(parent, NULL, 10);
    if (driver <= 1 || getppid() != (pid_t)driver)
        return 0;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != (pid_t)driver) /* it died before the request */
        syscall(SYS_exit_group, 127);
    return 1;
}

void rl_exec_report_init(int forked_run)
{
    if (rl_exec_mode_now == RL_EXEC_IDLE)
        return;
    int root = die_with_the_driver() || forked_run;
    const char *p = getenv(RL_EXEC_ENV_REPORT);
    if (p != NULL && strlen(p) < sizeof prefix)
        snprintf(prefix, sizeof prefix, "%s", p);
    pthread_atfork(NULL, NULL, after_fork_child);
    /* the driver reads the markers of the run's other processes only (its
     * own pid it knows): the run's own skips the file, a third of the files
     * a run wrote */
    if (!root)
        mark_start("exec");
}

/* Once: at exit (the destructor), or at _exit, _Exit or quick_exit, which
 * run no destructors (exit.c) — the process still ended under the library. */
void rl_exec_report_exit(void)
{
    static _Atomic int done;
    if (atomic_exchange(&done, 1))
        return;
    rl_exec_sched_finish();
    if (prefix[0] == '\0' || rl_exec_mode_now == RL_EXEC_IDLE)
        return;
    static rl_exec_counts sum;
    rl_exec_counts_sum(&sum);
    static char text[RL_EXEC_N_POINTS * 80 + 128];
    size_t len = (size_t)snprintf(text, sizeof text, "pid %ld forked %d threads %d\n",
                                  (long)getpid(), forked, rl_exec_thread_count());
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

__attribute__((destructor)) static void report_at_exit(void) { rl_exec_report_exit(); }

void rl_exec_report_at_exit_call(void)
{
    if (!forked) /* a fork's _exit stays what it was: the raw end, nothing taken */
        rl_exec_report_exit();
}

__attribute__((constructor(101))) static void start_up(void)
{
    rl_exec_resolve();
    rl_exec_callers_init();
    int forked_run = rl_exec_fork_server(); /* returns in each run's process, or at once */
    rl_exec_configure();
    rl_exec_pin();
    rl_exec_report_init(forked_run);
    rl_exec_configure_sched();
}
