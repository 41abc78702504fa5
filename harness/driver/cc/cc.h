/* cc.h — `racelab cc` and `racelab c++`. */
#ifndef RL_DRIVER_CC_CC_H
#define RL_DRIVER_CC_CC_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* racelab cc (cxx 0) and racelab c++ (cc_main.c): ARGV after the command. */
int cmd_cc(int argc, char **argv, int cxx);

#endif
