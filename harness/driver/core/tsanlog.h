/* tsanlog.h — ThreadSanitizer log files: reports, kinds, sites; TSAN_OPTIONS. */
#ifndef RL_DRIVER_CORE_TSANLOG_H
#define RL_DRIVER_CORE_TSANLOG_H

#include "core/hash_index.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct {
    char *kind;
    char *frames; /* first non-interceptor frame of each stack, " | " joined */
    unsigned long count;
} tsan_site;

typedef struct {
    unsigned long reports;
    unsigned long incomplete; /* a header without its SUMMARY line */
    char **kinds;
    unsigned long *kind_counts;
    int n_kinds;
    tsan_site *sites;
    int n_sites;
    char **files;
    int n_files;
    int kinds_cap, sites_cap;          /* allocated */
    hash_index kind_index, site_index; /* kinds and sites by hash */
} tsan_summary;

/* 0, or -1 and *why when PATH cannot be read or is not a regular file (a
 * directory, a FIFO: never waited on). */
int tsan_parse_file(tsan_summary *t, const char *path, const char **why);
/* Every file DIR/BASE.* (TSan appends .<pid>), in name order. */
void tsan_parse_prefix(tsan_summary *t, const char *dir, const char *base);
json_object *tsan_to_json(const tsan_summary *t);
void tsan_free(tsan_summary *t);
/* TSAN_OPTIONS for a run whose log goes to LOG_BASE.<pid>: the user's own
 * TSAN_OPTIONS first, then ours, then EXTRA (":"-led, or "" for none). */
char *tsan_run_options(const char *log_base, const char *extra);

#endif
