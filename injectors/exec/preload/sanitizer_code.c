/* sanitizer_code.c — where a sanitizer's runtime code lies, so that its own
 * waits are not the program's scheduling points.
 *
 * A sanitizer runtime waits for its helper threads by spinning on
 * sched_yield(): LeakSanitizer's StopTheWorld (at exit, in every ASan build
 * with leak detection) clones a tracer thread with a raw clone, which the
 * scheduler never sees, and yields until it has attached. Under the
 * scheduler each yield was a point that only the spinning thread could take:
 * tens of thousands of steps in a clang ASan build (gdb: sched_yield called
 * from __sanitizer::StopTheWorld). A yield made from the runtime is passed
 * to the real call instead.
 *
 * The runtime is either a shared library (gcc: libasan.so, libtsan.so,
 * liblsan.so, libubsan.so; clang -shared-libsan) — its executable segments
 * are noted — or linked into the executable (clang's default): then the
 * functions of the executable's symbol table (.symtab, else .dynsym) in the
 * sanitizers' namespaces are noted, merged into ranges. All of it once, at
 * start-up, into memory of its own (mmap: no malloc this early). */
#include "preload.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    uintptr_t start, end;
} code_range;

static code_range *ranges;
static size_t n_ranges, cap_ranges;

static void add_range(uintptr_t start, uintptr_t end)
{
    if (n_ranges == cap_ranges) {
        size_t cap = cap_ranges ? cap_ranges * 2 : 256;
        void *p = mmap(NULL, cap * sizeof *ranges, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return;
        if (ranges != NULL) {
            memcpy(p, ranges, n_ranges * sizeof *ranges);
            munmap(ranges, cap_ranges * sizeof *ranges);
        }
        ranges = p;
        cap_ranges = cap;
    }
    ranges[n_ranges++] = (code_range){start, end};
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int runtime_library(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    static const char *const libs[] = {"libasan.so",  "libtsan.so",   "liblsan.so",
                                       "libubsan.so", "libhwasan.so", "libclang_rt."};
    for (size_t i = 0; i < sizeof libs / sizeof *libs; i++)
        if (starts(base, libs[i]))
            return 1;
    return 0;
}

/* A function of a sanitizer runtime, by its (mangled) name. */
static int runtime_function(const char *name)
{
    static const char *const prefixes[] = {
        "__asan",          "__lsan",           "__ubsan",        "__msan",
        "__hwasan",        "__sanitizer",      "__interception", "__interceptor_",
        "___interceptor_", "_ZN11__sanitizer", "_ZN6__asan",     "_ZN6__lsan",
        "_ZN7__ubsan",     "_ZN6__msan",       "_ZN8__hwasan",   "_ZN14__interception",
        "_ZN6__tsan"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (starts(name, prefixes[i]))
            return 1;
    return 0;
}

static int note_library(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    if (info->dlpi_name == NULL || info->dlpi_name[0] == '\0') {
        if (*(uintptr_t *)data == 0)
            *(uintptr_t *)data = info->dlpi_addr + 1; /* the executable: the first entry */
        return 0;
    }
    if (!runtime_library(info->dlpi_name))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
            add_range(info->dlpi_addr + ph->p_vaddr, info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
    }
    return 0;
}

/* The runtime's functions in the executable at /proc/self/exe, loaded at
 * `base`: from one symbol table (SHT_SYMTAB, or SHT_DYNSYM when stripped). */
static void note_executable(uintptr_t base)
{
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return;
    }
    size_t size = (size_t)st.st_size;
    const unsigned char *im = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (im == MAP_FAILED)
        return;
    const Elf64_Ehdr *eh = (const void *)im;
    const Elf64_Shdr *sh = (const void *)(im + eh->e_shoff);
    int ok = memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
             eh->e_shentsize == sizeof *sh && eh->e_shoff < size &&
             (size - eh->e_shoff) / sizeof *sh >= eh->e_shnum;
    for (int pass = 0; ok && pass < 2 && n_ranges == 0; pass++) {
        unsigned want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
        for (int i = 0; i < eh->e_shnum; i++) {
            if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum ||
                sh[i].sh_entsize != sizeof(Elf64_Sym) || sh[i].sh_offset > size ||
                sh[i].sh_size > size - sh[i].sh_offset)
                continue;
            const Elf64_Shdr *str = &sh[sh[i].sh_link];
            if (str->sh_offset > size || str->sh_size > size - str->sh_offset)
                continue;
            const Elf64_Sym *syms = (const void *)(im + sh[i].sh_offset);
            const char *names = (const char *)im + str->sh_offset;
            for (size_t k = 0; k < sh[i].sh_size / sizeof *syms; k++) {
                const Elf64_Sym *s = &syms[k];
                if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
                    s->st_size == 0 || s->st_name >= str->sh_size ||
                    memchr(names + s->st_name, '\0', str->sh_size - s->st_name) == NULL)
                    continue;
                if (runtime_function(names + s->st_name))
                    add_range(base + s->st_value, base + s->st_value + s->st_size);
            }
        }
    }
    munmap((void *)im, size);
}

/* Shell sort by start: libc's qsort may allocate. */
static void sort_ranges(void)
{
    static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (size_t g = 0; g < sizeof gaps / sizeof *gaps; g++)
        for (size_t i = gaps[g]; i < n_ranges; i++) {
            code_range r = ranges[i];
            size_t j = i;
            for (; j >= gaps[g] && ranges[j - gaps[g]].start > r.start; j -= gaps[g])
                ranges[j] = ranges[j - gaps[g]];
            ranges[j] = r;
        }
}

void rl_exec_sanitizer_code_init(void)
{
    uintptr_t exe = 0; /* the executable's load address + 1, once seen */
    dl_iterate_phdr(note_library, &exe);
    if (exe != 0)
        note_executable(exe - 1);
    if (n_ranges == 0)
        return;
    sort_ranges();
    size_t out = 0;
    for (size_t i = 1; i < n_ranges; i++) {
        /* functions a few bytes of padding apart are one range */
        if (ranges[i].start <= ranges[out].end + 64) {
            if (ranges[i].end > ranges[out].end)
                ranges[out].end = ranges[i].end;
        } else {
            ranges[++out] = ranges[i];
        }
    }
    n_ranges = out + 1;
}

int rl_exec_caller_sanitizer(const void *caller)
{
    uintptr_t a = (uintptr_t)caller;
    size_t lo = 0, hi = n_ranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a < ranges[mid].start)
            hi = mid;
        else if (a >= ranges[mid].end)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}
