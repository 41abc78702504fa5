/* controls.c — a fix and its positive controls: which runs control it,
 * whether they have all finished, and the control its verdict counts. */
#include "core/results_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_BYTES 2000

static int ctl_controls(const session *s, const plan_item *fix, const plan_item *other)
{
    return other->sc == fix->sc && other->tsan == fix->tsan &&
           can_control(other->var, other->tsan,
                       !s->opts->has_mode || rl_mode_points_act(s->opts->mode));
}

int ctl_done(const session *s, const plan_item *fix)
{
    for (int i = 0; i < s->n_plan; i++)
        if (ctl_controls(s, fix, &s->plan[i]) && !s->finished[i].done)
            return 0;
    return 1;
}

/* The fix's control: the first of its controls that reproduced, else the
 * first that ran; a control named "none" when the scenario has no racy
 * variant that can be judged in this flavour and mode. */
rl_control_record ctl_of(const session *s, const plan_item *fix)
{
    int best = -1;
    for (int i = 0; i < s->n_plan; i++) {
        if (!ctl_controls(s, fix, &s->plan[i]) || !s->finished[i].done)
            continue;
        if (best < 0 || (strcmp(s->finished[best].verdict, "reproduced") != 0 &&
                         strcmp(s->finished[i].verdict, "reproduced") == 0))
            best = i;
    }
    if (best < 0)
        return (rl_control_record){.present = 1, .variant = NULL, .verdict = "none"};
    const run_outcome *f = &s->finished[best];
    return (rl_control_record){.present = 1,
                               .variant = f->variant,
                               .verdict = f->verdict,
                               .failures = f->failures,
                               .trials = f->trials,
                               .rate = f->rate};
}

void ctl_note(buffer *note, const rl_control_record *ctl)
{
    char *text = ctl->variant == NULL ? xstrdup("no racy variant can be judged here: inconclusive")
                 : strcmp(ctl->verdict, "reproduced") == 0
                     ? xasprintf("control %s: %llu/%llu", ctl->variant, ctl->failures, ctl->trials)
                     : xasprintf("control %s not reproduced: inconclusive", ctl->variant);
    note_add(note, text);
    free(text);
}
