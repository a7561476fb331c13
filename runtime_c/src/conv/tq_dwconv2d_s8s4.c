/* Reference depthwise convolution, int8 activations x int4 weights (packed, tinyq.h). */
#include "tinyq.h"
#include "../tq_int4.h"
#include "../tq_requant.h"

void tq_dwconv2d_s8s4(const tq_dwconv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out)
{
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t oc = 0; oc < p->out_c; oc++) {
                const int32_t ic = oc / p->ch_mult;
                int32_t acc = p->bias[oc];
                for (int32_t ky = 0; ky < p->k_h; ky++) {
                    const int32_t iy = iy0 + ky * p->dil_h;
                    for (int32_t kx = 0; kx < p->k_w; kx++) {
                        const int32_t ix = ix0 + kx * p->dil_w;
                        const size_t e = (size_t)(ky * p->k_w + kx) * p->out_c + oc;
                        int32_t x = p->in_zp;
                        if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                            x = in[((size_t)iy * p->in_w + ix) * p->in_c + ic];
                        }
                        acc += x * tq_s4_at(p->weights, e);
                    }
                }
                o[oc] = tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[oc], p->shift[oc]),
                                    p->act_min, p->act_max);
            }
        }
    }
}
