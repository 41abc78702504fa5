/* exec_sched.c — the driver's half of `racelab exec --mode sched`:
 *
 *   - each run's schedule report (exec_sched_report.h), read and removed
 *     once the run is over: its status (exited, deadlock, diverged,
 *     livelock), its choices, what it left out of control, its trace;
 *   - the addresses in deadlock reports and traces named: code addresses
 *     ("[pc 0x…]", return addresses) by addr2line on the program, at their
 *     offset from the load address the library reported; data addresses
 *     ("mutex@0x…") by the program's symbol table (nm), as "accounts+8" —
 *     all here, never in the program;
 *   - dfs: the strategy lives here, across runs (each run is one process):
 *     the driver passes each run its prefix (RACELAB_EXEC_SCHEDULE) and feeds
 *     what the run saw back into the strategy.
 * --shrink, whose trials are runs graded like any, is exec_shrink.c's. */
#include "core/child.h"
#include "exec/exec.h"

#include "../../../injectors/exec/preload/exec_sched_report.h"
#include "../../../injectors/sched/sched_shrink.h"
#include "../../../injectors/sched/schedule_text.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a run's report ---------------------------------------------------------- */

int exec_sched_read(const char *dir, const char *label, pid_t pid, exec_sched_run *r)
{
    free(r->trace);
    /* all but the per-step arrays and the pairs, which are read only below
     * `steps` and `n_pairs`: clearing their 13 MB took most of the driver's
     * time a run */
    memset(r, 0, offsetof(exec_sched_run, choices));
    memset(r->waits, 0, sizeof r->waits);
    r->trace = NULL;
    r->n_pairs = 0;
    char *path = xasprintf("%s/%s.%ld" RL_EXEC_SCHED_SUFFIX, dir, label, (long)pid);
    /* mapped, not read: the file is 3 MB but sparse, and only the steps the
     * run took are touched */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    const rl_exec_sched_report *map = MAP_FAILED;
    if (fd >= 0 && fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof *map)
        map = mmap(NULL, sizeof *map, PROT_READ, MAP_PRIVATE, fd, 0);
    if (fd >= 0)
        close(fd);
    unlink(path);
    free(path);
    if (map == MAP_FAILED)
        return -1;
    const rl_exec_sched_report *rp = map;
    if (rp->magic != RL_EXEC_SCHED_MAGIC || rp->steps < 0 || rp->steps > RL_SCHED_MAX_STEPS) {
        munmap((void *)map, sizeof *map);
        return -1;
    }
    r->present = 1;
    r->status = rp->status;
    r->steps = rp->steps;
    r->preemptions = rp->preemptions;
    r->threads = rp->threads;
    r->left_control = rp->left_control;
    r->unrecorded = rp->unrecorded;
    r->unscheduled = rp->unscheduled;
    r->diverged_to = rp->diverged_to;
    r->spins = rp->spins;
    r->spin_thread = rp->spin_thread;
    r->spin_site = rp->spin_site;
    r->base = rp->exe_base;
    r->n_pairs = rp->n_pairs >= 0 && rp->n_pairs <= RL_SCHED_MAX_PAIRS ? rp->n_pairs : 0;
    for (int i = 0; i < r->n_pairs; i++)
        r->pairs[i] = (rl_sched_pair){rp->pairs[i][0], rp->pairs[i][1]};
    for (int i = 0; i < rp->steps; i++) {
        r->choices[i] = rp->chosen[i];
        r->current[i] = rp->current[i];
        r->yielding[i] = rp->yielding[i];
        r->runnable[i] = rp->runnable[i];
    }
    snprintf(r->waits, sizeof r->waits, "%.*s", (int)sizeof rp->waits - 1, rp->waits);
    size_t trace_len = strnlen(rp->trace, sizeof rp->trace - 1);
    if (trace_len > 0) {
        r->trace = xcalloc(trace_len + 1, 1);
        memcpy(r->trace, rp->trace, trace_len);
    }
    munmap((void *)map, sizeof *map);
    return 0;
}

char *exec_sched_schedule(const exec_sched_run *r)
{
    size_t cap = (size_t)r->steps * 4 + 16;
    char *text = xcalloc(cap, 1);
    rl_schedule_format(r->choices, r->steps, text, cap);
    return text;
}

/* ---- naming addresses --------------------------------------------------------- */

typedef struct {
    uint64_t value, size;
    char *name;
} data_symbol;

static data_symbol *symbols;
static int n_symbols;
static char *symbols_of; /* the program they are of */

#define TOOL_LIMIT_S 60.0
#define TOOL_OUTPUT_CAP (64u << 20)

/* What a tool (nm, addr2line, found through PATH) printed on stdout; "" when
 * it could not run. */
static char *tool_output(char *const *argv)
{
    char *text = NULL;
    if (child_capture(argv, 1, TOOL_OUTPUT_CAP, TOOL_LIMIT_S, &text) == -1)
        text = xstrdup("");
    return text;
}

static void load_symbols(const char *program)
{
    if (symbols_of != NULL && strcmp(symbols_of, program) == 0)
        return;
    for (int i = 0; i < n_symbols; i++)
        free(symbols[i].name);
    free(symbols);
    free(symbols_of);
    symbols = NULL;
    n_symbols = 0;
    symbols_of = xstrdup(program);
    char *argv[] = {"nm", "-S", "--defined-only", (char *)program, NULL};
    char *text = tool_output(argv);
    char *save = NULL;
    for (char *buf = strtok_r(text, "\n", &save); buf != NULL; buf = strtok_r(NULL, "\n", &save)) {
        uint64_t value, size;
        char type, name[400];
        if (sscanf(buf, "%" SCNx64 " %" SCNx64 " %c %399s", &value, &size, &type, name) != 4)
            continue;
        if (strchr("bBdDrRvV", type) == NULL || size == 0)
            continue;
        symbols = xrealloc(symbols, (size_t)(n_symbols + 1) * sizeof *symbols);
        symbols[n_symbols++] = (data_symbol){value, size, xstrdup(name)};
    }
    free(text);
}

/* "name+off" of a data address, or NULL. */
static char *data_name(uint64_t offset)
{
    for (int i = 0; i < n_symbols; i++)
        if (offset >= symbols[i].value && offset < symbols[i].value + symbols[i].size)
            return offset == symbols[i].value
                       ? xstrdup(symbols[i].name)
                       : xasprintf("%s+%" PRIu64, symbols[i].name, offset - symbols[i].value);
    return NULL;
}

#define MAX_PCS 512

/* file:line (function) of each pc, by one addr2line; NULL where unknown. */
static void code_names(const char *program, uint64_t base, const uint64_t *pcs, int n, char **out)
{
    for (int i = 0; i < n; i++)
        out[i] = NULL;
    if (n == 0)
        return;
    char **argv = xcalloc((size_t)n + 6, sizeof *argv); /* NULL-ended */
    int k = 0;
    argv[k++] = "addr2line";
    argv[k++] = "-f";
    argv[k++] = "-e";
    argv[k++] = (char *)program;
    for (int i = 0; i < n; i++) /* a return address: the call is the byte before */
        argv[k++] = xasprintf("0x%" PRIx64, pcs[i] - base - 1);
    char *text = tool_output(argv);
    for (int i = 4; i < k; i++)
        free(argv[i]);
    free(argv);
    FILE *p = fmemopen(text, strlen(text), "r");
    if (p == NULL) {
        free(text);
        return;
    }
    char fn[512], where[1024];
    for (int i = 0; i < n && fgets(fn, sizeof fn, p) != NULL && fgets(where, sizeof where, p);
         i++) {
        fn[strcspn(fn, "\n")] = '\0';
        where[strcspn(where, " \n")] = '\0';
        size_t len = strlen(where);
        if (strncmp(where, "??", 2) == 0 || strstr(where, ":?") != NULL ||
            (len >= 2 && strcmp(where + len - 2, ":0") == 0))
            continue; /* no line known */
        out[i] = strcmp(fn, "??") != 0 ? xasprintf("%s in %s", relative_path(where), fn)
                                       : xstrdup(relative_path(where));
    }
    fclose(p);
    free(text);
}

char *exec_symbolise(const char *program, uint64_t base, const char *text)
{
    if (text == NULL)
        return NULL;
    load_symbols(program);
    uint64_t pcs[MAX_PCS];
    int n = 0;
    for (const char *s = strstr(text, "[pc 0x"); s != NULL; s = strstr(s + 1, "[pc 0x")) {
        uint64_t pc = strtoull(s + 4, NULL, 16);
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = pcs[i] == pc;
        if (!seen && n < MAX_PCS && pc > base)
            pcs[n++] = pc;
    }
    char *names[MAX_PCS];
    code_names(program, base, pcs, n, names);
    buffer out = {0};
    const char *s = text;
    while (*s != '\0') {
        if (strncmp(s, "[pc 0x", 6) == 0) {
            char *end = NULL;
            uint64_t pc = strtoull(s + 4, &end, 16);
            const char *name = NULL;
            for (int i = 0; i < n && name == NULL; i++)
                if (pcs[i] == pc)
                    name = names[i];
            if (name != NULL && *end == ']') {
                buf_append(&out, "[", 1, SIZE_MAX);
                buf_append(&out, name, strlen(name), SIZE_MAX);
                s = end;
                continue;
            }
        } else if (s[0] == '@' && s[1] == '0' && s[2] == 'x') {
            char *end = NULL;
            uint64_t addr = strtoull(s + 1, &end, 16);
            char *name = addr > base ? data_name(addr - base) : NULL;
            if (name != NULL) {
                buf_append(&out, "@", 1, SIZE_MAX);
                buf_append(&out, name, strlen(name), SIZE_MAX);
                free(name);
                s = end;
                continue;
            }
        }
        buf_append(&out, s, 1, SIZE_MAX);
        s++;
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    char *result = xstrdup(out.data != NULL ? out.data : "");
    buf_free(&out);
    return result;
}

/* ---- dfs across runs ----------------------------------------------------------- */

int exec_sched_feed(rl_sched_strategy *dfs, const exec_sched_run *r)
{
    dfs->new_trial(dfs, 1);
    for (int i = 0; i < r->steps; i++)
        if (!rl_tset_empty(&r->runnable[i])) {
            rl_sched_decision d = {i, r->current[i], &r->runnable[i], r->yielding[i], 0, NULL};
            dfs->choose(dfs, &d);
        }
    return dfs->trial_done(dfs, r->steps);
}

char *exec_sched_prefix(const rl_sched_strategy *dfs)
{
    const int *prefix = NULL;
    int n = rl_strategy_dfs_prefix(dfs, &prefix);
    if (n == 0)
        return NULL;
    size_t cap = (size_t)n * 4 + 16;
    char *text = xcalloc(cap, 1);
    rl_schedule_format(prefix, n, text, cap);
    return text;
}
