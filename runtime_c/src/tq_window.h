/*
 * tq_window.h - which taps of a convolution window lie inside the input, shared by the
 * kernels that split a window into its inside part and its padding.
 */
#ifndef TQ_WINDOW_H
#define TQ_WINDOW_H

#include <stdint.h>

/* First tap k (of taps 0 .. n - 1 at i0 + k * dil) with a non-negative position; n if none. */
static inline int32_t first_inside(int32_t i0, int32_t dil, int32_t n)
{
    const int32_t first = i0 >= 0 ? 0 : dil == 1 ? -i0 : (-i0 + dil - 1) / dil;
    return first < n ? first : n;
}

/* One past the last tap (at most n, at least first) with a position below size. */
static inline int32_t end_inside(int32_t i0, int32_t dil, int32_t n, int32_t size,
                                 int32_t first)
{
    const int32_t end = i0 >= size ? 0 : dil == 1 ? size - i0 : (size - 1 - i0) / dil + 1;
    return end < first ? first : (end > n ? n : end);
}

#endif /* TQ_WINDOW_H */
