/*
 * tq_gather.h - the im2col step of the Cortex-M DSP convolutions (int8 and int4 weights):
 * one output pixel's window copied out as int8, padding read as in_zp. Internal to the
 * runtime; included by the _dsp kernels only.
 */
#ifndef TQ_GATHER_H
#define TQ_GATHER_H

#include "tq_dsp.h"

#if TQ_HAS_DSP
#include "tinyq.h"

/* Word-at-a-time copies and fills (unaligned LDR/STR are legal on M4/M7/M33):
 * newlib-nano's memcpy and memset go byte by byte, which cost more than the dot products
 * on a 3-channel first layer. */
static inline void tq_copy_run(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        tq_store4(dst + i, tq_load4(src + i));
    }
    for (; i < n; i++) {
        dst[i] = src[i];
    }
}

static inline void tq_fill_run(int8_t *dst, uint32_t word, int32_t n)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        tq_store4(dst + i, word);
    }
    for (; i < n; i++) {
        dst[i] = (int8_t)word;
    }
}

/* The top-left tap of output pixel (oy, ox) in the input if its window lies wholly
 * inside with dil_w == 1 (k_h runs of k_w * in_c bytes, dil_h rows apart), else NULL. */
static inline const int8_t *tq_window_inside(const tq_conv2d_params *p, const int8_t *in,
                                             int32_t oy, int32_t ox)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    if (p->dil_w != 1 || iy0 < 0 || ix0 < 0 || ix0 + p->k_w > p->in_w ||
        iy0 + (p->k_h - 1) * p->dil_h >= p->in_h) {
        return NULL;
    }
    return in + ((size_t)iy0 * p->in_w + ix0) * p->in_c;
}

/* The int8 window of output pixel (oy, ox), one that is not inside the input (or has
 * dil_w > 1): k_h * k_w * in_c bytes at x, in the filter's (ky, kx, c) order, padded taps
 * = in_zp. */
static inline void tq_gather_window(const tq_conv2d_params *p, const int8_t *in, int32_t oy,
                                    int32_t ox, int8_t *x)
{
    const int32_t cin = p->in_c;
    const int32_t row_len = p->k_w * cin;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    const uint32_t zp4 = 0x01010101u * (uint8_t)p->in_zp;
    int32_t kx_lo = 0;
    while (kx_lo < p->k_w && ix0 + kx_lo * p->dil_w < 0) {
        kx_lo++;
    }
    int32_t kx_hi = p->k_w;
    while (kx_hi > kx_lo && ix0 + (kx_hi - 1) * p->dil_w >= p->in_w) {
        kx_hi--;
    }
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        int8_t *dst = x + ky * row_len;
        if (iy < 0 || iy >= p->in_h || kx_lo >= kx_hi) {
            tq_fill_run(dst, zp4, row_len);
            continue;
        }
        tq_fill_run(dst, zp4, kx_lo * cin);
        tq_fill_run(dst + kx_hi * cin, zp4, (p->k_w - kx_hi) * cin);
        const int8_t *src = in + ((size_t)iy * p->in_w + ix0 + kx_lo * p->dil_w) * cin;
        if (p->dil_w == 1) {
            tq_copy_run(dst + kx_lo * cin, src, (kx_hi - kx_lo) * cin);
        } else {
            for (int32_t kx = kx_lo; kx < kx_hi; kx++) {
                tq_copy_run(dst + kx * cin, src + (size_t)(kx - kx_lo) * p->dil_w * cin, cin);
            }
        }
    }
}

/* Per pair of channels (c, c + 1) of the first `pairs`, built in scratch once per call
 * when every shift is above 32 (else NULL): {bias_c, bias_c+1, then tq_requant_2x2's six
 * words}, so the channel loop loads its constants straight from one pointer. */
#define TQ_TABLE_WORDS 8

static inline int32_t *tq_requant_table(const tq_conv2d_params *p, int32_t pairs, int32_t *t)
{
    for (int32_t c = 0; c < 2 * pairs; c++) {
        if (p->shift[c] <= 32) {
            return NULL;
        }
    }
    for (int32_t q = 0; q < pairs; q++) {
        int32_t *e = t + TQ_TABLE_WORDS * q;
        for (int32_t j = 0; j < 2; j++) {
            const int32_t c = 2 * q + j, k = p->shift[c] - 32;
            e[j] = p->bias[c];
            e[2 + j] = p->mult[c];
            e[4 + j] = 1 << (k - 1);
            e[6 + j] = k;
        }
    }
    return t;
}

/* ---- The int16 two-pixel column of the int8 DSP convolutions (tq_dsp.h pairing): group
 * g of 4 window elements of pixel slot s (0, 1) is the word pair at col + 16 g + 8 s. */

/* `words` groups of 4 int8 at src widened into one slot, 16 bytes apart. */
static inline void tq_widen_run(int8_t *col, const int8_t *src, int32_t words)
{
    for (int32_t i = 0; i < words; i++, col += 16, src += 4) {
        const uint32_t v = tq_load4(src);
        tq_store4(col, (uint32_t)__sxtb16((int8x4_t)v));
        tq_store4(col + 4, (uint32_t)tq_sxtb16_odd(v));
    }
}

static inline void tq_fill_col(int8_t *col, uint32_t pair, int32_t words)
{
    for (int32_t i = 0; i < words; i++, col += 16) {
        tq_store4(col, pair);
        tq_store4(col + 4, pair);
    }
}

/* Zeroes the column of `groups` groups and the int8 windows x0, x1 (4 groups bytes each):
 * whatever lies past the filter stays 0, so filters end in whole groups. */
static inline void tq_column_init(const tq_conv2d_params *p, int8_t *col, int8_t *x0,
                                  int8_t *x1, int32_t groups)
{
    (void)p;
    tq_fill_run(col, 0, 16 * groups);
    tq_fill_run(x0, 0, 4 * groups);
    tq_fill_run(x1, 0, 4 * groups);
}

/* A window inside the input with in_c % 4 != 0 (first layers): its k_h rows of `run`
 * bytes, `step` apart in the input, back to back in x, then widened into the column slot.
 * Not inlined: with few values live, the copies stay in registers (the general gather
 * costs twice as much per window). */
static __attribute__((noinline, unused)) void
tq_column_rows(int8_t *col, int8_t *x, const int8_t *src, size_t step, int32_t k_h,
               int32_t run, int32_t groups)
{
    int8_t *d = x;
    if (run < 4) {
        for (int32_t ky = 0; ky < k_h; ky++, src += step, d += run) {
            tq_copy_run(d, src, run);
        }
    } else { /* whole words, the last one overlapping the one before: no byte loop */
        for (int32_t ky = 0; ky < k_h; ky++, src += step, d += run) {
            for (int32_t i = 0; i < run - 4; i += 4) {
                tq_store4(d + i, tq_load4(src + i));
            }
            tq_store4(d + run - 4, tq_load4(src + run - 4));
        }
    }
    tq_widen_run(col, x, groups);
}

/* Output pixel (oy, ox) into the column slot at col. With in_c % 4 == 0 every tap is
 * whole groups, widened straight from the input (padded taps: in_zp); otherwise the
 * window is gathered into x (int8) first. */
static inline void tq_column_pixel(const tq_conv2d_params *p, const int8_t *in, int32_t oy,
                                   int32_t ox, int8_t *col, int8_t *x, int32_t groups)
{
    const int32_t cin = p->in_c;
    if (cin & 3) {
        const int8_t *src = tq_window_inside(p, in, oy, ox);
        if (src != NULL) {
            tq_column_rows(col, x, src, (size_t)p->dil_h * p->in_w * cin, p->k_h,
                           p->k_w * cin, groups);
            return;
        }
        tq_gather_window(p, in, oy, ox, x);
        tq_widen_run(col, x, groups);
        return;
    }
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    if (p->dil_w == 1 && iy0 >= 0 && ix0 >= 0 && ix0 + p->k_w <= p->in_w &&
        iy0 + (p->k_h - 1) * p->dil_h < p->in_h) { /* inside: k_h runs of k_w * cin */
        const int32_t run = p->k_w * cin;
        const size_t step = (size_t)p->dil_h * p->in_w * cin;
        const int8_t *src = in + ((size_t)iy0 * p->in_w + ix0) * cin;
        for (int32_t ky = 0; ky < p->k_h; ky++, src += step, col += 4 * run) {
            tq_widen_run(col, src, run >> 2);
        }
        return;
    }
    const int32_t c4 = cin >> 2;
    const int32_t row = p->k_w * c4;
    const uint32_t zp2 = 0x00010001u * (uint16_t)p->in_zp;
    int32_t kx_lo = 0;
    while (kx_lo < p->k_w && ix0 + kx_lo * p->dil_w < 0) {
        kx_lo++;
    }
    int32_t kx_hi = p->k_w;
    while (kx_hi > kx_lo && ix0 + (kx_hi - 1) * p->dil_w >= p->in_w) {
        kx_hi--;
    }
    for (int32_t ky = 0; ky < p->k_h; ky++, col += 16 * row) {
        const int32_t iy = iy0 + ky * p->dil_h;
        if (iy < 0 || iy >= p->in_h || kx_lo >= kx_hi) {
            tq_fill_col(col, zp2, row);
            continue;
        }
        tq_fill_col(col, zp2, kx_lo * c4);
        tq_fill_col(col + 16 * kx_hi * c4, zp2, (p->k_w - kx_hi) * c4);
        const int8_t *src = in + ((size_t)iy * p->in_w + ix0 + kx_lo * p->dil_w) * cin;
        if (p->dil_w == 1) {
            tq_widen_run(col + 16 * kx_lo * c4, src, (kx_hi - kx_lo) * c4);
        } else {
            for (int32_t kx = kx_lo; kx < kx_hi; kx++) {
                tq_widen_run(col + 16 * kx * c4, src + (size_t)(kx - kx_lo) * p->dil_w * cin,
                             c4);
            }
        }
    }
}

/* Whether every output pixel's window is one input pixel of whole groups (an unpadded 1x1
 * window inside the input), widened straight into the column by tq_column_slot. */
static inline __attribute__((always_inline)) int tq_column_direct(const tq_conv2d_params *p)
{
    return p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0 &&
           (p->in_c & 3) == 0 && (p->out_h - 1) * p->stride_h < p->in_h &&
           (p->out_w - 1) * p->stride_w < p->in_w;
}

/* Output pixel (*oy, *ox) into the column slot at col, then on to the next pixel. Always
 * inlined: the kernels specialize their pixel loop on `direct`. */
static inline __attribute__((always_inline)) void
tq_column_slot(const tq_conv2d_params *p, const int8_t *in, int32_t *oy, int32_t *ox,
               int8_t *col, int8_t *x, int32_t groups, int direct)
{
    if (direct) {
        const size_t at = (size_t)*oy * p->stride_h * p->in_w + (size_t)*ox * p->stride_w;
        tq_widen_run(col, in + at * p->in_c, p->in_c >> 2);
    } else {
        tq_column_pixel(p, in, *oy, *ox, col, x, groups);
    }
    if (++*ox == p->out_w) {
        *ox = 0;
        ++*oy;
    }
}

#endif /* TQ_HAS_DSP */
#endif /* TQ_GATHER_H */
