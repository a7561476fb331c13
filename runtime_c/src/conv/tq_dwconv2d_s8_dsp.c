/* Depthwise convolution on the Cortex-M DSP extension: the engine of tq_dw_dsp.h with int8
 * weights (widened once per group of four channels, then SXTB16 + SMLABB / SMLATT per
 * tap and a 2-lane SIMD requantization). */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "../tq_dw_dsp.h"

void tq_dwconv2d_s8_dsp(const tq_dwconv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out)
{
    tq_dw_dsp(p, in, out, 0);
}
#endif /* TQ_HAS_DSP */
