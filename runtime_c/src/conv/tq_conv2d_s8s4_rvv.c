/* Convolution with int4 weights on the RISC-V vector extension 1.0 (GNU inline assembly;
 * see tq_conv2d_s8_rvv.c for why no vector register is clobbered or live across
 * statements). Packed weights are read from flash and unpacked in vector registers only.
 *
 * As tq_conv2d_s8_rvv, two ways to take a pixel's sums, chosen per layer by a rough count:
 * - Channel lanes (short windows): each output channel an int32 lane; per two taps one
 *   strided load of the filters' byte, widened to int16, gives both taps' weights (low
 *   nibble: VSLL then VSRA by 12; high: VSRA by 4), each multiply-accumulated with its
 *   scalar activation. An even filter size puts every filter's tap t at the same nibble; an
 *   odd one alternates, so even and odd filters then are two lane sets, stored interleaved.
 * - Dot products (long windows): two filters per pass (tq_rvv_dot2_s4), which must start
 *   their runs on whole bytes: filters o, o + 1 for an even filter size, o, o + 2 (same
 *   parity) for an odd one. A window is read as rows straight from the input when every row
 *   is a whole number of bytes, else gathered into a patch between two zero activations:
 *   an odd filter then reads from the zero before (its first byte's low nibble belongs to
 *   the previous filter) and an even one ends on the zero after.
 * - Pixel lanes (small windows, wide rows): output pixels as lanes, three filters of one
 *   start parity per pass, weights as scalar nibbles (tq_rvv_pix3_s4_run, tq_rvv_lanes.h).
 * A window larger than a patch that touches the padding is gathered row by row. Layers
 * neither way can read (rows and windows past a patch with odd row lengths) and grouped
 * convolutions use the reference kernel. Needs VLEN >= 128. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_requant.h"
#include "../tq_rvv.h"
#include "../tq_rvv_lanes.h"
#include "../tq_rvv_oclanes.h"
#include "../tq_rvv_s4.h"

#define OC_CHUNK 32   /* output channels whose int32 sums wait on the stack for requant */
#define PATCH_MAX 256 /* activations of one gathered window */
#define PIX_MAX 32     /* output pixels per pass of pixel lanes (int32 lanes, e32 m8) */
#define PIX_ROWS 11    /* window rows pixel lanes take */
#define PIX_ROW_LEN 64 /* taps per window row pixel lanes take (bytes of in_zp) */

/* How one output pixel's window is read. */
typedef struct {
    const int8_t *x;     /* run start: input (rows) or patch + 1 (one run of fsz) */
    int32_t xs, len, rows;
    int32_t iy0, ix0, kx_lo, kx_hi;
} window;

/* Row ky of the window into dst (row_len activations, padded taps in_zp). */
static void gather_row(const tq_conv2d_params *p, const int8_t *in, const window *v,
                       int32_t ky, int8_t *dst)
{
    const int32_t cin = p->in_c;
    const int32_t row_len = p->k_w * cin;
    const int32_t iy = v->iy0 + ky * p->dil_h;
    if (iy < 0 || iy >= p->in_h || v->kx_lo >= v->kx_hi) {
        tq_rvv_fill_s8(dst, p->in_zp, row_len);
        return;
    }
    const int8_t *x = in + ((size_t)iy * p->in_w + v->ix0 + v->kx_lo * p->dil_w) * cin;
    tq_rvv_fill_s8(dst, p->in_zp, v->kx_lo * cin);
    if (p->dil_w == 1) {
        tq_rvv_copy_s8(dst + v->kx_lo * cin, x, (v->kx_hi - v->kx_lo) * cin);
    } else {
        for (int32_t kx = v->kx_lo; kx < v->kx_hi; kx++) {
            tq_rvv_copy_s8(dst + kx * cin, x + (size_t)(kx - v->kx_lo) * p->dil_w * cin, cin);
        }
    }
    tq_rvv_fill_s8(dst + v->kx_hi * cin, p->in_zp, (p->k_w - v->kx_hi) * cin);
}

/* Lane sums of output channels [oc0, oc0 + n) (oc0 even, n <= OC_CHUNK) over the window
 * into acc, and with acc2 also over the window dx bytes further (tq_rvv_oc_sums2_s4);
 * returns n. */
static int32_t lanes_pass(const tq_conv2d_params *p, const window *v, int32_t fsz,
                          int32_t oc0, int32_t n, int32_t *acc, int32_t dx, int32_t *acc2)
{
    const size_t e0 = (size_t)oc0 * fsz;
    /* Odd filter sizes: odd filters start on the high nibble of the byte their
     * predecessor ends in, so even and odd filters are two lane sets. */
    const int32_t sets = fsz & 1 ? 2 : 1;
    const int32_t ws = fsz & 1 ? fsz : fsz / 2;
    for (int32_t i = 0; i < sets && i < n; i++) {
        const size_t e = e0 + (size_t)i * fsz;
        const int32_t lanes = sets == 1 ? n : (n + 1 - i) / 2;
        const int8_t *w = p->weights + e / 2;
        const int32_t ph = (int32_t)(e & 1u);
        if (acc2 != NULL) {
            tq_rvv_oc_sums2_s4(v->x, dx, v->xs, v->len, v->rows, w, ph, ws, lanes, acc + i,
                               acc2 + i, 4 * sets);
        } else {
            tq_rvv_oc_sums_s4(v->x, v->xs, v->len, v->rows, w, ph, ws, lanes, acc + i, 4 * sets);
        }
    }
    return n;
}

/* One run set of a window for dot products: `rows` runs of len activations from x (step
 * xs), matched against the filters' elements from tap t0 (row_w apart per run). */
typedef struct {
    const int8_t *x;
    int32_t xs, len, rows, t0;
} segment;

/* npairs filter pairs over `rows` runs of len (even) activations from x, the first pair's
 * first filter from element e (even) on; d: the rest of tq_rvv_s4_dots. Splits the runs so
 * that no call passes more than 15 vector passes over one int16 lane. */
static void run_pairs(const tq_conv2d_params *p, const segment *g, const int8_t *x,
                      int32_t len, size_t e, int32_t npairs, tq_rvv_s4_dots d, int32_t *acc,
                      int32_t vlmax)
{
    const int32_t row_w = p->k_w * p->in_c;
    const int32_t pairs = len / 2;
    const int32_t per_row = (pairs + vlmax - 1) / vlmax;
    const int32_t group = per_row > 15 ? 1 : 15 / per_row;
    const int32_t chunk = 15 * vlmax;
    d.xs = g->xs;
    d.ws = row_w / 2;
    for (int32_t r = 0; r < g->rows; r += group) {
        d.rows = g->rows - r < group ? g->rows - r : group;
        for (int32_t off = 0; off < pairs; off += chunk) {
            d.pairs = pairs - off < chunk ? pairs - off : chunk;
            d.x = x + (size_t)r * g->xs + 2 * off;
            tq_rvv_dot_pairs_s4(&d, p->weights + (e + (size_t)r * row_w) / 2 + off, acc,
                                npairs);
            d.add = 1;
        }
    }
}

/* acc[j] (+)= dot sums of output channels [oc0, oc0 + nc) (oc0 even) over one segment.
 * Paired filters start at the same nibble: o, o + 1 for an even filter size; for an odd
 * one (a patch between zeros, see the top) o, o + 2, odd filters reading from the zero
 * before the patch. Unpaired filters at the end go alone. */
static void segment_sums(const tq_conv2d_params *p, const segment *g, int32_t fsz,
                         int32_t vlmax, int32_t oc0, int32_t nc, int add, int32_t *acc)
{
    const int32_t gap = fsz & 1 ? 2 : 1;
    const int32_t blocks = nc / (2 * gap);
    const size_t e0 = (size_t)oc0 * fsz + g->t0;
    tq_rvv_s4_dots d = {0};
    d.add = add;
    if (blocks > 0) {
        d.wstep = gap * fsz / 2;
        d.pstep = gap * fsz;
        d.astep = 8 * gap;
        d.agap = 4 * gap;
        for (int32_t i = 0; i < gap; i++) {
            const size_t e = e0 + (size_t)i * fsz;
            const int32_t odd = (int32_t)(e & 1u);
            run_pairs(p, g, g->x - odd, g->len + (g->len & 1), e - odd, blocks, d, acc + i,
                      vlmax);
        }
    }
    d.wstep = d.pstep = d.astep = d.agap = 0;
    for (int32_t j = blocks * 2 * gap; j < nc; j++) {
        const size_t e = e0 + (size_t)j * fsz;
        const int32_t odd = (int32_t)(e & 1u);
        run_pairs(p, g, g->x - odd, g->len + (g->len & 1), e - odd, 1, d, acc + j, vlmax);
    }
}

static void requant_chunk(const tq_conv2d_params *p, const int32_t *acc, int32_t oc0,
                          int32_t nc, int vector_ok, int8_t *o)
{
    if (vector_ok) {
        tq_rvv_requant(acc, p->bias + oc0, p->mult + oc0, p->shift + oc0, nc, o + oc0,
                       p->out_zp, p->act_min, p->act_max);
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
 * lanes, three filters of one start parity per pass (tq_rvv_pix3_s4_run): all filters for
 * an even filter size, else the even ones, then the odd ones. Window rows above or below
 * the image read zbuf (row_len bytes of in_zp) with lane stride 0. */
static void pixel_row(const tq_conv2d_params *p, const int8_t *in, int8_t *out, int32_t oy,
                      int32_t ox_lo, int32_t ox_hi, const int8_t *zbuf)
{
    const int32_t cin = p->in_c;
    const int32_t fsz = p->k_h * p->k_w * cin;
    const int32_t gap = fsz & 1 ? 2 : 1;
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
        for (int32_t q = 0; q < gap && q < p->out_c; q++) {
            /* Filters q, q + gap, ...: m of them, in blocks of three, the last block
             * ending at the last one (overlapping, or repeating it when m < 3). */
            const int32_t m = (p->out_c - q + gap - 1) / gap;
            for (int32_t b = 0; b < m; b += 3) {
                const int32_t base = m < 3 ? 0 : b < m - 3 ? b : m - 3;
                for (int32_t j = 0; j < 3; j++) {
                    const int32_t i = base + j < m ? base + j : m - 1;
                    const int32_t oc = q + i * gap;
                    const size_t e = (size_t)oc * fsz;
                    a.w[j] = p->weights + e / 2;
                    tq_rvv_pix3_filter(&a, j, p, oc);
                    a.phase = (int32_t)(e & 1u);
                }
                tq_rvv_pix3_s4_run(&a, n);
            }
        }
    }
}

void tq_conv2d_s8s4_rvv(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out)
{
    const int32_t cin = p->in_c;
    const int32_t row_len = p->k_w * cin;
    const int32_t fsz = p->k_h * row_len;
    const int even_rows = !(row_len & 1);
    const int dot_ok = fsz <= PATCH_MAX || (even_rows && row_len <= PATCH_MAX);
    if (p->groups != 1 || !dot_ok) {
        tq_conv2d_s8s4(p, in, out);
        return;
    }
    const int32_t span_h = (p->k_h - 1) * p->dil_h;
    const int32_t span_w = (p->k_w - 1) * p->dil_w;
    const int32_t vlmax = tq_rvv_vlmax_e8m4(); /* activation pairs per dot pass */
    const int32_t row_passes = p->k_h * ((row_len / 2 + vlmax - 1) / vlmax);
    const int32_t patch_passes = (fsz / 2 + vlmax) / vlmax;
    const int patch_always = fsz <= PATCH_MAX && (!even_rows || patch_passes < row_passes);
    /* Instructions per pixel, roughly: channel lanes ~13 per two taps per lane set of up
     * to 32 channels (two sets per 32 for odd filter sizes) plus ~60; dot products ~30 per
     * filter pair plus ~20 per vector pass and ~7 per run. */
    const int32_t lane_sets = (fsz & 1 ? 2 : 1) * ((p->out_c + OC_CHUNK - 1) / OC_CHUNK);
    const int32_t lane_cost = lane_sets * (13 * fsz / 2 + 60);
    const int32_t dot_cost = (p->out_c + 1) / 2 *
                             (30 + (patch_always ? 20 * patch_passes + 7
                                                 : 20 * row_passes + 7 * p->k_h)) +
                             (patch_always ? 60 : 0);
    const int lanes = fsz <= PATCH_MAX && lane_cost < dot_cost;
    const int vector_ok = tq_rvv_min_s8(p->shift, p->out_c) >= 32;
    /* Output pixels whose windows lie inside the image horizontally: [ox_lo, ox_hi). */
    const int32_t ox_lo = (p->pad_left + p->stride_w - 1) / p->stride_w;
    const int32_t right = p->in_w - 1 + p->pad_left - span_w;
    const int32_t ox_hi = right < 0 ? 0 : right / p->stride_w + 1 < p->out_w
                                              ? right / p->stride_w + 1 : p->out_w;
    /* Pixel lanes: ~15 per tap, ~12 per row and ~110 per pass of three filters over up to
     * PIX_MAX pixels (one more pass per parity for odd filter sizes). */
    const int32_t width = ox_hi - ox_lo < PIX_MAX ? ox_hi - ox_lo : PIX_MAX;
    const int pix = vector_ok && p->dil_w == 1 && p->k_h <= PIX_ROWS &&
                    row_len <= PIX_ROW_LEN && width > 0 &&
                    ((p->out_c + 2) / 3 + (fsz & 1)) * (15 * fsz + 12 * p->k_h + 110) <
                        width * (lanes ? lane_cost : dot_cost);
    int8_t zbuf[PIX_ROW_LEN];
    if (pix) {
        tq_rvv_fill_s8(zbuf, p->in_zp, row_len);
    }
    /* A zero activation either side of the window (see the top of the file). */
    int8_t patch[PATCH_MAX + 2];
    int32_t acc[2 * OC_CHUNK];
    patch[0] = 0;
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
            int8_t *o = out + ((size_t)oy * p->out_w + ox) * p->out_c;
            int rowwise = 0;
            if (lanes && inside && p->dil_w == 1 && ox + 1 < p->out_w &&
                v.ix0 + p->stride_w + span_w < p->in_w && !(pix && ox + 1 == ox_lo)) {
                /* This pixel and the next read their windows directly: one pass. */
                v.x = in + ((size_t)v.iy0 * p->in_w + v.ix0) * cin;
                v.xs = p->dil_h * p->in_w * cin;
                v.len = row_len;
                v.rows = p->k_h;
                for (int32_t oc0 = 0; oc0 < p->out_c; oc0 += OC_CHUNK) {
                    const int32_t nc = p->out_c - oc0 < OC_CHUNK ? p->out_c - oc0 : OC_CHUNK;
                    lanes_pass(p, &v, fsz, oc0, nc, acc, p->stride_w * cin, acc + OC_CHUNK);
                    requant_chunk(p, acc, oc0, nc, vector_ok, o);
                    requant_chunk(p, acc + OC_CHUNK, oc0, nc, vector_ok, o + p->out_c);
                }
                ox++;
                continue;
            }
            if (inside && p->dil_w == 1 && (lanes || (!patch_always && even_rows))) {
                v.x = in + ((size_t)v.iy0 * p->in_w + v.ix0) * cin;
                v.xs = p->dil_h * p->in_w * cin;
                v.len = row_len;
                v.rows = p->k_h;
            } else if (fsz <= PATCH_MAX) {
                for (int32_t ky = 0; ky < p->k_h; ky++) {
                    gather_row(p, in, &v, ky, patch + 1 + ky * row_len);
                }
                patch[1 + fsz] = 0;
                v.x = patch + 1;
                v.xs = 0;
                v.len = fsz;
                v.rows = 1;
            } else {
                rowwise = 1;
            }
            for (int32_t oc0 = 0; oc0 < p->out_c; oc0 += OC_CHUNK) {
                const int32_t nc = p->out_c - oc0 < OC_CHUNK ? p->out_c - oc0 : OC_CHUNK;
                if (lanes) {
                    lanes_pass(p, &v, fsz, oc0, nc, acc, 0, NULL);
                } else if (!rowwise) {
                    const segment g = {v.x, v.xs, v.len, v.rows, 0};
                    segment_sums(p, &g, fsz, vlmax, oc0, nc, 0, acc);
                } else {
                    /* A border window past a patch: one row at a time (even rows). */
                    for (int32_t ky = 0; ky < p->k_h; ky++) {
                        gather_row(p, in, &v, ky, patch + 1);
                        const segment g = {patch + 1, 0, row_len, 1, ky * row_len};
                        segment_sums(p, &g, fsz, vlmax, oc0, nc, ky > 0, acc);
                    }
                }
                requant_chunk(p, acc, oc0, nc, vector_ok, o);
            }
        }
    }
}
#endif /* TQ_HAS_RVV */
