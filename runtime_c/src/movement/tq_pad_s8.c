/* Constant padding of an HWC tensor. */
#include <string.h>

#include "tinyq.h"

void tq_pad_s8(const tq_pad_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const size_t out_row = (size_t)p->out_w * p->c;
    const size_t in_row = (size_t)p->in_w * p->c;
    memset(out, p->value, (size_t)p->out_h * out_row);
    for (int32_t y = 0; y < p->in_h; y++) {
        int8_t *dst = out + (size_t)(y + p->pad_top) * out_row + (size_t)p->pad_left * p->c;
        memcpy(dst, in + (size_t)y * in_row, in_row);
    }
}
