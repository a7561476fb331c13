/* Fully connected with int4 weights on the Cortex-M DSP extension: two outputs per pass
 * share each group of 8 activations, paired as tq_pair8 describes to meet the nibbles of
 * one weight word with one AND each (x4096 products summed in chunks, tq_dsp.h).
 *
 * Row o starts at element o * in_features: mid-byte for odd o when in_features is odd.
 * Rows of the same parity go in pairs (o, o + 2); an odd row's first element is taken
 * alone, the rest from the next byte on. Elements past the last whole group of 8 are
 * taken one by one (tq_dot_s8s4). */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_int4.h"
#include "../tq_requant.h"

/* acc0 += x . w0 and acc1 += x . w1 over `groups` groups of 8 (w0, w1 packed, byte
 * aligned). Assembly because the loop needs all 14 allocatable registers (2 sums, 3
 * pointers, count, mask, 2 weight words, 2 activation words, 3 temporaries: the pairs of
 * tq_pair8 are built in place) and GCC 12 spills a third of them: 30 instructions per
 * 16 MACs instead of 46. */
static void dot2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t groups,
                 int32_t *acc0, int32_t *acc1)
{
    const uint32_t mask = TQ_S4_MASK;
    while (groups > 0) {
        int32_t n = groups < TQ_S4_CHUNK ? groups : TQ_S4_CHUNK;
        groups -= n;
        int32_t s0 = 0, s1 = 0;
        uint32_t xl, xh, u0, u1, p, q, t;
        __asm__ volatile(
            "1:\n\t"
            "ldr %[xl], [%[x]], #4\n\t"
            "ldr %[xh], [%[x]], #4\n\t"
            "ldr %[u0], [%[w0]], #4\n\t"
            "ldr %[u1], [%[w1]], #4\n\t"
            "sxtb16 %[p], %[xl]\n\t"                 /* (x0, x2) */
            "sxtb16 %[q], %[xh]\n\t"                 /* (x4, x6) */
            "pkhbt %[t], %[p], %[q], lsl #16\n\t"    /* (x0, x4) */
            "pkhtb %[q], %[q], %[p], asr #16\n\t"    /* (x2, x6) */
            "and %[p], %[m], %[u0], lsl #12\n\t"
            "smlad %[s0], %[t], %[p], %[s0]\n\t"
            "and %[p], %[m], %[u1], lsl #12\n\t"
            "smlad %[s1], %[t], %[p], %[s1]\n\t"
            "and %[p], %[m], %[u0], lsl #4\n\t"
            "smlad %[s0], %[q], %[p], %[s0]\n\t"
            "and %[p], %[m], %[u1], lsl #4\n\t"
            "smlad %[s1], %[q], %[p], %[s1]\n\t"
            "sxtb16 %[xl], %[xl], ror #8\n\t"        /* (x1, x3) */
            "sxtb16 %[xh], %[xh], ror #8\n\t"        /* (x5, x7) */
            "pkhbt %[t], %[xl], %[xh], lsl #16\n\t"  /* (x1, x5) */
            "pkhtb %[xh], %[xh], %[xl], asr #16\n\t" /* (x3, x7) */
            "and %[p], %[m], %[u0], lsl #8\n\t"
            "smlad %[s0], %[t], %[p], %[s0]\n\t"
            "and %[p], %[m], %[u1], lsl #8\n\t"
            "smlad %[s1], %[t], %[p], %[s1]\n\t"
            "and %[p], %[m], %[u0]\n\t"
            "smlad %[s0], %[xh], %[p], %[s0]\n\t"
            "and %[p], %[m], %[u1]\n\t"
            "smlad %[s1], %[xh], %[p], %[s1]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b\n\t"
            : [s0] "+r"(s0), [s1] "+r"(s1), [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1),
              [n] "+r"(n), [xl] "=&r"(xl), [xh] "=&r"(xh), [u0] "=&r"(u0), [u1] "=&r"(u1),
              [p] "=&r"(p), [q] "=&r"(q), [t] "=&r"(t)
            : [m] "r"(mask)
            : "cc", "memory");
        /* Exact multiples of 4096; >> of a negative is arithmetic on gcc (tq_requant). */
        *acc0 += s0 >> 12;
        *acc1 += s1 >> 12;
    }
}

static inline int8_t requant_one(const tq_fc_params *p, int32_t acc, int32_t o)
{
    return tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[o], p->shift[o]), p->act_min,
                       p->act_max);
}

void tq_fc_s8s4_dsp(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features;
    const int32_t step = n & 1 ? 2 : 1;
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * p->out_features;
        for (int32_t ph = 0; ph < step; ph++) {
            /* Rows ph, ph + step, ... start at an element of parity ph (odd n) or at an
             * even one (even n); element ph on is byte aligned. */
            const int32_t groups = (n - ph) >> 3;
            const int32_t tail = ph + 8 * groups;
            for (int32_t o = ph; o < p->out_features; o += 2 * step) {
                const int pair = o + step < p->out_features;
                const int32_t o1 = pair ? o + step : o;
                const size_t e0 = (size_t)o * n, e1 = (size_t)o1 * n;
                int32_t acc0 = p->bias[o], acc1 = p->bias[o1];
                if (ph) {
                    acc0 += x[0] * tq_s4_at(p->weights, e0);
                    acc1 += x[0] * tq_s4_at(p->weights, e1);
                }
                dot2(x + ph, p->weights + ((e0 + ph) >> 1), p->weights + ((e1 + ph) >> 1),
                     groups, &acc0, &acc1);
                if (tail < n) {
                    acc0 += tq_dot_s8s4(x + tail, p->weights, e0 + tail, n - tail);
                    acc1 += tq_dot_s8s4(x + tail, p->weights, e1 + tail, n - tail);
                }
                y[o] = requant_one(p, acc0, o);
                if (pair) {
                    y[o1] = requant_one(p, acc1, o1);
                }
            }
        }
    }
}
#endif /* TQ_HAS_DSP */
