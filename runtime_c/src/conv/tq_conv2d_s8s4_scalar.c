/* Convolution with int4 weights for 32-bit cores without DSP / MVE / RVV.
 *
 * As tq_conv2d_s8_scalar.c: pixels two at a time in raster order, 2 pixels x 4 (RV32) or
 * 2 (ARM) output channels of sums in registers, interior windows read in place as runs,
 * other windows gathered with their padding (at most TQ_SC_PATCH bytes) and read as one
 * run. Each weight byte is read once and split into its two nibbles in registers, which
 * serve two activations of each pixel: no unpacked copy of a filter (scratch holds only
 * gathered windows). This needs every run to start on a byte: even runs (in_c even) to
 * read in place, and filters that start on a byte, which the converter ensures by
 * padding filters of odd size with a zero element (tinyq.h); their windows, always of
 * odd runs, are gathered with one byte more (times that zero). Grouped convolutions use
 * the reference kernel; the channels past the last whole block, and every pixel of
 * windows too large to gather that cannot be read in place, go one at a time. */
#include "tq_isa.h"

#if TQ_HAS_SCALAR
#include "tinyq.h"
#include "../tq_int4.h"
#include "../tq_scalar.h"

#if defined(__riscv)
#define OCB 4
#else
#define OCB 2
#endif

/* k_h kernel rows of per_row runs of len (even) elements; filters of fsz (even: padded). */
typedef struct {
    int32_t k_h, per_row, len;
    int32_t tap_step, row_step;
    int32_t fsz;
} runs;

/* One weight byte k of a filter against two activations of each pixel. */
#define TQ_SC_S4(k, sa, sb)                                                                \
    do {                                                                                   \
        const int32_t hi4 = (k) >> 4, lo4 = tq_sc_lo4(k);                                  \
        sa += u0 * lo4 + u1 * hi4;                                                         \
        sb += v0 * lo4 + v1 * hi4;                                                         \
    } while (0)

#if OCB == 4
/* s[j] = bias[j] + window a . filter j, s[4 + j] the same for window b; kept out of line
 * so GCC keeps the 8 sums in registers. */
static void __attribute__((noinline))
pass(const runs *g, const int8_t *a, const int8_t *b, const int8_t *w, const int32_t *bias,
     int32_t s[8])
{
    int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    int32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    const int32_t fb = g->fsz / 2;
    const int8_t *w0 = w, *w1 = w + fb, *w2 = w1 + fb, *w3 = w2 + fb;
    for (int32_t ky = 0; ky < g->k_h; ky++) {
        const int8_t *xa = a + ky * g->row_step, *xb = b + ky * g->row_step;
        for (int32_t t = 0; t < g->per_row; t++, xa += g->tap_step, xb += g->tap_step) {
            const int8_t *x = xa, *y = xb;
            const int8_t *end = x + g->len;
            while (x != end) {
                const int32_t u0 = x[0], u1 = x[1], v0 = y[0], v1 = y[1];
                TQ_SC_S4(w0[0], a0, b0);
                TQ_SC_S4(w1[0], a1, b1);
                TQ_SC_S4(w2[0], a2, b2);
                TQ_SC_S4(w3[0], a3, b3);
                x += 2, y += 2, w0++, w1++, w2++, w3++;
            }
        }
    }
    s[0] = a0, s[1] = a1, s[2] = a2, s[3] = a3;
    s[4] = b0, s[5] = b1, s[6] = b2, s[7] = b3;
}
#else
/* s[j] = bias[j] + window a . filter j, s[2 + j] the same for window b. */
static void __attribute__((noinline))
pass(const runs *g, const int8_t *a, const int8_t *b, const int8_t *w, const int32_t *bias,
     int32_t s[4])
{
    int32_t a0 = bias[0], a1 = bias[1], b0 = a0, b1 = a1;
    const int8_t *w0 = w, *w1 = w + g->fsz / 2;
    for (int32_t ky = 0; ky < g->k_h; ky++) {
        const int8_t *xa = a + ky * g->row_step, *xb = b + ky * g->row_step;
        for (int32_t t = 0; t < g->per_row; t++, xa += g->tap_step, xb += g->tap_step) {
            const int8_t *x = xa, *y = xb;
            const int8_t *end = x + g->len;
            while (x != end) {
                const int32_t u0 = x[0], u1 = x[1], v0 = y[0], v1 = y[1];
                TQ_SC_S4(w0[0], a0, b0);
                TQ_SC_S4(w1[0], a1, b1);
                x += 2, y += 2, w0++, w1++;
            }
        }
    }
    s[0] = a0, s[1] = a1, s[2] = b0, s[3] = b1;
}
#endif
#undef TQ_SC_S4

/* Windows a and b (b == a for a lone pixel; ob == NULL then): channels from 0 in blocks of
 * OCB; returns the first channel not done. */
static int32_t pair(const tq_conv2d_params *p, const runs *g, const int8_t *a, const int8_t *b,
                    int8_t *oa, int8_t *ob)
{
    const int32_t zp = p->out_zp, lo = p->act_min, hi = p->act_max;
    int32_t oc = 0;
    for (; oc + OCB <= p->out_c; oc += OCB) {
        int32_t s[2 * OCB];
        pass(g, a, b, p->weights + (size_t)oc * (g->fsz / 2), p->bias + oc, s);
        for (int32_t j = 0; j < OCB; j++) {
            const int32_t m = p->mult[oc + j], sh = p->shift[oc + j];
            oa[oc + j] = tq_sc_out(s[j], m, sh, zp, lo, hi);
            if (ob != NULL) {
                ob[oc + j] = tq_sc_out(s[OCB + j], m, sh, zp, lo, hi);
            }
        }
    }
    return oc;
}

/* Channels [oc0, out_c) of the pixel whose window starts at (iy0, ix0), tap by tap. */
static void pixel(const tq_conv2d_params *p, const int8_t *in, int32_t iy0, int32_t ix0,
                  int32_t oc0, int8_t *o)
{
    const int32_t cin = p->in_c;
    const int32_t fsz = p->k_h * p->k_w * cin, stride = fsz + (fsz & 1);
    for (int32_t oc = oc0; oc < p->out_c; oc++) {
        size_t e = (size_t)oc * stride;
        int32_t acc = 0, pad = 0;
        for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t iy = iy0 + ky * p->dil_h;
            for (int32_t kx = 0; kx < p->k_w; kx++, e += (size_t)cin) {
                const int32_t ix = ix0 + kx * p->dil_w;
                if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                    acc += tq_dot_s8s4(in + ((size_t)iy * p->in_w + ix) * cin, p->weights, e,
                                       cin);
                } else {
                    pad += tq_sum_s4(p->weights, e, cin);
                }
            }
        }
        o[oc] = tq_sc_out(p->bias[oc] + acc + p->in_zp * pad, p->mult[oc], p->shift[oc],
                          p->out_zp, p->act_min, p->act_max);
    }
}

void tq_conv2d_s8s4_scalar(const tq_conv2d_params *p, const int8_t *restrict in,
                           int8_t *restrict out, int8_t *restrict scratch)
{
    const int32_t cin = p->in_c;
    const int32_t fsz = p->k_h * p->k_w * cin, fszp = fsz + (fsz & 1);
    const runs direct = {p->k_h, p->dil_w == 1 ? 1 : p->k_w, p->dil_w == 1 ? p->k_w * cin : cin,
                         p->dil_w * cin, p->dil_h * p->in_w * cin, fsz};
    const runs flat = {1, 1, fszp, 0, 0, fszp};
    const int in_place = direct.len % 2 == 0; /* never with an odd fsz */
    const int patch_ok = fsz <= TQ_SC_PATCH;
    if (p->groups != 1) {
        tq_conv2d_s8s4(p, in, out);
        return;
    }
    if (!in_place && !patch_ok) {
        for (int32_t i = 0; i < p->out_h * p->out_w; i++) {
            const int32_t oy = i / p->out_w, ox = i - oy * p->out_w;
            pixel(p, in, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left, 0,
                  out + (size_t)i * p->out_c);
        }
        return;
    }
    const int32_t span_h = (p->k_h - 1) * p->dil_h;
    const int32_t span_w = (p->k_w - 1) * p->dil_w;
    /* Scratch exists (TQ_CONV2D_SCALAR_SCRATCH) only for windows of up to TQ_SC_PATCH. */
    int8_t *patch[2] = {scratch, fsz <= TQ_SC_PATCH ? scratch + fszp : scratch};
    const int32_t n = p->out_h * p->out_w;
    int32_t oy = 0, ox = 0;
    for (int32_t i = 0; i < n; i += 2) {
        const int two = i + 1 < n;
        int32_t iy[2], ix[2], inside = in_place;
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
        if (inside) {
            a = in + ((size_t)iy[0] * p->in_w + ix[0]) * cin;
            b = in + ((size_t)iy[1] * p->in_w + ix[1]) * cin;
        } else if (patch_ok) {
            tq_sc_gather(p, in, iy[0], ix[0], patch[0]);
            a = b = patch[0];
            if (two) {
                tq_sc_gather(p, in, iy[1], ix[1], patch[1]);
                b = patch[1];
            }
            if (fsz & 1) { /* the byte past each window meets the zero after the filter */
                patch[0][fsz] = 0;
                patch[1][fsz] = 0;
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
