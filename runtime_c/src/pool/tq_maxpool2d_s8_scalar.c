/* Max pooling on 32-bit cores without DSP / MVE / RVV (Cortex-M0+ / M3, rv32imc). Per
 * output pixel the byte offsets of its window's inside taps are worked out once; then each
 * channel is the max of those taps (2x2 windows unrolled with the offsets in registers),
 * clamped and stored. Bit-exact with tq_maxpool2d_s8 and, like it, safe in place: a
 * channel is written after all its taps are read, and later windows start beyond it.
 * Windows of more than TQ_SC_POOL_TAPS taps use the reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_SCALAR
#include <stddef.h>
#include "tinyq.h"
#include "../tq_requant.h"

#define TQ_SC_POOL_TAPS 64

static inline int32_t max2(int32_t a, int32_t b) { return a > b ? a : b; }

void tq_maxpool2d_s8_scalar(const tq_maxpool2d_params *p, const int8_t *in, int8_t *out)
{
    if (p->k_h * p->k_w > TQ_SC_POOL_TAPS) {
        tq_maxpool2d_s8(p, in, out);
        return;
    }
    const int32_t c = p->c, lo = p->act_min, hi = p->act_max;
    int32_t off[TQ_SC_POOL_TAPS];
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            int32_t n = 0;
            for (int32_t ky = 0; ky < p->k_h; ky++) {
                const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                for (int32_t kx = 0; kx < p->k_w && iy >= 0 && iy < p->in_h; kx++) {
                    const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                    if (ix >= 0 && ix < p->in_w) {
                        off[n++] = (iy * p->in_w + ix) * c;
                    }
                }
            }
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * c;
            if (n == 4) {
                const int8_t *x0 = in + off[0], *x1 = in + off[1], *x2 = in + off[2],
                             *x3 = in + off[3];
                for (int32_t ch = 0; ch < c; ch++) {
                    const int32_t v = max2(max2(x0[ch], x1[ch]), max2(x2[ch], x3[ch]));
                    o[ch] = tq_clamp_s8(v, lo, hi);
                }
                continue;
            }
            for (int32_t ch = 0; ch < c; ch++) {
                int32_t v = -128;
                for (int32_t t = 0; t < n; t++) {
                    v = max2(v, in[off[t] + ch]);
                }
                o[ch] = tq_clamp_s8(v, lo, hi);
            }
        }
    }
}
#endif /* TQ_HAS_SCALAR */
