/* fuzz_schedules.c — libFuzzer target: a --replay schedule, "0*3.1.0*2"
 * (rl_schedule_parse, injectors/sched), into a buffer of exactly `max`
 * choices (the first two bytes choose max, 1..RL_SCHED_MAX_STEPS), so ASan
 * sees any write past it (issue 13: "0.0*9223372036854775807" overflowed
 * the run-length check). Beyond "no crash, no UB": an accepted schedule has
 * 1..max steps, each a thread below RL_SCHED_MAX_THREADS, and formatted
 * again it is parsed to the same steps. */
#include "../../injectors/sched/sched.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 4096 + 2 || memchr(data + 2, '\0', size - 2) != NULL)
        return 0;
    int max = 1 + (int)(((unsigned)data[0] << 8 | data[1]) % RL_SCHED_MAX_STEPS);
    char *text = malloc(size - 1);
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    int *choices = malloc((size_t)max * sizeof *choices);
    int n = rl_schedule_parse(text, choices, max);
    if (n > max || n == 0)
        abort();
    if (n > 0) {
        for (int i = 0; i < n; i++)
            if (choices[i] < 0 || choices[i] >= RL_SCHED_MAX_THREADS)
                abort();
        size_t cap = (size_t)n * 24 + 32;
        char *back = malloc(cap);
        rl_schedule_format(choices, n, back, cap);
        int *again = malloc((size_t)n * sizeof *again);
        if (rl_schedule_parse(back, again, n) != n ||
            memcmp(again, choices, (size_t)n * sizeof *again) != 0)
            abort();
        free(again);
        free(back);
    }
    free(choices);
    free(text);
    return 0;
}
