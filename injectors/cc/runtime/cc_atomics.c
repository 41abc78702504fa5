/* cc_atomics.c — ThreadSanitizer's entry points for atomic operations. Each
 * is a point (RL_EXEC_ACCESS_ATOMIC) before the operation, which is then
 * done here, sequentially consistent whatever order the program asked for:
 * stronger than asked is always correct, and under the controlled scheduler
 * only one thread runs at a time anyway. 128-bit atomics are not provided: a
 * program that uses them fails to link, naming __tsan_atomic128_*. */
#include "cc_runtime.h"

#define CALLER __builtin_return_address(0)
#define SC __ATOMIC_SEQ_CST

typedef int rl_cc_morder; /* __tsan_memory_order: relaxed .. seq_cst */

/* The operand types, named by size so the macros paste them (rl_cc_aN). */
typedef unsigned char rl_cc_a8;
typedef unsigned short rl_cc_a16;
typedef unsigned int rl_cc_a32;
typedef unsigned long rl_cc_a64;

#define RL_CC_POINT(addr) rl_cc_access(RL_EXEC_ACCESS_ATOMIC, (addr), sizeof *(addr), CALLER)

/* __tsan_atomicN_OP, done by the builtin __atomic_BUILTIN */
#define RL_CC_RMW(N, OP, BUILTIN)                                                                  \
    RL_CC_EXPORT rl_cc_a##N __tsan_atomic##N##_##OP(volatile rl_cc_a##N *a, rl_cc_a##N v,          \
                                                    rl_cc_morder mo);                              \
    rl_cc_a##N __tsan_atomic##N##_##OP(volatile rl_cc_a##N *a, rl_cc_a##N v, rl_cc_morder mo)      \
    {                                                                                              \
        (void)mo;                                                                                  \
        RL_CC_POINT(a);                                                                            \
        return __atomic_##BUILTIN(a, v, SC);                                                       \
    }

#define RL_CC_ATOMICS(N)                                                                           \
    RL_CC_EXPORT rl_cc_a##N __tsan_atomic##N##_load(const volatile rl_cc_a##N *a,                  \
                                                    rl_cc_morder mo);                              \
    rl_cc_a##N __tsan_atomic##N##_load(const volatile rl_cc_a##N *a, rl_cc_morder mo)              \
    {                                                                                              \
        (void)mo;                                                                                  \
        RL_CC_POINT(a);                                                                            \
        return __atomic_load_n(a, SC);                                                             \
    }                                                                                              \
    RL_CC_EXPORT void __tsan_atomic##N##_store(volatile rl_cc_a##N *a, rl_cc_a##N v,               \
                                               rl_cc_morder mo);                                   \
    void __tsan_atomic##N##_store(volatile rl_cc_a##N *a, rl_cc_a##N v, rl_cc_morder mo)           \
    {                                                                                              \
        (void)mo;                                                                                  \
        RL_CC_POINT(a);                                                                            \
        __atomic_store_n(a, v, SC);                                                                \
    }                                                                                              \
    RL_CC_RMW(N, exchange, exchange_n)                                                             \
    RL_CC_RMW(N, fetch_add, fetch_add)                                                             \
    RL_CC_RMW(N, fetch_sub, fetch_sub)                                                             \
    RL_CC_RMW(N, fetch_and, fetch_and)                                                             \
    RL_CC_RMW(N, fetch_or, fetch_or)                                                               \
    RL_CC_RMW(N, fetch_xor, fetch_xor)                                                             \
    RL_CC_RMW(N, fetch_nand, fetch_nand)                                                           \
    RL_CC_EXPORT int __tsan_atomic##N##_compare_exchange_strong(                                   \
        volatile rl_cc_a##N *a, rl_cc_a##N *c, rl_cc_a##N v, rl_cc_morder mo, rl_cc_morder fail);  \
    int __tsan_atomic##N##_compare_exchange_strong(                                                \
        volatile rl_cc_a##N *a, rl_cc_a##N *c, rl_cc_a##N v, rl_cc_morder mo, rl_cc_morder fail)   \
    {                                                                                              \
        (void)mo;                                                                                  \
        (void)fail;                                                                                \
        RL_CC_POINT(a);                                                                            \
        return __atomic_compare_exchange_n(a, c, v, 0, SC, SC);                                    \
    }                                                                                              \
    /* weak may fail spuriously; strong never does, and is a correct weak */                       \
    RL_CC_EXPORT int __tsan_atomic##N##_compare_exchange_weak(                                     \
        volatile rl_cc_a##N *a, rl_cc_a##N *c, rl_cc_a##N v, rl_cc_morder mo, rl_cc_morder fail);  \
    int __tsan_atomic##N##_compare_exchange_weak(volatile rl_cc_a##N *a, rl_cc_a##N *c,            \
                                                 rl_cc_a##N v, rl_cc_morder mo, rl_cc_morder fail) \
    {                                                                                              \
        return __tsan_atomic##N##_compare_exchange_strong(a, c, v, mo, fail);                      \
    }                                                                                              \
    RL_CC_EXPORT rl_cc_a##N __tsan_atomic##N##_compare_exchange_val(                               \
        volatile rl_cc_a##N *a, rl_cc_a##N c, rl_cc_a##N v, rl_cc_morder mo, rl_cc_morder fail);   \
    rl_cc_a##N __tsan_atomic##N##_compare_exchange_val(                                            \
        volatile rl_cc_a##N *a, rl_cc_a##N c, rl_cc_a##N v, rl_cc_morder mo, rl_cc_morder fail)    \
    {                                                                                              \
        (void)mo;                                                                                  \
        (void)fail;                                                                                \
        RL_CC_POINT(a);                                                                            \
        __atomic_compare_exchange_n(a, &c, v, 0, SC, SC);                                          \
        return c;                                                                                  \
    }

RL_CC_ATOMICS(8)
RL_CC_ATOMICS(16)
RL_CC_ATOMICS(32)
RL_CC_ATOMICS(64)

/* A fence orders nothing more when one thread runs at a time; done for real
 * in noise mode, where threads run together. */
RL_CC_EXPORT void __tsan_atomic_thread_fence(rl_cc_morder mo);
void __tsan_atomic_thread_fence(rl_cc_morder mo)
{
    (void)mo;
    __atomic_thread_fence(SC);
}
RL_CC_EXPORT void __tsan_atomic_signal_fence(rl_cc_morder mo);
void __tsan_atomic_signal_fence(rl_cc_morder mo)
{
    (void)mo;
    __atomic_signal_fence(SC);
}
