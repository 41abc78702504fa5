/* hash_index.c — an open-addressing index over the entries of an array
 * (entry numbers, found by a hash and an equality the caller gives), so that
 * counting N distinct keys takes O(N), not the O(N^2) of a linear search:
 * parse-tsan over 80,000 unique sites took 25 s. */
#include "core/hash_index.h"
#include "core/util.h"

#include <stdlib.h>

#define EMPTY (-1)

uint64_t hash_text(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL; /* FNV-1a */
    return (h ^ 0xff) * 1099511628211ULL;               /* the end of this text */
}

int hash_index_find(const hash_index *x, uint64_t h, const void *key, index_same same,
                    const void *ctx)
{
    if (x->cap == 0)
        return EMPTY;
    for (size_t i = h & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
        if (x->slots[i] == EMPTY)
            return EMPTY;
        if (same(ctx, x->slots[i], key))
            return x->slots[i];
    }
}

static void put(hash_index *x, uint64_t h, int entry)
{
    size_t i = h & (x->cap - 1);
    while (x->slots[i] != EMPTY)
        i = (i + 1) & (x->cap - 1);
    x->slots[i] = entry;
}

void hash_index_add(hash_index *x, uint64_t h, int entry, index_hash rehash, const void *ctx)
{
    if ((x->n + 1) * 2 > x->cap) { /* at most half full */
        size_t old_cap = x->cap;
        int *old = x->slots;
        x->cap = old_cap ? old_cap * 2 : 64;
        x->slots = xmalloc(x->cap * sizeof *x->slots);
        for (size_t i = 0; i < x->cap; i++)
            x->slots[i] = EMPTY;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i] != EMPTY)
                put(x, rehash(ctx, old[i]), old[i]);
        free(old);
    }
    put(x, h, entry);
    x->n++;
}

void hash_index_free(hash_index *x)
{
    free(x->slots);
    x->slots = NULL;
    x->cap = x->n = 0;
}
