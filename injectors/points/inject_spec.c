/* inject_spec.c — parse one --inject spec: PATTERN:ACTION[=ARG][,p=P]
 *
 *   yield          sched_yield() at the point
 *   spin=N         N pause instructions
 *   delay=DUR      a pause of a random length in [0, DUR] (ns, us, ms, s)
 *   fail           the fault point's RL_FAULT() is true (fault points only)
 *   p=P            probability per hit, 0..1 (default 1)
 */
#include "../../harness/common/parse_number.h"
#include "points.h"
#include "spec_words.h"

#include <stdio.h>
#include <string.h>

static int fail_with(char *err, size_t errlen, const char *text, const char *why)
{
    snprintf(err, errlen, "bad --inject '%s': %s", text, why);
    return -1;
}

static int parse_action(char *word, rl_inject_spec *spec, char *err, size_t errlen,
                        const char *text)
{
    char *arg = strchr(word, '=');
    if (arg != NULL)
        *arg++ = '\0';
    if (strcmp(word, "yield") == 0 || strcmp(word, "fail") == 0) {
        if (arg != NULL)
            return fail_with(err, errlen, text, "yield and fail take no argument");
        spec->action = word[0] == 'y' ? RL_ACT_YIELD : RL_ACT_FAIL;
        return 0;
    }
    if (strcmp(word, "spin") == 0) {
        unsigned long long n = 0;
        if (arg == NULL || rl_parse_u64(arg, &n) != 0 || n == 0 || n > 100000000ULL)
            return fail_with(err, errlen, text, "spin=N needs a count from 1 to 100000000");
        spec->action = RL_ACT_SPIN;
        spec->amount = n;
        return 0;
    }
    if (strcmp(word, "delay") == 0) {
        uint64_t ns = 0;
        if (arg == NULL || rl_parse_duration_ns(arg, &ns) != 0 || ns == 0)
            return fail_with(err, errlen, text,
                             "delay=DURATION needs a duration such as 200us, 2ms (max 60s)");
        spec->action = RL_ACT_DELAY;
        spec->amount = ns;
        return 0;
    }
    return fail_with(err, errlen, text, "unknown action (yield, spin=N, delay=DURATION, fail)");
}

int rl_parse_inject(const char *text, rl_inject_spec *spec, char *err, size_t errlen)
{
    memset(spec, 0, sizeof *spec);
    spec->probability = 1.0;
    if (strlen(text) >= sizeof spec->text)
        return fail_with(err, errlen, "...", "longer than 255 characters");
    snprintf(spec->text, sizeof spec->text, "%s", text);

    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    char *colon = strrchr(buf, ':');
    if (colon == NULL || colon == buf)
        return fail_with(err, errlen, text, "expected PATTERN:ACTION[,p=P]");
    *colon = '\0';
    size_t pattern_len = strlen(buf);
    if (pattern_len >= sizeof spec->pattern)
        return fail_with(err, errlen, text, "pattern longer than 127 characters");
    memcpy(spec->pattern, buf, pattern_len + 1); /* the length is checked: no snprintf */

    char *rest = colon + 1;
    if (*rest == '\0')
        return fail_with(err, errlen, text, "no action after ':'");
    char *words[8];
    int n = rl_spec_words(rest, words, 8);
    if (n < 0)
        return fail_with(err, errlen, text,
                         "expected PATTERN:ACTION[,p=P] (an empty word, or too many)");
    if (parse_action(words[0], spec, err, errlen, text) != 0)
        return -1;
    for (int i = 1; i < n; i++) {
        if (strncmp(words[i], "p=", 2) != 0)
            return fail_with(err, errlen, text, "unknown option (only p=P)");
        if (i > 1)
            return fail_with(err, errlen, text, "p given twice");
        double p = 0;
        if (rl_parse_double(words[i] + 2, &p) != 0 || p < 0 || p > 1)
            return fail_with(err, errlen, text, "p must be a number from 0 to 1");
        spec->probability = p;
    }
    return 0;
}
