/* Depthwise convolution with int4 weights on the Cortex-M DSP extension.
 *
 * The structure of tq_dwconv2d_s8_dsp: four channels at a time, the activation word
 * widened by SXTB16 into (c0, c2) / (c1, c3) halfword pairs, the four products taken by
 * SMLABB / SMLATT into four accumulators. The weights of four channels are one halfword h
 * of nibbles c0..c3; v = h | h << 8 has c0 at bit 0, c1 at 4, c2 at 16 and c3 at 20
 * (bits 8..15 mix two nibbles and are masked off), so (v << 12) & 0xF000F000 and
 * (v << 8) & 0xF000F000 are the pairs (c0, c2) and (c1, c3), each nibble at the top of
 * its halfword: 4096 * w as int16. The x4096 sums are exact below 2^31 for up to 511 taps
 * (|x * 4096 w| <= 2^22) and are added to the bias as sum >> 12 (a multiple of 4096).
 *
 * Channel multipliers other than 1, odd channel counts (a group of four would start
 * mid-byte at every other tap) and windows of more than 511 taps use the reference kernel;
 * channels past the last multiple of 4 are done one by one. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_int4.h"
#include "../tq_requant.h"

#define MAX_TAPS 511

/* Four channels' weights (halfword at w) as the pairs (c0, c2) and (c1, c3) x 4096. */
static inline void weight_pairs(const int8_t *w, int16x2_t *w02, int16x2_t *w13)
{
    uint16_t h;
    memcpy(&h, w, sizeof h);
    const uint32_t v = h | ((uint32_t)h << 8);
    *w02 = (int16x2_t)((v << 12) & 0xF000F000u);
    *w13 = (int16x2_t)((v << 8) & 0xF000F000u);
}

/* Requantize channels c .. c + n - 1 of o from the bias and the x4096 sums. Out of line
 * for the reason tq_dwconv2d_s8_dsp gives (GCC spills the tap loop otherwise). */
static void __attribute__((noinline)) store(const tq_dwconv2d_params *p, const int32_t *sum,
                                            int32_t n, int32_t c, int8_t *o)
{
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; i++) {
        /* >> of a negative multiple of 4096: arithmetic on gcc, as tq_requant relies on. */
        const int32_t acc = p->bias[c + i] + (sum[i] >> 12);
        o[c + i] = tq_clamp_s8(zp + tq_requant(acc, p->mult[c + i], p->shift[c + i]), lo, hi);
    }
}

#define TQ_DW4_TAP(xv, wp)                                                                 \
    do {                                                                                   \
        int16x2_t w02, w13;                                                                \
        weight_pairs(wp, &w02, &w13);                                                      \
        const int16x2_t xe = __sxtb16((int8x4_t)(xv)), xo = tq_sxtb16_odd(xv);             \
        s0 = __smlabb(xe, w02, s0);                                                        \
        s2 = __smlatt(xe, w02, s2);                                                        \
        s1 = __smlabb(xo, w13, s1);                                                        \
        s3 = __smlatt(xo, w13, s3);                                                        \
    } while (0)

/* sum[0..3] = x4096 taps of channels c .. c + 3 for a window wholly inside the image: x
 * points at the window's top-left pixel, channel c; w at the packed weights of tap 0,
 * channel c (a byte: c and the channel count are even). */
static void taps_inside(const tq_dwconv2d_params *p, const int8_t *x, const int8_t *w,
                        int32_t sum[4])
{
    const int32_t ch = p->in_c;
    const int32_t wstep = ch >> 1;
    const int32_t tap_step = p->dil_w * ch;
    const int32_t row_step = p->dil_h * p->in_w * ch;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    if (p->k_w == 3) {
        for (int32_t ky = 0; ky < p->k_h; ky++, x += row_step, w += 3 * wstep) {
            TQ_DW4_TAP(tq_load4(x), w);
            TQ_DW4_TAP(tq_load4(x + tap_step), w + wstep);
            TQ_DW4_TAP(tq_load4(x + 2 * tap_step), w + 2 * wstep);
        }
    } else {
        for (int32_t ky = 0; ky < p->k_h; ky++, x += row_step) {
            const int8_t *xt = x;
            for (int32_t kx = 0; kx < p->k_w; kx++, xt += tap_step, w += wstep) {
                TQ_DW4_TAP(tq_load4(xt), w);
            }
        }
    }
    sum[0] = s0;
    sum[1] = s1;
    sum[2] = s2;
    sum[3] = s3;
}

/* The same for a window that crosses the border: padded taps read in_zp. */
static void taps_border(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0,
                        int32_t ix0, int32_t c, int32_t sum[4])
{
    const int32_t ch = p->in_c;
    const int32_t wstep = ch >> 1;
    const uint32_t zp4 = 0x01010101u * (uint8_t)p->in_zp;
    const int8_t *w = p->weights + (c >> 1);
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, w += wstep) {
            const int32_t ix = ix0 + kx * p->dil_w;
            uint32_t xv = zp4;
            if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                xv = tq_load4(in + ((size_t)iy * p->in_w + ix) * ch + c);
            }
            TQ_DW4_TAP(xv, w);
        }
    }
    sum[0] = s0;
    sum[1] = s1;
    sum[2] = s2;
    sum[3] = s3;
}
#undef TQ_DW4_TAP

/* One channel (the tail past the last multiple of 4), plain int32 products. */
static void one_channel(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0,
                        int32_t ix0, int32_t c, int8_t *o)
{
    int32_t acc = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t ix = ix0 + kx * p->dil_w;
            int32_t x = p->in_zp;
            if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                x = in[((size_t)iy * p->in_w + ix) * p->in_c + c];
            }
            acc += x * tq_s4_at(p->weights, (size_t)(ky * p->k_w + kx) * p->out_c + c);
        }
    }
    acc *= 4096; /* store() takes x4096 sums; |acc| * 4096 < 2^31 for <= 511 taps */
    store(p, &acc, 1, c, o);
}

void tq_dwconv2d_s8s4_dsp(const tq_dwconv2d_params *p, const int8_t *restrict in,
                          int8_t *restrict out)
{
    if (p->ch_mult != 1 || (p->in_c & 1) || p->k_h * p->k_w > MAX_TAPS) {
        tq_dwconv2d_s8s4(p, in, out);
        return;
    }
    const int32_t c4 = p->in_c & ~3;
    const int32_t span_h = (p->k_h - 1) * p->dil_h;
    const int32_t span_w = (p->k_w - 1) * p->dil_w;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int rows_inside = iy0 >= 0 && iy0 + span_h < p->in_h;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            const int interior = rows_inside && ix0 >= 0 && ix0 + span_w < p->in_w;
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t c = 0; c < c4; c += 4) {
                int32_t sum[4];
                if (interior) {
                    taps_inside(p, in + ((size_t)iy0 * p->in_w + ix0) * p->in_c + c,
                                p->weights + (c >> 1), sum);
                } else {
                    taps_border(p, in, iy0, ix0, c, sum);
                }
                store(p, sum, 4, c, o);
            }
            for (int32_t c = c4; c < p->in_c; c++) {
                one_channel(p, in, iy0, ix0, c, o);
            }
        }
    }
}
#endif /* TQ_HAS_DSP */
