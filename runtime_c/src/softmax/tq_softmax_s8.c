/* Integer softmax: exp by table, one reciprocal per row by shift-and-subtract (no divide
 * instruction, which Cortex-M0+ lacks), then one multiply per element. */
#include "tinyq.h"

/* floor(2^46 / s) for 2^15 <= s < 2^31: restoring division, one quotient bit per step. */
static uint32_t reciprocal_2p46(uint32_t s)
{
    uint64_t rem = 0;
    uint64_t quot = 0;
    for (int bit = 46; bit >= 0; bit--) {
        rem = (rem << 1) | (bit == 46 ? 1u : 0u);
        quot <<= 1;
        if (rem >= s) {
            rem -= s;
            quot |= 1u;
        }
    }
    return (uint32_t)quot;
}

void tq_softmax_s8(const tq_softmax_params *p, const int8_t *restrict in,
                   int8_t *restrict out)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * p->cols;
        int8_t *y = out + (size_t)r * p->cols;
        int32_t m = -128;
        for (int32_t i = 0; i < p->cols; i++) {
            if (x[i] > m) {
                m = x[i];
            }
        }
        uint32_t s = 0;
        for (int32_t i = 0; i < p->cols; i++) {
            s += p->exp_table[m - x[i]];
        }
        const uint64_t recip = reciprocal_2p46(s);
        for (int32_t i = 0; i < p->cols; i++) {
            const uint64_t e = p->exp_table[m - x[i]];
            int32_t v = (int32_t)((e * recip + ((uint64_t)1 << 37)) >> 38) - 128;
            y[i] = (int8_t)(v > 127 ? 127 : v);
        }
    }
}
