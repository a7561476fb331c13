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
 * Most layers have shift >= 32 (mult ~ 2^30 times a real rescale well below 1). Then
 * floor((p + 2^(s-1)) / 2^s) = floor(floor((p + 2^(s-1)) / 2^32) / 2^(s-32)): the high word
 * of one multiply-accumulate into a 64-bit rounding constant (SMLAL on Cortex-M), then a
 * 32-bit shift. Same bits as the general form, a third of the instructions. */
static inline int32_t tq_requant(int32_t acc, int32_t mult, int32_t shift)
{
    if (shift >= 32) {
        const uint32_t rnd_lo = shift == 32 ? 0x80000000u : 0u;
        const uint32_t rnd_hi = shift == 32 ? 0u : 1u << (shift - 33);
        const int64_t rnd = (int64_t)(((uint64_t)rnd_hi << 32) | rnd_lo);
        const int32_t hi = (int32_t)((rnd + (int64_t)acc * mult) >> 32);
        return hi >> (shift - 32);
    }
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
