/* fuzz_numbers.c — libFuzzer target: the strict number and duration parsers
 * every command line and spec goes through (harness/common/parse_number.c).
 * Properties checked beyond "no crash, no UB": an accepted duration is within
 * the parser's cap, and an accepted whole number prints back to the input. */
#include "../../harness/common/parse_number.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[64];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    unsigned long long u;
    if (rl_parse_u64(text, &u) == 0) {
        char back[32];
        snprintf(back, sizeof back, "%llu", u);
        /* leading zeros are the only other spelling accepted */
        const char *digits = text;
        while (digits[0] == '0' && digits[1] != '\0')
            digits++;
        if (strcmp(back, digits) != 0)
            abort();
    }
    double d;
    if (rl_parse_double(text, &d) == 0 && !isfinite(d))
        abort();
    uint64_t ns;
    if (rl_parse_duration_ns(text, &ns) == 0 && ns > 60000000000ULL)
        abort();
    return 0;
}
