/* parse_number.c — strict parsing of numbers and durations: the whole string must
 * be a value, or it is an error (the caller prints a one-line message). */
#include "parse_number.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Only a plain decimal spelling of [0, n) is a number here: strto* would also
 * take leading blanks, hexadecimal, "inf" and "nan". */
static int decimal_span(const char *s, size_t n, const char *allowed)
{
    if (n == 0 || !((s[0] >= '0' && s[0] <= '9') || s[0] == '.' || s[0] == '-'))
        return 0;
    return strspn(s, allowed) >= n;
}

int rl_parse_u64(const char *s, unsigned long long *out)
{
    if (s == NULL || !decimal_span(s, strlen(s), "0123456789") || *s == '-')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int rl_parse_double(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
        !decimal_span(s, (size_t)(end - s), "0123456789.eE+-"))
        return -1;
    *out = v;
    return 0;
}

/* "250us", "2ms", "1.5s", "800ns"; a bare number is microseconds. */
int rl_parse_duration_ns(const char *s, uint64_t *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || !isfinite(v) || v < 0 ||
        !decimal_span(s, (size_t)(end - s), "0123456789.eE+-"))
        return -1;
    double scale = 1e3;
    if (strcmp(end, "ns") == 0)
        scale = 1;
    else if (strcmp(end, "us") == 0 || *end == '\0')
        scale = 1e3;
    else if (strcmp(end, "ms") == 0)
        scale = 1e6;
    else if (strcmp(end, "s") == 0)
        scale = 1e9;
    else
        return -1;
    double ns = v * scale;
    if (ns > 60e9) /* a point that sleeps a minute is a typo */
        return -1;
    *out = (uint64_t)ns;
    return 0;
}
