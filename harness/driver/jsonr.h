/* jsonr.h — a minimal JSON document: enough to read a scenario program's
 * record and descriptor, add the driver's fields and write it back.
 * Numbers keep their text, so a 64-bit seed survives the round trip. */
#ifndef RL_JSONR_H
#define RL_JSONR_H

#include <stddef.h>

typedef enum { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT } jv_type;

typedef struct jv {
    jv_type type;
    int boolean;
    char *text; /* a string's contents or a number's text */
    struct jv **items;
    char **keys; /* objects only, in document order */
    size_t n, cap;
} jv;

/* The whole text must be one value (whitespace around it allowed). On error
 * returns NULL and sets *err to a static message. */
jv *jv_parse(const char *text, size_t len, const char **err);
void jv_free(jv *v);

jv *jv_get(const jv *obj, const char *key); /* NULL when absent or not an object */
const char *jv_string(const jv *v);         /* NULL unless a string */
int jv_number(const jv *v, double *out);    /* 0 when a number */

jv *jv_null(void);
jv *jv_bool(int b);
jv *jv_str(const char *s); /* NULL s gives null */
jv *jv_num(double x);      /* non-finite gives null */
jv *jv_int(long long x);
jv *jv_num_text(const char *digits); /* already valid JSON number text */
jv *jv_array(void);
jv *jv_object(void);
jv *jv_copy(const jv *v);
void jv_push(jv *arr, jv *item);                /* takes ownership */
void jv_set(jv *obj, const char *key, jv *val); /* replaces or appends; takes ownership */

/* Compact one-line JSON ("key": value, like the scenario programs), with
 * invalid UTF-8 replaced. Returns a malloc'd string. */
char *jv_dump(const jv *v);
char *json_quote(const char *s);

#endif
