/* exec_program.c — PROGRAM, found the way a shell finds it (PATH when the
 * name has no slash), and refused with one line (exit 2) where LD_PRELOAD
 * cannot act on it:
 *
 *   missing or not executable;
 *   setuid or setgid, or with file capabilities: the loader runs it in
 *     secure mode and ignores LD_PRELOAD;
 *   statically linked (no interpreter): there is no loader to preload into;
 *   not a 64-bit ELF file or a #! script.
 *
 * A #! script is accepted: the preload acts on its interpreter and on what
 * it runs (the record says so). */
#include "exec/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static char *search_path(const char *name)
{
    const char *path = getenv("PATH");
    char *copy = xstrdup(path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL, *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL;
         dir = strtok_r(NULL, ":", &save)) {
        char *full = xasprintf("%s/%s", *dir ? dir : ".", name);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
            found = full;
        else
            free(full);
    }
    free(copy);
    return found;
}

static int is_script(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char head[2] = {0, 0};
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    return n == 2 && head[0] == '#' && head[1] == '!';
}

static int refuse(exec_program *p, const char *why)
{
    error_msg("exec: %s %s", p->path, why);
    exec_free_program(p);
    return RL_EXIT_USAGE;
}

/* GIVEN from the root (the working directory in front), symlinks kept: the
 * record's exec.program and its rerun lines work from any directory. */
static char *absolute_path(const char *given)
{
    char cwd[PATH_MAX];
    if (given[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
        return xstrdup(given);
    while (given[0] == '.' && given[1] == '/')
        given += 2;
    return xasprintf("%s/%s", cwd, given);
}

int exec_find_program(const char *given, exec_program *p)
{
    memset(p, 0, sizeof *p);
    if (*given == '\0') {
        error_msg("exec: an empty PROGRAM");
        return RL_EXIT_USAGE;
    }
    char *found = strchr(given, '/') != NULL ? xstrdup(given) : search_path(given);
    p->path = found != NULL ? absolute_path(found) : NULL;
    free(found);
    if (p->path == NULL) {
        error_msg("exec: %s: no such program on PATH", given);
        return RL_EXIT_USAGE;
    }
    const char *slash = strrchr(p->path, '/');
    p->name = xstrdup(slash != NULL ? slash + 1 : p->path);
    struct stat st;
    if (stat(p->path, &st) != 0)
        return refuse(p, "does not exist");
    if (!S_ISREG(st.st_mode))
        return refuse(p, "is not a regular file");
    if (access(p->path, X_OK) != 0)
        return refuse(p, "is not executable");
    if (st.st_mode & (S_ISUID | S_ISGID))
        return refuse(p, "is setuid or setgid: the loader ignores LD_PRELOAD for it");
    if (getxattr(p->path, "security.capability", NULL, 0) >= 0)
        return refuse(p, "has file capabilities: the loader ignores LD_PRELOAD for it");
    if (is_script(p->path)) {
        p->script = 1;
        return 0;
    }
    elf_facts f;
    if (elf_read_facts(p->path, &f) != 0)
        return refuse(p, "cannot be read");
    if (!f.elf)
        return refuse(p, "is neither an ELF executable nor a #! script");
    if (f.elf == 1)
        return refuse(p, "is not a 64-bit ELF file: the preloaded library cannot go into it");
    if (!f.dynamic)
        return refuse(p, "is statically linked: LD_PRELOAD cannot act on it");
    p->tsan = f.tsan;
    p->tsan_sign = f.tsan_sign;
    p->cc = f.cc;
    p->sanitizers = f.sanitizers;
    p->san_sign = f.san_sign;
    p->n_raw = f.n_raw;
    for (int i = 0; i < f.n_raw; i++)
        p->raw[i] = f.raw[i];
    return 0;
}

void exec_free_program(exec_program *p)
{
    free(p->path);
    free(p->name);
    memset(p, 0, sizeof *p);
}
