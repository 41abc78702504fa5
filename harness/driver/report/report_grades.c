/* report_grades.c — the grade of each outcome (acceptable, interesting,
 * forbidden), as the outcome distribution shows it. The scenario's own
 * descriptor says it: the program that made the record (its `command`) is
 * asked `--describe`, as the driver does. When the program is gone (an
 * artifact read elsewhere) the grades are inferred from the records: an
 * outcome seen in a run with no forbidden outcome is not forbidden, one
 * seen in a run with nothing interesting is not interesting, and when the
 * remaining candidates of a run add up to its forbidden (or interesting)
 * total they all are. What stays open is shown as unknown. */
#include "core/discover.h"
#include "core/json_io.h"
#include "report/report.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DESCRIBE_MAX (1 << 20)

typedef struct {
    char *name;
    report_grade grade;
    int not_forbidden, not_interesting;
} graded;

typedef struct {
    char *scenario;
    int from_descriptor;
    graded *items;
    int n;
} scenario_grades;

struct rp_grades {
    scenario_grades *s;
    int n;
};

/* PROGRAM --describe (discover.c's, with its deadline); its stdout or NULL. */
static char *describe(const char *program)
{
    return access(program, X_OK) == 0 ? describe_output(program) : NULL;
}

static report_grade grade_from_name(const char *name)
{
    if (name == NULL)
        return GRADE_UNKNOWN;
    if (strcmp(name, "acceptable") == 0)
        return GRADE_ACCEPTABLE;
    if (strcmp(name, "interesting") == 0)
        return GRADE_INTERESTING;
    if (strcmp(name, "forbidden") == 0)
        return GRADE_FORBIDDEN;
    return GRADE_UNKNOWN;
}

static graded *find(scenario_grades *s, const char *name, int add)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->items[i].name, name) == 0)
            return &s->items[i];
    if (!add)
        return NULL;
    graded *items = realloc(s->items, (size_t)(s->n + 1) * sizeof *items);
    if (items == NULL)
        return NULL;
    s->items = items;
    graded *g = &s->items[s->n++];
    memset(g, 0, sizeof *g);
    g->name = xstrdup(name);
    g->grade = GRADE_UNKNOWN;
    if (strcmp(name, "deadlock") == 0 || strcmp(name, "crash") == 0)
        g->grade = GRADE_FORBIDDEN;
    return g;
}

static int from_program(scenario_grades *s, const report_set *set)
{
    for (int i = 0; i < set->n; i++) {
        const report_run *r = &set->runs[i];
        json_object *cmd = NULL;
        if (strcmp(r->scenario, s->scenario) != 0 ||
            !json_object_object_get_ex(r->rec, "command", &cmd) ||
            !json_object_is_type(cmd, json_type_array) || json_object_array_length(cmd) == 0)
            continue;
        char *text = describe(json_object_get_string(json_object_array_get_idx(cmd, 0)));
        json_object *d = NULL;
        const char *why = NULL;
        if (text == NULL || jparse(text, strlen(text), &d, &why) != 0)
            d = NULL; /* no descriptor: the grades come from the records */
        free(text);
        json_object *outcomes = NULL, *name = NULL;
        int ok = d != NULL && json_object_object_get_ex(d, "name", &name) &&
                 strcmp(json_object_get_string(name), s->scenario) == 0 &&
                 json_object_object_get_ex(d, "outcomes", &outcomes) &&
                 json_object_is_type(outcomes, json_type_array);
        for (size_t k = 0; ok && k < json_object_array_length(outcomes); k++) {
            json_object *o = json_object_array_get_idx(outcomes, k), *n = NULL, *g = NULL;
            if (!json_object_object_get_ex(o, "name", &n) ||
                !json_object_object_get_ex(o, "grade", &g))
                continue;
            graded *item = find(s, json_object_get_string(n), 1);
            if (item != NULL)
                item->grade = grade_from_name(json_object_get_string(g));
        }
        json_object_put(d);
        if (ok)
            return 1;
    }
    return 0;
}

/* One pass of inference over the scenario's records; returns changes. */
static int infer_pass(scenario_grades *s, const report_set *set)
{
    int changes = 0;
    for (int i = 0; i < set->n; i++) {
        const report_run *r = &set->runs[i];
        json_object *outcomes = NULL;
        if (strcmp(r->scenario, s->scenario) != 0 ||
            !json_object_object_get_ex(r->rec, "outcomes", &outcomes) ||
            !json_object_is_type(outcomes, json_type_object))
            continue;
        unsigned long long cand_f = 0, cand_i = 0;
        json_object_object_foreach(outcomes, name, count)
        {
            long long c = json_object_get_int64(count);
            graded *g = find(s, name, 1);
            if (g == NULL || c <= 0)
                continue;
            if (r->forbidden == 0 && !g->not_forbidden && g->grade != GRADE_FORBIDDEN) {
                g->not_forbidden = 1;
                changes++;
            }
            if (r->interesting == 0 && !g->not_interesting && g->grade != GRADE_INTERESTING) {
                g->not_interesting = 1;
                changes++;
            }
            if (!g->not_forbidden && g->grade != GRADE_INTERESTING && g->grade != GRADE_ACCEPTABLE)
                cand_f += (unsigned long long)c;
            if (!g->not_interesting && g->grade != GRADE_FORBIDDEN && g->grade != GRADE_ACCEPTABLE)
                cand_i += (unsigned long long)c;
        }
        json_object_object_foreach(outcomes, name2, count2)
        {
            graded *g = find(s, name2, 0);
            if (g == NULL || json_object_get_int64(count2) <= 0 || g->grade != GRADE_UNKNOWN)
                continue;
            if (r->forbidden > 0 && cand_f == r->forbidden && !g->not_forbidden) {
                g->grade = GRADE_FORBIDDEN;
                changes++;
            } else if (r->interesting > 0 && cand_i == r->interesting && !g->not_interesting) {
                g->grade = GRADE_INTERESTING;
                changes++;
            } else if (g->not_forbidden && g->not_interesting) {
                g->grade = GRADE_ACCEPTABLE;
                changes++;
            }
        }
    }
    return changes;
}

rp_grades *rp_grades_load(const report_set *set)
{
    rp_grades *all = xcalloc(1, sizeof *all);
    all->s = xcalloc(1, (size_t)(set->n + 1) * sizeof *all->s);
    for (int i = 0; i < set->n; i++) {
        const char *name = set->runs[i].scenario;
        int seen = 0;
        for (int k = 0; k < all->n && !seen; k++)
            seen = strcmp(all->s[k].scenario, name) == 0;
        if (seen)
            continue;
        scenario_grades *s = &all->s[all->n++];
        s->scenario = xstrdup(name);
        s->from_descriptor = from_program(s, set);
        for (int pass = 0; !s->from_descriptor && pass < 8 && infer_pass(s, set) > 0; pass++)
            ;
    }
    return all;
}

static const scenario_grades *scenario(const rp_grades *g, const char *name)
{
    for (int i = 0; g != NULL && i < g->n; i++)
        if (strcmp(g->s[i].scenario, name) == 0)
            return &g->s[i];
    return NULL;
}

report_grade rp_grades_of(const rp_grades *g, const char *scenario_name, const char *outcome)
{
    const scenario_grades *s = scenario(g, scenario_name);
    for (int i = 0; s != NULL && i < s->n; i++)
        if (strcmp(s->items[i].name, outcome) == 0)
            return s->items[i].grade;
    if (strcmp(outcome, "deadlock") == 0 || strcmp(outcome, "crash") == 0)
        return GRADE_FORBIDDEN;
    return GRADE_UNKNOWN;
}

int rp_grades_from_descriptor(const rp_grades *g, const char *scenario_name)
{
    const scenario_grades *s = scenario(g, scenario_name);
    return s != NULL && s->from_descriptor;
}

const char *rp_grade_name(report_grade g)
{
    static const char *const names[] = {"acceptable", "interesting", "forbidden", "unknown"};
    return names[g];
}

void rp_grades_free(rp_grades *g)
{
    if (g == NULL)
        return;
    for (int i = 0; i < g->n; i++) {
        for (int k = 0; k < g->s[i].n; k++)
            free(g->s[i].items[k].name);
        free(g->s[i].items);
        free(g->s[i].scenario);
    }
    free(g->s);
    free(g);
}
