/* child_sweep.c — no process a child started outlives it unseen.
 *
 * The driver is a subreaper (PR_SET_CHILD_SUBREAPER): a process whose parent
 * ends is handed to the driver, not to init, however it got away — its own
 * process group (setpgid), its own session (setsid), a double fork. Every
 * child the runner starts is registered here and carries a mark in its
 * environment, RACELAB_RUN_MARK=<driver pid>.<serial>, which its
 * descendants inherit. When a child ends, the driver's children that are
 * not registered (strays), and theirs, are read from /proc: those marked as
 * another child's that is still running are left to it; the rest are
 * killed and reaped, and the ones outside the ended child's process group
 * are counted: that child left them behind. A child racelab already had
 * before it started any (a shell's background job, inherited across exec)
 * is no run's: it and its own are never touched. */
#include "core/child_sweep.h"
#include "core/child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK_NAME "RACELAB_RUN_MARK="
#define SWEEP_ROUNDS 20

typedef struct {
    pid_t pid;
    unsigned long serial;
} live_child;

static live_child *live;
static int n_live, cap_live;

/* The children racelab had before it started any (a shell's background job,
 * inherited across exec): no run's. They and theirs are never touched. */
typedef struct {
    pid_t pid;
    unsigned long long started;
} inherited_child;
static inherited_child *inherited_children;
static int n_inherited;

static void note_inherited(void);

void child_registry_init(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    note_inherited();
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* without it, sweeping finds less: nothing worse */
}

/* Pids are handed out in increasing order until they wrap at pid_max: a
 * run's descendants have pids above its own, and only those are read. Once
 * a pid lower than the one before is seen, every sweep reads them all. */
static pid_t last_pid;
static int pids_wrapped;

void child_registry_add(pid_t pid, unsigned long serial)
{
    pids_wrapped |= pid < last_pid;
    last_pid = pid;
    if (n_live == cap_live) {
        cap_live = cap_live ? cap_live * 2 : 16;
        live = xrealloc(live, (size_t)cap_live * sizeof *live);
    }
    live[n_live++] = (live_child){pid, serial};
}

void child_registry_remove(pid_t pid)
{
    for (int i = 0; i < n_live; i++)
        if (live[i].pid == pid) {
            live[i] = live[--n_live];
            return;
        }
}

static int registered_pid(pid_t pid)
{
    for (int i = 0; i < n_live; i++)
        if (live[i].pid == pid)
            return 1;
    return 0;
}

static int registered_serial(unsigned long serial)
{
    for (int i = 0; i < n_live; i++)
        if (live[i].serial == serial)
            return 1;
    return 0;
}

unsigned long child_next_serial(void)
{
    static unsigned long next = 1;
    return next++;
}

char *child_mark(unsigned long serial)
{
    return xasprintf(MARK_NAME "%ld.%lu", (long)getpid(), serial);
}

typedef struct {
    pid_t pid, ppid, pgrp;
    char state;
    unsigned long long started; /* clock ticks after boot */
    int stray;                  /* the driver's stray child, or beneath one */
} proc_entry;

static int read_stat(pid_t pid, proc_entry *e)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    const char *close_paren = strrchr(text, ')'); /* the name may hold anything */
    long ppid = 0, pgrp = 0;
    unsigned long long started = 0;
    char state = '?';
    /* fields 3-5, then 22: starttime */
    if (close_paren == NULL ||
        sscanf(close_paren + 1,
               " %c %ld %ld %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
               &state, &ppid, &pgrp, &started) != 4)
        return -1;
    *e = (proc_entry){pid, (pid_t)ppid, (pid_t)pgrp, state, started, 0};
    return 0;
}

/* The serial of the driver's mark in PID's environment; 0 when it has none
 * of this driver's. */
static unsigned long read_mark(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    buffer b = {0};
    char chunk[8192];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        buf_append(&b, chunk, (size_t)n, 1u << 20);
    close(fd);
    char *want = xasprintf(MARK_NAME "%ld.", (long)getpid());
    unsigned long serial = 0;
    const char *env = b.data != NULL ? b.data : "";
    for (size_t at = 0; at < b.len; at += strlen(env + at) + 1)
        if (strncmp(env + at, want, strlen(want)) == 0)
            serial = strtoul(env + at + strlen(want), NULL, 10);
    free(want);
    buf_free(&b);
    return serial;
}

static int inherited(const proc_entry *p)
{
    for (int i = 0; i < n_inherited; i++)
        if (inherited_children[i].pid == p->pid && inherited_children[i].started == p->started)
            return 1;
    return 0;
}

static void note_inherited(void)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return;
    pid_t self = getpid();
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        proc_entry p;
        if (*end != '\0' || pid <= 0 || read_stat((pid_t)pid, &p) != 0 || p.ppid != self)
            continue;
        inherited_children =
            xrealloc(inherited_children, (size_t)(n_inherited + 1) * sizeof *inherited_children);
        inherited_children[n_inherited++] = (inherited_child){p.pid, p.started};
    }
    closedir(d);
}

/* 1 when one of the driver's children is a stray (neither registered nor
 * inherited), or when that cannot be told; 0: there is none, and so nothing
 * beneath one. The kernel's lists of each thread's children
 * (/proc/self/task/T/children) are read instead of every process in /proc:
 * after most runs nothing got away, and the scan of /proc cost the driver
 * more than the run itself on a busy machine. */
static int any_stray_child(void)
{
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL)
        return 1;
    int stray = 0, read_any = 0;
    const struct dirent *t;
    while (!stray && (t = readdir(tasks)) != NULL) {
        if (t->d_name[0] == '.')
            continue;
        char path[320];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", t->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            stray = 1; /* no such list (CONFIG_PROC_CHILDREN): scan /proc */
            break;
        }
        buffer b = {0};
        char chunk[4096];
        ssize_t n;
        while ((n = read(fd, chunk, sizeof chunk)) > 0)
            buf_append(&b, chunk, (size_t)n, SIZE_MAX);
        close(fd);
        read_any = 1;
        for (const char *at = b.data; at != NULL && *at != '\0' && !stray;) {
            char *end;
            long pid = strtol(at, &end, 10);
            if (end == at)
                break;
            proc_entry p;
            /* one that has gone since counts as a stray: the scan decides */
            stray =
                !registered_pid((pid_t)pid) && (read_stat((pid_t)pid, &p) != 0 || !inherited(&p));
            at = end;
        }
        buf_free(&b);
    }
    closedir(tasks);
    return stray || !read_any;
}

/* Every process beneath a stray child of the driver's, from /proc. */
static int read_strays(pid_t floor, proc_entry **out)
{
    *out = NULL;
    if (!any_stray_child())
        return 0;
    DIR *d = opendir("/proc");
    if (d == NULL)
        return 0;
    proc_entry *all = NULL;
    int n = 0, cap = 0;
    pid_t self = getpid();
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        proc_entry p;
        if (*end != '\0' || pid <= 0 || pid < floor || pid == self ||
            read_stat((pid_t)pid, &p) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            all = xrealloc(all, (size_t)cap * sizeof *all);
        }
        p.stray = p.ppid == self && !registered_pid(p.pid) && !inherited(&p);
        all[n++] = p;
    }
    closedir(d);
    for (int changed = 1; changed;) { /* beneath a stray: a stray's too */
        changed = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n && !all[i].stray; j++)
                if (all[j].stray && all[i].ppid == all[j].pid)
                    all[i].stray = changed = 1;
    }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (all[i].stray)
            all[k++] = all[i];
    *out = all;
    return k;
}

static void reap_killed(const proc_entry *p, int n)
{
    pid_t self = getpid();
    for (int i = 0; i < n; i++) {
        if (p[i].ppid != self)
            continue;
        for (int tries = 0; tries < 100; tries++) { /* SIGKILL lands within a few ms */
            pid_t r = waitpid(p[i].pid, NULL, WNOHANG);
            if (r != 0 && !(r < 0 && errno == EINTR))
                break;
            struct timespec ts = {0, 5000000L};
            nanosleep(&ts, NULL);
        }
    }
}

static int seen_before(const pid_t *counted, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (counted[i] == pid)
            return 1;
    return 0;
}

/* One sweep after the child LEADER (its own process group when OWN_GROUP,
 * mark SERIAL) ended, or with ALL of everything left; the processes outside
 * its group it left running. */
int child_sweep(pid_t leader, int own_group, unsigned long serial, unsigned long also, int all)
{
    pid_t counted[64], group = own_group ? leader : 0;
    int n_counted = 0;
    pid_t floor = all || pids_wrapped ? 0 : leader;
    for (int round = 0; round < SWEEP_ROUNDS; round++) {
        proc_entry *p = NULL;
        int n = read_strays(floor, &p), killed = 0;
        for (int i = 0; i < n; i++) {
            if (p[i].state == 'Z') /* it ended by itself: only reaped */
                continue;
            unsigned long mark = all ? 0 : read_mark(p[i].pid);
            if (mark != 0 && mark != serial && mark != also && registered_serial(mark))
                continue; /* a child still running: its own */
            kill(p[i].pid, SIGKILL);
            killed++;
            if ((group == 0 || p[i].pgrp != group) && n_counted < 64 &&
                !seen_before(counted, n_counted, p[i].pid))
                counted[n_counted++] = p[i].pid;
        }
        reap_killed(p, n);
        free(p);
        if (killed == 0)
            break;
    }
    return n_counted;
}

void child_sweep_all(void) { (void)child_sweep(0, 0, 0, 0, 1); }
