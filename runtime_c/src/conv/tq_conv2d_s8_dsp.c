/* Convolution on the Cortex-M DSP extension (SXTB16 / SMLAD), int8 weights (`size`, each
 * filter zero-padded by the converter to whole words) and weights pre-widened to int16 by
 * the converter (`speed`, tq_conv2d_s8s16_dsp).
 *
 * Two output pixels at a time: their windows are built once as one interleaved int16
 * column (tq_gather.h: straight from the input when in_c % 4 == 0, else gathered as int8
 * and widened), zero past the filter, so every filter ends in whole groups with no tail
 * loop. The dot products then run two pixels times two output channels per pass:
 *   size:  per group of 4: 2 LDRD column, 2 LDR + 4 SXTB16 weights, 8 SMLAD (16 MACs),
 *          unrolled x2: 34 instructions per 32 MACs;
 *   speed: per group of 4: 2 LDRD column, 2 LDRD weights, 8 SMLAD, unrolled x2:
 *          26 instructions per 32 MACs.
 * The loops are assembly because GCC 12 spills some of the 14 live registers.
 * Grouped convolutions use the reference kernel.
 *
 * Requantization (tq_dsp.h, tq_requant_2x2) takes two channels of two pixels at once, its
 * per-channel constants from a table built in scratch once per call.
 *
 * scratch (tinyq.h): the two-pixel int16 column of G groups of 4, two int8 windows of
 * 4 G bytes, and 16 bytes per output channel; G = ceil(fsz / 4) (size) or
 * 2 ceil(fsz / 8) (speed). */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_gather.h"
#include "../tq_requant.h"

/* One group of 4 elements for both pixels and both filters (int8 filter words). */
#define DOT_S8_GROUP                                                                       \
    "ldrd %[a0], %[a1], [%[c]], #8\n\t"                                                    \
    "ldrd %[b0], %[b1], [%[c]], #8\n\t"                                                    \
    "ldr %[u], [%[w0]], #4\n\t"                                                            \
    "sxtb16 %[t], %[u]\n\t"                                                                \
    "smlad %[s00], %[a0], %[t], %[s00]\n\t"                                                \
    "smlad %[s10], %[b0], %[t], %[s10]\n\t"                                                \
    "sxtb16 %[t], %[u], ror #8\n\t"                                                        \
    "smlad %[s00], %[a1], %[t], %[s00]\n\t"                                                \
    "smlad %[s10], %[b1], %[t], %[s10]\n\t"                                                \
    "ldr %[u], [%[w1]], #4\n\t"                                                            \
    "sxtb16 %[t], %[u]\n\t"                                                                \
    "smlad %[s01], %[a0], %[t], %[s01]\n\t"                                                \
    "smlad %[s11], %[b0], %[t], %[s11]\n\t"                                                \
    "sxtb16 %[t], %[u], ror #8\n\t"                                                        \
    "smlad %[s01], %[a1], %[t], %[s01]\n\t"                                                \
    "smlad %[s11], %[b1], %[t], %[s11]\n\t"

/* acc = {p0.w0, p0.w1, p1.w0, p1.w1} over `groups` groups. LSRS halves the count into
 * the loop's and leaves the odd group in the carry; the group bodies set no flags, so Z
 * still tells whether pairs remain. */
static inline void dot_s8(const int8_t *col, const int8_t *w0, const int8_t *w1,
                          int32_t groups, int32_t acc[4])
{
    int32_t s00 = acc[0], s01 = acc[1], s10 = acc[2], s11 = acc[3];
    uint32_t a0, a1, b0, b1, u, t;
    __asm__ volatile(
        "lsrs %[n], %[n], #1\n\t"
        "bcc 2f\n\t"
        DOT_S8_GROUP
        "2:\n\t"
        "beq 3f\n"
        "1:\n\t"
        DOT_S8_GROUP
        DOT_S8_GROUP
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n"
        "3:\n\t"
        : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11),
          [c] "+r"(col), [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(groups),
          [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [u] "=&r"(u),
          [t] "=&r"(t)
        :
        : "cc", "memory");
    acc[0] = s00;
    acc[1] = s01;
    acc[2] = s10;
    acc[3] = s11;
}

/* One group for both pixels and both filters of a pre-widened pair (tinyq.h layout). */
#define DOT_S16_GROUP                                                                      \
    "ldrd %[a0], %[a1], [%[c]], #8\n\t"                                                    \
    "ldrd %[b0], %[b1], [%[c]], #8\n\t"                                                    \
    "ldrd %[u], %[v], [%[w]], #8\n\t"                                                      \
    "smlad %[s00], %[a0], %[u], %[s00]\n\t"                                                \
    "smlad %[s10], %[b0], %[u], %[s10]\n\t"                                                \
    "smlad %[s00], %[a1], %[v], %[s00]\n\t"                                                \
    "smlad %[s10], %[b1], %[v], %[s10]\n\t"                                                \
    "ldrd %[u], %[v], [%[w]], #8\n\t"                                                      \
    "smlad %[s01], %[a0], %[u], %[s01]\n\t"                                                \
    "smlad %[s11], %[b0], %[u], %[s11]\n\t"                                                \
    "smlad %[s01], %[a1], %[v], %[s01]\n\t"                                                \
    "smlad %[s11], %[b1], %[v], %[s11]\n\t"

/* As dot_s8 over `pairs` pairs of groups (> 0); w walks the pair's interleaved words. */
static inline void dot_s16(const int8_t *col, const int8_t *w, int32_t pairs, int32_t acc[4])
{
    int32_t s00 = acc[0], s01 = acc[1], s10 = acc[2], s11 = acc[3];
    uint32_t a0, a1, b0, b1, u, v;
    __asm__ volatile(
        "1:\n\t"
        DOT_S16_GROUP
        DOT_S16_GROUP
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11),
          [c] "+r"(col), [w] "+r"(w), [n] "+r"(pairs),
          [a0] "=&r"(a0), [a1] "=&r"(a1), [b0] "=&r"(b0), [b1] "=&r"(b1), [u] "=&r"(u),
          [v] "=&r"(v)
        :
        : "cc", "memory");
    acc[0] = s00;
    acc[1] = s01;
    acc[2] = s10;
    acc[3] = s11;
}

static inline int8_t requant_one(const tq_conv2d_params *p, int32_t acc, int32_t oc)
{
    return tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[oc], p->shift[oc]), p->act_min,
                       p->act_max);
}

/* Inlined into each entry point, so `wide` is a constant there. */
#define SPECIALIZE static inline __attribute__((always_inline))

/* Channel pairs from `first` on, and an odd last channel, the slow way: every channel of
 * a layer without the requantization table (a shift <= 32), else an odd last channel
 * (paired with itself, or with the converter's zero filter when `wide`). */
SPECIALIZE void other_channels(const tq_conv2d_params *p, const int8_t *col, int32_t groups,
                               int wide, const int32_t *table, const tq_requant_pair_t *rq,
                               int32_t first, int8_t *o0, int8_t *o1)
{
    const int32_t out_c = p->out_c;
    for (int32_t oc = first; oc < out_c; oc += 2) {
        const int32_t oc1 = oc + 1 < out_c ? oc + 1 : oc;
        int32_t acc[4] = {p->bias[oc], p->bias[oc1], p->bias[oc], p->bias[oc1]};
        if (wide) {
            dot_s16(col, p->weights + (size_t)8 * groups * oc, groups >> 1, acc);
        } else {
            dot_s8(col, p->weights + (size_t)4 * groups * oc,
                   p->weights + (size_t)4 * groups * oc1, groups, acc);
        }
        if (oc1 != oc && table != NULL) {
            int8_t *p0 = o0 + oc, *p1 = o1 + oc;
            tq_requant_2x2(acc, table + TQ_TABLE_WORDS * (oc >> 1) + 2, rq, &p0, &p1);
            continue;
        }
        o1[oc] = requant_one(p, acc[2], oc);
        o0[oc] = requant_one(p, acc[0], oc);
        if (oc1 != oc) {
            o1[oc1] = requant_one(p, acc[3], oc1);
            o0[oc1] = requant_one(p, acc[1], oc1);
        }
    }
}

/* Output pixels o0 (and o1 when `two`; else slot 1 of the column is stale and its
 * results are written first, then overwritten): every channel, the pairs in the tight
 * loop when there is a table. */
SPECIALIZE void pixels(const tq_conv2d_params *p, const int8_t *col, int32_t groups,
                       int wide, const int32_t *table, const tq_requant_pair_t *rq,
                       int8_t *o0, int two)
{
    const int32_t pairs = p->out_c >> 1;
    int8_t *o1 = two ? o0 + p->out_c : o0;
    int32_t first = 0;
    if (table != NULL) {
        const int8_t *w = p->weights;
        const int32_t *t = table;
        int8_t *p0 = o0, *p1 = o1; /* p1 first: o1 == o0 when !two */
        for (int32_t q = 0; q < pairs; q++, t += TQ_TABLE_WORDS) {
            int32_t acc[4] = {t[0], t[1], t[0], t[1]};
            if (wide) {
                dot_s16(col, w, groups >> 1, acc);
                w += 16 * groups;
            } else {
                dot_s8(col, w, w + 4 * groups, groups, acc);
                w += 8 * groups;
            }
            tq_requant_2x2(acc, t + 2, rq, &p0, &p1);
        }
        first = 2 * pairs;
    }
    other_channels(p, col, groups, wide, table, rq, first, o0, o1);
}

/* Scratch: the column (16 groups bytes), two int8 windows (4 groups bytes each), the
 * requantization table (TQ_TABLE_WORDS words per pair). */
SPECIALIZE void conv(const tq_conv2d_params *p, const int8_t *in, int8_t *out,
                     int8_t *scratch, int32_t groups, int wide)
{
    const int32_t out_c = p->out_c;
    int8_t *col = scratch;
    int8_t *x0 = scratch + 16 * groups;
    int8_t *x1 = x0 + 4 * groups;
    const int32_t *table = tq_requant_table(p, out_c >> 1,
                                            (int32_t *)(void *)(x1 + 4 * groups));
    const tq_requant_pair_t rq = tq_requant_pair_init(p->out_zp, p->act_min, p->act_max);
    tq_column_init(p, col, x0, x1, groups);
    const int32_t n = p->out_h * p->out_w;
    const int direct = tq_column_direct(p);
    int32_t oy = 0, ox = 0;
    for (int32_t i = 0; i < n; i += 2) {
        const int two = i + 1 < n;
        tq_column_slot(p, in, &oy, &ox, col, x0, groups, direct);
        if (two) {
            tq_column_slot(p, in, &oy, &ox, col + 8, x1, groups, direct);
        }
        pixels(p, col, groups, wide, table, &rq, out + (size_t)i * out_c, two);
    }
}

void tq_conv2d_s8_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) {
        tq_conv2d_s8(p, in, out);
        return;
    }
    conv(p, in, out, scratch, (p->k_h * p->k_w * p->in_c + 3) >> 2, 0);
}

void tq_conv2d_s8s16_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                         int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) { /* the converter keeps grouped weights in the reference layout */
        tq_conv2d_s8(p, in, out);
        return;
    }
    conv(p, in, out, scratch, 2 * ((p->k_h * p->k_w * p->in_c + 7) >> 3), 1);
}
#endif /* TQ_HAS_DSP */
