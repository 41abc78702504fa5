/* fuzz_params.c — libFuzzer target: --param KEY=N (harness/runtime/params.c),
 * up to ten of them (lines of the input), then the range check against a
 * scenario's declared knobs. Beyond "no crash, no UB" (8.9e25 once was): an
 * accepted value is a whole decimal number that prints back to its text
 * (bar leading zeros and "-0"), a key is never taken twice, and a value the
 * check accepts lies within its knob's range. */
#include "../../harness/runtime/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const rl_param_spec params[] = {
    {"instances", 1, 1, 64, "rows"},
    {"updates", 8, 1, 1000, "updates per request"},
    {"offset", 0, -1000000, 1000000, "a signed knob"},
};
static const rl_scenario scenario = {.name = "fuzz", .params = params, .n_params = 3};

/* TEXT's value as a whole number prints back to it: -0 and leading zeros
 * are the only other spellings. */
static int prints_back(const char *text, long value)
{
    const char *digits = text + (text[0] == '-');
    while (digits[0] == '0' && digits[1] != '\0')
        digits++;
    char back[32], want[40];
    snprintf(back, sizeof back, "%ld", value);
    snprintf(want, sizeof want, "%s%s", text[0] == '-' && strcmp(digits, "0") != 0 ? "-" : "",
             digits);
    return strcmp(back, want) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rl_config cfg;
    char text[1024];
    if (size >= sizeof text || memchr(data, '\0', size) != NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&cfg, 0, sizeof cfg);
    char *save = NULL;
    int lines = 0;
    for (char *line = strtok_r(text, "\n", &save); line != NULL && lines < 10;
         line = strtok_r(NULL, "\n", &save), lines++) {
        int before = cfg.n_params;
        int rc = rl_parse_param(&cfg, line);
        if (rc != 0) {
            if (cfg.n_params != before)
                abort();
            continue;
        }
        if (cfg.n_params != before + 1 || cfg.n_params > RL_MAX_PARAMS)
            abort();
        const char *eq = strchr(line, '=');
        if (!prints_back(eq + 1, cfg.param_values[before]))
            abort();
        for (int i = 0; i < before; i++)
            if (strcmp(cfg.param_keys[i], cfg.param_keys[before]) == 0)
                abort();
    }
    char err[512];
    if (rl_check_params(&scenario, &cfg, err, sizeof err) == 0) {
        for (int i = 0; i < cfg.n_params; i++) {
            const rl_param_spec *p = NULL;
            for (int k = 0; k < scenario.n_params; k++)
                if (strcmp(params[k].name, cfg.param_keys[i]) == 0)
                    p = &params[k];
            if (p == NULL || cfg.param_values[i] < p->min || cfg.param_values[i] > p->max)
                abort();
        }
    }
    return 0;
}
