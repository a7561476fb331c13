/* Convolution on the RISC-V vector extension 1.0 (GNU inline assembly: GCC 12 has no RVV
 * intrinsics and emits no vector code, so no vector register is ever live outside one asm
 * statement and the vector registers need no clobbers; GCC 12 rejects them anyway).
 *
 * Two ways to take a pixel's sums, chosen per layer by a rough instruction count:
 * - Dot products (long windows): VWMUL.VV widens int8 x int8 into int16 lanes (one product,
 *   |p| <= 128 * 127, fits), VWREDSUM.VS adds those lanes into a 32-bit scalar. Each pass
 *   computes four output channels so one activation load serves four filters.
 * - Channel lanes (short windows, first layers, narrow pointwise): each output channel is
 *   an int32 lane; per tap a scalar activation times a strided load of that tap's weight in
 *   every filter, widened to int16, is multiply-accumulated (VWMACC.VX). Two neighbouring
 *   pixels that both read their windows directly share each weight load (tq_rvv_oc_sums2).
 * - Pixel lanes (few channels, wide rows): the output pixels of a row whose windows lie
 *   inside the image horizontally are int32 lanes, three filters per pass; per tap one
 *   strided load of the pixels' activations serves the three filters' scalar weights, and
 *   the pass requantizes and stores its own outputs (tq_rvv_pix3_run, tq_rvv_lanes.h). Window
 *   rows above or below the image read a buffer of in_zp with lane stride 0.
 * The sums are the reference's int32 sums in another order: the converter bounds |acc|
 * below 2^31, so the bits are the same.
 *
 * Windows: an interior pixel with dil_w == 1 reads k_h runs of k_w * in_c contiguous bytes
 * (the OHWI filter rows are contiguous too). A window that touches the padding, or whose
 * runs are too short to fill a vector, is first gathered into a stack patch of at most
 * PATCH_MAX bytes with padded taps set to in_zp, then read as one run. Larger border
 * windows read their inside runs directly and add the padded taps as dot products against
 * a buffer full of in_zp.
 *
 * Requantization runs over OC_CHUNK output channels at once (tq_rvv_requant, tq_rvv.h). Grouped
 * convolutions use the reference kernel. Needs VLEN >= 128 (the V extension guarantees it). */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_requant.h"
#include "../tq_rvv.h"
#include "../tq_rvv_lanes.h"
#include "../tq_rvv_oclanes.h"

#define OC_CHUNK 32    /* output channels whose int32 sums wait on the stack for requant */
#define PATCH_MAX 256  /* bytes of one gathered window */
#define PIX_MAX 32     /* output pixels per pass of pixel lanes (int32 lanes, e32 m8) */
#define PIX_ROWS 11    /* window rows pixel lanes take */
#define PIX_ROW_LEN 64 /* taps per window row pixel lanes take (bytes of in_zp) */

/* How the dot products of one output pixel read its window. */
typedef struct {
    const int8_t *x;            /* run start: input (interior) or patch */
    int32_t xs, ws, len, rows;  /* tq_rvv_dot4 geometry; rows == 0: border window read directly */
    int32_t iy0, ix0, kx_lo, kx_hi;
} window;

/* Adds in_zp times the sums of the four filters' n weights from w (padded taps). */
static void add_padded(const int8_t *zbuf, const int8_t *w, int32_t n, int32_t step,
                       int32_t acc[4])
{
    int32_t t[4];
    for (int32_t off = 0; off < n; off += PATCH_MAX) {
        const int32_t len = n - off < PATCH_MAX ? n - off : PATCH_MAX;
        tq_rvv_dot4(zbuf, 0, w + off, 0, len, 1, step, t);
        for (int32_t j = 0; j < 4; j++) {
            acc[j] += t[j];
        }
    }
}

/* The four filters w + j * step over a border window larger than a patch. Out of line so
 * the common path's callers stay free of its register saves. */
static void __attribute__((noinline))
border_sums(const tq_conv2d_params *p, const int8_t *in, const window *v, const int8_t *zbuf,
            const int8_t *w, int32_t step, int32_t acc[4])
{
    const int32_t cin = p->in_c;
    const int32_t row_len = p->k_w * cin;
    int32_t t[4];
    for (int32_t j = 0; j < 4; j++) {
        acc[j] = 0;
    }
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = v->iy0 + ky * p->dil_h;
        const int row_inside = iy >= 0 && iy < p->in_h;
        const int32_t lo = row_inside ? v->kx_lo : p->k_w;
        const int32_t hi = row_inside ? v->kx_hi : p->k_w;
        const int8_t *wr = w + ky * row_len;
        if (lo < hi) {
            const int8_t *x = in + ((size_t)iy * p->in_w + v->ix0 + lo * p->dil_w) * cin;
            if (p->dil_w == 1) {
                tq_rvv_dot4(x, 0, wr + lo * cin, 0, (hi - lo) * cin, 1, step, t);
            } else {
                tq_rvv_dot4(x, p->dil_w * cin, wr + lo * cin, cin, cin, hi - lo, step, t);
            }
            for (int32_t j = 0; j < 4; j++) {
                acc[j] += t[j];
            }
        }
        if (p->in_zp != 0) {
            add_padded(zbuf, wr, lo * cin, step, acc);
            add_padded(zbuf, wr + hi * cin, (p->k_w - hi) * cin, step, acc);
        }
    }
}

static void gather_patch(const tq_conv2d_params *p, const int8_t *in, const window *v,
                         int8_t *patch)
{
    const int32_t cin = p->in_c;
    const int32_t row_len = p->k_w * cin;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t iy = v->iy0 + ky * p->dil_h;
        int8_t *dst = patch + ky * row_len;
        if (iy < 0 || iy >= p->in_h || v->kx_lo >= v->kx_hi) {
            tq_rvv_fill_s8(dst, p->in_zp, row_len);
            continue;
        }
        const int8_t *x = in + ((size_t)iy * p->in_w + v->ix0 + v->kx_lo * p->dil_w) * cin;
        tq_rvv_fill_s8(dst, p->in_zp, v->kx_lo * cin);
        if (p->dil_w == 1) {
            tq_rvv_copy_s8(dst + v->kx_lo * cin, x, (v->kx_hi - v->kx_lo) * cin);
        } else {
            for (int32_t kx = v->kx_lo; kx < v->kx_hi; kx++) {
                tq_rvv_copy_s8(dst + kx * cin, x + (size_t)(kx - v->kx_lo) * p->dil_w * cin,
                               cin);
            }
        }
        tq_rvv_fill_s8(dst + v->kx_hi * cin, p->in_zp, (p->k_w - v->kx_hi) * cin);
    }
}

/* The four filters from output channel oc over one window (border or not). */
static void window_sums(const tq_conv2d_params *p, const int8_t *in, const window *v,
                        const int8_t *zbuf, int32_t oc, int32_t step, int32_t out4[4])
{
    const int8_t *w = p->weights + (size_t)oc * p->k_h * p->k_w * p->in_c;
    if (v->rows != 0) {
        tq_rvv_dot4(v->x, v->xs, w, v->ws, v->len, v->rows, step, out4);
    } else {
        border_sums(p, in, v, zbuf, w, step, out4);
    }
}

/* Sums (without bias) of output channels [oc0, oc0 + nc) at one pixel into acc. */
static void pixel_sums(const tq_conv2d_params *p, const int8_t *in, const window *v,
                       const int8_t *zbuf, int32_t oc0, int32_t nc, int32_t *acc)
{
    const int32_t fsz = p->k_h * p->k_w * p->in_c;
    int32_t t[4];
    if (p->out_c < 4) {
        /* Step 0 repeats one filter four times rather than read past the weights. */
        for (int32_t j = 0; j < nc; j++) {
            window_sums(p, in, v, zbuf, oc0 + j, 0, t);
            acc[j] = t[0];
        }
        return;
    }
    for (int32_t b = 0; b < nc; b += 4) {
        if (b + 4 <= nc) {
            window_sums(p, in, v, zbuf, oc0 + b, fsz, acc + b);
        } else {
            /* The last partial block ends at oc0 + nc and overlaps earlier channels. */
            window_sums(p, in, v, zbuf, oc0 + nc - 4, fsz, t);
            for (int32_t j = b; j < nc; j++) {
                acc[j] = t[j - nc + 4];
            }
        }
    }
}

static void requant_chunk(const tq_conv2d_params *p, const int32_t *acc, int32_t oc0,
                          int32_t nc, int vector_ok, int8_t *o)
{
    if (vector_ok) {
        tq_rvv_requant(acc, p->bias + oc0, p->mult + oc0, p->shift + oc0, nc, o + oc0, p->out_zp,
                    p->act_min, p->act_max);
        return;
    }
    for (int32_t j = 0; j < nc; j++) {
        const int32_t oc = oc0 + j;
        o[oc] = tq_clamp_s8(p->out_zp + tq_requant(acc[j] + p->bias[oc], p->mult[oc],
                                                   p->shift[oc]),
                            p->act_min, p->act_max);
    }
}

/* Output pixels [ox_lo, ox_hi) of row oy (windows inside the image horizontally) as
 * lanes, three filters per pass (tq_rvv_pix3_run); window rows above or below the image
 * read zbuf (row_len bytes of in_zp) with lane stride 0. */
static void pixel_row(const tq_conv2d_params *p, const int8_t *in, int8_t *out, int32_t oy,
                      int32_t ox_lo, int32_t ox_hi, const int8_t *zbuf)
{
    const int32_t cin = p->in_c;
    const int32_t fsz = p->k_h * p->k_w * cin;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    tq_rvv_pix_row rows[PIX_ROWS];
    tq_rvv_pix3 a;
    tq_rvv_pix3_layer(&a, rows, p);
    for (int32_t ox0 = ox_lo; ox0 < ox_hi; ox0 += PIX_MAX) {
        const int32_t n = ox_hi - ox0 < PIX_MAX ? ox_hi - ox0 : PIX_MAX;
        const int32_t ix0 = ox0 * p->stride_w - p->pad_left;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t iy = iy0 + ky * p->dil_h;
            const int inside = iy >= 0 && iy < p->in_h;
            rows[ky].x = inside ? in + ((size_t)iy * p->in_w + ix0) * cin : zbuf;
            rows[ky].ls = inside ? p->stride_w * cin : 0;
        }
        a.out = out + ((size_t)oy * p->out_w + ox0) * p->out_c;
        for (int32_t b = 0; b < p->out_c; b += 3) {
            /* The last block ends at the last channel, overlapping earlier ones. */
            const int32_t base = p->out_c < 3 ? 0 : b < p->out_c - 3 ? b : p->out_c - 3;
            for (int32_t j = 0; j < 3; j++) {
                const int32_t oc = base + j < p->out_c ? base + j : p->out_c - 1;
                a.w[j] = p->weights + (size_t)oc * fsz;
                tq_rvv_pix3_filter(&a, j, p, oc);
            }
            tq_rvv_pix3_run(&a, n);
        }
    }
}

void tq_conv2d_s8_rvv(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out)
{
    if (p->groups != 1) {
        tq_conv2d_s8(p, in, out);
        return;
    }
    const int32_t cin = p->in_c;
    const int32_t row_len = p->k_w * cin;
    const int32_t fsz = p->k_h * row_len;
    const int32_t span_h = (p->k_h - 1) * p->dil_h;
    const int32_t span_w = (p->k_w - 1) * p->dil_w;
    const int32_t vlmax = tq_rvv_vlmax_e8m4();
    const int32_t row_passes = p->k_h * ((row_len + vlmax - 1) / vlmax);
    const int32_t patch_passes = (fsz + vlmax - 1) / vlmax;
    /* A patch pays for its copy when it needs fewer vector passes than the rows do. */
    const int patch_always = fsz <= PATCH_MAX && patch_passes < row_passes;
    /* Instructions per pixel, roughly (measured under QEMU): channel lanes cost ~6.5 per
     * tap per VLEN / 4 channels, dot products ~24 per vector pass per 4 channels plus ~100
     * per 4 channels of fixed cost. Short windows with many channels favour lanes. */
    const int32_t lane_width = vlmax / 2 < OC_CHUNK ? vlmax / 2 : OC_CHUNK;
    const int32_t lane_cost = (p->out_c + lane_width - 1) / lane_width * (13 * fsz / 2 + 60);
    const int32_t dot_cost = (p->out_c + 3) / 4 *
                             (100 + 24 * (patch_always ? patch_passes : row_passes)) +
                             (patch_always ? 60 : 0);
    const int lanes = fsz <= PATCH_MAX && lane_cost < dot_cost;
    const int vector_ok = tq_rvv_min_s8(p->shift, p->out_c) >= 32;
    /* Output pixels whose windows lie inside the image horizontally: [ox_lo, ox_hi). */
    const int32_t ox_lo = (p->pad_left + p->stride_w - 1) / p->stride_w;
    const int32_t right = p->in_w - 1 + p->pad_left - span_w;
    const int32_t ox_hi = right < 0 ? 0 : right / p->stride_w + 1 < p->out_w
                                              ? right / p->stride_w + 1 : p->out_w;
    /* Pixel lanes: ~12 per tap, ~10 per row and ~110 per pass of three filters over up to
     * PIX_MAX pixels. */
    const int32_t width = ox_hi - ox_lo < PIX_MAX ? ox_hi - ox_lo : PIX_MAX;
    const int pix = vector_ok && p->dil_w == 1 && p->k_h <= PIX_ROWS &&
                    row_len <= PIX_ROW_LEN && width > 0 &&
                    (p->out_c + 2) / 3 * (12 * fsz + 10 * p->k_h + 110) <
                        width * (lanes ? lane_cost : dot_cost);
    int8_t zbuf[PIX_ROW_LEN];
    if (pix) {
        tq_rvv_fill_s8(zbuf, p->in_zp, row_len);
    }
    int8_t patch[PATCH_MAX];
    int32_t acc[2 * OC_CHUNK];
    if (fsz > PATCH_MAX) {
        tq_rvv_fill_s8(patch, p->in_zp, PATCH_MAX); /* the padded taps' activations */
    }
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        window v;
        v.iy0 = oy * p->stride_h - p->pad_top;
        const int rows_inside = v.iy0 >= 0 && v.iy0 + span_h < p->in_h;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            if (pix && ox == ox_lo) {
                pixel_row(p, in, out, oy, ox_lo, ox_hi, zbuf);
                ox = ox_hi - 1;
                continue;
            }
            v.ix0 = ox * p->stride_w - p->pad_left;
            v.kx_lo = 0;
            while (v.kx_lo < p->k_w && v.ix0 + v.kx_lo * p->dil_w < 0) {
                v.kx_lo++;
            }
            v.kx_hi = p->k_w;
            while (v.kx_hi > v.kx_lo && v.ix0 + (v.kx_hi - 1) * p->dil_w >= p->in_w) {
                v.kx_hi--;
            }
            const int inside = rows_inside && v.ix0 >= 0 && v.ix0 + span_w < p->in_w;
            const int32_t dx = p->stride_w * cin;
            if (lanes && inside && p->dil_w == 1 && ox + 1 < p->out_w &&
                v.ix0 + p->stride_w + span_w < p->in_w && !(pix && ox + 1 == ox_lo)) {
                /* This pixel and the next read their windows directly: one pass. */
                const int8_t *x = in + ((size_t)v.iy0 * p->in_w + v.ix0) * cin;
                int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
                for (int32_t oc0 = 0; oc0 < p->out_c;) {
                    const int32_t left = p->out_c - oc0 < OC_CHUNK ? p->out_c - oc0 : OC_CHUNK;
                    const int32_t nc = tq_rvv_oc_sums2(x, dx, p->dil_h * p->in_w * cin,
                                                       row_len, p->k_h,
                                                       p->weights + (size_t)oc0 * fsz, fsz,
                                                       left, acc, acc + OC_CHUNK);
                    requant_chunk(p, acc, oc0, nc, vector_ok, o);
                    requant_chunk(p, acc + OC_CHUNK, oc0, nc, vector_ok, o + p->out_c);
                    oc0 += nc;
                }
                ox++;
                continue;
            }
            if (inside && p->dil_w == 1 && (lanes || !patch_always)) {
                v.x = in + ((size_t)v.iy0 * p->in_w + v.ix0) * cin;
                v.xs = p->dil_h * p->in_w * cin;
                v.ws = row_len;
                v.len = row_len;
                v.rows = p->k_h;
            } else if (fsz <= PATCH_MAX) {
                gather_patch(p, in, &v, patch);
                v.x = patch;
                v.xs = 0;
                v.ws = 0;
                v.len = fsz;
                v.rows = 1;
            } else {
                v.rows = 0;
            }
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
            for (int32_t oc0 = 0; oc0 < p->out_c;) {
                int32_t nc = p->out_c - oc0 < OC_CHUNK ? p->out_c - oc0 : OC_CHUNK;
                if (lanes) {
                    nc = tq_rvv_oc_sums(v.x, v.xs, v.len, v.rows,
                                        p->weights + (size_t)oc0 * fsz, fsz, nc, acc);
                } else {
                    pixel_sums(p, in, &v, patch, oc0, nc, acc);
                }
                requant_chunk(p, acc, oc0, nc, vector_ok, o);
                oc0 += nc;
            }
        }
    }
}
#endif /* TQ_HAS_RVV */
