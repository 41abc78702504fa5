/* plan.c — which runs: PATTERN[:VARIANT] globs (fnmatch) over scenario and
 * variant names, in the order the patterns are given, each run once; every
 * selected variant in each selected flavour (plain first). */
#include "core/plan.h"
#include "core/json_io.h"
#include "core/util.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const scenario_info *sc;
    const variant_info *var;
} pick;

static int already(const pick *picks, int n, const scenario_info *sc, const variant_info *var)
{
    for (int i = 0; i < n; i++)
        if (picks[i].sc == sc && picks[i].var == var)
            return 1;
    return 0;
}

static char *variant_names(const scenario_info *sc)
{
    buffer b = {0};
    for (int v = 0; v < sc->n_variants; v++) {
        if (v)
            buf_append(&b, ", ", 2, SIZE_MAX);
        buf_append(&b, sc->variants[v].name, strlen(sc->variants[v].name), SIZE_MAX);
    }
    buf_append(&b, "", 1, SIZE_MAX);
    return b.data;
}

int spec_applies(const scenario_info *sc, const char *spec)
{
    char *pattern = xstrdup(spec);
    char *colon = strrchr(pattern, ':');
    if (colon == NULL) {
        free(pattern);
        return 1; /* malformed: the program says why */
    }
    *colon = '\0';
    int fail = strncmp(colon + 1, "fail", 4) == 0 && (colon[5] == '\0' || colon[5] == ',');
    const json_object *points = jget(sc->descriptor, "points");
    int applies = 0;
    for (size_t i = 0; i < jlen(points); i++) {
        const char *name = jstring(jget(jat(points, i), "name"));
        const char *kind = jstring(jget(jat(points, i), "kind"));
        if (name == NULL || fnmatch(pattern, name, 0) != 0)
            continue;
        if (fail && (kind == NULL || strcmp(kind, "fault") != 0))
            continue;
        applies = 1;
    }
    free(pattern);
    return applies;
}

int plan_check_injects(const catalog *cat, const char *const *specs, int n_specs)
{
    for (int s = 0; s < n_specs; s++) {
        const char *colon = strrchr(specs[s], ':');
        if (colon == NULL || colon == specs[s] || colon[1] == '\0') {
            error_msg("--inject wants PATTERN:ACTION[,p=P], not '%s'", specs[s]);
            return RL_EXIT_USAGE;
        }
        int used = 0;
        for (int i = 0; i < cat->n && !used; i++)
            used = spec_applies(&cat->items[i], specs[s]);
        if (!used) {
            error_msg("--inject '%s' matches no %spoint of any scenario (see "
                      "'racelab describe NAME')",
                      specs[s], strstr(colon, ":fail") == colon ? "fault " : "");
            return RL_EXIT_USAGE;
        }
    }
    return 0;
}

/* PATTERN[:VARIANT] globs to runs, pattern by pattern in the order given,
 * each run once (just over 80 lines: the loops read as one selection). */
int plan_select(const catalog *cat, char **patterns, int n_patterns, int flavours, plan_item **out,
                int *n_out)
{
    int total_variants = 0;
    for (int i = 0; i < cat->n; i++)
        total_variants += cat->items[i].n_variants;
    pick *picks = xcalloc((size_t)total_variants, sizeof *picks);
    int n = 0;
    static char *everything[] = {"*"};
    if (n_patterns == 0) {
        patterns = everything;
        n_patterns = 1;
    }
    for (int p = 0; p < n_patterns; p++) {
        char *pattern = xstrdup(patterns[p]);
        char *colon = strchr(pattern, ':');
        const char *vpattern = "*";
        if (colon != NULL) {
            *colon = '\0';
            vpattern = colon + 1;
        }
        if (*pattern == '\0' || *vpattern == '\0') {
            error_msg("bad pattern '%s' (want SCENARIO[:VARIANT], globs allowed)", patterns[p]);
            free(pattern);
            free(picks);
            return RL_EXIT_USAGE;
        }
        int scenarios = 0, variants = 0;
        const scenario_info *last = NULL;
        for (int i = 0; i < cat->n; i++) {
            const scenario_info *sc = &cat->items[i];
            if (fnmatch(pattern, sc->name, 0) != 0)
                continue;
            scenarios++;
            last = sc;
            for (int v = 0; v < sc->n_variants; v++) {
                const variant_info *var = &sc->variants[v];
                if (fnmatch(vpattern, var->name, 0) != 0)
                    continue;
                variants++;
                if (!already(picks, n, sc, var))
                    picks[n++] = (pick){sc, var};
            }
        }
        if (scenarios == 0) {
            char *known = catalog_names(cat);
            error_msg("no scenario matches '%s' (known: %s)", pattern, known);
            free(known);
            free(pattern);
            free(picks);
            return RL_EXIT_USAGE;
        }
        if (variants == 0) {
            char *known = variant_names(last);
            if (scenarios == 1)
                error_msg("no variant of %s matches '%s' (variants: %s)", last->name, vpattern,
                          known);
            else
                error_msg("no variant of the %d scenarios matching '%s' matches '%s'", scenarios,
                          pattern, vpattern);
            free(known);
            free(pattern);
            free(picks);
            return RL_EXIT_USAGE;
        }
        free(pattern);
    }
    int per = ((flavours & FLAVOUR_PLAIN) != 0) + ((flavours & FLAVOUR_TSAN) != 0);
    plan_item *items = xcalloc((size_t)n * (size_t)per, sizeof *items);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (flavours & FLAVOUR_PLAIN)
            items[k++] = (plan_item){picks[i].sc, picks[i].var, 0, 0};
        if (flavours & FLAVOUR_TSAN)
            items[k++] = (plan_item){picks[i].sc, picks[i].var, 1, 0};
    }
    free(picks);
    *out = items;
    *n_out = k;
    return 0;
}

int can_control(const variant_info *var, int tsan, int points_act)
{
    if (strcmp(var->expectation, "reproduces") != 0)
        return 0;
    if (strcmp(var->caught_by, "tsan") == 0 && !tsan)
        return 0; /* nothing in the plain build can catch it */
    return var->inject == NULL || points_act;
}

int flavours_parse(const char *text, int *out)
{
    static const struct {
        const char *word;
        int bits;
    } all[] = {
        {"plain", FLAVOUR_PLAIN}, {"tsan", FLAVOUR_TSAN}, {"both", FLAVOUR_PLAIN | FLAVOUR_TSAN}};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(text, all[i].word) == 0) {
            *out = all[i].bits;
            return 0;
        }
    return -1;
}

int variant_is_fix(const variant_info *var) { return strcmp(var->expectation, "reproduces") != 0; }

static int planned(const plan_item *items, int n, const scenario_info *sc, const variant_info *var,
                   int tsan)
{
    for (int i = 0; i < n; i++)
        if (items[i].sc == sc && items[i].var == var && items[i].tsan == tsan)
            return 1;
    return 0;
}

int plan_add_controls(plan_item **items, int n, int points_act)
{
    plan_item *in = *items;
    int cap = n;
    for (int i = 0; i < n; i++)
        if (variant_is_fix(in[i].var))
            cap += in[i].sc->n_variants;
    plan_item *out = xcalloc((size_t)cap, sizeof *out);
    int k = 0;
    for (int i = 0; i < n; i++) {
        const scenario_info *sc = in[i].sc;
        if (variant_is_fix(in[i].var))
            for (int v = 0; v < sc->n_variants; v++) {
                const variant_info *var = &sc->variants[v];
                if (can_control(var, in[i].tsan, points_act) &&
                    !planned(in, n, sc, var, in[i].tsan) && !planned(out, k, sc, var, in[i].tsan))
                    out[k++] = (plan_item){sc, var, in[i].tsan, 1};
            }
        out[k++] = in[i];
    }
    free(in);
    *items = out;
    return k;
}
