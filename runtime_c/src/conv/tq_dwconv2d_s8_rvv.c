/* Depthwise convolution on the RISC-V vector extension 1.0 (GNU inline assembly; see
 * tq_conv2d_s8_rvv.c for why no vector register is clobbered or live across statements).
 *
 * Channels are the vector lanes: per tap, VLE8 loads a channel run of activations and of
 * weights (both contiguous in NHWC / 1HWC), VSEXT widens both to int16 and VWMACC.VV adds
 * their products into int32 lanes, one accumulator per channel. A window is a rectangle of
 * taps: the taps inside the image are one rectangle read from the input, the padded taps
 * up to four rectangles read from a buffer full of in_zp, all summed into the same lanes.
 * An even channel count goes as channel pairs (VLSEG2E8 splits even and odd channels into
 * two groups of lanes: 64 channels per pass at VLEN 128). With 16 channels or fewer, the
 * pixels of a row whose windows lie inside the image horizontally go as (pixel, channel)
 * lanes instead (tq_rvv_dw_pix_run). Channel multipliers other than 1 use the reference kernel.
 * Needs VLEN >= 128. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_requant.h"
#include "../tq_rvv.h"
#include "../tq_rvv_dwlanes.h"

#define CH_CHUNK 64 /* channels per pass: int32 sums on the stack, bytes of in_zp */

/* Few channels: lane i is channel i % ch of pixel i / ch, so a pass covers n lanes of whole
 * pixels. Per tap an indexed load gathers the pixels' activations and another repeats the
 * tap's ch weights across the pixels (indexed loads move SEW-wide data, so the loads run
 * at e8 and VWMUL / VWADD.WV widen); the per-channel requantization parameters are
 * gathered the same way and the pixels' outputs, contiguous, are stored at once. The
 * byte offsets are 8-bit: n * pix_step / ch < 256. */
static void tq_rvv_dw_pix_run(const tq_rvv_dw_pix *a, int32_t n)
{
    const tq_rvv_dw_pix_row *rp;
    const int8_t *x, *w;
    int32_t vl, r, k, t, u;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e8, m2, ta, ma\n\t"
        "lw %[t], 12(%[a])\n\t"
        "lw %[u], 16(%[a])\n\t"
        "vid.v v2\n\t"
        "vremu.vx v6, v2, %[t]\n\t"
        "vdivu.vx v4, v2, %[t]\n\t"
        "vmul.vx v4, v4, %[u]\n\t"
        "vadd.vv v4, v4, v6\n\t"
        "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
        "vmv.v.i v16, 0\n\t"
        "lw %[rp], 0(%[a])\n\t"
        "lw %[r], 4(%[a])\n\t"
        "lw %[w], 24(%[a])\n\t"
        "lw %[u], 12(%[a])\n"
        "1:\n\t"
        "lw %[x], 0(%[rp])\n\t"
        "lw %[t], 4(%[rp])\n\t"
        "addi %[rp], %[rp], 8\n\t"
        "lw %[k], 8(%[a])\n"
        "2:\n\t"
        "vsetvli zero, %[vl], e8, m2, ta, ma\n\t"
        "vluxei8.v v0, (%[x]), v4\n\t"
        "vluxei8.v v2, (%[w]), v6\n\t"
        "vwmul.vv v8, v0, v2\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
        "vwadd.wv v16, v16, v8\n\t"
        "add %[x], %[x], %[t]\n\t"
        "add %[w], %[w], %[u]\n\t"
        "addi %[k], %[k], -1\n\t"
        "bnez %[k], 2b\n\t"
        "lw %[k], 20(%[a])\n\t"
        "add %[w], %[w], %[k]\n\t"
        "addi %[r], %[r], -1\n\t"
        "bnez %[r], 1b\n\t"
        TQ_RVV_DW_PIX_REQUANT
        : [rp] "=&r"(rp), [x] "=&r"(x), [w] "=&r"(w), [vl] "=&r"(vl), [r] "=&r"(r),
          [k] "=&r"(k), [t] "=&r"(t), [u] "=&r"(u)
        : [a] "r"(a), [n] "r"(n)
        : "memory");
}

/* Steps of one rectangle of taps: after each tap x and w advance by x_col / w_col, after
 * each row of `cols` taps by x_row / w_row more. */
typedef struct {
    int32_t rows, cols;
    int32_t x_col, w_col, x_row, w_row;
} rect;

/* rect_sums for an even n: VLSEG2E8 splits activations and weights into even and odd
 * channels, two groups of int32 lanes (64 channels per pass at VLEN 128), stored
 * interleaved by strided stores. */
static inline int32_t rect_sums_pairs(const int8_t *x, const int8_t *w, const rect *r,
                                      const int32_t *acc_in, int32_t *acc_out, int32_t n)
{
    int32_t vl, k, t;
    int32_t rows = r->rows;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vmv.v.i v16, 0\n\t"
        "vmv.v.i v24, 0\n\t"
        "beqz %[ain], 1f\n\t"
        "vlse32.v v16, (%[ain]), %[eight]\n\t"
        "addi %[t], %[ain], 4\n\t"
        "vlse32.v v24, (%[t]), %[eight]\n"
        "1:\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
        "beqz %[rows], 4f\n"
        "2:\n\t"
        "mv %[k], %[cols]\n"
        "3:\n\t"
        "vlseg2e8.v v0, (%[x])\n\t"
        "vlseg2e8.v v4, (%[w])\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsext.vf2 v12, v4\n\t"
        "vwmacc.vv v16, v8, v12\n\t"
        "vsext.vf2 v8, v2\n\t"
        "vsext.vf2 v12, v6\n\t"
        "vwmacc.vv v24, v8, v12\n\t"
        "add %[x], %[x], %[xc]\n\t"
        "add %[w], %[w], %[wc]\n\t"
        "addi %[k], %[k], -1\n\t"
        "bnez %[k], 3b\n\t"
        "add %[x], %[x], %[xr]\n\t"
        "add %[w], %[w], %[wr]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 2b\n"
        "4:\n\t"
        "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"
        "vsse32.v v16, (%[aout]), %[eight]\n\t"
        "addi %[t], %[aout], 4\n\t"
        "vsse32.v v24, (%[t]), %[eight]"
        : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [vl] "=&r"(vl), [k] "=&r"(k),
          [t] "=&r"(t)
        : [n] "r"(n / 2), [cols] "r"(r->cols), [xc] "r"(r->x_col), [wc] "r"(r->w_col),
          [xr] "r"(r->x_row), [wr] "r"(r->w_row), [ain] "r"(acc_in), [aout] "r"(acc_out),
          [eight] "r"(8)
        : "memory");
    return 2 * vl;
}

/* acc_out[c] = (acc_in ? acc_in[c] : 0) + sum over the rectangle's taps of x[c] * w[c] for
 * the first vl of n channels (n <= CH_CHUNK); returns vl. */
static inline int32_t rect_sums(const int8_t *x, const int8_t *w, const rect *r,
                                const int32_t *acc_in, int32_t *acc_out, int32_t n)
{
    if (!(n & 1)) {
        return rect_sums_pairs(x, w, r, acc_in, acc_out, n);
    }
    int32_t vl, k;
    int32_t rows = r->rows;
    __asm__ volatile(
        "vsetvli %[vl], %[n], e32, m8, ta, ma\n\t"
        "vmv.v.i v24, 0\n\t"
        "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"
        "beqz %[ain], 1f\n\t"
        "vle32.v v24, (%[ain])\n"
        "1:\n\t"
        "beqz %[rows], 4f\n"
        "2:\n\t"
        "mv %[k], %[cols]\n"
        "3:\n\t"
        "vle8.v v0, (%[x])\n\t"
        "vle8.v v2, (%[w])\n\t"
        "vsext.vf2 v8, v0\n\t"
        "vsext.vf2 v12, v2\n\t"
        "vwmacc.vv v24, v8, v12\n\t"
        "add %[x], %[x], %[xc]\n\t"
        "add %[w], %[w], %[wc]\n\t"
        "addi %[k], %[k], -1\n\t"
        "bnez %[k], 3b\n\t"
        "add %[x], %[x], %[xr]\n\t"
        "add %[w], %[w], %[wr]\n\t"
        "addi %[rows], %[rows], -1\n\t"
        "bnez %[rows], 2b\n"
        "4:\n\t"
        "vse32.v v24, (%[aout])"
        : [x] "+r"(x), [w] "+r"(w), [rows] "+r"(rows), [vl] "=&r"(vl), [k] "=&r"(k)
        : [n] "r"(n), [cols] "r"(r->cols), [xc] "r"(r->x_col), [wc] "r"(r->w_col),
          [xr] "r"(r->x_row), [wr] "r"(r->w_row), [ain] "r"(acc_in), [aout] "r"(acc_out)
        : "memory");
    return vl;
}

/* The hooks of tq_rvv_dw_window.h for int8 weights: one byte per channel. */
#define TQ_DW_WB(n) (n)
#define TQ_DW_INSIDE_W(w, p, ky, kx, c0) ((w) + ((ky) * (p)->k_w + (kx)) * (p)->out_c)

/* The weights of channel c0 of tap (ky, kx). */
static const int8_t *tap_weights(const tq_dwconv2d_params *p, int32_t ky, int32_t kx,
                                 int32_t c0)
{
    return p->weights + (ky * p->k_w + kx) * p->out_c + c0;
}

#include "../tq_rvv_dw_window.h"

void tq_dwconv2d_s8_rvv(const tq_dwconv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out)
{
    if (p->ch_mult != 1) {
        tq_dwconv2d_s8(p, in, out);
        return;
    }
    const int vector_ok = tq_rvv_min_s8(p->shift, p->out_c) >= 32;
    int8_t zbuf[CH_CHUNK];
    int32_t acc[CH_CHUNK];
    tq_rvv_fill_s8(zbuf, p->in_zp, CH_CHUNK);
    /* Output pixels whose windows lie inside the image horizontally: [ox_lo, ox_hi). With
     * 16 channels or fewer they go as (pixel, channel) lanes, whose padded rows read at
     * most 32 * stride_w bytes of zbuf. */
    const int32_t ox_lo = (p->pad_left + p->stride_w - 1) / p->stride_w;
    const int32_t right = p->in_w - 1 + p->pad_left - (p->k_w - 1) * p->dil_w;
    const int32_t ox_hi = right < 0 ? 0 : right / p->stride_w + 1 < p->out_w
                                              ? right / p->stride_w + 1 : p->out_w;
    const int pix = vector_ok && p->in_c <= TQ_RVV_DW_PIX_LANES / 2 && p->stride_w <= 2 &&
                    p->k_h <= TQ_RVV_DW_PIX_ROWS && ox_lo < ox_hi;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int32_t ky_lo, ky_hi;
        tq_rvv_inside_taps(iy0, p->k_h, p->dil_h, p->in_h, &ky_lo, &ky_hi);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            if (pix && ox == ox_lo) {
                tq_rvv_dw_pixel_row(p, in, out, oy, ox_lo, ox_hi, zbuf, tq_rvv_dw_pix_run);
                ox = ox_hi - 1;
                continue;
            }
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int32_t k[4] = {ky_lo, ky_hi, 0, 0};
            tq_rvv_inside_taps(ix0, p->k_w, p->dil_w, p->in_w, &k[2], &k[3]);
            if (k[0] >= k[1] || k[2] >= k[3]) {
                /* No tap inside: everything is the top rectangle of padding. */
                k[0] = k[1] = p->k_h;
                k[2] = k[3] = p->k_w;
            }
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t c0 = 0; c0 < p->out_c;) {
                const int32_t left = p->out_c - c0;
                /* Even counts go as channel pairs; an odd one leaves its last channel. */
                const int32_t n = left < CH_CHUNK ? (left > 1 ? left & ~1 : 1) : CH_CHUNK;
                const int32_t vl = window_sums(p, in, zbuf, iy0, ix0, k, c0, n, acc);
                if (vector_ok) {
                    tq_rvv_requant(acc, p->bias + c0, p->mult + c0, p->shift + c0, vl, o + c0,
                                p->out_zp, p->act_min, p->act_max);
                } else {
                    for (int32_t i = 0; i < vl; i++) {
                        const int32_t c = c0 + i;
                        o[c] = tq_clamp_s8(p->out_zp + tq_requant(acc[i] + p->bias[c],
                                                                  p->mult[c], p->shift[c]),
                                           p->act_min, p->act_max);
                    }
                }
                c0 += vl;
            }
        }
    }
}
#endif /* TQ_HAS_RVV */
