/*
 * tq_pool_window.h - where an average-pooling window lies and what it divides by, shared by
 * tq_avgpool2d_s8 and its _dsp / _rvv variants (the arithmetic of tinyq.h's
 * tq_avgpool2d_params comment, in one place so the variants cannot drift from it).
 */
#ifndef TQ_POOL_WINDOW_H
#define TQ_POOL_WINDOW_H

#include <stdint.h>

static inline int32_t tq_pool_min(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tq_pool_max(int32_t a, int32_t b) { return a > b ? a : b; }

/* Declares lo, hi (output position o's inside taps [lo, hi) along an axis of the given
 * stride, padding, kernel and input size) and span (the window's length counting the
 * padding, clipped to the padded input as PyTorch counts it); the divisor is the product of
 * the two axes' spans with count_include_pad, else of their inside lengths. A macro rather
 * than an inline function: returning the three from a function (by struct or pointers)
 * changed the kernels' register allocation, and their object code must stay as it was. */
#define TQ_POOL_AXIS(lo, hi, span, o, stride, pad, k, size)                              \
    int32_t lo = (o) * (stride) - (pad);                                                 \
    int32_t hi = tq_pool_min(lo + (k), (size) + (pad));                                  \
    const int32_t span = hi - lo;                                                        \
    lo = tq_pool_max(lo, 0);                                                             \
    hi = tq_pool_min(hi, (size))

#endif /* TQ_POOL_WINDOW_H */
