/* fuzz_corpus.c — abstract schedules as text, the corpus, its energy and
 * mutations (fuzz_corpus.h). */
#include "fuzz_corpus.h"

#include "../../harness/common/splitmix.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schedules as text ---------------------------------------------------- */

static int parse_hex(const char **p, uint64_t *out)
{
    uint64_t v = 0;
    int digits = 0;
    for (const char *s = *p;; s++, digits++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
        if (d < 0) {
            *p = s;
            break;
        }
        if (digits == 16)
            return -1;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return digits > 0 ? 0 : -1;
}

int rl_fuzz_schedule_parse(const char *text, rl_fuzz_schedule *out)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    while (*p != '\0') {
        if (out->n == RL_FUZZ_MAX_CONSTRAINTS || (*p != '+' && *p != '-'))
            return -1;
        rl_fuzz_constraint *c = &out->c[out->n++];
        c->positive = *p++ == '+';
        if (parse_hex(&p, &c->write) != 0 || *p++ != '>' || parse_hex(&p, &c->read) != 0 ||
            c->read == 0)
            return -1;
        if (*p == ',' && p[1] != '\0')
            p++;
        else if (*p != '\0')
            return -1;
    }
    return 0;
}

void rl_fuzz_schedule_format(const rl_fuzz_schedule *s, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%c%" PRIx64 ">%" PRIx64, i ? "," : "",
                                 s->c[i].positive ? '+' : '-', s->c[i].write, s->c[i].read);
}

/* ---- the corpus --------------------------------------------------------------- */

typedef struct {
    rl_fuzz_schedule s;
    uint64_t seed; /* of the run that made it */
    int failed;
    int n_new;
    rl_sched_pair found[RL_FUZZ_ENTRY_PAIRS]; /* the pairs it found first */
    unsigned picks;                           /* times it was a parent */
} entry;

typedef struct {
    rl_sched_pair p;
    unsigned long count; /* runs that observed it; 0: the slot is free */
} seen_pair;

struct rl_fuzz_corpus {
    uint64_t rng;
    entry *entries;
    int n, cap;
    seen_pair *table; /* open addressing, cap_pairs slots (a power of two) */
    size_t cap_pairs, n_pairs;
    uint32_t *order; /* slots of the pairs with a write site, in the order seen */
    size_t n_order;
    int retried; /* entries looked at for a first retry of a loaded failure */
    int loaded;  /* entries loaded (rl_fuzz_entry_load): the first ones */
};

static uint64_t pair_hash(const rl_sched_pair *p)
{
    uint64_t x = p->write * 0x9e3779b97f4a7c15ULL ^ p->read;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 29);
}

static size_t slot_of(const seen_pair *table, size_t cap, const rl_sched_pair *p)
{
    size_t i = (size_t)pair_hash(p) & (cap - 1);
    while (table[i].count != 0 && (table[i].p.write != p->write || table[i].p.read != p->read))
        i = (i + 1) & (cap - 1);
    return i;
}

rl_fuzz_corpus *rl_fuzz_corpus_new(uint64_t seed)
{
    rl_fuzz_corpus *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->rng = seed ^ 0x6a09e667f3bcc909ULL;
    c->cap_pairs = 1024;
    c->table = calloc(c->cap_pairs, sizeof *c->table);
    c->order = calloc(c->cap_pairs, sizeof *c->order);
    if (c->table == NULL || c->order == NULL) {
        rl_fuzz_corpus_free(c);
        return NULL;
    }
    return c;
}

void rl_fuzz_corpus_free(rl_fuzz_corpus *c)
{
    if (c == NULL)
        return;
    free(c->entries);
    free(c->table);
    free(c->order);
    free(c);
}

int rl_fuzz_corpus_size(const rl_fuzz_corpus *c) { return c->n; }
int rl_fuzz_pairs_seen(const rl_fuzz_corpus *c) { return (int)c->n_pairs; }

int rl_fuzz_failed_entries(const rl_fuzz_corpus *c)
{
    int n = 0;
    for (int i = 0; i < c->n; i++)
        n += c->entries[i].failed;
    return n;
}

/* Doubles the pair table (rehashing keeps `order` pointing right). */
static int grow_pairs(rl_fuzz_corpus *c)
{
    size_t cap = c->cap_pairs * 2;
    seen_pair *table = calloc(cap, sizeof *table);
    uint32_t *order = calloc(cap, sizeof *order);
    if (table == NULL || order == NULL) {
        free(table);
        free(order);
        return -1;
    }
    size_t n_order = 0;
    for (size_t k = 0; k < c->n_order; k++) { /* in the order seen */
        const seen_pair *old = &c->table[c->order[k]];
        size_t i = slot_of(table, cap, &old->p);
        table[i] = *old;
        order[n_order++] = (uint32_t)i;
    }
    for (size_t i = 0; i < c->cap_pairs; i++) /* pairs with no write site */
        if (c->table[i].count != 0 && c->table[i].p.write == 0)
            table[slot_of(table, cap, &c->table[i].p)] = c->table[i];
    free(c->table);
    free(c->order);
    c->table = table;
    c->order = order;
    c->cap_pairs = cap;
    c->n_order = n_order;
    return 0;
}

/* Counts `p` seen once more; 1 when it is new, 0 when not, -2: out of memory. */
static int count_pair(rl_fuzz_corpus *c, const rl_sched_pair *p)
{
    if ((c->n_pairs + 1) * 4 > c->cap_pairs * 3 && grow_pairs(c) != 0)
        return -2;
    size_t i = slot_of(c->table, c->cap_pairs, p);
    if (c->table[i].count++ != 0)
        return 0;
    c->table[i].p = *p;
    c->n_pairs++;
    if (p->write != 0) /* only these can be constraints */
        c->order[c->n_order++] = (uint32_t)i;
    return 1;
}

static unsigned long count_of(const rl_fuzz_corpus *c, const rl_sched_pair *p)
{
    return c->table[slot_of(c->table, c->cap_pairs, p)].count;
}

static int add_entry(rl_fuzz_corpus *c, const rl_fuzz_schedule *s, uint64_t seed, int failed)
{
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 64;
        entry *e = realloc(c->entries, (size_t)cap * sizeof *e);
        if (e == NULL)
            return -2;
        c->entries = e;
        c->cap = cap;
    }
    entry *e = &c->entries[c->n];
    memset(e, 0, sizeof *e);
    e->s = *s;
    e->seed = seed;
    e->failed = failed;
    return c->n++;
}

static int same_schedule(const rl_fuzz_schedule *a, const rl_fuzz_schedule *b)
{
    return a->n == b->n && memcmp(a->c, b->c, (size_t)a->n * sizeof a->c[0]) == 0;
}

int rl_fuzz_feedback(rl_fuzz_corpus *c, const rl_fuzz_schedule *s, uint64_t seed,
                     const rl_sched_pair *pairs, int n, int failed)
{
    rl_sched_pair found[RL_FUZZ_ENTRY_PAIRS];
    int n_found = 0, any = 0;
    for (int i = 0; i < n; i++) {
        int fresh = count_pair(c, &pairs[i]);
        if (fresh < 0)
            return fresh;
        any |= fresh;
        if (fresh && n_found < RL_FUZZ_ENTRY_PAIRS)
            found[n_found++] = pairs[i];
    }
    if (failed) /* a schedule that failed is kept once, whatever it saw */
        for (int i = 0; i < c->n && failed; i++)
            failed = !(c->entries[i].failed && same_schedule(&c->entries[i].s, s));
    if (!any && !failed)
        return -1;
    int k = add_entry(c, s, seed, failed);
    if (k < 0)
        return k;
    c->entries[k].n_new = n_found;
    memcpy(c->entries[k].found, found, (size_t)n_found * sizeof found[0]);
    return k;
}

/* ---- choosing and mutating ----------------------------------------------------- */

static uint64_t below(rl_fuzz_corpus *c, uint64_t n) { return rl_splitmix64(&c->rng) % n; }

/* An entry's energy: the rarity of the pairs it found first (1 / how many
 * runs saw each), a failed one's more, less each time it was a parent. */
static double energy(const rl_fuzz_corpus *c, const entry *e)
{
    double w = e->failed ? 8.0 : 0.05;
    for (int i = 0; i < e->n_new; i++)
        w += 1.0 / (double)count_of(c, &e->found[i]);
    return w / (1.0 + 0.05 * e->picks);
}

static int pick_entry(rl_fuzz_corpus *c)
{
    double total = 0;
    for (int i = 0; i < c->n; i++)
        total += energy(c, &c->entries[i]);
    double x = (double)(rl_splitmix64(&c->rng) >> 11) * 0x1.0p-53 * total;
    for (int i = 0; i < c->n; i++) {
        x -= energy(c, &c->entries[i]);
        if (x < 0)
            return i;
    }
    return c->n - 1;
}

/* A seen pair with a write site, the rarest of three drawn; NULL: none. */
static const rl_sched_pair *rare_pair(rl_fuzz_corpus *c)
{
    const seen_pair *best = NULL;
    for (int k = 0; k < 3 && c->n_order > 0; k++) {
        const seen_pair *p = &c->table[c->order[below(c, c->n_order)]];
        if (best == NULL || p->count < best->count)
            best = p;
    }
    return best != NULL ? &best->p : NULL;
}

static void drop(rl_fuzz_schedule *s, int i) { s->c[i] = s->c[--s->n]; }

static void mutate_once(rl_fuzz_corpus *c, rl_fuzz_schedule *s)
{
    uint64_t op = below(c, 4);
    if (s->n > 0 && op == 2) {
        int i = (int)below(c, (uint64_t)s->n);
        s->c[i].positive = !s->c[i].positive;
        return;
    }
    if (s->n > 0 && (op == 3 || s->n == RL_FUZZ_MAX_CONSTRAINTS)) {
        drop(s, (int)below(c, (uint64_t)s->n));
        if (op == 3)
            return;
    }
    const rl_sched_pair *p = rare_pair(c);
    if (p == NULL)
        return;
    int positive = (int)below(c, 2);
    for (int i = 0; i < s->n; i++)
        if (s->c[i].write == p->write && s->c[i].read == p->read) {
            s->c[i].positive = positive;
            return;
        }
    s->c[s->n++] = (rl_fuzz_constraint){p->write, p->read, positive};
}

int rl_fuzz_next(rl_fuzz_corpus *c, rl_fuzz_schedule *out, uint64_t *seed)
{
    /* a resumed campaign first runs each run that failed before again */
    for (; c->retried < c->loaded; c->retried++)
        if (c->entries[c->retried].failed) {
            *out = c->entries[c->retried].s;
            *seed = c->entries[c->retried++].seed;
            return 1;
        }
    memset(out, 0, sizeof *out);
    if (c->n > 0 && below(c, 8) != 0) { /* one in 8 starts from nothing */
        entry *e = &c->entries[pick_entry(c)];
        e->picks++;
        *out = e->s;
    }
    int ops = 1 + (int)below(c, 2);
    for (int i = 0; i < ops; i++)
        mutate_once(c, out);
    return 0;
}

/* ---- entries as files ---------------------------------------------------------- */

#define ENTRY_MAGIC "racelab-fuzz-entry 1\n"

char *rl_fuzz_entry_text(const rl_fuzz_corpus *c, int i)
{
    const entry *e = &c->entries[i];
    size_t cap = sizeof ENTRY_MAGIC + RL_FUZZ_TEXT_MAX + 64 + (size_t)e->n_new * 36;
    char *text = malloc(cap);
    if (text == NULL)
        return NULL;
    char sched[RL_FUZZ_TEXT_MAX];
    rl_fuzz_schedule_format(&e->s, sched, sizeof sched);
    size_t used =
        (size_t)snprintf(text, cap, ENTRY_MAGIC "schedule %s\nseed %" PRIu64 "\nfailed %d\npairs",
                         sched, e->seed, e->failed);
    for (int k = 0; k < e->n_new; k++)
        used += (size_t)snprintf(text + used, cap - used, " %" PRIx64 ">%" PRIx64,
                                 e->found[k].write, e->found[k].read);
    snprintf(text + used, cap - used, "\n");
    return text;
}

int rl_fuzz_entry_load(rl_fuzz_corpus *c, const char *text)
{
    size_t magic = strlen(ENTRY_MAGIC);
    if (strncmp(text, ENTRY_MAGIC, magic) != 0 || strncmp(text + magic, "schedule ", 9) != 0)
        return -1;
    const char *p = text + magic + 9;
    const char *eol = strchr(p, '\n');
    char sched[RL_FUZZ_TEXT_MAX];
    if (eol == NULL || (size_t)(eol - p) >= sizeof sched)
        return -1;
    memcpy(sched, p, (size_t)(eol - p));
    sched[eol - p] = '\0';
    rl_fuzz_schedule s;
    if (rl_fuzz_schedule_parse(sched, &s) != 0)
        return -1;
    p = eol + 1;
    uint64_t seed = 0;
    int digits = 0;
    if (strncmp(p, "seed ", 5) != 0)
        return -1;
    for (p += 5; *p >= '0' && *p <= '9' && digits < 20; p++, digits++) {
        uint64_t next = seed * 10 + (uint64_t)(*p - '0');
        if (next / 10 != seed)
            return -1; /* past 2^64 */
        seed = next;
    }
    if (digits == 0 || *p++ != '\n')
        return -1;
    if ((strncmp(p, "failed 0\n", 9) != 0 && strncmp(p, "failed 1\n", 9) != 0) ||
        strncmp(p + 9, "pairs", 5) != 0)
        return -1;
    int failed = p[7] == '1';
    p += 14;
    rl_sched_pair found[RL_FUZZ_ENTRY_PAIRS];
    int n = 0;
    while (*p == ' ') {
        p++;
        if (n == RL_FUZZ_ENTRY_PAIRS || parse_hex(&p, &found[n].write) != 0 || *p++ != '>' ||
            parse_hex(&p, &found[n].read) != 0)
            return -1;
        n++;
    }
    if (strcmp(p, "\n") != 0)
        return -1;
    int k = add_entry(c, &s, seed, failed);
    if (k < 0)
        return k;
    for (int i = 0; i < n; i++)
        if (count_pair(c, &found[i]) < 0)
            return -2;
    c->entries[k].n_new = n;
    memcpy(c->entries[k].found, found, (size_t)n * sizeof found[0]);
    c->loaded = c->n;
    return 0;
}
