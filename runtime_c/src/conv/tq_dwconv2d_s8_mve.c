/* Depthwise convolution on Helium (MVE), ch_mult == 1, at least 8 channels, up to 7x7: per
 * output pixel one asm loop runs over the channel groups of 16 (or one group of 8), and in
 * each over the taps: activations and weights widened to int16 lanes by VLDRB.S16, products
 * widened to int32 by VMULLB / VMULLT (even / odd channels in separate accumulators,
 * re-interleaved by VST20/VST21 into scratch). The last group overlaps the one before
 * rather than running short. A pixel whose window reaches into the padding runs only its
 * inside taps, on x - in_zp, from in_zp * (sum of all the channel's weights) (computed once
 * per call): the same sum as in_zp in every padded tap, with nothing copied. Three pixels'
 * sums are requantized together (tq_mve_requant3). Other channel multipliers, fewer
 * channels, larger kernels: the reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include "tinyq.h"
#include "../tq_mve.h"

/* A tap's eight int8 weights, widened as they load. */
#define TQ_DW_WLOAD(COFF, BOFF) "vldrb.s16 q5, [%[w], #" COFF "]\n"
#define TQ_DW_WB(n) (n)
static inline int16x8_t tq_dw_w8(const int8_t *w)
{
    return vldrbq_s16(w);
}
#include "../tq_dw_mve.h"

void tq_dwconv2d_s8_mve(const tq_dwconv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch)
{
    const int32_t c = p->in_c;
    if (p->ch_mult != 1 || c < 8 || p->k_h * p->k_w > TQ_DW_MAX_TAPS) {
        tq_dwconv2d_s8(p, in, out);
        return;
    }
    const int32_t stride = (c + 3) & ~3;
    int32_t *acc = (int32_t *)(void *)scratch;
    int32_t *corr = acc + 3 * stride;
    zp_sums(p, corr);
    const tq_mve_rq rq = {p->bias, p->mult, p->shift, c, p->out_zp, p->act_min, p->act_max,
                          !tq_mve_shifts_above_32(p->shift, c)};
    tq_dw_run r;
    const int32_t npix = p->out_h * p->out_w;
    for (int32_t s = 0; s < npix; s += 3) {
        /* Three pixels per requantization pass. With k < 3 left they take the last k
         * slots; the slots before store into the first one's output ahead of it (the
         * requantization stores pixel 0, 1, 2 of each four channels in turn). */
        const int k = npix - s < 3 ? (int)(npix - s) : 3;
        int8_t *o[3];
        if (k == 3 && row3(p, in, s, &r, acc)) {
            for (int i = 0; i < 3; i++) {
                o[i] = out + (size_t)(s + i) * c;
            }
            tq_mve_requant3(&rq, acc, stride, o);
            continue;
        }
        for (int i = 3 - k; i < 3; i++) {
            const int32_t pix = s + i - (3 - k);
            const int32_t oy = pix / p->out_w, ox = pix - oy * p->out_w;
            pixel(p, in, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left, &r,
                  corr, acc + i * stride);
            o[i] = out + (size_t)pix * c;
        }
        for (int i = 0; i < 3 - k; i++) {
            o[i] = o[3 - k];
        }
        tq_mve_requant3(&rq, acc, stride, o);
    }
}
#endif /* TQ_HAS_MVE */
