/* jsonr.c — a minimal JSON reader and writer (RFC 8259 grammar, nesting
 * depth capped so garbage cannot exhaust the stack). */
#include "jsonr.h"
#include "driver.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *p, *end;
    const char *err;
} reader;

static jv *new_value(jv_type t)
{
    jv *v = xcalloc(1, sizeof *v);
    v->type = t;
    return v;
}

static void grow(jv *v)
{
    if (v->n < v->cap)
        return;
    v->cap = v->cap ? v->cap * 2 : 8;
    v->items = xrealloc(v->items, v->cap * sizeof(jv *));
    if (v->type == JV_OBJECT)
        v->keys = xrealloc(v->keys, v->cap * sizeof(char *));
}

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static void put_utf8(buffer *b, unsigned long cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(b, out, n, SIZE_MAX);
}

static int hex4(reader *r, unsigned long *out)
{
    if (r->end - r->p < 4)
        return -1;
    unsigned long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned long)(c - 'A' + 10);
        else
            return -1;
    }
    r->p += 4;
    *out = v;
    return 0;
}

/* At the opening quote; returns a malloc'd string or NULL. */
static char *parse_string(reader *r)
{
    buffer b = {0};
    r->p++;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20) {
            r->err = "control character in a string";
            goto fail;
        }
        if (c != '\\') {
            const char *start = r->p;
            while (r->p < r->end && *r->p != '"' && *r->p != '\\' && (unsigned char)*r->p >= 0x20)
                r->p++;
            buf_append(&b, start, (size_t)(r->p - start), SIZE_MAX);
            continue;
        }
        r->p++;
        if (r->p >= r->end)
            break;
        char e = *r->p++;
        char one = 0;
        switch (e) {
        case '"': one = '"'; break;
        case '\\': one = '\\'; break;
        case '/': one = '/'; break;
        case 'b': one = '\b'; break;
        case 'f': one = '\f'; break;
        case 'n': one = '\n'; break;
        case 'r': one = '\r'; break;
        case 't': one = '\t'; break;
        case 'u': {
            unsigned long cp;
            if (hex4(r, &cp) != 0) {
                r->err = "bad \\u escape";
                goto fail;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF && r->end - r->p >= 6 && r->p[0] == '\\' &&
                r->p[1] == 'u') {
                const char *save = r->p;
                unsigned long lo;
                r->p += 2;
                if (hex4(r, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    r->p = save;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* a lone surrogate */
            if (cp == 0)
                cp = 0xFFFD; /* keep C strings whole */
            put_utf8(&b, cp);
            continue;
        }
        default: r->err = "bad escape in a string"; goto fail;
        }
        buf_append(&b, &one, 1, SIZE_MAX);
    }
    if (r->p >= r->end) {
        r->err = "unterminated string";
        goto fail;
    }
    r->p++;
    buf_append(&b, "", 1, SIZE_MAX);
    return b.data;
fail:
    buf_free(&b);
    return NULL;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static jv *parse_number(reader *r)
{
    const char *start = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p >= r->end || !is_digit(*r->p))
        goto bad;
    if (*r->p == '0')
        r->p++;
    else
        while (r->p < r->end && is_digit(*r->p))
            r->p++;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (r->p >= r->end || !is_digit(*r->p))
            goto bad;
        while (r->p < r->end && is_digit(*r->p))
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (r->p >= r->end || !is_digit(*r->p))
            goto bad;
        while (r->p < r->end && is_digit(*r->p))
            r->p++;
    }
    jv *v = new_value(JV_NUMBER);
    size_t n = (size_t)(r->p - start);
    v->text = xmalloc(n + 1);
    memcpy(v->text, start, n);
    v->text[n] = '\0';
    return v;
bad:
    r->err = "bad number";
    return NULL;
}

static int literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

static jv *parse_value(reader *r, int depth);

static jv *parse_container(reader *r, int depth, int object)
{
    jv *v = new_value(object ? JV_OBJECT : JV_ARRAY);
    char close = object ? '}' : ']';
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(r);
        if (object) {
            if (r->p >= r->end || *r->p != '"') {
                r->err = "expected a key";
                goto fail;
            }
            key = parse_string(r);
            if (key == NULL)
                goto fail;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                r->err = "expected ':'";
                goto fail;
            }
            r->p++;
        }
        jv *item = parse_value(r, depth + 1);
        if (item == NULL) {
            free(key);
            goto fail;
        }
        grow(v);
        if (object)
            v->keys[v->n] = key;
        v->items[v->n++] = item;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return v;
        }
        r->err = object ? "expected ',' or '}'" : "expected ',' or ']'";
        goto fail;
    }
fail:
    jv_free(v);
    return NULL;
}

static jv *parse_value(reader *r, int depth)
{
    if (depth > MAX_DEPTH) {
        r->err = "nested too deeply";
        return NULL;
    }
    skip_ws(r);
    if (r->p >= r->end) {
        r->err = "unexpected end";
        return NULL;
    }
    switch (*r->p) {
    case '{': return parse_container(r, depth, 1);
    case '[': return parse_container(r, depth, 0);
    case '"': {
        char *s = parse_string(r);
        if (s == NULL)
            return NULL;
        jv *v = new_value(JV_STRING);
        v->text = s;
        return v;
    }
    default: break;
    }
    if (literal(r, "null"))
        return new_value(JV_NULL);
    if (literal(r, "true"))
        return jv_bool(1);
    if (literal(r, "false"))
        return jv_bool(0);
    if (*r->p == '-' || is_digit(*r->p))
        return parse_number(r);
    r->err = "unexpected character";
    return NULL;
}

jv *jv_parse(const char *text, size_t len, const char **err)
{
    reader r = {text, text + len, NULL};
    jv *v = parse_value(&r, 0);
    if (v != NULL) {
        skip_ws(&r);
        if (r.p != r.end) {
            jv_free(v);
            v = NULL;
            r.err = "trailing characters after the value";
        }
    }
    if (v == NULL && err != NULL)
        *err = r.err ? r.err : "invalid JSON";
    return v;
}

void jv_free(jv *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        jv_free(v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    free(v);
}

jv *jv_get(const jv *obj, const char *key)
{
    if (obj == NULL || obj->type != JV_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

const char *jv_string(const jv *v) { return v != NULL && v->type == JV_STRING ? v->text : NULL; }

int jv_number(const jv *v, double *out)
{
    if (v == NULL || v->type != JV_NUMBER)
        return -1;
    *out = strtod(v->text, NULL);
    return 0;
}

jv *jv_null(void) { return new_value(JV_NULL); }

jv *jv_bool(int b)
{
    jv *v = new_value(JV_BOOL);
    v->boolean = b != 0;
    return v;
}

jv *jv_str(const char *s)
{
    if (s == NULL)
        return jv_null();
    jv *v = new_value(JV_STRING);
    v->text = xstrdup(s);
    return v;
}

jv *jv_num(double x)
{
    if (!isfinite(x))
        return jv_null();
    jv *v = new_value(JV_NUMBER);
    v->text = xasprintf("%.6g", x);
    return v;
}

jv *jv_int(long long x)
{
    jv *v = new_value(JV_NUMBER);
    v->text = xasprintf("%lld", x);
    return v;
}

jv *jv_num_text(const char *digits)
{
    jv *v = new_value(JV_NUMBER);
    v->text = xstrdup(digits);
    return v;
}

jv *jv_array(void) { return new_value(JV_ARRAY); }
jv *jv_object(void) { return new_value(JV_OBJECT); }

jv *jv_copy(const jv *v)
{
    if (v == NULL)
        return NULL;
    jv *c = new_value(v->type);
    c->boolean = v->boolean;
    c->text = v->text ? xstrdup(v->text) : NULL;
    for (size_t i = 0; i < v->n; i++) {
        grow(c);
        if (v->type == JV_OBJECT)
            c->keys[c->n] = xstrdup(v->keys[i]);
        c->items[c->n++] = jv_copy(v->items[i]);
    }
    return c;
}

void jv_push(jv *arr, jv *item)
{
    grow(arr);
    arr->items[arr->n++] = item;
}

void jv_set(jv *obj, const char *key, jv *val)
{
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) {
            jv_free(obj->items[i]);
            obj->items[i] = val;
            return;
        }
    grow(obj);
    obj->keys[obj->n] = xstrdup(key);
    obj->items[obj->n++] = val;
}

/* ---- writing ------------------------------------------------------------ */

static void put(buffer *b, const char *s) { buf_append(b, s, strlen(s), SIZE_MAX); }

/* Length of a valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned long cp;
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
    } else
        return 0;
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

static void put_quoted(buffer *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    buf_append(b, "\"", 1, SIZE_MAX);
    while (n > 0) {
        char esc[8];
        switch (*p) {
        case '"': put(b, "\\\""); break;
        case '\\': put(b, "\\\\"); break;
        case '\n': put(b, "\\n"); break;
        case '\t': put(b, "\\t"); break;
        case '\r': put(b, "\\r"); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                put(b, esc);
            } else {
                size_t len = utf8_len(p, n);
                if (len == 0) {
                    put(b, "\\ufffd");
                    len = 1;
                } else {
                    buf_append(b, (const char *)p, len, SIZE_MAX);
                }
                p += len;
                n -= len;
                continue;
            }
        }
        p++;
        n--;
    }
    buf_append(b, "\"", 1, SIZE_MAX);
}

static void dump(buffer *b, const jv *v)
{
    switch (v->type) {
    case JV_NULL: put(b, "null"); break;
    case JV_BOOL: put(b, v->boolean ? "true" : "false"); break;
    case JV_NUMBER: put(b, v->text); break;
    case JV_STRING: put_quoted(b, v->text); break;
    case JV_ARRAY:
    case JV_OBJECT:
        put(b, v->type == JV_ARRAY ? "[" : "{");
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                put(b, ", ");
            if (v->type == JV_OBJECT) {
                put_quoted(b, v->keys[i]);
                put(b, ": ");
            }
            dump(b, v->items[i]);
        }
        put(b, v->type == JV_ARRAY ? "]" : "}");
        break;
    }
}

char *jv_dump(const jv *v)
{
    buffer b = {0};
    dump(&b, v);
    buf_append(&b, "", 1, SIZE_MAX);
    return b.data;
}

char *json_quote(const char *s)
{
    buffer b = {0};
    put_quoted(&b, s);
    buf_append(&b, "", 1, SIZE_MAX);
    return b.data;
}
