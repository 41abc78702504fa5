/* atomic_file.h — every file racelab writes (reports, summary.txt, diff --json, merge's
 * runs.jsonl and copies, shard.json): written to a temp file beside its final name (mkstemp,
 * so O_EXCL: never through a symlink), flushed and synced, then renamed over the name (a
 * symlink there is replaced, not followed). A reader sees the old file or the whole new one,
 * never half; a failed write leaves the old file as it was and says so in one line. */
#ifndef RL_DRIVER_CORE_ATOMIC_FILE_H
#define RL_DRIVER_CORE_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Writes the file's contents to F; nonzero on failure. */
typedef int (*atomic_writer)(const void *ctx, FILE *f);

enum {
    ATOMIC_REPLACE = 0,   /* the new file replaces PATH (or whatever PATH names) */
    ATOMIC_NO_REPLACE = 1 /* PATH must not exist: EEXIST, and nothing is written */
};

/* PATH written by W. Returns 0, or -1 after a one-line "cannot write PATH: why" (errno kept:
 * EEXIST for ATOMIC_NO_REPLACE when PATH exists, said by the caller). */
int atomic_write(const char *path, atomic_writer w, const void *ctx, int flags);
/* PATH holding TEXT (LEN bytes). */
int atomic_write_text(const char *path, const char *text, size_t len, int flags);
/* A copy of FROM at TO. */
int atomic_copy(const char *from, const char *to);
/* From now on SIGINT and SIGTERM remove the temp file being written, then end the process
 * by the same signal (status 130/143 from a shell): no torn file is left. For commands that
 * have no interrupt handling of their own (merge). */
void atomic_file_on_signals(void);

#endif
