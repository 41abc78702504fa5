/* spec_words.h — the comma-separated words after a spec's ':'
 * (`delay=200us,p=0.5`, `p=0.1,errno=EIO`), for the --inject and
 * --posix-faults parsers alike. Every word must be there: strtok would skip
 * the empty ones of `delay=1us,,` and accept it. */
#ifndef RACELAB_SPEC_WORDS_H
#define RACELAB_SPEC_WORDS_H

/* Splits LIST in place at each ',' into words[0..max); returns how many, or
 * -1 when a word is empty (LIST empty, a leading, trailing or doubled ',')
 * or there are more than max. */
int rl_spec_words(char *list, char **words, int max);

#endif
