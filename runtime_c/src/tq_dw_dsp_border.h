/*
 * tq_dw_dsp_border.h - the windows that cross the border for the DSP depthwise engine
 * (tq_dw_dsp.h, point 3): border rows and columns over their valid taps only, from a
 * bias holding the padded taps' in_zp * w, single pixels (gathered lanes too), and the
 * 3x3 border columns of one- or two-row bands (with tq_dw_dsp_block.h's asm taps).
 * Internal to the runtime.
 */
#ifndef TQ_DW_DSP_BORDER_H
#define TQ_DW_DSP_BORDER_H

#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tq_dw_dsp_block.h"
#include "tq_dw_dsp_group.h"

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

/* One output pixel of a contiguous group, its 3x3 window's rows inside and its left
 * (kx0 = 1) or right (kx0 = 0) column padding: x at its tap (0, kx0)'s pixel. The padded
 * column adds in_zp * its weights to the bias; the six other taps run in asm. */
static void __attribute__((noinline, unused))
tq_dw_edge3x3(const tq_dwconv2d_params *p, const tq_dw_group *g, const int8_t *x,
              int32_t kx0, int8_t *o)
{
    const uint32_t(*pad)[2] = g->w + (kx0 == 1 ? 0 : 2);
    const int16x2_t s02 = __sadd16(__sadd16((int16x2_t)pad[0][0], (int16x2_t)pad[3][0]),
                                   (int16x2_t)pad[6][0]);
    const int16x2_t s13 = __sadd16(__sadd16((int16x2_t)pad[0][1], (int16x2_t)pad[3][1]),
                                   (int16x2_t)pad[6][1]);
    /* Unsigned: wraps like the SMLA sums it starts, whose final values fit in int32. */
    const uint32_t zp = (uint32_t)p->in_zp;
    int32_t a0 = (int32_t)((uint32_t)g->bias[0] + zp * (uint32_t)(int16_t)s02);
    int32_t a1 = (int32_t)((uint32_t)g->bias[1] + zp * (uint32_t)(int16_t)s13);
    int32_t a2 = (int32_t)((uint32_t)g->bias[2] + zp * (uint32_t)(int16_t)((uint32_t)s02 >> 16));
    int32_t a3 = (int32_t)((uint32_t)g->bias[3] + zp * (uint32_t)(int16_t)((uint32_t)s13 >> 16));
    tq_dw_taps3x2(x, p->dil_w * p->in_c, p->dil_h * p->in_w * p->in_c, g->w + kx0, &a0, &a1,
                  &a2, &a3);
    tq_store4(o, g->fast ? tq_dw_requant4(g, a0, a1, a2, a3)
                         : tq_dw_requant4_slow(g, a0, a1, a2, a3));
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

#endif /* TQ_HAS_DSP */
#endif /* TQ_DW_DSP_BORDER_H */
