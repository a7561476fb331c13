/* Depthwise convolution with int4 weights on Helium (MVE): tq_dwconv2d_s8_mve with each
 * tap's eight weights unpacked in registers from four bytes: VLDRB.U32 puts byte j in
 * 32-bit lane j, VSHL #12 and VSLI #24 bring its low nibble to the top of the lane's low
 * half and its high nibble to the top of the high half, VSHR.S16 #12 sign-extends both:
 * int16 lanes of channels 2 j, 2 j + 1. Needs an even channel count (every tap starts on a
 * byte); odd counts, other multipliers, fewer than 8 channels, above 7x7: the reference. */
#include "tq_isa.h"

/* The asm needs r7: -O0 keeps it as the frame pointer, so unoptimized builds get the
 * reference arithmetic under this name. */
#if TQ_HAS_MVE && defined(__OPTIMIZE__)
#include <stddef.h>
#include "tinyq.h"
#include "../tq_mve.h"
#include "../tq_window.h"

#define TQ_DW_MAX_TAPS 49 /* the window buffer holds 7x7 taps; larger kernels: reference */

/* Where a group's taps are: tap (ky, kx) at x + ky * xrow + kx * xcol; weights w + tap * c
 * bytes (c: half the channel count). */
typedef struct {
    const int8_t *x, *w;
    int32_t xcol, xrow, c, k_w, k_h;
} tq_taps;

/* One tap of eight channels: even channels into QE, odd ones into QO (int32). */
#define TQ_DW_TAP8(OFF, WOFF, QE, QO)                                                    \
    "vldrb.s16 q4, [%[x], #" OFF "]\n"                                                   \
    "vldrb.u32 q5, [%[w], #" WOFF "]\n"                                                  \
    "vshl.i32 q6, q5, #12\n"                                                             \
    "vsli.32 q6, q5, #24\n"                                                              \
    "vshr.s16 q5, q6, #12\n"                                                             \
    "vmullb.s16 q6, q4, q5\n"                                                            \
    "vadd.i32 " QE ", " QE ", q6\n"                                                      \
    "vmullt.s16 q6, q4, q5\n"                                                            \
    "vadd.i32 " QO ", " QO ", q6\n"

/* The sums of g = 16 (or 8) channels over all taps into acc[0 .. g), in channel order:
 * per tap two loads of eight activations and eight weights, two widening multiplies and
 * two adds per eight channels; VST20/VST21 re-interleave the even / odd sums. */
static void taps(const tq_taps *t, int g, int32_t *acc)
{
    const int8_t *x = t->x, *w = t->w;
    const int32_t radj = t->xrow - t->k_w * t->xcol;
    int32_t rows = t->k_h;
    if (g == 16) {
        __asm__ volatile("vmov.i32 q0, #0\n"
                         "vmov.i32 q1, #0\n"
                         "vmov.i32 q2, #0\n"
                         "vmov.i32 q3, #0\n"
                         "0:\n"
                         "dls lr, %[kw]\n"
                         "1:\n" TQ_DW_TAP8("0", "0", "q0", "q1")
                         TQ_DW_TAP8("8", "4", "q2", "q3")
                         "add %[x], %[x], %[xcol]\n"
                         "add %[w], %[w], %[c]\n"
                         "le lr, 1b\n"
                         "add %[x], %[x], %[radj]\n"
                         "subs %[rows], %[rows], #1\n"
                         "bne 0b\n"
                         "vst20.32 {q0, q1}, [%[acc]]\n"
                         "vst21.32 {q0, q1}, [%[acc]]!\n"
                         "vst20.32 {q2, q3}, [%[acc]]\n"
                         "vst21.32 {q2, q3}, [%[acc]]\n"
                         : [x] "+l"(x), [w] "+l"(w), [rows] "+r"(rows), [acc] "+r"(acc)
                         : [xcol] "r"(t->xcol), [c] "r"(t->c), [kw] "r"(t->k_w),
                           [radj] "r"(radj)
                         : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "lr", "cc", "memory");
        return;
    }
    __asm__ volatile("vmov.i32 q0, #0\n"
                     "vmov.i32 q1, #0\n"
                     "0:\n"
                     "dls lr, %[kw]\n"
                     "1:\n" TQ_DW_TAP8("0", "0", "q0", "q1")
                     "add %[x], %[x], %[xcol]\n"
                     "add %[w], %[w], %[c]\n"
                     "le lr, 1b\n"
                     "add %[x], %[x], %[radj]\n"
                     "subs %[rows], %[rows], #1\n"
                     "bne 0b\n"
                     "vst20.32 {q0, q1}, [%[acc]]\n"
                     "vst21.32 {q0, q1}, [%[acc]]\n"
                     : [x] "+l"(x), [w] "+l"(w), [rows] "+r"(rows)
                     : [acc] "r"(acc), [xcol] "r"(t->xcol), [c] "r"(t->c), [kw] "r"(t->k_w),
                       [radj] "r"(radj)
                     : "q0", "q1", "q4", "q5", "q6", "lr", "cc", "memory");
}

/* The window of channels [c0, c0 + g) into buf ([k_h][k_w][g]): in_zp everywhere, then
 * the taps inside the input copied over it. */
static void gather(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0, int32_t ix0,
                   int32_t c0, int g, int8_t *buf)
{
    tq_mve_fill(buf, (int8_t)p->in_zp, p->k_h * p->k_w * g);
    const int32_t ky0 = first_inside(iy0, p->dil_h, p->k_h);
    const int32_t ky1 = end_inside(iy0, p->dil_h, p->k_h, p->in_h, ky0);
    const int32_t kx0 = first_inside(ix0, p->dil_w, p->k_w);
    const int32_t kx1 = end_inside(ix0, p->dil_w, p->k_w, p->in_w, kx0);
    const mve_pred16_t pr = vctp8q((uint32_t)g);
    const int32_t xcol = p->dil_w * p->in_c;
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const int8_t *x = in + ((ptrdiff_t)(iy0 + ky * p->dil_h) * p->in_w + ix0 +
                                kx0 * p->dil_w) * p->in_c + c0;
        int8_t *d = buf + (ky * p->k_w + kx0) * g;
        for (int32_t kx = kx0; kx < kx1; kx++, x += xcol, d += g) {
            vstrbq_p_s8(d, vldrbq_z_s8(x, pr), pr);
        }
    }
}

/* Channels [cg, cg + g) of the pixel whose window starts at (iy0, ix0): sums into acc. */
static void pixel_group(const tq_dwconv2d_params *p, const int8_t *in, int32_t iy0,
                        int32_t ix0, int inside, int32_t cg, int g, int8_t *buf, int32_t *acc)
{
    const int32_t c = p->in_c;
    tq_taps t = {buf, p->weights + cg / 2, g, p->k_w * g, c / 2, p->k_w, p->k_h};
    if (inside) {
        t.x = in + ((ptrdiff_t)iy0 * p->in_w + ix0) * c + cg;
        t.xcol = p->dil_w * c;
        t.xrow = p->dil_h * p->in_w * c;
    } else {
        gather(p, in, iy0, ix0, cg, g, buf);
    }
    taps(&t, g, acc + cg);
}

static int inside_rows(const tq_dwconv2d_params *p, int32_t iy0)
{
    return first_inside(iy0, p->dil_h, p->k_h) == 0 &&
           end_inside(iy0, p->dil_h, p->k_h, p->in_h, 0) == p->k_h;
}

static int inside_cols(const tq_dwconv2d_params *p, int32_t ix0)
{
    return first_inside(ix0, p->dil_w, p->k_w) == 0 &&
           end_inside(ix0, p->dil_w, p->k_w, p->in_w, 0) == p->k_w;
}

void tq_dwconv2d_s8s4_mve(const tq_dwconv2d_params *p, const int8_t *restrict in,
                          int8_t *restrict out, int8_t *restrict scratch)
{
    const int32_t c = p->in_c;
    if (p->ch_mult != 1 || c < 8 || (c & 1) || p->k_h * p->k_w > TQ_DW_MAX_TAPS) {
        tq_dwconv2d_s8s4(p, in, out);
        return;
    }
    const int32_t stride = (c + 3) & ~3;
    int32_t *acc = (int32_t *)(void *)scratch;
    int8_t *buf = scratch + 12 * stride;
    const tq_mve_rq rq = {p->bias, p->mult, p->shift, c, p->out_zp, p->act_min, p->act_max,
                          !tq_mve_shifts_above_32(p->shift, c)};
    /* Groups of 16, then the rest r as one group overlapping the one before: of 8 when
     * r <= 8, else of 16 (or two of 8 when there are fewer than 16 channels in all). */
    const int32_t c16 = c & ~15, r = c - c16;
    const int g_last = r > 8 && c >= 16 ? 16 : 8;
    const int32_t npix = p->out_h * p->out_w;
    for (int32_t s = 0; s < npix; s += 3) {
        /* Three pixels per requantization pass; the last three overlap the ones before. */
        const int32_t first = s + 3 <= npix || npix < 3 ? s : npix - 3;
        int8_t *o[3];
        for (int i = 0; i < 3; i++) {
            const int32_t pix = first + i < npix ? first + i : npix - 1;
            const int32_t oy = pix / p->out_w, ox = pix - oy * p->out_w;
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            const int inside = inside_rows(p, iy0) && inside_cols(p, ix0);
            int32_t *a = acc + i * stride;
            for (int32_t c0 = 0; c0 < c16; c0 += 16) {
                pixel_group(p, in, iy0, ix0, inside, c0, 16, buf, a);
            }
            if (r > 8 && c < 16) {
                pixel_group(p, in, iy0, ix0, inside, 0, 8, buf, a);
            }
            if (r > 0) {
                pixel_group(p, in, iy0, ix0, inside, c - g_last, g_last, buf, a);
            }
            o[i] = out + (size_t)pix * c;
        }
        tq_mve_requant3(&rq, acc, stride, o);
    }
}
#elif TQ_HAS_MVE
#include "tinyq.h"

void tq_dwconv2d_s8s4_mve(const tq_dwconv2d_params *p, const int8_t *restrict in,
                          int8_t *restrict out, int8_t *restrict scratch)
{
    (void)scratch;
    tq_dwconv2d_s8s4(p, in, out);
}
#endif /* TQ_HAS_MVE */
