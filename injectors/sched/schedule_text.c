/* schedule_text.c — strategies and schedules as text (schedule_text.h). */
#include "schedule_text.h"

#include "../../harness/common/parse_number.h"

#include <stdio.h>
#include <string.h>

int rl_parse_strategy(const char *text, rl_strategy *out)
{
    unsigned long long n = 0;
    memset(out, 0, sizeof *out);
    if (strcmp(text, "random") == 0) {
        out->kind = RL_STRAT_RANDOM;
        return 0;
    }
    if (strcmp(text, "pos") == 0) {
        out->kind = RL_STRAT_POS;
        return 0;
    }
    if (strcmp(text, "fuzz") == 0) {
        out->kind = RL_STRAT_FUZZ;
        return 0;
    }
    if (strncmp(text, "pct:", 4) == 0 && rl_parse_u64(text + 4, &n) == 0 && n >= 1 && n <= 16) {
        out->kind = RL_STRAT_PCT;
        out->depth = (int)n;
        return 0;
    }
    if (strncmp(text, "dfs:", 4) == 0 && rl_parse_u64(text + 4, &n) == 0 && n <= 64) {
        out->kind = RL_STRAT_DFS;
        out->preemptions = (int)n;
        return 0;
    }
    return -1;
}

void rl_format_strategy(const rl_strategy *s, char *buf, size_t len)
{
    if (s->kind == RL_STRAT_RANDOM)
        snprintf(buf, len, "random");
    else if (s->kind == RL_STRAT_POS)
        snprintf(buf, len, "pos");
    else if (s->kind == RL_STRAT_FUZZ)
        snprintf(buf, len, "fuzz");
    else if (s->kind == RL_STRAT_PCT)
        snprintf(buf, len, "pct:%d", s->depth);
    else
        snprintf(buf, len, "dfs:%d", s->preemptions);
}

void rl_schedule_format(const int *choices, int n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used + 16 < len;) {
        int run = 1;
        while (i + run < n && choices[i + run] == choices[i])
            run++;
        int w = run > 1 ? snprintf(buf + used, len - used, "%s%d*%d", i ? "." : "", choices[i], run)
                        : snprintf(buf + used, len - used, "%s%d", i ? "." : "", choices[i]);
        used += (size_t)w;
        i += run;
    }
}

/* A decimal number of at most `limit` at *p, advancing *p; -1 when there is
 * no digit or the number is above limit (checked digit by digit: no
 * overflow, whatever the length). */
static long long read_number(const char **p, long long limit)
{
    const char *s = *p;
    long long v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > limit)
            return -1;
    }
    *p = s;
    return v;
}

int rl_schedule_parse(const char *text, int *choices, int max)
{
    int n = 0;
    const char *p = text;
    for (;;) {
        long long thread = read_number(&p, RL_SCHED_MAX_THREADS - 1);
        if (thread < 0)
            return -1;
        long long run = 1;
        if (*p == '*') {
            p++;
            run = read_number(&p, (long long)max - n); /* no more steps than room */
            if (run < 1)
                return -1;
        } else if (n >= max) {
            return -1;
        }
        for (long long i = 0; i < run; i++)
            choices[n++] = (int)thread;
        if (*p == '\0')
            return n;
        if (*p++ != '.')
            return -1; /* and a '.' must be followed by a step */
    }
}
