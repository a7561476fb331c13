/* Depthwise convolution for 32-bit cores without DSP / MVE / RVV (Cortex-M0+ / M3, rv32imc).
 *
 * Four channels at a time, each block over every pixel: at each tap the activations of
 * channels c .. c + 3 and their weights are adjacent bytes (NHWC input, [k_h][k_w][out_c]
 * weights), so one pointer per stream serves four products through immediate offsets.
 * Windows wholly inside the input skip every bounds test; a border window reads its
 * padded taps from a 4-byte copy of in_zp, one test per tap. Channels past the last
 * multiple of 4, and every channel when ch_mult is not 1, go one at a time. */
#include "tq_isa.h"

#if TQ_HAS_SCALAR
#include "tinyq.h"
#include "../tq_scalar.h"

/* Taps of channels c .. c + 3 for a window inside the input: x at its top-left pixel,
 * channel c; w at weights + c. */
static void taps_generic(const tq_dwconv2d_params *p, const int8_t *x, const int8_t *w,
                         int32_t acc[4])
{
    const int32_t tap_step = p->dil_w * p->in_c;
    const int32_t row_step = p->dil_h * p->in_w * p->in_c - p->k_w * tap_step;
    const int32_t w_step = p->out_c;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t ky = 0; ky < p->k_h; ky++, x += row_step) {
        for (int32_t kx = 0; kx < p->k_w; kx++, x += tap_step, w += w_step) {
            a0 += (int32_t)x[0] * w[0];
            a1 += (int32_t)x[1] * w[1];
            a2 += (int32_t)x[2] * w[2];
            a3 += (int32_t)x[3] * w[3];
        }
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

#if defined(__thumb__) && !defined(__thumb2__)
/* s[j] += channel j's taps over one kernel row of n taps (n > 0), x and w at channel 0 of
 * the row's first tap, both stepping `step` bytes per tap. With ch_mult 1 and dil_w 1 the
 * activations and the weights share that stride (in_c = out_c), so on ARMv6-M, whose LDRSB
 * takes a register offset only, one index reaches both: 5 instructions per MAC plus 3 per
 * tap, where GCC's code took about 9 per MAC. */
static inline void row4(const int8_t *x, const int8_t *w, int32_t step, int32_t n,
                        int32_t s[4])
{
    int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    int32_t i = 0, u, k;
    const int32_t skip = step - 3;
    __asm__ volatile(
        ".syntax unified\n"
        "1:\n\t"
        "ldrsb %[u], [%[x], %[i]]\n\t"
        "ldrsb %[k], [%[w], %[i]]\n\t"
        "muls %[k], %[u]\n\t"
        "add %[s0], %[k]\n\t"
        "adds %[i], #1\n\t"
        "ldrsb %[u], [%[x], %[i]]\n\t"
        "ldrsb %[k], [%[w], %[i]]\n\t"
        "muls %[k], %[u]\n\t"
        "add %[s1], %[k]\n\t"
        "adds %[i], #1\n\t"
        "ldrsb %[u], [%[x], %[i]]\n\t"
        "ldrsb %[k], [%[w], %[i]]\n\t"
        "muls %[k], %[u]\n\t"
        "add %[s2], %[k]\n\t"
        "adds %[i], #1\n\t"
        "ldrsb %[u], [%[x], %[i]]\n\t"
        "ldrsb %[k], [%[w], %[i]]\n\t"
        "muls %[k], %[u]\n\t"
        "add %[s3], %[k]\n\t"
        "adds %[i], %[i], %[skip]\n\t"
        "subs %[n], #1\n\t"
        "bne 1b\n\t"
        ".syntax divided"
        : [s0] "+h"(s0), [s1] "+h"(s1), [s2] "+h"(s2), [s3] "+h"(s3), [i] "+l"(i),
          [n] "+l"(n), [u] "=&l"(u), [k] "=&l"(k)
        : [x] "l"(x), [w] "l"(w), [skip] "l"(skip)
        : "cc", "memory");
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
}

/* Taps of channels c .. c + 3 for a window inside the input: x at its top-left pixel,
 * channel c; w at weights + c. */
static void taps_inside(const tq_dwconv2d_params *p, const int8_t *x, const int8_t *w,
                        int32_t acc[4])
{
    if (p->dil_w != 1) {
        taps_generic(p, x, w, acc);
        return;
    }
    const int32_t row_step = p->dil_h * p->in_w * p->in_c;
    const int32_t w_row = p->k_w * p->out_c;
    for (int32_t ky = 0; ky < p->k_h; ky++, x += row_step, w += w_row) {
        row4(x, w, p->in_c, p->k_w, acc);
    }
}
#else
static void taps_inside(const tq_dwconv2d_params *p, const int8_t *x, const int8_t *w,
                        int32_t acc[4])
{
    taps_generic(p, x, w, acc);
}
#endif

/* The same for a window that crosses the border: padded taps read zp4 (in_zp x 4). */
static void taps_border(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0,
                        int32_t ix0, int32_t c, const int8_t *zp4, int32_t acc[4])
{
    const int8_t *w = p->weights + c;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        const int row_inside = iy >= 0 && iy < p->in_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, w += p->out_c) {
            const int32_t ix = ix0 + kx * p->dil_w;
            const int8_t *x = zp4;
            if (row_inside && ix >= 0 && ix < p->in_w) {
                x = in + ((size_t)iy * p->in_w + ix) * p->in_c + c;
            }
            a0 += (int32_t)x[0] * w[0];
            a1 += (int32_t)x[1] * w[1];
            a2 += (int32_t)x[2] * w[2];
            a3 += (int32_t)x[3] * w[3];
        }
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Output channel oc (reading input channel oc / ch_mult) of the window at (iy0, ix0),
 * without bias. */
static int32_t one_channel(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0,
                           int32_t ix0, int32_t oc)
{
    const int32_t ic = oc / p->ch_mult;
    const int8_t *w = p->weights + oc;
    int32_t acc = 0;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = iy0 + ky * p->dil_h;
        const int row_inside = iy >= 0 && iy < p->in_h;
        for (int32_t kx = 0; kx < p->k_w; kx++, w += p->out_c) {
            const int32_t ix = ix0 + kx * p->dil_w;
            int32_t v = p->in_zp;
            if (row_inside && ix >= 0 && ix < p->in_w) {
                v = in[((size_t)iy * p->in_w + ix) * p->in_c + ic];
            }
            acc += v * *w;
        }
    }
    return acc;
}

void tq_dwconv2d_s8_scalar(const tq_dwconv2d_params *p, const int8_t *restrict in,
                           int8_t *restrict out)
{
    const int32_t c4 = p->ch_mult == 1 ? p->in_c & ~3 : 0;
    const int32_t span_h = (p->k_h - 1) * p->dil_h;
    const int32_t span_w = (p->k_w - 1) * p->dil_w;
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    const int8_t zp4[4] = {(int8_t)p->in_zp, (int8_t)p->in_zp, (int8_t)p->in_zp,
                           (int8_t)p->in_zp};
    /* Channels outer, pixels inner: a block's requantization constants are worked out
     * once per layer, not once per pixel. */
    for (int32_t c = 0; c < c4; c += 4) {
        tq_sc_rq rq[4];
        for (int32_t j = 0; j < 4; j++) {
            rq[j] = tq_sc_rq_of(p->mult[c + j], p->shift[c + j]);
        }
        int8_t *o = out + c;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int rows_inside = iy0 >= 0 && iy0 + span_h < p->in_h;
            for (int32_t ox = 0; ox < p->out_w; ox++, o += p->out_c) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int32_t acc[4] = {p->bias[c], p->bias[c + 1], p->bias[c + 2], p->bias[c + 3]};
                if (rows_inside && ix0 >= 0 && ix0 + span_w < p->in_w) {
                    taps_inside(p, in + ((size_t)iy0 * p->in_w + ix0) * p->in_c + c,
                                p->weights + c, acc);
                } else {
                    taps_border(p, in, iy0, ix0, c, zp4, acc);
                }
                for (int32_t j = 0; j < 4; j++) {
                    o[j] = tq_sc_store(acc[j], &rq[j], zp, lo, hi);
                }
            }
        }
    }
    for (int32_t oc = c4; oc < p->out_c; oc++) {
        const tq_sc_rq rq = tq_sc_rq_of(p->mult[oc], p->shift[oc]);
        int8_t *o = out + oc;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            for (int32_t ox = 0; ox < p->out_w; ox++, o += p->out_c) {
                const int32_t acc = p->bias[oc] + one_channel(p, in, oy * p->stride_h - p->pad_top,
                                                              ox * p->stride_w - p->pad_left, oc);
                *o = tq_sc_store(acc, &rq, zp, lo, hi);
            }
        }
    }
}
#endif /* TQ_HAS_SCALAR */
