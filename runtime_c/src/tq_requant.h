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
 * documents it); that is what "round half up" relies on.
 *
 * Most layers have shift > 32 (mult ~ 2^30 times a real rescale below 1/4). With
 * p = acc * mult = q 2^32 + r (0 <= r < 2^32) and k = shift - 32:
 *   floor((p + 2^(shift-1)) / 2^shift) = floor((q + 2^(k-1) + r / 2^32) / 2^k)
 *                                      = floor((q + 2^(k-1)) / 2^k)
 * because q + 2^(k-1) is an integer and r / 2^32 < 1. So the high word of one 32x32
 * multiply, a 32-bit add and a 32-bit shift give the same bits as the 64-bit form (|q| <
 * 2^30 and 2^(k-1) <= 2^29: no overflow). shift == 32 rounds the high word itself. */
static inline int32_t tq_requant(int32_t acc, int32_t mult, int32_t shift)
{
    const int64_t prod = (int64_t)acc * (int64_t)mult;
    if (shift > 32) {
        const int32_t k = shift - 32;
        return ((int32_t)(prod >> 32) + (1 << (k - 1))) >> k;
    }
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

/* The add variants' one constant (tq_add_s8 arithmetic, tinyq.h): with it the reference's
 * sum plus rounding plus z_out 2^shift is K + a m_1 + b m_2 over the raw activations,
 *   K = 2^(shift-1) + z_out 2^shift - z_1 m_1 - z_2 m_2   (|K| < 2^46 for shift <= 38). */
static inline int64_t tq_add_offset(int32_t z1, int32_t m1, int32_t z2, int32_t m2,
                                    int32_t z_out, int32_t shift)
{
    return ((int64_t)1 << (shift - 1)) + (int64_t)z_out * ((int64_t)1 << shift) -
           (int64_t)z1 * m1 - (int64_t)z2 * m2;
}

#endif /* TQ_REQUANT_H */
