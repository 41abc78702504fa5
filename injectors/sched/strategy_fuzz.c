/* strategy_fuzz.c — greybox schedule fuzzing (fuzz_corpus.h).
 *
 * rl_strategy_fuzz_run: one run obeying an abstract schedule. It is POS
 * (strategy_pos.c) over the threads not delayed: a thread whose pending
 * event is the read of a positive constraint whose write has not run yet
 * in this trial, or the write of a negative constraint whose read has not
 * run yet, is delayed, and runs only when every runnable thread is. An
 * event has run once its thread was chosen with it pending. At a yielding
 * point nobody is delayed: a spin loop waiting for a delayed thread would
 * otherwise spin for ever. Deterministic for the seed and the schedule.
 *
 * rl_strategy_fuzz: the whole search in one process (scenario programs,
 * racelab repro): the corpus lives in the strategy across trials; each
 * trial runs the next schedule (rl_fuzz_next) seeded afresh, and what the
 * mechanism observed (observe) is fed back once the engine has graded the
 * trial (rl_strategy_judged), with whether it failed. */
#include "fuzz_corpus.h"

#include "../../harness/common/splitmix.h"

#include <stdlib.h>

typedef struct {
    rl_sched_strategy base; /* first: a rl_sched_strategy * is a fuzz_run * */
    rl_sched_strategy *pos;
    rl_fuzz_schedule s;
    unsigned char write_ran[RL_FUZZ_MAX_CONSTRAINTS], read_ran[RL_FUZZ_MAX_CONSTRAINTS];
    uint64_t last_site; /* the site of the event chosen at the previous step */
    rl_thread_set allowed;
} fuzz_run;

static void run_new_trial(rl_sched_strategy *self, int threads)
{
    fuzz_run *f = (fuzz_run *)self;
    for (int i = 0; i < f->s.n; i++)
        f->write_ran[i] = f->read_ran[i] = 0;
    f->last_site = 0;
    f->pos->new_trial(f->pos, threads);
}

static int delayed(const fuzz_run *f, uint64_t site)
{
    for (int i = 0; i < f->s.n && site != 0; i++) {
        const rl_fuzz_constraint *c = &f->s.c[i];
        if ((c->positive && c->read == site && !f->write_ran[i]) ||
            (!c->positive && c->write == site && !f->read_ran[i]))
            return 1;
    }
    return 0;
}

static int run_choose(rl_sched_strategy *self, const rl_sched_decision *d)
{
    fuzz_run *f = (fuzz_run *)self;
    for (int i = 0; i < f->s.n && f->last_site != 0; i++) {
        f->write_ran[i] |= f->s.c[i].write == f->last_site;
        f->read_ran[i] |= f->s.c[i].read == f->last_site;
    }
    rl_sched_decision narrowed = *d;
    if (d->events != NULL && f->s.n > 0 && !d->yielding) {
        rl_tset_clear(&f->allowed);
        for (int i = rl_tset_first(d->runnable); i >= 0; i = rl_tset_next(d->runnable, i + 1))
            if (!delayed(f, d->events[i].site))
                rl_tset_add(&f->allowed, i);
        if (!rl_tset_empty(&f->allowed))
            narrowed.runnable = &f->allowed;
    }
    int c = f->pos->choose(f->pos, &narrowed);
    f->last_site = d->events != NULL && c >= 0 ? d->events[c].site : 0;
    return c;
}

static int run_trial_done(rl_sched_strategy *self, int steps)
{
    fuzz_run *f = (fuzz_run *)self;
    return f->pos->trial_done(f->pos, steps);
}

static void run_destroy(rl_sched_strategy *self)
{
    fuzz_run *f = (fuzz_run *)self;
    rl_strategy_free(f->pos);
    free(f);
}

rl_sched_strategy *rl_strategy_fuzz_run(uint64_t seed, const rl_fuzz_schedule *s)
{
    fuzz_run *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->base = (rl_sched_strategy){run_new_trial, run_choose, run_trial_done, run_destroy, NULL};
    f->s = *s;
    if ((f->pos = rl_strategy_pos(seed)) == NULL) {
        free(f);
        return NULL;
    }
    return &f->base;
}

/* ---- the search in one process ------------------------------------------------- */

typedef struct {
    rl_sched_strategy base; /* first: a rl_sched_strategy * is a fuzz * */
    uint64_t rng;
    rl_fuzz_corpus *corpus;
    rl_fuzz_schedule current;
    rl_sched_strategy *run; /* the current trial's */
    uint64_t seed;          /* its seed */
    rl_sched_pair pairs[RL_SCHED_MAX_PAIRS];
    int n_pairs;
    int unjudged; /* the last trial is done and its feedback not yet given */
} fuzz;

/* The last trial's feedback to the corpus. */
static void feed_back(fuzz *f, int failed)
{
    if (!f->unjudged)
        return;
    f->unjudged = 0;
    if (rl_fuzz_feedback(f->corpus, &f->current, f->seed, f->pairs, f->n_pairs, failed) == -2)
        abort(); /* out of memory between trials, as in new_trial */
}

static void new_trial(rl_sched_strategy *self, int threads)
{
    fuzz *f = (fuzz *)self;
    feed_back(f, 0); /* the last trial was not graded (diverged, or a caller that does not) */
    uint64_t seed = rl_splitmix64(&f->rng);
    rl_fuzz_next(f->corpus, &f->current, &seed);
    f->seed = seed;
    rl_strategy_free(f->run);
    f->run = rl_strategy_fuzz_run(seed, &f->current);
    if (f->run == NULL)
        abort(); /* out of memory between trials: nothing sensible to go on with */
    f->n_pairs = 0;
    f->run->new_trial(f->run, threads);
}

static int choose(rl_sched_strategy *self, const rl_sched_decision *d)
{
    fuzz *f = (fuzz *)self;
    return f->run->choose(f->run, d);
}

static void observe(rl_sched_strategy *self, const rl_sched_pair *pairs, int n)
{
    fuzz *f = (fuzz *)self;
    f->n_pairs = n < RL_SCHED_MAX_PAIRS ? n : RL_SCHED_MAX_PAIRS;
    for (int i = 0; i < f->n_pairs; i++)
        f->pairs[i] = pairs[i];
}

static int trial_done(rl_sched_strategy *self, int steps)
{
    fuzz *f = (fuzz *)self;
    if (f->run != NULL)
        f->run->trial_done(f->run, steps);
    /* whether the trial failed is the engine's to judge: the feedback waits
     * for rl_strategy_judged */
    f->unjudged = 1;
    return 1; /* endless */
}

static void destroy(rl_sched_strategy *self)
{
    fuzz *f = (fuzz *)self;
    rl_strategy_free(f->run);
    rl_fuzz_corpus_free(f->corpus);
    free(f);
}

const rl_fuzz_corpus *rl_strategy_fuzz_corpus(const rl_sched_strategy *s)
{
    return s != NULL && s->destroy == destroy ? ((const fuzz *)s)->corpus : NULL;
}

void rl_strategy_judged(rl_sched_strategy *s, int failed)
{
    if (s != NULL && s->destroy == destroy)
        feed_back((fuzz *)s, failed);
}

rl_sched_strategy *rl_strategy_fuzz(uint64_t seed)
{
    fuzz *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->base = (rl_sched_strategy){new_trial, choose, trial_done, destroy, observe};
    f->rng = seed ^ 0xbb67ae8584caa73bULL;
    if ((f->corpus = rl_fuzz_corpus_new(seed)) == NULL) {
        free(f);
        return NULL;
    }
    return &f->base;
}
