/* Average pooling on the Cortex-M DSP extension: four channels per word, summed by SXTAB16
 * into two int16 pairs (c0, c2) / (c1, c3), two instructions per four channels per window
 * position. |x| <= 128, so 255 positions fit an int16 lane; longer windows move the pairs
 * into int32 sums between rows (a window row longer than 255: channels one by one). Then
 * the reference's arithmetic per channel: acc = sum - valid * in_zp, the divisor's
 * multiplier, tq_requant, clamp. Pixel by pixel, each group of four channels written after
 * its window was read, so out == in (in place, tinyq.h) stays safe; no restrict, loads by
 * memcpy. Channels past the last multiple of 4 one by one. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_pool_window.h"
#include "../tq_requant.h"

#define LANE_MAX 255 /* positions an int16 lane holds: 255 * 128 < 2^15 */

/* sum[0..3] += the int16 pairs e = (c0, c2), o = (c1, c3). */
static void flush(int32_t sum[4], uint32_t e, uint32_t o)
{
    sum[0] += (int16_t)e;
    sum[2] += (int16_t)(e >> 16);
    sum[1] += (int16_t)o;
    sum[3] += (int16_t)(o >> 16);
}

void tq_avgpool2d_s8_dsp(const tq_avgpool2d_params *p, const int8_t *in, int8_t *out)
{
    const int32_t ch = p->c, c4 = ch & ~3;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        TQ_POOL_AXIS(h0, h1, span_h, oy, p->stride_h, p->pad_h, p->k_h, p->in_h);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            TQ_POOL_AXIS(w0, w1, span_w, ox, p->stride_w, p->pad_w, p->k_w, p->in_w);
            const int32_t valid = (h1 - h0) * (w1 - w0);
            const int32_t d = p->count_include_pad ? span_h * span_w : valid;
            const int32_t mult = p->mult[d], shift = p->shift[d];
            const int32_t zsum = valid * p->in_zp;
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * ch;
            const int8_t *x0 = in + ((size_t)h0 * p->in_w + w0) * ch;
            /* A window row longer than a lane holds: every channel one by one (rare). */
            const int32_t cv = w1 - w0 > LANE_MAX ? 0 : c4;
            for (int32_t c = 0; c < cv; c += 4) {
                int32_t sum[4] = {0, 0, 0, 0};
                uint32_t e = 0, od = 0;
                int32_t pending = 0;
                const int8_t *r = x0 + c;
                for (int32_t iy = h0; iy < h1; iy++, r += (size_t)p->in_w * ch) {
                    if (pending + (w1 - w0) > LANE_MAX) {
                        flush(sum, e, od);
                        e = od = 0;
                        pending = 0;
                    }
                    const int8_t *x = r;
                    for (int32_t ix = w0; ix < w1; ix++, x += ch) {
                        const uint32_t v = tq_load4(x);
                        e = (uint32_t)__sxtab16((int16x2_t)e, (int8x4_t)v);
                        od = (uint32_t)__sxtab16((int16x2_t)od, (int8x4_t)tq_ror8(v));
                    }
                    pending += w1 - w0;
                }
                flush(sum, e, od);
                uint32_t word = 0;
                for (int32_t l = 3; l >= 0; l--) {
                    const int32_t y = tq_clamp_s8(p->out_zp + tq_requant(sum[l] - zsum, mult,
                                                                         shift),
                                                  p->act_min, p->act_max);
                    word = word << 8 | (uint8_t)y;
                }
                tq_store4(o + c, word);
            }
            for (int32_t c = cv; c < ch; c++) {
                int32_t acc = 0;
                for (int32_t iy = h0; iy < h1; iy++) {
                    for (int32_t ix = w0; ix < w1; ix++) {
                        acc += in[((size_t)iy * p->in_w + ix) * ch + c];
                    }
                }
                o[c] = tq_clamp_s8(p->out_zp + tq_requant(acc - zsum, mult, shift),
                                   p->act_min, p->act_max);
            }
        }
    }
}
#endif /* TQ_HAS_DSP */
