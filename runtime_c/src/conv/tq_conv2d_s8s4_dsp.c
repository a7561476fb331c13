/* Convolution with int4 weights on the Cortex-M DSP extension (SXTB16 / SMLAD).
 *
 * The structure of tq_conv2d_s8_dsp: two pixels' windows gathered as int8, widened once
 * per pixel into an int16 column, then two pixels times two output channels per pass.
 * The weights are never unpacked to memory: each word of 8 nibbles gives four SMLAD
 * operands with one AND each, the column holds the activations in the matching pairing,
 * and the x4096 products are summed in chunks (tq_dsp.h, tq_pair8). The total is the
 * reference's int32 sum in another order.
 *
 * The weights are laid out by the converter for this kernel: each filter padded to an
 * even number of elements (a 0 nibble after an odd one, tinyq.h), so every filter starts
 * at a byte and filters go in pairs (o, o + 1). The window is zero-padded to whole groups
 * of 8, so a filter's last group may read the next filter's nibbles (times 0).
 * Requantization: two channels of two pixels at once (tq_dsp.h, tq_requant_2x2) from a
 * table of per-channel constants built per call. Grouped convolutions use the reference
 * kernel (and keep the reference layout).
 *
 * scratch: TQ_CONV2D_S8S4_DSP_SCRATCH(k_h * k_w * in_c, out_c) bytes (tinyq.h). */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_gather.h"
#include "../tq_requant.h"

/* Words a, b to dst + off (4-aligned) with one STRD: GCC 12 makes two STRs of two
 * memcpys. */
#define STORE_PAIR(dst, off, a, b)                                                         \
    __asm__("strd %1, %2, [%0, %3]" : : "r"(dst), "r"(a), "r"(b), "i"(off) : "memory")

/* The two-pixel column of windows x0 and x1: group g of 8 activations of each becomes the
 * four words of tq_pair8, pixel 0's word followed by pixel 1's, so one LDRD reads both. */
static void widen(const int8_t *x0, const int8_t *x1, int8_t *col, int32_t groups)
{
    for (int32_t g = 0; g < groups; g++, col += 32) {
        uint32_t q0[4], q1[4];
        tq_pair8(x0 + 8 * g, q0);
        tq_pair8(x1 + 8 * g, q1);
        STORE_PAIR(col, 0, q0[0], q1[0]);
        STORE_PAIR(col, 8, q0[1], q1[1]);
        STORE_PAIR(col, 16, q0[2], q1[2]);
        STORE_PAIR(col, 24, q0[3], q1[3]);
    }
}

/* acc = {p0.w0, p0.w1, p1.w0, p1.w1} += over `groups` groups of 8 (w0, w1 packed words).
 * Assembly because all 14 allocatable registers are live (4 sums, 3 pointers, count,
 * mask, 2 weight words, 2 column words, 1 unpacked pair): 32 instructions per 32 MACs.
 * Out of line: inlined, GCC spills the caller's loop state around it (more instructions
 * on the digits model's layers, not fewer). */
static void __attribute__((noinline)) dot2x2(const int8_t *col, const int8_t *w0,
                                             const int8_t *w1, int32_t groups, int32_t acc[4])
{
    const uint32_t mask = TQ_S4_MASK;
    while (groups > 0) {
        int32_t n = groups < TQ_S4_CHUNK ? groups : TQ_S4_CHUNK;
        groups -= n;
        int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        uint32_t a, b, u0, u1, t;
        __asm__ volatile(
            "1:\n\t"
            "ldr %[u0], [%[w0]], #4\n\t"
            "ldr %[u1], [%[w1]], #4\n\t"
            "ldrd %[a], %[b], [%[c]], #8\n\t"
            "and %[t], %[m], %[u0]\n\t"
            "smlad %[s00], %[a], %[t], %[s00]\n\t"
            "smlad %[s10], %[b], %[t], %[s10]\n\t"
            "and %[t], %[m], %[u1]\n\t"
            "smlad %[s01], %[a], %[t], %[s01]\n\t"
            "smlad %[s11], %[b], %[t], %[s11]\n\t"
            "ldrd %[a], %[b], [%[c]], #8\n\t"
            "and %[t], %[m], %[u0], lsl #4\n\t"
            "smlad %[s00], %[a], %[t], %[s00]\n\t"
            "smlad %[s10], %[b], %[t], %[s10]\n\t"
            "and %[t], %[m], %[u1], lsl #4\n\t"
            "smlad %[s01], %[a], %[t], %[s01]\n\t"
            "smlad %[s11], %[b], %[t], %[s11]\n\t"
            "ldrd %[a], %[b], [%[c]], #8\n\t"
            "and %[t], %[m], %[u0], lsl #8\n\t"
            "smlad %[s00], %[a], %[t], %[s00]\n\t"
            "smlad %[s10], %[b], %[t], %[s10]\n\t"
            "and %[t], %[m], %[u1], lsl #8\n\t"
            "smlad %[s01], %[a], %[t], %[s01]\n\t"
            "smlad %[s11], %[b], %[t], %[s11]\n\t"
            "ldrd %[a], %[b], [%[c]], #8\n\t"
            "and %[t], %[m], %[u0], lsl #12\n\t"
            "smlad %[s00], %[a], %[t], %[s00]\n\t"
            "smlad %[s10], %[b], %[t], %[s10]\n\t"
            "and %[t], %[m], %[u1], lsl #12\n\t"
            "smlad %[s01], %[a], %[t], %[s01]\n\t"
            "smlad %[s11], %[b], %[t], %[s11]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b\n\t"
            : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11),
              [c] "+r"(col), [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(n),
              [a] "=&r"(a), [b] "=&r"(b), [u0] "=&r"(u0), [u1] "=&r"(u1), [t] "=&r"(t)
            : [m] "r"(mask)
            : "cc", "memory");
        /* Exact multiples of 4096; >> of a negative is arithmetic on gcc, which
         * tq_requant relies on too. */
        acc[0] += s00 >> 12;
        acc[1] += s01 >> 12;
        acc[2] += s10 >> 12;
        acc[3] += s11 >> 12;
    }
}

static inline int8_t requant_one(const tq_conv2d_params *p, int32_t acc, int32_t oc)
{
    return tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[oc], p->shift[oc]), p->act_min,
                       p->act_max);
}

/* Bytes [from, from + 4) of the packed weights as a word, zero past the array's `bytes`. */
static uint32_t last_word(const int8_t *w, size_t from, size_t bytes)
{
    uint32_t v = 0;
    for (size_t i = from; i < from + 4 && i < bytes; i++) {
        v |= (uint32_t)(uint8_t)w[i] << (8 * (i - from));
    }
    return v;
}

/* Output pixels o0 and o1 (o1 == o0 when !two: written first, then overwritten): every
 * channel, the first `pairs` pairs in the tight loop. A filter's last group reads the next
 * filter's nibbles (times 0); for the last filters, where it would read past the array,
 * that word comes from a copy of the bytes that exist. */
static void pixels(const tq_conv2d_params *p, const int8_t *col, const int32_t *table,
                   int32_t pairs, const tq_requant_pair_t *rq, int8_t *o0, int two)
{
    const int32_t fsz = p->k_h * p->k_w * p->in_c, half = (fsz + 1) >> 1;
    const int32_t groups = (fsz + 7) >> 3;
    const size_t bytes = (size_t)p->out_c * half;
    int8_t *o1 = two ? o0 + p->out_c : o0;
    int32_t first = 0;
    if (table != NULL) {
        const int8_t *w = p->weights;
        int8_t *p0 = o0, *p1 = o1;
        for (int32_t q = 0; q < pairs; q++, table += TQ_TABLE_WORDS, w += 2 * half) {
            int32_t acc[4] = {table[0], table[1], table[0], table[1]};
            dot2x2(col, w, w + half, groups, acc);
            tq_requant_2x2(acc, table + 2, rq, &p0, &p1);
        }
        first = 2 * pairs;
    }
    for (int32_t oc = first; oc < p->out_c; oc += 2) {
        const int pair = oc + 1 < p->out_c;
        const int32_t oc1 = pair ? oc + 1 : oc;
        const size_t b0 = (size_t)oc * half, b1 = (size_t)oc1 * half;
        int32_t acc[4] = {p->bias[oc], p->bias[oc1], p->bias[oc], p->bias[oc1]};
        if (b1 + 4 * (size_t)groups <= bytes) {
            dot2x2(col, p->weights + b0, p->weights + b1, groups, acc);
        } else {
            const size_t last = 4 * (size_t)(groups - 1);
            const uint32_t u[2] = {last_word(p->weights, b0 + last, bytes),
                                   last_word(p->weights, b1 + last, bytes)};
            dot2x2(col, p->weights + b0, p->weights + b1, groups - 1, acc);
            dot2x2(col + 8 * last, (const int8_t *)&u[0], (const int8_t *)&u[1], 1, acc);
        }
        if (pair && table != NULL) { /* table: every pair's constants */
            int8_t *p0 = o0 + oc, *p1 = o1 + oc;
            tq_requant_2x2(acc, table + 2 + TQ_TABLE_WORDS * ((oc - first) >> 1), rq, &p0,
                           &p1);
            continue;
        }
        o1[oc] = requant_one(p, acc[2], oc);
        o0[oc] = requant_one(p, acc[0], oc);
        if (pair) {
            o1[oc1] = requant_one(p, acc[3], oc1);
            o0[oc1] = requant_one(p, acc[1], oc1);
        }
    }
}

void tq_conv2d_s8s4_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) {
        tq_conv2d_s8s4(p, in, out);
        return;
    }
    /* Scratch (TQ_CONV2D_S8S4_DSP_SCRATCH): the column of g groups of 8, two int8
     * windows of 8 g bytes, the requantization table. */
    const int32_t fsz = p->k_h * p->k_w * p->in_c, half = (fsz + 1) >> 1;
    const int32_t g = (fsz + 7) >> 3;
    int8_t *col = scratch;
    int8_t *x0 = scratch + 32 * g;
    int8_t *x1 = x0 + 8 * g;
    tq_fill_run(x0 + fsz, 0, 8 * g - fsz);
    tq_fill_run(x1 + fsz, 0, 8 * g - fsz);
    /* Pairs (c, c + 1) whose last group stays inside the weights. */
    const int32_t last = p->out_c * half - 4 * g;
    const int32_t pairs = last < 0 ? 0 : (last / half + 1) >> 1;
    const int32_t *table = tq_requant_table(p, p->out_c >> 1,
                                            (int32_t *)(void *)(x1 + 8 * g));
    const tq_requant_pair_t rq = tq_requant_pair_init(p->out_zp, p->act_min, p->act_max);
    const int32_t n = p->out_h * p->out_w;
    /* Window rows of whole groups of 8: two windows inside the input are widened row by
     * row straight from it, no gather. */
    const int32_t row_groups = (p->k_w * p->in_c) & 7 ? 0 : (p->k_w * p->in_c) >> 3;
    const size_t row_step = (size_t)p->dil_h * p->in_w * p->in_c;
    for (int32_t i = 0; i < n; i += 2) {
        const int two = i + 1 < n;
        const int32_t j = two ? i + 1 : i;
        const int8_t *r0 = row_groups ? tq_window_inside(p, in, i / p->out_w, i % p->out_w)
                                      : NULL;
        const int8_t *r1 = r0 ? tq_window_inside(p, in, j / p->out_w, j % p->out_w) : NULL;
        if (r1 != NULL) {
            for (int32_t ky = 0; ky < p->k_h; ky++) {
                widen(r0 + ky * row_step, r1 + ky * row_step, col + 32 * ky * row_groups,
                      row_groups);
            }
            pixels(p, col, table, pairs, &rq, out + (size_t)i * p->out_c, two);
            continue;
        }
        tq_gather_window(p, in, i / p->out_w, i % p->out_w, x0);
        tq_gather_window(p, in, j / p->out_w, j % p->out_w, x1);
        widen(x0, x1, col, g);
        pixels(p, col, table, pairs, &rq, out + (size_t)i * p->out_c, two);
    }
}
#endif /* TQ_HAS_DSP */
