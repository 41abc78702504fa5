/* results_dir.c — the results folder, made by the record sink
 * (record_sink.c: mkdir -p undone on a failure, results/<UTC>-<host> by
 * default, an empty runs.jsonl of its own), and the paths inside it. */
#include "core/options.h"
#include "core/results.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_BYTES 2000

/* ---- the folder --------------------------------------------------------- */

int results_open(session *s, const run_options *o, const char *default_root)
{
    int rc = record_sink_open(&s->sink, o->out_dir, default_root, "");
    if (rc != 0)
        return rc;
    s->dir = xstrdup(s->sink.dir);
    s->opts = o;
    return 0;
}

char *results_path(const session *s, const char *sub, const char *name)
{
    char *d = xasprintf("%s/%s", s->dir, sub);
    if (mkdir(d, 0755) != 0 && errno != EEXIST)
        warn_msg("cannot create %s: %s", d, strerror(errno));
    char *p = xasprintf("%s/%s", d, name);
    free(d);
    return p;
}
