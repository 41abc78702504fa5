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

/* The folder with an empty runs.jsonl of its own; 0 or an exit status. */
static int open_folder(const exec_options *o, record_sink *sink)
{
    char *root = rl_results_root();
    int rc = record_sink_open(sink, o->out_dir, root, "exec: ");
    free(root);
    return rc;
}

/* Why nothing can be judged, when nothing can (rule: a run that left the
 * scheduler's control or escaped the preload is never graded as a pass). */
static void find_error(const exec_options *o, exec_tally *t)
{
    if (t->error != NULL || t->interrupted || t->spawn_failures > 0)
        return;
    if (t->runs == 0 && t->escaped > 0)
        t->error = "every run escaped the scheduler (its own process did not finish under it: "
                   "LD_PRELOAD cleared, or executed without it): nothing was tested";
    else if (t->runs == 0 && t->diverged > 0)
        t->error = "every run left the schedule or the scheduler's control: nothing was tested";
    else if (t->runs == 0 && t->lost > 0)
        t->error = "every run was killed with its fork server, twice (does the program kill its "
                   "parent?): nothing was tested";
    else if (t->runs > 0 && t->runs_counted == 0 && t->failures == 0)
        t->error = o->sched ? "no run's own process reported to the scheduler's library: "
                              "nothing ran under it"
                            : "no run's own process reported to the preloaded library (it "
                              "escaped the preload, or ended by _exit): the noise did not act";
}

/* DIR/summary.txt through a temp file and a rename: whole or not there. */
static int write_summary(const exec_context *x, const exec_tally *t, const rl_verdict *v,
                         int status)
{
    char *path = xasprintf("%s/summary.txt", x->dir);
    char *tmp = xasprintf("%s/.summary.txt.tmp", x->dir);
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (ok) {
        exec_print_summary(x, t, v, status, f);
        ok = !ferror(f);
        ok = fclose(f) == 0 && ok;
    }
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        error_msg("exec: cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    free(path);
    return ok ? 0 : -1;
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
               record_sink *sink, rl_fuzz_corpus *corpus, int corpus_loaded)
{
    const char *dir = sink->dir;
    exec_context x = {o, p, setup, dir, reports_folder(dir), NULL, sink};
    x.launcher = exec_fs_launcher(&x); /* forks of a fork server, or posix_spawn */
    if (p->n_raw > 0)                  /* said, not hidden: the record's exec.raw_calls too */
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
    t.fuzz = corpus; /* the tally's now */
    t.corpus_loaded = corpus_loaded;
    exec_run_all(&x, &t);
    if (o->shrink && !t.interrupted && t.error == NULL)
        exec_shrink(&x, &t);
    find_error(o, &t);
    if (t.error != NULL)
        error_msg("exec: %s", t.error);
    rl_verdict v;
    int rc = exec_write_record(&x, &t, &v); /* whole or not at all; said by the sink */
    exec_grade_counts counts = exec_tally_counts(&x, &t);
    int status = rc != 0 ? RL_EXIT_HARNESS : exec_exit_status(&counts, &v);
    /* the file first: the status printed is the one the process exits with */
    if (write_summary(&x, &t, &v, status) != 0)
        status = rl_worse_exit(status, RL_EXIT_HARNESS);
    exec_print_summary(&x, &t, &v, status, stdout);
    if (fflush(stdout) != 0 && status != RL_EXIT_INTERRUPTED)
        status = RL_EXIT_HARNESS;
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
    rl_fuzz_corpus *corpus = NULL; /* loaded before anything runs or is written */
    int loaded = 0;
    if (rc == 0)
        rc = exec_fuzz_open(&o, &corpus, &loaded);
    record_sink sink = {NULL, -1, 0, 0};
    if (rc == 0)
        rc = open_folder(&o, &sink);
    if (rc == 0 && exec_write_suppressions(&setup, sink.dir) != 0) {
        error_msg("exec: cannot write %s/tsan.supp", sink.dir);
        rc = RL_EXIT_HARNESS;
    }
    if (rc == 0) {
        fifo_cleanup_stale();
        rc = run(&o, &p, &setup, &sink, corpus, loaded);
        corpus = NULL;
    }
    rl_fuzz_corpus_free(corpus);
    record_sink_free(&sink);
    exec_free_setup(&setup);
    exec_free_program(&p);
    exec_free_options(&o);
    return rc;
}
