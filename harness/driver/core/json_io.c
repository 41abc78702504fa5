/* json_io.c — the driver's JSON, all through json-c: one value parsed from a
 * whole text, typed look-ups, strings made valid UTF-8, and the one-line form
 * of runs.jsonl. 64-bit numbers stay exact: json-c keeps an integer as int64
 * or uint64 and a parsed double with the text it was read from, so a seed or
 * a program's "seconds" is written back as the program wrote it. */
#include "core/json_io.h"
#include "core/util.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned long cp;
    if (p[0] == 0)
        return 0;
    if (p[0] < 0x80)
        return 1;
    if ((p[0] & 0xE0) == 0xC0) {
        len = 2;
        cp = p[0] & 0x1F;
    } else if ((p[0] & 0xF0) == 0xE0) {
        len = 3;
        cp = p[0] & 0x0F;
    } else if ((p[0] & 0xF8) == 0xF0) {
        len = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* A copy of n bytes with each byte that is not valid UTF-8 replaced. */
static char *valid_utf8(const char *s, size_t n)
{
    buffer b = {0};
    const unsigned char *p = (const unsigned char *)s;
    while (n > 0) {
        size_t len = utf8_len(p, n);
        if (len == 0) {
            buf_append(&b, REPLACEMENT, 3, SIZE_MAX);
            len = 1;
        } else {
            buf_append(&b, (const char *)p, len, SIZE_MAX);
        }
        p += len;
        n -= len;
    }
    buf_append(&b, "", 1, SIZE_MAX);
    return b.data;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

int jparse(const char *text, size_t len, json_object **out, const char **err)
{
    *out = NULL;
    char *clean = valid_utf8(text, len);
    size_t n = strlen(clean);
    if (n > INT_MAX) {
        free(clean);
        *err = "too long";
        return -1;
    }
    struct json_tokener *tok = json_tokener_new();
    if (tok == NULL) {
        free(clean);
        *err = "out of memory";
        return -1;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *v = json_tokener_parse_ex(tok, clean, (int)n);
    size_t end = json_tokener_get_parse_end(tok);
    enum json_tokener_error e = json_tokener_get_error(tok);
    if (e == json_tokener_continue) { /* a bare number or an unfinished value: end it */
        v = json_tokener_parse_ex(tok, "", 1);
        e = json_tokener_get_error(tok);
        end = n; /* the whole text was read */
    }
    int rc = 0;
    if (e != json_tokener_success) {
        *err = json_tokener_error_desc(e);
        rc = -1;
    } else if (end < n && !blank(clean + end)) {
        *err = "trailing characters after the value";
        rc = -1;
    }
    if (rc == 0)
        *out = v;
    else
        json_object_put(v);
    json_tokener_free(tok);
    free(clean);
    return rc;
}

json_object *jget(const json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v;
}

const char *jstring(const json_object *v)
{
    return json_object_is_type(v, json_type_string) ? json_object_get_string((json_object *)v)
                                                    : NULL;
}

int jnumber(const json_object *v, double *out)
{
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return -1;
    *out = json_object_get_double(v);
    return 0;
}

int jtrue(const json_object *v)
{
    return json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

int jis_object(const json_object *v) { return json_object_is_type(v, json_type_object); }

size_t jlen(const json_object *v)
{
    return json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
}

json_object *jat(const json_object *arr, size_t i)
{
    return i < jlen(arr) ? json_object_array_get_idx(arr, i) : NULL;
}

const char *jnumber_text(json_object *v)
{
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return NULL;
    return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

json_object *jtext(const char *s)
{
    if (s == NULL)
        return NULL;
    char *clean = valid_utf8(s, strlen(s));
    json_object *v = json_object_new_string(clean);
    free(clean);
    return v;
}

json_object *jreal(double x)
{
    if (!isfinite(x))
        return NULL;
    char text[32];
    snprintf(text, sizeof text, "%.6g", x);
    return json_object_new_double_s(x, text);
}

json_object *jcount(unsigned long long n) { return json_object_new_uint64((uint64_t)n); }

char *jline(json_object *v)
{
    const char *text =
        json_object_to_json_string_ext(v, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    return xstrdup(text != NULL ? text : "null");
}
