/* util.h — memory that never returns NULL, strings, clocks, messages, numbers, argv lists, exit
 * statuses. */
#ifndef RL_DRIVER_CORE_UTIL_H
#define RL_DRIVER_CORE_UTIL_H

#include "../../common/grader.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses are harness/common/grader.h's RL_EXIT_* (one declaration). */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double now_seconds(void); /* monotonic */
int write_all(int fd, const char *buf, size_t len);
int set_cloexec_nonblock(int fd);
const char *signal_name(int sig);
/* "racelab: error: ..." on stderr, one line. */
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A number as the programs read it (harness/common/parse_number.c: no
 * blanks, hexadecimal, inf or nan) within [lo, hi]; 0 on success. */
int parse_seconds(const char *text, double lo, double hi, double *out);
int parse_whole(const char *text, unsigned long long lo, unsigned long long hi,
                unsigned long long *out);
/* FNV-1a 64 over LEN bytes into *H (start from FNV_OFFSET), and over a text with its
 * terminating NUL (so "ab","c" and "a","bc" differ): identities of plans and campaigns. */
#define FNV_OFFSET 14695981039346656037ULL
void fnv_bytes(uint64_t *h, const void *bytes, size_t len);
void fnv_text(uint64_t *h, const char *s);
/* Where the driver executable lives (for build/plain next to it). */
char *self_dir(void);
/* A command line being built: argv[argc] is NULL; free_argv frees it. */
typedef struct {
    char **argv;
    int argc;
} arglist;
/* Frees a NULL-terminated argv and its words (NULL is fine). */
void free_argv(char **argv);
void arglist_add(arglist *l, const char *word);                   /* a copy of word */
void arglist_opt(arglist *l, const char *opt, const char *value); /* nothing when value NULL */
void arglist_opt_u64(arglist *l, const char *opt, unsigned long long value);
/* argv as one line a shell takes back (words quoted where needed). */
char *shell_join(char *const *argv, int argc);
/* PATH relative to the working directory when it lies beneath it. */
const char *relative_path(const char *path);

typedef struct {
    char *data;
    size_t len, cap;
    size_t dropped; /* bytes beyond the cap, not kept */
} buffer;

void buf_append(buffer *b, const char *data, size_t n, size_t cap);
/* Reads the non-blocking FD until it would block, into B (up to CAP); at
 * EOF or an error it closes FD and sets *fd to -1. */
void buf_drain(int *fd, buffer *b, size_t cap);
/* The same, handing each chunk read to EACH as well (the whole stream, not
 * only the part kept). */
void buf_drain_each(int *fd, buffer *b, size_t cap, void (*each)(void *, const char *, size_t),
                    void *arg);
void buf_free(buffer *b);
/* A growing string with no cap: text appended, printf-style; buf_take hands
 * over the string (never NULL) and leaves B empty. */
void buf_add(buffer *b, const char *text);
void buf_addf(buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *buf_take(buffer *b);

#endif
