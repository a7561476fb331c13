/* Fully connected layer with int4 weights for 32-bit cores without DSP / MVE / RVV.
 *
 * Four output features per pass, each weight byte read once and split into its two
 * nibbles in registers (shift left 28 then arithmetic right 28; arithmetic right 4 of the
 * sign-extended byte): no unpacked copy, no scratch. Rows start mid-byte when in_features
 * is odd; then every row goes one at a time through the reference dot product. */
#include "tq_isa.h"

#if TQ_HAS_SCALAR
#include "tinyq.h"
#include "../tq_int4.h"
#include "../tq_scalar.h"

/* s[j] += x . row j for the four rows starting at byte w + j * (n / 2), n even. */
static void four(const int8_t *x, const int8_t *w, int32_t n, int32_t s[4])
{
    int32_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3];
    const int32_t half = n / 2;
    const int8_t *w0 = w, *w1 = w + half, *w2 = w1 + half, *w3 = w2 + half;
    const int8_t *end = x + n;
    while (x != end) {
        const int32_t u = x[0], v = x[1];
        const int32_t b0 = *w0++, b1 = *w1++, b2 = *w2++, b3 = *w3++;
        a0 += u * tq_sc_lo4(b0) + v * (b0 >> 4);
        a1 += u * tq_sc_lo4(b1) + v * (b1 >> 4);
        a2 += u * tq_sc_lo4(b2) + v * (b2 >> 4);
        a3 += u * tq_sc_lo4(b3) + v * (b3 >> 4);
        x += 2;
    }
    s[0] = a0, s[1] = a1, s[2] = a2, s[3] = a3;
}

void tq_fc_s8s4_scalar(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features;
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    const int32_t blocks = n % 2 == 0 ? p->out_features & ~3 : 0;
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * p->out_features;
        for (int32_t o = 0; o < blocks; o += 4) {
            int32_t s[4] = {p->bias[o], p->bias[o + 1], p->bias[o + 2], p->bias[o + 3]};
            four(x, p->weights + (size_t)o * (n / 2), n, s);
            for (int32_t j = 0; j < 4; j++) {
                y[o + j] = tq_sc_out(s[j], p->mult[o + j], p->shift[o + j], zp, lo, hi);
            }
        }
        for (int32_t o = blocks; o < p->out_features; o++) {
            const int32_t acc = p->bias[o] + tq_dot_s8s4(x, p->weights, (size_t)o * n, n);
            y[o] = tq_sc_out(acc, p->mult[o], p->shift[o], zp, lo, hi);
        }
    }
}
#endif /* TQ_HAS_SCALAR */
