/* Convolution with int4 weights on Helium (MVE). As tq_conv2d_s8_mve: three output pixels
 * at a time, two filters per pass, sums requantized four channels per vector. A byte of
 * weights holds an even element (low nibble) and an odd one (high nibble), so each window
 * is stored de-interleaved in blocks of 32 elements (16 even, then 16 odd; VLD20/VLD21)
 * and 16 weight bytes unpack in registers to an even vector (VSHL #4, VSHR #4) and an odd
 * one (VSHR #4). A filter starting mid-byte (odd filter size, odd channel) reads from the
 * byte holding its first element, whose low nibble is the previous filter's last: it
 * meets a second copy of the window shifted by one element behind a zero. Filters are
 * paired with one of the same parity. Grouped convolutions use the reference kernel. */
#include "tq_isa.h"

/* The asm needs r7: -O0 keeps it as the frame pointer, so unoptimized builds get the
 * reference arithmetic under this name. */
#if TQ_HAS_MVE && defined(__OPTIMIZE__)
#include <stddef.h>
#include "tinyq.h"
#include "../tq_mve.h"

/* The loop of both asm bodies below (one string, so they cannot drift apart): per 16
 * weight bytes of each of w0, w1, their high nibbles (VSHR #4) against the window bytes at
 * +16 and their low nibbles (VSHL then VSHR #4) against those at +0; the windows advance 32
 * bytes. Tail-predicated over lr bytes (DLSTP.8 before it). */
#define TQ_DOT3X2_S4_LOOP                                                                \
    "1:\n"                                                                               \
    "vldrb.8 q6, [%[w0]], #16\n"                                                         \
    "vldrb.8 q0, [%[x0], #16]\n"                                                         \
    "vldrb.8 q1, [%[x1], #16]\n"                                                         \
    "vldrb.8 q2, [%[x2], #16]\n"                                                         \
    "vshr.s8 q7, q6, #4\n"                                                               \
    "vmladava.s8 %[a0], q0, q7\n"                                                        \
    "vmladava.s8 %[a1], q1, q7\n"                                                        \
    "vmladava.s8 %[a2], q2, q7\n"                                                        \
    "vshl.i8 q6, q6, #4\n"                                                               \
    "vshr.s8 q6, q6, #4\n"                                                               \
    "vldrb.8 q3, [%[x0]], #32\n"                                                         \
    "vldrb.8 q4, [%[x1]], #32\n"                                                         \
    "vldrb.8 q5, [%[x2]], #32\n"                                                         \
    "vmladava.s8 %[a0], q3, q6\n"                                                        \
    "vmladava.s8 %[a1], q4, q6\n"                                                        \
    "vmladava.s8 %[a2], q5, q6\n"                                                        \
    "vldrb.8 q6, [%[w1]], #16\n"                                                         \
    "vshr.s8 q7, q6, #4\n"                                                               \
    "vmladava.s8 %[a3], q0, q7\n"                                                        \
    "vmladava.s8 %[a4], q1, q7\n"                                                        \
    "vmladava.s8 %[a5], q2, q7\n"                                                        \
    "vshl.i8 q6, q6, #4\n"                                                               \
    "vshr.s8 q6, q6, #4\n"                                                               \
    "vmladava.s8 %[a3], q3, q6\n"                                                        \
    "vmladava.s8 %[a4], q4, q6\n"                                                        \
    "vmladava.s8 %[a5], q5, q6\n"                                                        \
    "letp lr, 1b\n"

/* nb bytes of weights against de-interleaved windows: acc pairs as tq_mve_dot3x2. */
static inline __attribute__((always_inline)) tq_acc3x2
dot3x2_s4(const int8_t *x0, const int8_t *x1, const int8_t *x2, const int8_t *w0,
          const int8_t *w1, int32_t nb)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
    register int32_t cnt __asm__("lr") = nb;
    __asm__ volatile("dlstp.8 lr, lr\n"
                     TQ_DOT3X2_S4_LOOP
                     : [a0] "+Te"(a0), [a1] "+Te"(a1), [a2] "+Te"(a2), [a3] "+Te"(a3),
                       [a4] "+Te"(a4), [a5] "+Te"(a5), [x0] "+r"(x0), [x1] "+r"(x1),
                       [x2] "+r"(x2), [w0] "+r"(w0), [w1] "+r"(w1), "+r"(cnt)
                     :
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "memory");
    const tq_acc3x2 r = {{a0, a1, a2, a3, a4, a5}};
    return r;
}

/* What the pass over the filter pairs of one parity reloads per pair (offsets fixed in the
 * asm). Pair k is filters c0 + 2 k d and c0 + (2 k + 1) d, `b` = d fsz / 2 bytes apart. */
typedef struct {
    const int8_t *x0, *x1, *x2;
    int32_t *acc;
    int32_t stride_bytes, pairs, nb;
    int32_t step; /* 2 b - 16 ceil(nb / 16): from where a pair's loads end to the next */
    int32_t dbytes; /* 4 d */
} tq_pairs4;

/* All pairs of one parity in one asm loop (see tq_conv2d_s8_mve.c dot_pairs): the
 * accumulators, five pointers and the counter stay in registers. */
static __attribute__((noinline)) void pairs_s4(tq_pairs4 *t, const int8_t *w0, int32_t b)
{
    const int8_t *x0, *x1, *x2, *w1 = w0 + b;
    int32_t a0, a1, a2, a3, a4, a5;
    __asm__ volatile("0:\n"
                     "ldrd %[x0], %[x1], [%[t]]\n"
                     "ldr %[x2], [%[t], #8]\n"
                     "movs %[a0], #0\n"
                     "movs %[a1], #0\n"
                     "movs %[a2], #0\n"
                     "movs %[a3], #0\n"
                     "movs %[a4], #0\n"
                     "movs %[a5], #0\n"
                     "ldr lr, [%[t], #24]\n"
                     "dlstp.8 lr, lr\n"
                     TQ_DOT3X2_S4_LOOP
                     "ldr lr, [%[t], #12]\n"
                     "ldr %[x0], [%[t], #16]\n"
                     "ldr %[x1], [%[t], #32]\n"
                     "str %[a0], [lr]\n"
                     "str %[a1], [lr, %[x0]]\n"
                     "str %[a2], [lr, %[x0], lsl #1]\n"
                     "add lr, lr, %[x1]\n"
                     "str %[a3], [lr]\n"
                     "str %[a4], [lr, %[x0]]\n"
                     "str %[a5], [lr, %[x0], lsl #1]\n"
                     "add lr, lr, %[x1]\n"
                     "str lr, [%[t], #12]\n"
                     "ldr lr, [%[t], #28]\n"
                     "add %[w0], %[w0], lr\n"
                     "add %[w1], %[w1], lr\n"
                     "ldr lr, [%[t], #20]\n"
                     "subs lr, lr, #1\n"
                     "str lr, [%[t], #20]\n"
                     "bne 0b\n"
                     : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [a3] "=&Te"(a3),
                       [a4] "=&Te"(a4), [a5] "=&Te"(a5), [x0] "=&r"(x0), [x1] "=&r"(x1),
                       [x2] "=&r"(x2), [w0] "+r"(w0), [w1] "+r"(w1)
                     : [t] "r"(t)
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "lr", "cc", "memory");
}

/* Filters of at most 31 elements (16 bytes): the three de-interleaved windows stay in
 * q0..q5 and one loop runs over every other filter (d = 2, one parity) or every filter
 * (d = 1): acc[i * stride + c] for c = c0, c0 + d, ... The weight load is predicated to the
 * filter's bytes. */
typedef struct {
    const int8_t *x0, *x1, *x2;
    int32_t s1, s2, step, nb, dstep; /* stride bytes, 2 * that, filter step, bytes, 4 d */
} tq_small4;

static __attribute__((noinline)) void dot3_small_s4(const tq_small4 *t, const int8_t *w,
                                                   int32_t *acc, int32_t nf)
{
    int32_t a0, a1, a2, t0, t1, t2, t3;
    register int32_t cnt __asm__("lr") = nf;
    __asm__ volatile("ldr %[t0], [%[t]]\n"
                     "vldrb.8 q0, [%[t0]]\n"
                     "vldrb.8 q1, [%[t0], #16]\n"
                     "ldr %[t0], [%[t], #4]\n"
                     "vldrb.8 q2, [%[t0]]\n"
                     "vldrb.8 q3, [%[t0], #16]\n"
                     "ldr %[t0], [%[t], #8]\n"
                     "vldrb.8 q4, [%[t0]]\n"
                     "vldrb.8 q5, [%[t0], #16]\n"
                     "ldr %[t3], [%[t], #24]\n"
                     "vctp.8 %[t3]\n"
                     "ldrd %[t0], %[t1], [%[t], #12]\n"
                     "ldr %[t2], [%[t], #20]\n"
                     "ldr %[t3], [%[t], #28]\n"
                     "dls lr, lr\n"
                     "1:\n"
                     "vpst\n"
                     "vldrbt.8 q6, [%[w]]\n"
                     "add %[w], %[w], %[t2]\n"
                     "vshr.s8 q7, q6, #4\n"
                     "vshl.i8 q6, q6, #4\n"
                     "vshr.s8 q6, q6, #4\n"
                     "vmladav.s8 %[a0], q0, q6\n"
                     "vmladava.s8 %[a0], q1, q7\n"
                     "vmladav.s8 %[a1], q2, q6\n"
                     "vmladava.s8 %[a1], q3, q7\n"
                     "vmladav.s8 %[a2], q4, q6\n"
                     "vmladava.s8 %[a2], q5, q7\n"
                     "str %[a1], [%[acc], %[t0]]\n"
                     "str %[a2], [%[acc], %[t1]]\n"
                     "str %[a0], [%[acc]]\n"
                     "add %[acc], %[acc], %[t3]\n"
                     "le lr, 1b\n"
                     : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [t0] "=&r"(t0),
                       [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [w] "+r"(w),
                       [acc] "+r"(acc), "+r"(cnt)
                     : [t] "r"(t)
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "memory");
}

/* n bytes from s (a multiple of 32) de-interleaved into d: per 32, 16 even then 16 odd. */
static inline void deinterleave(int8_t *d, const int8_t *s, int32_t n)
{
    for (int32_t i = 0; i < n; i += 32) {
        __asm__ volatile("vld20.8 {q0, q1}, [%[s]]\n"
                         "vld21.8 {q0, q1}, [%[s]]!\n"
                         "vstrb.8 q0, [%[d]], #16\n"
                         "vstrb.8 q1, [%[d]], #16\n"
                         : [d] "+r"(d), [s] "+r"(s)
                         :
                         : "q0", "q1", "memory");
    }
}

void tq_conv2d_s8s4_mve(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) {
        tq_conv2d_s8s4(p, in, out);
        return;
    }
    const int32_t fsz = p->k_h * p->k_w * p->in_c;
    const int32_t len = (fsz + 32) & ~31; /* fsz + 1 elements, whole blocks of 32 */
    const int odd = fsz & 1;
    const int32_t nb = (fsz + 1) / 2;
    const int32_t out_c = p->out_c, stride = (out_c + 3) & ~3;
    const int32_t npix = p->out_h * p->out_w;
    /* Scratch: the window behind a zero (tmp), each pixel's de-interleaved window (even
     * filters) and, for odd sizes, the shifted one (odd filters); then the sums. */
    int8_t *tmp = scratch;
    int8_t *even = tmp + len + 16;
    int8_t *shifted = even + 3 * len;
    int32_t *acc = (int32_t *)(void *)(shifted + (odd ? 3 * len : 0));
    const tq_mve_rq rq = {p->bias, p->mult, p->shift, out_c, p->out_zp, p->act_min,
                          p->act_max, !tq_mve_shifts_above_32(p->shift, out_c)};
    /* Elements past the window stay 0: they meet the next filter's first nibble. */
    tq_mve_fill(tmp, 0, len + 16);
    for (int32_t s = 0; s < npix; s += 3) {
        const int32_t first = s + 3 <= npix || npix < 3 ? s : npix - 3;
        int8_t *o[3];
        for (int i = 0; i < 3; i++) {
            const int32_t pix = first + i < npix ? first + i : npix - 1;
            const int8_t *x = tq_mve_window(p, pix, in, tmp + 1);
            if (x != tmp + 1) {
                tq_mve_copy(tmp + 1, x, fsz);
            }
            deinterleave(even + i * len, tmp + 1, len);
            if (odd) {
                deinterleave(shifted + i * len, tmp, len);
            }
            o[i] = out + (size_t)pix * out_c;
        }
        const int d = odd + 1;
        if (fsz <= 31) {
            for (int q = 0; q < d && q < out_c; q++) {
                const int8_t *x = q ? shifted : even;
                const tq_small4 t = {x, x + len, x + 2 * len, 4 * stride, 8 * stride,
                                     d == 2 ? fsz : fsz / 2, nb, 4 * d};
                dot3_small_s4(&t, p->weights + (size_t)q * fsz / 2, acc + q,
                              (out_c - q + d - 1) / d);
            }
        } else {
            for (int q = 0; q < d && q < out_c; q++) {
                /* Filters q, q + d, ...: n of them, in pairs, an odd one last alone. */
                const int32_t n = (out_c - q + d - 1) / d;
                const int8_t *x = q ? shifted : even;
                const int32_t b = d * fsz / 2;
                const int8_t *w = p->weights + (size_t)q * fsz / 2;
                if (n >= 2) {
                    tq_pairs4 t = {x, x + len, x + 2 * len, acc + q, 4 * stride, n / 2, nb,
                                   2 * b - 16 * ((nb + 15) / 16), 4 * d};
                    pairs_s4(&t, w, b);
                }
                if (n & 1) {
                    const int32_t c = q + (n - 1) * d;
                    const int8_t *wl = w + (size_t)(n - 1) * b;
                    const tq_acc3x2 a = dot3x2_s4(x, x + len, x + 2 * len, wl, wl, nb);
                    acc[c] = a.a[0];
                    acc[stride + c] = a.a[1];
                    acc[2 * stride + c] = a.a[2];
                }
            }
        }
        tq_mve_requant3(&rq, acc, stride, o);
    }
}
#elif TQ_HAS_MVE
#include "tinyq.h"

void tq_conv2d_s8s4_mve(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch)
{
    (void)scratch;
    tq_conv2d_s8s4(p, in, out);
}
#endif /* TQ_HAS_MVE */
