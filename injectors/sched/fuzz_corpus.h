/* fuzz_corpus.h — the fuzz strategy's pieces (RFF: Wolff et al., "Greybox
 * Fuzzing for Concurrency Testing", ASPLOS 2024), for its two homes: exec's
 * driver, where each run is a process, and the in-process strategy of
 * scenario programs (strategy_fuzz.c).
 *
 * An abstract schedule is a set of reads-from constraints by site
 * (strategy.h): (write site, read site, positive or negative). A run obeys
 * one (rl_strategy_fuzz_run) by delaying events: a read named in a
 * positive constraint until its write has run, a write named in a negative
 * one until its read has run; delayed threads run only when nobody else
 * can, and the rest is POS by the run's seed.
 *
 * The corpus keeps the abstract schedules whose runs showed a reads-from
 * pair never seen before, and every pair seen with how often. The next
 * schedule is a corpus entry picked by energy (its new pairs, the rarer
 * the more; a schedule that failed the most), then mutated: a constraint
 * added from the pairs seen (the rarer the likelier), one negated, one
 * dropped. Deterministic for the corpus's seed and the feedback's order. */
#ifndef RACELAB_SCHED_FUZZ_CORPUS_H
#define RACELAB_SCHED_FUZZ_CORPUS_H

#include "strategy.h"

#include <stddef.h>
#include <stdint.h>

#define RL_FUZZ_MAX_CONSTRAINTS 12
#define RL_FUZZ_ENTRY_PAIRS 32 /* new pairs an entry keeps, for its energy */
/* The longest schedule as text: "+W>R" with 16 hex digits each, commas. */
#define RL_FUZZ_TEXT_MAX (RL_FUZZ_MAX_CONSTRAINTS * 36 + 1)

typedef struct {
    uint64_t write, read;
    int positive;
} rl_fuzz_constraint;

typedef struct {
    int n;
    rl_fuzz_constraint c[RL_FUZZ_MAX_CONSTRAINTS];
} rl_fuzz_schedule;

/* "+W>R,-W>R" (sites in hex; "" is the empty schedule): 0, or -1 when malformed. */
int rl_fuzz_schedule_parse(const char *text, rl_fuzz_schedule *out);
/* Into buf (at least RL_FUZZ_TEXT_MAX bytes). */
void rl_fuzz_schedule_format(const rl_fuzz_schedule *s, char *buf, size_t len);

/* A run's strategy: obeys `s` (copied), POS by `seed` otherwise. */
rl_sched_strategy *rl_strategy_fuzz_run(uint64_t seed, const rl_fuzz_schedule *s);

typedef struct rl_fuzz_corpus rl_fuzz_corpus;

rl_fuzz_corpus *rl_fuzz_corpus_new(uint64_t seed); /* NULL: out of memory */
void rl_fuzz_corpus_free(rl_fuzz_corpus *c);
int rl_fuzz_corpus_size(const rl_fuzz_corpus *c);
int rl_fuzz_pairs_seen(const rl_fuzz_corpus *c);     /* distinct pairs */
int rl_fuzz_failed_entries(const rl_fuzz_corpus *c); /* entries whose run failed */
/* The in-process fuzz strategy's corpus (rl_strategy_fuzz); NULL for any
 * other strategy. */
const rl_fuzz_corpus *rl_strategy_fuzz_corpus(const rl_sched_strategy *s);
/* The next schedule to run. A resumed campaign first runs again every
 * loaded entry that failed, as it was and with its run's seed (*seed, and
 * 1 is returned: libFuzzer runs its corpus first too); then mutations (0). */
int rl_fuzz_next(rl_fuzz_corpus *c, rl_fuzz_schedule *out, uint64_t *seed);
/* A run of `s` seeded `seed` observed `pairs` (and failed, or not): counted. Returns the
 * index of the entry it made when a pair was new (or it failed first with
 * this schedule), -1 otherwise, -2 when out of memory. */
int rl_fuzz_feedback(rl_fuzz_corpus *c, const rl_fuzz_schedule *s, uint64_t seed,
                     const rl_sched_pair *pairs, int n, int failed);

/* Entry `i` as text, one file's content (malloc'd; NULL: out of memory):
 *   racelab-fuzz-entry 1
 *   schedule +W>R,-W>R
 *   seed N                   (the seed of the run that made it)
 *   failed 0|1
 *   pairs W>R W>R ...        (the pairs it found first)
 * and one read back (its pairs counted as seen): 0, -1 when malformed, -2
 * when out of memory. */
char *rl_fuzz_entry_text(const rl_fuzz_corpus *c, int i);
int rl_fuzz_entry_load(rl_fuzz_corpus *c, const char *text);

#endif
