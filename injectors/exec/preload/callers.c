/* callers.c — calls the library lets through untouched: those made by
 * libfiu's own libraries (libfiu.so, fiu_posix_preload.so, fiu_run_preload.so
 * under --posix-faults). libfiu takes an internal rwlock on every call it
 * intercepts; noise there would be noise in libfiu, and the counts would be
 * libfiu's, not the program's. The executable segments of those libraries are
 * noted once, at start-up (every preloaded library and its dependencies are
 * mapped by then); an event then costs one comparison per segment. */
#include "preload.h"

#include <link.h>
#include <string.h>

#define MAX_RANGES 8

static struct {
    uintptr_t start, end;
} ranges[MAX_RANGES];
static int n_ranges;

static int is_libfiu(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    return strncmp(base, "libfiu.so", 9) == 0 || strncmp(base, "fiu_posix_preload.so", 20) == 0 ||
           strncmp(base, "fiu_run_preload.so", 18) == 0;
}

static int note(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (info->dlpi_name == NULL || !is_libfiu(info->dlpi_name))
        return 0;
    for (int i = 0; i < info->dlpi_phnum && n_ranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        ranges[n_ranges].start = info->dlpi_addr + ph->p_vaddr;
        ranges[n_ranges].end = ranges[n_ranges].start + ph->p_memsz;
        n_ranges++;
    }
    return 0;
}

void rl_exec_callers_init(void)
{
    dl_iterate_phdr(note, NULL);
    rl_exec_sanitizer_code_init();
}

int rl_exec_caller_foreign(const void *caller)
{
    uintptr_t a = (uintptr_t)caller;
    for (int i = 0; i < n_ranges; i++)
        if (a >= ranges[i].start && a < ranges[i].end)
            return 1;
    return 0;
}
