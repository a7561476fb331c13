/* Convolution with int4 weights on the Cortex-M DSP extension (SXTB16 / SMLAD).
 *
 * The structure of tq_conv2d_s8_dsp: two pixels' windows gathered as int8, widened once
 * per pixel into an int16 column, then two pixels times two output channels per pass.
 * The weights are never unpacked to memory: each word of 8 nibbles gives four SMLAD
 * operands with one AND each, the column holds the activations in the matching pairing,
 * and the x4096 products are summed in chunks (tq_dsp.h, tq_pair8). The total is the
 * reference's int32 sum in another order.
 *
 * The window is zero-padded to whole groups of 8, so a filter's last group may read the
 * next filter's nibbles (times 0).
 * Filters start mid-byte when k_h * k_w * in_c is odd (filter o at element o * fsz): an
 * odd-numbered filter is read from the byte holding its first element, whose low nibble
 * (the previous filter's last element) meets a second column, shifted by one with a 0 in
 * front; filters of the same parity go in pairs (o, o + 2). Grouped convolutions use the
 * reference kernel.
 *
 * scratch: TQ_CONV2D_S8S4_DSP_SCRATCH(k_h * k_w * in_c) bytes (tinyq.h). */
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

/* Output pixels i and i + 1 (the same pixel twice when i is the last): every channel.
 * cols[ph] is the two-pixel column for filters starting at parity ph, zero past the
 * window. A filter's last group of 8 reads the next filter's nibbles (times 0); for the
 * last filters, where it would read past the weight array, that word comes from a copy
 * of the bytes that exist. */
static void pixels(const tq_conv2d_params *p, int8_t *const cols[2], int8_t *o0, int two)
{
    const int32_t fsz = p->k_h * p->k_w * p->in_c;
    const int32_t step = fsz & 1 ? 2 : 1;
    const size_t bytes = ((size_t)p->out_c * fsz + 1) >> 1;
    int8_t *o1 = o0 + p->out_c;
    for (int32_t ph = 0; ph < step; ph++) {
        /* Filters ph, ph + step, ... start at an element of parity ph (odd fsz) or at an
         * even one (even fsz): at a nibble ph of their first byte. */
        const int32_t groups = (fsz + ph + 7) >> 3;
        for (int32_t oc = ph; oc < p->out_c; oc += 2 * step) {
            const int pair = oc + step < p->out_c;
            const int32_t oc1 = pair ? oc + step : oc;
            const size_t b0 = ((size_t)oc * fsz) >> 1, b1 = ((size_t)oc1 * fsz) >> 1;
            const int32_t bias0 = p->bias[oc], bias1 = p->bias[oc1];
            int32_t acc[4] = {bias0, bias1, bias0, bias1};
            if (b1 + 4 * (size_t)groups <= bytes) {
                dot2x2(cols[ph], p->weights + b0, p->weights + b1, groups, acc);
            } else {
                const size_t last = 4 * (size_t)(groups - 1);
                const uint32_t u[2] = {last_word(p->weights, b0 + last, bytes),
                                       last_word(p->weights, b1 + last, bytes)};
                dot2x2(cols[ph], p->weights + b0, p->weights + b1, groups - 1, acc);
                dot2x2(cols[ph] + 8 * last, (const int8_t *)&u[0], (const int8_t *)&u[1], 1,
                       acc);
            }
            o0[oc] = requant_one(p, acc[0], oc);
            if (pair) {
                o0[oc1] = requant_one(p, acc[1], oc1);
            }
            if (two) {
                o1[oc] = requant_one(p, acc[2], oc);
                if (pair) {
                    o1[oc1] = requant_one(p, acc[3], oc1);
                }
            }
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
    /* Layout (TQ_CONV2D_S8S4_DSP_SCRATCH): the parity-0 column of g groups, then for odd
     * fsz the parity-1 column; two windows of 8 g bytes, for odd fsz each after a word
     * whose last byte is the 0 the parity-1 column starts with. */
    const int32_t fsz = p->k_h * p->k_w * p->in_c;
    const int32_t odd = fsz & 1;
    const int32_t g = (fsz + odd + 7) >> 3;
    int8_t *cols[2];
    cols[0] = scratch;
    cols[1] = scratch + 32 * g;
    int8_t *x0 = scratch + 32 * g * (1 + odd) + 4 * odd;
    int8_t *x1 = x0 + 8 * g + 4 * odd;
    if (odd) {
        x0[-1] = 0;
        x1[-1] = 0;
    }
    tq_fill_run(x0 + fsz, 0, 8 * g - fsz);
    tq_fill_run(x1 + fsz, 0, 8 * g - fsz);
    const int32_t n = p->out_h * p->out_w;
    for (int32_t i = 0; i < n; i += 2) {
        const int two = i + 1 < n;
        const int32_t j = two ? i + 1 : i;
        tq_gather_window(p, in, i / p->out_w, i % p->out_w, x0);
        tq_gather_window(p, in, j / p->out_w, j % p->out_w, x1);
        widen(x0, x1, cols[0], (fsz + 7) >> 3);
        if (odd) {
            widen(x0 - 1, x1 - 1, cols[1], g);
        }
        pixels(p, cols, out + (size_t)i * p->out_c, two);
    }
}
#endif /* TQ_HAS_DSP */
