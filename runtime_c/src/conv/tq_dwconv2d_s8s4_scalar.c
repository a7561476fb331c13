/* Depthwise convolution with int4 weights for 32-bit cores without DSP / MVE / RVV.
 *
 * As tq_dwconv2d_s8_scalar.c: four channels at a time, each block over every pixel, the
 * block's requantization worked out once; a padded tap reads a 4-byte copy of in_zp. A tap's
 * four weights are two bytes (out_c even, so every block starts on a byte), each split
 * into its nibbles in registers. Odd out_c (taps alternate between byte halves), ch_mult
 * other than 1 and the channels past the last multiple of 4 go one at a time. */
#include "tq_isa.h"

#if TQ_HAS_SCALAR
#include "tinyq.h"
#include "../tq_int4.h"
#include "../tq_scalar.h"

/* Channels c .. c + 3 of the window at (iy0, ix0); w at the block's first tap byte. */
static void taps(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0, int32_t ix0,
                 int32_t c, const int8_t *w, const int8_t *zp4, int32_t acc[4])
{
    const int32_t w_step = p->out_c / 2;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        const int row_inside = iy >= 0 && iy < p->in_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, w += w_step) {
            const int32_t ix = ix0 + kx * p->dil_w;
            const int8_t *x = zp4;
            if (row_inside && ix >= 0 && ix < p->in_w) {
                x = in + ((size_t)iy * p->in_w + ix) * p->in_c + c;
            }
            const int32_t b0 = w[0], b1 = w[1];
            a0 += (int32_t)x[0] * tq_sc_lo4(b0);
            a1 += (int32_t)x[1] * (b0 >> 4);
            a2 += (int32_t)x[2] * tq_sc_lo4(b1);
            a3 += (int32_t)x[3] * (b1 >> 4);
        }
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Output channel oc (reading input channel oc / ch_mult) of the window at (iy0, ix0),
 * without bias. */
static int32_t one_channel(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0,
                           int32_t ix0, int32_t oc)
{
    const int32_t ic = oc / p->ch_mult;
    int32_t acc = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        const int row_inside = iy >= 0 && iy < p->in_h;
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t ix = ix0 + kx * p->dil_w;
            int32_t v = p->in_zp;
            if (row_inside && ix >= 0 && ix < p->in_w) {
                v = in[((size_t)iy * p->in_w + ix) * p->in_c + ic];
            }
            acc += v * tq_s4_at(p->weights, (size_t)(ky * p->k_w + kx) * p->out_c + oc);
        }
    }
    return acc;
}

void tq_dwconv2d_s8s4_scalar(const tq_dwconv2d_params *p, const int8_t *restrict in,
                             int8_t *restrict out)
{
    const int32_t c4 = p->ch_mult == 1 && p->out_c % 2 == 0 ? p->in_c & ~3 : 0;
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    const int8_t zp4[4] = {(int8_t)p->in_zp, (int8_t)p->in_zp, (int8_t)p->in_zp,
                           (int8_t)p->in_zp};
    for (int32_t c = 0; c < c4; c += 4) {
        tq_sc_rq rq[4];
        for (int32_t j = 0; j < 4; j++) {
            rq[j] = tq_sc_rq_of(p->mult[c + j], p->shift[c + j]);
        }
        int8_t *o = out + c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            for (int32_t ox = 0; ox < p->out_w; ox++, o += p->out_c) {
                int32_t acc[4] = {p->bias[c], p->bias[c + 1], p->bias[c + 2], p->bias[c + 3]};
                taps(p, in, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left, c,
                     p->weights + c / 2, zp4, acc);
                for (int32_t j = 0; j < 4; j++) {
                    o[j] = tq_sc_store(acc[j], &rq[j], zp, lo, hi);
                }
            }
        }
    }
    for (int32_t oc = c4; oc < p->out_c; oc++) {
        const tq_sc_rq rq = tq_sc_rq_of(p->mult[oc], p->shift[oc]);
        int8_t *o = out + oc;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            for (int32_t ox = 0; ox < p->out_w; ox++, o += p->out_c) {
                const int32_t acc = p->bias[oc] + one_channel(p, in, oy * p->stride_h - p->pad_top,
                                                              ox * p->stride_w - p->pad_left, oc);
                *o = tq_sc_store(acc, &rq, zp, lo, hi);
            }
        }
    }
}
#endif /* TQ_HAS_SCALAR */
