/* Convolution for 32-bit cores without DSP / MVE / RVV (Cortex-M0+ / M3, rv32imc).
 *
 * Pixels go two at a time, in raster order across rows, through a pass that keeps 2 pixels
 * x TQ_SC_OCB output channels of sums in registers: one load of each activation and
 * weight serves two or four products. An interior window (wholly inside the input) is read
 * in place as runs of contiguous bytes (k_w * in_c per kernel row when dil_w is 1, else
 * in_c per tap); the filter's runs are contiguous in OHWI, so its pointers only advance.
 * A border window (and every window when the runs are short, as in first layers) is
 * gathered with its padding into scratch of at most TQ_SC_PATCH bytes and read as
 * one run. Larger border windows, and the channels past the last whole block, go one
 * channel at a time: the inside taps as dot products, the padded ones as in_zp times their
 * weights' sum. Grouped convolutions use the reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_SCALAR
#include "tinyq.h"
#include "../tq_scalar.h"
#include "../tq_window.h"

#if defined(__thumb__) && !defined(__thumb2__)
#define TQ_SC_RUN_COST 12
#else
#define TQ_SC_RUN_COST 4
#endif

/* Each pass is kept out of line: inlined into the pixel loop, GCC spilled its sums. */

/* How one window is read: k_h kernel rows of per_row runs of len bytes. */
typedef struct {
    int32_t k_h, per_row, len;
    int32_t tap_step, row_step; /* bytes from run to run in a row, from row to row */
    int32_t fsz;
} runs;

#if defined(__thumb__) && !defined(__thumb2__)
/* Pixels one at a time (products cannot share a register here): s[j] = bias[j] + window a
 * . filter j, and s[4 + j] the same for window b unless b is a. */
static void __attribute__((noinline))
pass(const runs *g, const int8_t *a, const int8_t *b, const int8_t *w, const int32_t *bias,
     int32_t s[8])
{
    for (int32_t pix = 0; pix < 2; pix++) {
        s[4 * pix] = bias[0], s[4 * pix + 1] = bias[1];
        s[4 * pix + 2] = bias[2], s[4 * pix + 3] = bias[3];
        const int8_t *w0 = w, *w1 = w + g->fsz, *w2 = w1 + g->fsz, *w3 = w2 + g->fsz;
        const int32_t len = g->len;
        for (int32_t ky = 0; ky < g->k_h; ky++) {
            const int8_t *x = (pix ? b : a) + ky * g->row_step;
            for (int32_t t = 0; t < g->per_row; t++, x += g->tap_step) {
                w0 += len, w1 += len, w2 += len, w3 += len;
                tq_sc_run4(x + len, w0, w1, w2, w3, len, s + 4 * pix);
            }
        }
        if (b == a) {
            return;
        }
    }
}
#elif defined(__riscv)
/* s[j] = bias[j] + window a . filter j, s[4 + j] the same for window b, filters w + j * fsz:
 * 8 sums, 6 pointers and 6 loaded values in registers; two elements per step so the loads
 * use immediate offsets and the 6 pointer increments serve 16 MACs. */
static void __attribute__((noinline))
pass(const runs *g, const int8_t *a, const int8_t *b, const int8_t *w, const int32_t *bias,
     int32_t s[8])
{
    int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    int32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    const int8_t *w0 = w, *w1 = w + g->fsz, *w2 = w1 + g->fsz, *w3 = w2 + g->fsz;
    const int32_t len = g->len;
#define TQ_SC_STEP(o)                                                                      \
    do {                                                                                   \
        const int32_t u = x[o], v = y[o];                                                  \
        const int32_t k0 = w0[o], k1 = w1[o], k2 = w2[o], k3 = w3[o];                      \
        a0 += u * k0;                                                                      \
        a1 += u * k1;                                                                      \
        a2 += u * k2;                                                                      \
        a3 += u * k3;                                                                      \
        b0 += v * k0;                                                                      \
        b1 += v * k1;                                                                      \
        b2 += v * k2;                                                                      \
        b3 += v * k3;                                                                      \
    } while (0)
    for (int32_t ky = 0; ky < g->k_h; ky++) {
        const int8_t *xa = a + ky * g->row_step, *xb = b + ky * g->row_step;
        for (int32_t t = 0; t < g->per_row; t++, xa += g->tap_step, xb += g->tap_step) {
            const int8_t *x = xa, *y = xb;
            const int8_t *end = x + (len & ~1);
            while (x != end) {
                TQ_SC_STEP(0);
                TQ_SC_STEP(1);
                x += 2, y += 2, w0 += 2, w1 += 2, w2 += 2, w3 += 2;
            }
            if (len & 1) {
                TQ_SC_STEP(0);
                w0++, w1++, w2++, w3++;
            }
        }
    }
#undef TQ_SC_STEP
    s[0] = a0, s[1] = a1, s[2] = a2, s[3] = a3;
    s[4] = b0, s[5] = b1, s[6] = b2, s[7] = b3;
}
#else
/* Thumb-2 (M3): LDRSB with post-increment and MLA, 13 registers: 2 pixels x 2 channels.
 * s[j] = bias[j] + window a . filter j, s[2 + j] the same for window b, filters w + j * fsz. */
static void __attribute__((noinline))
pass(const runs *g, const int8_t *a, const int8_t *b, const int8_t *w, const int32_t *bias,
     int32_t s[4])
{
    int32_t a0 = bias[0], a1 = bias[1], b0 = a0, b1 = a1;
    const int8_t *w0 = w, *w1 = w + g->fsz;
    const int32_t len = g->len;
    for (int32_t ky = 0; ky < g->k_h; ky++) {
        const int8_t *xa = a + ky * g->row_step, *xb = b + ky * g->row_step;
        for (int32_t t = 0; t < g->per_row; t++, xa += g->tap_step, xb += g->tap_step) {
            const int8_t *x = xa, *y = xb;
            const int8_t *end = x + len;
            while (x != end) {
                const int32_t u = *x++, v = *y++;
                const int32_t k0 = *w0++, k1 = *w1++;
                a0 += u * k0;
                b0 += v * k0;
                a1 += u * k1;
                b1 += v * k1;
            }
        }
    }
    s[0] = a0, s[1] = a1, s[2] = b0, s[3] = b1;
}
#endif

/* Interior pixels a and b (b == a for a lone one; ob == NULL then): channels from 0 in
 * blocks of TQ_SC_OCB; returns the first channel not done. */
static int32_t pair(const tq_conv2d_params *p, const runs *g, const int8_t *a, const int8_t *b,
                    int8_t *oa, int8_t *ob)
{
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    int32_t oc = 0;
    for (; oc + TQ_SC_OCB <= p->out_c; oc += TQ_SC_OCB) {
        int32_t s[2 * TQ_SC_OCB];
        pass(g, a, b, p->weights + (size_t)oc * g->fsz, p->bias + oc, s);
        for (int32_t j = 0; j < TQ_SC_OCB; j++) {
            const int32_t m = p->mult[oc + j], sh = p->shift[oc + j];
            oa[oc + j] = tq_sc_out(s[j], m, sh, zp, lo, hi);
            if (ob != NULL) {
                ob[oc + j] = tq_sc_out(s[TQ_SC_OCB + j], m, sh, zp, lo, hi);
            }
        }
    }
    return oc;
}

/* Channels [oc0, out_c) of the pixel whose window starts at (iy0, ix0), padding and all. */
static void pixel(const tq_conv2d_params *p, const int8_t *in, int32_t iy0, int32_t ix0,
                  int32_t oc0, int8_t *o)
{
    const int32_t cin = p->in_c;
    const int32_t row_len = p->k_w * cin;
    const int32_t fsz = p->k_h * row_len;
    const int32_t kx_lo = first_inside(ix0, p->dil_w, p->k_w);
    const int32_t kx_hi = end_inside(ix0, p->dil_w, p->k_w, p->in_w, kx_lo);
    for (int32_t oc = oc0; oc < p->out_c; oc++) {
        const int8_t *w = p->weights + (size_t)oc * fsz;
        int32_t acc = 0, pad = 0;
        for (int32_t ky = 0; ky < p->k_h; ky++, w += row_len) {
            const int32_t iy = iy0 + ky * p->dil_h;
            if (iy < 0 || iy >= p->in_h) {
                pad += tq_sc_sum(w, row_len);
                continue;
            }
            pad += tq_sc_sum(w, kx_lo * cin) + tq_sc_sum(w + kx_hi * cin, (p->k_w - kx_hi) * cin);
            if (kx_lo == kx_hi) {
                continue;
            }
            const int8_t *x = in + ((size_t)iy * p->in_w + ix0 + kx_lo * p->dil_w) * cin;
            if (p->dil_w == 1) {
                acc += tq_sc_dot(x, w + kx_lo * cin, (kx_hi - kx_lo) * cin);
            } else {
                for (int32_t kx = kx_lo; kx < kx_hi; kx++, x += p->dil_w * cin) {
                    acc += tq_sc_dot(x, w + kx * cin, cin);
                }
            }
        }
        o[oc] = tq_sc_out(p->bias[oc] + acc + p->in_zp * pad, p->mult[oc], p->shift[oc],
                          p->out_zp, p->act_min, p->act_max);
    }
}

void tq_conv2d_s8_scalar(const tq_conv2d_params *p, const int8_t *restrict in,
                         int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) {
        tq_conv2d_s8(p, in, out);
        return;
    }
    const int32_t cin = p->in_c;
    const int32_t fsz = p->k_h * p->k_w * cin;
    const runs direct = {p->k_h, p->dil_w == 1 ? 1 : p->k_w, p->dil_w == 1 ? p->k_w * cin : cin,
                         p->dil_w * cin, p->dil_h * p->in_w * cin, fsz};
    const runs flat = {1, 1, fsz, 0, 0, fsz};
    const int32_t span_h = (p->k_h - 1) * p->dil_h;
    const int32_t span_w = (p->k_w - 1) * p->dil_w;
    /* Scratch exists (TQ_CONV2D_SCALAR_SCRATCH) only for windows of up to TQ_SC_PATCH. */
    int8_t *patch[2] = {scratch, fsz <= TQ_SC_PATCH ? scratch + fsz : scratch};
    /* Short runs (first layers: in_c 1-3) cost each channel block TQ_SC_RUN_COST
     * instructions of set-up per run; gathering a window costs ~4 per byte, once for all
     * blocks (measured: conv 3x3 3->16 and 3->8 s2 stay direct, a 10x4 1->64 gathers). */
    const int32_t n_runs = direct.k_h * direct.per_row;
    const int gather_all = fsz <= TQ_SC_PATCH &&
                           TQ_SC_RUN_COST * n_runs * (p->out_c / TQ_SC_OCB) > 4 * fsz;
    const int32_t n = p->out_h * p->out_w;
    int32_t oy = 0, ox = 0;
    for (int32_t i = 0; i < n; i += 2) {
        /* Pixels i and j = i + 1 (i again when i is the last) in raster order. */
        const int two = i + 1 < n;
        int32_t iy[2], ix[2], inside = 1;
        for (int32_t k = 0; k < 2; k++) {
            iy[k] = oy * p->stride_h - p->pad_top;
            ix[k] = ox * p->stride_w - p->pad_left;
            inside &= iy[k] >= 0 && iy[k] + span_h < p->in_h && ix[k] >= 0 &&
                      ix[k] + span_w < p->in_w;
            if (k == 0 && !two) {
                iy[1] = iy[0], ix[1] = ix[0];
                break;
            }
            if (++ox == p->out_w) {
                ox = 0, oy++;
            }
        }
        int8_t *oa = out + (size_t)i * p->out_c;
        int8_t *ob = two ? oa + p->out_c : NULL;
        const int8_t *a, *b;
        const runs *g = &direct;
        if (inside && !gather_all) {
            a = in + ((size_t)iy[0] * p->in_w + ix[0]) * cin;
            b = in + ((size_t)iy[1] * p->in_w + ix[1]) * cin;
        } else if (fsz <= TQ_SC_PATCH) {
            /* The window is copied out with its padding, then read as one run. */
            tq_sc_gather(p, in, iy[0], ix[0], patch[0]);
            a = b = patch[0];
            if (two) {
                tq_sc_gather(p, in, iy[1], ix[1], patch[1]);
                b = patch[1];
            }
            g = &flat;
        } else {
            pixel(p, in, iy[0], ix[0], 0, oa);
            if (two) {
                pixel(p, in, iy[1], ix[1], 0, ob);
            }
            continue;
        }
        const int32_t done = pair(p, g, a, b, oa, ob);
        if (done < p->out_c) {
            pixel(p, in, iy[0], ix[0], done, oa);
            if (two) {
                pixel(p, in, iy[1], ix[1], done, ob);
            }
        }
    }
}
#endif /* TQ_HAS_SCALAR */
