/*
 * tq_dw_mve.h - the Helium depthwise loops shared by tq_dwconv2d_s8_mve (int8 weights) and
 * tq_dwconv2d_s8s4_mve (int4 weights): the group/tap asm loop (groups), the in_zp weight
 * sums of the padded taps (zp_sums) and one pixel's or three pixels' sums (pixel, row3).
 * The two kernels differ only in how a tap's eight weights reach int16 lanes and in how
 * many bytes a channel's weight takes, so the including file defines, before including
 * this header (once, after tq_mve.h):
 *   TQ_DW_WLOAD(COFF, BOFF)  asm leaving the eight weights at channel COFF (byte BOFF) of
 *                            %[w] as int16 lanes in q5 (q6 free as a temporary);
 *   TQ_DW_WB(n)              the bytes of n channels' weights (n, or (n) / 2);
 *   tq_dw_w8(w)              the eight weights at w as an int16x8_t, in C.
 * A template of static functions rather than functions taking a flag: asm strings must be
 * literals, and each kernel must compile to exactly the instructions its own copy did (an
 * always-inline driver taking the reference kernel as an argument did not: GCC reordered a
 * compare), so each kernel file keeps its own short driver loop. Internal: include only
 * under #if TQ_HAS_MVE.
 */
#ifndef TQ_DW_MVE_H
#define TQ_DW_MVE_H

#include <stddef.h>
#include "tinyq.h"
#include "tq_mve.h"
#include "tq_window.h"

#define TQ_DW_MAX_TAPS 49

/* What the group loop reads from memory (offsets fixed in the asm): rows of taps, how far
 * x and w step back after a group to the next one, groups left, the border sums' start. */
typedef struct {
    int32_t rows, xback, wback, groups;
    const int32_t *init;
    int32_t zp;
} tq_dw_run;

/* One tap of eight channels (activations at channel OFF, weights at channel OFF, byte
 * WOFF): even channels into QE, odd ones into QO (int32). */
#define TQ_DW_TAP8(OFF, WOFF, SUB, QE, QO)                                               \
    "vldrb.s16 q4, [%[x], #" OFF "]\n" SUB("vsub.i16 q4, q4, q7\n")                      \
    TQ_DW_WLOAD(OFF, WOFF)                                                               \
    "vmullb.s16 q6, q4, q5\n"                                                            \
    "vadd.i32 " QE ", " QE ", q6\n"                                                      \
    "vmullt.s16 q6, q4, q5\n"                                                            \
    "vadd.i32 " QO ", " QO ", q6\n"
#define TQ_DW_KEEP(s) s
#define TQ_DW_DROP(s)
#define TQ_DW_ZERO16 "vmov.i32 q0, #0\nvmov.i32 q1, #0\nvmov.i32 q2, #0\nvmov.i32 q3, #0\n"
#define TQ_DW_ZERO8 "vmov.i32 q0, #0\nvmov.i32 q1, #0\n"
#define TQ_DW_INIT16                                                                     \
    "ldr lr, [%[r], #16]\n"                                                              \
    "vld20.32 {q0, q1}, [lr]\n"                                                          \
    "vld21.32 {q0, q1}, [lr]!\n"                                                         \
    "vld20.32 {q2, q3}, [lr]\n"                                                          \
    "vld21.32 {q2, q3}, [lr]!\n"                                                         \
    "str lr, [%[r], #16]\n"
#define TQ_DW_INIT8                                                                      \
    "ldr lr, [%[r], #16]\n"                                                              \
    "vld20.32 {q0, q1}, [lr]\n"                                                          \
    "vld21.32 {q0, q1}, [lr]\n"
#define TQ_DW_TAPS16(SUB)                                                                \
    TQ_DW_TAP8("0", "0", SUB, "q0", "q1") TQ_DW_TAP8("8", "4", SUB, "q2", "q3")
#define TQ_DW_TAPS8(SUB) TQ_DW_TAP8("0", "0", SUB, "q0", "q1")
#define TQ_DW_STORE16                                                                    \
    "vst20.32 {q0, q1}, [%[acc]]\n"                                                      \
    "vst21.32 {q0, q1}, [%[acc]]!\n"                                                     \
    "vst20.32 {q2, q3}, [%[acc]]\n"                                                      \
    "vst21.32 {q2, q3}, [%[acc]]!\n"
#define TQ_DW_STORE8                                                                     \
    "vst20.32 {q0, q1}, [%[acc]]\n"                                                      \
    "vst21.32 {q0, q1}, [%[acc]]!\n"

/* r->groups groups: per group, r->rows rows of nkx taps (x, w step xcol, wc per tap and
 * radj, wradj more per row), then the sums into acc in channel order. In the border form
 * (SUB kept) the sums start from r->init and in_zp (q7) is taken off every activation. */
#define TQ_DW_GROUPS(INIT, TAPS, STORE, SUB)                                             \
    __asm__ volatile(SUB("ldr %[rows], [%[r], #20]\n"                                    \
                         "vdup.16 q7, %[rows]\n")                                        \
                     "ldr %[rows], [%[r], #0]\n"                                         \
                     "0:\n" INIT                                                         \
                     "1:\n"                                                              \
                     "dls lr, %[nkx]\n"                                                  \
                     "2:\n" TAPS(SUB)                                                    \
                     "add %[x], %[x], %[xcol]\n"                                         \
                     "add %[w], %[w], %[wc]\n"                                           \
                     "le lr, 2b\n"                                                       \
                     "add %[x], %[x], %[radj]\n"                                         \
                     "add %[w], %[w], %[wradj]\n"                                        \
                     "subs %[rows], %[rows], #1\n"                                       \
                     "bne 1b\n" STORE                                                    \
                     "ldr lr, [%[r], #4]\n"                                              \
                     "sub %[x], %[x], lr\n"                                              \
                     "ldr lr, [%[r], #8]\n"                                              \
                     "sub %[w], %[w], lr\n"                                              \
                     "ldr %[rows], [%[r], #0]\n"                                         \
                     "ldr lr, [%[r], #12]\n"                                             \
                     "subs lr, lr, #1\n"                                                 \
                     "str lr, [%[r], #12]\n"                                             \
                     "bne 0b\n"                                                          \
                     : [x] "+l"(x), [w] "+l"(w), [acc] "+r"(acc), [rows] "=&r"(rows)     \
                     : [r] "r"(r), [nkx] "r"(nkx), [xcol] "r"(xcol), [wc] "r"(wc),       \
                       [radj] "r"(radj), [wradj] "r"(wradj)                              \
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "lr", "cc", "memory")

/* Where a pixel's taps are: its inside taps form nrows x nkx at x, weights at w (strides
 * wc, wrow in bytes). */
typedef struct {
    const int8_t *x, *w;
    int32_t xcol, xrow, wc, wrow, nrows, nkx;
} tq_dw_win;

/* r->groups groups of g channels from channel cg; from one group to the next x moves
 * xstep, w wstep bytes (g, TQ_DW_WB(g) for the groups of a pixel; the pixel stride, 0
 * along a row). */
static void groups(const tq_dw_win *v, tq_dw_run *r, int g, int border, int32_t cg,
                   int32_t *acc, int32_t xstep, int32_t wstep)
{
    const int8_t *x = v->x + cg, *w = v->w + TQ_DW_WB(cg);
    const int32_t nkx = v->nkx, xcol = v->xcol, wc = v->wc;
    const int32_t radj = v->xrow - nkx * xcol, wradj = v->wrow - nkx * wc;
    int32_t rows;
    r->rows = v->nrows;
    r->xback = v->nrows * v->xrow - xstep;
    r->wback = v->nrows * v->wrow - wstep;
    if (g == 16 && border) {
        TQ_DW_GROUPS(TQ_DW_INIT16, TQ_DW_TAPS16, TQ_DW_STORE16, TQ_DW_KEEP);
    } else if (g == 16) {
        TQ_DW_GROUPS(TQ_DW_ZERO16, TQ_DW_TAPS16, TQ_DW_STORE16, TQ_DW_DROP);
    } else if (border) {
        TQ_DW_GROUPS(TQ_DW_INIT8, TQ_DW_TAPS8, TQ_DW_STORE8, TQ_DW_KEEP);
    } else {
        TQ_DW_GROUPS(TQ_DW_ZERO8, TQ_DW_TAPS8, TQ_DW_STORE8, TQ_DW_DROP);
    }
}

/* corr[ch] = in_zp * (sum of channel ch's weights over all taps), eight channels at a time
 * (the last eight overlap the ones before): sums of at most 49 weights (int8 or int4) fit
 * int16 lanes; VMULLB / VMULLT widen their products with in_zp, VST2 re-interleaves them. */
static void zp_sums(const tq_dwconv2d_params *p, int32_t *corr)
{
    const int32_t c = p->in_c, taps = p->k_h * p->k_w;
    const int16x8_t zp = vdupq_n_s16((int16_t)p->in_zp);
    for (int32_t c0 = 0; c0 < c; c0 += 8) {
        const int32_t ch = c0 + 8 <= c ? c0 : c - 8;
        const int8_t *w = p->weights + TQ_DW_WB(ch);
        int16x8_t s = vdupq_n_s16(0);
        for (int32_t t = 0; t < taps; t++, w += TQ_DW_WB(c)) {
            s = vaddq_s16(s, tq_dw_w8(w));
        }
        const int32x4x2_t eo = {{vmullbq_int_s16(s, zp), vmulltq_int_s16(s, zp)}};
        vst2q_s32(corr + ch, eo);
    }
}

/* The sums of every channel of the pixel whose window starts at (iy0, ix0) into acc. */
static void pixel(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0, int32_t ix0,
                  tq_dw_run *r, const int32_t *corr, int32_t *acc)
{
    const int32_t c = p->in_c;
    const int32_t ky0 = first_inside(iy0, p->dil_h, p->k_h);
    const int32_t ky1 = end_inside(iy0, p->dil_h, p->k_h, p->in_h, ky0);
    const int32_t kx0 = first_inside(ix0, p->dil_w, p->k_w);
    const int32_t kx1 = end_inside(ix0, p->dil_w, p->k_w, p->in_w, kx0);
    const int border = ky0 > 0 || kx0 > 0 || ky1 < p->k_h || kx1 < p->k_w;
    if (ky0 == ky1 || kx0 == kx1) { /* all padding */
        for (int32_t ch = 0; ch < c; ch++) {
            acc[ch] = corr[ch];
        }
        return;
    }
    const tq_dw_win v = {
        in + ((ptrdiff_t)(iy0 + ky0 * p->dil_h) * p->in_w + ix0 + kx0 * p->dil_w) * c,
        p->weights + TQ_DW_WB((ky0 * p->k_w + kx0) * c),
        p->dil_w * c, p->dil_h * p->in_w * c, TQ_DW_WB(c), TQ_DW_WB(p->k_w * c), ky1 - ky0,
        kx1 - kx0};
    const int32_t c16 = c & ~15, rest = c - c16;
    r->zp = p->in_zp;
    if (c16 > 0) {
        r->groups = c16 / 16;
        r->init = corr;
        groups(&v, r, 16, border, 0, acc, 16, TQ_DW_WB(16));
    }
    /* The rest as one group overlapping the one before: of 8 when it is at most 8, else
     * of 16 (or two of 8 when there are fewer than 16 channels in all). */
    if (rest > 8 && c < 16) {
        r->groups = 1;
        r->init = corr;
        groups(&v, r, 8, border, 0, acc, 8, TQ_DW_WB(8));
    }
    if (rest > 0) {
        const int g = rest > 8 && c >= 16 ? 16 : 8;
        r->groups = 1;
        r->init = corr + c - g;
        groups(&v, r, g, border, c - g, acc + c - g, g, TQ_DW_WB(g));
    }
}

/* With one group of 8 or 16 channels, three pixels side by side with their windows inside
 * run as three groups of one asm loop: 1 if done. */
static int row3(const tq_dwconv2d_params *p, const int8_t *in, int32_t pix, tq_dw_run *r,
                int32_t *acc)
{
    const int32_t c = p->in_c;
    if (c != 8 && c != 16) {
        return 0;
    }
    const int32_t oy = pix / p->out_w, ox = pix - oy * p->out_w;
    const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
    const int32_t ix2 = ix0 + 2 * p->stride_w;
    if (ox + 3 > p->out_w || first_inside(iy0, p->dil_h, p->k_h) ||
        end_inside(iy0, p->dil_h, p->k_h, p->in_h, 0) < p->k_h || ix0 < 0 ||
        end_inside(ix2, p->dil_w, p->k_w, p->in_w, 0) < p->k_w) {
        return 0;
    }
    const tq_dw_win v = {in + ((ptrdiff_t)iy0 * p->in_w + ix0) * c,
                         p->weights,
                         p->dil_w * c,
                         p->dil_h * p->in_w * c,
                         TQ_DW_WB(c),
                         TQ_DW_WB(p->k_w * c),
                         p->k_h,
                         p->k_w};
    r->groups = 3;
    groups(&v, r, c, 0, 0, acc, p->stride_w * c, 0);
    return 1;
}

#endif /* TQ_DW_MVE_H */
