/*
 * tq_int4.h - reading int4 weights packed two per byte (DESIGN.md section 3).
 * Element e of a flattened kernel sits in byte e / 2: the low nibble when e is even, the
 * high nibble when odd; values are two's complement in [-8, 7]. Internal to the runtime.
 * Nibbles are sign-extended in registers as they are read: no unpacked copy of a filter.
 */
#ifndef TQ_INT4_H
#define TQ_INT4_H

#include <stddef.h>
#include <stdint.h>

/* ((n & 15) ^ 8) - 8 maps the nibble 0..15 to 0..7, -8..-1 without shifting a negative. */
static inline int32_t tq_s4_lo(uint8_t b)
{
    return (int32_t)((b & 15u) ^ 8u) - 8;
}

static inline int32_t tq_s4_hi(uint8_t b)
{
    return (int32_t)((uint32_t)(b >> 4) ^ 8u) - 8;
}

/* Element e of a packed array. */
static inline int32_t tq_s4_at(const int8_t *packed, size_t e)
{
    const uint8_t b = (uint8_t)packed[e >> 1];
    return (e & 1u) ? tq_s4_hi(b) : tq_s4_lo(b);
}

/* sum over i < n of x[i] * w[e0 + i], with w packed. e0 may be odd (a filter or row that
 * starts mid-byte): then the first element is a high nibble. Reads only bytes holding one
 * of the n elements. */
static inline int32_t tq_dot_s8s4(const int8_t *x, const int8_t *packed, size_t e0, int32_t n)
{
    const int8_t *w = packed + (e0 >> 1);
    int32_t acc = 0;
    int32_t i = 0;
    if ((e0 & 1u) && n > 0) {
        acc += (int32_t)x[0] * tq_s4_hi((uint8_t)*w++);
        i = 1;
    }
    for (; i + 1 < n; i += 2) {
        const uint8_t b = (uint8_t)*w++;
        acc += (int32_t)x[i] * tq_s4_lo(b) + (int32_t)x[i + 1] * tq_s4_hi(b);
    }
    if (i < n) {
        acc += (int32_t)x[i] * tq_s4_lo((uint8_t)*w);
    }
    return acc;
}

/* sum over i < n of w[e0 + i] (a padded tap reads in_zp for every input channel). */
static inline int32_t tq_sum_s4(const int8_t *packed, size_t e0, int32_t n)
{
    int32_t sum = 0;
    for (int32_t i = 0; i < n; i++) {
        sum += tq_s4_at(packed, e0 + (size_t)i);
    }
    return sum;
}

#endif /* TQ_INT4_H */
