/* tsanlog.c — reading ThreadSanitizer log files (TSAN_OPTIONS log_path=P
 * writes P.<pid>). A report sits between two lines of 18 '=', headed
 * `WARNING: ThreadSanitizer: <kind> (pid=N)` and closed by a `SUMMARY:` line.
 * Reports are counted by kind and deduplicated into sites: the kind plus the
 * first non-interceptor frame of each of the report's stacks (the access,
 * mutex and leak stacks; thread-creation, heap-block and "as if synchronized
 * via sleep" stacks only when a report has no other). Interceptors are the
 * sanitizer's own frames (__interceptor_*, __tsan_*, compiler-rt sources) and
 * frames without a source line (pthread_mutex_lock <null>: the runtime linked
 * into the program), and the racelab runtime's rl_* wrappers. The exit code
 * 66 alone is never taken as evidence. */
#include "core/tsanlog.h"
#include "core/json_io.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEPARATOR "=================="

char *tsan_run_options(const char *log_base, const char *extra)
{
    const char *user = getenv("TSAN_OPTIONS");
    return xasprintf("%s%slog_path=%s:atexit_sleep_ms=0:second_deadlock_stack=1%s",
                     user != NULL ? user : "", user != NULL && *user ? ":" : "", log_base, extra);
}

typedef struct {
    char **items;
    int n, cap;
} strlist;

static void list_add(strlist *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = xrealloc(l->items, (size_t)l->cap * sizeof(char *));
    }
    l->items[l->n++] = s;
}

static void list_free(strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* One report being read. */
typedef struct {
    int open;
    int complete;
    char *kind;
    strlist primary, secondary; /* chosen frame of each stack */
    /* the stack being read */
    int in_stack;
    int stack_secondary;
    char *best, *ok, *any;
    char *header; /* last line that was not a frame */
} report;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "#3 func file.c:12:5 (prog+0x1234) (BuildId: ab12)" -> "func file.c:12:5" */
static char *frame_text(const char *line)
{
    const char *p = line + 1;
    while (*p >= '0' && *p <= '9')
        p++;
    while (*p == ' ')
        p++;
    char *s = xstrdup(p);
    for (;;) {
        size_t n = strlen(s);
        if (n == 0 || s[n - 1] != ')')
            break;
        char *open = strrchr(s, '(');
        if (open == NULL || open == s || open[-1] != ' ')
            break;
        if (!starts(open, "(BuildId:") && strstr(open, "+0x") == NULL)
            break;
        open[-1] = '\0';
    }
    return s;
}

/* The runtime's thin wrappers (rl_mutex_lock around pthread_mutex_lock,
 * rl_point_hit...) stand where an interceptor stands: every report would
 * share them. */
static int runtime_wrapper(const char *frame)
{
    return starts(frame, "rl_") &&
           (strstr(frame, "/harness/") != NULL || strstr(frame, "/injectors/") != NULL ||
            starts(strchr(frame, ' ') ? strchr(frame, ' ') + 1 : "", "harness/"));
}

static int interceptor_name(const char *frame)
{
    if (runtime_wrapper(frame))
        return 1;
    static const char *const prefixes[] = {"__interceptor_", "___interceptor_", "__tsan",
                                           "__sanitizer",    "__asan",          "__ubsan",
                                           "__lsan",         "__msan",          "__interception"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (starts(frame, prefixes[i]))
            return 1;
    return strstr(frame, "/sanitizer_common/") != NULL || strstr(frame, "/tsan/rtl/") != NULL ||
           strstr(frame, "compiler-rt/") != NULL || strstr(frame, "tsan_interceptors") != NULL;
}

/* A frame with a source location: "func file:line"; runtime code linked
 * into the program (interceptors such as pthread_mutex_lock) shows <null>. */
static int has_source(const char *frame)
{
    const char *space = strchr(frame, ' ');
    return space != NULL && strstr(space, "<null>") == NULL && strchr(space, ':') != NULL;
}

static void end_stack(report *r)
{
    if (!r->in_stack)
        return;
    char *chosen = r->best ? r->best : r->ok ? r->ok : r->any;
    if (chosen != NULL)
        list_add(r->stack_secondary ? &r->secondary : &r->primary, xstrdup(chosen));
    free(r->best);
    free(r->ok);
    free(r->any);
    r->best = r->ok = r->any = NULL;
    r->in_stack = 0;
}

static void frame_line(report *r, const char *line)
{
    if (!r->in_stack) {
        const char *h = r->header ? r->header : "";
        r->in_stack = 1;
        r->stack_secondary = starts(h, "Thread T") || starts(h, "Location is") ||
                             strstr(h, "created by") != NULL || starts(h, "As if synchronized");
    }
    char *f = frame_text(line);
    if (r->any == NULL)
        r->any = xstrdup(f);
    if (!interceptor_name(f)) {
        if (r->ok == NULL)
            r->ok = xstrdup(f);
        if (r->best == NULL && has_source(f))
            r->best = xstrdup(f);
    }
    free(f);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define HASH_START 14695981039346656037ULL

static uint64_t kind_hash_of(const void *ctx, int i)
{
    return hash_text(HASH_START, ((const tsan_summary *)ctx)->kinds[i]);
}

static int same_kind(const void *ctx, int i, const void *key)
{
    return strcmp(((const tsan_summary *)ctx)->kinds[i], key) == 0;
}

static void add_kind(tsan_summary *t, const char *kind)
{
    uint64_t h = hash_text(HASH_START, kind);
    int i = hash_index_find(&t->kind_index, h, kind, same_kind, t);
    if (i >= 0) {
        t->kind_counts[i]++;
        return;
    }
    if (t->n_kinds == t->kinds_cap) {
        t->kinds_cap = t->kinds_cap ? t->kinds_cap * 2 : 8;
        t->kinds = xrealloc(t->kinds, (size_t)t->kinds_cap * sizeof *t->kinds);
        t->kind_counts = xrealloc(t->kind_counts, (size_t)t->kinds_cap * sizeof *t->kind_counts);
    }
    t->kinds[t->n_kinds] = xstrdup(kind);
    t->kind_counts[t->n_kinds] = 1;
    hash_index_add(&t->kind_index, h, t->n_kinds++, kind_hash_of, t);
}

typedef struct {
    const char *kind, *frames;
} site_key;

static uint64_t site_hash(const char *kind, const char *frames)
{
    return hash_text(hash_text(HASH_START, kind), frames);
}

static uint64_t site_hash_of(const void *ctx, int i)
{
    const tsan_site *s = &((const tsan_summary *)ctx)->sites[i];
    return site_hash(s->kind, s->frames);
}

static int same_site(const void *ctx, int i, const void *key)
{
    const tsan_site *s = &((const tsan_summary *)ctx)->sites[i];
    const site_key *k = key;
    return strcmp(s->kind, k->kind) == 0 && strcmp(s->frames, k->frames) == 0;
}

static void add_site(tsan_summary *t, const char *kind, const char *frames)
{
    uint64_t h = site_hash(kind, frames);
    site_key key = {kind, frames};
    int i = hash_index_find(&t->site_index, h, &key, same_site, t);
    if (i >= 0) {
        t->sites[i].count++;
        return;
    }
    if (t->n_sites == t->sites_cap) {
        t->sites_cap = t->sites_cap ? t->sites_cap * 2 : 8;
        t->sites = xrealloc(t->sites, (size_t)t->sites_cap * sizeof *t->sites);
    }
    t->sites[t->n_sites] = (tsan_site){xstrdup(kind), xstrdup(frames), 1};
    hash_index_add(&t->site_index, h, t->n_sites++, site_hash_of, t);
}

static void end_report(tsan_summary *t, report *r)
{
    if (!r->open)
        return;
    end_stack(r);
    strlist *l = r->primary.n > 0 ? &r->primary : &r->secondary;
    if (l->n > 1)
        qsort(l->items, (size_t)l->n, sizeof(char *), by_string);
    buffer key = {0};
    buf_append(&key, "", 0, SIZE_MAX);
    for (int i = 0; i < l->n; i++) {
        if (i > 0 && strcmp(l->items[i], l->items[i - 1]) == 0)
            continue;
        if (key.len)
            buf_append(&key, " | ", 3, SIZE_MAX);
        buf_append(&key, l->items[i], strlen(l->items[i]), SIZE_MAX);
    }
    t->reports++;
    if (!r->complete)
        t->incomplete++;
    add_kind(t, r->kind);
    add_site(t, r->kind, key.data ? key.data : "");
    buf_free(&key);
    list_free(&r->primary);
    list_free(&r->secondary);
    free(r->kind);
    free(r->header);
    memset(r, 0, sizeof *r);
}

/* "WARNING: ThreadSanitizer: data race (pid=12)" -> "data race" */
static char *kind_of(const char *header)
{
    const char *p = strstr(header, "ThreadSanitizer: ");
    char *k = xstrdup(p ? p + strlen("ThreadSanitizer: ") : header);
    char *pid = strstr(k, " (pid=");
    if (pid != NULL)
        *pid = '\0';
    return k;
}

/* The file at PATH open for reading when it is a regular file (a FIFO is not
 * waited on: O_NONBLOCK), else NULL and *why. */
static FILE *open_log(const char *path, const char **why)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    *why = NULL;
    if (fd < 0 || fstat(fd, &st) != 0) {
        *why = strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        *why = S_ISDIR(st.st_mode) ? "a directory, not a log file" : "not a regular file";
    } else {
        FILE *f = fdopen(fd, "r");
        if (f != NULL)
            return f;
        *why = strerror(errno);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

int tsan_parse_file(tsan_summary *t, const char *path, const char **why)
{
    FILE *f = open_log(path, why);
    if (f == NULL)
        return -1;
    t->files = xrealloc(t->files, (size_t)(t->n_files + 1) * sizeof *t->files);
    t->files[t->n_files++] = xstrdup(path);
    report r;
    memset(&r, 0, sizeof r);
    char *raw = NULL;
    size_t cap = 0;
    while (getline(&raw, &cap, f) >= 0) {
        char *line = trim(raw);
        if (strcmp(line, SEPARATOR) == 0) {
            end_report(t, &r); /* a report ends at its closing separator */
        } else if (starts(line, "WARNING: ThreadSanitizer: ")) {
            end_report(t, &r);
            r.open = 1;
            r.kind = kind_of(line);
        } else if (!r.open) {
            continue;
        } else if (starts(line, "SUMMARY: ThreadSanitizer")) {
            r.complete = 1;
            end_report(t, &r);
        } else if (line[0] == '#' && line[1] >= '0' && line[1] <= '9') {
            frame_line(&r, line);
        } else {
            end_stack(&r);
            if (*line != '\0') {
                free(r.header);
                r.header = xstrdup(line);
            }
        }
    }
    end_report(t, &r);
    free(raw);
    fclose(f);
    return 0;
}

void tsan_parse_prefix(tsan_summary *t, const char *dir, const char *base)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    strlist names = {0};
    size_t n = strlen(base);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, base, n) == 0 && e->d_name[n] == '.')
            list_add(&names, xasprintf("%s/%s", dir, e->d_name));
    closedir(d);
    if (names.n > 1)
        qsort(names.items, (size_t)names.n, sizeof(char *), by_string);
    const char *why;
    for (int i = 0; i < names.n; i++)
        if (tsan_parse_file(t, names.items[i], &why) != 0)
            warn_msg("%s: %s", names.items[i], why);
    list_free(&names);
}

json_object *tsan_to_json(const tsan_summary *t)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "reports", jcount(t->reports));
    json_object *kinds = json_object_new_object();
    for (int i = 0; i < t->n_kinds; i++)
        json_object_object_add(kinds, t->kinds[i], jcount(t->kind_counts[i]));
    json_object_object_add(o, "kinds", kinds);
    json_object *sites = json_object_new_array();
    for (int i = 0; i < t->n_sites; i++) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "kind", jtext(t->sites[i].kind));
        json_object *frames = json_object_new_array();
        char *copy = xstrdup(t->sites[i].frames);
        char *p = copy;
        while (*p) {
            char *sep = strstr(p, " | ");
            if (sep != NULL)
                *sep = '\0';
            json_object_array_add(frames, jtext(p));
            if (sep == NULL)
                break;
            p = sep + 3;
        }
        free(copy);
        json_object_object_add(s, "frames", frames);
        json_object_object_add(s, "count", jcount(t->sites[i].count));
        json_object_array_add(sites, s);
    }
    json_object_object_add(o, "sites", sites);
    json_object_object_add(o, "unique_sites", jcount((unsigned long long)t->n_sites));
    json_object_object_add(o, "incomplete", jcount(t->incomplete));
    json_object *files = json_object_new_array();
    for (int i = 0; i < t->n_files; i++)
        json_object_array_add(files, jtext(t->files[i]));
    json_object_object_add(o, "files", files);
    return o;
}

void tsan_free(tsan_summary *t)
{
    for (int i = 0; i < t->n_kinds; i++)
        free(t->kinds[i]);
    for (int i = 0; i < t->n_sites; i++) {
        free(t->sites[i].kind);
        free(t->sites[i].frames);
    }
    for (int i = 0; i < t->n_files; i++)
        free(t->files[i]);
    free(t->kinds);
    free(t->kind_counts);
    free(t->sites);
    free(t->files);
    hash_index_free(&t->kind_index);
    hash_index_free(&t->site_index);
    memset(t, 0, sizeof *t);
}
