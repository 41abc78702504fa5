/* fuzz_entries.c — libFuzzer target: a fuzz corpus entry file, as --corpus
 * DIR holds them (rl_fuzz_entry_load, injectors/sched/fuzz_corpus.c). Beyond
 * "no crash, no UB": an accepted entry, written out again
 * (rl_fuzz_entry_text) and loaded into a fresh corpus, writes out the same
 * text; its schedule's text parses back too. */
#include "../../injectors/sched/fuzz_corpus.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096 || memchr(data, '\0', size) != NULL)
        return 0;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rl_fuzz_corpus *c = rl_fuzz_corpus_new(1);
    rl_fuzz_corpus *again = rl_fuzz_corpus_new(2);
    if (c == NULL || again == NULL)
        abort();
    if (rl_fuzz_entry_load(c, text) == 0) {
        if (rl_fuzz_corpus_size(c) != 1)
            abort();
        char *out = rl_fuzz_entry_text(c, 0);
        if (out == NULL || rl_fuzz_entry_load(again, out) != 0)
            abort();
        char *out2 = rl_fuzz_entry_text(again, 0);
        if (out2 == NULL || strcmp(out, out2) != 0)
            abort();
        free(out);
        free(out2);
    }
    rl_fuzz_schedule s, back;
    if (size < RL_FUZZ_TEXT_MAX && rl_fuzz_schedule_parse(text, &s) == 0) {
        char buf[RL_FUZZ_TEXT_MAX];
        rl_fuzz_schedule_format(&s, buf, sizeof buf);
        if (rl_fuzz_schedule_parse(buf, &back) != 0 || back.n != s.n ||
            memcmp(back.c, s.c, (size_t)s.n * sizeof s.c[0]) != 0)
            abort();
    }
    rl_fuzz_corpus_free(c);
    rl_fuzz_corpus_free(again);
    free(text);
    return 0;
}
