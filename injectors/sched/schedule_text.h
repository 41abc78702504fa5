/* schedule_text.h — strategies and schedules as the user writes them.
 *
 * A strategy: "random", "pct:D" (D 1..16), "dfs:B" (B 0..64) or "pos".
 * A schedule: the thread chosen at each step, dot-separated, with runs
 * written N*COUNT: "0.0.1.1.1.0" is "0*2.1*3.0". */
#ifndef RACELAB_SCHED_SCHEDULE_TEXT_H
#define RACELAB_SCHED_SCHEDULE_TEXT_H

#include "strategy.h"

#include <stddef.h>

int rl_parse_strategy(const char *text, rl_strategy *out); /* 0, or -1 */
void rl_format_strategy(const rl_strategy *s, char *buf, size_t len);

/* The steps written into choices[0..max), or -1: empty or malformed text, a
 * thread id of RL_SCHED_MAX_THREADS or more, a count of 0, or more than max
 * steps. Only digits, '.' and '*': no signs or spaces. */
int rl_schedule_parse(const char *text, int *choices, int max);
void rl_schedule_format(const int *choices, int n, char *buf, size_t len);

#endif
