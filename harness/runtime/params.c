/* params.c — --param NAME=N: a scenario's own whole-number knobs, declared
 * with a default and a range in its descriptor. */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const rl_scenario *params_scenario;
static const rl_config *params_config;

void rl_params_use(const rl_scenario *sc, const rl_config *cfg)
{
    params_scenario = sc;
    params_config = cfg;
}

static const rl_param_spec *declared(const rl_scenario *sc, const char *name)
{
    for (int i = 0; i < sc->n_params; i++)
        if (strcmp(sc->params[i].name, name) == 0)
            return &sc->params[i];
    return NULL;
}

int rl_check_params(const rl_scenario *sc, const rl_config *cfg, char *err, size_t errlen)
{
    for (int i = 0; i < cfg->n_params; i++) {
        const rl_param_spec *p = declared(sc, cfg->param_keys[i]);
        if (p == NULL) {
            size_t used =
                (size_t)snprintf(err, errlen, "unknown --param '%s' (known:", cfg->param_keys[i]);
            for (int k = 0; k < sc->n_params && used < errlen; k++)
                used += (size_t)snprintf(err + used, errlen - used, " %s", sc->params[k].name);
            if (used < errlen)
                snprintf(err + used, errlen - used, "%s)", sc->n_params ? "" : " none");
            return -1;
        }
        if (cfg->param_values[i] < p->min || cfg->param_values[i] > p->max) {
            snprintf(err, errlen, "--param %s=%ld: must be from %ld to %ld", p->name,
                     cfg->param_values[i], p->min, p->max);
            return -1;
        }
    }
    return 0;
}

/* A whole number as a person writes it: an optional '-' and decimal digits
 * (rl_parse_u64's strict spelling), within a long. No exponent ("1e1"), no
 * hexadecimal, no fraction: the value is the text, never a rounded double. */
static int parse_whole(const char *text, long *out)
{
    int negative = text[0] == '-';
    unsigned long long magnitude = 0;
    if (rl_parse_u64(text + negative, &magnitude) != 0)
        return -1;
    if (negative ? magnitude > (unsigned long long)LONG_MAX + 1 : magnitude > LONG_MAX)
        return -1;
    *out = negative ? (long)(0 - magnitude) : (long)magnitude;
    return 0;
}

static int given(const rl_config *cfg, const char *key)
{
    for (int i = 0; i < cfg->n_params; i++)
        if (strcmp(cfg->param_keys[i], key) == 0)
            return 1;
    return 0;
}

/* 0 when accepted; -1 for a malformed spec, -2 when there are too many, -3
 * when the key was given before (a repeated knob is refused, not last-wins). */
int rl_parse_param(rl_config *cfg, const char *text)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text || (size_t)(eq - text) >= sizeof cfg->param_keys[0])
        return -1;
    long value = 0;
    if (parse_whole(eq + 1, &value) != 0)
        return -1;
    if (cfg->n_params >= RL_MAX_PARAMS)
        return -2;
    char key[sizeof cfg->param_keys[0]];
    memcpy(key, text, (size_t)(eq - text));
    key[eq - text] = '\0';
    if (given(cfg, key))
        return -3;
    int i = cfg->n_params++;
    memcpy(cfg->param_keys[i], key, sizeof key);
    cfg->param_values[i] = value;
    return 0;
}

long rl_param(const char *name)
{
    const rl_param_spec *p = declared(params_scenario, name);
    if (p == NULL) {
        fprintf(stderr, "racelab: %s reads --param %s, which it does not declare\n",
                params_scenario->name, name);
        abort();
    }
    for (int i = 0; i < params_config->n_params; i++)
        if (strcmp(params_config->param_keys[i], name) == 0)
            return params_config->param_values[i]; /* given once (rl_parse_param) */
    return p->default_value;
}
