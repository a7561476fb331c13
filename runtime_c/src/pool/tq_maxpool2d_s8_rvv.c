/* Max pooling on the RISC-V vector extension 1.0 (GNU inline assembly; see
 * tq_conv2d_s8_rvv.c for why no vector register is clobbered or live across statements).
 *
 * Channels are lanes, up to 8 * VLEN / 8 of them per strip. A strip's lanes start at act_min
 * and VMAX.VV folds in each tap of the window that lies inside the input; VMIN.VX clamps
 * above. Starting at act_min rather than -128 is the reference's lower clamp, because every
 * window holds at least one tap. The run of output pixels in a row whose windows lie wholly
 * inside it is one asm statement (one call per row rather than per pixel); the pixels at
 * the borders are one call each. As in the reference, each strip of an output pixel is stored
 * after its own channels of the window were read and no later strip or window reads those
 * bytes, so out == in (tinyq.h) stays safe; hence no restrict. */
#include "tq_isa.h"

#if TQ_HAS_RVV
#include "tinyq.h"
#include "../tq_requant.h"

/* Taps [*k0, *k1) of k taps dil apart from start lie in [0, size). */
static void inside(int32_t start, int32_t k, int32_t dil, int32_t size, int32_t *k0,
                   int32_t *k1)
{
    int32_t a = 0, b = k;
    if (start < 0) {
        a = (-start + dil - 1) / dil;
    }
    if (start + (k - 1) * dil >= size) {
        b = start >= size ? 0 : (size - 1 - start) / dil + 1;
    }
    *k0 = a;
    *k1 = b > a ? b : a;
}

/* The outputs of `pixels` consecutive output pixels of c channels from o: each the clamp of
 * the max over its window's inside taps, the first pixel's first tap at x and each next
 * pixel's pix_step bytes on. A window: rows of row_len bytes from a row's first tap past its
 * last, tap_step bytes apart, rows row_step bytes apart and win_len bytes from the first row
 * to past the last. The loops end on pointers. pixels, rows, taps, c >= 1. */
static void windows_max(const int8_t *x, int32_t pixels, int32_t pix_step, int32_t c,
                        int32_t win_len, int32_t row_len, int32_t tap_step, int32_t row_step,
                        int32_t lo, int32_t hi, int8_t *o)
{
    const int8_t *xs, *xr, *xp, *re, *e;
    int32_t n, vl;
    __asm__ volatile(
        "3:\n\t"
        "mv %[xs], %[x]\n\t"
        "mv %[n], %[c]\n"
        "0:\n\t"
        "vsetvli %[vl], %[n], e8, m8, ta, ma\n\t"
        "vmv.v.x v8, %[lo]\n\t"
        "mv %[xr], %[xs]\n\t"
        "add %[re], %[xs], %[wl]\n"
        "1:\n\t"
        "mv %[xp], %[xr]\n\t"
        "add %[e], %[xr], %[rl]\n"
        "2:\n\t"
        "vle8.v v16, (%[xp])\n\t"
        "vmax.vv v8, v8, v16\n\t"
        "add %[xp], %[xp], %[ts]\n\t"
        "bne %[xp], %[e], 2b\n\t"
        "add %[xr], %[xr], %[rs]\n\t"
        "bne %[xr], %[re], 1b\n\t"
        "vmin.vx v8, v8, %[hi]\n\t"
        "vse8.v v8, (%[o])\n\t"
        "add %[xs], %[xs], %[vl]\n\t"
        "add %[o], %[o], %[vl]\n\t"
        "sub %[n], %[n], %[vl]\n\t"
        "bnez %[n], 0b\n\t"
        "add %[x], %[x], %[ps]\n\t"
        "addi %[m], %[m], -1\n\t"
        "bnez %[m], 3b"
        : [x] "+r"(x), [o] "+r"(o), [m] "+r"(pixels), [xs] "=&r"(xs), [n] "=&r"(n),
          [xr] "=&r"(xr), [xp] "=&r"(xp), [re] "=&r"(re), [e] "=&r"(e), [vl] "=&r"(vl)
        : [ps] "r"(pix_step), [c] "r"(c), [wl] "r"(win_len), [rl] "r"(row_len),
          [ts] "r"(tap_step), [rs] "r"(row_step), [lo] "r"(lo), [hi] "r"(hi)
        : "memory");
}

/* The output pixels [*ox0, *ox1) whose windows lie inside the row, all k_w taps. */
static void inner_run(const tq_maxpool2d_params *p, int32_t *ox0, int32_t *ox1)
{
    const int32_t last = p->in_w - 1 - (p->k_w - 1) * p->dil_w + p->pad_left;
    const int32_t a = (p->pad_left + p->stride_w - 1) / p->stride_w;
    const int32_t b = last < 0 ? 0 : last / p->stride_w + 1;
    *ox0 = a < p->out_w ? a : p->out_w;
    *ox1 = b < *ox0 ? *ox0 : b < p->out_w ? b : p->out_w;
}

void tq_maxpool2d_s8_rvv(const tq_maxpool2d_params *p, const int8_t *in, int8_t *out)
{
    const int32_t c = p->c, in_w = p->in_w, k_w = p->k_w, dil_w = p->dil_w;
    const int32_t out_w = p->out_w, stride_w = p->stride_w;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t ts = dil_w * c, rs = p->dil_h * in_w * c;
    int32_t run0, run1;
    int8_t *o = out;
    if (c <= 0) {
        return;
    }
    inner_run(p, &run0, &run1);
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int32_t ky0, ky1;
        inside(iy0, p->k_h, p->dil_h, p->in_h, &ky0, &ky1);
        const int32_t win_len = (ky1 - ky0) * rs;
        const int8_t *row = ky1 > ky0 ? in + (size_t)(iy0 + ky0 * p->dil_h) * in_w * c : in;
        for (int32_t ox = 0; ox < out_w;) {
            const int32_t ix0 = ox * stride_w - p->pad_left;
            if (ox == run0 && run1 > run0 && win_len > 0) {
                windows_max(row + ix0 * c, run1 - run0, stride_w * c, c, win_len, k_w * ts,
                            ts, rs, lo, hi, o);
                o += (size_t)(run1 - run0) * c;
                ox = run1;
                continue;
            }
            int32_t kx0, kx1;
            inside(ix0, k_w, dil_w, in_w, &kx0, &kx1);
            if (win_len == 0 || kx1 == kx0) {
                for (int32_t ch = 0; ch < c; ch++) {
                    o[ch] = tq_clamp_s8(-128, lo, hi);
                }
            } else {
                windows_max(row + (ix0 + kx0 * dil_w) * c, 1, 0, c, win_len,
                            (kx1 - kx0) * ts, ts, rs, lo, hi, o);
            }
            o += c;
            ox++;
        }
    }
}
#endif /* TQ_HAS_RVV */
