/* Depthwise convolution on Helium (MVE), ch_mult == 1: eight channels per pass, activations
 * and weights widened to int16 lanes by VLDRB.S16, products widened to int32 by VMULLB /
 * VMULLT; padded taps multiply in_zp. Other channel multipliers use the reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include <arm_mve.h>
#include <stddef.h>
#include "tinyq.h"
#include "../tq_requant.h"
#include "../tq_window.h"

typedef struct {
    int32_t c, k_w, in_zp, xrow, xcol;
    int32_t ky0, ky1, kx0, kx1; /* inside part of the window */
    int32_t k_h, padded;
} tq_dwwin;

/* Eight channels per pass in int16 lanes: VMULLB / VMULLT multiply the even / odd lanes
 * into int32, so acc.e holds channels 0, 2, 4, 6 and acc.o channels 1, 3, 5, 7. */
typedef struct {
    int32x4_t e, o;
} tq_acc8;

static inline __attribute__((always_inline)) tq_acc8
mac8(tq_acc8 a, int16x8_t x, const int8_t *w, int tail, mve_pred16_t pr)
{
    const int16x8_t wv = tail ? vldrbq_z_s16(w, pr) : vldrbq_s16(w);
    a.e = vaddq_s32(a.e, vmullbq_int_s16(x, wv));
    a.o = vaddq_s32(a.o, vmulltq_int_s16(x, wv));
    return a;
}

/* All taps of channels [c0, c0 + 8), a predicated tail when fewer are left. Only predicates
 * computed by vctp at run time: GCC 12.2 miscompiles constant predicate masks. */
static inline __attribute__((always_inline)) tq_acc8
dw_taps(const tq_dwwin *g, const int8_t *x, const int8_t *w, tq_acc8 a, int tail,
        mve_pred16_t pr)
{
    const int8_t *xr = x;
    for (int32_t ky = g->ky0; ky < g->ky1; ky++) {
        const int8_t *wt = w + (ky * g->k_w + g->kx0) * g->c;
        const int8_t *xt = xr;
        for (int32_t kx = g->kx0; kx < g->kx1; kx++) {
            a = mac8(a, tail ? vldrbq_z_s16(xt, pr) : vldrbq_s16(xt), wt, tail, pr);
            xt += g->xcol;
            wt += g->c;
        }
        if (ky + 1 < g->ky1) {
            xr += g->xrow;
        }
    }
    if (!g->padded) {
        return a;
    }
    /* Padded taps: whole rows above and below the image, columns beside it. */
    const int16x8_t zv = vdupq_n_s16((int16_t)g->in_zp);
    for (int32_t ky = 0; ky < g->k_h; ky++) {
        const int row_in = ky >= g->ky0 && ky < g->ky1;
        const int32_t skip_from = row_in ? g->kx0 : g->k_w;
        for (int32_t kx = 0; kx < skip_from; kx++) {
            a = mac8(a, zv, w + (ky * g->k_w + kx) * g->c, tail, pr);
        }
        for (int32_t kx = row_in ? g->kx1 : g->k_w; kx < g->k_w; kx++) {
            a = mac8(a, zv, w + (ky * g->k_w + kx) * g->c, tail, pr);
        }
    }
    return a;
}

/* Exact vector form of tq_requant for shift >= 33 (see tq_conv2d_s8_mve.c): VMULH, then
 * VRSHL by -(shift - 32). `idx` is {0, 2, 4, 6}: the gathers pick even or odd channels. */
static inline __attribute__((always_inline)) int32x4_t
dw_requant(const tq_dwconv2d_params *p, int32x4_t acc, int32_t c, uint32x4_t idx,
           mve_pred16_t pr)
{
    const int32x4_t m = vldrwq_gather_shifted_offset_z_s32(p->mult + c, idx, pr);
    const int32x4_t sh = vldrbq_gather_offset_z_s32(p->shift + c, idx, pr);
    int32x4_t r = vrshlq_s32(vmulhq_s32(acc, m), vsubq_s32(vdupq_n_s32(32), sh));
    r = vaddq_s32(r, vdupq_n_s32(p->out_zp));
    return vminq_s32(vmaxq_s32(r, vdupq_n_s32(p->act_min)), vdupq_n_s32(p->act_max));
}

static inline __attribute__((always_inline)) void
dw_block(const tq_dwconv2d_params *p, const tq_dwwin *g, const int8_t *x, int32_t c0,
         int32_t n, int vec, int tail, int8_t *o)
{
    const mve_pred16_t pr = vctp16q((uint32_t)n);
    const mve_pred16_t pe = vctp32q((uint32_t)(n + 1) / 2);
    const mve_pred16_t po = vctp32q((uint32_t)n / 2);
    const int32_t c1 = c0 + (n > 1); /* first odd channel (unused when n == 1) */
    const uint32x4_t idx = vidupq_n_u32(0, 2);
    tq_acc8 a;
    a.e = vldrwq_gather_shifted_offset_z_s32(p->bias + c0, idx, pe);
    a.o = vldrwq_gather_shifted_offset_z_s32(p->bias + c1, idx, po);
    a = dw_taps(g, x + c0, p->weights + c0, a, tail, pr);
    if (vec) {
        int16x8_t r = vdupq_n_s16(0);
        r = vmovnbq_s32(r, dw_requant(p, a.e, c0, idx, pe));
        r = vmovntq_s32(r, dw_requant(p, a.o, c1, idx, po));
        if (tail) {
            vstrbq_p_s16(o + c0, r, pr);
        } else {
            vstrbq_s16(o + c0, r);
        }
        return;
    }
    int32_t e[4], od[4];
    vst1q_s32(e, a.e);
    vst1q_s32(od, a.o);
    for (int32_t j = 0; j < n; j++) {
        const int32_t acc = (j & 1) ? od[j / 2] : e[j / 2];
        const int32_t v = tq_requant(acc, p->mult[c0 + j], p->shift[c0 + j]);
        o[c0 + j] = tq_clamp_s8(p->out_zp + v, p->act_min, p->act_max);
    }
}

static int shifts_above_32(const int8_t *shift, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        if (shift[i] <= 32) {
            return 0;
        }
    }
    return 1;
}

void tq_dwconv2d_s8_mve(const tq_dwconv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out)
{
    if (p->ch_mult != 1) {
        tq_dwconv2d_s8(p, in, out);
        return;
    }
    const int32_t c = p->in_c;
    const int32_t c8 = c & ~7;
    const int vec = shifts_above_32(p->shift, c);
    tq_dwwin g;
    g.c = c;
    g.k_w = p->k_w;
    g.k_h = p->k_h;
    g.in_zp = p->in_zp;
    g.xrow = p->dil_h * p->in_w * c;
    g.xcol = p->dil_w * c;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        g.ky0 = first_inside(iy0, p->dil_h, p->k_h);
        g.ky1 = end_inside(iy0, p->dil_h, p->k_h, p->in_h, g.ky0);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            g.kx0 = first_inside(ix0, p->dil_w, p->k_w);
            g.kx1 = end_inside(ix0, p->dil_w, p->k_w, p->in_w, g.kx0);
            g.padded = g.ky0 > 0 || g.ky1 < p->k_h || g.kx0 > 0 || g.kx1 < p->k_w;
            if (g.kx0 == g.kx1) {
                g.ky1 = g.ky0; /* no inside column: every tap is padding */
            }
            const int8_t *x = in;
            if (g.ky1 > g.ky0) {
                const int32_t iy = iy0 + g.ky0 * p->dil_h;
                x = in + ((ptrdiff_t)iy * p->in_w + ix0 + g.kx0 * p->dil_w) * c;
            }
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * c;
            for (int32_t c0 = 0; c0 < c8; c0 += 8) {
                dw_block(p, &g, x, c0, 8, vec, 0, o);
            }
            if (c8 < c) {
                dw_block(p, &g, x, c8, c - c8, vec, 1, o);
            }
            g.ky1 = end_inside(iy0, p->dil_h, p->k_h, p->in_h, g.ky0);
        }
    }
}
#endif /* TQ_HAS_MVE */
