/* Reference average pooling; the divisor of each window selects a precomputed multiplier. */
#include "tinyq.h"
#include "../tq_pool_window.h"
#include "../tq_requant.h"

void tq_avgpool2d_s8(const tq_avgpool2d_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        TQ_POOL_AXIS(h0, h1, span_h, oy, p->stride_h, p->pad_h, p->k_h, p->in_h);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            TQ_POOL_AXIS(w0, w1, span_w, ox, p->stride_w, p->pad_w, p->k_w, p->in_w);
            const int32_t d = p->count_include_pad ? span_h * span_w : (h1 - h0) * (w1 - w0);
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->c;
            for (int32_t ch = 0; ch < p->c; ch++) {
                int32_t acc = 0;
                for (int32_t iy = h0; iy < h1; iy++) {
                    for (int32_t ix = w0; ix < w1; ix++) {
                        acc += in[((size_t)iy * p->in_w + ix) * p->c + ch] - p->in_zp;
                    }
                }
                o[ch] = tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[d], p->shift[d]),
                                    p->act_min, p->act_max);
            }
        }
    }
}
