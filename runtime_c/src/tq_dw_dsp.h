/*
 * tq_dw_dsp.h - the depthwise convolution engine of the Cortex-M DSP variants
 * (tq_dwconv2d_s8_dsp, tq_dwconv2d_s8s4_dsp); internal to the runtime.
 *
 * 1. Output channels are taken four at a time, and each group runs over the whole image
 *    before the next: its weights, widened once to int16 pairs (c0, c2) / (c1, c3), and
 *    its bias, multipliers and shifts sit in a small stack block (tq_dw_group), so the tap
 *    loop widens no weights (int4 weights cost the same as int8 there) and nothing
 *    reloads per-channel constants from scattered arrays.
 * 2. Per tap: one activation word widened by SXTB16 into the same pairs, four products by
 *    SMLABB / SMLATT (SMLAD would add two channels together).
 * 3. The block of windows wholly inside the image runs without bounds tests (3x3 in asm).
 *    Border rows and columns run over their valid taps only, from a bias that already
 *    holds in_zp * (the padded taps' weights): one constant per border row or column
 *    (tq_dw_clipped), or per pixel for short runs (tq_dw_pixel_border). Channel
 *    multipliers > 1 and a last group of fewer than 4 channels gather their lanes byte by
 *    byte (tq_dw_pixel_border for every pixel).
 * 4. Requantization of the 4 outputs, bit-exact with tq_requant when every shift of the
 *    group is above 32 (else tq_requant itself):
 *      q = SMMUL(acc, mult) (the high word of the product), a = q >> (shift - 33);
 *      tq_requant gives (q + 2^(k-1)) >> k with k = shift - 32, which equals (a + 1) >> 1
 *      (q = a 2^(k-1) + r with 0 <= r < 2^(k-1) adds less than 1/2 to (a + 1) / 2).
 *      a saturated to int16 leaves the clamped result alone (|a| >= 2^15 puts
 *      (a + 1) / 2 + out_zp beyond [-128, 127] either way); then
 *      SHADD16(a, 2 out_zp + 1) = ((a + 1) >> 1) + out_zp exactly (2 out_zp is even),
 *      SSAT16 to int8, the bytes packed, and [act_min, act_max] by SSUB8 + SEL per bound.
 * Kernels of more than TQ_DW_MAX_TAPS taps (rarer than 8x8) use the reference kernel.
 * Stack: one tq_dw_group (~700 bytes) and, in tq_dw_clipped, a 512-byte tap list; no
 * arena scratch, the same for int8 and int4 weights.
 */
#ifndef TQ_DW_DSP_H
#define TQ_DW_DSP_H

#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "tq_dsp.h"
#include "tq_int4.h"
#include "tq_requant.h"
#include <stddef.h>

#define TQ_DW_MAX_TAPS 64

typedef struct {
    uint32_t w[TQ_DW_MAX_TAPS][2]; /* per tap: (w0, w2) and (w1, w3) as int16 pairs */
    int32_t mr[4][2];  /* per lane: mult and shift - 33 (one LDRD) */
    uint32_t ozp;      /* (2 out_zp + 1, 2 out_zp + 1) */
    uint32_t lo4, hi4; /* act_min, act_max in each byte (hi4 next: one LDRD) */
    int32_t bias[4];
    int32_t bias_zp[4]; /* bias + in_zp * (sum of the lane's weights), for border windows */
    int32_t shift[4];
    int32_t lane[4];   /* input channel of each lane */
    int32_t n;         /* lanes that are real output channels */
    int32_t fast;      /* every shift > 32: the SIMD requantization applies */
    uint32_t zpp;      /* (in_zp, in_zp): a padded tap's widened activations */
    int32_t out_zp, act_min, act_max;
} tq_dw_group;

static inline int32_t tq_smmul(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmul %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t tq_pair16(int32_t lo, int32_t hi)
{
    return (uint16_t)lo | (uint32_t)(uint16_t)hi << 16;
}

/* Bytewise signed min(max(v, lo), hi): SSUB8 sets GE per byte and SEL picks by it; one asm
 * so nothing can come between an SSUB8 and its SEL. */
static inline uint32_t tq_clamp8x4(uint32_t v, uint32_t lo, uint32_t hi)
{
    uint32_t t;
    __asm__("ssub8 %1, %0, %2\n\t"
            "sel %0, %0, %2\n\t"
            "ssub8 %1, %0, %3\n\t"
            "sel %0, %3, %0"
            : "+r"(v), "=&r"(t)
            : "r"(lo), "r"(hi)
            : "cc");
    return v;
}

/* tq_dw_requant4 when some shift is <= 32: tq_requant lane by lane. */
static uint32_t __attribute__((noinline, unused))
tq_dw_requant4_slow(const tq_dw_group *g, int32_t a0, int32_t a1, int32_t a2, int32_t a3)
{
    const int32_t a[4] = {a0, a1, a2, a3};
    uint32_t v = 0;
    for (int32_t l = 3; l >= 0; l--) {
        const int8_t y = tq_clamp_s8(g->out_zp + tq_requant(a[l], g->mr[l][0], g->shift[l]),
                                     g->act_min, g->act_max);
        v = v << 8 | (uint8_t)y;
    }
    return v;
}

/* The four outputs of a group as bytes c0..c3 of a word, for g->fast groups: the steps of
 * point 4 above, in asm so that each lane's mult and shift come in one LDRD (GCC 12 loads
 * them one by one). */
#define TQ_DW_ASM_LANE(a, off)                                                             \
    "ldrd   %[m], %[s], [%[g], %[" off "]]\n\t"                                              \
    "smmul  %[" a "], %[" a "], %[m]\n\t"                                                  \
    "asr    %[" a "], %[" a "], %[s]\n\t"                                                  \
    "ssat   %[" a "], #16, %[" a "]\n\t"

static inline __attribute__((always_inline)) uint32_t
tq_dw_requant4(const tq_dw_group *g, int32_t a0, int32_t a1, int32_t a2, int32_t a3)
{
    uint32_t m, s;
    __asm__(TQ_DW_ASM_LANE("a0", "o0")
            TQ_DW_ASM_LANE("a2", "o2")
            "pkhbt   %[a0], %[a0], %[a2], lsl #16\n\t"
            TQ_DW_ASM_LANE("a1", "o1")
            TQ_DW_ASM_LANE("a3", "o3")
            "pkhbt   %[a1], %[a1], %[a3], lsl #16\n\t"
            "ldr     %[m], [%[g], %[oz]]\n\t"
            "shadd16 %[a0], %[a0], %[m]\n\t"
            "shadd16 %[a1], %[a1], %[m]\n\t"
            "ssat16  %[a0], #8, %[a0]\n\t"
            "ssat16  %[a1], #8, %[a1]\n\t"
            "uxtb16  %[a0], %[a0]\n\t"
            "uxtb16  %[a1], %[a1]\n\t"
            "orr     %[a0], %[a0], %[a1], lsl #8\n\t"
            "ldrd    %[m], %[s], [%[g], %[ol]]\n\t"
            "ssub8   %[a1], %[a0], %[m]\n\t"
            "sel     %[a0], %[a0], %[m]\n\t"
            "ssub8   %[a1], %[a0], %[s]\n\t"
            "sel     %[a0], %[s], %[a0]"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [m] "=&r"(m),
              [s] "=&r"(s)
            : [g] "r"(g), "m"(*g), [o0] "i"(offsetof(tq_dw_group, mr[0])),
              [o1] "i"(offsetof(tq_dw_group, mr[1])), [o2] "i"(offsetof(tq_dw_group, mr[2])),
              [o3] "i"(offsetof(tq_dw_group, mr[3])), [oz] "i"(offsetof(tq_dw_group, ozp)),
              [ol] "i"(offsetof(tq_dw_group, lo4))
            : "cc");
    return (uint32_t)a0;
}
#undef TQ_DW_ASM_LANE

static inline void tq_dw_store(const tq_dw_group *g, int8_t *o, uint32_t v)
{
    if (g->n == 4) {
        tq_store4(o, v);
    } else {
        for (int32_t l = 0; l < g->n; l++, v >>= 8) {
            o[l] = (int8_t)v;
        }
    }
}

/* The per-lane fields of a group with gathered or missing lanes. */
static void __attribute__((noinline, unused))
tq_dw_lanes_init(const tq_dwconv2d_params *p, int32_t o0, tq_dw_group *g)
{
    g->fast = 1;
    for (int32_t l = 0; l < 4; l++) {
        const int real = l < g->n;
        const int32_t o = real ? o0 + l : o0;
        g->lane[l] = o / p->ch_mult;
        g->bias[l] = real ? p->bias[o] : 0;
        g->mr[l][0] = real ? p->mult[o] : 0;
        g->shift[l] = p->shift[o];
        g->mr[l][1] = g->shift[l] - 33;
        g->fast &= g->shift[l] > 32;
    }
}

/* The group of output channels o0 .. o0 + 3 (those below out_c). */
static inline void tq_dw_group_init(const tq_dwconv2d_params *p, int32_t o0, int int4,
                                    tq_dw_group *g)
{
    const int32_t taps = p->k_h * p->k_w;
    g->n = p->out_c - o0 < 4 ? p->out_c - o0 : 4;
    if (g->n == 4 && p->ch_mult == 1) { /* the common case, straight-line */
        const int8_t *sh = p->shift + o0;
        for (int32_t l = 0; l < 4; l++) {
            g->lane[l] = o0 + l;
            g->bias[l] = p->bias[o0 + l];
            g->mr[l][0] = p->mult[o0 + l];
            g->shift[l] = sh[l];
            g->mr[l][1] = sh[l] - 33;
        }
        g->fast = sh[0] > 32 && sh[1] > 32 && sh[2] > 32 && sh[3] > 32;
    } else {
        tq_dw_lanes_init(p, o0, g);
    }
    /* Per-lane weight sums as int16 pairs: |sum| <= TQ_DW_MAX_TAPS * 127 < 2^15. */
    int16x2_t s02 = 0, s13 = 0;
    if (g->n == 4 && !int4) {
        const int8_t *src = p->weights + o0;
        for (int32_t t = 0; t < taps; t++, src += p->out_c) {
            const uint32_t v = tq_load4(src);
            const int16x2_t we = __sxtb16((int8x4_t)v), wo = tq_sxtb16_odd(v);
            g->w[t][0] = (uint32_t)we;
            g->w[t][1] = (uint32_t)wo;
            s02 = __sadd16(s02, we);
            s13 = __sadd16(s13, wo);
        }
    } else {
        for (int32_t t = 0; t < taps; t++) {
            const size_t e = (size_t)t * p->out_c + o0;
            uint32_t we, wo;
            if (g->n == 4 && !(e & 1)) {
                const uint8_t b0 = (uint8_t)p->weights[e >> 1];
                const uint8_t b1 = (uint8_t)p->weights[(e >> 1) + 1];
                we = tq_pair16(tq_s4_lo(b0), tq_s4_lo(b1));
                wo = tq_pair16(tq_s4_hi(b0), tq_s4_hi(b1));
            } else {
                int32_t w[4];
                for (int32_t l = 0; l < 4; l++) {
                    w[l] = l >= g->n ? 0
                           : int4    ? tq_s4_at(p->weights, e + l)
                                     : p->weights[e + l];
                }
                we = tq_pair16(w[0], w[2]);
                wo = tq_pair16(w[1], w[3]);
            }
            g->w[t][0] = we;
            g->w[t][1] = wo;
            s02 = __sadd16(s02, (int16x2_t)we);
            s13 = __sadd16(s13, (int16x2_t)wo);
        }
    }
    const int32_t wsum[4] = {(int16_t)s02, (int16_t)s13, (int16_t)((uint32_t)s02 >> 16),
                             (int16_t)((uint32_t)s13 >> 16)};
    /* Unsigned: wraps like the SMLA sums it starts, whose final values fit in int32. */
    for (int32_t l = 0; l < 4; l++) {
        g->bias_zp[l] = (int32_t)((uint32_t)g->bias[l] + (uint32_t)(p->in_zp * wsum[l]));
    }
}

/* The fields of a group that hold for the whole call. */
static inline void tq_dw_call_init(const tq_dwconv2d_params *p, tq_dw_group *g)
{
    g->zpp = tq_pair16(p->in_zp, p->in_zp);
    g->ozp = tq_pair16(2 * p->out_zp + 1, 2 * p->out_zp + 1);
    g->lo4 = 0x01010101u * (uint8_t)p->act_min;
    g->hi4 = 0x01010101u * (uint8_t)p->act_max;
    g->out_zp = p->out_zp;
    g->act_min = p->act_min;
    g->act_max = p->act_max;
}

/* a0..a3 += one tap: xe, xo the widened activations (c0, c2), (c1, c3); wp its pairs. */
#define TQ_DW_MAC(xe, xo, wp)                                                              \
    do {                                                                                   \
        a0 = __smlabb((xe), (int16x2_t)(wp)[0], a0);                                       \
        a2 = __smlatt((xe), (int16x2_t)(wp)[0], a2);                                       \
        a1 = __smlabb((xo), (int16x2_t)(wp)[1], a1);                                       \
        a3 = __smlatt((xo), (int16x2_t)(wp)[1], a3);                                       \
    } while (0)

#define TQ_DW_TAP(xv, wp)                                                                  \
    do {                                                                                   \
        const uint32_t xv_ = (xv);                                                         \
        const int16x2_t xe_ = __sxtb16((int8x4_t)xv_), xo_ = tq_sxtb16_odd(xv_);           \
        TQ_DW_MAC(xe_, xo_, wp);                                                           \
    } while (0)

/* The 9 taps of a 3x3 window wholly inside the image (r: its top-left pixel at the group's
 * channel; ts, rs: tap and row steps in bytes; w: the group's widened weights). In asm:
 * GCC 12 spilled accumulators and reloaded weights in the C form; here each tap is LDR,
 * LDRD, 2 SXTB16 and 4 SMLAxy, with nothing on the stack. */
#define TQ_DW_ASM_TAP(xoff, woff)                                                          \
    "ldr    %[x], [" xoff "]\n\t"                                                          \
    "ldrd   %[we], %[wo], [%[w], #" woff "]\n\t"                                           \
    "sxtb16 %[t], %[x]\n\t"                                                              \
    "sxtb16 %[x], %[x], ror #8\n\t"                                                      \
    "smlabb %[a0], %[t], %[we], %[a0]\n\t"                                               \
    "smlatt %[a2], %[t], %[we], %[a2]\n\t"                                               \
    "smlabb %[a1], %[x], %[wo], %[a1]\n\t"                                               \
    "smlatt %[a3], %[x], %[wo], %[a3]\n\t"
#define TQ_DW_ASM_ROW(w0, w1, w2)                                                          \
    TQ_DW_ASM_TAP("%[r]", w0)                                                              \
    TQ_DW_ASM_TAP("%[r], %[ts]", w1)                                                       \
    "add    %[t], %[r], %[ts]\n\t"                                                        \
    TQ_DW_ASM_TAP("%[t], %[ts]", w2)

static inline __attribute__((always_inline)) void
tq_dw_taps3x3(const int8_t *r, int32_t ts, int32_t rs, const uint32_t (*w)[2], int32_t *a0,
              int32_t *a1, int32_t *a2, int32_t *a3)
{
    uint32_t x, t, we, wo;
    __asm__(TQ_DW_ASM_ROW("0", "8", "16")
            "add    %[r], %[r], %[rs]\n\t"
            TQ_DW_ASM_ROW("24", "32", "40")
            "add    %[r], %[r], %[rs]\n\t"
            TQ_DW_ASM_ROW("48", "56", "64")
            : [a0] "+r"(*a0), [a1] "+r"(*a1), [a2] "+r"(*a2), [a3] "+r"(*a3), [r] "+r"(r),
              [x] "=&r"(x), [t] "=&r"(t), [we] "=&r"(we), [wo] "=&r"(wo)
            : [ts] "r"(ts), [rs] "r"(rs), [w] "r"(w), "m"(*(const uint32_t(*)[18])w)
            : "memory");
}
#undef TQ_DW_ASM_ROW
#undef TQ_DW_ASM_TAP

/* A block of `rows` x `count` output pixels whose windows lie inside the image, four
 * contiguous channels: x is the first window's top-left pixel at the group's channel, o
 * its output. `fast` is g->fast, a constant in each instance. */
static inline __attribute__((always_inline)) void
tq_dw_block_f(const tq_dwconv2d_params *p, const tq_dw_group *g, const int8_t *x,
              int32_t rows, int32_t count, int8_t *o, const int fast)
{
    const int32_t ch = p->in_c;
    const int32_t ts = p->dil_w * ch, rs = p->dil_h * p->in_w * ch;
    const int32_t ps = p->stride_w * ch, os = p->out_c;
    const int32_t xrow = p->stride_h * p->in_w * ch - count * ps;
    const int32_t orow = p->out_w * os - count * os;
    const int32_t kw = p->k_w, kh = p->k_h;
#define TQ_DW_STORE()                                                                      \
    tq_store4(o, fast ? tq_dw_requant4(g, a0, a1, a2, a3)                                  \
                      : tq_dw_requant4_slow(g, a0, a1, a2, a3))
    if (kh == 3 && kw == 3) {
        const int8_t *end = x + count * ps;
        for (; rows > 0; rows--, x += xrow, o += orow, end += xrow + count * ps) {
            for (; x != end; x += ps, o += os) {
                int32_t a0 = g->bias[0], a1 = g->bias[1], a2 = g->bias[2], a3 = g->bias[3];
                tq_dw_taps3x3(x, ts, rs, g->w, &a0, &a1, &a2, &a3);
                TQ_DW_STORE();
            }
        }
        return;
    }
    for (; rows > 0; rows--, x += xrow, o += orow) {
        for (int32_t i = 0; i < count; i++, x += ps, o += os) {
            int32_t a0 = g->bias[0], a1 = g->bias[1], a2 = g->bias[2], a3 = g->bias[3];
            const uint32_t(*w)[2] = g->w;
            const int8_t *r = x;
            for (int32_t ky = 0; ky < kh; ky++, r += rs) {
                const int8_t *xt = r;
                for (int32_t kx = 0; kx < kw; kx++, xt += ts, w++) {
                    TQ_DW_TAP(tq_load4(xt), *w);
                }
            }
            TQ_DW_STORE();
        }
    }
#undef TQ_DW_STORE
}

static void __attribute__((noinline, unused))
tq_dw_block(const tq_dwconv2d_params *p, const tq_dw_group *g, const int8_t *x, int32_t rows,
            int32_t count, int8_t *o)
{
    if (g->fast) {
        tq_dw_block_f(p, g, x, rows, count, o, 1);
    } else {
        tq_dw_block_f(p, g, x, rows, count, o, 0);
    }
}

/* Taps [k0, k1) of a window starting at `start` with k taps `dil` apart lie inside
 * [0, size). */
static inline void tq_dw_clip(int32_t start, int32_t k, int32_t dil, int32_t size,
                              int32_t *k0, int32_t *k1)
{
    int32_t a = 0, b = k;
    while (a < b && start + a * dil < 0) {
        a++;
    }
    while (b > a && start + (b - 1) * dil >= size) {
        b--;
    }
    *k0 = a;
    *k1 = b;
}

/* `count` output pixels, `xstep` input and `ostep` output bytes apart, whose windows have
 * only the taps [ky0, ky1) x [kx0, kx1) inside the image (border rows and columns): x is
 * the first window's pixel of tap (ky0, kx0) at the group's channel. The padded taps'
 * in_zp * w is one constant per lane for them all, added to the bias up front. */
static void __attribute__((noinline, unused))
tq_dw_clipped(const tq_dwconv2d_params *p, const tq_dw_group *g, const int8_t *x,
              int32_t count, int32_t xstep, int32_t ostep, int32_t ky0, int32_t ky1,
              int32_t kx0, int32_t kx1, int8_t *o)
{
    const int32_t kw = p->k_w;
    /* The valid taps as one flat list (no row bookkeeping per pixel), and their weight
     * sums: the padded taps add in_zp * (all weights - valid ones), from bias_zp. */
    struct {
        int32_t off;
        const uint32_t *w;
    } tap[TQ_DW_MAX_TAPS];
    int32_t n = 0;
    int16x2_t s02 = 0, s13 = 0;
    const int32_t ts = p->dil_w * p->in_c, rs = p->dil_h * p->in_w * p->in_c;
    for (int32_t ky = ky0, row = 0; ky < ky1; ky++, row += rs) {
        const uint32_t(*w)[2] = g->w + ky * kw + kx0;
        for (int32_t kx = kx0, off = row; kx < kx1; kx++, n++, off += ts, w++) {
            tap[n].off = off;
            tap[n].w = *w;
            s02 = __sadd16(s02, (int16x2_t)(*w)[0]);
            s13 = __sadd16(s13, (int16x2_t)(*w)[1]);
        }
    }
    const int32_t vsum[4] = {(int16_t)s02, (int16_t)s13, (int16_t)((uint32_t)s02 >> 16),
                             (int16_t)((uint32_t)s13 >> 16)};
    /* Unsigned: wraps like the SMLA sums it starts, whose final values fit in int32. */
    uint32_t b[4];
    for (int32_t l = 0; l < 4; l++) {
        b[l] = (uint32_t)g->bias_zp[l] - (uint32_t)(p->in_zp * vsum[l]);
    }
    for (; count > 0; count--, x += xstep, o += ostep) {
        int32_t a0 = (int32_t)b[0], a1 = (int32_t)b[1], a2 = (int32_t)b[2], a3 = (int32_t)b[3];
        for (int32_t i = 0; i < n; i++) {
            TQ_DW_TAP(tq_load4(x + tap[i].off), tap[i].w);
        }
        tq_store4(o, g->fast ? tq_dw_requant4(g, a0, a1, a2, a3)
                             : tq_dw_requant4_slow(g, a0, a1, a2, a3));
    }
}

/* One output pixel whose window may cross the border, from the valid taps [ky0, ky1) x
 * [kx0, kx1) alone: the accumulators start at bias + in_zp * sum(w), and each valid tap
 * adds (x - in_zp) w, so padded taps (x = in_zp) need no work. Contiguous lanes load a
 * word, gathered ones (channel multiplier, a short last group) byte by byte. `in` points
 * at channel 0 of pixel (0, 0). */
static inline __attribute__((always_inline)) void
tq_dw_pixel_border_f(const tq_dwconv2d_params *p, const tq_dw_group *g, const int8_t *in,
                     int32_t iy0, int32_t ix0, int32_t ky0, int32_t ky1, const int gather,
                     int8_t *o)
{
    int32_t a0 = g->bias_zp[0], a1 = g->bias_zp[1], a2 = g->bias_zp[2], a3 = g->bias_zp[3];
    int32_t kx0, kx1;
    tq_dw_clip(ix0, p->k_w, p->dil_w, p->in_w, &kx0, &kx1);
    const int16x2_t zpp = (int16x2_t)g->zpp;
    const int32_t ts = p->dil_w * p->in_c;
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const uint32_t(*w)[2] = g->w + ky * p->k_w + kx0;
        const int8_t *x = in + ((size_t)(iy0 + ky * p->dil_h) * p->in_w + ix0 + kx0 * p->dil_w)
                          * p->in_c;
        for (int32_t kx = kx0; kx < kx1; kx++, w++, x += ts) {
            int16x2_t xe, xo;
            if (gather) {
                xe = (int16x2_t)tq_pair16(x[g->lane[0]], x[g->lane[2]]);
                xo = (int16x2_t)tq_pair16(x[g->lane[1]], x[g->lane[3]]);
            } else {
                const uint32_t v = tq_load4(x + g->lane[0]);
                xe = __sxtb16((int8x4_t)v);
                xo = tq_sxtb16_odd(v);
            }
            xe = __ssub16(xe, zpp);
            xo = __ssub16(xo, zpp);
            TQ_DW_MAC(xe, xo, *w);
        }
    }
    tq_dw_store(g, o, g->fast ? tq_dw_requant4(g, a0, a1, a2, a3)
                              : tq_dw_requant4_slow(g, a0, a1, a2, a3));
}

static void __attribute__((noinline, unused))
tq_dw_pixel_border(const tq_dwconv2d_params *p, const tq_dw_group *g, const int8_t *in,
                   int32_t iy0, int32_t ix0, int32_t ky0, int32_t ky1, int gather, int8_t *o)
{
    if (gather) {
        tq_dw_pixel_border_f(p, g, in, iy0, ix0, ky0, ky1, 1, o);
    } else {
        tq_dw_pixel_border_f(p, g, in, iy0, ix0, ky0, ky1, 0, o);
    }
}

/* Output row oy of a contiguous group, its windows crossing the top or bottom: `in` and
 * `out` at channel o0 of pixel (0, 0). */
static void __attribute__((noinline, unused))
tq_dw_border_row(const tq_dwconv2d_params *p, const tq_dw_group *g, const int8_t *in,
                 int32_t oy, int32_t ox_lo, int32_t ox_hi, int8_t *out)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    int32_t ky0, ky1;
    tq_dw_clip(iy0, p->k_h, p->dil_h, p->in_h, &ky0, &ky1);
    const int32_t iy = ky1 > ky0 ? iy0 + ky0 * p->dil_h : 0;
    const int8_t *xrow = in + (size_t)iy * p->in_w * p->in_c;
    int8_t *orow = out + (size_t)oy * p->out_w * p->out_c;
    for (int32_t ox = 0; ox < p->out_w; ox++) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        int32_t kx0, kx1;
        int32_t count = 1;
        tq_dw_clip(ix0, p->k_w, p->dil_w, p->in_w, &kx0, &kx1);
        if (ox == ox_lo && ox_hi > ox_lo) {
            count = ox_hi - ox_lo; /* full width: one clip for the whole run */
        }
        if (count <= 2) { /* too few pixels to pay for tq_dw_clipped's setup */
            tq_dw_pixel_border(p, g, in - g->lane[0], iy0, ix0, ky0, ky1, 0,
                               orow + (size_t)ox * p->out_c);
            continue;
        }
        const int32_t ix = kx1 > kx0 ? ix0 + kx0 * p->dil_w : 0;
        tq_dw_clipped(p, g, xrow + (size_t)ix * p->in_c, count, p->stride_w * p->in_c,
                      p->out_c, ky0, ky1, kx0, kx1, orow + (size_t)ox * p->out_c);
        ox += count - 1;
    }
}

/* The kernel: int4 selects packed int4 weights. */
static inline void tq_dw_dsp(const tq_dwconv2d_params *p, const int8_t *restrict in,
                             int8_t *restrict out, int int4)
{
    if (p->k_h * p->k_w > TQ_DW_MAX_TAPS) {
        if (int4) {
            tq_dwconv2d_s8s4(p, in, out);
        } else {
            tq_dwconv2d_s8(p, in, out);
        }
        return;
    }
    /* Output columns [ox_lo, ox_hi) and rows [oy_lo, oy_hi) have windows inside. */
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    int32_t ox_lo = 0, ox_hi = p->out_w, oy_lo = 0, oy_hi = p->out_h;
    while (ox_lo < p->out_w && ox_lo * p->stride_w - p->pad_left < 0) {
        ox_lo++;
    }
    while (ox_hi > ox_lo && (ox_hi - 1) * p->stride_w - p->pad_left + span_w >= p->in_w) {
        ox_hi--;
    }
    while (oy_lo < p->out_h && oy_lo * p->stride_h - p->pad_top < 0) {
        oy_lo++;
    }
    while (oy_hi > oy_lo && (oy_hi - 1) * p->stride_h - p->pad_top + span_h >= p->in_h) {
        oy_hi--;
    }
    const int32_t inside_rows = oy_hi - oy_lo;
    tq_dw_group g;
    tq_dw_call_init(p, &g);
    for (int32_t o0 = 0; o0 < p->out_c; o0 += 4) {
        tq_dw_group_init(p, o0, int4, &g);
        const int gather = p->ch_mult != 1 || g.n != 4;
        if (gather) {
            for (int32_t oy = 0; oy < p->out_h; oy++) {
                const int32_t iy0 = oy * p->stride_h - p->pad_top;
                int32_t ky0, ky1;
                tq_dw_clip(iy0, p->k_h, p->dil_h, p->in_h, &ky0, &ky1);
                int8_t *orow = out + (size_t)oy * p->out_w * p->out_c + o0;
                for (int32_t ox = 0; ox < p->out_w; ox++) {
                    tq_dw_pixel_border(p, &g, in, iy0, ox * p->stride_w - p->pad_left, ky0,
                                       ky1, 1, orow + (size_t)ox * p->out_c);
                }
            }
            continue;
        }
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            if (oy == oy_lo && inside_rows > 0) {
                oy = oy_hi - 1;
                continue;
            }
            tq_dw_border_row(p, &g, in + o0, oy, ox_lo, ox_hi, out + o0);
        }
        if (inside_rows <= 0) {
            continue;
        }
        /* The rows inside vertically: the block of whole windows, then border columns. */
        const int32_t iy0 = oy_lo * p->stride_h - p->pad_top;
        const int8_t *xrow = in + (size_t)iy0 * p->in_w * p->in_c + o0;
        int8_t *orow = out + (size_t)oy_lo * p->out_w * p->out_c + o0;
        if (ox_hi > ox_lo) {
            tq_dw_block(p, &g, xrow + (size_t)(ox_lo * p->stride_w - p->pad_left) * p->in_c,
                        inside_rows, ox_hi - ox_lo, orow + (size_t)ox_lo * p->out_c);
        }
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            if (ox == ox_lo && ox_hi > ox_lo) {
                ox = ox_hi - 1;
                continue;
            }
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            if (inside_rows <= 2) { /* too few pixels to pay for tq_dw_clipped's setup */
                for (int32_t r = 0; r < inside_rows; r++) {
                    tq_dw_pixel_border(p, &g, in, iy0 + r * p->stride_h, ix0, 0, p->k_h, 0,
                                       orow + ((size_t)r * p->out_w + ox) * p->out_c);
                }
                continue;
            }
            int32_t kx0, kx1;
            tq_dw_clip(ix0, p->k_w, p->dil_w, p->in_w, &kx0, &kx1);
            const int32_t ix = kx1 > kx0 ? ix0 + kx0 * p->dil_w : 0;
            tq_dw_clipped(p, &g, xrow + (size_t)ix * p->in_c, inside_rows,
                          p->stride_h * p->in_w * p->in_c, p->out_w * p->out_c, 0, p->k_h,
                          kx0, kx1, orow + (size_t)ox * p->out_c);
        }
    }
}

#endif /* TQ_HAS_DSP */
#endif /* TQ_DW_DSP_H */
