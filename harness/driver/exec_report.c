/* exec_report.c — what the processes of one run left in the reports folder
 * (injectors/exec/preload/report.c writes them):
 *
 *   PREFIX.<pid>        at exit: "pid P root R forked F threads T", then one
 *                       "point hits fired" line per point that was hit
 *   PREFIX.<pid>.child  at start, from a process that is not the run's own:
 *                       "fork EXE" or "exec EXE"
 *
 * A sanitizer's helper (TSan runs llvm-symbolizer to name the frames of a
 * report) is a descendant too, but not the program's: it is counted apart.
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

static int is_helper(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char how[16], exe[512];
    int helper = 0;
    if (fscanf(f, "%15s %511s", how, exe) == 2) {
        const char *base = strrchr(exe, '/');
        base = base != NULL ? base + 1 : exe;
        helper = strncmp(base, "llvm-symbolizer", 15) == 0 || strcmp(base, "addr2line") == 0;
    }
    fclose(f);
    return helper;
}

/* The pid in "PREFIX.<pid>" or "PREFIX.<pid>.child". */
static long pid_of(const char *name, size_t prefix_len)
{
    return strtol(name + prefix_len + 1, NULL, 10);
}

void exec_read_reports(const char *dir, const char *prefix, pid_t root, exec_counts *c)
{
    memset(c, 0, sizeof *c);
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    size_t plen = strlen(prefix);
    long helper_pids[64];
    int n_helpers = 0;
    /* the markers first: a helper's counts are not the program's */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const char *name = names[i]->d_name;
            if (strncmp(name, prefix, plen) != 0 || name[plen] != '.')
                continue;
            size_t len = strlen(name);
            int marker = len > 6 && strcmp(name + len - 6, ".child") == 0;
            if (marker != (pass == 0))
                continue;
            char *path = xasprintf("%s/%s", dir, name);
            long pid = pid_of(name, plen);
            if (marker && is_helper(path)) {
                c->helpers++;
                if (n_helpers < 64)
                    helper_pids[n_helpers++] = pid;
            } else if (marker) {
                c->descendants++;
            } else {
                int helper = 0;
                for (int k = 0; k < n_helpers; k++)
                    helper |= helper_pids[k] == pid;
                if (!helper)
                    read_counts(path, root, c);
            }
            unlink(path);
            free(path);
        }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
