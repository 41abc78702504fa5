/* spec_words.c — the comma-separated words of a spec (spec_words.h). */
#include "spec_words.h"

#include <string.h>

int rl_spec_words(char *list, char **words, int max)
{
    int n = 0;
    for (char *word = list;; n++) {
        char *comma = strchr(word, ',');
        if (comma != NULL)
            *comma = '\0';
        if (*word == '\0' || n == max)
            return -1;
        words[n] = word;
        if (comma == NULL)
            return n + 1;
        word = comma + 1;
    }
}
