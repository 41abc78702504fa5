/* descriptor_check.c — a descriptor that breaks the rules is a defect of
 * the scenario file: the program says which rule and exits 3 before
 * anything runs (--describe and --help included). */
#include "internal.h"

#include <fnmatch.h>
#include <string.h>

static char why[512];

static const char *table_sizes(const rl_scenario *sc)
{
    if (sc->actors < 1 || sc->actors > RL_MAX_ACTORS)
        return "actors must be 1..RL_MAX_ACTORS";
    if (sc->n_outcomes < 1 || sc->n_outcomes > RL_MAX_OUTCOMES)
        return "outcomes must be 1..RL_MAX_OUTCOMES";
    if (sc->n_variants < 2 || sc->n_variants > RL_MAX_VARIANTS)
        return "a scenario needs a racy variant and at least one fix (at most RL_MAX_VARIANTS)";
    if (sc->n_points > RL_MAX_POINTS)
        return "too many points (at most RL_MAX_POINTS)";
    if (sc->n_params > RL_MAX_PARAMS)
        return "too many params (at most RL_MAX_PARAMS)";
    if (sc->arbiter == NULL || sc->state_size == 0)
        return "arbiter and state size are required";
    for (int a = 0; a < sc->actors; a++)
        if (sc->actor[a] == NULL)
            return "an actor function is missing";
    return NULL;
}

/* A row left out of a table indexed by an enum is all zeros: no name. */
static const char *missing_row(const char *table, int row, const char *name)
{
    if (name != NULL)
        return NULL;
    snprintf(why, sizeof why, "%s row %d has no name (an identifier without its row?)", table, row);
    return why;
}

static const char *duplicate(const char *table, const char *name, const char *earlier)
{
    if (strcmp(name, earlier) != 0)
        return NULL;
    snprintf(why, sizeof why, "%s '%s' is declared twice", table, name);
    return why;
}

static const char *rows(const rl_scenario *sc)
{
    const char *bad = NULL;
    for (int i = 0; bad == NULL && i < sc->n_outcomes; i++) {
        bad = missing_row("outcome", i, sc->outcomes[i].name);
        for (int j = 0; bad == NULL && j < i; j++)
            bad = duplicate("outcome", sc->outcomes[i].name, sc->outcomes[j].name);
        if (bad == NULL && strcmp(sc->outcomes[i].name, RL_DEADLOCK_OUTCOME) == 0)
            bad = "the outcome 'deadlock' is the runtime's own";
    }
    for (int i = 0; bad == NULL && i < sc->n_variants; i++) {
        bad = missing_row("variant", i, sc->variants[i].name);
        for (int j = 0; bad == NULL && j < i; j++)
            bad = duplicate("variant", sc->variants[i].name, sc->variants[j].name);
    }
    for (int i = 0; bad == NULL && i < sc->n_points; i++) {
        bad = missing_row("point", i, sc->points[i].name);
        for (int j = 0; bad == NULL && j < i; j++)
            bad = duplicate("point", sc->points[i].name, sc->points[j].name);
    }
    for (int i = 0; bad == NULL && i < sc->n_params; i++) {
        bad = missing_row("param", i, sc->params[i].name);
        if (bad == NULL && (sc->params[i].default_value < sc->params[i].min ||
                            sc->params[i].default_value > sc->params[i].max))
            bad = "a parameter's default is outside its range";
    }
    return bad;
}

static const char *grades(const rl_scenario *sc)
{
    int forbidden = 0, reproduces = 0;
    for (int o = 0; o < sc->n_outcomes; o++)
        forbidden += sc->outcomes[o].grade == RL_FORBIDDEN;
    for (int v = 0; v < sc->n_variants; v++)
        reproduces += sc->variants[v].expect == RL_REPRODUCES;
    if (!forbidden)
        return "no forbidden outcome: the oracle could never fail";
    if (!reproduces)
        return "no variant is expected to reproduce the race";
    return NULL;
}

/* A variant's own inject spec must parse and match a point it can act on. */
static const char *variant_specs(const rl_scenario *sc)
{
    for (int v = 0; v < sc->n_variants; v++) {
        const rl_inject *given = sc->variants[v].inject;
        if (given == NULL)
            continue;
        if (given->magic != RL_INJECT_MAGIC || given->spec == NULL) { /* a cast let it in */
            snprintf(why, sizeof why,
                     "variant %s: inject is not RL_INJECT(\"...\") (a row of the shape "
                     "before API 3? see CHANGELOG.md)",
                     sc->variants[v].name);
            return why;
        }
        const char *text = given->spec;
        rl_inject_spec spec;
        char err[400];
        if (rl_parse_inject(text, &spec, err, sizeof err) != 0) {
            snprintf(why, sizeof why, "variant %s: %s", sc->variants[v].name, err);
            return why;
        }
        int matched = 0;
        for (int i = 0; i < sc->n_points; i++)
            matched += fnmatch(spec.pattern, sc->points[i].name, 0) == 0 &&
                       (spec.action != RL_ACT_FAIL || sc->points[i].kind == RL_FAULT_POINT);
        if (!matched) {
            snprintf(why, sizeof why, "variant %s: inject '%s' matches no %spoint",
                     sc->variants[v].name, text, spec.action == RL_ACT_FAIL ? "fault " : "");
            return why;
        }
    }
    return NULL;
}

int rl_check_descriptor(const rl_scenario *sc)
{
    const char *bad = table_sizes(sc);
    if (bad == NULL)
        bad = rows(sc);
    if (bad == NULL)
        bad = grades(sc);
    if (bad == NULL)
        bad = variant_specs(sc);
    if (bad == NULL)
        return 0;
    fprintf(stderr, "%s: scenario descriptor is invalid: %s\n", sc->name ? sc->name : "?", bad);
    return 3;
}
