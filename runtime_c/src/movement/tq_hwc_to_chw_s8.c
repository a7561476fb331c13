/* HWC -> CHW reorder, for a flattened feature map read in PyTorch order. */
#include "tinyq.h"

void tq_hwc_to_chw_s8(int32_t h, int32_t w, int32_t c, const int8_t *restrict in,
                      int8_t *restrict out)
{
    const int32_t hw = h * w;
    for (int32_t i = 0; i < hw; i++) {
        for (int32_t ch = 0; ch < c; ch++) {
            out[(size_t)ch * hw + i] = in[(size_t)i * c + ch];
        }
    }
}
