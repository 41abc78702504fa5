/* scratch.c — a per-run temporary directory for scenarios that use real
 * files. Made on first use, removed with everything in it when the program
 * ends (normal exit, budget spent, Ctrl-C, the watchdog's hang exit, or a
 * scenario's own exit() on an environment error). */
#define _XOPEN_SOURCE 700
#include "internal.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[4096];
static pthread_mutex_t scratch_lock = PTHREAD_MUTEX_INITIALIZER;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void rl_scratch_cleanup(void)
{
    pthread_mutex_lock(&scratch_lock);
    if (scratch[0] != '\0')
        nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    scratch[0] = '\0';
    pthread_mutex_unlock(&scratch_lock);
}

const char *rl_scratch_dir(void)
{
    pthread_mutex_lock(&scratch_lock);
    if (scratch[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        if (tmp == NULL || *tmp == '\0')
            tmp = "/tmp";
        snprintf(scratch, sizeof scratch, "%s/racelab-%d-XXXXXX", tmp, (int)getpid());
        if (mkdtemp(scratch) == NULL) {
            fprintf(stderr, "racelab: cannot make a scratch directory under %s\n", tmp);
            exit(3);
        }
        /* a scenario that exits on an environment error leaves nothing */
        atexit(rl_scratch_cleanup);
    }
    pthread_mutex_unlock(&scratch_lock);
    return scratch;
}
