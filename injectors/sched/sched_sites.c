/* sched_sites.c — a stable id for a code location (strategy.h's event site).
 *
 * A return address differs from process to process (ASLR), so the id is
 * the address's offset from the start of the module it is in (dladdr),
 * mixed with a hash of the module's file name (basename): the same call in
 * the same binary gets the same id in every run, which the fuzz strategy's
 * constraints, made in one run and obeyed in another, need. dladdr walks
 * the loader's lists, so each address's id is cached (a table of
 * SITE_CACHE entries, the mechanism's state: only the baton's holder
 * touches it); past that, ids are computed afresh. A scenario's points
 * have names, not callers: a name's id is its hash. */
#include "sched_internal.h"

#include <dlfcn.h>
#include <string.h>

#define SITE_CACHE 4096 /* a power of two */

static struct {
    const void *pc;
    uint64_t id;
} cache[SITE_CACHE];

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t text_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static uint64_t compute(const void *pc)
{
    Dl_info info;
    uint64_t id;
    if (dladdr(pc, &info) != 0 && info.dli_fbase != NULL && info.dli_fname != NULL) {
        const char *base = strrchr(info.dli_fname, '/');
        base = base != NULL ? base + 1 : info.dli_fname;
        id = mix(text_hash(base) ^ (uint64_t)((const char *)pc - (const char *)info.dli_fbase));
    } else {
        id = mix((uint64_t)(uintptr_t)pc); /* not in a module: stable only without ASLR */
    }
    return id != 0 ? id : 1;
}

uint64_t rl_sched_site_id(const void *pc)
{
    if (pc == NULL)
        return 0;
    size_t i = (size_t)(mix((uint64_t)(uintptr_t)pc) & (SITE_CACHE - 1));
    for (int probe = 0; probe < 8; probe++, i = (i + 1) & (SITE_CACHE - 1)) {
        if (cache[i].pc == pc)
            return cache[i].id;
        if (cache[i].pc == NULL) {
            cache[i].id = compute(pc);
            cache[i].pc = pc;
            return cache[i].id;
        }
    }
    return compute(pc); /* the neighbourhood is full: not cached */
}

uint64_t rl_sched_name_site(const char *name)
{
    if (name == NULL)
        return 0;
    uint64_t id = mix(text_hash(name));
    return id != 0 ? id : 1;
}

void rl_sched_site_hint(const void *caller)
{
    if (rl_sched_me >= 0)
        rl_sched_m.t[rl_sched_me].hint = caller;
}
