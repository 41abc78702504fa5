/* sched.h — the controlled scheduler (--mode sched), all of it: the
 * mechanism (sched_mechanism.h), the strategies (strategy.h), their text
 * (schedule_text.h) and the shrink (sched_shrink.h). Include the part you need;
 * this header is for the callers that use several. */
#ifndef RACELAB_SCHED_H
#define RACELAB_SCHED_H

#include "sched_mechanism.h"
#include "sched_shrink.h"
#include "schedule_text.h"
#include "strategy.h"

#endif
