/* sched_shrink.c — the shrink search (sched_shrink.h). */
#include "sched_shrink.h"

#include <stdlib.h>
#include <string.h>

typedef enum { FOUND, EXHAUSTED, BUDGET_SPENT, NO_MEMORY } search_end;

/* Every schedule with at most `bound` preemptions, until one fails. */
static search_end search(int bound, long budget, rl_shrink_trial_fn run_trial, void *ctx,
                         rl_shrink_result *out)
{
    rl_sched_strategy *dfs = rl_strategy_dfs(bound);
    if (dfs == NULL)
        return NO_MEMORY;
    search_end end = BUDGET_SPENT;
    for (long n = 0; n < budget; n++) {
        rl_sched_trial trial;
        if (run_trial(ctx, dfs, &trial)) {
            const int *choices = NULL;
            out->n = rl_strategy_dfs_seen(dfs, &choices);
            memcpy(out->choices, choices, (size_t)out->n * sizeof *choices);
            out->preemptions = trial.preemptions;
            end = FOUND;
            break;
        }
        if (!trial.more) {
            /* a last trial that did not follow its schedule (diverged, or a
             * run not graded) leaves the bound unproven */
            end = trial.diverged ? BUDGET_SPENT : EXHAUSTED;
            break;
        }
    }
    rl_strategy_free(dfs);
    return end;
}

typedef struct {
    rl_shrink_result *out;
    unsigned char *preempted; /* [RL_SCHED_MAX_STEPS] per step of out: it preempted */
    int *running;             /* [RL_SCHED_MAX_STEPS] per step of out: who was running */
    int *src;                 /* [RL_SCHED_MAX_STEPS] a candidate's entries as out's indices */
    int n_cand;               /* how many */
    int *cand;                /* [RL_SCHED_MAX_STEPS] a candidate's entries */
    unsigned char *cand_may;  /* [RL_SCHED_MAX_STEPS] and which may preempt */
    long runs, budget;
    rl_shrink_trial_fn run_trial;
    void *ctx;
    int oom;
} greedy_state;

static int can_run(const greedy_state *g) { return g->runs < g->budget && !g->oom; }

/* One lenient replay of `choices` (`may`: which entries may preempt); when
 * the trial fails with fewer than `below` preemptions, keeps in g->out what
 * it did, with which of its steps preempted whom, and returns 1. */
static int try_lenient(greedy_state *g, const int *choices, const unsigned char *may, int n,
                       int below)
{
    rl_sched_strategy *s = rl_strategy_replay_lenient(choices, may, n);
    if (s == NULL) {
        g->oom = 1;
        return 0;
    }
    g->runs++;
    rl_sched_trial trial;
    int kept = g->run_trial(g->ctx, s, &trial) && trial.preemptions < below;
    if (kept) {
        const int *seen = NULL, *current = NULL;
        const unsigned char *pre = NULL;
        rl_shrink_result *out = g->out;
        out->n = rl_strategy_lenient_seen(s, &seen, &current, &pre);
        out->preemptions = 0;
        memcpy(out->choices, seen, (size_t)out->n * sizeof *seen);
        memcpy(g->preempted, pre, (size_t)out->n);
        memcpy(g->running, current, (size_t)out->n * sizeof *current);
        for (int i = 0; i < out->n; i++)
            out->preemptions += pre[i];
    }
    rl_strategy_free(s);
    return kept;
}

/* Appends the indices lo..hi-1 at dst; returns where they end. */
static int *append(int *dst, int lo, int hi)
{
    for (int i = lo; i < hi; i++)
        *dst++ = i;
    return dst;
}

/* The candidate in g->cand from g->src, its entries as the best schedule's
 * entries src[0], src[1], …: a switch between two threads takes the mark of
 * the switch that ended the first one's block in the best schedule (the
 * decision it was about: a thread preempted there is preempted again, one
 * that blocked there is not preempted now), or 0 where that block went on
 * (a preemption the candidate takes away). */
static void reorder(greedy_state *g)
{
    const int *e = g->out->choices;
    int n = g->out->n;
    for (int k = 0; k < g->n_cand; k++) {
        int j = g->src[k];
        g->cand[k] = e[j];
        g->cand_may[k] = 0;
        if (k == 0 || e[j] == g->cand[k - 1])
            continue;
        int before = g->src[k - 1] + 1; /* after the previous entry, in the best schedule */
        g->cand_may[k] = before >= n || (e[before] != e[before - 1] && g->preempted[before]);
    }
}

/* Where thread t's next block of entries after entry p begins, in *at, and
 * ends; 0 when t has no entry after p. */
static int next_block(const int *e, int n, int p, int t, int *at)
{
    int q = p + 1;
    while (q < n && e[q] != t)
        q++;
    *at = q;
    while (q < n && e[q] == t)
        q++;
    return q > *at ? q : 0;
}

/* The ways to take away the preemption at step p, where thread R is
 * preempted: R's block of entries before p and its next block after p
 * become one, GO_ON moving the next block up to p (R goes on), DROP the
 * same with the other threads' entries between the two blocks dropped
 * (they run where they can), WAIT moving the block before p down to the
 * next one (the preempting threads run first); JUMP moves every later
 * entry of the failing thread (the last step's) up to p instead, so that
 * the failure comes at this preemption and the ones after it are never
 * reached. Nothing else moves: the lenient replay follows every other
 * entry as before. */
enum { GO_ON, DROP, WAIT, JUMP };

/* Builds candidate `way` for the preemption at step p in g->cand; returns
 * 0 when that way has nothing to move. */
static int candidate(greedy_state *g, int p, int way)
{
    const int *e = g->out->choices;
    int n = g->out->n, r = g->running[p], at = 0;
    int *src = append(g->src, 0, p);
    if (way == JUMP) {
        int t = e[n - 1];
        if (t == r || t == e[p])
            return 0; /* GO_ON's candidate, or no move */
        for (int pass = 0; pass < 2; pass++)
            for (int i = p; i < n; i++)
                if ((e[i] == t) == (pass == 0))
                    *src++ = i;
    } else if (way == GO_ON || way == DROP) {
        int end = next_block(e, n, p, r, &at);
        if (end == 0)
            return 0;
        src = append(src, at, end);
        if (way == GO_ON)
            src = append(src, p, at);
        src = append(src, end, n);
    } else {
        int s = p; /* R's block before p: [s, p) */
        while (s > 0 && e[s - 1] == r)
            s--;
        if (s == p)
            return 0;
        int to = next_block(e, n, p, r, &at) > 0 ? at : n;
        src = append(append(append(g->src + s, p, to), s, p), to, n); /* src[0..s) as before */
    }
    g->n_cand = (int)(src - g->src);
    reorder(g);
    return 1;
}

/* Runs candidate `way` for the preemption at step p when there is one;
 * returns 1 when it was kept. */
static int attempt(greedy_state *g, int p, int way)
{
    return candidate(g, p, way) &&
           try_lenient(g, g->cand, g->cand_may, g->n_cand, g->out->preemptions);
}

/* JUMP at each preemption, first first, until one is kept. */
static int jump_pass(greedy_state *g)
{
    for (int p = 0; p < g->out->n && can_run(g); p++)
        if (g->preempted[p] && attempt(g, p, JUMP))
            return 1;
    return 0;
}

/* GO_ON, DROP, WAIT at each preemption, last first, until one is kept;
 * after a removal the scan goes on below it (the steps before it are the
 * same). */
static int merge_pass(greedy_state *g)
{
    int improved = 0;
    for (int p = g->out->n - 1; p >= 0 && can_run(g); p--)
        for (int way = GO_ON; way <= WAIT && g->preempted[p] && can_run(g); way++)
            if (attempt(g, p, way)) {
                improved = 1;
                if (p > g->out->n)
                    p = g->out->n;
                break;
            }
    return improved;
}

/* The greedy pass: the failing schedule replayed leniently (what its
 * preemptions are), then jump and merge passes in turn while either keeps
 * a candidate, until `budget` runs are spent. Returns 0, or -1 when out of
 * memory. */
static int greedy(rl_shrink_result *out, long budget, rl_shrink_trial_fn run_trial, void *ctx)
{
    greedy_state g = {.out = out,
                      .preempted = calloc(RL_SCHED_MAX_STEPS, 1),
                      .running = calloc(RL_SCHED_MAX_STEPS, sizeof(int)),
                      .src = calloc(RL_SCHED_MAX_STEPS, sizeof(int)),
                      .cand = calloc(RL_SCHED_MAX_STEPS, sizeof(int)),
                      .cand_may = calloc(RL_SCHED_MAX_STEPS, 1),
                      .budget = budget,
                      .run_trial = run_trial,
                      .ctx = ctx};
    g.oom = g.preempted == NULL || g.running == NULL || g.src == NULL || g.cand == NULL ||
            g.cand_may == NULL;
    int improved = !g.oom && try_lenient(&g, out->choices, NULL, out->n, out->preemptions + 1);
    while (improved && can_run(&g)) {
        improved = jump_pass(&g);
        improved |= merge_pass(&g);
    }
    free(g.preempted);
    free(g.running);
    free(g.src);
    free(g.cand);
    free(g.cand_may);
    return g.oom ? -1 : 0;
}

int rl_sched_shrink(const int *choices, int n, int preemptions, long budget,
                    rl_shrink_trial_fn run_trial, void *ctx, rl_shrink_result *out)
{
    memmove(out->choices, choices, (size_t)n * sizeof *choices);
    out->n = n;
    out->preemptions = preemptions;
    out->minimal = 1; /* until a bound below is left unexhausted */
    if (greedy(out, budget, run_trial, ctx) != 0)
        return -1;
    for (int bound = 0; bound < out->preemptions; bound++) {
        search_end end = search(bound, budget, run_trial, ctx, out);
        if (end == NO_MEMORY)
            return -1;
        if (end == FOUND)
            break; /* every smaller bound was exhausted: minimal */
        if (end == BUDGET_SPENT) {
            out->minimal = 0;
            break;
        }
    }
    return 0;
}
