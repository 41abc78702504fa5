/* child.h — the one runner of the driver's child processes: scenario runs,
 * exec runs, compare runs, --describe, gdb, clang, addr2line and nm all
 * start, are watched and are reaped here.
 *
 * A child is started by a launcher (fork+exec, posix_spawn, or a fork
 * server: see `child_launcher`) in its own process group, stdin from
 * /dev/null, stdout and stderr into pipes (drained into capped buffers, the
 * whole stream optionally scanned for a pattern), into a file, or left as
 * the driver's. It gets a deadline; on the driver's SIGINT/SIGTERM it is
 * stopped; at its end its group is killed and every process it left behind
 * (the driver is a subreaper: orphans come back to it) is found, killed,
 * reaped and counted. */
#ifndef RL_DRIVER_CORE_CHILD_H
#define RL_DRIVER_CORE_CHILD_H

#include "core/util.h"

#include <poll.h>
#include <regex.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum {
    CHILD_IO_PIPE,    /* into c->out / c->err, up to the cap */
    CHILD_IO_NULL,    /* /dev/null */
    CHILD_IO_FD,      /* the descriptor given (a file) */
    CHILD_IO_INHERIT, /* the driver's own */
    CHILD_IO_AS_OUT   /* stderr only: wherever stdout goes */
} child_io;

struct child_launcher;

/* What to run and how. Zero-initialised fields take the defaults noted. */
typedef struct {
    char *const *argv;         /* argv[0] is the program, unless path is given */
    const char *path;          /* NULL: argv[0] */
    char *const *envp;         /* NULL: the driver's environment */
    const char *const *setenv; /* "NAME=VALUE" entries set on top (NULL-ended), or NULL */
    int search_path;           /* argv[0] found through PATH */
    child_io out, err;
    int out_fd, err_fd;      /* CHILD_IO_FD */
    size_t out_cap, err_cap; /* CHILD_IO_PIPE: bytes kept (0: 1 MB) */
    int keep_fd;             /* > 0: a descriptor the child keeps (its number in keep_fd_env) */
    const char *keep_fd_env;
    int keep_fd_as;        /* > 0: kept as this number instead (posix_spawn only) */
    int same_group;        /* 1: stays in the driver's process group (clang, on a terminal) */
    int keep_stdin;        /* 1: the driver's stdin (clang reading `-`); else /dev/null */
    double limit;          /* seconds to its deadline; 0: none */
    int term_on_interrupt; /* child_run_to_end: the driver's first SIGINT/SIGTERM sends it SIGTERM
                              (SIGKILL 2 s later); else only a second one, SIGKILL */
    const struct child_launcher *via; /* NULL: posix_spawn */
} child_spec;

/* A pattern looked for in the whole of a stream, not only the kept part:
 * matched on each chunk as it is drained, with the tail of the previous
 * chunk in front (a match across two reads is found). */
typedef struct {
    const regex_t *re;
    size_t overlap; /* bytes of the previous chunk kept in front (0: 4 kB) */
    char *tail[2];  /* stdout's, stderr's */
    size_t tail_len[2];
    int started[2];
    int matched;
} child_scan;

typedef struct child {
    pid_t pid;
    int fd_out, fd_err;
    buffer out, err;
    child_scan *scan; /* optional: over stdout and stderr */
    double start, end, deadline, kill_at;
    int status, reaped, timed_out, interrupted, spawn_errno;
    int left_behind; /* processes outside its group it left running: killed at its end */
    int own_group;
    size_t out_cap, err_cap;
    char *stacks_file, *stacks_note;
    unsigned long serial; /* the mark in its environment (RACELAB_RUN_MARK) */
    unsigned long shown;  /* the mark /proc shows for it, when not its own (mark_of) */
    const struct child_launcher *via;
} child;

/* How a child is started. The runner makes the pipes, then asks the
 * launcher; `fds` are the child's stdin, stdout and stderr. start returns 0
 * with *pid (the process the runner watches and whose group it kills), or an
 * errno. ended is NULL for a child of the driver (waitid/waitpid); a fork
 * server, whose children are its own, answers it instead: 1 with *status
 * when pid has ended (reaped unless peek), 0 while it runs. */
typedef struct child_launcher {
    const char *name;
    int (*start)(const struct child_launcher *l, const child_spec *s, char *const *envp,
                 const int fds[3], pid_t *pid);
    int (*ended)(const struct child_launcher *l, pid_t pid, int *status, int peek);
    /* NULL, or a descriptor that becomes readable when pid may have ended
     * (a fork server's socket), polled with the child's pipes; -1: none. */
    int (*wait_fd)(const struct child_launcher *l, pid_t pid);
    /* NULL, or the serial of the mark /proc shows for pid and what it
     * forks (a fork server's: its own environment, not the run's); 0: its own */
    unsigned long (*mark_of)(const struct child_launcher *l, pid_t pid);
    const void *ctx;
} child_launcher;

extern const child_launcher child_spawn; /* posix_spawn (vfork): starts at once under load */
extern const child_launcher child_fork;  /* fork+exec: dies with the driver, keeps keep_fd */

/* Starts it; 0, or -1 with c->spawn_errno. */
int child_start(child *c, const child_spec *s);
/* Adds its open pipes (and its launcher's wait_fd) to fds, at most 3;
 * returns how many. */
int child_pollfds(const child *c, struct pollfd *fds);
/* Drains its pipes; reaps it once it has ended (group killed, leftovers swept). */
void child_poll(child *c);
/* The driver's deadline passed: its whole group is killed and it is marked
 * timed out (stacks.c's child_watchdog takes gdb's stacks first). */
void child_time_out(child *c);
/* SIGTERM or SIGKILL to its group, as the driver's interrupt asks (first:
 * SIGTERM, SIGKILL after `grace` seconds; a second: SIGKILL at once). */
void child_interrupt(child *c, int first, double grace);
/* Past kill_at without an end: SIGKILL. */
void child_kill_if_due(child *c, double now);
/* Reaped, and its pipes closed (or a grace second passed: a grandchild holds them). */
int child_done(const child *c, double now);
void child_free(child *c);
/* Starts and watches it to its end; 0 (c->status valid) or -1 (not started). */
int child_run_to_end(child *c, const child_spec *s);
/* Runs argv to its end (stdout kept up to CAP bytes, stderr dropped, at
 * most LIMIT seconds): its wait status and *out (never NULL then), or -1
 * and *out NULL when it could not start or its stdout stayed open. */
int child_capture(char *const *argv, int search_path, size_t cap, double limit, char **out);
/* Frees what a scan kept. */
void child_scan_free(child_scan *sc);
/* Kills and reaps whatever processes the driver's children left behind. */
void child_sweep_all(void);

#endif
