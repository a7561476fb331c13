/*
 * tq_dw_dsp.h - the depthwise convolution engine of the Cortex-M DSP variants
 * (tq_dwconv2d_s8_dsp, tq_dwconv2d_s8s4_dsp); internal to the runtime.
 *
 * 1. Output channels are taken four at a time, and each group runs over the whole image
 *    before the next: its weights, widened once to int16 pairs (c0, c2) / (c1, c3), and
 *    its bias, multipliers and shifts sit in a small stack block (tq_dw_group), so the tap
 *    loop widens no weights (int4 weights cost the same as int8 there) and nothing
 *    reloads per-channel constants from scattered arrays. The planner may call the
 *    kernel once per output row (in place by rows), so this per-call widening counts:
 *    int4 weights come in the converter's DSP layout (tinyq.h), unpacked by masks.
 * 2. Per tap: one activation word widened by SXTB16 into the same pairs, four products by
 *    SMLABB / SMLATT (SMLAD would add two channels together).
 * 3. The block of windows wholly inside the image runs without bounds tests (3x3 in asm).
 *    Border rows and columns run over their valid taps only, from a bias that already
 *    holds in_zp * (the padded taps' weights): one constant per border row or column
 *    (tq_dw_clipped), or per pixel for short runs (tq_dw_pixel_border). A row band of
 *    one or two rows (in place by rows: every call) has its 3x3 border columns, one
 *    column of taps padded, in asm (tq_dw_edge3x3). Channel multipliers > 1 and a last
 *    group of fewer than 4 channels gather their lanes byte by byte (tq_dw_pixel_border
 *    for every pixel).
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
#include "tq_dw_dsp_group.h"  /* the group block, its fill and requantization */
#include "tq_dw_dsp_block.h"  /* windows inside the image */
#include "tq_dw_dsp_border.h" /* windows crossing the border */
#include <stddef.h>

/* The kernel: int4 selects int4 weights in tq_dwconv2d_s8s4_dsp's layout (tinyq.h), which
 * keeps the packed array above TQ_DW_MAX_TAPS taps for the reference kernel. */
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
            int32_t kx0, kx1;
            tq_dw_clip(ix0, p->k_w, p->dil_w, p->in_w, &kx0, &kx1);
            if (inside_rows <= 2) { /* too few pixels to pay for tq_dw_clipped's setup */
                const int edge = p->k_h == 3 && p->k_w == 3 && kx1 - kx0 == 2;
                for (int32_t r = 0; r < inside_rows; r++) {
                    int8_t *o = orow + ((size_t)r * p->out_w + ox) * p->out_c;
                    if (edge) { /* one column padded: in-place row bands hit it per call */
                        tq_dw_edge3x3(p, &g, xrow + ((size_t)r * p->stride_h * p->in_w + ix0
                                                     + kx0 * p->dil_w) * p->in_c, kx0, o);
                    } else {
                        tq_dw_pixel_border(p, &g, in, iy0 + r * p->stride_h, ix0, 0, p->k_h,
                                           0, o);
                    }
                }
                continue;
            }
            const int32_t ix = kx1 > kx0 ? ix0 + kx0 * p->dil_w : 0;
            tq_dw_clipped(p, &g, xrow + (size_t)ix * p->in_c, inside_rows,
                          p->stride_h * p->in_w * p->in_c, p->out_w * p->out_c, 0, p->k_h,
                          kx0, kx1, orow + (size_t)ox * p->out_c);
        }
    }
}

#endif /* TQ_HAS_DSP */
#endif /* TQ_DW_DSP_H */
