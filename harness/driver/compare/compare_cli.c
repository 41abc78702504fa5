/* compare_cli.c — the command line of `racelab compare`: getopt_long, the
 * help, and every check made before anything runs (a bad name, number or
 * knob is one line on stderr and exit 2, with no folder made). */
#include "compare/compare.h"
#include "core/cli.h"
#include "core/json_io.h"
#include "core/options.h"
#include "core/paths.h"
#include "core/plan.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET 40.0
#define DEFAULT_ROUNDS 5
#define DEFAULT_DFS 2
#define DEFAULT_DFS_TRIALS 20000ULL
#define MAX_ROUNDS 64

static int bad(const char *what, const char *text)
{
    error_msg("compare: bad %s '%s' (see racelab compare --help)", what, text);
    return RL_EXIT_USAGE;
}

static const json_object *param_decl(const scenario_info *sc, const char *key)
{
    const json_object *params = jget(sc->descriptor, "params");
    for (size_t i = 0; i < jlen(params); i++) {
        const char *name = jstring(jget(jat(params, i), "name"));
        if (name != NULL && strcmp(name, key) == 0)
            return jat(params, i);
    }
    return NULL;
}

/* KEY=A,B,C: every value a whole number within the knob's range. */
static int take_param(compare_opts *o, const char *text)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text || eq[1] == '\0')
        return bad("--param (want KEY=N or KEY=A,B,C)", text);
    char *key = xasprintf("%.*s", (int)(eq - text), text);
    const json_object *decl = param_decl(o->sc, key);
    double lo = 0, hi = 0;
    if (decl == NULL || jnumber(jget(decl, "min"), &lo) != 0 ||
        jnumber(jget(decl, "max"), &hi) != 0) {
        error_msg("compare: %s has no knob '%s' (racelab describe %s lists them)", o->sc->name, key,
                  o->sc->name);
        free(key);
        return RL_EXIT_USAGE;
    }
    char *values = xstrdup(eq + 1);
    char *list[CMP_MAX_VALUES];
    unsigned long long seen[CMP_MAX_VALUES];
    int n = 0, rc = 0;
    /* every comma separates two values: "1,,2" and "1,2," hold an empty one (strtok
     * would skip it), and a value given twice measures nothing twice */
    for (char *v = values; rc == 0; v++) {
        char *comma = strchr(v, ',');
        if (comma != NULL)
            *comma = '\0';
        unsigned long long x;
        if (*v == '\0') {
            rc = bad("--param (an empty value between commas)", text);
            break;
        }
        if (n == CMP_MAX_VALUES ||
            parse_whole(v, (unsigned long long)lo, (unsigned long long)hi, &x) != 0) {
            rc = bad("--param value (a whole number in the knob's range, at most 16 values)", v);
            break;
        }
        for (int i = 0; i < n && rc == 0; i++)
            if (seen[i] == x)
                rc = bad("--param (a value given twice)", text);
        if (rc != 0)
            break;
        seen[n] = x;
        list[n++] = xasprintf("%s=%llu", key, x);
        if (comma == NULL)
            break;
        v = comma;
    }
    if (rc == 0 && n > 1 && o->knob != NULL) {
        error_msg("compare: one knob may take several values ('%s' and '%s')", o->knob, key);
        rc = RL_EXIT_USAGE;
    }
    if (rc == 0 && n > 1) {
        o->knob = xstrdup(key);
        memcpy(o->knob_values, list, sizeof list[0] * (size_t)n);
        o->n_knob_values = n;
    } else if (rc == 0 && n == 1) {
        o->fixed_params =
            xrealloc(o->fixed_params, sizeof(char *) * (size_t)(o->n_fixed_params + 1));
        o->fixed_params[o->n_fixed_params++] = list[0];
    } else {
        for (int i = 0; i < n; i++)
            free(list[i]);
        if (rc == 0)
            rc = bad("--param", text);
    }
    free(values);
    free(key);
    return rc;
}

static const variant_info *find_variant(const scenario_info *sc, const char *name)
{
    for (int i = 0; i < sc->n_variants; i++)
        if (strcmp(sc->variants[i].name, name) == 0)
            return &sc->variants[i];
    return NULL;
}

/* NAME[:V1,V2,...]: the scenario, its candidates and its controls. */
static int take_target(compare_opts *o, const char *text)
{
    const char *colon = strchr(text, ':');
    char *name = colon ? xasprintf("%.*s", (int)(colon - text), text) : xstrdup(text);
    o->sc = catalog_find(&o->cat, name);
    if (o->sc == NULL) {
        char *known = catalog_names(&o->cat);
        error_msg("compare: unknown scenario '%s' (known: %s)", name, known);
        free(known);
        free(name);
        return RL_EXIT_USAGE;
    }
    free(name);
    const scenario_info *sc = o->sc;
    o->cands = xcalloc((size_t)sc->n_variants + 16, sizeof(const variant_info *));
    o->controls = xcalloc((size_t)sc->n_variants + 1, sizeof(const variant_info *));
    for (int i = 0; i < sc->n_variants; i++) {
        int racy = strcmp(sc->variants[i].expectation, "reproduces") == 0;
        if (racy)
            o->controls[o->n_controls++] = &sc->variants[i];
        else if (colon == NULL)
            o->cands[o->n_cands++] = &sc->variants[i];
    }
    if (colon != NULL) {
        char *list = xstrdup(colon + 1), *save = NULL;
        for (char *v = strtok_r(list, ",", &save); v != NULL; v = strtok_r(NULL, ",", &save)) {
            const variant_info *var = find_variant(sc, v);
            int dup = 0;
            for (int k = 0; k < o->n_cands; k++)
                dup |= o->cands[k] == var;
            if (var == NULL || dup || o->n_cands == sc->n_variants) {
                error_msg("compare: %s '%s' in %s (variants: see racelab describe %s)",
                          var == NULL ? "unknown variant" : "variant named twice", v, text,
                          sc->name);
                free(list);
                return RL_EXIT_USAGE;
            }
            o->cands[o->n_cands++] = var;
        }
        free(list);
    }
    if (o->n_cands == 0 || o->n_cands > 64) {
        error_msg("compare: %s candidates in '%s'", o->n_cands ? "more than 64" : "no", text);
        return RL_EXIT_USAGE;
    }
    return 0;
}

static int take_flavour(compare_opts *o, const char *text)
{
    return flavours_parse(text, &o->flavours) == 0 ? 0
                                                   : bad("--flavour (plain, tsan or both)", text);
}

static void add_inject(compare_opts *o, const char *spec)
{
    o->injects = xrealloc(o->injects, sizeof(char *) * (size_t)(o->n_injects + 1));
    o->injects[o->n_injects++] = xstrdup(spec);
}

/* The budget: 40% to correctness, 60% to cost, spread over the runs. */
static void split_budget(compare_opts *o)
{
    int flavours = (o->flavours & FLAVOUR_PLAIN ? 1 : 0) + (o->flavours & FLAVOUR_TSAN ? 1 : 0);
    int n_check = (o->n_cands + o->n_controls) * flavours * 3;
    int values = o->n_knob_values > 0 ? o->n_knob_values : 1;
    int n_cost = o->n_cands * values * (o->cost_modes == 3 ? 2 : 1) * o->rounds;
    double share = o->no_cost ? 1.0 : 0.4;
    o->check_seconds = o->budget * share / n_check;
    if (o->check_seconds < 0.2)
        o->check_seconds = 0.2;
    o->cost_seconds = o->budget * (1 - share) / (n_cost > 0 ? n_cost : 1);
    if (o->cost_seconds < 0.1)
        o->cost_seconds = 0.1;
}

/* Options that need the catalog wait until NAME is known. */
typedef struct {
    const char *params[64];
    int n_params;
    const char *target;
} deferred;

typedef struct {
    compare_opts *o;
    deferred *d;
} compare_parse_ctx;

/* Checks one option's value and keeps it typed; 0 or RL_EXIT_USAGE. */
static int take(void *ctx, int opt, const char *a)
{
    compare_opts *o = ((compare_parse_ctx *)ctx)->o;
    deferred *d = ((compare_parse_ctx *)ctx)->d;
    unsigned long long x;
    switch (opt) {
    case OPT_BUDGET:
        if (parse_seconds(a, 1, 36000, &o->budget) != 0)
            return bad("--budget (seconds, 1..36000)", a);
        return 0;
    case OPT_ROUNDS:
        if (parse_whole(a, 2, MAX_ROUNDS, &x) != 0)
            return bad("--rounds (2..64)", a);
        o->rounds = (int)x;
        return 0;
    case OPT_PARAM:
        if (d->n_params == 64)
            return bad("--param (at most 64)", a);
        d->params[d->n_params++] = a;
        return 0;
    case OPT_FLAVOUR: return take_flavour(o, a) != 0 ? RL_EXIT_USAGE : 0;
    case OPT_INJECT: add_inject(o, a); return 0;
    case OPT_DFS:
        if (parse_whole(a, 0, 8, &x) != 0)
            return bad("--dfs (a preemption bound, 0..8)", a);
        o->dfs_bound = (int)x;
        return 0;
    case OPT_DFS_TRIALS:
        if (parse_whole(a, 1, 100000000ULL, &o->dfs_trials) != 0)
            return bad("--dfs-trials", a);
        return 0;
    case OPT_SEED:
        if (parse_whole(a, 0, ~0ULL / 2, &o->seed) != 0)
            return bad("--seed", a);
        return 0;
    case OPT_TIMEOUT:
        if (parse_seconds(a, 0.01, 3600, &o->timeout) != 0)
            return bad("--timeout", a);
        return 0;
    case OPT_COST_MODE:
        o->cost_modes = strcmp(a, "stress") == 0 ? 1
                        : strcmp(a, "fuzz") == 0 ? 2
                        : strcmp(a, "both") == 0 ? 3
                                                 : 0;
        return o->cost_modes == 0 ? bad("--cost-mode (stress, fuzz or both)", a) : 0;
    case OPT_NO_COST: o->no_cost = 1; return 0;
    case OPT_OUT: o->out_dir = a; return 0;
    case OPT_BUILD:
        free(o->build_dir);
        o->build_dir = xstrdup(a);
        return 0;
    default: return RL_EXIT_USAGE;
    }
}

static int parse_options(int argc, char **argv, compare_opts *o, deferred *d)
{
    compare_parse_ctx ctx = {o, d};
    char **words = xcalloc((size_t)argc + 1, sizeof *words);
    int n_words = 0;
    int rc = cli_parse("compare", argc, argv, take, &ctx, words, &n_words);
    if (rc == 0 && n_words > 0)
        d->target = words[0];
    if (rc == 0 && n_words > 1) {
        error_msg("compare takes one NAME[:V1,V2,...], not also '%s'", words[1]);
        rc = RL_EXIT_USAGE;
    }
    free(words);
    return rc;
}

int compare_parse(int argc, char **argv, compare_opts *o)
{
    memset(o, 0, sizeof *o);
    o->flavours = FLAVOUR_PLAIN | FLAVOUR_TSAN;
    o->budget = DEFAULT_BUDGET;
    o->rounds = DEFAULT_ROUNDS;
    o->seed = 1;
    o->timeout = 3;
    o->dfs_bound = DEFAULT_DFS;
    o->dfs_trials = DEFAULT_DFS_TRIALS;
    o->cost_modes = 3;
    deferred d = {.n_params = 0, .target = NULL};
    int rc = parse_options(argc, argv, o, &d);
    if (rc != 0)
        return rc;
    if (d.target == NULL) {
        error_msg("compare wants a scenario: NAME[:V1,V2,...] (see racelab compare --help)");
        return RL_EXIT_USAGE;
    }
    if (o->build_dir == NULL)
        o->build_dir = rl_home();
    rc = catalog_load(&o->cat, o->build_dir);
    if (rc == 0)
        rc = take_target(o, d.target);
    for (int i = 0; i < d.n_params && rc == 0; i++)
        rc = take_param(o, d.params[i]);
    if (rc == 0 && o->n_injects > 0)
        rc = plan_check_injects(&o->cat, (const char *const *)o->injects, o->n_injects);
    if (rc == 0 && (o->flavours & FLAVOUR_TSAN) && !o->sc->tsan_built) {
        error_msg("compare: build/tsan/%s is not built (make tsan, or --flavour plain)",
                  o->sc->name);
        rc = RL_EXIT_USAGE;
    }
    if (rc == 0)
        split_budget(o);
    return rc;
}

int compare_param_args(const compare_opts *o, int k, char **out, int max)
{
    int n = 0;
    for (int i = 0; i < o->n_fixed_params && n + 2 <= max; i++) {
        out[n++] = "--param";
        out[n++] = o->fixed_params[i];
    }
    if (o->n_knob_values > 0 && n + 2 <= max) {
        out[n++] = "--param";
        out[n++] = o->knob_values[k < 0 ? 0 : k];
    }
    return n;
}

void compare_opts_free(compare_opts *o)
{
    catalog_free(&o->cat); /* loaded by compare_parse, on its error paths too */
    for (int i = 0; i < o->n_knob_values; i++)
        free(o->knob_values[i]);
    for (int i = 0; i < o->n_fixed_params; i++)
        free(o->fixed_params[i]);
    for (int i = 0; i < o->n_injects; i++)
        free(o->injects[i]);
    free(o->fixed_params);
    free(o->injects);
    free((void *)o->knob);
    free((void *)o->cands);
    free((void *)o->controls);
    free(o->build_dir);
}
