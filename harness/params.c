/* params.c — --param KEY=VALUE: a scenario's own whole-number knobs. */
#include "internal.h"

#include <string.h>

static const rl_config *params_config;

void rl_params_use(const rl_config *cfg) { params_config = cfg; }

/* 0 when accepted; -1 for a malformed spec, -2 when there are too many. */
int rl_parse_param(rl_config *cfg, const char *text)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text || (size_t)(eq - text) >= sizeof cfg->param_keys[0])
        return -1;
    double value = 0;
    if (rl_parse_double(eq + 1, &value) != 0 || value != (double)(long)value)
        return -1;
    if (cfg->n_params >= RL_MAX_PARAMS)
        return -2;
    int i = cfg->n_params++;
    memcpy(cfg->param_keys[i], text, (size_t)(eq - text));
    cfg->param_keys[i][eq - text] = '\0';
    cfg->param_values[i] = (long)value;
    return 0;
}

long rl_param(const char *key, long default_value)
{
    if (params_config == NULL)
        return default_value;
    long value = default_value;
    for (int i = 0; i < params_config->n_params; i++)
        if (strcmp(params_config->param_keys[i], key) == 0)
            value = params_config->param_values[i]; /* the last one given wins */
    return value;
}
