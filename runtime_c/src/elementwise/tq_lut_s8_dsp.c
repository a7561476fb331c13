/* Table lookup on the Cortex-M DSP cores (M4, M7, M33): four elements per word, each
 * byte sign-extended in place (SXTB with rotation) as an offset from table + 128, the
 * four looked-up bytes put back into one word and stored; safe in place (the word is read
 * before it is written). The last size % 4 elements one by one. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"

void tq_lut_s8_dsp(const int8_t *in, int8_t *out, int32_t size, const int8_t *table)
{
    const uint8_t *mid = (const uint8_t *)table + 128;
    int32_t i = 0;
    for (; i + 4 <= size; i += 4) {
        const uint32_t w = tq_load4(in + i);
        const uint32_t v = mid[(int8_t)w] | (uint32_t)mid[(int8_t)(w >> 8)] << 8 |
                           (uint32_t)mid[(int8_t)(w >> 16)] << 16 |
                           (uint32_t)mid[(int8_t)(w >> 24)] << 24;
        tq_store4(out + i, v);
    }
    for (; i < size; i++) {
        out[i] = (int8_t)mid[in[i]];
    }
}
#endif /* TQ_HAS_DSP */
