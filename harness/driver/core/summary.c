/* summary.c — what a person reads: one table row per run as it ends (a
 * progress line and colours only when stdout is a terminal), the totals,
 * summary.txt, and the listings of `racelab list`, `racelab describe` and
 * `racelab points`. */
#include "core/summary.h"
#include "core/json_io.h"

#include <stdlib.h>
#include <string.h>

#define GREEN "\033[32m"
#define RED "\033[1;31m"
#define YELLOW "\033[33m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static int max_int(int a, int b) { return a > b ? a : b; }

void summary_header(session *s, const plan_item *plan, int n)
{
    s->width_scenario = (int)strlen("scenario");
    s->width_variant = (int)strlen("variant");
    for (int i = 0; i < n; i++) {
        s->width_scenario = max_int(s->width_scenario, (int)strlen(plan[i].sc->name));
        s->width_variant = max_int(s->width_variant, (int)strlen(plan[i].var->name));
    }
    s->n_planned = n;
    if (s->quiet)
        return;
    printf("%s%-*s  %-*s  %-10s  %-11s  %-7s  %10s  %8s  %9s  %5s  %-14s  %-4s  %s%s\n",
           s->colour ? DIM : "", s->width_scenario, "scenario", s->width_variant, "variant",
           "expect", "mode", "flavour", "trials", "trials/s", "forbidden", "tsan", "verdict", "met",
           "note", s->colour ? RESET : "");
    fflush(stdout);
}

static const char *met_text(int met) { return met == 1 ? "yes" : met == 0 ? "NO" : "n/a"; }

static void row_print(const session *s, FILE *f, const summary_row *r, int colour)
{
    const char *c_on = "", *c_off = "";
    if (colour) {
        c_on = r->met == 1 ? GREEN : r->met == 0 ? RED : YELLOW;
        c_off = RESET;
    }
    fprintf(f, "%-*s  %-*s  %-10s  %-11s  %-7s  %10s  %8s  %9s  %5s  %s%-14s  %-4s%s  %s\n",
            s->width_scenario, r->scenario, s->width_variant, r->variant, r->expectation, r->mode,
            r->flavour, r->trials, r->rate, r->forbidden, r->tsan, c_on, r->verdict,
            met_text(r->met), c_off, r->note ? r->note : "");
}

void summary_progress_clear(session *s)
{
    if (s->tty && s->progress_shown) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
        s->progress_shown = 0;
    }
}

void summary_row_print(session *s, const summary_row *r)
{
    if (s->quiet)
        return;
    summary_progress_clear(s);
    row_print(s, stdout, r, s->colour);
    fflush(stdout);
}

void summary_progress(session *s, int done, const child_run *const *running, int n_running)
{
    /* a line rewritten in place: a terminal that takes escapes (the colour
     * test: a tty, no NO_COLOR, TERM not dumb); elsewhere rows only */
    if (!s->colour || s->quiet)
        return;
    double now = now_seconds();
    int not_met = 0;
    for (int i = 0; i < s->n_rows; i++)
        not_met += s->rows[i].met == 0;
    printf("\r\033[K%s[%d/%d] %d not met", s->colour ? DIM : "", done, s->n_planned, not_met);
    /* the runs so far at their mean duration, for what is left */
    if (done > 0 && s->started > 0 && done < s->n_planned) {
        double eta = (now - s->started) / done * (s->n_planned - done);
        if (eta >= 60)
            printf(", ETA %dm%02ds", (int)eta / 60, (int)eta % 60);
        else
            printf(", ETA %.0fs", eta);
    }
    for (int i = 0; i < n_running && i < 2; i++) {
        const child_run *c = running[i];
        printf(" | %s:%s %s %.1fs", c->item.sc->name, c->item.var->name,
               c->item.tsan ? "tsan" : "plain", now - c->ch.start);
        /* the program's own feed: Go's stress's "N runs so far, M failures" */
        if (c->live_trials >= 0)
            printf(" %lld trials, %lld failures", c->live_trials, c->live_failures);
    }
    if (n_running > 2)
        printf(" +%d", n_running - 2);
    fputs(s->colour ? RESET : "", stdout);
    fflush(stdout);
    s->progress_shown = 1;
}

typedef struct {
    int met, failed, weak, not_judged, crashes, deadlocks, errors, interrupted;
} totals;

static totals count(const session *s)
{
    totals t = {0};
    for (int i = 0; i < s->n_rows; i++) {
        const summary_row *r = &s->rows[i];
        if (strstr(r->note, "no record") != NULL && strcmp(r->verdict, "-") == 0) {
            t.interrupted++;
            continue;
        }
        t.met += r->met == 1;
        t.failed += r->met == 0 && r->severity == RL_EXIT_FIX_FAILED;
        t.weak += r->met == 0 && r->severity == RL_EXIT_WEAK;
        t.not_judged += r->met == -1;
        t.crashes += strstr(r->note, "crash") != NULL;
        t.deadlocks += strstr(r->note, "deadlock") != NULL;
        t.errors += strcmp(r->verdict, "error") == 0;
    }
    return t;
}

static const char *status_meaning(int status)
{
    switch (status) {
    case RL_EXIT_MET: return "every expectation met";
    case RL_EXIT_FIX_FAILED: return "a fix FAILED (a regression)";
    case RL_EXIT_WEAK:
        return "weak evidence: a racy variant not reproduced, or a fix inconclusive (no "
               "regression seen)";
    case RL_EXIT_USAGE: return "bad input to a program";
    case RL_EXIT_HARNESS: return "the harness or its environment failed";
    case RL_EXIT_INTERRUPTED: return "interrupted";
    default: return "?";
    }
}

static void totals_line(const session *s, FILE *f, int interrupted, int status, int colour)
{
    totals t = count(s);
    int finished = s->n_rows - t.interrupted;
    fprintf(f, "%s%d of %d runs finished: %d met, %d fix failed, %d weak evidence, %d not judged",
            colour ? (status == 0 ? GREEN : RED) : "", finished, s->n_planned, t.met, t.failed,
            t.weak, t.not_judged);
    if (t.crashes)
        fprintf(f, ", %d crash%s", t.crashes, t.crashes == 1 ? "" : "es");
    if (t.deadlocks)
        fprintf(f, ", %d deadlock%s (driver watchdog)", t.deadlocks, t.deadlocks == 1 ? "" : "s");
    if (t.errors)
        fprintf(f, ", %d error%s", t.errors, t.errors == 1 ? "" : "s");
    if (interrupted)
        fputs("; interrupted", f);
    fprintf(f, "%s\n", colour ? RESET : "");
    /* A declared point no actor reached: misplaced, or a path never taken. */
    for (int i = 0; i < s->n_rows; i++)
        if (s->rows[i].unhit != NULL)
            fprintf(f, "%swarning: %s:%s (%s, %s): points never hit: %s%s\n", colour ? YELLOW : "",
                    s->rows[i].scenario, s->rows[i].variant, s->rows[i].mode, s->rows[i].flavour,
                    s->rows[i].unhit, colour ? RESET : "");
    fprintf(f, "exit status %d: %s\nresults: %s\n", status, status_meaning(status), s->dir);
}

void summary_write_file(const session *s, FILE *f, int interrupted, int status)
{
    fprintf(f, "%-*s  %-*s  %-10s  %-11s  %-7s  %10s  %8s  %9s  %5s  %-14s  %-4s  %s\n",
            s->width_scenario, "scenario", s->width_variant, "variant", "expect", "mode", "flavour",
            "trials", "trials/s", "forbidden", "tsan", "verdict", "met", "note");
    for (int i = 0; i < s->n_rows; i++)
        row_print(s, f, &s->rows[i], 0);
    fputc('\n', f);
    totals_line(s, f, interrupted, status, 0);
}

void summary_totals(session *s, int interrupted, int status)
{
    summary_progress_clear(s);
    if (s->quiet) { /* no table: the warnings go to stderr */
        for (int i = 0; i < s->n_rows; i++)
            if (s->rows[i].unhit != NULL)
                warn_msg("%s:%s (%s, %s): points never hit: %s", s->rows[i].scenario,
                         s->rows[i].variant, s->rows[i].mode, s->rows[i].flavour, s->rows[i].unhit);
        return;
    }
    putchar('\n');
    totals_line(s, stdout, interrupted, status, s->colour);
    fflush(stdout);
}

void summary_list(const catalog *cat, FILE *f)
{
    int ws = (int)strlen("scenario"), wv = (int)strlen("variant");
    for (int i = 0; i < cat->n; i++) {
        ws = max_int(ws, (int)strlen(cat->items[i].name));
        for (int v = 0; v < cat->items[i].n_variants; v++)
            wv = max_int(wv, (int)strlen(cat->items[i].variants[v].name));
    }
    fprintf(f, "%-*s  %-*s  %-10s  %-9s  %s\n", ws, "scenario", wv, "variant", "expect",
            "caught_by", "summary");
    for (int i = 0; i < cat->n; i++) {
        const scenario_info *sc = &cat->items[i];
        for (int v = 0; v < sc->n_variants; v++) {
            const variant_info *var = &sc->variants[v];
            fprintf(f, "%-*s  %-*s  %-10s  %-9s  %s%s\n", ws, v == 0 ? sc->name : "", wv, var->name,
                    var->expectation, var->caught_by, var->summary,
                    v == 0 && !sc->tsan_built ? "  [no tsan build]" : "");
        }
    }
}

static const char *text_of(const json_object *obj, const char *key)
{
    const char *s = jstring(jget(obj, key));
    return s ? s : "";
}

void summary_describe(const scenario_info *sc, FILE *f)
{
    json_object *d = sc->descriptor;
    fprintf(f, "%s — %s\n", sc->name, text_of(d, "summary"));
    fprintf(f, "reference: %s\n", text_of(d, "reference"));
    const char *actors = jnumber_text(jget(d, "actors"));
    fprintf(f, "actors: %s\n", actors ? actors : "?");
    fprintf(f, "programs: %s%s, %s%s\n", sc->plain_path, "", sc->tsan_path,
            sc->tsan_built ? "" : " (not built)");
    fputs("variants:\n", f);
    for (int v = 0; v < sc->n_variants; v++)
        fprintf(f, "  %-14s %-10s (caught by %s)  %s\n", sc->variants[v].name,
                sc->variants[v].expectation, sc->variants[v].caught_by, sc->variants[v].summary);
    const json_object *outcomes = jget(d, "outcomes");
    if (json_object_is_type(outcomes, json_type_array)) {
        fputs("outcomes:\n", f);
        for (size_t i = 0; i < jlen(outcomes); i++)
            fprintf(f, "  %-20s %-11s %s\n", text_of(jat(outcomes, i), "name"),
                    text_of(jat(outcomes, i), "grade"), text_of(jat(outcomes, i), "meaning"));
    }
    const json_object *points = jget(d, "points");
    if (jlen(points) > 0) {
        fputs("points:\n", f);
        for (size_t i = 0; i < jlen(points); i++)
            fprintf(f, "  %-28s %-5s %s\n", text_of(jat(points, i), "name"),
                    text_of(jat(points, i), "kind"), text_of(jat(points, i), "meaning"));
    }
}

void summary_points(const catalog *cat, const scenario_info *only, FILE *f)
{
    int ws = (int)strlen("scenario"), wp = (int)strlen("point");
    for (int i = 0; i < cat->n; i++) {
        const scenario_info *sc = &cat->items[i];
        const json_object *points = jget(sc->descriptor, "points");
        if (only != NULL && sc != only)
            continue;
        for (size_t k = 0; k < jlen(points); k++) {
            ws = max_int(ws, (int)strlen(sc->name));
            wp = max_int(wp, (int)strlen(text_of(jat(points, k), "name")));
        }
    }
    fprintf(f, "%-*s  %-*s  %-5s  %s\n", ws, "scenario", wp, "point", "kind", "meaning");
    for (int i = 0; i < cat->n; i++) {
        const scenario_info *sc = &cat->items[i];
        const json_object *points = jget(sc->descriptor, "points");
        if (only != NULL && sc != only)
            continue;
        for (size_t k = 0; k < jlen(points); k++)
            fprintf(f, "%-*s  %-*s  %-5s  %s\n", ws, sc->name, wp, text_of(jat(points, k), "name"),
                    text_of(jat(points, k), "kind"), text_of(jat(points, k), "meaning"));
    }
}
