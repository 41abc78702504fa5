/* report_text.c — the small text tools of the reports: a growing string,
 * XML escaping, numbers as a person reads them, messages, small files. */
#include "core/json_io.h"
#include "report/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void rp_xml(FILE *f, const char *text)
{
    const unsigned char *end = (const unsigned char *)(text ? text : "") + strlen(text ? text : "");
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if (*p >= 0x80) { /* XML is UTF-8: a byte that is not is U+FFFD, as is U+FFFE/U+FFFF */
            size_t len = utf8_len(p, (size_t)(end - p));
            int nonchar = len == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE;
            if (len == 0 || nonchar) {
                fputs("\xEF\xBF\xBD", f);
                p += nonchar ? 2 : 0;
            } else {
                fwrite(p, 1, len, f);
                p += len - 1;
            }
            continue;
        }
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
        return xasprintf(v == floor(v) ? "%.0f" : "%.3g", v);
    return xasprintf("%.3g%s", v, units[u]);
}

char *rp_prob(double p)
{
    if (p == 0)
        return xstrdup("0");
    if (p >= 0.001)
        return xasprintf("%.3g", p);
    return xasprintf("%.2e", p);
}

char *rp_read_file(const char *path, size_t max, int *truncated)
{
    if (truncated != NULL)
        *truncated = 0;
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f == NULL)
        return NULL;
    char *s = xcalloc(1, max + 1);
    size_t n = fread(s, 1, max, f);
    s[n] = '\0';
    if (truncated != NULL && n == max && fgetc(f) != EOF)
        *truncated = 1;
    fclose(f);
    return s;
}
