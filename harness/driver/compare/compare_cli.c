/* compare_cli.c — the command line of `racelab compare`: getopt_long, the
 * help, and every check made before anything runs (a bad name, number or
 * knob is one line on stderr and exit 2, with no folder made). */
#include "compare/compare.h"
#include "core/json_io.h"
#include "core/options.h"
#include "core/paths.h"
#include "core/plan.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET 40.0
#define DEFAULT_ROUNDS 5
#define DEFAULT_DFS 2
#define DEFAULT_DFS_TRIALS 20000ULL
#define MAX_ROUNDS 64

static const char USAGE[] =
    "usage: racelab compare NAME[:V1,V2,...] [options]\n"
    "  Candidate fixes of scenario NAME side by side (default: every variant expected\n"
    "  to hold or be benign). Correctness per candidate and flavour: stress, fuzz and\n"
    "  sched (pct:3) runs and a dfs:B run, each beside the positive control (the\n"
    "  scenario's racy variants, same settings). Cost: trials/s in stress and fuzz mode\n"
    "  (plain build), measured interleaved (A, B, C, A, B, C, ...), as ratios against\n"
    "  the fastest with 95% intervals, for every value of a --param knob. Then one\n"
    "  decision line.\n"
    "options:\n"
    "  --budget S        about how long the whole comparison takes (default 40)\n"
    "  --rounds R        interleaved cost rounds, 2..64 (default 5)\n"
    "  --param KEY=A,B   a scenario knob; several values (one knob only): cost grows\n"
    "                    with it, a table per mode; repeatable\n"
    "  --flavour F       plain, tsan or both (default both; cost in plain)\n"
    "  --inject SPEC     fuzz-mode spec for every fuzz run, repeatable (default: the\n"
    "                    program's profile)\n"
    "  --dfs B           the dfs:B exhaustive run's preemption bound (default 2; 0: none)\n"
    "  --dfs-trials N    the dfs run's cap on schedules (default 20000)\n"
    "  --seed N          the first seed (default 1; round r uses N+r)\n"
    "  --timeout S       the programs' own watchdog (default 3)\n"
    "  --cost-mode M     stress, fuzz or both (default both)\n"
    "  --no-cost         correctness only\n"
    "  --out DIR         results folder (default results/<UTC>-<host>/): runs.jsonl and\n"
    "                    compare.txt\n"
    "  --build DIR       where plain/ and tsan/ are\n"
    "exit status: 0 a candidate holds with its control reproduced, 1 every candidate\n"
    "fails, 4 weak evidence (none fails-free with a reproduced control), 2 bad input,\n"
    "3 harness failure, 130 interrupted\n";

enum {
    O_BUDGET = 256,
    O_ROUNDS,
    O_PARAM,
    O_FLAVOUR,
    O_INJECT,
    O_DFS,
    O_DFS_TRIALS,
    O_SEED,
    O_TIMEOUT,
    O_COST_MODE,
    O_NO_COST,
    O_OUT,
    O_BUILD
};

static const struct option OPTIONS[] = {{"budget", required_argument, NULL, O_BUDGET},
                                        {"rounds", required_argument, NULL, O_ROUNDS},
                                        {"param", required_argument, NULL, O_PARAM},
                                        {"flavour", required_argument, NULL, O_FLAVOUR},
                                        {"flavor", required_argument, NULL, O_FLAVOUR},
                                        {"inject", required_argument, NULL, O_INJECT},
                                        {"dfs", required_argument, NULL, O_DFS},
                                        {"dfs-trials", required_argument, NULL, O_DFS_TRIALS},
                                        {"seed", required_argument, NULL, O_SEED},
                                        {"timeout", required_argument, NULL, O_TIMEOUT},
                                        {"cost-mode", required_argument, NULL, O_COST_MODE},
                                        {"no-cost", no_argument, NULL, O_NO_COST},
                                        {"out", required_argument, NULL, O_OUT},
                                        {"build", required_argument, NULL, O_BUILD},
                                        {"help", no_argument, NULL, 'h'},
                                        {0, 0, 0, 0}};

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
    char *values = xstrdup(eq + 1), *save = NULL;
    char *list[CMP_MAX_VALUES];
    int n = 0, rc = 0;
    for (char *v = strtok_r(values, ",", &save); v != NULL && rc == 0;
         v = strtok_r(NULL, ",", &save)) {
        unsigned long long x;
        if (n == CMP_MAX_VALUES ||
            parse_whole(v, (unsigned long long)lo, (unsigned long long)hi, &x) != 0) {
            rc = bad("--param value (a whole number in the knob's range, at most 16 values)", v);
            break;
        }
        list[n++] = xasprintf("%s=%llu", key, x);
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
    if (strcmp(text, "plain") == 0)
        o->flavours = FLAVOUR_PLAIN;
    else if (strcmp(text, "tsan") == 0)
        o->flavours = FLAVOUR_TSAN;
    else if (strcmp(text, "both") == 0)
        o->flavours = FLAVOUR_PLAIN | FLAVOUR_TSAN;
    else
        return bad("--flavour (plain, tsan or both)", text);
    return 0;
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

static int parse_options(int argc, char **argv, compare_opts *o, deferred *d)
{
    int opt;
    unsigned long long x;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        const char *a = optarg;
        switch (opt) {
        case 'h': fputs(USAGE, stdout); return CLI_DONE;
        case O_BUDGET:
            if (parse_seconds(a, 1, 36000, &o->budget) != 0)
                return bad("--budget (seconds, 1..36000)", a);
            break;
        case O_ROUNDS:
            if (parse_whole(a, 2, MAX_ROUNDS, &x) != 0)
                return bad("--rounds (2..64)", a);
            o->rounds = (int)x;
            break;
        case O_PARAM:
            if (d->n_params == 64)
                return bad("--param (at most 64)", a);
            d->params[d->n_params++] = a;
            break;
        case O_FLAVOUR:
            if (take_flavour(o, a) != 0)
                return RL_EXIT_USAGE;
            break;
        case O_INJECT: add_inject(o, a); break;
        case O_DFS:
            if (parse_whole(a, 0, 8, &x) != 0)
                return bad("--dfs (a preemption bound, 0..8)", a);
            o->dfs_bound = (int)x;
            break;
        case O_DFS_TRIALS:
            if (parse_whole(a, 1, 100000000ULL, &o->dfs_trials) != 0)
                return bad("--dfs-trials", a);
            break;
        case O_SEED:
            if (parse_whole(a, 0, ~0ULL / 2, &o->seed) != 0)
                return bad("--seed", a);
            break;
        case O_TIMEOUT:
            if (parse_seconds(a, 0.01, 3600, &o->timeout) != 0)
                return bad("--timeout", a);
            break;
        case O_COST_MODE:
            o->cost_modes = strcmp(a, "stress") == 0 ? 1
                            : strcmp(a, "fuzz") == 0 ? 2
                            : strcmp(a, "both") == 0 ? 3
                                                     : 0;
            if (o->cost_modes == 0)
                return bad("--cost-mode (stress, fuzz or both)", a);
            break;
        case O_NO_COST: o->no_cost = 1; break;
        case O_OUT: o->out_dir = a; break;
        case O_BUILD:
            free(o->build_dir);
            o->build_dir = xstrdup(a);
            break;
        default:
            error_msg("compare: unknown option or missing value '%s' (see racelab compare "
                      "--help)",
                      argv[optind - 1]);
            return RL_EXIT_USAGE;
        }
    }
    if (optind < argc) /* getopt_long moved the words after the options */
        d->target = argv[optind++];
    if (optind < argc) {
        error_msg("compare takes one NAME[:V1,V2,...], not also '%s'", argv[optind]);
        return RL_EXIT_USAGE;
    }
    return 0;
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
    char **v = xcalloc((size_t)argc + 2, sizeof *v);
    v[0] = "racelab compare";
    for (int i = 0; i < argc; i++)
        v[i + 1] = argv[i];
    deferred d = {.n_params = 0, .target = NULL};
    int rc = parse_options(argc + 1, v, o, &d);
    free((void *)v);
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
