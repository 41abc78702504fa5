/* cc_main.c — racelab cc and racelab c++: clang with ThreadSanitizer's
 * instrumentation and racelab's runtime (injectors/cc/runtime) in place of
 * TSan's, so that every load and store that may be shared is a point for
 * `racelab exec` (docs/racelab-cc.1.md).
 *
 *   racelab cc [--tsan] CLANG-ARGUMENTS...
 *
 * Compiling (-c, -S, -E, -fsyntax-only) adds -fsanitize=thread with every
 * load kept, and line tables when no -g was given (traces name source
 * lines). Linking adds
 * -fsanitize=thread -fno-sanitize-link-runtime and the runtime archive.
 * --tsan, on a build straight to an executable (-o OUT, no -c), also builds
 * OUT.tsan with ThreadSanitizer itself: the same program, one command, both
 * the failing interleaving and TSan's report.
 *
 * racelab's own options come first and end at the first other word: the
 * rest is clang's, whose own options getopt cannot know. The compiler is
 * clang (clang++ for c++), or $RACELAB_CC / $RACELAB_CXX; the runtime is
 * cc/libracelab-cc.a in racelab's home (paths.c), or $RACELAB_CC_RUNTIME. Exit
 * status: clang's; 2 a bad racelab option, 3 no compiler or runtime. */
#include "cc/cc.h"
#include "core/child.h"
#include "core/paths.h"
#include "core/runner.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char CC_USAGE[] =
    "usage: racelab cc [--tsan] CLANG-ARGUMENTS...   (racelab c++: clang++)\n"
    "  clang with ThreadSanitizer's instrumentation and racelab's runtime in place\n"
    "  of TSan's: every load and store off the thread's own stack, and every\n"
    "  atomic, is a point for racelab exec (mem/read, mem/write, mem/atomic), a\n"
    "  switch in --mode sched and a place for noise in --mode noise. Run alone,\n"
    "  the program behaves as it does built plainly.\n"
    "  Use: racelab cc -o prog prog.c, or make CC='racelab cc'.\n"
    "options (before clang's arguments):\n"
    "  --tsan      with -o OUT and no -c: also OUT.tsan, a ThreadSanitizer build\n"
    "  -h, --help  this help\n"
    "environment: RACELAB_CC, RACELAB_CXX (the compilers), RACELAB_CC_RUNTIME\n"
    "exit status: clang's; 2 a bad racelab option, 3 no compiler or runtime\n";

/* What clang's arguments ask for. */
typedef struct {
    const char *static_link; /* -static, --static or -static-pie, or NULL */
    int compile_only;        /* -c, -S, -E, -fsyntax-only, -M, -MM */
    int debug;               /* some -g */
    const char *out;         /* -o's value, or NULL */
} clang_job;

static clang_job read_job(int argc, char **argv)
{
    clang_job j = {NULL, 0, 0, NULL};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-static") == 0 || strcmp(a, "--static") == 0 ||
            strcmp(a, "-static-pie") == 0)
            j.static_link = a;
        else if (strcmp(a, "-c") == 0 || strcmp(a, "-S") == 0 || strcmp(a, "-E") == 0 ||
                 strcmp(a, "-fsyntax-only") == 0 || strcmp(a, "-M") == 0 || strcmp(a, "-MM") == 0)
            j.compile_only = 1;
        else if (strncmp(a, "-g", 2) == 0 && strcmp(a, "-g0") != 0)
            j.debug = 1;
        else if (strcmp(a, "-o") == 0 && i + 1 < argc)
            j.out = argv[++i];
        else if (strncmp(a, "-o", 2) == 0 && a[2] != '\0')
            j.out = a + 2;
    }
    return j;
}

/* Runs argv to its end, on the driver's terminal and in its process group
 * (Ctrl-C reaches clang as it would from make); the exit status clang gave,
 * or 3. */
static int run(char *const *argv)
{
    child_spec spec = {.argv = argv,
                       .search_path = 1,
                       .out = CHILD_IO_INHERIT,
                       .err = CHILD_IO_INHERIT,
                       .same_group = 1,
                       .keep_stdin = 1}; /* clang may read its source from `-` */
    child c;
    memset(&c, 0, sizeof c);
    int rc;
    if (child_run_to_end(&c, &spec) != 0) {
        error_msg("cc: cannot run %s: %s", argv[0], strerror(c.spawn_errno));
        rc = RL_EXIT_HARNESS;
    } else if (WIFEXITED(c.status)) {
        rc = WEXITSTATUS(c.status);
    } else {
        error_msg("cc: %s died of %s", argv[0], signal_name(WTERMSIG(c.status)));
        rc = RL_EXIT_HARNESS;
    }
    child_free(&c);
    return rc;
}

static char *runtime_path(void)
{
    const char *given = getenv("RACELAB_CC_RUNTIME");
    if (given != NULL && *given != '\0')
        return xstrdup(given);
    return rl_home_file("cc/libracelab-cc.a");
}

static const char *compiler(int cxx)
{
    const char *given = getenv(cxx ? "RACELAB_CXX" : "RACELAB_CC");
    return given != NULL && *given != '\0' ? given : cxx ? "clang++" : "clang";
}

/* racelab cc: its own words, then clang's command line built in the order
 * clang reads it (over 80 lines: one argv, assembled top to bottom). */
int cmd_cc(int argc, char **argv, int cxx)
{
    int tsan = 0, first = 0;
    for (; first < argc && argv[first][0] == '-' && argv[first][1] == '-'; first++) {
        if (strcmp(argv[first], "--tsan") == 0) {
            tsan = 1;
        } else if (strcmp(argv[first], "--help") == 0) {
            fputs(CC_USAGE, stdout);
            return 0;
        } else if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        } else {
            break; /* clang's own long options (--target=..., --version) */
        }
    }
    if (first < argc && strcmp(argv[first], "-h") == 0) {
        fputs(CC_USAGE, stdout);
        return 0;
    }
    int n = argc - first;
    char **args = argv + first;
    if (n == 0) {
        error_msg("cc wants clang's arguments, e.g. racelab cc -o prog prog.c (see racelab cc "
                  "--help)");
        return RL_EXIT_USAGE;
    }
    clang_job job = read_job(n, args);
    if (tsan && (job.compile_only || job.out == NULL)) {
        error_msg("cc: --tsan builds OUT and OUT.tsan, so it wants -o OUT and no -c, -S or -E");
        return RL_EXIT_USAGE;
    }
    if (job.static_link != NULL && !job.compile_only) {
        /* racelab exec runs a program with its library preloaded: a static one has no
         * dynamic loader to do that, and exec would refuse what cc built */
        error_msg("cc: %s makes a program racelab exec cannot run (exec preloads its library, "
                  "which needs the dynamic loader): drop %s",
                  job.static_link, job.static_link);
        return RL_EXIT_USAGE;
    }
    char *runtime = runtime_path();
    if (!job.compile_only && access(runtime, R_OK) != 0) {
        error_msg("cc: the runtime %s is not there (run 'make')", runtime);
        free(runtime);
        return RL_EXIT_HARNESS;
    }

    arglist w = {0};
    arglist_add(&w, compiler(cxx));
    arglist_add(&w, "-fsanitize=thread");
    /* TSan leaves out a load followed by a store to the same place in the
     * same block (the store's check covers it for race detection); the
     * load's point is where a lost update's other thread must come in. */
    arglist_add(&w, "-mllvm");
    arglist_add(&w, "-tsan-instrument-read-before-write");
    if (!job.debug)
        arglist_add(&w, "-gline-tables-only");
    for (int i = 0; i < n; i++)
        arglist_add(&w, args[i]);
    if (!job.compile_only) {
        /* "-x c" before "-" (stdin) would apply to the archive too: the runtime is
         * an input of its own kind again */
        arglist_add(&w, "-x");
        arglist_add(&w, "none");
        arglist_add(&w, "-fno-sanitize-link-runtime");
        /* the mark racelab exec reads in .dynsym (exec_elf.c), stripped or not */
        arglist_add(&w, "-Wl,--export-dynamic-symbol=rl_cc_runtime");
        arglist_add(&w, runtime);
        arglist_add(&w, "-lpthread");
    }
    int rc = run(w.argv);

    if (rc == 0 && tsan) {
        char *tsan_out = xasprintf("%s.tsan", job.out);
        arglist t = {0};
        arglist_add(&t, compiler(cxx));
        arglist_add(&t, "-fsanitize=thread");
        if (!job.debug)
            arglist_add(&t, "-g");
        for (int i = 0; i < n; i++)
            arglist_add(&t, args[i]);
        arglist_add(&t, "-o"); /* the last -o wins */
        arglist_add(&t, tsan_out);
        rc = run(t.argv);
        free_argv(t.argv);
        free(tsan_out);
    }
    free_argv(w.argv);
    free(runtime);
    return rc;
}
