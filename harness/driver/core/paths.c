/* paths.c — where racelab finds its own files, the one place that knows
 * the two layouts:
 *
 *   build tree              installed (make install PREFIX=P)
 *   build/racelab           P/bin/racelab
 *   build/plain, tsan/      P/lib/racelab/plain, tsan/   (the scenarios)
 *   build/exec/...so        P/lib/racelab/exec/libracelab-exec.so
 *   build/cc/...a           P/lib/racelab/cc/libracelab-cc.a
 *   results/                ./results
 *
 * Both are found from /proc/self/exe, so a racelab works from any working
 * directory, and an installed one with no checkout at all. */
#include "core/paths.h"

#include "core/util.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Relative to the folder of an installed racelab (the Makefile's BINDIR and
 * PKGLIBDIR agree on it). */
#define INSTALLED_HOME "../lib/racelab"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The installed home, or NULL in a build tree. */
static char *installed_home(void)
{
    char *here = self_dir();
    char *home = xasprintf("%s/" INSTALLED_HOME, here);
    free(here);
    char real[PATH_MAX];
    if (is_dir(home) && realpath(home, real) != NULL) {
        free(home);
        return xstrdup(real);
    }
    free(home);
    return NULL;
}

int rl_installed(void)
{
    char *home = installed_home();
    int installed = home != NULL;
    free(home);
    return installed;
}

char *rl_home(void)
{
    char *home = installed_home();
    return home != NULL ? home : self_dir();
}

char *rl_home_file(const char *rel)
{
    char *home = rl_home();
    char *path = xasprintf("%s/%s", home, rel);
    free(home);
    return path;
}

char *rl_results_root(void)
{
    if (rl_installed()) {
        char cwd[PATH_MAX];
        return xasprintf("%s/results", getcwd(cwd, sizeof cwd) != NULL ? cwd : ".");
    }
    char *here = self_dir();
    char *root = xasprintf("%s/../results", here);
    free(here);
    return root;
}
