/* sched_observe.c — what a trial observed: reads-from pairs by site, the
 * fuzz strategy's feedback (strategy.h's rl_sched_pair).
 *
 * As each event runs, the mechanism says what it wrote and what it read,
 * by key (an object tagged by its kind: a memory address, a mutex, a
 * condition, a thread's start or end). Per key, the site of the last
 * event that wrote it is kept; an event that reads the key makes the pair
 * (that site or 0, the reader's site). What counts as what:
 *   - a racelab cc build's load reads its address, a store writes it;
 *   - a lock (once taken) reads and writes its mutex: the pair is the
 *     previous taker's site and this one, the lock hand-over order;
 *   - a wake writes its condition, a woken wait reads it;
 *   - a spawn writes the new thread's start, which its first event reads;
 *   - a thread's last event writes its end, which a join of it reads.
 * Pairs are kept once each, at most RL_SCHED_MAX_PAIRS a trial; objects
 * tracked at most OBJECTS a trial (past that, a new object's reads pair
 * with 0). Both tables are reset per trial by a generation number. Only the
 * baton's holder calls these. */
#include "sched_internal.h"

#define OBJECTS 8192     /* a power of two */
#define PAIR_SLOTS 16384 /* a power of two, 4 * RL_SCHED_MAX_PAIRS */
#define PROBES 32

static struct {
    uint64_t key, site;
    uint32_t generation;
} writers[OBJECTS];
static struct {
    uint32_t generation;
    int index;
} slots[PAIR_SLOTS];
static rl_sched_pair pairs[RL_SCHED_MAX_PAIRS];
static int n_pairs;
static uint32_t generation = 1;

static uint64_t spread(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 29);
}

void rl_sched_obs_reset(void)
{
    n_pairs = 0;
    if (++generation == 0) { /* wrapped: old entries would look current */
        for (int i = 0; i < OBJECTS; i++)
            writers[i].generation = 0;
        for (int i = 0; i < PAIR_SLOTS; i++)
            slots[i].generation = 0;
        generation = 1;
    }
}

uint64_t rl_sched_obs_key(int tag, uint64_t object) { return object ^ ((uint64_t)tag << 56); }

/* The key's slot, or -1 when its neighbourhood is full. */
static int writer_slot(uint64_t key, int create)
{
    size_t i = (size_t)(spread(key) & (OBJECTS - 1));
    for (int p = 0; p < PROBES; p++, i = (i + 1) & (OBJECTS - 1)) {
        if (writers[i].generation == generation && writers[i].key == key)
            return (int)i;
        if (writers[i].generation != generation) {
            if (!create)
                return -1;
            writers[i].generation = generation;
            writers[i].key = key;
            writers[i].site = 0;
            return (int)i;
        }
    }
    return -1;
}

void rl_sched_obs_write(uint64_t key, uint64_t site)
{
    int i = writer_slot(key, 1);
    if (i >= 0)
        writers[i].site = site;
}

static void add_pair(uint64_t write, uint64_t read)
{
    size_t i = (size_t)(spread(write * 31 + read) & (PAIR_SLOTS - 1));
    for (int p = 0; p < PROBES; p++, i = (i + 1) & (PAIR_SLOTS - 1)) {
        if (slots[i].generation != generation) {
            if (n_pairs >= RL_SCHED_MAX_PAIRS)
                return;
            slots[i].generation = generation;
            slots[i].index = n_pairs;
            pairs[n_pairs] = (rl_sched_pair){write, read};
            if (rl_sched_m.hooks.observed != NULL)
                rl_sched_m.hooks.observed(&pairs[n_pairs]);
            n_pairs++;
            return;
        }
        const rl_sched_pair *q = &pairs[slots[i].index];
        if (q->write == write && q->read == read)
            return;
    }
}

void rl_sched_obs_read(uint64_t key, uint64_t site)
{
    if (site == 0)
        return; /* an event of no known site names no pair */
    int i = writer_slot(key, 0);
    add_pair(i >= 0 ? writers[i].site : 0, site);
}

int rl_sched_observed(const rl_sched_pair **out)
{
    *out = pairs;
    return n_pairs;
}
