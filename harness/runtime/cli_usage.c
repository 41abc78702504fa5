/* cli_usage.c — PROGRAM --help: what this scenario offers (variants,
 * params, points), then the options every scenario program takes. */
#include "internal.h"

static void print_scenario(FILE *f, const rl_scenario *sc)
{
    fprintf(f, "%s — %s\n  %s\n", sc->name, sc->summary, sc->reference);
    fprintf(f, "\nvariants (--variant V, default %s):\n", sc->variants[0].name);
    for (int i = 0; i < sc->n_variants; i++) {
        const rl_variant *v = &sc->variants[i];
        fprintf(f, "  %-18s %-11s %s", v->name, rl_expectation_name(v->expect), v->summary);
        if (v->caught_by != RL_CAUGHT_BY_ANY)
            fprintf(f, " [caught by %s]", rl_detector_name(v->caught_by));
        if (v->inject != NULL)
            fprintf(f, " [needs %s]", rl_variant_inject(v));
        fputc('\n', f);
    }
    if (sc->n_params > 0) {
        fputs("params (--param NAME=N):\n", f);
        for (int i = 0; i < sc->n_params; i++) {
            const rl_param_spec *p = &sc->params[i];
            fprintf(f, "  %-18s %ld (%ld..%ld) %s\n", p->name, p->default_value, p->min, p->max,
                    p->meaning);
        }
    }
    if (sc->n_points > 0) {
        fputs("points (--inject PATTERN:ACTION):\n", f);
        for (int i = 0; i < sc->n_points; i++)
            fprintf(f, "  %-34s %s\n", sc->points[i].name,
                    sc->points[i].kind == RL_FAULT_POINT ? "fault" : "delay");
    }
}

static void print_profiles(FILE *f)
{
    int n = 0;
    const rl_profile *profiles = rl_profile_list(&n);
    for (int i = 0; i < n; i++)
        fprintf(f, "                     %-8s %s%s%s\n", profiles[i].name, profiles[i].meaning,
                profiles[i].spec ? ": " : "", profiles[i].spec ? profiles[i].spec : "");
}

void rl_print_usage(FILE *f, const char *program, const rl_scenario *sc)
{
    fprintf(f, "usage: %s [options]\n", program);
    print_scenario(f, sc);
    fputs("\noptions (--opt VALUE or --opt=VALUE):\n"
          "  --variant V        one of the variants above\n"
          "  --mode M           stress (free-running, points cost nothing), fuzz (points\n"
          "                     delay and fail through libfiu) or sched (one thread at a\n"
          "                     time, the scheduler picks at every point)\n"
          "  --seconds S        time budget (default 1)\n"
          "  --trials N         trial budget instead of a time budget\n"
          "  --until-fail       stop at the first forbidden outcome or hang\n"
          "  --seed N           seed of every random decision (default: from the clock;\n"
          "                     always printed in the record)\n"
          "  --profile P        fuzz mode: specs for every point, before --inject's\n"
          "                     (default: default, unless --inject is given):\n",
          f);
    print_profiles(f);
    fputs("  --inject SPEC      PATTERN:ACTION[,p=P], repeatable (fuzz mode; fail only in\n"
          "                     sched mode); ACTION is yield, spin=N, delay=DURATION or\n"
          "                     fail; PATTERN is a glob over the points above\n"
          "  --posix-faults F   NAME[:p=P][,errno=E], a libfiu POSIX fault such as\n"
          "                     posix/io/rw/write:p=0.01,errno=ENOSPC (runs the program\n"
          "                     under fiu-run -x), repeatable\n"
          "  --strategy S       sched mode: random, pct:D (PCT with bug depth D; default\n"
          "                     pct:3), dfs:B (every schedule with <= B preemptions),\n"
          "                     pos (partial order sampling) or fuzz (greybox schedule\n"
          "                     fuzzing, docs/search.md)\n"
          "  --replay SCHEDULE  sched mode: force this schedule (from a record) on every\n"
          "                     trial\n"
          "  --shrink           sched mode: reduce the first failing schedule to the\n"
          "                     fewest preemptions and print its trace\n"
          "  --outcome NAME     sched mode: the failure to look for, and to shrink\n"
          "                     towards (a forbidden outcome, or deadlock; default:\n"
          "                     any, and the shrink keeps the first one's)\n"
          "  --timeout S        seconds without progress before a trial counts as hung\n"
          "                     (the deadlock outcome; default 3)\n"
          "  --batch N          fixed trials per synchronisation (default adaptive)\n"
          "  --param NAME=N     one of the params above, repeatable\n"
          "  --engine E         batched (default) or naive (threads created per trial:\n"
          "                     the hand-written baseline)\n"
          "  --json             print the run record as one JSON object\n"
          "  --describe         print the scenario's descriptor as JSON\n"
          "  --version          print the version and the flavour\n"
          "  -h, --help         print this help\n"
          "exit status: 0 expectation met, 1 not met, 2 bad input, 3 harness failure\n",
          f);
}
