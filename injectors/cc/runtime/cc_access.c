/* cc_access.c — ThreadSanitizer's entry points for plain loads and stores,
 * each one rl_cc_access(). The instrumentation calls __tsan_readN before a
 * load of N bytes and __tsan_writeN before a store, so the point comes
 * before the access: a switch there lets another thread run between this
 * thread's accesses. */
#include "cc_runtime.h"

#include <stddef.h>

#define CALLER __builtin_return_address(0)

/* __tsan_readN, __tsan_writeN, their unaligned twins, and the _pc forms
 * (the pc is the access's own; the return address is used alike). */
#define RL_CC_ACCESS(N)                                                                            \
    RL_CC_EXPORT void __tsan_read##N(void *addr);                                                  \
    void __tsan_read##N(void *addr) { rl_cc_access(RL_EXEC_ACCESS_READ, addr, N, CALLER); }        \
    RL_CC_EXPORT void __tsan_write##N(void *addr);                                                 \
    void __tsan_write##N(void *addr) { rl_cc_access(RL_EXEC_ACCESS_WRITE, addr, N, CALLER); }      \
    RL_CC_EXPORT void __tsan_unaligned_read##N(const void *addr);                                  \
    void __tsan_unaligned_read##N(const void *addr)                                                \
    {                                                                                              \
        rl_cc_access(RL_EXEC_ACCESS_READ, addr, N, CALLER);                                        \
    }                                                                                              \
    RL_CC_EXPORT void __tsan_unaligned_write##N(void *addr);                                       \
    void __tsan_unaligned_write##N(void *addr)                                                     \
    {                                                                                              \
        rl_cc_access(RL_EXEC_ACCESS_WRITE, addr, N, CALLER);                                       \
    }                                                                                              \
    RL_CC_EXPORT void __tsan_read##N##_pc(void *addr, void *pc);                                   \
    void __tsan_read##N##_pc(void *addr, void *pc)                                                 \
    {                                                                                              \
        rl_cc_access(RL_EXEC_ACCESS_READ, addr, N, pc);                                            \
    }                                                                                              \
    RL_CC_EXPORT void __tsan_write##N##_pc(void *addr, void *pc);                                  \
    void __tsan_write##N##_pc(void *addr, void *pc)                                                \
    {                                                                                              \
        rl_cc_access(RL_EXEC_ACCESS_WRITE, addr, N, pc);                                           \
    }

RL_CC_ACCESS(1)
RL_CC_ACCESS(2)
RL_CC_ACCESS(4)
RL_CC_ACCESS(8)
RL_CC_ACCESS(16)

/* Ranges (memory intrinsics, aggregates): one point for the whole range. */
RL_CC_EXPORT void __tsan_read_range(void *addr, size_t size);
void __tsan_read_range(void *addr, size_t size)
{
    rl_cc_access(RL_EXEC_ACCESS_READ, addr, (unsigned)size, CALLER);
}
RL_CC_EXPORT void __tsan_write_range(void *addr, size_t size);
void __tsan_write_range(void *addr, size_t size)
{
    rl_cc_access(RL_EXEC_ACCESS_WRITE, addr, (unsigned)size, CALLER);
}

/* C++ virtual-table pointers: a store when an object is built or destroyed,
 * a load at a virtual call. */
RL_CC_EXPORT void __tsan_vptr_update(void **vptr_p, void *new_val);
void __tsan_vptr_update(void **vptr_p, void *new_val)
{
    if (*vptr_p != new_val)
        rl_cc_access(RL_EXEC_ACCESS_WRITE, vptr_p, sizeof *vptr_p, CALLER);
}
RL_CC_EXPORT void __tsan_vptr_read(void **vptr_p);
void __tsan_vptr_read(void **vptr_p)
{
    rl_cc_access(RL_EXEC_ACCESS_READ, vptr_p, sizeof *vptr_p, CALLER);
}
