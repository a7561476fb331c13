/*
 * tq_requant.h - the one rounding rule shared by every kernel (DESIGN.md section 3).
 * Internal to the runtime; the numpy simulator implements exactly the same arithmetic.
 */
#ifndef TQ_REQUANT_H
#define TQ_REQUANT_H

#include <stdint.h>

/* (acc * mult + 2^(shift-1)) >> shift with a 64-bit product. |acc| < 2^31 and
 * mult < 2^31 keep the product below 2^62, so the rounding term cannot overflow.
 * Right shift of a negative int64 is arithmetic on every compiler tinyq supports (gcc
 * documents it); that is what "round half up" relies on. */
static inline int32_t tq_requant(int32_t acc, int32_t mult, int32_t shift)
{
    int64_t prod = (int64_t)acc * (int64_t)mult;
    return (int32_t)((prod + ((int64_t)1 << (shift - 1))) >> shift);
}

static inline int8_t tq_clamp_s8(int32_t v, int32_t lo, int32_t hi)
{
    if (v < lo) {
        v = lo;
    }
    if (v > hi) {
        v = hi;
    }
    return (int8_t)v;
}

#endif /* TQ_REQUANT_H */
