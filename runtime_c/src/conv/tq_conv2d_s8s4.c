/* Reference general convolution, int8 activations x int4 weights (packed, tinyq.h). */
#include "tinyq.h"
#include "../tq_int4.h"
#include "../tq_requant.h"

void tq_conv2d_s8s4(const tq_conv2d_params *p, const int8_t *restrict in,
                    int8_t *restrict out)
{
    const int32_t in_per_group = p->in_c / p->groups;
    const int32_t out_per_group = p->out_c / p->groups;
    const int32_t filter_size = p->k_h * p->k_w * in_per_group;

    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t oc = 0; oc < p->out_c; oc++) {
                const int32_t c0 = (oc / out_per_group) * in_per_group;
                /* Element index, not byte: an odd filter_size starts filters mid-byte. */
                const size_t filter = (size_t)oc * filter_size;
                int32_t acc = p->bias[oc];
                for (int32_t ky = 0; ky < p->k_h; ky++) {
                    const int32_t iy = iy0 + ky * p->dil_h;
                    const int row_inside = iy >= 0 && iy < p->in_h;
                    for (int32_t kx = 0; kx < p->k_w; kx++) {
                        const int32_t ix = ix0 + kx * p->dil_w;
                        const size_t tap = filter + (size_t)(ky * p->k_w + kx) * in_per_group;
                        if (row_inside && ix >= 0 && ix < p->in_w) {
                            const int8_t *x = in + ((size_t)iy * p->in_w + ix) * p->in_c + c0;
                            acc += tq_dot_s8s4(x, p->weights, tap, in_per_group);
                        } else {
                            acc += p->in_zp * tq_sum_s4(p->weights, tap, in_per_group);
                        }
                    }
                }
                o[oc] = tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[oc], p->shift[oc]),
                                    p->act_min, p->act_max);
            }
        }
    }
}
