/* discover.h — the scenario programs of a build folder (the catalog) and their --describe. */
#ifndef RL_DRIVER_CORE_DISCOVER_H
#define RL_DRIVER_CORE_DISCOVER_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct {
    char *name;
    char *expectation; /* reproduces, holds, benign */
    char *caught_by;   /* any, oracle, tsan */
    char *summary;
    char *inject; /* the fault spec it needs to show its failure, or NULL */
} variant_info;

typedef struct {
    char *name;              /* the program's file name (its descriptor agrees) */
    char *plain_path;        /* build/plain/<name> */
    char *tsan_path;         /* build/tsan/<name> */
    int tsan_built;          /* that file is there */
    json_object *descriptor; /* what --describe printed */
    variant_info *variants;
    int n_variants;
} scenario_info;

typedef struct {
    char *build_dir;
    scenario_info *items; /* sorted by name */
    int n;
} catalog;

/* `PATH --describe` in its own process group, with a deadline: its stdout
 * when it exits 0, else NULL (the caller frees it). */
char *describe_output(const char *path);
/* Returns 0, or an exit status after printing a one-line error. */
int catalog_load(catalog *cat, const char *build_dir);
void catalog_free(catalog *cat); /* what catalog_load made, on success or not */
const scenario_info *catalog_find(const catalog *cat, const char *name);
/* "a, b, c" — for error messages. */
char *catalog_names(const catalog *cat);
/* Runs `PATH ARGS... --describe`: the program checks ARGS as it would for a
 * run. Returns 0 when it accepts them; RL_EXIT_USAGE when it refuses them, *why
 * then its one-line reason without the "NAME: error: " prefix; RL_EXIT_HARNESS
 * when it failed otherwise (died by a signal, another exit status, no answer
 * in 10 s), *why saying so. */
int program_check_args(const char *path, const char *const *args, int n, char **why);

#endif
