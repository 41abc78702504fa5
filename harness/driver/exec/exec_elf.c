/* exec_elf.c — the few facts about an executable that exec mode needs,
 * read from its ELF headers (64-bit):
 *
 *   dynamic  it names an interpreter (PT_INTERP): the dynamic loader starts it
 *            and honours LD_PRELOAD; a static (or static-pie) one does not
 *   tsan     a ThreadSanitizer build: clang links the runtime in and exports
 *            __tsan_init (.dynsym); gcc's build needs libtsan.so (DT_NEEDED)
 *   cc       built by racelab cc: exports rl_cc_runtime
 *   sanitizers  ASan, LSan, UBSan, MSan builds (exec_sanitizers.c says what
 *            each needs): by the runtime's symbols, defined (clang links the
 *            runtime in) or imported (gcc's builds), in .dynsym or .symtab,
 *            or by the runtime library they need (libasan.so...)
 *   raw      imports clone, clone3 or syscall: threads made, or futexes
 *            waited on, without the pthread calls the library interposes */
#include "exec/exec.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const unsigned char *data;
    size_t size;
} image;

static const void *at(const image *im, uint64_t off, uint64_t len)
{
    if (off > im->size || len > im->size - off)
        return NULL;
    return im->data + off;
}

/* A string at `off` that ends inside the image, or NULL. */
static const char *string_at(const image *im, uint64_t off)
{
    if (off >= im->size)
        return NULL;
    const char *s = (const char *)im->data + off;
    return memchr(s, '\0', im->size - off) != NULL ? s : NULL;
}

/* Whether a symbol table of type `type` (SHT_DYNSYM, SHT_SYMTAB) has
 * `wanted` (`prefix`: a name that starts with it), defined (`defined` 1),
 * imported (0), imported and not weak (2: a weak reference is no need) or
 * either (-1). */
static int table_has(const image *im, const Elf64_Ehdr *eh, unsigned type, const char *wanted,
                     int prefix, int defined)
{
    const Elf64_Shdr *sh = at(im, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof *sh);
    if (sh == NULL || eh->e_shentsize != sizeof *sh)
        return 0;
    size_t len = strlen(wanted);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != type || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Sym *syms = at(im, sh[i].sh_offset, sh[i].sh_size);
        const Elf64_Shdr *strtab = &sh[sh[i].sh_link];
        if (syms == NULL || sh[i].sh_entsize != sizeof *syms)
            continue;
        for (uint64_t k = 0; k < sh[i].sh_size / sizeof *syms; k++) {
            int undef = syms[k].st_shndx == SHN_UNDEF;
            if ((defined == 1 && undef) || ((defined == 0 || defined == 2) && !undef) ||
                (defined == 2 && ELF64_ST_BIND(syms[k].st_info) == STB_WEAK) ||
                syms[k].st_name >= strtab->sh_size)
                continue;
            const char *name = string_at(im, strtab->sh_offset + syms[k].st_name);
            if (name != NULL &&
                (prefix ? strncmp(name, wanted, len) == 0 : strcmp(name, wanted) == 0))
                return 1;
        }
    }
    return 0;
}

/* Whether .dynsym has `wanted`: defined (`defined` 1) or imported (0). */
static int dynsym_has(const image *im, const Elf64_Ehdr *eh, const char *wanted, int defined)
{
    return table_has(im, eh, SHT_DYNSYM, wanted, 0, defined);
}

/* Whether .dynsym or .symtab has a symbol named `prefix`..., defined or not. */
static int any_symbol(const image *im, const Elf64_Ehdr *eh, const char *prefix)
{
    return table_has(im, eh, SHT_DYNSYM, prefix, 1, -1) ||
           table_has(im, eh, SHT_SYMTAB, prefix, 1, -1);
}

/* The file offset of virtual address `vaddr`, through the PT_LOAD segments. */
static int offset_of(const Elf64_Phdr *ph, int n, uint64_t vaddr, uint64_t *off)
{
    for (int i = 0; i < n; i++)
        if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr &&
            vaddr < ph[i].p_vaddr + ph[i].p_filesz) {
            *off = vaddr - ph[i].p_vaddr + ph[i].p_offset;
            return 0;
        }
    return -1;
}

/* Whether DT_NEEDED names a library whose name starts with `lib_prefix`. */
static int needs_library(const image *im, const Elf64_Phdr *ph, int n, const char *lib_prefix)
{
    for (int i = 0; i < n; i++) {
        if (ph[i].p_type != PT_DYNAMIC)
            continue;
        const Elf64_Dyn *dyn = at(im, ph[i].p_offset, ph[i].p_filesz);
        if (dyn == NULL)
            return 0;
        uint64_t count = ph[i].p_filesz / sizeof *dyn, strtab = 0, stroff;
        for (uint64_t k = 0; k < count && dyn[k].d_tag != DT_NULL; k++)
            if (dyn[k].d_tag == DT_STRTAB)
                strtab = dyn[k].d_un.d_ptr;
        if (strtab == 0 || offset_of(ph, n, strtab, &stroff) != 0)
            return 0;
        for (uint64_t k = 0; k < count && dyn[k].d_tag != DT_NULL; k++) {
            if (dyn[k].d_tag != DT_NEEDED)
                continue;
            const char *lib = string_at(im, stroff + dyn[k].d_un.d_val);
            if (lib != NULL && strncmp(lib, lib_prefix, strlen(lib_prefix)) == 0)
                return 1;
        }
    }
    return 0;
}

static void read_image(const image *im, elf_facts *f)
{
    const Elf64_Ehdr *eh = at(im, 0, sizeof *eh);
    if (eh == NULL || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return;
    f->elf = 1;
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return; /* not one of ours: the caller says so */
    f->elf = 2;
    const Elf64_Phdr *ph = at(im, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof *ph);
    if (ph == NULL || eh->e_phentsize != sizeof *ph)
        return;
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_INTERP)
            f->dynamic = 1;
    f->cc = dynsym_has(im, eh, "rl_cc_runtime", 1);
    static const char *const raw_calls[] = {"clone", "clone3", "syscall"};
    for (size_t i = 0; i < sizeof raw_calls / sizeof *raw_calls; i++)
        if (dynsym_has(im, eh, raw_calls[i], 0) && f->n_raw < 3)
            f->raw[f->n_raw++] = raw_calls[i];
    if (dynsym_has(im, eh, "__tsan_init", 1)) {
        f->tsan = 1;
        f->tsan_sign = "__tsan_init";
    } else if (needs_library(im, ph, eh->e_phnum, "libtsan.so")) {
        f->tsan = 1;
        f->tsan_sign = "libtsan";
    }
    /* the first sign of each: a runtime's entry point, then its library */
    static const struct {
        int bit;
        const char *symbol, *library;
    } sans[] = {{RL_SAN_ASAN, "__asan_init", "libasan.so"},
                {RL_SAN_LSAN, "__lsan_", "liblsan.so"},
                {RL_SAN_UBSAN, "__ubsan_handle_", "libubsan.so"},
                {RL_SAN_MSAN, "__msan_init", "libmsan.so"}};
    const char *sign[sizeof sans / sizeof *sans] = {NULL};
    for (size_t i = 0; i < sizeof sans / sizeof *sans; i++) {
        if (any_symbol(im, eh, sans[i].symbol))
            sign[i] = sans[i].symbol;
        else if (needs_library(im, ph, eh->e_phnum, sans[i].library))
            sign[i] = sans[i].library;
        if (sign[i] != NULL)
            f->sanitizers |= sans[i].bit;
    }
    if (f->sanitizers & RL_SAN_ASAN)
        f->sanitizers &= ~RL_SAN_LSAN; /* ASan's own leak checker: ASAN_OPTIONS */
    /* clang's ASan, TSan and MSan runtimes carry UBSan's handlers, defined
     * whether the program was built with -fsanitize=undefined or not: UBSan
     * is told by them only when no other runtime is there, or when they are
     * imported (gcc's libubsan.so) */
    if ((f->sanitizers & (RL_SAN_ASAN | RL_SAN_MSAN)) || f->tsan) {
        int imported = table_has(im, eh, SHT_DYNSYM, "__ubsan_handle_", 1, 2) ||
                       needs_library(im, ph, eh->e_phnum, "libubsan.so");
        if (!imported)
            f->sanitizers &= ~RL_SAN_UBSAN;
    }
    for (size_t i = 0; i < sizeof sans / sizeof *sans && f->san_sign == NULL; i++)
        if (f->sanitizers & sans[i].bit)
            f->san_sign = sign[i];
}

int elf_read_facts(const char *path, elf_facts *f)
{
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        close(fd);
        return st.st_size == 0 ? 0 : -1;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return -1;
    image im = {map, (size_t)st.st_size};
    read_image(&im, f);
    munmap(map, (size_t)st.st_size);
    return 0;
}
