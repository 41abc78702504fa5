/* util.c — memory that never returns NULL, strings, clocks, messages. */
#include "core/util.h"

#include "../../common/parse_number.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((noreturn)) static void out_of_memory(void)
{
    static const char msg[] = "racelab: error: out of memory\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(RL_EXIT_HARNESS);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory();
    return q;
}

char *xstrdup(const char *s)
{
    s = s ? s : ""; /* NULL copies as the empty string */
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

char *xasprintf(const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    return s;
}

void buf_append(buffer *b, const char *data, size_t n, size_t cap)
{
    if (b->len + n > cap) {
        size_t room = cap > b->len ? cap - b->len : 0;
        b->dropped += n - room;
        n = room;
    }
    if (n == 0)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t want = b->cap ? b->cap : 256;
        while (want < b->len + n + 1)
            want *= 2;
        b->data = xrealloc(b->data, want);
        b->cap = want;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_add(buffer *b, const char *text) { buf_append(b, text, strlen(text), SIZE_MAX); }

void buf_addf(buffer *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fputs("racelab: error: out of memory\n", stderr);
        exit(RL_EXIT_HARNESS);
    }
    buf_append(b, s, (size_t)n, SIZE_MAX);
    free(s);
}

char *buf_take(buffer *b)
{
    char *s = b->data ? b->data : xstrdup("");
    *b = (buffer){0};
    return s;
}

void buf_drain(int *fd, buffer *b, size_t cap) { buf_drain_each(fd, b, cap, NULL, NULL); }

void buf_drain_each(int *fd, buffer *b, size_t cap, void (*each)(void *, const char *, size_t),
                    void *arg)
{
    char chunk[16384];
    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            buf_append(b, chunk, (size_t)n, cap);
            if (each != NULL)
                each(arg, chunk, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno != EAGAIN) {
            close(*fd);
            *fd = -1;
        }
        return;
    }
}

void buf_free(buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = b->dropped = 0;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int set_cloexec_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

const char *signal_name(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
        {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
        {SIGKILL, "SIGKILL"},     {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
        {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"},
        {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"},
        {SIGTTOU, "SIGTTOU"},     {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
        {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},
    };
    static char other[32];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    snprintf(other, sizeof other, "SIG%d", sig);
    return other;
}

/* One line on stderr, always. */
static void vmessage(const char *level, const char *fmt, va_list ap)
{
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0 || text == NULL)
        out_of_memory();
    for (char *p = text; *p; p++) /* a quoted value's newline, \r, \f...: one line */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    fflush(stdout);
    fprintf(stderr, "racelab: %s: %s\n", level, text);
    free(text);
}

void error_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("error", fmt, ap);
    va_end(ap);
}

void warn_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning", fmt, ap);
    va_end(ap);
}

/* The shared strict parsers (harness/common/parse_number.c), the same the
 * programs use: one spelling of a number for the driver and the programs. */
int parse_seconds(const char *text, double lo, double hi, double *out)
{
    double x;
    if (text == NULL || rl_parse_double(text, &x) != 0 || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

void fnv_bytes(uint64_t *h, const void *bytes, size_t len)
{
    for (const unsigned char *p = bytes; len > 0; p++, len--)
        *h = (*h ^ *p) * 1099511628211ULL;
}

void fnv_text(uint64_t *h, const char *s) { fnv_bytes(h, s, strlen(s) + 1); }

int parse_whole(const char *text, unsigned long long lo, unsigned long long hi,
                unsigned long long *out)
{
    unsigned long long x;
    if (text == NULL || rl_parse_u64(text, &x) != 0 || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

void free_argv(char **argv)
{
    for (int i = 0; argv != NULL && argv[i] != NULL; i++)
        free(argv[i]);
    free(argv);
}

void arglist_add(arglist *l, const char *word)
{
    l->argv = xrealloc(l->argv, (size_t)(l->argc + 2) * sizeof *l->argv);
    l->argv[l->argc++] = xstrdup(word);
    l->argv[l->argc] = NULL;
}

void arglist_opt(arglist *l, const char *opt, const char *value)
{
    if (value == NULL)
        return;
    arglist_add(l, opt);
    arglist_add(l, value);
}

void arglist_opt_u64(arglist *l, const char *opt, unsigned long long value)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", value);
    arglist_opt(l, opt, text);
}

char *self_dir(void)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return xstrdup(".");
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    *slash = '\0';
    return xstrdup(path);
}

static int shell_safe(const char *s)
{
    if (*s == '\0')
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("_./:=,+-@%", *p) != NULL))
            return 0;
    return 1;
}

char *shell_join(char *const *argv, int argc)
{
    buffer b = {0};
    for (int i = 0; i < argc; i++) {
        if (i)
            buf_append(&b, " ", 1, SIZE_MAX);
        if (shell_safe(argv[i])) {
            buf_append(&b, argv[i], strlen(argv[i]), SIZE_MAX);
            continue;
        }
        buf_append(&b, "'", 1, SIZE_MAX);
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '\'')
                buf_append(&b, "'\\''", 4, SIZE_MAX);
            else
                buf_append(&b, p, 1, SIZE_MAX);
        }
        buf_append(&b, "'", 1, SIZE_MAX);
    }
    buf_append(&b, "", 1, SIZE_MAX);
    return b.data;
}

const char *relative_path(const char *path)
{
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return path;
    size_t n = strlen(cwd);
    if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/' && path[n + 1] != '\0')
        return path + n + 1;
    return path;
}
