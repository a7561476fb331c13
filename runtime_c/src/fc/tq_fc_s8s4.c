/* Reference fully connected layer, int8 activations x int4 weights (packed, tinyq.h). */
#include "tinyq.h"
#include "../tq_int4.h"
#include "../tq_requant.h"

void tq_fc_s8s4(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * p->in_features;
        int8_t *y = out + (size_t)r * p->out_features;
        for (int32_t o = 0; o < p->out_features; o++) {
            /* Row o starts at element o * in_features: mid-byte when that is odd. */
            int32_t acc = p->bias[o];
            acc += tq_dot_s8s4(x, p->weights, (size_t)o * p->in_features, p->in_features);
            y[o] = tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[o], p->shift[o]),
                               p->act_min, p->act_max);
        }
    }
}
