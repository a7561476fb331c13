/* Strided window copy: the data movement of patch-based execution (crop a patch's input
 * window out of a feature map, paste a patch's result into the full one). */
#include <string.h>

#include "tinyq.h"

void tq_window_copy_s8(const tq_window_copy_params *p, const int8_t *restrict src,
                       int8_t *restrict dst)
{
    const size_t run = (size_t)p->cols * (size_t)p->c;
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *s = src + ((size_t)(p->src_top + r) * p->src_w + p->src_left) * p->c;
        int8_t *d = dst + ((size_t)(p->dst_top + r) * p->dst_w + p->dst_left) * p->c;
        memcpy(d, s, run);
    }
}
