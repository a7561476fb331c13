/* Depthwise convolution on the Cortex-M DSP extension.
 *
 * Four channels at a time: one word of activations and one word of weights per tap,
 * widened by SXTB16 into (c0, c2) / (c1, c3) halfword pairs, and the four products taken
 * by SMLABB / SMLATT into four int32 accumulators (SMLAD would add two channels together).
 * Windows fully inside the image skip every bounds test; border windows read in_zp for
 * padded taps. Channel multipliers other than 1 use the reference kernel; channels past
 * the last multiple of 4 are done one by one. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_requant.h"

/* Requantize n accumulators into channels c .. c + n - 1 of o. Kept out of line: inlined
 * four times next to the tap loop it made GCC spill the loop's registers. */
static void __attribute__((noinline)) store(const tq_dwconv2d_params *p, const int32_t *acc,
                                            int32_t n, int32_t c, int8_t *o)
{
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; i++) {
        o[c + i] = tq_clamp_s8(zp + tq_requant(acc[i], p->mult[c + i], p->shift[c + i]), lo, hi);
    }
}

/* acc[0..3] += taps of channels c .. c + 3 for a window wholly inside the image: x points
 * at the window's top-left pixel, channel c. */
static void taps_inside(const tq_dwconv2d_params *p, const int8_t *x, const int8_t *w,
                        int32_t acc[4])
{
    const int32_t ch = p->in_c;
    const int32_t tap_step = p->dil_w * ch;
    const int32_t row_step = p->dil_h * p->in_w * ch;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#define TQ_DW_TAP(xp, wp)                                                                  \
    do {                                                                                   \
        const uint32_t xv = tq_load4(xp), wv = tq_load4(wp);                               \
        const int16x2_t xe = __sxtb16((int8x4_t)xv), we = __sxtb16((int8x4_t)wv);          \
        a0 = __smlabb(xe, we, a0);                                                         \
        a2 = __smlatt(xe, we, a2);                                                         \
        const int16x2_t xo = tq_sxtb16_odd(xv), wo = tq_sxtb16_odd(wv);                    \
        a1 = __smlabb(xo, wo, a1);                                                         \
        a3 = __smlatt(xo, wo, a3);                                                         \
    } while (0)
    if (p->k_w == 3) {
        /* The common 3-wide row unrolled: no loop overhead between taps. */
        for (int32_t ky = 0; ky < p->k_h; ky++, x += row_step, w += 3 * ch) {
            TQ_DW_TAP(x, w);
            TQ_DW_TAP(x + tap_step, w + ch);
            TQ_DW_TAP(x + 2 * tap_step, w + 2 * ch);
        }
    } else {
        for (int32_t ky = 0; ky < p->k_h; ky++, x += row_step) {
            const int8_t *xt = x;
            for (int32_t kx = 0; kx < p->k_w; kx++, xt += tap_step, w += ch) {
                TQ_DW_TAP(xt, w);
            }
        }
    }
#undef TQ_DW_TAP
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* The same for a window that crosses the border: padded taps read in_zp. */
static void taps_border(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0,
                        int32_t ix0, int32_t c, int32_t acc[4])
{
    const int32_t ch = p->in_c;
    const uint32_t zp4 = 0x01010101u * (uint8_t)p->in_zp;
    const int8_t *w = p->weights + c;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, w += ch) {
            const int32_t ix = ix0 + kx * p->dil_w;
            uint32_t xv = zp4;
            if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                xv = tq_load4(in + (iy * p->in_w + ix) * ch + c);
            }
            const uint32_t wv = tq_load4(w);
            const int16x2_t xe = __sxtb16((int8x4_t)xv), we = __sxtb16((int8x4_t)wv);
            const int16x2_t xo = tq_sxtb16_odd(xv), wo = tq_sxtb16_odd(wv);
            acc[0] = __smlabb(xe, we, acc[0]);
            acc[2] = __smlatt(xe, we, acc[2]);
            acc[1] = __smlabb(xo, wo, acc[1]);
            acc[3] = __smlatt(xo, wo, acc[3]);
        }
    }
}

/* One channel (the tail past the last multiple of 4). */
static void one_channel(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0,
                        int32_t ix0, int32_t c, int8_t *o)
{
    int32_t acc = p->bias[c];
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t ix = ix0 + kx * p->dil_w;
            int32_t x = p->in_zp;
            if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                x = in[((size_t)iy * p->in_w + ix) * p->in_c + c];
            }
            acc += x * p->weights[(ky * p->k_w + kx) * p->out_c + c];
        }
    }
    store(p, &acc, 1, c, o);
}

void tq_dwconv2d_s8_dsp(const tq_dwconv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out)
{
    if (p->ch_mult != 1) {
        tq_dwconv2d_s8(p, in, out);
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
                int32_t acc[4] = {p->bias[c], p->bias[c + 1], p->bias[c + 2], p->bias[c + 3]};
                if (interior) {
                    taps_inside(p, in + (iy0 * p->in_w + ix0) * p->in_c + c, p->weights + c,
                                acc);
                } else {
                    taps_border(p, in, iy0, ix0, c, acc);
                }
                store(p, acc, 4, c, o);
            }
            for (int32_t c = c4; c < p->in_c; c++) {
                one_channel(p, in, iy0, ix0, c, o);
            }
        }
    }
}
#endif /* TQ_HAS_DSP */
