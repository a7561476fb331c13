/* Convolution on the Cortex-M DSP extension (SXTB16 / SMLAD).
 *
 * Each output pixel's window is gathered into the scratch buffer as an int16 column
 * (im2col, padding filled with in_zp) in the pairing tq_widen_group describes, once per
 * pixel rather than once per output channel. The dot products then widen only the
 * weights: two pixels times two output channels per pass, 8 SMLADs (16 MACs) for 4 weight
 * loads/widenings and 4 activation loads. Border pixels need no special path because the
 * column already holds the padding. Grouped convolutions use the reference kernel.
 *
 * scratch: TQ_CONV2D_DSP_SCRATCH(k_h * k_w * in_c) bytes: the interleaved int16 column
 * of two pixels and their two int8 windows. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_gather.h"
#include "../tq_requant.h"

/* Pixel `slot` (0 or 1) of the interleaved two-pixel column: group g of pixel s is the
 * word pair at 16 g + 8 s, so one pointer walks both pixels with two LDRDs. */
static void widen(const int8_t *stage, int8_t *col, int32_t groups, int32_t slot)
{
    for (int32_t g = 0; g < groups; g++) {
        tq_widen_group(col + 8 * slot, 2 * g, tq_load4(stage + 4 * g));
    }
}

/* acc = {p0.w0, p0.w1, p1.w0, p1.w1} over `groups` groups of 4 elements. The loop is
 * written in assembly because GCC 12 spills two of its 14 live registers (4 accumulators,
 * 4 activation words, 2 weight temporaries, 3 pointers, 1 count) to the stack, which costs
 * a third more instructions; here it is 18 instructions per 16 MACs. */
static void dot2x2(const int8_t *col, const int8_t *w0, const int8_t *w1, int32_t groups,
                   int32_t acc[4])
{
    if (groups <= 0) {
        return;
    }
    int32_t s00 = acc[0], s01 = acc[1], s10 = acc[2], s11 = acc[3];
    uint32_t a0, a1, b0, b1, u, t;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[a0], %[a1], [%[c]], #8\n\t"
        "ldrd %[b0], %[b1], [%[c]], #8\n\t"
        "ldr %[u], [%[w0]], #4\n\t"
        "sxtb16 %[t], %[u]\n\t"
        "smlad %[s00], %[a0], %[t], %[s00]\n\t"
        "smlad %[s10], %[b0], %[t], %[s10]\n\t"
        "sxtb16 %[t], %[u], ror #8\n\t"
        "smlad %[s00], %[a1], %[t], %[s00]\n\t"
        "smlad %[s10], %[b1], %[t], %[s10]\n\t"
        "ldr %[u], [%[w1]], #4\n\t"
        "sxtb16 %[t], %[u]\n\t"
        "smlad %[s01], %[a0], %[t], %[s01]\n\t"
        "smlad %[s11], %[b0], %[t], %[s11]\n\t"
        "sxtb16 %[t], %[u], ror #8\n\t"
        "smlad %[s01], %[a1], %[t], %[s01]\n\t"
        "smlad %[s11], %[b1], %[t], %[s11]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
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

/* The < 4 elements past the last whole group, read from the int8 windows. */
static void dot_tail(const int8_t *x0, const int8_t *x1, const int8_t *w0, const int8_t *w1,
                     int32_t from, int32_t fsz, int32_t acc[4])
{
    for (int32_t j = from; j < fsz; j++) {
        acc[0] += (int32_t)x0[j] * w0[j];
        acc[1] += (int32_t)x0[j] * w1[j];
        acc[2] += (int32_t)x1[j] * w0[j];
        acc[3] += (int32_t)x1[j] * w1[j];
    }
}

static inline int8_t requant_one(const tq_conv2d_params *p, int32_t acc, int32_t oc)
{
    return tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[oc], p->shift[oc]), p->act_min,
                       p->act_max);
}

/* Output pixels i and i + 1 (the same pixel twice when i is the last): every channel.
 * col is the interleaved column, x0 / x1 the two int8 windows (for the tail). */
static void pixels(const tq_conv2d_params *p, const int8_t *col, const int8_t *x0,
                   const int8_t *x1, int8_t *o0, int two)
{
    const int32_t fsz = p->k_h * p->k_w * p->in_c;
    const int32_t groups = fsz >> 2;
    int8_t *o1 = o0 + p->out_c;
    for (int32_t oc = 0; oc < p->out_c; oc += 2) {
        const int pair = oc + 1 < p->out_c;
        const int8_t *w0 = p->weights + (size_t)oc * fsz;
        const int8_t *w1 = pair ? w0 + fsz : w0;
        const int32_t b0 = p->bias[oc];
        const int32_t b1 = pair ? p->bias[oc + 1] : 0;
        int32_t acc[4] = {b0, b1, b0, b1};
        dot2x2(col, w0, w1, groups, acc);
        dot_tail(x0, x1, w0, w1, groups << 2, fsz, acc);
        o0[oc] = requant_one(p, acc[0], oc);
        if (pair) {
            o0[oc + 1] = requant_one(p, acc[1], oc + 1);
        }
        if (two) {
            o1[oc] = requant_one(p, acc[2], oc);
            if (pair) {
                o1[oc + 1] = requant_one(p, acc[3], oc + 1);
            }
        }
    }
}

void tq_conv2d_s8_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) {
        tq_conv2d_s8(p, in, out);
        return;
    }
    const int32_t groups = (p->k_h * p->k_w * p->in_c + 3) >> 2;
    int8_t *col = scratch;                  /* 16 * groups bytes */
    int8_t *x0 = scratch + 16 * groups;     /* 4 * groups bytes each */
    int8_t *x1 = x0 + 4 * groups;
    const int32_t fsz = p->k_h * p->k_w * p->in_c;
    /* The windows' last group past fsz stays zero: gathers write fsz bytes only. */
    tq_fill_run(x0 + fsz, 0, 4 * groups - fsz);
    tq_fill_run(x1 + fsz, 0, 4 * groups - fsz);
    const int32_t n = p->out_h * p->out_w;
    /* A 1x1 window over the whole map with whole groups is the input pixel itself: widen
     * it from where it lies, no gather. */
    const int direct = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                       p->pad_top == 0 && p->pad_left == 0 && p->out_w == p->in_w &&
                       p->out_h <= p->in_h && (p->in_c & 3) == 0;
    for (int32_t i = 0; i < n; i += 2) {
        const int two = i + 1 < n;
        const int32_t j = two ? i + 1 : i;
        const int8_t *w0 = x0, *w1 = x1;
        if (direct) {
            w0 = in + (size_t)i * p->in_c;
            w1 = in + (size_t)j * p->in_c;
        } else {
            tq_gather_window(p, in, i / p->out_w, i % p->out_w, x0);
            tq_gather_window(p, in, j / p->out_w, j % p->out_w, x1);
        }
        widen(w0, col, groups, 0);
        widen(w1, col, groups, 1);
        pixels(p, col, w0, w1, out + (size_t)i * p->out_c, two);
    }
}
#endif /* TQ_HAS_DSP */
