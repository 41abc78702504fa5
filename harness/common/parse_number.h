/* parse_number.h — strict numbers and durations, shared by every parser of
 * the command line and of specs: the whole string must be the value. */
#ifndef RACELAB_PARSE_NUMBER_H
#define RACELAB_PARSE_NUMBER_H

#include <stdint.h>

int rl_parse_u64(const char *s, unsigned long long *out);
int rl_parse_double(const char *s, double *out);
/* "250us", "2ms", "1.5s", "800ns"; a bare number is microseconds. */
int rl_parse_duration_ns(const char *s, uint64_t *out);

#endif
