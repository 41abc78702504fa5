/* exec_main.c — `racelab exec [options] -- PROGRAM [ARGS...]`: checks
 * everything first (bad input: one line, exit 2, no folder), makes the
 * results folder, runs the budget, writes the one record and the summary.
 *
 * Exit status: 0 the expectation met; 1 a `holds` program failed; 4 a
 * `reproduces` program did not fail (weak evidence); 2 bad input; 3 the
 * harness failed (the library missing, PROGRAM could not be started, no run
 * finished, the folder cannot be written); 130 interrupted. */
#include "core/fifos.h"
#include "core/interrupt.h"
#include "core/paths.h"
#include "exec/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int make_dirs(const char *path)
{
    char *p = xstrdup(path);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *q = '/';
    }
    int rc = mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

static char *default_dir(void)
{
    char host[256] = "host";
    if (gethostname(host, sizeof host) != 0)
        strcpy(host, "host");
    host[sizeof host - 1] = '\0';
    for (char *c = host; *c; c++)
        if (*c == '/' || *c == ' ')
            *c = '_';
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    char *root = rl_results_root();
    char *dir = xasprintf("%s/%s-%s", root, stamp, host);
    for (int k = 2; access(dir, F_OK) == 0 && k < 1000; k++) {
        free(dir);
        dir = xasprintf("%s/%s-%s-%d", root, stamp, host, k);
    }
    free(root);
    return dir;
}

/* The folder with an empty runs.jsonl of its own; 0 or an exit status. */
static int open_folder(const exec_options *o, char **dir_out)
{
    char *dir = o->out_dir != NULL ? xstrdup(o->out_dir) : default_dir();
    if (make_dirs(dir) != 0) {
        error_msg("exec: cannot create the results folder %s: %s", dir, strerror(errno));
        free(dir);
        return RL_EXIT_HARNESS;
    }
    char *jsonl = xasprintf("%s/runs.jsonl", dir);
    int fd = open(jsonl, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int e = errno;
    free(jsonl);
    if (fd < 0) {
        if (e == EEXIST)
            error_msg("exec: %s already holds results; give another --out", dir);
        else
            error_msg("exec: cannot write to the results folder %s: %s", dir, strerror(e));
        free(dir);
        return e == EEXIST ? RL_EXIT_USAGE : RL_EXIT_HARNESS;
    }
    close(fd);
    char real[PATH_MAX];
    if (realpath(dir, real) != NULL) {
        free(dir);
        dir = xstrdup(real);
    }
    *dir_out = dir;
    return 0;
}

static int exit_status(const exec_tally *t, const rl_verdict *v)
{
    if (t->interrupted)
        return RL_EXIT_INTERRUPTED;
    if (t->spawn_failures > 0 || t->runs == 0)
        return RL_EXIT_HARNESS;
    if (v->met)
        return RL_EXIT_MET;
    return v->verdict == RL_VERDICT_FAILS ? RL_EXIT_FIX_FAILED : RL_EXIT_WEAK;
}

static int write_summary(const exec_context *x, const exec_tally *t, const rl_verdict *v,
                         int status)
{
    char *path = xasprintf("%s/summary.txt", x->dir);
    FILE *f = fopen(path, "w");
    free(path);
    if (f == NULL)
        return -1;
    exec_print_summary(x, t, v, status, f);
    return fclose(f);
}

/* Where the runs' processes leave their counts and schedule reports (a few
 * small files a run, read and removed at once): on tmpfs when there is one,
 * as creating files costs a disk file system more than a short run does
 * (docs/search.md); else DIR/.reports. Removed at the end; a killed
 * driver's is removed by the next invocation. */
#define SHM_REPORTS "/dev/shm"
#define SHM_PREFIX "racelab-reports-"

/* A reports folder left on tmpfs by a driver that was killed (its pid in
 * the name is gone) is removed with what it holds. */
static void remove_stale_reports(void)
{
    DIR *shm = opendir(SHM_REPORTS);
    if (shm == NULL)
        return;
    const struct dirent *e;
    while ((e = readdir(shm)) != NULL) {
        if (strncmp(e->d_name, SHM_PREFIX, strlen(SHM_PREFIX)) != 0)
            continue;
        long pid = strtol(e->d_name + strlen(SHM_PREFIX), NULL, 10);
        if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive, or not ours to judge (EPERM) */
        char *folder = xasprintf("%s/%s", SHM_REPORTS, e->d_name);
        DIR *d = opendir(folder);
        const struct dirent *f;
        while (d != NULL && (f = readdir(d)) != NULL) {
            char *path = xasprintf("%s/%s", folder, f->d_name);
            if (f->d_name[0] != '.')
                unlink(path);
            free(path);
        }
        if (d != NULL)
            closedir(d);
        rmdir(folder);
        free(folder);
    }
    closedir(shm);
}

static char *reports_folder(const char *dir)
{
    remove_stale_reports();
    char *shm = xasprintf("%s/%s%ld-XXXXXX", SHM_REPORTS, SHM_PREFIX, (long)getpid());
    if (mkdtemp(shm) != NULL)
        return shm;
    free(shm);
    char *own = xasprintf("%s/.reports", dir);
    mkdir(own, 0700);
    return own;
}

static int run(const exec_options *o, const exec_program *p, const exec_setup *setup,
               const char *dir)
{
    exec_context x = {o, p, setup, dir, reports_folder(dir)};
    if (p->n_raw > 0) /* said, not hidden: the record's exec.raw_calls too */
        warn_msg("exec: %s imports %s%s%s%s%s: threads it clones and futexes it waits on by "
                 "syscall are not seen by the %s",
                 p->name, p->raw[0], p->n_raw > 1 ? ", " : "", p->n_raw > 1 ? p->raw[1] : "",
                 p->n_raw > 2 ? ", " : "", p->n_raw > 2 ? p->raw[2] : "",
                 o->sched ? "scheduler" : "noise");
    if (p->sanitizers || p->cc) {
        char *san = xasprintf("%s/sanitizer", dir);
        mkdir(san, 0755);
        free(san);
    }
    if (p->tsan) {
        char *tsan = xasprintf("%s/tsan", dir);
        mkdir(tsan, 0755);
        free(tsan);
    }
    signal(SIGPIPE, SIG_IGN);
    interrupt_install();
    exec_tally t;
    memset(&t, 0, sizeof t);
    exec_run_all(&x, &t);
    if (o->shrink && !t.interrupted)
        exec_shrink(&x, &t);
    rl_verdict v;
    int rc = exec_write_record(&x, &t, &v);
    int status = rc != 0 ? RL_EXIT_HARNESS : exit_status(&t, &v);
    if (rc != 0)
        error_msg("exec: cannot write %s/runs.jsonl", dir);
    exec_print_summary(&x, &t, &v, status, stdout);
    if (write_summary(&x, &t, &v, status) != 0)
        warn_msg("exec: cannot write %s/summary.txt", dir);
    rmdir(x.reports_dir); /* empty unless a process is still writing */
    free(x.reports_dir);
    exec_free_tally(&t);
    return status;
}

int cmd_exec(int argc, char **argv)
{
    exec_options o;
    int rc = exec_parse_options(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (o.list_points)
        return exec_list_points(o.json);
    exec_program p;
    rc = exec_find_program(o.argv[0], &p);
    if (rc != 0) {
        exec_free_options(&o);
        return rc;
    }
    exec_setup setup;
    rc = exec_prepare(&o, &p, &setup);
    char *dir = NULL;
    if (rc == 0)
        rc = open_folder(&o, &dir);
    if (rc == 0 && exec_write_suppressions(&setup, dir) != 0) {
        error_msg("exec: cannot write %s/tsan.supp", dir);
        rc = RL_EXIT_HARNESS;
    }
    if (rc == 0) {
        fifo_cleanup_stale();
        rc = run(&o, &p, &setup, dir);
    }
    free(dir);
    exec_free_setup(&setup);
    exec_free_program(&p);
    exec_free_options(&o);
    return rc;
}
