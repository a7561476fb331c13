/*
 * tq_dw_dsp_block.h - the windows wholly inside the image for the DSP depthwise engine
 * (tq_dw_dsp.h, point 3): no bounds tests, 3x3 in asm. Internal to the runtime.
 */
#ifndef TQ_DW_DSP_BLOCK_H
#define TQ_DW_DSP_BLOCK_H

#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tq_dw_dsp_group.h"

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

/* The 6 taps of a 3x3 window whose left or right column is padding, rows of two taps: r
 * at the first valid tap's pixel, w at its weights. */
static inline __attribute__((always_inline)) void
tq_dw_taps3x2(const int8_t *r, int32_t ts, int32_t rs, const uint32_t (*w)[2], int32_t *a0,
              int32_t *a1, int32_t *a2, int32_t *a3)
{
    uint32_t x, t, we, wo;
    __asm__(TQ_DW_ASM_TAP("%[r]", "0")
            TQ_DW_ASM_TAP("%[r], %[ts]", "8")
            "add    %[r], %[r], %[rs]\n\t"
            TQ_DW_ASM_TAP("%[r]", "24")
            TQ_DW_ASM_TAP("%[r], %[ts]", "32")
            "add    %[r], %[r], %[rs]\n\t"
            TQ_DW_ASM_TAP("%[r]", "48")
            TQ_DW_ASM_TAP("%[r], %[ts]", "56")
            : [a0] "+r"(*a0), [a1] "+r"(*a1), [a2] "+r"(*a2), [a3] "+r"(*a3), [r] "+r"(r),
              [x] "=&r"(x), [t] "=&r"(t), [we] "=&r"(we), [wo] "=&r"(wo)
            : [ts] "r"(ts), [rs] "r"(rs), [w] "r"(w), "m"(*(const uint32_t(*)[16])w)
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

#endif /* TQ_HAS_DSP */
#endif /* TQ_DW_DSP_BLOCK_H */
