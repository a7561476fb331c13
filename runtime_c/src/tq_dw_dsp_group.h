/*
 * tq_dw_dsp_group.h - the group block of the DSP depthwise engine (tq_dw_dsp.h, points 1,
 * 2 and 4 there): four output channels' widened weights and requantization constants,
 * how a group is filled (int8 weights, or int4 in tq_dwconv2d_s8s4_dsp's layout), the
 * multiply-accumulate of one tap and the requantization of a group's four outputs.
 * Internal to the runtime.
 */
#ifndef TQ_DW_DSP_GROUP_H
#define TQ_DW_DSP_GROUP_H

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

/* The int4 weights of the full group o0 .. o0 + 3 in tq_dwconv2d_s8s4_dsp's layout
 * (tinyq.h) widened into w, and their per-lane sums added to s02 (c0, c2) and s13 (c1, c3):
 * per pair of taps one word, four masks and four SSUB16 (the nibbles are excess-8). */
static inline void tq_dw_widen_s4(const tq_dwconv2d_params *p, int32_t o0, uint32_t (*w)[2],
                                  int16x2_t *s02, int16x2_t *s13)
{
    const int32_t taps = p->k_h * p->k_w, pairs = taps >> 1;
    const int8_t *src = p->weights + (size_t)(o0 >> 2) * 4 * pairs;
    uint32_t m = 0x000F000Fu;
    int16x2_t x8 = 0x00080008;
    int16x2_t a = *s02, b = *s13;
    /* Constants in registers, opaque to GCC 12: it would rebuild x8 in the loop and shift
     * before masking by an immediate instead of one AND with a shifted operand. */
    __asm__("" : "+r"(m), "+r"(x8));
    for (int32_t i = 0; i < pairs; i++, src += 4, w += 2) {
        const uint32_t v = tq_load4(src);
        const int16x2_t we0 = __ssub16((int16x2_t)(v & m), x8);
        const int16x2_t wo0 = __ssub16((int16x2_t)((v >> 4) & m), x8);
        const int16x2_t we1 = __ssub16((int16x2_t)((v >> 8) & m), x8);
        const int16x2_t wo1 = __ssub16((int16x2_t)((v >> 12) & m), x8);
        w[0][0] = (uint32_t)we0;
        w[0][1] = (uint32_t)wo0;
        w[1][0] = (uint32_t)we1;
        w[1][1] = (uint32_t)wo1;
        a = __sadd16(a, __sadd16(we0, we1));
        b = __sadd16(b, __sadd16(wo0, wo1));
    }
    if (taps & 1) {
        const uint8_t *h = (const uint8_t *)p->weights + (size_t)(p->out_c >> 2) * 4 * pairs
                           + (size_t)(o0 >> 2) * 2;
        const uint32_t v = (uint32_t)h[0] | (uint32_t)h[1] << 8;
        const int16x2_t e = __ssub16((int16x2_t)((v | v << 8) & m), x8);
        const int16x2_t o = __ssub16((int16x2_t)(((v | v << 8) >> 4) & m), x8);
        w[0][0] = (uint32_t)e;
        w[0][1] = (uint32_t)o;
        a = __sadd16(a, e);
        b = __sadd16(b, o);
    }
    *s02 = a;
    *s13 = b;
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
    if (g->n == 4 && int4) {
        tq_dw_widen_s4(p, o0, g->w, &s02, &s13);
    } else if (g->n == 4) {
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
        /* int4: the last n channels' [taps][n] array packed, after the groups' 2 taps
         * bytes each. */
        const int8_t *tail = p->weights + (size_t)(p->out_c >> 2) * 2 * taps;
        for (int32_t t = 0; t < taps; t++) {
            int32_t w[4];
            for (int32_t l = 0; l < 4; l++) {
                w[l] = l >= g->n ? 0
                       : int4    ? tq_s4_at(tail, (size_t)t * g->n + l)
                                 : p->weights[(size_t)t * p->out_c + o0 + l];
            }
            g->w[t][0] = tq_pair16(w[0], w[2]);
            g->w[t][1] = tq_pair16(w[1], w[3]);
            s02 = __sadd16(s02, (int16x2_t)g->w[t][0]);
            s13 = __sadd16(s13, (int16x2_t)g->w[t][1]);
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

#endif /* TQ_HAS_DSP */
#endif /* TQ_DW_DSP_GROUP_H */
