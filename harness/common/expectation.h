/* expectation.h — the words a variant is judged by (docs/design.md "Words"):
 * grades of outcomes, expectations, detectors and verdicts, with their
 * names as the record spells them. Shared by the scenario API (racelab.h),
 * the grader and the driver. */
#ifndef RACELAB_EXPECTATION_H
#define RACELAB_EXPECTATION_H

typedef enum { RL_ACCEPTABLE, RL_INTERESTING, RL_FORBIDDEN } rl_grade;

/* What a variant must show within its budget. */
typedef enum {
    RL_REPRODUCES, /* a forbidden outcome, a hang or a TSan report must appear */
    RL_HOLDS,      /* none of those may ever appear */
    RL_BENIGN      /* interesting outcomes allowed, forbidden ones never */
} rl_expectation;

/* Which detector is expected to catch a `reproduces` variant. */
typedef enum {
    RL_CAUGHT_BY_ANY,    /* the oracle (forbidden outcome or hang) or TSan */
    RL_CAUGHT_BY_ORACLE, /* the oracle; TSan reports are recorded, not required */
    RL_CAUGHT_BY_TSAN    /* TSan only: not judged in the plain flavour */
} rl_detector;

typedef enum {
    RL_VERDICT_REPRODUCED,
    RL_VERDICT_NOT_REPRODUCED,
    RL_VERDICT_HOLDS,
    RL_VERDICT_FAILS,
    RL_VERDICT_BENIGN,
    RL_VERDICT_ERROR,       /* nothing was graded: no trials, or no record at all */
    RL_VERDICT_INCONCLUSIVE /* a fix saw no failure, but the evidence does not count: its
                               positive control did not reproduce, or its budget was cut short */
} rl_verdict_kind;

const char *rl_grade_name(rl_grade g);
const char *rl_expectation_name(rl_expectation e);
const char *rl_detector_name(rl_detector d);
const char *rl_verdict_name(rl_verdict_kind k);
/* Name to value; -1 for a name that is not one of them (or NULL). */
int rl_expectation_from_name(const char *name);
int rl_detector_from_name(const char *name);

#endif
