/* Reference add of two tensors with different scales; safe in place (out == a or b). */
#include "tinyq.h"
#include "../tq_requant.h"

void tq_add_s8(const tq_add_params *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int64_t round = (int64_t)1 << (p->shift - 1);
    for (int32_t i = 0; i < p->size; i++) {
        const int64_t acc = (int64_t)(a[i] - p->in1_zp) * p->mult1 +
                            (int64_t)(b[i] - p->in2_zp) * p->mult2;
        const int32_t v = (int32_t)((acc + round) >> p->shift);
        out[i] = tq_clamp_s8(p->out_zp + v, p->act_min, p->act_max);
    }
}
