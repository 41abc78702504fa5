/* hash_index.h — entries of an array found by hash. */
#ifndef RL_DRIVER_CORE_HASH_INDEX_H
#define RL_DRIVER_CORE_HASH_INDEX_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Entry numbers of an array, found by hash: -1 marks an empty slot. */
typedef struct {
    int *slots;
    size_t cap, n; /* cap a power of two, at most half full */
} hash_index;
typedef int (*index_same)(const void *ctx, int entry, const void *key);
typedef uint64_t (*index_hash)(const void *ctx, int entry);

uint64_t hash_text(uint64_t h, const char *s); /* FNV-1a, from 14695981039346656037 */
/* The entry equal to KEY (same() says), or -1. */
int hash_index_find(const hash_index *x, uint64_t h, const void *key, index_same same,
                    const void *ctx);
/* Adds ENTRY (not there yet) under hash H; rehash() gives an entry's hash. */
void hash_index_add(hash_index *x, uint64_t h, int entry, index_hash rehash, const void *ctx);
void hash_index_free(hash_index *x);

#endif
