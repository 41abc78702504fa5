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

#define RL_CC_POINT(addr) rl_cc_access(RL_EXEC_ACCESS_ATOMIC, (addr), sizeof *(addr), CALLER)

/* __tsan_atomicN_OP, done by the builtin __atomic_BUILTIN */
#define RL_CC_RMW(N, T, OP, BUILTIN)                                                               \
    RL_CC_EXPORT T __tsan_atomic##N##_##OP(volatile T *a, T v, rl_cc_morder mo);                   \
    T __tsan_atomic##N##_##OP(volatile T *a, T v, rl_cc_morder mo)                                 \
    {                                                                                              \
        (void)mo;                                                                                  \
        RL_CC_POINT(a);                                                                            \
        return __atomic_##BUILTIN(a, v, SC);                                                       \
    }

#define RL_CC_ATOMICS(N, T)                                                                        \
    RL_CC_EXPORT T __tsan_atomic##N##_load(const volatile T *a, rl_cc_morder mo);                  \
    T __tsan_atomic##N##_load(const volatile T *a, rl_cc_morder mo)                                \
    {                                                                                              \
        (void)mo;                                                                                  \
        RL_CC_POINT(a);                                                                            \
        return __atomic_load_n(a, SC);                                                             \
    }                                                                                              \
    RL_CC_EXPORT void __tsan_atomic##N##_store(volatile T *a, T v, rl_cc_morder mo);               \
    void __tsan_atomic##N##_store(volatile T *a, T v, rl_cc_morder mo)                             \
    {                                                                                              \
        (void)mo;                                                                                  \
        RL_CC_POINT(a);                                                                            \
        __atomic_store_n(a, v, SC);                                                                \
    }                                                                                              \
    RL_CC_RMW(N, T, exchange, exchange_n)                                                          \
    RL_CC_RMW(N, T, fetch_add, fetch_add)                                                          \
    RL_CC_RMW(N, T, fetch_sub, fetch_sub)                                                          \
    RL_CC_RMW(N, T, fetch_and, fetch_and)                                                          \
    RL_CC_RMW(N, T, fetch_or, fetch_or)                                                            \
    RL_CC_RMW(N, T, fetch_xor, fetch_xor)                                                          \
    RL_CC_RMW(N, T, fetch_nand, fetch_nand)                                                        \
    RL_CC_EXPORT int __tsan_atomic##N##_compare_exchange_strong(                                   \
        volatile T *a, T *c, T v, rl_cc_morder mo, rl_cc_morder fail);                             \
    int __tsan_atomic##N##_compare_exchange_strong(volatile T *a, T *c, T v, rl_cc_morder mo,      \
                                                   rl_cc_morder fail)                              \
    {                                                                                              \
        (void)mo;                                                                                  \
        (void)fail;                                                                                \
        RL_CC_POINT(a);                                                                            \
        return __atomic_compare_exchange_n(a, c, v, 0, SC, SC);                                    \
    }                                                                                              \
    /* weak may fail spuriously; strong never does, and is a correct weak */                       \
    RL_CC_EXPORT int __tsan_atomic##N##_compare_exchange_weak(volatile T *a, T *c, T v,            \
                                                              rl_cc_morder mo, rl_cc_morder fail); \
    int __tsan_atomic##N##_compare_exchange_weak(volatile T *a, T *c, T v, rl_cc_morder mo,        \
                                                 rl_cc_morder fail)                                \
    {                                                                                              \
        return __tsan_atomic##N##_compare_exchange_strong(a, c, v, mo, fail);                      \
    }                                                                                              \
    RL_CC_EXPORT T __tsan_atomic##N##_compare_exchange_val(volatile T *a, T c, T v,                \
                                                           rl_cc_morder mo, rl_cc_morder fail);    \
    T __tsan_atomic##N##_compare_exchange_val(volatile T *a, T c, T v, rl_cc_morder mo,            \
                                              rl_cc_morder fail)                                   \
    {                                                                                              \
        (void)mo;                                                                                  \
        (void)fail;                                                                                \
        RL_CC_POINT(a);                                                                            \
        __atomic_compare_exchange_n(a, &c, v, 0, SC, SC);                                          \
        return c;                                                                                  \
    }

RL_CC_ATOMICS(8, unsigned char)
RL_CC_ATOMICS(16, unsigned short)
RL_CC_ATOMICS(32, unsigned int)
RL_CC_ATOMICS(64, unsigned long)

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
