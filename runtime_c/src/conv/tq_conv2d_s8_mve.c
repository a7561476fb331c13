/* Convolution on Helium (MVE). Blocks of four output channels share each activation vector;
 * VMLADAVA sums 16 int8 products into a scalar accumulator. OHWI weights make a channel's
 * whole filter one contiguous run, so a window that fits 256 bytes is gathered once per
 * pixel (padding as in_zp) and every block runs one dot product over it; a window of at
 * most 64 bytes stays in vector registers across the blocks. Larger windows run kernel row
 * by kernel row: with dil_w == 1 the inside part of a row is one contiguous run in the
 * input and the weights, and padded taps add in_zp * w. Grouped convolutions use the
 * reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include <arm_mve.h>
#include <stddef.h>
#include "tinyq.h"
#include "../tq_requant.h"
#include "../tq_window.h"

#define TQ_WINDOW_BYTES 256

typedef struct {
    int32_t a0, a1, a2, a3;
} tq_acc4;

typedef struct {
    const int8_t *w0, *w1, *w2, *w3;
} tq_w4;

/* Tails are predicated with vctp8q: GCC 12.2 miscompiles constant predicate masks, so no
 * predicate here is a constant. Inactive lanes load as 0 and add nothing. */
static inline tq_acc4 dot4(tq_acc4 a, const int8_t *x, tq_w4 w, int32_t off, int32_t n)
{
    const int8_t *w0 = w.w0 + off, *w1 = w.w1 + off, *w2 = w.w2 + off, *w3 = w.w3 + off;
    for (int32_t i = n >> 4; i > 0; i--) {
        const int8x16_t xv = vldrbq_s8(x);
        a.a0 = vmladavaq_s8(a.a0, xv, vldrbq_s8(w0));
        a.a1 = vmladavaq_s8(a.a1, xv, vldrbq_s8(w1));
        a.a2 = vmladavaq_s8(a.a2, xv, vldrbq_s8(w2));
        a.a3 = vmladavaq_s8(a.a3, xv, vldrbq_s8(w3));
        x += 16;
        w0 += 16;
        w1 += 16;
        w2 += 16;
        w3 += 16;
    }
    if ((n & 15) != 0) {
        const mve_pred16_t pr = vctp8q((uint32_t)(n & 15));
        const int8x16_t xv = vldrbq_z_s8(x, pr);
        a.a0 = vmladavaq_s8(a.a0, xv, vldrbq_z_s8(w0, pr));
        a.a1 = vmladavaq_s8(a.a1, xv, vldrbq_z_s8(w1, pr));
        a.a2 = vmladavaq_s8(a.a2, xv, vldrbq_z_s8(w2, pr));
        a.a3 = vmladavaq_s8(a.a3, xv, vldrbq_z_s8(w3, pr));
    }
    return a;
}

/* Padded taps: in_zp (real 0, see tinyq.h) times each weight of the run. */
static inline tq_acc4 zdot4(tq_acc4 a, int8x16_t zv, tq_w4 w, int32_t off, int32_t n)
{
    for (int32_t i = 0; i < n; i += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(n - i));
        a.a0 = vmladavaq_s8(a.a0, zv, vldrbq_z_s8(w.w0 + off + i, pr));
        a.a1 = vmladavaq_s8(a.a1, zv, vldrbq_z_s8(w.w1 + off + i, pr));
        a.a2 = vmladavaq_s8(a.a2, zv, vldrbq_z_s8(w.w2 + off + i, pr));
        a.a3 = vmladavaq_s8(a.a3, zv, vldrbq_z_s8(w.w3 + off + i, pr));
    }
    return a;
}

/* Blocks of four channels; with out_c < 4 the missing ones repeat the last channel. */
static inline tq_w4 block_weights(const tq_conv2d_params *p, int32_t oc, int32_t fsz)
{
    tq_w4 w;
    w.w0 = p->weights + (size_t)oc * fsz;
    if (p->out_c >= 4) {
        w.w1 = w.w0 + fsz;
        w.w2 = w.w1 + fsz;
        w.w3 = w.w2 + fsz;
        return w;
    }
    w.w1 = p->weights + (size_t)(p->out_c > 1) * fsz;
    w.w2 = p->weights + (size_t)(p->out_c - 1) * fsz;
    w.w3 = w.w2;
    return w;
}

/* The last block overlaps the one before rather than running short. */
static inline int32_t block_start(int32_t oc0, int32_t out_c)
{
    return oc0 + 4 <= out_c || out_c < 4 ? oc0 : out_c - 4;
}

/* Requantization inputs read once per pixel: stores through int8_t pointers could alias
 * the params, so the compiler would reload them after every store. */
typedef struct {
    const int32_t *bias, *mult;
    const int8_t *shift;
    int32_t out_c, out_zp, act_min, act_max;
    int vec;
} tq_rq;

static inline tq_rq rq_of(const tq_conv2d_params *p, int vec_rq)
{
    const tq_rq r = {p->bias, p->mult, p->shift, p->out_c, p->out_zp, p->act_min,
                     p->act_max, vec_rq && p->out_c >= 4};
    return r;
}

/* Exact vector form of tq_requant for shift >= 33: VMULH gives floor(acc * mult / 2^32),
 * and floor((p + 2^(s-1)) / 2^s) = floor((floor(p / 2^32) + 2^(s-33)) / 2^(s-32)), which
 * is VRSHL by -(s - 32) (round half up, exact in 32 bits: |acc * mult| < 2^62). */
static inline __attribute__((always_inline)) void
store4(const tq_rq *q, tq_acc4 a, int32_t oc, int8_t *o)
{
    if (q->vec) {
        int32x4_t acc = vdupq_n_s32(a.a0);
        acc = vsetq_lane_s32(a.a1, acc, 1);
        acc = vsetq_lane_s32(a.a2, acc, 2);
        acc = vsetq_lane_s32(a.a3, acc, 3);
        acc = vaddq_s32(acc, vldrwq_s32(q->bias + oc));
        const int32x4_t s = vsubq_s32(vdupq_n_s32(32), vldrbq_s32(q->shift + oc));
        int32x4_t r = vrshlq_s32(vmulhq_s32(acc, vldrwq_s32(q->mult + oc)), s);
        r = vaddq_s32(r, vdupq_n_s32(q->out_zp));
        r = vmaxq_s32(r, vdupq_n_s32(q->act_min));
        vstrbq_s32(o + oc, vminq_s32(r, vdupq_n_s32(q->act_max)));
        return;
    }
    const int32_t acc[4] = {a.a0, a.a1, a.a2, a.a3};
    const int32_t n = q->out_c < 4 ? q->out_c : 4;
    for (int32_t j = 0; j < n; j++) {
        const int32_t v = tq_requant(acc[j] + q->bias[oc + j], q->mult[oc + j],
                                     q->shift[oc + j]);
        o[oc + j] = tq_clamp_s8(q->out_zp + v, q->act_min, q->act_max);
    }
}

static int shifts_above_32(const int8_t *shift, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        if (shift[i] <= 32) {
            return 0;
        }
    }
    return 1;
}

/* Kernel rows [ky0, ky1) and columns [kx0, kx1) of one pixel's window are inside. */
typedef struct {
    int32_t y0, x0, ky0, ky1, kx0, kx1;
} tq_window;

static inline void fill(int8_t *d, int8x16_t v, int32_t n)
{
    for (int32_t i = 0; i < n; i += 16) {
        vstrbq_p_s8(d + i, v, vctp8q((uint32_t)(n - i)));
    }
}

static inline void copy(int8_t *d, const int8_t *s, int32_t n)
{
    for (int32_t i = 0; i < n; i += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(n - i));
        vstrbq_p_s8(d + i, vldrbq_z_s8(s + i, pr), pr);
    }
}

/* One pixel's window in OHWI order, padded taps as in_zp, zeros up to a whole vector. */
static void gather(const tq_conv2d_params *p, const tq_window *win, const int8_t *in,
                   int8_t *buf)
{
    const int32_t cin = p->in_c;
    const int32_t row = p->k_w * cin;
    const int8x16_t zv = vdupq_n_s8((int8_t)p->in_zp);
    int8_t *d = buf;
    for (int32_t ky = 0; ky < p->k_h; ky++, d += row) {
        if (ky < win->ky0 || ky >= win->ky1 || win->kx0 == win->kx1) {
            fill(d, zv, row);
            continue;
        }
        const ptrdiff_t x = ((ptrdiff_t)(win->y0 + ky * p->dil_h) * p->in_w + win->x0) * cin;
        fill(d, zv, win->kx0 * cin);
        if (p->dil_w == 1) {
            copy(d + win->kx0 * cin, in + x + win->kx0 * cin, (win->kx1 - win->kx0) * cin);
        } else {
            for (int32_t kx = win->kx0; kx < win->kx1; kx++) {
                copy(d + kx * cin, in + x + kx * p->dil_w * cin, cin);
            }
        }
        fill(d + win->kx1 * cin, zv, (p->k_w - win->kx1) * cin);
    }
    fill(d, vdupq_n_s8(0), (-(int32_t)(d - buf)) & 15);
}

/* A window of nv <= 4 vectors held in registers; the weights' last vector is predicated
 * so no load passes the end of the weights (the window's zero lanes cancel the rest). */
static inline __attribute__((always_inline)) void
pixel_regs(const tq_conv2d_params *p, const tq_rq *q, const int8_t *x, int32_t fsz, int nv,
           int8_t *o)
{
    const mve_pred16_t pr = vctp8q((uint32_t)(fsz - 16 * (nv - 1)));
    const int8x16_t x0 = nv == 1 ? vldrbq_z_s8(x, pr) : vldrbq_s8(x);
    const int8x16_t x1 = nv == 2 ? vldrbq_z_s8(x + 16, pr) : nv > 2 ? vldrbq_s8(x + 16) : x0;
    const int8x16_t x2 = nv == 3 ? vldrbq_z_s8(x + 32, pr) : nv > 3 ? vldrbq_s8(x + 32) : x0;
    const int8x16_t x3 = nv == 4 ? vldrbq_z_s8(x + 48, pr) : x0;
    const int32_t t = 16 * (nv - 1);
    for (int32_t oc0 = 0; oc0 < q->out_c; oc0 += 4) {
        const int32_t oc = block_start(oc0, q->out_c);
        const tq_w4 w = block_weights(p, oc, fsz);
        tq_acc4 a;
        const int8x16_t xt = nv == 1 ? x0 : nv == 2 ? x1 : nv == 3 ? x2 : x3;
        a.a0 = vmladavq_s8(xt, vldrbq_z_s8(w.w0 + t, pr));
        a.a1 = vmladavq_s8(xt, vldrbq_z_s8(w.w1 + t, pr));
        a.a2 = vmladavq_s8(xt, vldrbq_z_s8(w.w2 + t, pr));
        a.a3 = vmladavq_s8(xt, vldrbq_z_s8(w.w3 + t, pr));
        if (nv > 1) {
            a.a0 = vmladavaq_s8(a.a0, x0, vldrbq_s8(w.w0));
            a.a1 = vmladavaq_s8(a.a1, x0, vldrbq_s8(w.w1));
            a.a2 = vmladavaq_s8(a.a2, x0, vldrbq_s8(w.w2));
            a.a3 = vmladavaq_s8(a.a3, x0, vldrbq_s8(w.w3));
        }
        if (nv > 2) {
            a.a0 = vmladavaq_s8(a.a0, x1, vldrbq_s8(w.w0 + 16));
            a.a1 = vmladavaq_s8(a.a1, x1, vldrbq_s8(w.w1 + 16));
            a.a2 = vmladavaq_s8(a.a2, x1, vldrbq_s8(w.w2 + 16));
            a.a3 = vmladavaq_s8(a.a3, x1, vldrbq_s8(w.w3 + 16));
        }
        if (nv > 3) {
            a.a0 = vmladavaq_s8(a.a0, x2, vldrbq_s8(w.w0 + 32));
            a.a1 = vmladavaq_s8(a.a1, x2, vldrbq_s8(w.w1 + 32));
            a.a2 = vmladavaq_s8(a.a2, x2, vldrbq_s8(w.w2 + 32));
            a.a3 = vmladavaq_s8(a.a3, x2, vldrbq_s8(w.w3 + 32));
        }
        store4(q, a, oc, o);
    }
}

/* Kernel row by kernel row, straight from the input (windows too large to gather). */
static void pixel_rows(const tq_conv2d_params *p, const tq_window *win, const int8_t *in,
                       int vec_rq, int8_t *o)
{
    const int32_t cin = p->in_c;
    const int32_t row = p->k_w * cin;
    const int32_t fsz = p->k_h * row;
    const int32_t left = win->kx0 * cin;
    const int32_t right = (p->k_w - win->kx1) * cin;
    const int32_t cols = win->kx1 - win->kx0;
    const int8x16_t zv = vdupq_n_s8((int8_t)p->in_zp);
    const tq_rq q = rq_of(p, vec_rq);
    for (int32_t oc0 = 0; oc0 < p->out_c; oc0 += 4) {
        const int32_t oc = block_start(oc0, p->out_c);
        const tq_w4 w = block_weights(p, oc, fsz);
        tq_acc4 a = {0, 0, 0, 0};
        a = zdot4(a, zv, w, 0, win->ky0 * row);
        a = zdot4(a, zv, w, win->ky1 * row, (p->k_h - win->ky1) * row);
        for (int32_t ky = win->ky0; ky < win->ky1; ky++) {
            const ptrdiff_t x = ((ptrdiff_t)(win->y0 + ky * p->dil_h) * p->in_w + win->x0) * cin;
            a = zdot4(a, zv, w, ky * row, left);
            a = zdot4(a, zv, w, (ky + 1) * row - right, right);
            if (p->dil_w == 1) {
                a = dot4(a, in + x + left, w, ky * row + left, cols * cin);
                continue;
            }
            for (int32_t kx = win->kx0; kx < win->kx1; kx++) {
                a = dot4(a, in + x + kx * p->dil_w * cin, w, ky * row + kx * cin, cin);
            }
        }
        store4(&q, a, oc, o);
    }
}

/* A gathered window of more than four vectors. */
static void pixel_gathered(const tq_conv2d_params *p, const int8_t *x, int32_t fsz, int vec_rq,
                           int8_t *o)
{
    const tq_rq q = rq_of(p, vec_rq);
    for (int32_t oc0 = 0; oc0 < q.out_c; oc0 += 4) {
        const int32_t oc = block_start(oc0, q.out_c);
        const tq_acc4 z = {0, 0, 0, 0};
        store4(&q, dot4(z, x, block_weights(p, oc, fsz), 0, fsz), oc, o);
    }
}

void tq_conv2d_s8_mve(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out)
{
    if (p->groups != 1) {
        tq_conv2d_s8(p, in, out);
        return;
    }
    const int vec_rq = shifts_above_32(p->shift, p->out_c);
    const tq_rq q = rq_of(p, vec_rq);
    const int32_t fsz = p->k_h * p->k_w * p->in_c;
    const int nv = (int)((fsz + 15) / 16);
    int8_t buf[TQ_WINDOW_BYTES];
    tq_window win;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        win.y0 = oy * p->stride_h - p->pad_top;
        win.ky0 = first_inside(win.y0, p->dil_h, p->k_h);
        win.ky1 = end_inside(win.y0, p->dil_h, p->k_h, p->in_h, win.ky0);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
            win.x0 = ox * p->stride_w - p->pad_left;
            win.kx0 = first_inside(win.x0, p->dil_w, p->k_w);
            win.kx1 = end_inside(win.x0, p->dil_w, p->k_w, p->in_w, win.kx0);
            if (nv > TQ_WINDOW_BYTES / 16) {
                pixel_rows(p, &win, in, vec_rq, o);
                continue;
            }
            const int8_t *x = buf;
            if (p->k_h == 1 && p->k_w == 1 && win.ky0 == 0 && win.ky1 == 1 && win.kx0 == 0 &&
                win.kx1 == 1) {
                x = in + ((size_t)win.y0 * p->in_w + win.x0) * p->in_c;
            } else {
                gather(p, &win, in, buf);
            }
            switch (nv) {
            case 1: pixel_regs(p, &q, x, fsz, 1, o); break;
            case 2: pixel_regs(p, &q, x, fsz, 2, o); break;
            case 3: pixel_regs(p, &q, x, fsz, 3, o); break;
            case 4: pixel_regs(p, &q, x, fsz, 4, o); break;
            default: pixel_gathered(p, x, fsz, vec_rq, o); break;
            }
        }
    }
}
#endif /* TQ_HAS_MVE */
