/* fuzz_posix_faults.c — libFuzzer target: one --posix-faults spec,
 * NAME[:p=P][,errno=E] (injectors/points/posix_faults.c), in the plain and
 * the TSan build's rules (the first byte chooses). Beyond "no crash, no UB":
 * an accepted spec names a point of libfiu's preload and becomes one fiu-run
 * command `enable_random name=NAME,probability=P[,failinfo=E]`; the TSan
 * rules never accept a malloc fault. */
#include "../../injectors/points/posix_faults.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[256];
    if (size < 1 || size > sizeof text || memchr(data + 1, '\0', size - 1) != NULL)
        return 0;
    int tsan = data[0] & 1;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char command[RL_POSIX_COMMAND_MAX], err[512];
    err[0] = '\0';
    if (rl_posix_fault_parse(text, tsan, command, sizeof command, err, sizeof err) != 0) {
        if (err[0] == '\0')
            abort(); /* a refusal says why (cli.c prints it on one line) */
        return 0;
    }
    char name[256];
    size_t n = strcspn(text, ":");
    memcpy(name, text, n);
    name[n] = '\0';
    if (!rl_posix_point_known(name))
        abort();
    char prefix[300];
    snprintf(prefix, sizeof prefix, "enable_random name=%s,probability=", name);
    if (strncmp(command, prefix, strlen(prefix)) != 0)
        abort();
    size_t len = strlen(name);
    int covers_malloc = name[len - 1] == '*' ? strncmp("libc/mm/malloc", name, len - 1) == 0
                                             : strcmp(name, "libc/mm/malloc") == 0;
    if (tsan && covers_malloc)
        abort(); /* TSan's own allocator: a malloc fault would do nothing */
    return 0;
}
