/* Depthwise convolution with int4 weights on Helium (MVE): tq_dwconv2d_s8_mve (the group
 * and tap loops of tq_dw_mve.h, the padded taps as in_zp times their weights) with each
 * tap's eight weights unpacked in registers from four bytes: VLDRB.U32 puts byte j in
 * 32-bit lane j, VSHL #12 and VSLI #24 bring its low nibble to the top of the lane's low
 * half and its high nibble to the top of the high half, VSHR.S16 #12 sign-extends both:
 * int16 lanes of channels 2 j, 2 j + 1. Needs an even channel count (every tap starts on a
 * byte); odd counts, other multipliers, fewer than 8 channels, above 7x7: the reference. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include "tinyq.h"
#include "../tq_mve.h"

/* A tap's eight int4 weights from four bytes (see the top of the file). */
#define TQ_DW_WLOAD(COFF, BOFF)                                                          \
    "vldrb.u32 q5, [%[w], #" BOFF "]\n"                                                  \
    "vshl.i32 q6, q5, #12\n"                                                             \
    "vsli.32 q6, q5, #24\n"                                                              \
    "vshr.s16 q5, q6, #12\n"
#define TQ_DW_WB(n) ((n) / 2)
static inline int16x8_t tq_dw_w8(const int8_t *w)
{
    const uint32x4_t b = vldrbq_u32((const uint8_t *)w);
    const uint32x4_t h = vsliq_n_u32(vshlq_n_u32(b, 12), b, 24);
    return vshrq_n_s16(vreinterpretq_s16_u32(h), 12);
}
#include "../tq_dw_mve.h"

void tq_dwconv2d_s8s4_mve(const tq_dwconv2d_params *p, const int8_t *restrict in,
                          int8_t *restrict out, int8_t *restrict scratch)
{
    const int32_t c = p->in_c;
    if (p->ch_mult != 1 || c < 8 || (c & 1) || p->k_h * p->k_w > TQ_DW_MAX_TAPS) {
        tq_dwconv2d_s8s4(p, in, out);
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
