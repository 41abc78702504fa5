/* paths.h — where racelab finds its own files (paths.c). */
#ifndef RACELAB_PATHS_H
#define RACELAB_PATHS_H

/* The folder holding plain/, tsan/, exec/libracelab-exec.so and
 * cc/libracelab-cc.a: the racelab program's own folder in a build tree
 * (build/), PREFIX/lib/racelab when installed (bin/racelab). Malloc'd. */
char *rl_home(void);
/* rl_home()/REL, malloc'd. */
char *rl_home_file(const char *rel);
/* Where results folders go by default (--out overrides): results/ beside
 * build/ in a build tree, ./results (absolute) when installed. Malloc'd. */
char *rl_results_root(void);
/* 1 when this racelab runs from an installed prefix. */
int rl_installed(void);

#endif
