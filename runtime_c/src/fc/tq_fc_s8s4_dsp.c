/* Fully connected with int4 weights on the Cortex-M DSP extension. The converter lays the
 * weights out as tq_conv2d_s8s4_dsp's for the 1x1 convolution the layer is (tinyq.h,
 * codegen/weight_layouts.py fc_s4_dsp_layout): per pair of rows and group of 4 inputs one
 * word whose nibbles, shifted by 0, 4, 8, 12 and masked by 0xF000F000, are the halfword
 * pairs (row a: e0, e2), (a: e1, e3), (b: e0, e2), (b: e1, e3) at the tops of halfwords
 * (4096 times the weights), the pairing SXTB16 gives the activations. Per group: 1 LDR
 * activations + 2 SXTB16 (shared by both rows), 1 LDR weights, 4 AND, 4 SMLAD: 12
 * instructions per 8 MACs, against int8's 13. The x4096 sums are exact for up to
 * TQ_FC4_GROUPS groups (4 products per group and row, each |p| <= 2^22), then added >> 12
 * to the int32 accumulator. The last in_features % 4 activations are read into a word of
 * their own (nothing is read past the input); an odd last row has a halfword per group
 * (tinyq.h) and runs in C. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include <string.h>
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_requant.h"

/* 4 * 127 products of at most 2^22 stay below 2^31. */
#define TQ_FC4_GROUPS 127

/* One group: activations word, the pair's weight word. */
#define TQ_FC4_GROUP                                                                       \
    "ldr %[xv], [%[x]], #4\n\t"                                                            \
    "ldr %[u], [%[w]], #4\n\t"                                                             \
    "sxtb16 %[xe], %[xv]\n\t"                                                              \
    "sxtb16 %[xv], %[xv], ror #8\n\t"                                                      \
    "and %[t], %[m], %[u]\n\t"                                                             \
    "smlad %[s0], %[xe], %[t], %[s0]\n\t"                                                  \
    "and %[t], %[m], %[u], lsl #4\n\t"                                                     \
    "smlad %[s0], %[xv], %[t], %[s0]\n\t"                                                  \
    "and %[t], %[m], %[u], lsl #8\n\t"                                                     \
    "smlad %[s1], %[xe], %[t], %[s1]\n\t"                                                  \
    "and %[t], %[m], %[u], lsl #12\n\t"                                                    \
    "smlad %[s1], %[xv], %[t], %[s1]\n\t"

/* acc[0] += x . row a, acc[1] += x . row b over `groups` whole groups of 4 (w: the pair's
 * words, advanced past them). LSRS halves the count into the unrolled loop's, the odd
 * group in the carry; the group bodies set no flags, so Z still tells whether pairs
 * remain. */
static const int8_t *dot_pair(const int8_t *x, const int8_t *w, int32_t groups,
                              int32_t acc[2])
{
    while (groups > 0) {
        int32_t n = groups < TQ_FC4_GROUPS ? groups : TQ_FC4_GROUPS;
        groups -= n;
        int32_t s0 = 0, s1 = 0;
        uint32_t xv, xe, u, t;
        __asm__ volatile("lsrs %[n], %[n], #1\n\t"
                         "bcc 2f\n\t"
                         TQ_FC4_GROUP
                         "2:\n\t"
                         "beq 3f\n"
                         "1:\n\t"
                         TQ_FC4_GROUP
                         TQ_FC4_GROUP
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b\n"
                         "3:\n\t"
                         : [s0] "+r"(s0), [s1] "+r"(s1), [x] "+r"(x), [w] "+r"(w),
                           [n] "+r"(n), [xv] "=&r"(xv), [xe] "=&r"(xe), [u] "=&r"(u),
                           [t] "=&r"(t)
                         : [m] "r"(TQ_S4_MASK)
                         : "cc", "memory");
        /* Exact multiples of 4096; >> of a negative is arithmetic on gcc (tq_requant). */
        acc[0] += s0 >> 12;
        acc[1] += s1 >> 12;
    }
    return w;
}

/* The pair's last, partial group: activations xv (zero past the input), word u. */
static void last_group(uint32_t xv, uint32_t u, int32_t acc[2])
{
    const int16x2_t xe = __sxtb16((int8x4_t)xv), xo = tq_sxtb16_odd(xv);
    acc[0] += __smlad(xo, (int16x2_t)((u << 4) & TQ_S4_MASK),
                      __smuad(xe, (int16x2_t)(u & TQ_S4_MASK))) >> 12;
    acc[1] += __smlad(xo, (int16x2_t)((u << 12) & TQ_S4_MASK),
                      __smuad(xe, (int16x2_t)((u << 8) & TQ_S4_MASK))) >> 12;
}

/* An odd last row: per group one halfword a2 a3 a0 a1, so h | h << 24 gives (a0, a2)
 * at shift 4 and (a1, a3) at shift 0. groups + 1 groups when `tail` holds a partial one. */
static int32_t last_row(const int8_t *x, const int8_t *w, int32_t groups, uint32_t tail,
                        int partial)
{
    int32_t acc = 0;
    for (int32_t g0 = 0; g0 < groups + partial; g0 += TQ_FC4_GROUPS) {
        const int32_t end = groups + partial - g0 < TQ_FC4_GROUPS ? groups + partial
                                                                   : g0 + TQ_FC4_GROUPS;
        int32_t s = 0;
        for (int32_t g = g0; g < end; g++) {
            uint16_t h;
            memcpy(&h, w + 2 * g, sizeof h);
            const uint32_t u = h | (uint32_t)h << 24;
            const uint32_t xv = g < groups ? tq_load4(x + 4 * g) : tail;
            s = __smlad((int16x2_t)__sxtb16((int8x4_t)xv), (int16x2_t)((u << 4) & TQ_S4_MASK),
                        s);
            s = __smlad(tq_sxtb16_odd(xv), (int16x2_t)(u & TQ_S4_MASK), s);
        }
        acc += s >> 12;
    }
    return acc;
}

static inline int8_t requant_one(const tq_fc_params *p, int32_t acc, int32_t o)
{
    return tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[o], p->shift[o]), p->act_min,
                       p->act_max);
}

void tq_fc_s8s4_dsp(const tq_fc_params *p, const int8_t *restrict in, int8_t *restrict out)
{
    const int32_t n = p->in_features, nout = p->out_features;
    const int32_t groups = n / 4, partial = n % 4 != 0;
    const size_t pair_bytes = 4 * (size_t)(groups + partial);
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * nout;
        uint32_t tail = 0;
        memcpy(&tail, x + 4 * groups, (size_t)(n % 4));
        const int8_t *w = p->weights;
        for (int32_t o = 0; o + 1 < nout; o += 2, w += pair_bytes) {
            int32_t acc[2] = {p->bias[o], p->bias[o + 1]};
            const int8_t *wt = dot_pair(x, w, groups, acc);
            if (partial) {
                uint32_t u;
                memcpy(&u, wt, sizeof u);
                last_group(tail, u, acc);
            }
            y[o] = requant_one(p, acc[0], o);
            y[o + 1] = requant_one(p, acc[1], o + 1);
        }
        if (nout & 1) {
            const int32_t acc = p->bias[nout - 1] + last_row(x, w, groups, tail, partial);
            y[nout - 1] = requant_one(p, acc, nout - 1);
        }
    }
}
#endif /* TQ_HAS_DSP */
