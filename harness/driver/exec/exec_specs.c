/* exec_specs.c — what every run of an exec invocation gets, decided and
 * checked once before the first run:
 *
 *   the specs: the profile's first (`default` when neither --profile nor
 *     --inject is given, as in a scenario's fuzz mode), then --inject's; each
 *     parsed by the scenario points' parser (rl_parse_inject) and matched
 *     against the exec points (exec_points.h); `fail` is refused — exec
 *     points are not fault points;
 *   --posix-faults, parsed by the scenario runtime's parser
 *     (rl_parse_posix_fault) into libfiu's commands (FIU_ENABLE);
 *   LD_PRELOAD: the user's own, then libfiu's run and POSIX preloads (with
 *     --posix-faults), then libracelab-exec.so.
 *
 * A profile's spec comes from a scenario program, which knows the profiles
 * (injectors/points keeps the table to itself): `PROGRAM --mode fuzz
 * --profile NAME --trials 1 --json` and the record's profile_spec. */
#include "core/json_io.h"
#include "core/paths.h"
#include "core/stacks.h"
#include "exec/exec.h"

#include "../../../injectors/points/points.h"
#include "../../../injectors/points/posix_faults.h"

#include <dirent.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIU_LIB_DIR "/usr/lib/fiu"
#define PROFILE_ASK_LIMIT_S 30.0

/* rl_parse_posix_fault asks whether the program it is for is a TSan build
 * (malloc faults do nothing under TSan's allocator): the scenario runtime
 * answers for itself, exec mode for PROGRAM. */
static int program_is_tsan;
/* The runtime's hook (harness/runtime/internal.h), which the linked
 * POSIX-fault parser asks: the driver answers for the program it runs. */
int rl_flavour_is_tsan(void); /* NOLINT(misc-*) */
int rl_flavour_is_tsan(void) { return program_is_tsan; }

/* The first scenario program in build/plain (sorted by name). */
static char *any_scenario_program(void)
{
    char *dir = rl_home_file("plain");
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    char *found = NULL;
    for (int i = 0; i < n; i++) {
        char *full = xasprintf("%s/%s", dir, names[i]->d_name);
        struct stat st;
        if (found == NULL && stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
            found = full;
        else
            free(full);
        free(names[i]);
    }
    free(names);
    free(dir);
    return found;
}

static char *read_file_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    buffer b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n, 1u << 20);
    fclose(f);
    return b.data != NULL ? b.data : xstrdup("");
}

/* The spec of profile NAME (NULL for one that injects nothing). Returns 0,
 * RL_EXIT_USAGE (an unknown profile) or RL_EXIT_HARNESS. */
static int profile_spec(const char *name, char **spec)
{
    *spec = NULL;
    char *prog = any_scenario_program();
    if (prog == NULL) {
        error_msg("exec: no scenario program in build/plain to resolve profile '%s' (make)", name);
        return RL_EXIT_HARNESS;
    }
    char tmp[] = "/tmp/racelab-profile-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(prog);
        error_msg("exec: cannot make a temporary file");
        return RL_EXIT_HARNESS;
    }
    close(fd);
    char *argv[] = {prog, "--mode", "fuzz", "--profile", (char *)name, "--trials",
                    "1",  "--seed", "1",    "--json",    NULL};
    int status = run_captured(argv, tmp, PROFILE_ASK_LIMIT_S);
    char *text = read_file_text(tmp);
    unlink(tmp);
    free(prog);
    int rc = RL_EXIT_HARNESS;
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == RL_EXIT_USAGE) {
        const char *why = text != NULL ? strstr(text, "error: ") : NULL;
        char *line = xstrdup(why != NULL ? why + 7 : "unknown profile");
        line[strcspn(line, "\n")] = '\0';
        error_msg("exec: %s", line);
        free(line);
        rc = RL_EXIT_USAGE;
    } else {
        char *l = text;
        while (l != NULL && *l != '\0') {
            char *nl = strchr(l, '\n');
            if (nl != NULL)
                *nl = '\0';
            json_object *rec = NULL, *v = NULL;
            const char *why = NULL;
            if (*l != '{' || jparse(l, strlen(l), &rec, &why) != 0)
                rec = NULL; /* not the record line */
            if (rec != NULL && json_object_object_get_ex(rec, "profile_spec", &v)) {
                free(*spec);
                *spec = v != NULL ? xstrdup(json_object_get_string(v)) : NULL;
                rc = 0;
            }
            json_object_put(rec);
            l = nl != NULL ? nl + 1 : NULL;
        }
        if (rc != 0)
            error_msg("exec: could not learn profile '%s' from a scenario program", name);
    }
    free(text);
    return rc;
}

static int check_spec(const char *text)
{
    rl_inject_spec spec;
    char err[512];
    if (rl_parse_inject(text, &spec, err, sizeof err) != 0) {
        error_msg("exec: %s", err);
        return RL_EXIT_USAGE;
    }
    if (spec.action == RL_ACT_FAIL) {
        error_msg("exec: bad --inject '%s': exec points are not fault points (fail); "
                  "real faults come from --posix-faults",
                  text);
        return RL_EXIT_USAGE;
    }
    for (int p = 0; p < RL_EXEC_N_POINTS; p++)
        if (fnmatch(spec.pattern, rl_exec_point_name(p), 0) == 0)
            return 0;
    error_msg("exec: bad --inject '%s': matches no exec point (see racelab exec --list-points)",
              text);
    return RL_EXIT_USAGE;
}

static char *join_lines(const char *const *items, int n)
{
    buffer b = {0};
    for (int i = 0; i < n; i++) {
        if (i)
            buf_append(&b, "\n", 1, SIZE_MAX);
        buf_append(&b, items[i], strlen(items[i]), SIZE_MAX);
    }
    return b.data != NULL ? b.data : xstrdup("");
}

static int posix_setup(const exec_options *o, exec_setup *s)
{
    if (o->n_posix == 0)
        return 0;
    static char texts[EXEC_MAX_POSIX][256];
    const char *commands[EXEC_MAX_POSIX];
    for (int i = 0; i < o->n_posix; i++) {
        char err[512];
        if (rl_posix_fault_parse(o->posix_faults[i], 0, texts[i], sizeof texts[i], err,
                                 sizeof err) != 0) {
            error_msg("exec: %s", err);
            return RL_EXIT_USAGE;
        }
        commands[i] = texts[i];
    }
    s->fiu_enable = join_lines(commands, o->n_posix);
    const char *libs[] = {FIU_LIB_DIR "/fiu_run_preload.so", FIU_LIB_DIR "/fiu_posix_preload.so"};
    for (int i = 0; i < 2; i++)
        if (access(libs[i], R_OK) != 0) {
            error_msg("exec: --posix-faults needs libfiu's preload %s (install fiu-utils)",
                      libs[i]);
            return RL_EXIT_HARNESS;
        }
    return 0;
}

int exec_prepare(const exec_options *o, const exec_program *p, exec_setup *s)
{
    memset(s, 0, sizeof *s);
    if (o->sched && p->tsan) {
        /* TSan's pthread_create waits for the new thread to start inside the
         * sanitizer, while the scheduler holds it until its turn */
        error_msg("exec: --mode sched needs a plain build (%s is a ThreadSanitizer build)",
                  p->name);
        return RL_EXIT_USAGE;
    }
    s->program_is_tsan = program_is_tsan = p->tsan;
    s->library = rl_home_file("exec/libracelab-exec.so");
    if (access(s->library, R_OK) != 0) {
        error_msg("exec: the preload library %s is missing (make exec)", s->library);
        return RL_EXIT_HARNESS;
    }
    int rc;
    if (!o->sched && (o->profile != NULL || o->n_injects == 0)) {
        s->profile = o->profile != NULL ? o->profile : "default";
        s->default_profile = o->profile == NULL;
        if ((rc = profile_spec(s->profile, &s->profile_spec)) != 0)
            return rc;
        if (s->profile_spec != NULL)
            s->specs[s->n_specs++] = s->profile_spec;
    }
    for (int i = 0; i < o->n_injects; i++)
        s->specs[s->n_specs++] = o->injects[i];
    for (int i = 0; i < s->n_specs; i++)
        if ((rc = check_spec(s->specs[i])) != 0)
            return rc;
    s->inject_env = join_lines(s->specs, s->n_specs);
    if ((rc = posix_setup(o, s)) != 0)
        return rc;
    const char *user = getenv("LD_PRELOAD");
    s->preload =
        xasprintf("%s%s%s%s", user != NULL && *user ? user : "", user != NULL && *user ? " " : "",
                  s->fiu_enable != NULL ? FIU_LIB_DIR "/fiu_run_preload.so " FIU_LIB_DIR
                                                      "/fiu_posix_preload.so "
                                        : "",
                  s->library);
    return 0;
}

int exec_write_suppressions(exec_setup *s, const char *dir)
{
    if (!s->program_is_tsan || s->fiu_enable == NULL)
        return 0;
    /* docs/design.md: libfiu's internal lock hides races from TSan. */
    s->tsan_suppressions = xasprintf("%s/tsan.supp", dir);
    FILE *f = fopen(s->tsan_suppressions, "w");
    if (f == NULL)
        return -1;
    fputs("called_from_lib:libfiu.so\ncalled_from_lib:fiu_posix_preload.so\n"
          "called_from_lib:fiu_run_preload.so\n",
          f);
    return fclose(f) == 0 ? 0 : -1;
}

void exec_free_setup(exec_setup *s)
{
    free(s->library);
    free(s->preload);
    free(s->inject_env);
    free(s->profile_spec);
    free(s->fiu_enable);
    free(s->tsan_suppressions);
    memset(s, 0, sizeof *s);
}
