/* Average pooling on the RISC-V vector extension 1.0 (GNU inline assembly; see
 * tq_conv2d_s8_rvv.c for why no vector register is clobbered or live across statements).
 *
 * Channels are lanes. A window of at most 255 taps sums its raw activations in int16 lanes
 * (VWADD.WV of each tap's bytes; the sum lies in [-128 * 255, 127 * 255]), then widens to
 * int32, subtracts taps * in_zp (the reference sums x - in_zp) and requantizes with the
 * window's multiplier as tq_rvv_requant does. A window whose divisor has a shift below 32
 * is done in scalar code; kernels of more than 255 taps use the reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_pool_window.h"
#include "../tq_requant.h"
#include "../tq_rvv.h"

#define MAX_TAPS 255

/* One window's outputs for the first vl of n channels from x (window's top-left tap):
 * rows x cols taps, x_row bytes from one row's first tap to the next; returns vl. */
static int32_t window_mean(const int8_t *x, int32_t rows, int32_t cols, int32_t c,
                           int32_t x_row, int32_t n, int32_t zp_sum, int32_t mult, int32_t d,
                           const tq_avgpool2d_params *p, int8_t *o)
{
    const int8_t *xp;
    int32_t vl, k;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e8, m2, ta, ma\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
        "vmv.v.i v8, 0\n\t"
        "vsetvli zero, %[vl], e8, m2, ta, ma\n\t"
        "beqz %[cols], 3f\n\t"
        "beqz %[rows], 3f\n"
        "1:\n\t"
        "mv %[xp], %[x]\n\t"
        "mv %[k], %[cols]\n"
        "2:\n\t"
        "vle8.v v0, (%[xp])\n\t"
        "vwadd.wv v8, v8, v0\n\t"
        "add %[xp], %[xp], %[c]\n\t"
        "addi %[k], %[k], -1\n\t"
        "bnez %[k], 2b\n\t"
        "add %[x], %[x], %[xr]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 1b\n"
        "3:\n\t"
        "csrwi vxrm, 0\n\t"
        "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
        "vsext.vf2 v16, v8\n\t"
        "vsub.vx v16, v16, %[zs]\n\t"
        "vmulh.vx v24, v16, %[m]\n\t"
        "vmul.vx v16, v16, %[m]\n\t"
        "vadd.vv v24, v24, v24\n\t"
        "vsrl.vi v16, v16, 31\n\t"
        "vor.vv v24, v24, v16\n\t"
        "vssra.vx v24, v24, %[d]\n\t"
        "vadd.vx v24, v24, %[ozp]\n\t"
        "vmax.vx v24, v24, %[lo]\n\t"
        "vmin.vx v24, v24, %[hi]\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
        "vnsrl.wi v16, v24, 0\n\t"
        "vsetvli zero, %[vl], e8, m2, ta, ma\n\t"
        "vnsrl.wi v0, v16, 0\n\t"
        "vse8.v v0, (%[o])"
        : [x] "+r"(x), [rows] "+r"(rows), [xp] "=&r"(xp), [vl] "=&r"(vl), [k] "=&r"(k)
        : [n] "r"(n), [cols] "r"(cols), [c] "r"(c), [xr] "r"(x_row), [zs] "r"(zp_sum),
          [m] "r"(mult), [d] "r"(d), [ozp] "r"(p->out_zp), [lo] "r"(p->act_min),
          [hi] "r"(p->act_max), [o] "r"(o)
        : "memory");
    return vl;
}

/* The reference's arithmetic for one window. */
static void scalar_mean(const tq_avgpool2d_params *p, const int8_t *in, int32_t h0, int32_t h1,
                        int32_t w0, int32_t w1, int32_t d, int8_t *o)
{
    for (int32_t ch = 0; ch < p->c; ch++) {
        int32_t acc = 0;
        for (int32_t iy = h0; iy < h1; iy++) {
            for (int32_t ix = w0; ix < w1; ix++) {
                acc += in[((size_t)iy * p->in_w + ix) * p->c + ch] - p->in_zp;
            }
        }
        o[ch] = tq_clamp_s8(p->out_zp + tq_requant(acc, p->mult[d], p->shift[d]), p->act_min,
                            p->act_max);
    }
}

void tq_avgpool2d_s8_rvv(const tq_avgpool2d_params *p, const int8_t *in, int8_t *out)
{
    if (p->k_h * p->k_w > MAX_TAPS) {
        tq_avgpool2d_s8(p, in, out);
        return;
    }
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        TQ_POOL_AXIS(h0, h1, span_h, oy, p->stride_h, p->pad_h, p->k_h, p->in_h);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            TQ_POOL_AXIS(w0, w1, span_w, ox, p->stride_w, p->pad_w, p->k_w, p->in_w);
            const int32_t taps = (h1 - h0) * (w1 - w0);
            const int32_t d = p->count_include_pad ? span_h * span_w : taps;
            const int8_t *x = in + ((size_t)h0 * p->in_w + w0) * p->c;
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->c;
            if (p->shift[d] < 32) {
                scalar_mean(p, in, h0, h1, w0, w1, d, o);
                continue;
            }
            for (int32_t c0 = 0; c0 < p->c;) {
                c0 += window_mean(x + c0, h1 - h0, w1 - w0, p->c, p->in_w * p->c, p->c - c0,
                                  taps * p->in_zp, p->mult[d], p->shift[d] - 31, p, o + c0);
            }
        }
    }
}
#endif /* TQ_HAS_RVV */
