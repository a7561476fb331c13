/* Convolution with int4 weights on Helium (MVE). As tq_conv2d_s8_mve: three output pixels
 * at a time over int8's windows in int8's scratch (tq_mve_conv_pixels), two filters per
 * pass, sums requantized four channels per vector. The converter lays the weights out for
 * this kernel (tinyq.h, codegen/weight_layouts.py conv_s4_mve_layout): each filter starts
 * on a byte and per block of 32 elements byte j holds element j (low nibble) and element
 * 16 + j (high nibble), so 16 weight bytes unpack in registers (VSHL #4 then VSHR #4; VSHR
 * #4) into the weights of two contiguous 16-byte runs of the window, which is read as
 * gathered: no de-interleaved copy. The last m < 32 elements split at h = ceil(m / 2) the
 * same way and are read by loads predicated to h and m - h lanes, so no load passes the
 * window or the filter. Grouped convolutions use the reference kernel. */
#include "tq_isa.h"

#if TQ_HAS_MVE
#include <stddef.h>
#include "tinyq.h"
#include "../tq_mve.h"

/* What the pass over the filter pairs reloads per pair (offsets fixed in the asm). Pair
 * k is filters 2 k and 2 k + 1 (`b` bytes apart: 0 runs one filter twice). */
typedef struct {
    const int8_t *x0, *x1, *x2;
    int32_t *acc;
    int32_t stride_bytes, pairs;
    int32_t blocks; /* whole blocks of 32 elements, >= 1 */
    int32_t step;   /* 2 nb - 16 blocks: from where a pair's loads end to the next pair */
    int32_t h, mh;  /* the last block's bytes and high nibbles (0, 0: none) */
} tq_pairs4;

/* acc[i * stride + 2 k + j] = x_i . filter (2 k + j) for every pair k: one asm loop over
 * the pairs, so the six accumulators, five pointers and the counter stay in registers.
 * Per block, the high nibbles (VSHR #4) meet the window bytes at +16 and the low ones at
 * +0 (19 instructions per 96 MACs); the last part block is loaded under VCTP predicates
 * (inactive lanes load as 0). */
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
                     "dls lr, lr\n"
                     "1:\n"
                     "vldrb.8 q6, [%[w0]], #16\n"
                     "vldrb.8 q0, [%[x0], #16]\n"
                     "vldrb.8 q1, [%[x1], #16]\n"
                     "vldrb.8 q2, [%[x2], #16]\n"
                     "vshr.s8 q7, q6, #4\n"
                     "vmladava.s8 %[a0], q0, q7\n"
                     "vmladava.s8 %[a1], q1, q7\n"
                     "vmladava.s8 %[a2], q2, q7\n"
                     "vshl.i8 q6, q6, #4\n"
                     "vshr.s8 q6, q6, #4\n"
                     "vldrb.8 q3, [%[x0]], #32\n"
                     "vldrb.8 q4, [%[x1]], #32\n"
                     "vldrb.8 q5, [%[x2]], #32\n"
                     "vmladava.s8 %[a0], q3, q6\n"
                     "vmladava.s8 %[a1], q4, q6\n"
                     "vmladava.s8 %[a2], q5, q6\n"
                     "vldrb.8 q6, [%[w1]], #16\n"
                     "vshr.s8 q7, q6, #4\n"
                     "vmladava.s8 %[a3], q0, q7\n"
                     "vmladava.s8 %[a4], q1, q7\n"
                     "vmladava.s8 %[a5], q2, q7\n"
                     "vshl.i8 q6, q6, #4\n"
                     "vshr.s8 q6, q6, #4\n"
                     "vmladava.s8 %[a3], q3, q6\n"
                     "vmladava.s8 %[a4], q4, q6\n"
                     "vmladava.s8 %[a5], q5, q6\n"
                     "le lr, 1b\n"
                     /* The part block: low nibbles against the window's next h bytes. */
                     "ldr lr, [%[t], #32]\n"
                     "cmp lr, #0\n"
                     "beq 2f\n"
                     "vctp.8 lr\n"
                     "vpstttt\n"
                     "vldrbt.8 q3, [%[x0]]\n"
                     "vldrbt.8 q4, [%[x1]]\n"
                     "vldrbt.8 q5, [%[x2]]\n"
                     "vldrbt.8 q6, [%[w0]]\n"
                     "vpst\n"
                     "vldrbt.8 q7, [%[w1]]\n"
                     "vshl.i8 q0, q6, #4\n"
                     "vshr.s8 q0, q0, #4\n"
                     "vmladava.s8 %[a0], q3, q0\n"
                     "vmladava.s8 %[a1], q4, q0\n"
                     "vmladava.s8 %[a2], q5, q0\n"
                     "vshl.i8 q0, q7, #4\n"
                     "vshr.s8 q0, q0, #4\n"
                     "vmladava.s8 %[a3], q3, q0\n"
                     "vmladava.s8 %[a4], q4, q0\n"
                     "vmladava.s8 %[a5], q5, q0\n"
                     /* High nibbles against the m - h bytes after those. */
                     "add %[x0], %[x0], lr\n"
                     "add %[x1], %[x1], lr\n"
                     "add %[x2], %[x2], lr\n"
                     "ldr lr, [%[t], #36]\n"
                     "vctp.8 lr\n"
                     "vpsttt\n"
                     "vldrbt.8 q3, [%[x0]]\n"
                     "vldrbt.8 q4, [%[x1]]\n"
                     "vldrbt.8 q5, [%[x2]]\n"
                     "vshr.s8 q6, q6, #4\n"
                     "vshr.s8 q7, q7, #4\n"
                     "vmladava.s8 %[a0], q3, q6\n"
                     "vmladava.s8 %[a1], q4, q6\n"
                     "vmladava.s8 %[a2], q5, q6\n"
                     "vmladava.s8 %[a3], q3, q7\n"
                     "vmladava.s8 %[a4], q4, q7\n"
                     "vmladava.s8 %[a5], q5, q7\n"
                     "2:\n"
                     TQ_MVE_PAIRS_NEXT
                     : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [a3] "=&Te"(a3),
                       [a4] "=&Te"(a4), [a5] "=&Te"(a5), [x0] "=&r"(x0), [x1] "=&r"(x1),
                       [x2] "=&r"(x2), [w0] "+r"(w0), [w1] "+r"(w1)
                     : [t] "r"(t)
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "lr", "cc", "memory");
}

/* Filters of at most 32 elements (one block, split at h = ceil(fsz / 2), h bytes each):
 * the windows' low and high runs stay in q0..q5 and one loop runs over all nf filters,
 * storing acc[i * stride + c] = x_i . w_c (15 instructions per filter and three pixels). */
typedef struct {
    const int8_t *lo[3], *hi[3]; /* the windows, and the same + h */
    int32_t s1, s2;              /* the sums' stride in bytes, twice that */
    int32_t h, mh;               /* h, fsz - h */
} tq_small4;

static __attribute__((noinline)) void dot3_small_s4(const tq_small4 *t, const int8_t *w,
                                                   int32_t *acc, int32_t nf)
{
    int32_t a0, a1, a2, t0, t1, t2;
    register int32_t cnt __asm__("lr") = nf;
    __asm__ volatile("ldrd %[t0], %[t1], [%[t], #12]\n"
                     "ldr %[t2], [%[t], #20]\n"
                     "ldr %[a0], [%[t], #36]\n"
                     "vctp.8 %[a0]\n"
                     "vpsttt\n"
                     "vldrbt.8 q1, [%[t0]]\n"
                     "vldrbt.8 q3, [%[t1]]\n"
                     "vldrbt.8 q5, [%[t2]]\n"
                     "ldrd %[t0], %[t1], [%[t]]\n"
                     "ldr %[t2], [%[t], #8]\n"
                     "ldr %[a0], [%[t], #32]\n"
                     "vctp.8 %[a0]\n"
                     "vpsttt\n"
                     "vldrbt.8 q0, [%[t0]]\n"
                     "vldrbt.8 q2, [%[t1]]\n"
                     "vldrbt.8 q4, [%[t2]]\n"
                     "ldrd %[t0], %[t1], [%[t], #24]\n"
                     "mov %[t2], %[a0]\n"
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
                     "str %[a0], [%[acc]], #4\n"
                     "le lr, 1b\n"
                     : [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [t0] "=&r"(t0),
                       [t1] "=&r"(t1), [t2] "=&r"(t2), [w] "+r"(w), [acc] "+r"(acc),
                       "+r"(cnt)
                     : [t] "r"(t)
                     : "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "memory");
}

/* Window i . filter c for the three windows x and every filter. */
static inline __attribute__((always_inline)) void
dots(const tq_conv2d_params *p, const int8_t *const *x, int32_t fsz, int32_t *acc,
     int32_t stride)
{
    const int32_t out_c = p->out_c;
    const int32_t nb = (fsz + 1) / 2, m = fsz % 32, h = (m + 1) / 2;
    if (fsz <= 32) {
        const int32_t hs = (fsz + 1) / 2;
        const tq_small4 t = {{x[0], x[1], x[2]}, {x[0] + hs, x[1] + hs, x[2] + hs},
                             4 * stride, 8 * stride, hs, fsz - hs};
        dot3_small_s4(&t, p->weights, acc, out_c);
        return;
    }
    if (out_c >= 2) {
        tq_pairs4 t = {x[0], x[1], x[2], acc, 4 * stride, out_c / 2, fsz / 32,
                       2 * nb - 16 * (fsz / 32), h, m - h};
        pairs_s4(&t, p->weights, nb);
    }
    if (out_c & 1) {
        /* Filters [c, c + 2), c = out_c - 2, overlapping the pairs; one filter: twice. */
        const int32_t c = out_c > 1 ? out_c - 2 : 0;
        tq_pairs4 t = {x[0], x[1], x[2], acc + c, 4 * stride, 1, fsz / 32, 0, h, m - h};
        pairs_s4(&t, p->weights + (size_t)c * nb, out_c > 1 ? nb : 0);
    }
}

void tq_conv2d_s8s4_mve(const tq_conv2d_params *p, const int8_t *restrict in,
                        int8_t *restrict out, int8_t *restrict scratch)
{
    if (p->groups != 1) {
        tq_conv2d_s8s4(p, in, out);
        return;
    }
    tq_mve_conv_pixels(p, in, out, scratch, dots);
}
#endif /* TQ_HAS_MVE */
