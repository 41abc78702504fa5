/* report_text.c — the small text tools of the reports: a growing string,
 * XML escaping, numbers as a person reads them, messages, small files. */
#include "report/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void *rp_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL) {
        fputs("racelab: error: out of memory\n", stderr);
        exit(REPORT_EXIT_HARNESS);
    }
    return p;
}

char *rp_strdup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = rp_alloc(n);
    memcpy(d, s ? s : "", n);
    return d;
}

static void grow(rp_buf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (s == NULL) {
        fputs("racelab: error: out of memory\n", stderr);
        exit(REPORT_EXIT_HARNESS);
    }
    b->s = s;
    b->cap = cap;
}

void rp_add(rp_buf *b, const char *text)
{
    size_t n = strlen(text);
    grow(b, n);
    memcpy(b->s + b->len, text, n + 1);
    b->len += n;
}

void rp_addf(rp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *rp_take(rp_buf *b)
{
    char *s = b->s ? b->s : rp_strdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

char *rp_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = rp_alloc(n > 0 ? (size_t)n + 1 : 1);
    if (n > 0) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

void rp_xml(FILE *f, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
                fputs("\xEF\xBF\xBD", f); /* not allowed in XML 1.0 */
            else
                fputc(*p, f);
        }
    }
}

char *rp_count(double v)
{
    static const char *const units[] = {"", "k", "M", "G", "T"};
    int u = 0;
    double a = fabs(v);
    while (a >= 1000 && u < 4) {
        a /= 1000;
        v /= 1000;
        u++;
    }
    if (u == 0)
        return rp_printf(v == floor(v) ? "%.0f" : "%.3g", v);
    return rp_printf("%.3g%s", v, units[u]);
}

char *rp_prob(double p)
{
    if (p == 0)
        return rp_strdup("0");
    if (p >= 0.001)
        return rp_printf("%.3g", p);
    return rp_printf("%.2e", p);
}

void report_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("racelab: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

char *rp_read_file(const char *path, size_t max, int *truncated)
{
    if (truncated != NULL)
        *truncated = 0;
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f == NULL)
        return NULL;
    char *s = rp_alloc(max + 1);
    size_t n = fread(s, 1, max, f);
    s[n] = '\0';
    if (truncated != NULL && n == max && fgetc(f) != EOF)
        *truncated = 1;
    fclose(f);
    return s;
}
