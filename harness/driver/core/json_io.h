/* json_io.h — JSON through json-c: parsing, typed look-ups, valid UTF-8, one line. */
#ifndef RL_DRIVER_CORE_JSON_IO_H
#define RL_DRIVER_CORE_JSON_IO_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* JSON null is a NULL json_object. Parses the whole text as one value (a
 * byte that is not valid UTF-8 becomes U+FFFD first). Returns 0 and *out (a
 * new reference, NULL for null), or -1 and *err, a static message. */
int jparse(const char *text, size_t len, json_object **out, const char **err);
/* Member KEY of an object; NULL when absent, null, or OBJ is not an object. */
json_object *jget(const json_object *obj, const char *key);
const char *jstring(const json_object *v);      /* NULL unless a string */
int jnumber(const json_object *v, double *out); /* 0 when a number */
int jtrue(const json_object *v);                /* the boolean true */
int jis_object(const json_object *v);
size_t jlen(const json_object *v); /* an array's length; 0 for anything else */
json_object *jat(const json_object *arr, size_t i);
/* A number's exact text (a 64-bit integer, or a double as it was read);
 * NULL unless a number. Valid until V is serialised again or released. */
const char *jnumber_text(json_object *v);
json_object *jtext(const char *s); /* NULL s: null; made valid UTF-8 */
json_object *jreal(double x);      /* "%.6g" like the records; null when not finite */
json_object *jcount(unsigned long long n);
/* Length of the valid UTF-8 sequence at P (N bytes left), or 0; NUL is not
 * valid here (it would cut a C string short). */
size_t utf8_len(const unsigned char *p, size_t n);
/* One line ("key": value, like the scenario programs), no newline; malloc'd. */
char *jline(json_object *v);

#endif
