/* Table lookup for any elementwise function of one int8 tensor; safe in place. */
#include "tinyq.h"

void tq_lut_s8(const int8_t *in, int8_t *out, int32_t size, const int8_t *table)
{
    for (int32_t i = 0; i < size; i++) {
        out[i] = table[in[i] + 128];
    }
}
