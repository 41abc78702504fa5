/* exec_fuzz.c — `--strategy fuzz` in exec mode: the search lives in the
 * driver, as dfs does (injectors/sched/fuzz_corpus.h).
 *
 * Before each run the corpus gives the next abstract schedule, passed to
 * the run in RACELAB_EXEC_FUZZ (the fork server sends each run's whole
 * environment); the run obeys it and reports the reads-from pairs it
 * observed (exec_sched_report.h); the driver feeds them back, and a run
 * that showed a new pair (or failed) joins the corpus.
 *
 * --corpus DIR keeps the corpus across invocations: every entry is one
 * file, DIR/entry-<hash of its schedule>, written whole (core/atomic_file.c)
 * as it joins; at the start every file of DIR not starting with '.' is
 * loaded (a malformed one: a one-line error, exit 2, before any run), so a
 * campaign resumes from what the last one found: known pairs are not new
 * again, and the runs that failed are run again first (their schedule and
 * seed), before any mutation. */
#include "core/atomic_file.h"
#include "exec/exec.h"

#include "../../../injectors/sched/fuzz_corpus.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ENTRY_CAP (64u << 10) /* an entry file is under 2 KB */

static char *read_small(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *text = xcalloc(ENTRY_CAP + 1, 1);
    size_t n = fread(text, 1, ENTRY_CAP, f);
    int bad = ferror(f) || !feof(f) || memchr(text, '\0', n) != NULL;
    fclose(f);
    if (bad) {
        free(text);
        return NULL;
    }
    return text;
}

int exec_fuzz_open(const exec_options *o, rl_fuzz_corpus **out, int *loaded)
{
    *out = NULL;
    *loaded = 0;
    if (!o->sched || o->strategy_spec.kind != RL_STRAT_FUZZ || o->replay != NULL)
        return 0;
    rl_fuzz_corpus *c = rl_fuzz_corpus_new(o->seed);
    if (c == NULL) {
        error_msg("exec: out of memory for the fuzz corpus");
        return RL_EXIT_HARNESS;
    }
    if (o->corpus != NULL) {
        if (mkdir(o->corpus, 0755) != 0 && errno != EEXIST) {
            error_msg("exec: cannot make the corpus folder %s: %s", o->corpus, strerror(errno));
            rl_fuzz_corpus_free(c);
            return RL_EXIT_USAGE;
        }
        struct dirent **names = NULL;
        int n = scandir(o->corpus, &names, NULL, alphasort); /* sorted: the same order each time */
        int rc = n < 0 ? RL_EXIT_USAGE : 0;
        if (n < 0)
            error_msg("exec: cannot read the corpus folder %s: %s", o->corpus, strerror(errno));
        for (int i = 0; i < n; i++) {
            const char *name = names[i]->d_name;
            char *path = xasprintf("%s/%s", o->corpus, name);
            struct stat st;
            if (rc == 0 && name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                char *text = read_small(path);
                int got = text != NULL ? rl_fuzz_entry_load(c, text) : -1;
                if (got == -1) {
                    error_msg("exec: %s is not a fuzz corpus entry (racelab-fuzz-entry 1)", path);
                    rc = RL_EXIT_USAGE;
                } else if (got < 0) {
                    error_msg("exec: out of memory for the fuzz corpus");
                    rc = RL_EXIT_HARNESS;
                }
                *loaded += got == 0;
                free(text);
            }
            free(path);
            free(names[i]);
        }
        free(names);
        if (rc != 0) {
            rl_fuzz_corpus_free(c);
            return rc;
        }
    }
    *out = c;
    return 0;
}

char *exec_fuzz_next(exec_tally *t, uint64_t *seed)
{
    rl_fuzz_schedule s;
    rl_fuzz_next(t->fuzz, &s, seed);
    char *text = xcalloc(RL_FUZZ_TEXT_MAX, 1);
    rl_fuzz_schedule_format(&s, text, RL_FUZZ_TEXT_MAX);
    return text;
}

/* FNV-1a of the text: the entry's file name. */
static uint64_t text_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

void exec_fuzz_feedback(const exec_options *o, exec_tally *t, const char *schedule, uint64_t seed,
                        const exec_sched_run *r, int failed)
{
    rl_fuzz_schedule s;
    if (t->fuzz == NULL || schedule == NULL || rl_fuzz_schedule_parse(schedule, &s) != 0)
        return;
    int k = rl_fuzz_feedback(t->fuzz, &s, seed, r->pairs, r->n_pairs, failed);
    if (k == -2)
        t->error = "out of memory for the fuzz corpus";
    if (k < 0)
        return;
    t->corpus_added++;
    if (o->corpus == NULL)
        return;
    char *text = rl_fuzz_entry_text(t->fuzz, k);
    if (text == NULL) {
        t->error = "out of memory for the fuzz corpus";
        return;
    }
    /* a failed schedule's file is apart from a new-pairs one of the same schedule */
    char *path = xasprintf("%s/entry-%016llx%s", o->corpus, (unsigned long long)text_hash(text),
                           failed ? "-failed" : "");
    if (atomic_write_text(path, text, strlen(text), ATOMIC_REPLACE) != 0)
        t->corpus_unsaved++; /* said in one line by the writer; the search goes on */
    free(path);
    free(text);
}
