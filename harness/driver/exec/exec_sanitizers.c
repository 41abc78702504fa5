/* exec_sanitizers.c — sanitizer builds under `racelab exec` (docs/sanitizers.md).
 *
 * What each run of a build exec_elf.c recognised gets, in its environment:
 *
 *   ASAN_OPTIONS   abort_on_error=1:halt_on_error=1, then the user's own
 *                  ASAN_OPTIONS (their values win), then what racelab must
 *                  set: verify_asan_link_order=0 (gcc's ASan aborts when its
 *                  runtime is not first in the library list, and the preload
 *                  is), detect_leaks by --leaks, log_path into the run's folder
 *   LSAN_OPTIONS   (LSan alone) the same, with detect_leaks and log_path
 *   UBSAN_OPTIONS  halt_on_error=1:abort_on_error=1:print_stacktrace=1, the
 *                  user's, log_path (UBSan builds, and ASan and MSan builds,
 *                  whose clang runtimes carry UBSan's handlers)
 *   MSAN_OPTIONS   halt_on_error=1:abort_on_error=1, the user's, log_path
 *   RACELAB_CC_LOG (racelab cc builds) where its heap checks report
 *
 * Every log goes to DIR/sanitizer/<run>.<pid>, as TSan's go to DIR/tsan. A
 * report there is the run's outcome: `sanitizer` ("asan: heap-use-after-free
 * at uaf.c:41 in reader"), `leak` (LeakSanitizer's report at exit), or a
 * deadly signal the sanitizer caught ("signal SIGSEGV (caught by ASan) at
 * ..."). The reports are read from these lines, in every sanitizer's format:
 *
 *   ==PID==ERROR: AddressSanitizer: heap-use-after-free on address ...
 *   ==PID==ERROR: LeakSanitizer: detected memory leaks
 *   ==PID==WARNING: MemorySanitizer: use-of-uninitialized-value
 *   FILE:LINE:COL: runtime error: MESSAGE          (UBSan)
 *   ==PID==ERROR: racelab-cc: double-free on address ...   (racelab cc)
 *   SUMMARY: AddressSanitizer: KIND FILE:LINE in FUNCTION
 *   #N 0xADDR in FUNCTION FILE:LINE:COL            (a stack's frames)
 *
 * racelab cc's reports name code by "[pc 0x…]" with the executable's load
 * "base 0x…"; they are named here through exec_symbolise (addr2line), as
 * the scheduler's traces are. */
#include "exec.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* ---- options --------------------------------------------------------------- */

/* DEFAULTS, then the user's NAME, then FORCED: a sanitizer takes the last
 * value of a flag, so the user's override the defaults and racelab's the
 * user's. */
static char *merged(const char *name, const char *defaults, const char *forced)
{
    const char *user = getenv(name);
    return xasprintf("%s%s%s:%s", defaults, user != NULL && *user ? ":" : "",
                     user != NULL ? user : "", forced);
}

int exec_sanitizer_env(const exec_context *x, const char *log_base, exec_env_item out[5])
{
    const exec_program *p = x->p;
    int n = 0, leaks = !x->o->leaks_ignore;
    if (p->sanitizers & RL_SAN_ASAN) {
        char *forced =
            xasprintf("verify_asan_link_order=0:detect_leaks=%d:log_path=%s", leaks, log_base);
        out[n++] = (exec_env_item){
            "ASAN_OPTIONS", merged("ASAN_OPTIONS", "abort_on_error=1:halt_on_error=1", forced)};
        free(forced);
    }
    if (p->sanitizers & RL_SAN_LSAN) {
        char *forced = xasprintf("detect_leaks=%d:log_path=%s", leaks, log_base);
        out[n++] =
            (exec_env_item){"LSAN_OPTIONS", merged("LSAN_OPTIONS", "abort_on_error=1", forced)};
        free(forced);
    }
    char *log = xasprintf("log_path=%s", log_base);
    /* UBSan's handlers may be in an ASan or MSan build without exec_elf.c
     * telling (clang's runtimes carry them): its options go with those too */
    if (p->sanitizers & (RL_SAN_UBSAN | RL_SAN_ASAN | RL_SAN_MSAN))
        out[n++] = (exec_env_item){
            "UBSAN_OPTIONS",
            merged("UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=1:print_stacktrace=1", log)};
    if (p->sanitizers & RL_SAN_MSAN)
        out[n++] = (exec_env_item){"MSAN_OPTIONS",
                                   merged("MSAN_OPTIONS", "halt_on_error=1:abort_on_error=1", log)};
    free(log);
    if (p->cc)
        out[n++] = (exec_env_item){"RACELAB_CC_LOG", xstrdup(log_base)};
    return n;
}

/* ---- reports ----------------------------------------------------------------- */

static char *xstrndup(const char *s, size_t n)
{
    char *d = xcalloc(1, n + 1);
    memcpy(d, s, n);
    return d;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *trimmed(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

static const struct {
    const char *name, *tool;
} tools[] = {{"AddressSanitizer", "asan"},
             {"LeakSanitizer", "lsan"},
             {"MemorySanitizer", "msan"},
             {"UndefinedBehaviorSanitizer", "ubsan"},
             {"racelab-cc", "racelab-cc"}};

/* "heap-use-after-free on address 0x…" -> "heap-use-after-free"; ASan's
 * "attempting double-free on 0x…" -> "double-free". */
static char *kind_of(const char *rest)
{
    if (starts(rest, "attempting "))
        rest += strlen("attempting ");
    size_t n = strcspn(rest, " (:");
    if (starts(rest, "detected memory leaks"))
        n = strlen("detected memory leaks");
    return xstrndup(rest, n);
}

/* "/abs/dir/uaf.c:41:5" shortened against the working directory. */
static char *short_place(const char *where) { return xstrdup(relative_path(where)); }

/* A frame "#3 0x55d1 in reader /src/uaf.c:41:5" of the program's own code:
 * its "uaf.c:41 in reader"; NULL for the runtime's frames (malloc, free,
 * interceptors, compiler-rt sources) and frames without a source line. */
static char *user_frame(const char *line)
{
    const char *in = strstr(line, " in ");
    if (in == NULL)
        return NULL;
    in += 4;
    const char *sp = strchr(in, ' ');
    if (sp == NULL)
        return NULL;
    char *fn = xstrndup(in, (size_t)(sp - in));
    const char *loc = sp + 1;
    static const char *const runtime[] = {
        "__interceptor_", "___interceptor_", "__asan",          "__lsan", "__ubsan",
        "__msan",         "__sanitizer",     "malloc",          "calloc", "realloc",
        "free",           "operator new",    "operator delete", "_Znwm",  "_ZdlPv",
        "posix_memalign", "aligned_alloc",   "memalign"};
    int skip = *loc == '(' || strchr(loc, ':') == NULL || strstr(loc, "sanitizer") != NULL ||
               strstr(loc, "compiler-rt") != NULL;
    for (size_t i = 0; !skip && i < sizeof runtime / sizeof *runtime; i++)
        skip = strcmp(fn, runtime[i]) == 0 || starts(fn, "__interceptor_") ||
               starts(fn, "__asan") || starts(fn, "__sanitizer");
    if (skip) {
        free(fn);
        return NULL;
    }
    char *place = xstrndup(loc, strcspn(loc, " "));
    /* drop the column: "uaf.c:41:5" -> "uaf.c:41" */
    char *last = strrchr(place, ':'), *first = strchr(place, ':');
    if (last != NULL && last != first)
        *last = '\0';
    char *s = xasprintf("%s in %s", relative_path(place), fn);
    free(fn);
    free(place);
    return s;
}

/* One sanitizer log read line by line: a small state machine over the
 * report's sections, one function so its states stay side by side (over 80
 * lines for that reason). */
static void read_log(const char *path, exec_san_report *r)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char *raw = NULL;
    size_t cap = 0;
    int mine = 0; /* the lines belong to the first report */
    while (getline(&raw, &cap, f) >= 0) {
        char *line = trimmed(raw);
        const char *tag = NULL;
        if (line[0] == '=' && line[1] == '=') {
            tag = strstr(line, "==ERROR: ");
            if (tag == NULL)
                tag = strstr(line, "==WARNING: ");
        }
        const char *rt = strstr(line, ": runtime error: ");
        if (tag != NULL) {
            const char *body = strchr(tag + 2, ' ') + 1;
            for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
                size_t n = strlen(tools[i].name);
                if (strncmp(body, tools[i].name, n) != 0 || strncmp(body + n, ": ", 2) != 0)
                    continue;
                r->reports++;
                mine = r->reports == 1;
                if (mine) {
                    r->tool = tools[i].tool;
                    r->kind = kind_of(body + n + 2);
                    r->leak = strcmp(r->kind, "detected memory leaks") == 0;
                    r->file = xstrdup(path);
                }
            }
            continue;
        }
        if (rt != NULL && r->reports == 0) { /* UBSan: FILE:LINE:COL: runtime error: ... */
            r->reports++;
            mine = 1;
            r->tool = "ubsan";
            r->kind = xstrdup("runtime-error");
            char *place = xstrndup(line, (size_t)(rt - line));
            r->where = short_place(place);
            free(place);
            r->detail = xstrdup(rt + strlen(": runtime error: "));
            r->file = xstrdup(path);
            continue;
        }
        if (!mine)
            continue;
        if (starts(line, "SUMMARY: ")) {
            mine = 0;
            const char *rest = strchr(line + 9, ':');
            if (rest == NULL)
                continue;
            rest += 2;
            if (r->leak) {
                if (r->detail == NULL) { /* "16 byte(s) leaked in 2 allocation(s)." */
                    r->detail = xstrdup(rest);
                    size_t n = strlen(r->detail);
                    if (n > 0 && r->detail[n - 1] == '.')
                        r->detail[n - 1] = '\0';
                }
                continue;
            }
            /* "heap-use-after-free /src/uaf.c:41 in reader" */
            const char *sp = strchr(rest, ' ');
            if (sp != NULL && r->where == NULL && sp[1] == '/' && strchr(sp, ':') != NULL) {
                char *place = xstrndup(sp + 1, strcspn(sp + 1, " "));
                char *last = strrchr(place, ':'), *first = strchr(place, ':');
                if (last != NULL && last != first)
                    *last = '\0';
                const char *in = strstr(sp + 1, " in ");
                r->where = in != NULL ? xasprintf("%s%s", relative_path(place), in)
                                      : xstrdup(relative_path(place));
                free(place);
            }
            continue;
        }
        if (starts(line, "base 0x"))
            r->base = strtoull(line + 5, NULL, 16);
        else if (starts(line, "at [pc 0x") && r->where == NULL)
            r->where = xstrdup(line + 3);
        else if (starts(line, "freed at [pc 0x") && r->detail == NULL)
            r->detail = xstrdup(line);
        else if (line[0] == '#' && r->where == NULL)
            r->where = user_frame(line);
        else if (starts(line, "freed by thread") && r->detail == NULL)
            r->freed_next = 1;
        else if (starts(line, "previously allocated by thread"))
            r->freed_next = 0;
        else if (line[0] == '#' && r->freed_next && r->freed == NULL)
            r->freed = user_frame(line);
    }
    free(raw);
    fclose(f);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "[pc 0x…]" named: "uaf.c:41 in reader", the brackets gone when named. */
static char *named(const exec_context *x, uint64_t base, char *text)
{
    if (text == NULL)
        return NULL;
    char *s = exec_symbolise(x->p->path, base, text);
    free(text);
    char *open = strchr(s, '[');
    if (open != NULL && !starts(open, "[pc ")) {
        char *close = strchr(open, ']');
        if (close != NULL) {
            memmove(close, close + 1, strlen(close + 1) + 1);
            memmove(open, open + 1, strlen(open + 1) + 1);
        }
    }
    return s;
}

void exec_sanitizer_read(const exec_context *x, const char *dir, const char *label,
                         exec_san_report *r)
{
    memset(r, 0, sizeof *r);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    char **names = NULL;
    int n = 0;
    size_t len = strlen(label);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, label, len) == 0 && e->d_name[len] == '.') {
            names = xrealloc(names, (size_t)(n + 1) * sizeof *names);
            names[n++] = xasprintf("%s/%s", dir, e->d_name);
        }
    closedir(d);
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        read_log(names[i], r);
        free(names[i]);
    }
    free(names);
    if (r->tool != NULL && strcmp(r->tool, "racelab-cc") == 0) {
        r->where = named(x, r->base, r->where);
        r->detail = named(x, r->base, r->detail);
    }
    if (r->freed != NULL && r->detail == NULL) {
        r->detail = xasprintf("freed at %s", r->freed);
    }
}

/* SEGV, BUS, FPE, ILL caught by the sanitizer: the signal's name, or NULL. */
const char *exec_sanitizer_signal(const exec_san_report *r)
{
    static const struct {
        const char *word, *signal;
    } map[] = {{"SEGV", "SIGSEGV"}, {"BUS", "SIGBUS"}, {"FPE", "SIGFPE"}, {"ILL", "SIGILL"}};
    for (size_t k = 0; r->kind != NULL && k < sizeof map / sizeof map[0]; k++)
        if (strcmp(r->kind, map[k].word) == 0)
            return map[k].signal;
    return NULL;
}

char *exec_sanitizer_cause(const exec_san_report *r)
{
    const char *sig = exec_sanitizer_signal(r);
    const char *where = r->where != NULL ? r->where : "an unknown place";
    if (r->leak)
        return xasprintf("leak: %s%s%s", r->detail != NULL ? r->detail : "memory leaked",
                         r->where != NULL ? ", allocated at " : "",
                         r->where != NULL ? r->where : "");
    if (sig != NULL)
        return xasprintf("signal %s (caught by %s) at %s", sig, r->tool, where);
    if (strcmp(r->tool, "racelab-cc") == 0)
        return xasprintf("%s at %s%s%s%s", r->kind, where, r->detail != NULL ? " (" : "",
                         r->detail != NULL ? r->detail : "", r->detail != NULL ? ")" : "");
    if (strcmp(r->tool, "ubsan") == 0)
        return xasprintf("ubsan: %s at %s", r->detail != NULL ? r->detail : r->kind, where);
    return xasprintf("%s: %s at %s%s%s%s", r->tool, r->kind, where, r->detail != NULL ? " (" : "",
                     r->detail != NULL ? r->detail : "", r->detail != NULL ? ")" : "");
}

void exec_sanitizer_free(exec_san_report *r)
{
    free(r->kind);
    free(r->where);
    free(r->detail);
    free(r->freed);
    free(r->file);
    memset(r, 0, sizeof *r);
}
