/* One input of a concatenation, rescaled into its slice of the output. */
#include <string.h>

#include "tinyq.h"
#include "../tq_requant.h"

void tq_concat_s8(const tq_concat_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    for (int32_t o = 0; o < p->outer; o++) {
        const int8_t *x = in + (size_t)o * p->in_inner;
        int8_t *y = out + (size_t)o * p->out_inner + p->out_offset;
        if (p->mult == 0) {
            memcpy(y, x, (size_t)p->in_inner);
            continue;
        }
        for (int32_t i = 0; i < p->in_inner; i++) {
            y[i] = tq_clamp_s8(p->out_zp + tq_requant(x[i] - p->in_zp, p->mult, p->shift),
                               -128, 127);
        }
    }
}
