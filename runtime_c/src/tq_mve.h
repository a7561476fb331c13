/*
 * tq_mve.h - Helium (MVE) building blocks shared by the _mve kernels. Internal to the
 * runtime; include only from files wrapped in #if TQ_HAS_MVE.
 *
 * The inner loops are inline assembly: GCC 12.2 spills the scalar accumulators of
 * VMLADAVA inside loops, emits a VPST per predicated load, never generates WLSTP/LETP, and
 * miscompiles constant predicate masks. WLSTP/LETP tail-predicate the last iteration from
 * the element count, so no predicate mask appears in the source at all. "Te" is GCC's
 * constraint for an even core register (VMLADAVA's accumulator must be one).
 */
#ifndef TQ_MVE_H
#define TQ_MVE_H

#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>
#include "tinyq.h"
#include "tq_window.h"

/* d[0 .. n) = s[0 .. n). */
static inline void tq_mve_copy(int8_t *d, const int8_t *s, int32_t n)
{
    __asm__ volatile("wlstp.8 lr, %[n], 2f\n"
                     "1:\n"
                     "vldrb.8 q0, [%[s]], #16\n"
                     "vstrb.8 q0, [%[d]], #16\n"
                     "letp lr, 1b\n"
                     "2:\n"
                     : [d] "+r"(d), [s] "+r"(s)
                     : [n] "r"(n)
                     : "q0", "lr", "memory");
}

/* d[0 .. n) = v. */
static inline void tq_mve_fill(int8_t *d, int8_t v, int32_t n)
{
    __asm__ volatile("vdup.8 q0, %[v]\n"
                     "wlstp.8 lr, %[n], 2f\n"
                     "1:\n"
                     "vstrb.8 q0, [%[d]], #16\n"
                     "letp lr, 1b\n"
                     "2:\n"
                     : [d] "+r"(d)
                     : [n] "r"(n), [v] "r"((int32_t)v)
                     : "q0", "lr", "memory");
}

/* Output pixel pix's window in OHWI order, padded taps as in_zp; a 1x1 window inside the
 * input is returned in place. */
static inline const int8_t *tq_mve_window(const tq_conv2d_params *p, int32_t pix,
                                          const int8_t *in, int8_t *buf)
{
    const int32_t oy = pix / p->out_w, ox = pix - oy * p->out_w;
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    const int32_t ky0 = first_inside(y0, p->dil_h, p->k_h);
    const int32_t ky1 = end_inside(y0, p->dil_h, p->k_h, p->in_h, ky0);
    const int32_t kx0 = first_inside(x0, p->dil_w, p->k_w);
    const int32_t kx1 = end_inside(x0, p->dil_w, p->k_w, p->in_w, kx0);
    const int32_t cin = p->in_c, row = p->k_w * cin;
    if (p->k_h == 1 && p->k_w == 1 && ky0 == 0 && ky1 == 1 && kx0 == 0 && kx1 == 1) {
        return in + ((size_t)y0 * p->in_w + x0) * cin;
    }
    const int8_t zp = (int8_t)p->in_zp;
    int8_t *d = buf;
    for (int32_t ky = 0; ky < p->k_h; ky++, d += row) {
        if (ky < ky0 || ky >= ky1 || kx0 == kx1) {
            tq_mve_fill(d, zp, row);
            continue;
        }
        const int8_t *s = in + ((ptrdiff_t)(y0 + ky * p->dil_h) * p->in_w + x0) * cin;
        if (kx0 > 0) {
            tq_mve_fill(d, zp, kx0 * cin);
        }
        if (p->dil_w == 1) {
            tq_mve_copy(d + kx0 * cin, s + kx0 * cin, (kx1 - kx0) * cin);
        } else {
            for (int32_t kx = kx0; kx < kx1; kx++) {
                tq_mve_copy(d + kx * cin, s + kx * p->dil_w * cin, cin);
            }
        }
        if (kx1 < p->k_w) {
            tq_mve_fill(d + kx1 * cin, zp, (p->k_w - kx1) * cin);
        }
    }
    return buf;
}

/* Three pixels x two output channels: a[3 * j + i] += x_i . w_j over n > 0 int8 elements.
 * Each weight vector serves three pixels, each activation vector two channels: 12
 * instructions per 96 MACs. */
typedef struct {
    int32_t a[6];
} tq_acc3x2;

static inline __attribute__((always_inline)) tq_acc3x2
tq_mve_dot3x2(const int8_t *x0, const int8_t *x1, const int8_t *x2, const int8_t *w0,
              const int8_t *w1, int32_t n)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
    /* The count lives in lr itself: with six even accumulators and five pointers, no
     * other register is left. */
    register int32_t cnt __asm__("lr") = n;
    __asm__ volatile("dlstp.8 lr, lr\n"
                     "1:\n"
                     "vldrb.8 q0, [%[x0]], #16\n"
                     "vldrb.8 q1, [%[x1]], #16\n"
                     "vldrb.8 q2, [%[x2]], #16\n"
                     "vldrb.8 q3, [%[w0]], #16\n"
                     "vmladava.s8 %[a0], q0, q3\n"
                     "vmladava.s8 %[a1], q1, q3\n"
                     "vmladava.s8 %[a2], q2, q3\n"
                     "vldrb.8 q3, [%[w1]], #16\n"
                     "vmladava.s8 %[a3], q0, q3\n"
                     "vmladava.s8 %[a4], q1, q3\n"
                     "vmladava.s8 %[a5], q2, q3\n"
                     "letp lr, 1b\n"
                     : [a0] "+Te"(a0), [a1] "+Te"(a1), [a2] "+Te"(a2), [a3] "+Te"(a3),
                       [a4] "+Te"(a4), [a5] "+Te"(a5), [x0] "+r"(x0), [x1] "+r"(x1),
                       [x2] "+r"(x2), [w0] "+r"(w0), [w1] "+r"(w1), "+r"(cnt)
                     :
                     : "q0", "q1", "q2", "q3", "memory");
    const tq_acc3x2 r = {{a0, a1, a2, a3, a4, a5}};
    return r;
}

/* The end of one pair in the pair loops of the MVE convolutions (asm operands a0..a5, x0,
 * w0, w1, t; labels 0: the next pair): the six sums stored at acc[i * stride + c], c + 1
 * (acc advanced by two), the weights stepped to the next pair, the pair count decremented.
 * Their structs agree on the offsets: 12 acc, 16 stride in bytes, 20 pairs, 28 step. */
#define TQ_MVE_PAIRS_NEXT                                                                \
    "ldr lr, [%[t], #12]\n"                                                               \
    "ldr %[x0], [%[t], #16]\n"                                                            \
    "str %[a0], [lr]\n"                                                                   \
    "str %[a1], [lr, %[x0]]\n"                                                            \
    "str %[a2], [lr, %[x0], lsl #1]\n"                                                    \
    "str %[a3], [lr, #4]!\n"                                                              \
    "str %[a4], [lr, %[x0]]\n"                                                            \
    "str %[a5], [lr, %[x0], lsl #1]\n"                                                    \
    "add lr, lr, #4\n"                                                                    \
    "str lr, [%[t], #12]\n"                                                               \
    "ldr lr, [%[t], #28]\n"                                                               \
    "add %[w0], %[w0], lr\n"                                                              \
    "add %[w1], %[w1], lr\n"                                                              \
    "ldr lr, [%[t], #20]\n"                                                               \
    "subs lr, lr, #1\n"                                                                   \
    "str lr, [%[t], #20]\n"                                                               \
    "bne 0b\n"

/* Filters of at most 32 elements (first layers, narrow pointwise): the three windows stay
 * in q0..q5 and one loop runs over all nf filters (w, contiguous, fsz apart), storing
 * acc[i * stride + c] = x_i . w_c. The windows and the filters' second vectors are loaded
 * under vctp predicates (lanes past fsz read nothing and are 0), so nothing is read past
 * the last filter. */
static inline void tq_mve_dot3_small(const int8_t *x0, const int8_t *x1, const int8_t *x2,
                                     const int8_t *w, int32_t fsz, int32_t nf, int32_t *acc,
                                     int32_t stride)
{
    register int32_t cnt __asm__("lr") = nf;
    int32_t s1 = 4 * stride, s2 = 8 * stride;
    int32_t a0, a1, a2;
    if (fsz <= 16) {
        __asm__ volatile("vctp.8 %[n]\n"
                         "vpsttt\n"
                         "vldrbt.8 q0, [%[x0]]\n"
                         "vldrbt.8 q2, [%[x1]]\n"
                         "vldrbt.8 q4, [%[x2]]\n"
                         "dls lr, lr\n"
                         "1:\n"
                         "vpst\n"
                         "vldrbt.8 q6, [%[w]]\n"
                         "add %[w], %[w], %[n]\n"
                         "vmladav.s8 %[a0], q0, q6\n"
                         "vmladav.s8 %[a1], q2, q6\n"
                         "vmladav.s8 %[a2], q4, q6\n"
                         "str %[a1], [%[acc], %[s1]]\n"
                         "str %[a2], [%[acc], %[s2]]\n"
                         "str %[a0], [%[acc]], #4\n"
                         "le lr, 1b\n"
                         : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [w] "+r"(w),
                           [acc] "+r"(acc), "+r"(cnt)
                         : [x0] "r"(x0), [x1] "r"(x1), [x2] "r"(x2), [n] "r"(fsz),
                           [s1] "r"(s1), [s2] "r"(s2)
                         : "q0", "q2", "q4", "q6", "memory");
        return;
    }
    __asm__ volatile("vldrb.8 q0, [%[x0]]\n"
                     "vldrb.8 q2, [%[x1]]\n"
                     "vldrb.8 q4, [%[x2]]\n"
                     "vctp.8 %[t]\n"
                     "vpsttt\n"
                     "vldrbt.8 q1, [%[x0], #16]\n"
                     "vldrbt.8 q3, [%[x1], #16]\n"
                     "vldrbt.8 q5, [%[x2], #16]\n"
                     "dls lr, lr\n"
                     "1:\n"
                     "vpst\n"
                     "vldrbt.8 q7, [%[w], #16]\n"
                     "vldrb.8 q6, [%[w]]\n"
                     "add %[w], %[w], %[n]\n"
                     "vmladav.s8 %[a0], q0, q6\n"
                     "vmladav.s8 %[a1], q2, q6\n"
                     "vmladav.s8 %[a2], q4, q6\n"
                     "vmladava.s8 %[a0], q1, q7\n"
                     "vmladava.s8 %[a1], q3, q7\n"
                     "vmladava.s8 %[a2], q5, q7\n"
                     "str %[a1], [%[acc], %[s1]]\n"
                     "str %[a2], [%[acc], %[s2]]\n"
                     "str %[a0], [%[acc]], #4\n"
                     "le lr, 1b\n"
                     : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [w] "+r"(w),
                       [acc] "+r"(acc), "+r"(cnt)
                     : [x0] "r"(x0), [x1] "r"(x1), [x2] "r"(x2), [n] "r"(fsz),
                       [t] "r"(fsz - 16), [s1] "r"(s1), [s2] "r"(s2)
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "memory");
}

/* tq_requant of four lanes, bit-exact for every shift in [1, 62] (tq_requant.h). With
 * p = acc * mult = hi 2^32 + lo (VMULH, VMUL; 0 <= lo < 2^32):
 *   shift >= 33: floor((hi + 2^(k-1)) / 2^k), k = shift - 32: VRSHL by 32 - shift.
 *   shift <= 32: hi 2^(32-shift) + floor((lo + 2^(shift-1)) / 2^shift): VRSHL by
 *   32 - shift >= 0 is that left shift, and the rounded low part is
 *   floor((floor(lo / 2^(shift-1)) + 1) / 2), a logical VSHL by 1 - shift then VRSHR #1;
 *   for shift >= 33 that VSHL moves every bit out, so one formula serves all lanes (sums
 *   wrap mod 2^32, as the reference's int64 -> int32 conversion does).
 * s32 = 32 - shift, s1 = 1 - shift; `low` = 0 when every shift >= 33 (skips the low part). */
static inline __attribute__((always_inline)) int32x4_t
tq_mve_requant4(int32x4_t acc, int32x4_t mult, int32x4_t s32, int32x4_t s1, int low)
{
    const int32x4_t r = vrshlq_s32(vmulhq_s32(acc, mult), s32);
    if (!low) {
        return r;
    }
    const uint32x4_t lo = vreinterpretq_u32_s32(vmulq_s32(acc, mult));
    const uint32x4_t t = vrshrq_n_u32(vshlq_u32(lo, s1), 1);
    return vaddq_s32(r, vreinterpretq_s32_u32(t));
}

typedef struct {
    const int32_t *bias, *mult;
    const int8_t *shift;
    int32_t n, out_zp, act_min, act_max;
    int low; /* some shift <= 32: tq_mve_requant4 needs the low word */
} tq_mve_rq;

static inline int tq_mve_shifts_above_32(const int8_t *shift, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        if (shift[i] <= 32) {
            return 0;
        }
    }
    return 1;
}

/* tq_mve_shifts_above_32 sixteen shifts per vector (VMINV under tail predication): a
 * fully connected layer's scan would otherwise cost as much as its requantization. */
static inline int tq_mve_shifts_above_32_v(const int8_t *shift, int32_t n)
{
    int32_t lo = 127;
    register int32_t cnt __asm__("lr") = n;
    __asm__ volatile("dlstp.8 lr, lr\n"
                     "1:\n"
                     "vldrb.8 q0, [%[s]], #16\n"
                     "vminv.s8 %[lo], q0\n"
                     "letp lr, 1b\n"
                     : [lo] "+r"(lo), [s] "+r"(shift), "+r"(cnt)
                     :
                     : "q0", "memory");
    return lo > 32;
}

/* One tail-predicated pass over the channels (DLSTP.32): bias, multiplier and shift of four
 * channels loaded once, then tq_mve_requant4 for each pixel. `LOW` adds the low-word part
 * (some shift <= 32). VLDRB.S32 and VSTRB.32 take low base registers ("l"). */
#define TQ_MVE_RQ3_HEAD                                                                  \
    "1:\n"                                                                               \
    "vldrw.32 q1, [%[b]], #16\n"                                                         \
    "vldrw.32 q2, [%[m]], #16\n"                                                         \
    "vldrb.s32 q3, [%[s]], #4\n"                                                         \
    "vmov.i32 q7, #1\n"                                                                  \
    "vsub.i32 q7, q7, q3\n"                                                              \
    "vmov.i32 q6, #32\n"                                                                 \
    "vsub.i32 q3, q6, q3\n"
#define TQ_MVE_RQ3_PIXEL(A, O, LOW)                                                      \
    "vldrw.32 q0, [%[" A "]], #16\n"                                                     \
    "vadd.i32 q0, q0, q1\n"                                                              \
    LOW("vmul.i32 q6, q0, q2\n")                                                         \
    "vmulh.s32 q0, q0, q2\n"                                                             \
    LOW("vshl.u32 q6, q6, q7\n")                                                         \
    "vrshl.s32 q0, q0, q3\n"                                                             \
    LOW("vrshr.u32 q6, q6, #1\n")                                                        \
    LOW("vadd.i32 q0, q0, q6\n")                                                         \
    "vadd.i32 q0, q0, %[zp]\n"                                                           \
    "vmax.s32 q0, q0, %q[lo]\n"                                                           \
    "vmin.s32 q0, q0, %q[hi]\n"                                                           \
    "vstrb.32 q0, [%[" O "]], #4\n"
#define TQ_MVE_KEEP(x) x
#define TQ_MVE_DROP(x)
#define TQ_MVE_RQ3(LOW)                                                                  \
    __asm__ volatile("dlstp.32 lr, lr\n" TQ_MVE_RQ3_HEAD TQ_MVE_RQ3_PIXEL("a0", "o0", LOW)   \
                     TQ_MVE_RQ3_PIXEL("a1", "o1", LOW) TQ_MVE_RQ3_PIXEL("a2", "o2", LOW)    \
                     "letp lr, 1b\n"                                                     \
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [o0] "+l"(o0),       \
                       [o1] "+l"(o1), [o2] "+l"(o2), [b] "+r"(b), [m] "+r"(m),           \
                       [s] "+l"(s), "+r"(cnt)                                            \
                     : [zp] "r"(rq->out_zp), [lo] "w"(lo), [hi] "w"(hi)                  \
                     : "q0", "q1", "q2", "q3", "q6", "q7", "memory")

/* out_i[c] = requantized acc[i * stride + c] for c < rq->n, i < 3. Not inlined: the asm
 * needs ten core registers at once. */
static __attribute__((noinline, unused)) void
tq_mve_requant3(const tq_mve_rq *rq, const int32_t *acc, int32_t stride, int8_t *const *out)
{
    const int32_t *a0 = acc, *a1 = acc + stride, *a2 = acc + 2 * stride;
    int8_t *o0 = out[0], *o1 = out[1], *o2 = out[2];
    const int32_t *b = rq->bias, *m = rq->mult;
    const int8_t *s = rq->shift;
    const int32x4_t lo = vdupq_n_s32(rq->act_min), hi = vdupq_n_s32(rq->act_max);
    register int32_t cnt __asm__("lr") = rq->n;
    if (rq->low) {
        TQ_MVE_RQ3(TQ_MVE_KEEP);
    } else {
        TQ_MVE_RQ3(TQ_MVE_DROP);
    }
}

#define TQ_MVE_RQ1(LOW)                                                                  \
    __asm__ volatile("dlstp.32 lr, lr\n" TQ_MVE_RQ3_HEAD TQ_MVE_RQ3_PIXEL("a0", "o0", LOW)   \
                     "letp lr, 1b\n"                                                     \
                     : [a0] "+r"(a0), [o0] "+l"(o0), [b] "+r"(b), [m] "+r"(m),           \
                       [s] "+l"(s), "+r"(cnt)                                            \
                     : [zp] "r"(rq->out_zp), [lo] "w"(lo), [hi] "w"(hi)                  \
                     : "q0", "q1", "q2", "q3", "q6", "q7", "memory")

/* out[c] = requantized acc[c] for c < rq->n: tq_mve_requant3 for one pixel. */
static __attribute__((noinline, unused)) void tq_mve_requant1(const tq_mve_rq *rq,
                                                             const int32_t *acc, int8_t *out)
{
    const int32_t *a0 = acc, *b = rq->bias, *m = rq->mult;
    int8_t *o0 = out;
    const int8_t *s = rq->shift;
    const int32x4_t lo = vdupq_n_s32(rq->act_min), hi = vdupq_n_s32(rq->act_max);
    register int32_t cnt __asm__("lr") = rq->n;
    if (rq->low) {
        TQ_MVE_RQ1(TQ_MVE_KEEP);
    } else {
        TQ_MVE_RQ1(TQ_MVE_DROP);
    }
}

/* The sums of one group of three pixels: acc[i * stride + c] = x_i . filter c. */
typedef void tq_mve_dots(const tq_conv2d_params *p, const int8_t *const *x, int32_t fsz,
                         int32_t *acc, int32_t stride);

/* The pixel loop of the (ungrouped) MVE convolutions: output pixels three at a time,
 * each one's window gathered into scratch (int8 OHWI; padded taps as in_zp; a 1x1 window
 * inside the input read in place), `dots` over them, and the three requantized. Scratch:
 * TQ_CONV2D_MVE_SCRATCH. The last group overlaps the one before rather than running
 * short; fewer than three pixels in all repeat the last. Inlined, so `dots` is a direct
 * call. */
static inline __attribute__((always_inline)) void
tq_mve_conv_pixels(const tq_conv2d_params *p, const int8_t *in, int8_t *out, int8_t *scratch,
                   tq_mve_dots *dots)
{
    const int32_t fsz = p->k_h * p->k_w * p->in_c, wsz = (fsz + 3) & ~3;
    const int32_t out_c = p->out_c, stride = (out_c + 3) & ~3;
    const int32_t npix = p->out_h * p->out_w;
    int32_t *acc = (int32_t *)(void *)(scratch + 3 * wsz);
    const tq_mve_rq rq = {p->bias, p->mult, p->shift, out_c, p->out_zp, p->act_min,
                          p->act_max, !tq_mve_shifts_above_32(p->shift, out_c)};
    for (int32_t s = 0; s < npix; s += 3) {
        const int32_t first = s + 3 <= npix || npix < 3 ? s : npix - 3;
        const int8_t *x[3];
        int8_t *o[3];
        for (int i = 0; i < 3; i++) {
            const int32_t pix = first + i < npix ? first + i : npix - 1;
            x[i] = tq_mve_window(p, pix, in, scratch + i * wsz);
            o[i] = out + (size_t)pix * out_c;
        }
        dots(p, x, fsz, acc, stride);
        tq_mve_requant3(&rq, acc, stride, o);
    }
}

#endif /* TQ_MVE_H */
