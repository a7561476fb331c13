/*
 * tq_rvv_dwlanes.h - "pixel lanes" of the _rvv depthwise convolutions: with few channels,
 * (pixel, channel) pairs of an output row are the int32 lanes, so a pass covers whole
 * pixels; shared by the int8 and int4 kernels, which differ only in how a pass loads its
 * weights (their tq_rvv_dw_pix_run). Same inline-assembly rules as tq_rvv.h.
 */
#ifndef TQ_RVV_DWLANES_H
#define TQ_RVV_DWLANES_H

#include "tq_isa.h"

#if TQ_HAS_RVV
#include <stdint.h>

#include "tinyq.h"

#define TQ_RVV_DW_PIX_LANES 32 /* int32 lanes (e32 m8) of a pass over (pixel, channel) lanes */
#define TQ_RVV_DW_PIX_ROWS 11  /* window rows pixel lanes take */

/* One window row of a pixel-lane pass: pixel 0's channel 0 at its first tap, and the bytes
 * from one tap to the next (0: a padded row read from the in_zp buffer). */
typedef struct {
    const int8_t *x;
    int32_t x_col;
} tq_rvv_dw_pix_row;

/* A pixel-lane pass (offsets read by the assembly). */
typedef struct {
    const tq_rvv_dw_pix_row *rows; /* 0 */
    int32_t n_rows, k_w;           /* 4, 8 */
    int32_t ch, pix_step;          /* 12, 16: channels; bytes between two pixels' inputs */
    int32_t w_row;                 /* 20: weight bytes skipped from a row's taps to the next */
    const int8_t *w;               /* 24: tap 0's weights (int4: packed) */
    const int32_t *bias;           /* 28 */
    const int32_t *mult;           /* 32 */
    const int8_t *shift;           /* 36 */
    int8_t *out;                   /* 40: pixel 0's output channel 0 */
    int32_t zp, lo, hi;            /* 44, 48, 52 */
} tq_rvv_dw_pix;

/* The end of a pass (registers as its kernel's pix run sets them: v16 the int32 sums, v6
 * each lane's channel, %[a] the pass, %[t] free): requantizes as tq_rvv_requant, per-lane
 * parameters gathered by channel, and stores the pixels' outputs, contiguous, at once. */
#define TQ_RVV_DW_PIX_REQUANT                                                              \
    "csrwi vxrm, 0\n\t"                                                                    \
    "vsetvli zero, %[vl], e8, m2, ta, ma\n\t"                                              \
    "lw %[t], 36(%[a])\n\t"                                                                \
    "vluxei8.v v0, (%[t]), v6\n\t"                                                         \
    "vsll.vi v2, v6, 2\n\t"                                                                \
    "vsetvli zero, %[vl], e32, m8, ta, ma\n\t"                                             \
    "lw %[t], 28(%[a])\n\t"                                                                \
    "vluxei8.v v24, (%[t]), v2\n\t"                                                        \
    "vadd.vv v16, v16, v24\n\t"                                                            \
    "lw %[t], 32(%[a])\n\t"                                                                \
    "vluxei8.v v24, (%[t]), v2\n\t"                                                        \
    "vmulh.vv v8, v16, v24\n\t"                                                            \
    "vmul.vv v16, v16, v24\n\t"                                                            \
    "vadd.vv v8, v8, v8\n\t"                                                               \
    "vsrl.vi v16, v16, 31\n\t"                                                             \
    "vor.vv v8, v8, v16\n\t"                                                               \
    "vsext.vf4 v24, v0\n\t"                                                                \
    "li %[t], 31\n\t"                                                                      \
    "vsub.vx v24, v24, %[t]\n\t"                                                           \
    "vssra.vv v8, v8, v24\n\t"                                                             \
    "lw %[t], 44(%[a])\n\t"                                                                \
    "vadd.vx v8, v8, %[t]\n\t"                                                             \
    "lw %[t], 48(%[a])\n\t"                                                                \
    "vmax.vx v8, v8, %[t]\n\t"                                                             \
    "lw %[t], 52(%[a])\n\t"                                                                \
    "vmin.vx v8, v8, %[t]\n\t"                                                             \
    "vsetvli zero, %[vl], e16, m4, ta, ma\n\t"                                             \
    "vnsrl.wi v16, v8, 0\n\t"                                                              \
    "vsetvli zero, %[vl], e8, m2, ta, ma\n\t"                                              \
    "vnsrl.wi v0, v16, 0\n\t"                                                              \
    "lw %[t], 40(%[a])\n\t"                                                                \
    "vse8.v v0, (%[t])"

/* Taps [lo, hi) of a window starting at i0 (step dil) lie in [0, size). */
static inline void tq_rvv_inside_taps(int32_t i0, int32_t k, int32_t dil, int32_t size,
                                      int32_t *lo, int32_t *hi)
{
    int32_t a = 0;
    while (a < k && i0 + a * dil < 0) {
        a++;
    }
    int32_t b = k;
    while (b > a && i0 + (b - 1) * dil >= size) {
        b--;
    }
    *lo = a;
    *hi = b;
}

/* Output pixels [ox_lo, ox_hi) of row oy, windows inside the image horizontally, as
 * (pixel, channel) lanes, a pass by run (inlined: the call is direct); rows above or
 * below the image read zbuf. */
static inline void tq_rvv_dw_pixel_row(const tq_dwconv2d_params *p, const int8_t *in,
                                       int8_t *out, int32_t oy, int32_t ox_lo, int32_t ox_hi,
                                       const int8_t *zbuf,
                                       void (*run)(const tq_rvv_dw_pix *, int32_t))
{
    const int32_t c = p->in_c;
    const int32_t per_pass = TQ_RVV_DW_PIX_LANES / c;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    tq_rvv_dw_pix_row rows[TQ_RVV_DW_PIX_ROWS];
    tq_rvv_dw_pix a;
    a.rows = rows;
    a.n_rows = p->k_h;
    a.k_w = p->k_w;
    a.ch = c;
    a.pix_step = p->stride_w * c;
    a.w_row = 0;
    a.w = p->weights;
    a.bias = p->bias;
    a.mult = p->mult;
    a.shift = p->shift;
    a.zp = p->out_zp;
    a.lo = p->act_min;
    a.hi = p->act_max;
    for (int32_t ox0 = ox_lo; ox0 < ox_hi; ox0 += per_pass) {
        const int32_t n = ox_hi - ox0 < per_pass ? ox_hi - ox0 : per_pass;
        const int32_t ix0 = ox0 * p->stride_w - p->pad_left;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t iy = iy0 + ky * p->dil_h;
            const int inside = iy >= 0 && iy < p->in_h;
            rows[ky].x = inside ? in + ((size_t)iy * p->in_w + ix0) * c : zbuf;
            rows[ky].x_col = inside ? p->dil_w * c : 0;
        }
        a.out = out + ((size_t)oy * p->out_w + ox0) * c;
        run(&a, n * c);
    }
}

#endif /* TQ_HAS_RVV */
#endif /* TQ_RVV_DWLANES_H */
