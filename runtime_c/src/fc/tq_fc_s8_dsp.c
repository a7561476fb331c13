/* Fully connected on the Cortex-M DSP extension: two outputs per pass share each
 * activation load, SMLAD dot products over the inputs. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_requant.h"

void tq_fc_s8_dsp(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features;
    const int32_t n4 = n & ~3;
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * p->out_features;
        for (int32_t o = 0; o < p->out_features; o += 2) {
            const int pair = o + 1 < p->out_features;
            const int8_t *w0 = p->weights + (size_t)o * n;
            const int8_t *w1 = pair ? w0 + n : w0;
            int32_t acc0 = p->bias[o];
            int32_t acc1 = pair ? p->bias[o + 1] : 0;
            tq_dot2_s8(x, w0, w1, n4, &acc0, &acc1);
            for (int32_t i = n4; i < n; i++) {
                acc0 += (int32_t)x[i] * w0[i];
                acc1 += (int32_t)x[i] * w1[i];
            }
            y[o] = tq_clamp_s8(p->out_zp + tq_requant(acc0, p->mult[o], p->shift[o]),
                               p->act_min, p->act_max);
            if (pair) {
                y[o + 1] = tq_clamp_s8(p->out_zp + tq_requant(acc1, p->mult[o + 1],
                                                              p->shift[o + 1]),
                                       p->act_min, p->act_max);
            }
        }
    }
}
#endif /* TQ_HAS_DSP */
