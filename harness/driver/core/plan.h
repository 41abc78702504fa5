/* plan.h — PATTERN[:VARIANT] selection into an ordered list of runs; positive controls. */
#ifndef RL_DRIVER_CORE_PLAN_H
#define RL_DRIVER_CORE_PLAN_H

#include "core/discover.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum { FLAVOUR_PLAIN = 1, FLAVOUR_TSAN = 2 };

typedef struct {
    const scenario_info *sc;
    const variant_info *var;
    int tsan;    /* flavour */
    int control; /* not asked for: run as the positive control of a fix */
} plan_item;

/* Patterns are PATTERN[:VARIANT] globs; none means everything. Returns 0 or
 * RL_EXIT_USAGE after printing a one-line error. */
int plan_select(const catalog *cat, char **patterns, int n_patterns, int flavours, plan_item **out,
                int *n_out);

/* --flavour's word: plain, tsan or both, as FLAVOUR_* bits; 0, or -1. */
int flavours_parse(const char *text, int *out);

/* A fix: a variant expected to hold or to be benign (not to reproduce). */
int variant_is_fix(const variant_info *var);

/* Positive controls: for every fix (holds or benign) in the plan, the
 * scenario's racy variants that can be judged in that flavour and mode run
 * too, before it, when the plan does not hold them already (marked
 * `control`). Returns the new count; *items is reallocated. */
int plan_add_controls(plan_item **items, int n, int points_act);
/* Whether `var` can serve as a positive control in this flavour, in a mode
 * where points act or not (rl_mode_points_act: a variant that needs an
 * injected fault shows nothing in stress): it is expected to reproduce, and
 * its run will be judged. */
int can_control(const variant_info *var, int tsan, int points_act);

/* An --inject spec goes to the scenarios with a point it matches (a fail
 * spec: a fault point), the way the program itself matches it; the others
 * keep their own profile. */
int spec_applies(const scenario_info *sc, const char *spec);
/* Every spec must match a point of some known scenario (a typo is an
 * error; a spec for scenarios left out of this run is not). Returns 0 or
 * RL_EXIT_USAGE. */
int plan_check_injects(const catalog *cat, const char *const *specs, int n_specs);

#endif
