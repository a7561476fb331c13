/*
 * tq_scalar.h - shared pieces of the _scalar kernel variants (TQ_HAS_SCALAR: 32-bit cores
 * without DSP / MVE / RVV). Internal to the runtime.
 *
 * Block sizes follow the register file: RV32 has 31 general registers, so a convolution
 * pass keeps 2 pixels x 4 output channels of sums (8) plus 6 stream pointers and their
 * loaded values live; Thumb-1 (Cortex-M0+: 8 low registers, destructive MULS) 1 pixel x 4
 * channels with the sums in high registers; Cortex-M3 (Thumb-2, 13 registers, MLA) 2 x 2.
 */
#ifndef TQ_SCALAR_H
#define TQ_SCALAR_H

#include <stddef.h>
#include <stdint.h>

#include "tinyq.h"
#include "tq_requant.h"

#if defined(__riscv) || (defined(__thumb__) && !defined(__thumb2__))
#define TQ_SC_OCB 4 /* output channels per pass of the convolution */
#else
#define TQ_SC_OCB 2
#endif


/* sum over i < n of x[i] * w[i], two per step so the loads use immediate offsets. */
static inline int32_t tq_sc_dot(const int8_t *x, const int8_t *w, int32_t n)
{
    int32_t s0 = 0, s1 = 0;
    const int8_t *end = x + (n & ~1);
    while (x != end) {
        s0 += (int32_t)x[0] * w[0];
        s1 += (int32_t)x[1] * w[1];
        x += 2;
        w += 2;
    }
    if (n & 1) {
        s0 += (int32_t)x[0] * w[0];
    }
    return s0 + s1;
}

/* sum over i < n of w[i]: the weights of padded taps, which all read in_zp. */
static inline int32_t tq_sc_sum(const int8_t *w, int32_t n)
{
    int32_t s = 0;
    for (int32_t i = 0; i < n; i++) {
        s += w[i];
    }
    return s;
}

#if defined(__thumb__) && !defined(__thumb2__)
/* s[j] += the run x[-n .. -1] . w_j[-n .. -1] for j < 4 (n > 0). ARMv6-M has LDRSB with a
 * register offset only, a destructive MULS and 8 low registers: one negative index serves
 * all five streams and counts the loop, the sums sit in high registers (ADD hi, lo). 3
 * instructions per MAC plus 3 per tap; GCC's own loop took about 8 per MAC. */
static inline void tq_sc_run4(const int8_t *x, const int8_t *w0, const int8_t *w1,
                              const int8_t *w2, const int8_t *w3, int32_t n, int32_t s[4])
{
    int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    int32_t i = -n, u, k;
    __asm__ volatile(
        ".syntax unified\n"
        "1:\n\t"
        "ldrsb %[u], [%[x], %[i]]\n\t"
        "ldrsb %[k], [%[w0], %[i]]\n\t"
        "muls %[k], %[u]\n\t"
        "add %[s0], %[k]\n\t"
        "ldrsb %[k], [%[w1], %[i]]\n\t"
        "muls %[k], %[u]\n\t"
        "add %[s1], %[k]\n\t"
        "ldrsb %[k], [%[w2], %[i]]\n\t"
        "muls %[k], %[u]\n\t"
        "add %[s2], %[k]\n\t"
        "ldrsb %[k], [%[w3], %[i]]\n\t"
        "muls %[k], %[u]\n\t"
        "add %[s3], %[k]\n\t"
        "adds %[i], #1\n\t"
        "bne 1b\n\t"
        ".syntax divided"
        : [s0] "+h"(s0), [s1] "+h"(s1), [s2] "+h"(s2), [s3] "+h"(s3), [i] "+l"(i),
          [u] "=&l"(u), [k] "=&l"(k)
        : [x] "l"(x), [w0] "l"(w0), [w1] "l"(w1), [w2] "l"(w2), [w3] "l"(w3)
        : "cc", "memory");
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
}
#endif

/* The low nibble of a weight byte b (sign-extended, as loaded) as int4: its top bit moved
 * to bit 31 and shifted back (arithmetic). The high nibble is b >> 4. */
static inline int32_t tq_sc_lo4(int32_t b)
{
    return (int32_t)((uint32_t)b << 28) >> 28;
}

/* floor(a * m / 2^32) for 0 <= m < 2^31: the high word tq_requant takes when shift > 32.
 * ARMv6-M has no 32x32->64 multiply (GCC calls __aeabi_lmul), so there it is put together
 * from 16-bit halves, a = ah 2^16 + al, m = mh 2^16 + ml (al, ml, mh unsigned):
 *   a m = ah mh 2^32 + (ah ml + al mh) 2^16 + al ml
 *   z = ah ml + (al ml >> 16)  fits int32 (|ah ml| <= 2^15 (2^16 - 1)), y = al mh < 2^31,
 *   hi = ah mh + (z >> 16) + (y >> 16) + ((z & 0xffff) + (y & 0xffff)) >> 16
 * (the last term is the carry out of the two low halves): exact, no 64-bit arithmetic. */
static inline int32_t tq_sc_mulhi(int32_t a, int32_t m)
{
#if defined(__thumb__) && !defined(__thumb2__)
    const int32_t ah = a >> 16;
    const uint32_t al = (uint32_t)a & 0xffffu;
    const uint32_t ml = (uint32_t)m & 0xffffu, mh = (uint32_t)m >> 16;
    const int32_t z = ah * (int32_t)ml + (int32_t)((al * ml) >> 16);
    const uint32_t y = al * mh;
    return ah * (int32_t)mh + (z >> 16) + (int32_t)(y >> 16) +
           (int32_t)((((uint32_t)z & 0xffffu) + (y & 0xffffu)) >> 16);
#else
    return (int32_t)(((int64_t)a * m) >> 32);
#endif
}

/* tq_requant's rounding for one channel, with what depends on the channel only worked out
 * once: shift > 32 (nearly every layer) takes the high word, a 32-bit add and shift. */
typedef struct {
    int32_t mult, shift, k, round; /* k = shift - 32, round = 2^(k - 1) when k > 0 */
} tq_sc_rq;

static inline tq_sc_rq tq_sc_rq_of(int32_t mult, int32_t shift)
{
    tq_sc_rq r = {mult, shift, shift - 32, shift > 32 ? 1 << (shift - 33) : 0};
    return r;
}

static inline int8_t tq_sc_store(int32_t acc, const tq_sc_rq *r, int32_t zp, int32_t lo,
                                 int32_t hi)
{
    const int32_t v = r->k > 0 ? (tq_sc_mulhi(acc, r->mult) + r->round) >> r->k
                               : tq_requant(acc, r->mult, r->shift);
    return tq_clamp_s8(zp + v, lo, hi);
}

static inline int8_t tq_sc_out(int32_t acc, int32_t mult, int32_t shift, int32_t zp,
                               int32_t lo, int32_t hi)
{
    const tq_sc_rq r = tq_sc_rq_of(mult, shift);
    return tq_sc_store(acc, &r, zp, lo, hi);
}

/* Window of the pixel at (iy0, ix0) as fsz bytes in filter order, padded taps = in_zp. */
static inline void tq_sc_gather(const tq_conv2d_params *p, const int8_t *in, int32_t iy0,
                                int32_t ix0, int8_t *dst)
{
    const int32_t cin = p->in_c;
    const int8_t zp = (int8_t)p->in_zp;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        const int row_inside = iy >= 0 && iy < p->in_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, dst += cin) {
            const int32_t ix = ix0 + kx * p->dil_w;
            if (row_inside && ix >= 0 && ix < p->in_w) {
                const int8_t *x = in + ((size_t)iy * p->in_w + ix) * cin;
                for (int32_t c = 0; c < cin; c++) {
                    dst[c] = x[c];
                }
            } else {
                for (int32_t c = 0; c < cin; c++) {
                    dst[c] = zp;
                }
            }
        }
    }
}

#endif /* TQ_SCALAR_H */
