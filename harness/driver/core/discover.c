/* discover.c — the scenario programs of a build folder: every executable in
 * BUILD/plain (but libracelab.a and obj/) that answers --describe with a
 * scenario descriptor; BUILD/tsan/<name> is its ThreadSanitizer twin. */
#include "core/discover.h"
#include "core/child.h"
#include "core/json_io.h"
#include "core/runner.h"
#include "core/stacks.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DESCRIBE_LIMIT_S 10.0
#define DESCRIBE_MAX_BYTES (1u << 20)

/* Runs `path --describe`, returns its stdout when it exits 0, else NULL. */
char *describe_output(const char *path)
{
    char *argv[] = {(char *)path, "--describe", NULL};
    char *text = NULL;
    int status = child_capture(argv, 0, DESCRIBE_MAX_BYTES, DESCRIBE_LIMIT_S, &text);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || *text == '\0') {
        free(text); /* a deadline ends it by SIGKILL: not an exit */
        return NULL;
    }
    return text;
}

static char *get_text(const json_object *obj, const char *key, const char *fallback)
{
    const char *s = jstring(jget(obj, key));
    return s != NULL ? xstrdup(s) : fallback != NULL ? xstrdup(fallback) : NULL;
}

/* Fills sc from its descriptor; 0 when it is one. */
static int read_descriptor(scenario_info *sc, const char *text)
{
    json_object *d = NULL;
    const char *err;
    if (jparse(text, strlen(text), &d, &err) != 0)
        return -1;
    json_object *variants = jget(d, "variants");
    if (!jis_object(d) || jstring(jget(d, "name")) == NULL || jlen(variants) == 0) {
        json_object_put(d);
        return -1;
    }
    sc->descriptor = d;
    sc->n_variants = (int)jlen(variants);
    sc->variants = xcalloc(jlen(variants), sizeof *sc->variants);
    for (size_t i = 0; i < jlen(variants); i++) {
        const json_object *v = jat(variants, i);
        variant_info *vi = &sc->variants[i];
        vi->name = get_text(v, "name", "?");
        vi->expectation = get_text(v, "expectation", "?");
        vi->caught_by = get_text(v, "caught_by", "any");
        vi->summary = get_text(v, "summary", "");
        vi->inject = get_text(v, "inject", NULL);
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const scenario_info *)a)->name, ((const scenario_info *)b)->name);
}

static int is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int catalog_load(catalog *cat, const char *build_dir)
{
    memset(cat, 0, sizeof *cat);
    char real[PATH_MAX];
    if (realpath(build_dir, real) != NULL)
        build_dir = real; /* commands in the records work from anywhere */
    cat->build_dir = xstrdup(build_dir);
    char *plain = xasprintf("%s/plain", build_dir);
    DIR *dir = opendir(plain);
    if (dir == NULL) {
        error_msg("no scenario programs: cannot read %s (%s; run 'make')", plain, strerror(errno));
        free(plain);
        return RL_EXIT_HARNESS;
    }
    int cap = 0;
    const struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        const char *name = e->d_name;
        if (name[0] == '.' || strcmp(name, "libracelab.a") == 0 || strcmp(name, "obj") == 0)
            continue;
        char *path = xasprintf("%s/%s", plain, name);
        if (!is_executable_file(path)) {
            free(path);
            continue;
        }
        char *text = describe_output(path);
        scenario_info sc;
        memset(&sc, 0, sizeof sc);
        if (text == NULL || read_descriptor(&sc, text) != 0) {
            warn_msg("%s: not a scenario program (--describe failed); skipped", path);
            free(text);
            free(path);
            continue;
        }
        free(text);
        const char *declared = jstring(jget(sc.descriptor, "name"));
        if (strcmp(declared, name) != 0)
            warn_msg("%s: describes itself as '%s'", path, declared);
        sc.name = xstrdup(name);
        sc.plain_path = path;
        sc.tsan_path = xasprintf("%s/tsan/%s", build_dir, name);
        sc.tsan_built = is_executable_file(sc.tsan_path);
        if (cat->n == cap) {
            cap = cap ? cap * 2 : 32;
            cat->items = xrealloc(cat->items, (size_t)cap * sizeof *cat->items);
        }
        cat->items[cat->n++] = sc;
    }
    closedir(dir);
    if (cat->n == 0) {
        error_msg("no scenario programs in %s (run 'make')", plain);
        free(plain);
        return RL_EXIT_HARNESS;
    }
    free(plain);
    qsort(cat->items, (size_t)cat->n, sizeof *cat->items, by_name);
    return 0;
}

void catalog_free(catalog *cat)
{
    for (int i = 0; i < cat->n; i++) {
        scenario_info *sc = &cat->items[i];
        for (int v = 0; v < sc->n_variants; v++) {
            variant_info *var = &sc->variants[v];
            free(var->name);
            free(var->expectation);
            free(var->caught_by);
            free(var->summary);
            free(var->inject);
        }
        free(sc->variants);
        free(sc->name);
        free(sc->plain_path);
        free(sc->tsan_path);
        json_object_put(sc->descriptor);
    }
    free(cat->items);
    free(cat->build_dir);
    memset(cat, 0, sizeof *cat);
}

const scenario_info *catalog_find(const catalog *cat, const char *name)
{
    for (int i = 0; i < cat->n; i++)
        if (strcmp(cat->items[i].name, name) == 0)
            return &cat->items[i];
    return NULL;
}

char *catalog_names(const catalog *cat)
{
    buffer b = {0};
    for (int i = 0; i < cat->n; i++) {
        if (i)
            buf_append(&b, ", ", 2, SIZE_MAX);
        buf_append(&b, cat->items[i].name, strlen(cat->items[i].name), SIZE_MAX);
    }
    buf_append(&b, "", 1, SIZE_MAX);
    return b.data;
}

#define CHECK_LIMIT_S 10.0

/* The last line of the file that is not blank, without the "NAME: error: "
 * prefix of a program's message; NULL when there is none. */
static char *last_line_of(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *line = NULL, *last = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        const char *text = strstr(line, ": error: ");
        free(last);
        last = xstrdup(text != NULL ? text + 9 : line);
    }
    free(line);
    fclose(f);
    return last;
}

int program_check_args(const char *path, const char *const *args, int n, char **why)
{
    *why = NULL;
    const char *tmp = getenv("TMPDIR");
    char *out = xasprintf("%s/racelab-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(out);
    if (fd < 0) {
        *why = xasprintf("cannot ask it about its arguments: %s", strerror(errno));
        free(out);
        return RL_EXIT_HARNESS;
    }
    close(fd);
    char **argv = xcalloc((size_t)n + 3, sizeof *argv);
    argv[0] = xstrdup(path);
    for (int i = 0; i < n; i++)
        argv[i + 1] = xstrdup(args[i]);
    argv[n + 1] = xstrdup("--describe");
    int status = run_captured(argv, out, CHECK_LIMIT_S);
    free_argv(argv);
    int rc = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : RL_EXIT_HARNESS;
    char *last = rc != 0 ? last_line_of(out) : NULL;
    unlink(out);
    free(out);
    if (rc == RL_EXIT_USAGE) {
        *why = last != NULL ? last : xstrdup("its arguments were refused");
        return rc;
    }
    if (status < 0)
        *why = xstrdup("could not be asked about its arguments");
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        *why = xasprintf("did not answer about its arguments in %.0f s", CHECK_LIMIT_S);
    else if (WIFSIGNALED(status))
        *why = xasprintf("died by %s when asked about its arguments (--describe)%s%s",
                         signal_name(WTERMSIG(status)), last ? ": " : "", last ? last : "");
    else if (!WIFEXITED(status))
        *why = xstrdup("did not answer about its arguments");
    else if (rc != 0)
        *why = xasprintf("exit status %d when asked about its arguments%s%s", rc, last ? ": " : "",
                         last ? last : "");
    free(last);
    return rc == 0 ? 0 : RL_EXIT_HARNESS;
}
