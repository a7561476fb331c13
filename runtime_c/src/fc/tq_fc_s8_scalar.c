/* Fully connected layer for 32-bit cores without DSP / MVE / RVV (Cortex-M0+ / M3, rv32imc).
 *
 * Four output features per pass over the input row: one activation load serves four
 * products. Features past the last multiple of 4 go one at a time. */
#include "tq_isa.h"

#if TQ_HAS_SCALAR
#include "tinyq.h"
#include "../tq_scalar.h"

#if defined(__thumb__) && !defined(__thumb2__)
/* s[j] += x . w_j for the four rows w_j = w + j * n (n > 0). */
static void four(const int8_t *x, const int8_t *w, int32_t n, int32_t s[4])
{
    tq_sc_run4(x + n, w + n, w + 2 * n, w + 3 * n, w + 4 * n, n, s);
}
#else
/* s[j] += x . w_j for the four rows w_j = w + j * n; two elements per step so the loads
 * use immediate offsets. */
static void four(const int8_t *x, const int8_t *w, int32_t n, int32_t s[4])
{
    int32_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3];
    const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
#define TQ_SC_STEP(o)                                                                      \
    do {                                                                                   \
        const int32_t u = x[o];                                                            \
        a0 += u * w0[o];                                                                   \
        a1 += u * w1[o];                                                                   \
        a2 += u * w2[o];                                                                   \
        a3 += u * w3[o];                                                                   \
    } while (0)
    const int8_t *end = x + (n & ~1);
    while (x != end) {
        TQ_SC_STEP(0);
        TQ_SC_STEP(1);
        x += 2, w0 += 2, w1 += 2, w2 += 2, w3 += 2;
    }
    if (n & 1) {
        TQ_SC_STEP(0);
    }
#undef TQ_SC_STEP
    s[0] = a0, s[1] = a1, s[2] = a2, s[3] = a3;
}
#endif

void tq_fc_s8_scalar(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features;
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * p->out_features;
        int32_t o = 0;
        for (; o + 4 <= p->out_features; o += 4) {
            int32_t s[4] = {p->bias[o], p->bias[o + 1], p->bias[o + 2], p->bias[o + 3]};
            four(x, p->weights + (size_t)o * n, n, s);
            for (int32_t j = 0; j < 4; j++) {
                y[o + j] = tq_sc_out(s[j], p->mult[o + j], p->shift[o + j], zp, lo, hi);
            }
        }
        for (; o < p->out_features; o++) {
            const int32_t acc = p->bias[o] + tq_sc_dot(x, p->weights + (size_t)o * n, n);
            y[o] = tq_sc_out(acc, p->mult[o], p->shift[o], zp, lo, hi);
        }
    }
}
#endif /* TQ_HAS_SCALAR */
