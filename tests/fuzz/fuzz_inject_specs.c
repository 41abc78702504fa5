/* fuzz_inject_specs.c — libFuzzer target: one --inject spec,
 * PATTERN:ACTION[=ARG][,p=P] (injectors/points/inject_spec.c). Beyond "no
 * crash, no UB": an accepted spec keeps the text, has a pattern, a
 * probability in [0, 1] and a positive amount for spin and delay; a refused
 * one says why. */
#include "../../injectors/points/points.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[512];
    if (size >= sizeof text || memchr(data, '\0', size) != NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rl_inject_spec spec;
    char err[512];
    err[0] = '\0';
    if (rl_parse_inject(text, &spec, err, sizeof err) != 0) {
        if (err[0] == '\0')
            abort(); /* a refusal says why (cli.c prints it on one line) */
        return 0;
    }
    if (strcmp(spec.text, text) != 0 || spec.pattern[0] == '\0' || strchr(text, ':') == NULL)
        abort();
    if (!(spec.probability >= 0 && spec.probability <= 1))
        abort();
    if ((spec.action == RL_ACT_SPIN || spec.action == RL_ACT_DELAY) && spec.amount == 0)
        abort();
    if (spec.action == RL_ACT_DELAY && spec.amount > 60000000000ULL)
        abort();
    const char *words = strrchr(text, ':') + 1;
    if (strstr(words, ",,") != NULL || words[0] == ',' || text[size - 1] == ',')
        abort(); /* an empty word after the ':' is refused */
    return 0;
}
