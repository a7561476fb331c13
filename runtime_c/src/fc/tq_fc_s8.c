/* Reference fully connected layer. */
#include "tinyq.h"
#include "../tq_requant.h"

void tq_fc_s8(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * p->in_features;
        int8_t *y = out + (size_t)r * p->out_features;
        for (int32_t o = 0; o < p->out_features; o++) {
            const int8_t *w = p->weights + (size_t)o * p->in_features;
            int32_t acc = p->bias[o];
            for (int32_t i = 0; i < p->in_features; i++) {
                acc += (int32_t)x[i] * w[i];
            }
            y[o] = tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[o], p->shift[o]),
                               p->act_min, p->act_max);
        }
    }
}
