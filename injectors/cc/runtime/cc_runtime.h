/* cc_runtime.h — the inside of libracelab-cc.a, the runtime `racelab cc`
 * links in place of ThreadSanitizer's (not for programs).
 *
 *   cc_access.c   the plain accesses: __tsan_readN/writeN, ranges, vptrs
 *   cc_atomics.c  the atomics: __tsan_atomicN_*, fences
 *   cc_hooks.c    the rest of the interface: init, function entry and exit,
 *                 annotations; all no-ops
 *   cc_stack.c    the calling thread's stack bounds, and the one filter
 *   cc_heap.c     malloc and free: freed blocks in quarantine, use-after-free
 *                 and double free found at the access
 *
 * clang -fsanitize=thread puts a call before every load and store the
 * program makes; here each call that may touch shared memory becomes one
 * rl_exec_access() (injectors/exec/preload/exec_access.h) into exec mode's
 * preloaded library, which makes it a noise or scheduling point. Without the
 * library (the program run on its own) the weak reference is NULL and every
 * entry point returns at once. The runtime is compiled without
 * instrumentation and calls nothing that is. */
#ifndef RACELAB_CC_RUNTIME_H
#define RACELAB_CC_RUNTIME_H

#include "../../exec/preload/exec_access.h"

#include <stdint.h>

#define RL_CC_EXPORT __attribute__((visibility("default")))

/* The access is a point unless it lies on the calling thread's own stack
 * (never shared, and most of a program's accesses): then the library is
 * told. `caller` is the instrumented code's return address. */
void rl_cc_access(rl_exec_access_kind kind, const volatile void *addr, unsigned size,
                  const void *caller);

/* After the point: whether [addr, addr + size) lies in a freed block in
 * quarantine; if so the use-after-free is reported and the process aborts. */
void rl_cc_heap_check(rl_exec_access_kind kind, const volatile void *addr, unsigned size,
                      const void *caller);

#endif
