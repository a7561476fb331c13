/* Reference max pooling; padded positions are skipped (PyTorch pads with -inf). */
#include "tinyq.h"
#include "../tq_requant.h"

void tq_maxpool2d_s8(const tq_maxpool2d_params *p, const int8_t *in, int8_t *out)
{
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->c;
            for (int32_t ch = 0; ch < p->c; ch++) {
                int32_t best = -128;
                for (int32_t ky = 0; ky < p->k_h; ky++) {
                    const int32_t iy = iy0 + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < p->k_w; kx++) {
                        const int32_t ix = ix0 + kx * p->dil_w;
                        if (ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        const int32_t v = in[((size_t)iy * p->in_w + ix) * p->c + ch];
                        if (v > best) {
                            best = v;
                        }
                    }
                }
                o[ch] = tq_clamp_s8(best, p->act_min, p->act_max);
            }
        }
    }
}
