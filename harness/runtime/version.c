/* version.c — the program's version, from build/version.h (git describe). */
#include "internal.h"

#include "../../build/version.h"

const char *rl_version(void) { return RL_VERSION; }
