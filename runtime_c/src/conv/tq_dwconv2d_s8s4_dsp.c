/* Depthwise convolution with int4 weights on the Cortex-M DSP extension: the engine of
 * tq_dw_dsp.h. Each group of four channels unpacks its nibbles once per call into the
 * group's widened weight block on the stack (the same block int8 weights use: no more
 * RAM), so the tap loop is the int8 one and costs the same. The converter's layout
 * (tinyq.h) makes that unpacking cheaper than int8's widening: one word per two taps,
 * four AND + SSUB16. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "../tq_dw_dsp.h"

void tq_dwconv2d_s8s4_dsp(const tq_dwconv2d_params *p, const int8_t *restrict in,
                          int8_t *restrict out)
{
    tq_dw_dsp(p, in, out, 1);
}
#endif /* TQ_HAS_DSP */
