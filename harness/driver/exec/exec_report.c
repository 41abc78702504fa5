/* exec_report.c — what the processes of one run left in the reports folder
 * (injectors/exec/preload/report.c writes them):
 *
 *   PREFIX.<pid>.start  when the library started in a process: "exec EXE",
 *                       or "fork EXE" for a fork
 *   PREFIX.<pid>        at exit: "pid P forked F threads T", then one
 *                       "point hits fired" line per point that was hit
 *
 * The run's own process is the one the driver started (its pid); any other
 * is a descendant — but a sanitizer's helper (TSan runs llvm-symbolizer to
 * name the frames of a report) is not the program's, and is counted apart,
 * its counts left out. The files are read, summed and removed. */
#include "exec/exec.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HELPERS 64

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
    int forked = 0, threads = 0;
    if (fscanf(f, "pid %ld forked %d threads %d\n", &pid, &forked, &threads) == 3) {
        c->processes++;
        if (pid == (long)root && !forked) {
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

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n > k && strcmp(s + n - k, tail) == 0;
}

void exec_read_reports(const char *dir, const char *prefix, pid_t root, exec_counts *c)
{
    memset(c, 0, sizeof *c);
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    size_t plen = strlen(prefix);
    long helpers[MAX_HELPERS];
    int n_helpers = 0;
    /* the start markers first: a helper's counts are not the program's */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const char *name = names[i]->d_name;
            if (strncmp(name, prefix, plen) != 0 || name[plen] != '.')
                continue;
            int marker = ends_with(name, ".start");
            if (marker != (pass == 0))
                continue;
            char *path = xasprintf("%s/%s", dir, name);
            long pid = strtol(name + plen + 1, NULL, 10);
            if (marker && pid != (long)root) {
                if (is_helper(path)) {
                    c->helpers++;
                    if (n_helpers < MAX_HELPERS)
                        helpers[n_helpers++] = pid;
                } else {
                    c->descendants++;
                }
            } else if (!marker) {
                int helper = 0;
                for (int k = 0; k < n_helpers; k++)
                    helper |= helpers[k] == pid;
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
