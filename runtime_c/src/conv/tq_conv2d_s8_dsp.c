/* Convolution on the Cortex-M DSP extension: two output channels per pass share each
 * activation load; taps inside the image use SMLAD dot products over the input channels,
 * padded taps add in_zp * w. Grouped convolutions use the reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_DSP
#include "tinyq.h"
#include "../tq_dsp.h"
#include "../tq_requant.h"

static int32_t tap_tail(const int8_t *x, const int8_t *w, int32_t from, int32_t n, int32_t acc)
{
    for (int32_t i = from; i < n; i++) {
        acc += (int32_t)x[i] * w[i];
    }
    return acc;
}

static int32_t pad_sum(int32_t zp, const int8_t *w, int32_t n, int32_t acc)
{
    for (int32_t i = 0; i < n; i++) {
        acc += zp * w[i];
    }
    return acc;
}

void tq_conv2d_s8_dsp(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out)
{
    if (p->groups != 1) {
        tq_conv2d_s8(p, in, out);
        return;
    }
    const int32_t cin = p->in_c;
    const int32_t cin4 = cin & ~3;
    const int32_t fsz = p->k_h * p->k_w * cin;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t oc = 0; oc < p->out_c; oc += 2) {
                const int pair = oc + 1 < p->out_c;
                const int8_t *w0 = p->weights + (size_t)oc * fsz;
                const int8_t *w1 = pair ? w0 + fsz : w0;
                int32_t acc0 = p->bias[oc];
                int32_t acc1 = pair ? p->bias[oc + 1] : 0;
                for (int32_t ky = 0; ky < p->k_h; ky++) {
                    const int32_t iy = iy0 + ky * p->dil_h;
                    for (int32_t kx = 0; kx < p->k_w; kx++) {
                        const int32_t ix = ix0 + kx * p->dil_w;
                        const int32_t t = (ky * p->k_w + kx) * cin;
                        if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                            acc0 = pad_sum(p->in_zp, w0 + t, cin, acc0);
                            acc1 = pad_sum(p->in_zp, w1 + t, cin, acc1);
                            continue;
                        }
                        const int8_t *x = in + ((size_t)iy * p->in_w + ix) * cin;
                        tq_dot2_s8(x, w0 + t, w1 + t, cin4, &acc0, &acc1);
                        acc0 = tap_tail(x, w0 + t, cin4, cin, acc0);
                        acc1 = tap_tail(x, w1 + t, cin4, cin, acc1);
                    }
                }
                o[oc] = tq_clamp_s8(p->out_zp + tq_requant(acc0, p->mult[oc], p->shift[oc]),
                                    p->act_min, p->act_max);
                if (pair) {
                    o[oc + 1] = tq_clamp_s8(
                        p->out_zp + tq_requant(acc1, p->mult[oc + 1], p->shift[oc + 1]),
                        p->act_min, p->act_max);
                }
            }
        }
    }
}
#endif /* TQ_HAS_DSP */
