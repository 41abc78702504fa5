/* exec_report.c — what the processes of one run left in the reports folder
 * (injectors/exec/preload/report.c writes them):
 *
 *   PREFIX.<pid>        at exit: "pid P root R forked F threads T", then one
 *                       "point hits fired" line per point that was hit
 *   PREFIX.<pid>.child  at start, from a process that is not the run's own
 *                       (a fork of it, or a program it executed)
 *
 * The files are read, summed and removed. */
#include "exec.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int point_index(const char *name)
{
    for (int p = 0; p < RL_EXEC_N_POINTS; p++)
        if (strcmp(rl_exec_point_name(p), name) == 0)
            return p;
    return -1;
}

static void read_counts(const char *path, pid_t root, exec_counts *c)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    long pid = 0;
    int is_root = 0, forked = 0, threads = 0;
    if (fscanf(f, "pid %ld root %d forked %d threads %d\n", &pid, &is_root, &forked, &threads) ==
        4) {
        c->processes++;
        if (pid == (long)root && is_root) {
            c->counted = 1;
            c->threads = threads;
        }
        char name[128];
        unsigned long long hits, fired;
        while (fscanf(f, "%127s %llu %llu\n", name, &hits, &fired) == 3) {
            int p = point_index(name);
            if (p >= 0) {
                c->hits[p] += hits;
                c->fired[p] += fired;
            }
        }
    }
    fclose(f);
}

void exec_read_reports(const char *dir, const char *prefix, pid_t root, exec_counts *c)
{
    memset(c, 0, sizeof *c);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    size_t n = strlen(prefix);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, n) != 0 || e->d_name[n] != '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        size_t len = strlen(e->d_name);
        if (len > 6 && strcmp(e->d_name + len - 6, ".child") == 0)
            c->descendants++;
        else
            read_counts(path, root, c);
        unlink(path);
        free(path);
    }
    closedir(d);
}
