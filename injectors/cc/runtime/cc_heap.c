/* cc_heap.c — heap errors in racelab cc builds: use-after-free and double
 * free, found at the access (docs/sanitizers.md).
 *
 * malloc, calloc, realloc, free, posix_memalign, aligned_alloc and memalign
 * are defined here, in the executable, so every allocation of the process
 * comes here (libstdc++'s operator new and delete call malloc and free, so
 * C++ is covered). Each is glibc's own allocator underneath (__libc_malloc
 * and its kin): blocks are glibc's, and a call this file does not define
 * (valloc, malloc_usable_size) still works on them.
 *
 * free() does not give the block back at once: it goes into a quarantine,
 * a FIFO of at most QUARANTINE_BLOCKS blocks and QUARANTINE_BYTES bytes,
 * with the site that freed it; the oldest go back to glibc when it is full.
 * Every quarantined block's 16-byte granules (glibc's blocks start on 16
 * bytes) are marked in a page map: an open-addressing hash table from a page
 * to a bitmap of its 256 granules. Each instrumented access off the thread's
 * own stack (cc_stack.c), after its point, looks its granules up: one hash
 * probe for most accesses, nothing when the quarantine is empty. An access
 * to a marked granule is a heap-use-after-free; a free of a block in the
 * quarantine is a double-free. Either is reported with both sites ("[pc
 * 0x…]", named by `racelab exec` through addr2line) into RACELAB_CC_LOG.<pid>
 * (stderr without it), and the process aborts.
 *
 * Threads: one spin lock (an atomic flag) serialises the writers (free,
 * realloc: the quarantine and the page map); it is never held across a
 * call that could block or reach the scheduler, so under `--mode sched`
 * (one thread runs at a time, switching only at points) it is never
 * contended. The accesses read the map without it, through atomic loads (a
 * key is published with release after its bits are clear, read with
 * acquire); only a hit takes the lock, to find the block and confirm. */
#include "cc_runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern size_t malloc_usable_size(void *p);

#define QUARANTINE_BLOCKS (1u << 16)
#define QUARANTINE_BYTES ((size_t)64 << 20)
#define GRANULE_SHIFT 4
#define PAGE_SHIFT 12
#define MAP_SLOTS (1u << 18) /* > 2 x the pages the quarantine can mark */

typedef struct {
    uintptr_t addr;
    void *block; /* addr, as given to free */
    size_t size;
    const void *freed_at;
} quarantined;

static quarantined ring[QUARANTINE_BLOCKS];
static unsigned ring_head, ring_count; /* oldest at ring_head */
static size_t ring_bytes;
static atomic_uint live_blocks; /* ring_count, read without the lock (acquire: the map is there) */

/* The page map: key page+1 (0: empty slot), 256 granule bits a page. */
static uintptr_t *map_keys;
static uint64_t (*map_bits)[4];
static unsigned map_used;

/* [span_lo, span_hi): every block quarantined since the last rebuild lies
 * inside; most accesses (globals, other mappings) fall outside at once */
static uintptr_t span_lo = UINTPTR_MAX, span_hi;

static atomic_flag heap_lock = ATOMIC_FLAG_INIT;

static void lock(void)
{
    while (atomic_flag_test_and_set_explicit(&heap_lock, memory_order_acquire))
        __builtin_ia32_pause();
}

static void unlock(void) { atomic_flag_clear_explicit(&heap_lock, memory_order_release); }

static unsigned slot_hash(uintptr_t page)
{
    return (unsigned)((page * 0x9E3779B97F4A7C15ULL) >> 40) & (MAP_SLOTS - 1);
}

/* The slot of `page`, or -1; with `add`, made when missing. */
static long slot_of(uintptr_t page, int add)
{
    if (map_keys == NULL)
        return -1;
    for (unsigned h = slot_hash(page);; h = (h + 1) & (MAP_SLOTS - 1)) {
        uintptr_t key = __atomic_load_n(&map_keys[h], __ATOMIC_ACQUIRE);
        if (key == page + 1)
            return h;
        if (key == 0) {
            if (!add)
                return -1;
            /* the slot's bits are clear (a new slot, or cleared by rebuild)
             * before a reader can find its key */
            __atomic_store_n(&map_keys[h], page + 1, __ATOMIC_RELEASE);
            map_used++;
            return h;
        }
    }
}

/* Marks (`on`) or clears the granules of [addr, addr + size). */
static void mark(uintptr_t addr, size_t size, int on)
{
    uintptr_t first = addr >> GRANULE_SHIFT, last = (addr + size - 1) >> GRANULE_SHIFT;
    for (uintptr_t g = first; g <= last;) {
        uintptr_t page = g >> (PAGE_SHIFT - GRANULE_SHIFT);
        long s = slot_of(page, on);
        uintptr_t page_end = (page + 1) << (PAGE_SHIFT - GRANULE_SHIFT);
        for (; g <= last && g < page_end; g++) {
            if (s < 0)
                continue;
            unsigned bit = (unsigned)(g & 255);
            uint64_t *word = &map_bits[s][bit >> 6];
            uint64_t v = __atomic_load_n(word, __ATOMIC_RELAXED);
            v = on ? v | 1ULL << (bit & 63) : v & ~(1ULL << (bit & 63));
            __atomic_store_n(word, v, __ATOMIC_RELAXED); /* one writer: the lock's holder */
        }
    }
}

/* A block into the map, and into the span. */
static void mark_block(uintptr_t addr, size_t size)
{
    mark(addr, size, 1);
    if (addr < span_lo)
        __atomic_store_n(&span_lo, addr, __ATOMIC_RELAXED);
    if (addr + size > span_hi)
        __atomic_store_n(&span_hi, addr + size, __ATOMIC_RELAXED);
}

static int marked(uintptr_t addr)
{
    long s = slot_of(addr >> PAGE_SHIFT, 0);
    if (s < 0)
        return 0;
    unsigned bit = (unsigned)((addr >> GRANULE_SHIFT) & 255);
    return (int)((__atomic_load_n(&map_bits[s][bit >> 6], __ATOMIC_RELAXED) >> (bit & 63)) & 1);
}

/* The first marked byte of [a, end] (ranges: their first 256 pages), or 0:
 * one probe a page, then its bits. */
static uintptr_t first_marked(uintptr_t a, uintptr_t end)
{
    uintptr_t last_page = end >> PAGE_SHIFT;
    if (last_page - (a >> PAGE_SHIFT) > 256)
        last_page = (a >> PAGE_SHIFT) + 256;
    for (uintptr_t page = a >> PAGE_SHIFT; page <= last_page; page++) {
        long s = slot_of(page, 0);
        if (s < 0)
            continue;
        uintptr_t lo = page << PAGE_SHIFT, hi = lo + ((uintptr_t)1 << PAGE_SHIFT) - 1;
        lo = lo > a ? lo : a;
        hi = hi < end ? hi : end;
        for (uintptr_t g = lo >> GRANULE_SHIFT; g <= hi >> GRANULE_SHIFT; g++) {
            unsigned bit = (unsigned)(g & 255);
            if ((__atomic_load_n(&map_bits[s][bit >> 6], __ATOMIC_RELAXED) >> (bit & 63)) & 1)
                return g << GRANULE_SHIFT > a ? g << GRANULE_SHIFT : a;
        }
    }
    return 0;
}

/* Pages whose granules were all cleared keep their slots: past half the
 * table, it is made again from the quarantine. While it is, an access in
 * another thread may miss a block (a false negative, never a false report). */
static void rebuild(void)
{
    for (unsigned h = 0; h < MAP_SLOTS; h++)
        __atomic_store_n(&map_keys[h], 0, __ATOMIC_RELAXED);
    for (unsigned h = 0; h < MAP_SLOTS; h++)
        for (int w = 0; w < 4; w++)
            __atomic_store_n(&map_bits[h][w], 0, __ATOMIC_RELAXED);
    map_used = 0;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (unsigned i = 0; i < ring_count; i++) {
        const quarantined *q = &ring[(ring_head + i) % QUARANTINE_BLOCKS];
        mark(q->addr, q->size, 1);
        lo = q->addr < lo ? q->addr : lo;
        hi = q->addr + q->size > hi ? q->addr + q->size : hi;
    }
    __atomic_store_n(&span_lo, lo, __ATOMIC_RELAXED); /* narrowed once all is marked */
    __atomic_store_n(&span_hi, hi, __ATOMIC_RELAXED);
}

static int map_ready(void)
{
    if (map_keys != NULL)
        return 1;
    void *k = mmap(NULL, MAP_SLOTS * sizeof *map_keys, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *b = mmap(NULL, MAP_SLOTS * sizeof *map_bits, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (k == MAP_FAILED || b == MAP_FAILED)
        return 0;
    map_keys = k;
    map_bits = b;
    return 1;
}

/* The quarantined block holding `addr`, the newest first; NULL if none. */
static const quarantined *block_of(uintptr_t addr)
{
    for (unsigned i = ring_count; i-- > 0;) {
        const quarantined *q = &ring[(ring_head + i) % QUARANTINE_BLOCKS];
        if (addr >= q->addr && addr < q->addr + q->size)
            return q;
    }
    return NULL;
}

/* ---- the report ---------------------------------------------------------- */

static int note_base(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uintptr_t *)data = info->dlpi_addr; /* the first entry: the executable */
    return 1;
}

static const char *const access_names[] = {"READ", "WRITE", "ATOMIC"};

/* Writes the report and aborts. `what` is heap-use-after-free or
 * double-free; `kind` < 0 for a free. */
static void report(const char *what, uintptr_t addr, int kind, unsigned size, const void *at,
                   const quarantined *q)
{
    uintptr_t base = 0;
    dl_iterate_phdr(note_base, &base);
    char text[1024];
    int n =
        snprintf(text, sizeof text,
                 "=================================================================\n"
                 "==%ld==ERROR: racelab-cc: %s on address 0x%lx (%s of %u bytes)\n"
                 "    at [pc 0x%lx]\n"
                 "    freed at [pc 0x%lx]\n"
                 "    block of %zu bytes at 0x%lx\n"
                 "    base 0x%lx\n"
                 "SUMMARY: racelab-cc: %s\n",
                 (long)getpid(), what, (unsigned long)addr, kind < 0 ? "FREE" : access_names[kind],
                 size, (unsigned long)(uintptr_t)at, (unsigned long)(uintptr_t)q->freed_at, q->size,
                 (unsigned long)q->addr, (unsigned long)base, what);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof text)
        n = (int)sizeof text - 1;
    const char *log = getenv("RACELAB_CC_LOG");
    int fd = 2;
    if (log != NULL && *log != '\0') {
        char path[4096];
        snprintf(path, sizeof path, "%s.%ld", log, (long)getpid());
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            fd = 2;
    }
    for (int off = 0; off < n;) {
        ssize_t w = write(fd, text + off, (size_t)(n - off));
        if (w <= 0)
            break;
        off += (int)w;
    }
    if (fd != 2)
        (void)!write(2, text, (size_t)n);
    abort();
}

/* ---- the accesses -------------------------------------------------------- */

void rl_cc_heap_check(rl_exec_access_kind kind, const volatile void *addr, unsigned size,
                      const void *caller)
{
    if (atomic_load_explicit(&live_blocks, memory_order_acquire) == 0 || size == 0)
        return;
    uintptr_t a = (uintptr_t)addr, end = a + size - 1;
    /* without the lock: a granule marked before this access happened (the
     * free and the access ordered by the program) is seen; a free racing
     * with the access may be missed, never an access to a live block
     * reported: a block leaves the map before glibc can hand it out again */
    if (end < __atomic_load_n(&span_lo, __ATOMIC_RELAXED) ||
        a >= __atomic_load_n(&span_hi, __ATOMIC_RELAXED))
        return; /* outside every block quarantined since the last rebuild */
    uintptr_t hit = first_marked(a, end);
    if (hit == 0)
        return;
    lock();
    const quarantined *q = marked(hit) ? block_of(hit) : NULL;
    if (q == NULL) {
        unlock();
        return;
    }
    quarantined copy = *q;
    unlock();
    report("heap-use-after-free", hit, (int)kind, size, caller, &copy);
}

/* ---- the allocator ------------------------------------------------------- */

static void quarantine(void *p, const void *at)
{
    uintptr_t a = (uintptr_t)p;
    size_t size = malloc_usable_size(p);
    lock();
    if (!map_ready()) { /* no memory for the map: given back at once */
        unlock();
        __libc_free(p);
        return;
    }
    if (marked(a)) {
        const quarantined *q = block_of(a);
        if (q != NULL && q->addr == a) {
            quarantined copy = *q;
            unlock();
            report("double-free", a, -1, 0, at, &copy);
        }
    }
    /* the oldest go back to glibc (its free never calls back here) */
    while (ring_count > 0 &&
           (ring_count == QUARANTINE_BLOCKS || ring_bytes + size > QUARANTINE_BYTES)) {
        quarantined *old = &ring[ring_head];
        mark(old->addr, old->size, 0);
        ring_bytes -= old->size;
        __libc_free(old->block);
        ring_head = (ring_head + 1) % QUARANTINE_BLOCKS;
        ring_count--;
    }
    if (size > QUARANTINE_BYTES) {
        __libc_free(p); /* bigger than the whole quarantine */
    } else {
        ring[(ring_head + ring_count) % QUARANTINE_BLOCKS] = (quarantined){a, p, size, at};
        ring_count++;
        ring_bytes += size;
        mark_block(a, size);
        if (map_used > MAP_SLOTS / 2)
            rebuild();
    }
    atomic_store_explicit(&live_blocks, ring_count, memory_order_release); /* after map_ready */
    unlock();
}

RL_CC_EXPORT void *malloc(size_t size);
void *malloc(size_t size) { return __libc_malloc(size); }

RL_CC_EXPORT void *calloc(size_t n, size_t size);
void *calloc(size_t n, size_t size) { return __libc_calloc(n, size); }

RL_CC_EXPORT void free(void *p);
void free(void *p)
{
    if (p != NULL)
        quarantine(p, __builtin_return_address(0));
}

/* A new block, the old one's bytes copied, the old one quarantined (glibc's
 * realloc would give it back at once, or resize it in place). */
RL_CC_EXPORT void *realloc(void *p, size_t size);
void *realloc(void *p, size_t size)
{
    const void *at = __builtin_return_address(0);
    if (p == NULL)
        return __libc_malloc(size);
    rl_cc_heap_check(RL_EXEC_ACCESS_READ, p, 1, at); /* a freed block's realloc is a use */
    if (size == 0) {
        quarantine(p, at);
        return NULL;
    }
    void *q = __libc_malloc(size);
    if (q == NULL)
        return NULL;
    size_t old = malloc_usable_size(p);
    memcpy(q, p, old < size ? old : size);
    quarantine(p, at);
    return q;
}

RL_CC_EXPORT void *memalign(size_t align, size_t size);
void *memalign(size_t align, size_t size) { return __libc_memalign(align, size); }

RL_CC_EXPORT void *aligned_alloc(size_t align, size_t size);
void *aligned_alloc(size_t align, size_t size) { return __libc_memalign(align, size); }

RL_CC_EXPORT int posix_memalign(void **out, size_t align, size_t size);
int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = __libc_memalign(align, size);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

/* A fork while another thread holds the lock would leave the child's copy
 * held: taken around fork. */
static void before_fork(void) { lock(); }
static void after_fork(void) { unlock(); }

__attribute__((constructor)) static void heap_start(void)
{
    pthread_atfork(before_fork, after_fork, after_fork);
}
