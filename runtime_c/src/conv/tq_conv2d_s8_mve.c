/* Convolution on Helium (MVE). Output pixels go three at a time (tq_mve_conv_pixels):
 * each pixel's window is gathered once into scratch in OHWI order, then every pair of
 * output channels runs one tail-predicated VMLADAVA loop over the three windows
 * (tq_mve_dot3x2; filters of at most 32 elements keep the windows in registers instead,
 * tq_mve_dot3_small), and the int32 sums of the three pixels are requantized four channels
 * per vector. Grouped convolutions use the reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include <stddef.h>
#include "tinyq.h"
#include "../tq_mve.h"

/* What the pass over the filter pairs reloads per pair (offsets fixed in the asm). */
typedef struct {
    const int8_t *x0, *x1, *x2;
    int32_t *acc;
    int32_t stride_bytes, pairs, rest; /* rest = fsz - 16 > 0 */
    int32_t step; /* 2 fsz - 16 ceil(fsz / 16): from where a pair's loads end to the next */
} tq_pairs;

/* acc[i * stride + c] = x_i . filter c for filters 0 .. 2 pairs - 1 (fsz > 32): one asm
 * loop over the pairs, so the six accumulators, five pointers and the loop counter stay in
 * registers. The first vector of each pair is peeled (VMLADAV sets the sums: no zeroing);
 * the rest runs tail-predicated (its last, partial vector still advances the pointers by
 * 16, hence `step`). */
static __attribute__((noinline)) void dot_pairs(tq_pairs *t, const int8_t *w0)
{
    const int8_t *x0, *x1, *x2, *w1 = w0 + t->rest + 16;
    int32_t a0, a1, a2, a3, a4, a5;
    __asm__ volatile("0:\n"
                     "ldrd %[x0], %[x1], [%[t]]\n"
                     "ldr %[x2], [%[t], #8]\n"
                     "vldrb.8 q0, [%[x0]], #16\n"
                     "vldrb.8 q1, [%[x1]], #16\n"
                     "vldrb.8 q2, [%[x2]], #16\n"
                     "vldrb.8 q3, [%[w0]], #16\n"
                     "vmladav.s8 %[a0], q0, q3\n"
                     "vmladav.s8 %[a1], q1, q3\n"
                     "vmladav.s8 %[a2], q2, q3\n"
                     "vldrb.8 q3, [%[w1]], #16\n"
                     "vmladav.s8 %[a3], q0, q3\n"
                     "vmladav.s8 %[a4], q1, q3\n"
                     "vmladav.s8 %[a5], q2, q3\n"
                     "ldr lr, [%[t], #24]\n"
                     "dlstp.8 lr, lr\n"
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
                     TQ_MVE_PAIRS_NEXT
                     : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [a3] "=&Te"(a3),
                       [a4] "=&Te"(a4), [a5] "=&Te"(a5), [x0] "=&r"(x0), [x1] "=&r"(x1),
                       [x2] "=&r"(x2), [w0] "+r"(w0), [w1] "+r"(w1)
                     : [t] "r"(t)
                     : "q0", "q1", "q2", "q3", "lr", "cc", "memory");
}

/* Filters [c, c + 2) (c = out_c - 2: overlapping the pairs; out_c == 1: the one filter
 * twice) into acc[i * stride + c]. */
static void dot_last(const tq_conv2d_params *p, const int8_t *const *x, int32_t fsz,
                     int32_t *acc, int32_t stride)
{
    const int32_t c = p->out_c > 1 ? p->out_c - 2 : 0;
    const int8_t *w0 = p->weights + (size_t)c * fsz;
    const tq_acc3x2 a = tq_mve_dot3x2(x[0], x[1], x[2], w0, p->out_c > 1 ? w0 + fsz : w0, fsz);
    int32_t *d = acc + c;
    d[0] = a.a[0];
    d[stride] = a.a[1];
    d[2 * stride] = a.a[2];
    d[1] = a.a[3];
    d[stride + 1] = a.a[4];
    d[2 * stride + 1] = a.a[5];
}

/* Window i . filter c for the three windows x and every filter. */
static inline __attribute__((always_inline)) void
dots(const tq_conv2d_params *p, const int8_t *const *x, int32_t fsz, int32_t *acc,
     int32_t stride)
{
    const int32_t out_c = p->out_c;
    if (fsz <= 32) {
        tq_mve_dot3_small(x[0], x[1], x[2], p->weights, fsz, out_c, acc, stride);
    } else {
        if (out_c >= 2) {
            tq_pairs t = {x[0], x[1], x[2], acc, 4 * stride, out_c / 2, fsz - 16,
                          2 * fsz - ((fsz + 15) & ~15)};
            dot_pairs(&t, p->weights);
        }
        if (out_c & 1) {
            dot_last(p, x, fsz, acc, stride);
        }
    }
}

void tq_conv2d_s8_mve(const tq_conv2d_params *p, const int8_t *restrict in,
                      int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) {
        tq_conv2d_s8(p, in, out);
        return;
    }
    tq_mve_conv_pixels(p, in, out, scratch, dots);
}
#endif /* TQ_HAS_MVE */
