/* json_write.h — the few JSON writing helpers the records need. */
#ifndef RACELAB_JSON_H
#define RACELAB_JSON_H

#include <stdio.h>

void rl_json_string(FILE *f, const char *s);            /* quoted and escaped; null for NULL */
void rl_json_number(FILE *f, double x);                 /* null when not finite */
void rl_json_key(FILE *f, int *first, const char *key); /* `, "key": ` */

#endif
