/*
 * tq_dsp.h - dot products on the Cortex-M DSP extension, shared by the _dsp kernels.
 *
 * SXTB16 widens bytes 0 and 2 of a word into two halfwords (and, after a ROR by 8, bytes
 * 1 and 3); SMLAD multiplies two halfword pairs and adds both products to an accumulator.
 * Widening the activations and the weights with the same pairing makes each SMLAD two
 * exact int8 MACs. The sums are the reference kernels' int32 sums in another order: the
 * converter bounds |acc| below 2^31, so no order overflows and the bits are the same.
 */
#ifndef TQ_DSP_H
#define TQ_DSP_H

#include "tq_isa.h"

#if TQ_HAS_DSP
#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

/* Four int8 as one word; memcpy keeps strict aliasing intact and compiles to one LDR
 * (unaligned loads are legal on M4, M7 and M33). */
static inline uint32_t tq_load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* GCC 12's arm_acle.h has no __ror; this pattern compiles to one ROR. */
static inline uint32_t tq_ror8(uint32_t v)
{
    return (v >> 8) | (v << 24);
}

/* Bytes 1 and 3 of v sign-extended to halfwords: SXTB16 with its own rotate operand, one
 * instruction (GCC 12 does not fold a separate ROR into it). */
static inline int16x2_t tq_sxtb16_odd(uint32_t v)
{
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

static inline void tq_store4(int8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

/* acc0 += x . w0 and acc1 += x . w1 over n elements, n a multiple of 4. */
static inline void tq_dot2_s8(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                              int32_t *acc0, int32_t *acc1)
{
    int32_t s0 = *acc0;
    int32_t s1 = *acc1;
    for (int32_t i = 0; i < n; i += 4) {
        const uint32_t xv = tq_load4(x + i);
        const int16x2_t xe = __sxtb16((int8x4_t)xv);
        const int16x2_t xo = tq_sxtb16_odd(xv);
        const uint32_t v0 = tq_load4(w0 + i);
        const uint32_t v1 = tq_load4(w1 + i);
        s0 = __smlad(xe, __sxtb16((int8x4_t)v0), s0);
        s0 = __smlad(xo, tq_sxtb16_odd(v0), s0);
        s1 = __smlad(xe, __sxtb16((int8x4_t)v1), s1);
        s1 = __smlad(xo, tq_sxtb16_odd(v1), s1);
    }
    *acc0 = s0;
    *acc1 = s1;
}

/* acc += x . w over n elements, n a multiple of 4. */
static inline int32_t tq_dot1_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t acc)
{
    for (int32_t i = 0; i < n; i += 4) {
        const uint32_t xv = tq_load4(x + i);
        const uint32_t wv = tq_load4(w + i);
        acc = __smlad(__sxtb16((int8x4_t)xv), __sxtb16((int8x4_t)wv), acc);
        acc = __smlad(tq_sxtb16_odd(xv), tq_sxtb16_odd(wv), acc);
    }
    return acc;
}

/* One im2col column as the DSP dot products want it: for each group of 4 int8 values
 * (v0 v1 v2 v3), the word (v0, v2) then the word (v1, v3) as int16 halfwords, the pairing
 * SXTB16 gives a weight word, so a weight word meets its activations in two SMLADs with
 * no widening of activations inside the dot loop. */
static inline void tq_widen_group(int8_t *col, int32_t g, uint32_t v)
{
    tq_store4(col + 8 * g, (uint32_t)__sxtb16((int8x4_t)v));
    tq_store4(col + 8 * g + 4, (uint32_t)tq_sxtb16_odd(v));
}

/* (bottom of a, bottom of b) and (top of a, top of b) as halfword pairs: one PKHBT / PKHTB
 * each, which GCC 12 does not form from the equivalent masks and shifts. */
static inline uint32_t tq_pack_bottoms(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t tq_pack_tops(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* Int4 weights, 8 packed nibbles e0..e7 in a word u (e0 lowest): (u << s) & 0xF000F000
 * for s = 0, 4, 8, 12 are the halfword pairs (e3, e7), (e2, e6), (e1, e5), (e0, e4), each
 * nibble at the top of its halfword, i.e. 4096 * e as int16, one AND each. This widens 8
 * activations x0..x7 into q[0..3] = (x3, x7), (x2, x6), (x1, x5), (x0, x4) to meet them.
 * Products are then x4096: |x * 4096 e| <= 2^22, so 256 of them (TQ_S4_CHUNK groups of
 * 8) sum exactly below 2^30; the kernels add each chunk's sum >> 12 (exact) to the
 * int32 accumulator. */
#define TQ_S4_CHUNK 32
#define TQ_S4_MASK 0xF000F000u

static inline void tq_pair8(const int8_t *x, uint32_t q[4])
{
    const uint32_t lo = tq_load4(x), hi = tq_load4(x + 4);
    const uint32_t el = (uint32_t)__sxtb16((int8x4_t)lo); /* (x0, x2) */
    const uint32_t ol = (uint32_t)tq_sxtb16_odd(lo);      /* (x1, x3) */
    const uint32_t eh = (uint32_t)__sxtb16((int8x4_t)hi); /* (x4, x6) */
    const uint32_t oh = (uint32_t)tq_sxtb16_odd(hi);      /* (x5, x7) */
    q[0] = tq_pack_tops(ol, oh);
    q[1] = tq_pack_tops(el, eh);
    q[2] = tq_pack_bottoms(ol, oh);
    q[3] = tq_pack_bottoms(el, eh);
}

/* ---- Requantization of two channels at once, bit-exact with tq_requant + tq_clamp_s8 for
 * shifts above 32 (tq_requant.h): with k = shift - 32,
 *   y = clamp(z_out + ((hi32(acc * mult) + 2^(k-1)) >> k), lo, hi).
 * SMMLA gives hi32(acc * mult) + 2^(k-1) exactly (it adds the accumulator to the high word
 * of the 64-bit product: no rounding); SSAT to 16 bits keeps the order of values beyond the
 * int8 range, so two results share a register: QADD16 adds z_out (saturating, order kept),
 * SSUB16 + SEL twice clamp both halves (GE comes from the exact difference), UXTB16 + ORR
 * bring the two bytes together for one halfword store. */
typedef struct {
    uint32_t zp2, lo2, hi2; /* z_out, act_min, act_max in both halfwords */
} tq_requant_pair_t;

static inline uint32_t tq_halves(int32_t v)
{
    return 0x00010001u * (uint16_t)v;
}

static inline tq_requant_pair_t tq_requant_pair_init(int32_t zp, int32_t lo, int32_t hi)
{
    const tq_requant_pair_t rq = {tq_halves(zp), tq_halves(lo), tq_halves(hi)};
    return rq;
}

/* Channels j, j + 1 of two pixels: acc = {p0.j, p0.j+1, p1.j, p1.j+1}, stored to
 * *o0 and *o1 (two bytes each, both pointers advanced by 2). c holds
 * {mult_j, mult_j+1, 2^(k_j - 1), 2^(k_j+1 - 1), k_j, k_j+1}, k = shift - 32 > 0, and
 * rq points at {zp2, lo2, hi2}. One block of assembly: 35 instructions for 4 outputs. */
static inline void tq_requant_2x2(const int32_t acc[4], const int32_t *c,
                                  const tq_requant_pair_t *rq, int8_t **o0, int8_t **o1)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    uint32_t m0, m1, r0, r1;
    int8_t *p0 = *o0, *p1 = *o1;
    __asm__ volatile(
        "ldrd %[m0], %[m1], [%[c]]\n\t"
        "ldrd %[r0], %[r1], [%[c], #8]\n\t"
        "smmla %[a00], %[a00], %[m0], %[r0]\n\t"
        "smmla %[a10], %[a10], %[m0], %[r0]\n\t"
        "smmla %[a01], %[a01], %[m1], %[r1]\n\t"
        "smmla %[a11], %[a11], %[m1], %[r1]\n\t"
        "ldrd %[m0], %[m1], [%[c], #16]\n\t"
        "asr %[a00], %[a00], %[m0]\n\t"
        "asr %[a10], %[a10], %[m0]\n\t"
        "asr %[a01], %[a01], %[m1]\n\t"
        "asr %[a11], %[a11], %[m1]\n\t"
        "ssat %[a00], #16, %[a00]\n\t"
        "ssat %[a10], #16, %[a10]\n\t"
        "ssat %[a01], #16, %[a01]\n\t"
        "ssat %[a11], #16, %[a11]\n\t"
        "pkhbt %[a00], %[a00], %[a01], lsl #16\n\t"
        "pkhbt %[a10], %[a10], %[a11], lsl #16\n\t"
        "ldrd %[m0], %[m1], [%[rq]]\n\t"
        "qadd16 %[a00], %[a00], %[m0]\n\t"
        "qadd16 %[a10], %[a10], %[m0]\n\t"
        "ssub16 %[r0], %[a00], %[m1]\n\t"
        "sel %[a00], %[a00], %[m1]\n\t"
        "ssub16 %[r0], %[a10], %[m1]\n\t"
        "sel %[a10], %[a10], %[m1]\n\t"
        "ldr %[m1], [%[rq], #8]\n\t"
        "ssub16 %[r0], %[m1], %[a00]\n\t"
        "sel %[a00], %[a00], %[m1]\n\t"
        "ssub16 %[r0], %[m1], %[a10]\n\t"
        "sel %[a10], %[a10], %[m1]\n\t"
        "uxtb16 %[a00], %[a00]\n\t"
        "uxtb16 %[a10], %[a10]\n\t"
        "orr %[a00], %[a00], %[a00], lsr #8\n\t"
        "orr %[a10], %[a10], %[a10], lsr #8\n\t"
        "strh %[a10], [%[p1]], #2\n\t"
        "strh %[a00], [%[p0]], #2\n\t"
        : [a00] "+&r"(a00), [a01] "+&r"(a01), [a10] "+&r"(a10), [a11] "+&r"(a11),
          [p0] "+&r"(p0), [p1] "+&r"(p1), [m0] "=&r"(m0), [m1] "=&r"(m1), [r0] "=&r"(r0),
          [r1] "=&r"(r1)
        : [c] "r"(c), [rq] "r"(rq)
        : "cc", "memory");
    *o0 = p0;
    *o1 = p1;
}

#endif /* TQ_HAS_DSP */
#endif /* TQ_DSP_H */
