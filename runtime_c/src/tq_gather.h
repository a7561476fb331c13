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

/* The int8 window of output pixel (oy, ox): k_h * k_w * in_c bytes at x, in the filter's
 * (ky, kx, c) order, padded taps = in_zp. */
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

#endif /* TQ_HAS_DSP */
#endif /* TQ_GATHER_H */
