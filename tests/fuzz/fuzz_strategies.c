/* fuzz_strategies.c — libFuzzer target: a --strategy, random, pct:D or dfs:B
 * (rl_parse_strategy, injectors/sched). Beyond "no crash, no UB": an
 * accepted strategy is within its bounds and its text, formatted again, is
 * parsed to the same strategy. */
#include "../../injectors/sched/sched.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[64];
    if (size >= sizeof text || memchr(data, '\0', size) != NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rl_strategy s, again;
    if (rl_parse_strategy(text, &s) != 0)
        return 0;
    if (s.kind == RL_STRAT_PCT && (s.depth < 1 || s.depth > 16))
        abort();
    if (s.kind == RL_STRAT_DFS && (s.preemptions < 0 || s.preemptions > 64))
        abort();
    char back[64];
    rl_format_strategy(&s, back, sizeof back);
    if (rl_parse_strategy(back, &again) != 0 || again.kind != s.kind ||
        (s.kind == RL_STRAT_PCT && again.depth != s.depth) ||
        (s.kind == RL_STRAT_DFS && again.preemptions != s.preemptions))
        abort();
    return 0;
}
